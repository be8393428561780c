-- How many posts are listed, kept as posts change, for RealWorld's articlesCount (GET /articles, which RealWorld's
-- clients ask for every home page and every page of it). It was counted from every listed post on every request:
-- 14-26 ms at 100,000 posts on PostgreSQL 15 from the index alone, growing with the site
-- (docs/benchmarks/reads-at-scale.md). Now the total is the sum of this table's rows, less the listed posts of the
-- authors the reader blocked (through posts_by_author); a tag's total is tag_counts' row (V35), less the same.
--
-- A post counts while it is listed (not deleted, hidden or pending: Visibility.listed; a new state of content must
-- be added here too, as in V35). The count is kept in 64 rows, a post in row id % 64, so that posts committing at
-- the same moment seldom wait for each other's row. The trigger is deferred to the commit, as V35's: a row is
-- locked only while the transaction commits. A statement or transaction that changes many posts' listing at once
-- updates each row once per post (quadratic: 100,000 posts in one statement take about 12 s here); such a job
-- disables the trigger and counts again (docs/benchmarks/reads-at-scale.md, as for tag_counts).
CREATE TABLE listed_posts (
  shard smallint PRIMARY KEY,
  posts bigint NOT NULL
);

CREATE FUNCTION listed_posts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  change int := 0;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL AND OLD.hidden_at IS NULL AND OLD.pending_at IS NULL THEN
    change := change - 1;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL AND NEW.hidden_at IS NULL AND NEW.pending_at IS NULL THEN
    change := change + 1;
  END IF;
  IF change <> 0 THEN
    INSERT INTO listed_posts AS l (shard, posts)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END % 64, change)
        ON CONFLICT (shard) DO UPDATE SET posts = l.posts + EXCLUDED.posts;
  END IF;
  RETURN NULL;
END $$;

-- The trigger first: creating it locks out every write to posts until this migration commits, so the count below
-- sees every post and misses none written meanwhile. It waits at most 10 s for a transaction that holds the table
-- (the node's start then fails, saying so, rather than queueing every post behind the wait).
SET LOCAL lock_timeout = '10s';
CREATE CONSTRAINT TRIGGER listed_posts
  AFTER INSERT OR DELETE OR UPDATE OF deleted_at, hidden_at, pending_at ON posts
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION listed_posts_follow();

INSERT INTO listed_posts (shard, posts)
SELECT id % 64, count(*)
  FROM posts
 WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL
 GROUP BY id % 64;
