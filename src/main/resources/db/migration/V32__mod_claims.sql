-- Who is on what in the moderators' queues (parley.moderation.Claims): one claim per reported or held post or
-- comment, advisory (it refuses no action), ended by its moderator, by a decision on the item in the decision's own
-- transaction, or by time (expires_at; an expired row is read as no claim and replaced by the next one taken). A
-- moderator's expired rows are deleted when they next take one, and they hold at most 50 at a time, so the table
-- stays small whatever a script does.
CREATE TABLE mod_claims (
  target_type  text NOT NULL CHECK (target_type IN ('post', 'comment')),
  target_id    bigint NOT NULL,
  moderator_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (target_type, target_id)
);
CREATE INDEX mod_claims_by_moderator ON mod_claims (moderator_id);
