-- Pre-moderation: content held for review is "pending" (pending_at set) until a moderator approves it (pending_at
-- cleared, published as if just posted) or rejects it (deleted_at set, the reason kept for its author). Pending
-- content is listed nowhere; only its author and moderators may read it (parley.access.Visibility).
ALTER TABLE posts
  ADD COLUMN pending_at timestamptz,
  ADD COLUMN pending_reason text,
  ADD COLUMN rejected_reason text;
ALTER TABLE comments
  ADD COLUMN pending_at timestamptz,
  ADD COLUMN pending_reason text,
  ADD COLUMN rejected_reason text;

-- The listed indexes carry the listed rule, now with pending left out too.
DROP INDEX posts_feed;
CREATE INDEX posts_feed ON posts (id DESC) WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL;
DROP INDEX posts_by_author;
CREATE INDEX posts_by_author ON posts (author_id, id DESC)
  WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL;
DROP INDEX comments_by_author;
CREATE INDEX comments_by_author ON comments (author_id, id DESC)
  WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL;
-- The review queue, oldest first.
CREATE INDEX posts_pending ON posts (id) WHERE pending_at IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX comments_pending ON comments (id) WHERE pending_at IS NOT NULL AND deleted_at IS NULL;

-- Moderators' word and pattern list: each entry holds matching content for review or refuses it.
CREATE TABLE mod_filters (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('word', 'pattern')),
  pattern    text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 200),
  action     text NOT NULL CHECK (action IN ('hold', 'refuse')),
  created_by bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mod_filters_unique ON mod_filters (kind, lower(pattern));

-- Moderators' private notes on a user.
CREATE TABLE user_notes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  author_id  bigint NOT NULL REFERENCES users (id),
  body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_notes_by_user ON user_notes (user_id, id DESC);

-- A user card counts what moderators took down, and reads the audit log by target.
CREATE INDEX posts_hidden_by_author ON posts (author_id) WHERE hidden_at IS NOT NULL;
CREATE INDEX comments_hidden_by_author ON comments (author_id) WHERE hidden_at IS NOT NULL;
CREATE INDEX mod_log_target ON mod_log (target_type, target_id);
