-- The part of a long body a search snippet is made from. ts_headline parses all of the text it is given and weighs
-- every run of matches in it: on a 40,000-character post whose words the query names throughout, 40-45 ms for each
-- result, so a page of such posts took a second and a page of 50 ran out of the search's 2 s (a probe, 2026-12-05).
-- A body longer than `width` characters is cut to `width` characters around the first place one of `words` (the
-- query's lexemes and its words as typed, lower case) occurs, a sixth of the width before it, or its start if none
-- does: the snippet then costs what a short body's does. A lexeme is a stem ("appl", "garden"), found inside the
-- words it stems from; a stem that is not a prefix of its word ("cherri") is found through the word as typed. The
-- body is lowered once (OFFSET 0 keeps the planner from lowering it again for each word: 1.1 ms each at 40,000
-- characters).
--
-- The cut never leaves part of a tag or an entity at either end: rendered HTML escapes '<', '>' and '&' in text and
-- in attribute values, so a '>' before any '<' ends a tag the cut began inside, a '<' with no '>' after it starts
-- one it stopped inside, and the characters up to the first (from the last) white space or tag are a word or an
-- entity cut through. A body no longer than `width` is given back as it is.
CREATE FUNCTION snippet_window(html text, words text[], width integer) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN length(html) <= width THEN html
    ELSE (
      SELECT CASE WHEN w.at + width > length(html) THEN w.cut
                  ELSE regexp_replace(regexp_replace(w.cut, '<[^>]*$', ''), '[^<>\s]*$', '') END
        FROM (
          SELECT s.at, CASE WHEN s.at = 1 THEN substr(html, 1, width)
                            ELSE regexp_replace(regexp_replace(substr(html, s.at, width), '^[^<]*>', ''),
                                                '^[^<>\s]*', '') END AS cut
            FROM (
              SELECT greatest(1, coalesce(
                       (SELECT min(p) FROM (SELECT strpos(h.low, x) AS p FROM (SELECT lower(html) AS low OFFSET 0) h,
                                                  unnest(words) x) f WHERE p > 0),
                       1) - width / 6) AS at) s) w)
  END
$$;
