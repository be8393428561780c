-- A post's tags are searched with its title and body: a reader who searches for "bridge" finds the posts tagged
-- "bridges" (the picky review: a tag was only a filter, never found by words). They weigh as the title does (A).
-- The trigger now also runs when the tags alone change (a retag), and every post's vector is computed again once:
-- the UPDATE sets only "search", which fires none of the posts' other triggers.
CREATE OR REPLACE FUNCTION posts_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search := setweight(to_tsvector('english', NEW.title), 'A')
      || setweight(to_tsvector('english', array_to_string(NEW.tags, ' ')), 'A')
      || setweight(to_tsvector('english', NEW.body), 'B');
  RETURN NEW;
END $$;

DROP TRIGGER posts_search ON posts;
CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE OF title, body, tags ON posts
  FOR EACH ROW EXECUTE FUNCTION posts_search();

UPDATE posts SET search = setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'A')
    || setweight(to_tsvector('english', body), 'B')
  WHERE tags <> '{}';
