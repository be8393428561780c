-- How many listed posts carry each tag, kept as the posts change, for the most used tags (GET /api/tags and
-- RealWorld's GET /tags, which RealWorld's clients ask on every home page). They were counted from every post on
-- every request: 64 ms at 100,000 posts on PostgreSQL 15, in a plan with parallel workers, growing with the site
-- (docs/benchmarks/reads-at-scale.md). Now the most used are read off an index; a reader who blocked someone has
-- their listed posts' tags taken off (through posts_by_author).
--
-- A post counts while it is listed (not deleted, hidden or pending: Visibility.listed), for each tag it carries
-- (once per tag: a post's tags are distinct). The trigger runs for every change of a post's tags or listing, takes
-- the old row's tags off and the new row's on, and locks the tag rows it changes in the tags' order, so two posts'
-- changes never wait for each other in a cycle. A tag whose count falls to 0 keeps its row, out of the index.
CREATE TABLE tag_counts (
  tag   text PRIMARY KEY,
  posts bigint NOT NULL
);

CREATE INDEX tag_counts_most_used ON tag_counts (posts DESC, tag) WHERE posts > 0;

CREATE FUNCTION tag_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  taken text[] := '{}';
  added text[] := '{}';
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL AND OLD.hidden_at IS NULL AND OLD.pending_at IS NULL THEN
    taken := OLD.tags;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL AND NEW.hidden_at IS NULL AND NEW.pending_at IS NULL THEN
    added := NEW.tags;
  END IF;
  IF taken IS DISTINCT FROM added THEN
    INSERT INTO tag_counts AS c (tag, posts)
    SELECT change.tag, sum(change.n)
      FROM (SELECT t, 1 FROM unnest(added) t UNION ALL SELECT t, -1 FROM unnest(taken) t) change (tag, n)
     GROUP BY change.tag
    HAVING sum(change.n) <> 0
     ORDER BY change.tag
        ON CONFLICT (tag) DO UPDATE SET posts = c.posts + EXCLUDED.posts;
  END IF;
  RETURN NULL;
END $$;

-- The trigger first: creating it locks out every write to posts until this migration commits, so the count below
-- sees every post and misses none written meanwhile. It waits at most 10 s for a transaction that holds the table
-- (the node's start then fails, saying so, rather than queueing every post behind the wait).
SET LOCAL lock_timeout = '10s';
CREATE TRIGGER tag_counts AFTER INSERT OR DELETE OR UPDATE OF tags, deleted_at, hidden_at, pending_at ON posts
  FOR EACH ROW EXECUTE FUNCTION tag_counts_follow();

INSERT INTO tag_counts (tag, posts)
SELECT t.tag, count(*)
  FROM posts p, unnest(p.tags) AS t(tag)
 WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL
 GROUP BY t.tag;
