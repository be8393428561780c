-- How many listed posts carry each tag, kept as the posts change, for the most used tags (GET /api/tags and
-- RealWorld's GET /tags, which RealWorld's clients ask on every home page). They were counted from every post on
-- every request: 128-143 ms at 100,000 posts on PostgreSQL 15, in a plan with parallel workers, growing with the site
-- (docs/benchmarks/reads-at-scale.md). Now the most used are read off an index; a reader who blocked someone has
-- their blocked authors' listed posts' tags taken off (through posts_by_author).
--
-- A post counts while it is listed (not deleted, hidden or pending: Visibility.listed; a new state of content must
-- be added here too), once for each tag it carries. The trigger takes the old row's tags off and the new row's on,
-- for every change of a post's tags or listing. It is deferred to the commit, so a tag's row is locked only while
-- the transaction commits, not while a hide or a delete works through a busy thread; and it changes the tag rows in
-- the tags' order. Every write of Parley's changes one post per transaction, so two never wait for each other in a
-- cycle. A statement or transaction that changes many tagged posts at once could, against live traffic, and updates
-- a tag's row once per post (quadratic: each update steps over the versions before it); such a maintenance job
-- disables the trigger and counts again (docs/benchmarks/reads-at-scale.md). A tag's row goes when its count falls
-- to 0, so the table holds the tags in use.
CREATE TABLE tag_counts (
  tag   text PRIMARY KEY,
  posts bigint NOT NULL
);

CREATE INDEX tag_counts_most_used ON tag_counts (posts DESC, tag);

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
     WHERE change.tag IS NOT NULL
     GROUP BY change.tag
    HAVING sum(change.n) <> 0
     ORDER BY change.tag
        ON CONFLICT (tag) DO UPDATE SET posts = c.posts + EXCLUDED.posts;
    DELETE FROM tag_counts WHERE tag = ANY (taken) AND posts <= 0;
  END IF;
  RETURN NULL;
END $$;

-- The trigger first: creating it locks out every write to posts until this migration commits, so the count below
-- sees every post and misses none written meanwhile. It waits at most 10 s for a transaction that holds the table
-- (the node's start then fails, saying so, rather than queueing every post behind the wait).
SET LOCAL lock_timeout = '10s';
CREATE CONSTRAINT TRIGGER tag_counts
  AFTER INSERT OR DELETE OR UPDATE OF tags, deleted_at, hidden_at, pending_at ON posts
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION tag_counts_follow();

INSERT INTO tag_counts (tag, posts)
SELECT t.tag, count(*)
  FROM posts p, unnest(p.tags) AS t(tag)
 WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL AND t.tag IS NOT NULL
 GROUP BY t.tag;
