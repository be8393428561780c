-- A signed-in reader's thread page is the anonymous one (served from the read cache) unless something of their own
-- in that thread is hidden or pending: they see it (marked so) where everyone else sees a tombstone or nothing. A
-- pending comment the reader deleted still shows them its tombstone, so deleted rows count too. Such comments are
-- few; this index finds a reader's in a thread with one probe on every signed-in read of a thread page.
CREATE INDEX comments_restricted_by_author ON comments (author_id, post_id)
  WHERE hidden_at IS NOT NULL OR pending_at IS NOT NULL;
