-- A thread's comment count and the time of its latest published comment move out of posts into a narrow 1:1 table.
-- Every new comment set both, and last_activity_at is indexed (posts_active), so that UPDATE of the post row was
-- never HOT: each comment wrote a whole new version of the post into all nine of its indexes (two of them GIN) and
-- a busy thread left thousands of dead versions of one row for every read of it to walk. A comment now only locks
-- the post row (no new version) and updates this row, which has two small B-tree indexes.
--
-- Threads.java writes it, always under the post row's lock: the post row stays the one lock every write to a thread
-- takes first, so writes to one thread still queue and a moderator's hide or lock is still seen by a comment that
-- waited for it.
CREATE TABLE post_activity (
  post_id          bigint PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
  comment_count    integer NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
  last_activity_at timestamptz NOT NULL
);

INSERT INTO post_activity (post_id, comment_count, last_activity_at)
  SELECT id, comment_count, last_activity_at FROM posts;

-- The feed's "active" order. Unlike posts_active it cannot carry the listed rule as a predicate (that is in posts);
-- the feed's query filters the few deleted, hidden or pending posts on the join to posts_pkey.
CREATE INDEX post_activity_active ON post_activity (last_activity_at DESC, post_id DESC);

-- Every post has its row, however it is inserted, from the moment it exists.
CREATE FUNCTION posts_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO post_activity (post_id, last_activity_at) VALUES (NEW.id, NEW.created_at);
  RETURN NULL;
END $$;

CREATE TRIGGER posts_activity AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION posts_activity();

CREATE OR REPLACE FUNCTION posts_rank() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.hot := parley_hot(NEW.upvotes - NEW.downvotes, NEW.created_at);
  RETURN NEW;
END $$;

-- Drops posts_active with the column.
ALTER TABLE posts DROP COLUMN comment_count, DROP COLUMN last_activity_at;
