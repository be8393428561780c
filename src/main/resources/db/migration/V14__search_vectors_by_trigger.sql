-- The full-text vectors were stored generated columns, and PostgreSQL recomputes a stored generated column on every
-- UPDATE of its row, whichever columns change: each new comment (the post's counters and activity time) and each vote
-- (the counts) ran to_tsvector over the whole post or comment again. They are kept by triggers now, which run only
-- when the text itself is written.
ALTER TABLE posts ALTER COLUMN search DROP EXPRESSION;
ALTER TABLE comments ALTER COLUMN search DROP EXPRESSION;

CREATE FUNCTION posts_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search := setweight(to_tsvector('english', NEW.title), 'A') || setweight(to_tsvector('english', NEW.body), 'B');
  RETURN NEW;
END $$;

CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE OF title, body ON posts
  FOR EACH ROW EXECUTE FUNCTION posts_search();

CREATE FUNCTION comments_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search := to_tsvector('english', NEW.body);
  RETURN NEW;
END $$;

CREATE TRIGGER comments_search BEFORE INSERT OR UPDATE OF body ON comments
  FOR EACH ROW EXECUTE FUNCTION comments_search();
