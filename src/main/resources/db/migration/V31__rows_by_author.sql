-- Every row of a member reachable by an index on the member, so that reading all of one member's data (their data
-- export, their account's deletion) costs what they wrote, not the size of the site: before, it read whole tables.
--
-- Posts and comments: with posts_by_author and comments_by_author (listed: neither deleted, hidden nor pending),
-- posts_hidden_by_author (hidden) and comments_restricted_by_author (hidden or pending), these reach the rest.
-- Partial: a new post or comment that is published is in neither, so the write path keeps no more index than before.
CREATE INDEX posts_unlisted_by_author ON posts (author_id)
  WHERE (deleted_at IS NOT NULL OR pending_at IS NOT NULL) AND hidden_at IS NULL;
CREATE INDEX comments_deleted_by_author ON comments (author_id) WHERE deleted_at IS NOT NULL AND hidden_at IS NULL;

-- The threads a member followed or muted (the primary key leads with the post). A follow or a mute is a reader's
-- choice, not part of writing a comment.
CREATE INDEX thread_follows_by_user ON thread_follows (user_id);
