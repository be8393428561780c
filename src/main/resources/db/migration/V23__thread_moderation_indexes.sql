-- What a thread's moderators see (GET /api/mod/posts/{id}/moderation, Review.THREAD) is the post and those of its
-- comments that are hidden, held or reported. It found them by reading every comment of the thread: 20,000 index
-- entries and rows for a thread of 20,000 comments, on every read, and a moderator's open thread reads it again
-- after each hide, report or approval there. With these two indexes it reads what it returns.

-- A thread's hidden and held comments: few in any thread.
CREATE INDEX comments_flagged ON comments (post_id)
  WHERE deleted_at IS NULL AND (hidden_at IS NOT NULL OR pending_at IS NOT NULL);

-- The thread a report is about, set by a trigger so that every way a report is filed (a reader's, screening's) sets
-- it; a comment never moves to another post. Its open reports are found by the thread.
ALTER TABLE reports ADD COLUMN post_id bigint;
UPDATE reports r SET post_id = CASE r.target_type WHEN 'post' THEN r.target_id
  ELSE (SELECT c.post_id FROM comments c WHERE c.id = r.target_id) END;

CREATE FUNCTION reports_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.post_id := CASE NEW.target_type WHEN 'post' THEN NEW.target_id
    ELSE (SELECT post_id FROM comments WHERE id = NEW.target_id) END;
  RETURN NEW;
END $$;

CREATE TRIGGER reports_post BEFORE INSERT ON reports FOR EACH ROW EXECUTE FUNCTION reports_post();

CREATE INDEX reports_open_in_thread ON reports (post_id) WHERE status = 'open';
