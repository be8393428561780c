-- Community safety: bans, hidden and locked content, reports, blocks and the moderators' audit log.

ALTER TABLE users
  ADD COLUMN banned_until timestamptz,
  ADD COLUMN ban_reason text;

ALTER TABLE posts
  ADD COLUMN hidden_at timestamptz,
  ADD COLUMN hidden_reason text,
  ADD COLUMN locked_at timestamptz;

ALTER TABLE comments
  ADD COLUMN hidden_at timestamptz,
  ADD COLUMN hidden_reason text;

-- The feed leaves hidden posts out too.
DROP INDEX posts_feed;
CREATE INDEX posts_feed ON posts (id DESC) WHERE deleted_at IS NULL AND hidden_at IS NULL;

CREATE TABLE reports (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reporter_id     bigint NOT NULL REFERENCES users (id),
  target_type     text NOT NULL CHECK (target_type IN ('post', 'comment')),
  target_id       bigint NOT NULL,
  reason          text NOT NULL
                  CHECK (reason IN ('spam', 'harassment', 'hate', 'misinformation', 'off_topic', 'other')),
  details         text CHECK (length(details) <= 1000),
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz,
  resolved_by     bigint REFERENCES users (id),
  resolution_note text
);
-- One open report per reporter and target: a repeat is a 409, not a pile-on.
CREATE UNIQUE INDEX reports_one_open ON reports (reporter_id, target_type, target_id) WHERE status = 'open';
-- The queue groups by target within a status, oldest first.
CREATE INDEX reports_queue ON reports (status, target_type, target_id, id);
-- A reporter's own list, newest first.
CREATE INDEX reports_by_reporter ON reports (reporter_id, id DESC);

CREATE TABLE blocks (
  blocker_id bigint NOT NULL REFERENCES users (id),
  blocked_id bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id),
  CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);

-- Every moderator action, written in the same transaction as the action. Append-only: the API has no way to
-- change it, and the database refuses to.
CREATE TABLE mod_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor_id    bigint NOT NULL REFERENCES users (id),
  action      text NOT NULL,
  target_type text NOT NULL,
  target_id   bigint NOT NULL,
  reason      text,
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION mod_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'mod_log is append-only';
END $$;

CREATE TRIGGER mod_log_no_change BEFORE UPDATE OR DELETE ON mod_log
  FOR EACH ROW EXECUTE FUNCTION mod_log_is_append_only();
CREATE TRIGGER mod_log_no_truncate BEFORE TRUNCATE ON mod_log
  FOR EACH STATEMENT EXECUTE FUNCTION mod_log_is_append_only();
