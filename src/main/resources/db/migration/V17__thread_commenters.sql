-- Who has commented in each thread, and their first comment there. Commenters follow a thread from their first
-- comment on (V8), so the notifier needs, for every new comment, the thread's earlier commenters. It read them from
-- the thread's comments, grouped by author, for every batch it handled: work that grew with the thread (and, planned
-- as a hash join, a scan of every comment of every thread). One row per commenter and thread makes it a probe of
-- this table's primary key per thread, however long the thread.
--
-- Kept by a statement trigger on comments, so every way a comment is inserted keeps it, at the cost of one INSERT per
-- statement (a group of comments is one statement; an author's later comments in a thread conflict and insert
-- nothing). A comment is never deleted (a deleted one stays as a tombstone), so a row is never removed but with its
-- post or its account.
CREATE TABLE thread_commenters (
  post_id          bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  first_comment_id bigint NOT NULL,
  PRIMARY KEY (post_id, user_id)
);

INSERT INTO thread_commenters (post_id, user_id, first_comment_id)
  SELECT post_id, author_id, min(id) FROM comments GROUP BY post_id, author_id;

-- Comments of one thread are written one transaction at a time under the post row's lock (Threads.java), in id
-- order, so the first row inserted for an author and thread has their smallest id there.
CREATE FUNCTION comments_commenters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO thread_commenters (post_id, user_id, first_comment_id)
    SELECT post_id, author_id, min(id) FROM added GROUP BY post_id, author_id ORDER BY post_id, author_id
  ON CONFLICT (post_id, user_id) DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER comments_commenters AFTER INSERT ON comments REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION comments_commenters();
