-- Accounts, posts and threaded comments. Every list the API serves has an index in its order below.

CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_-]{3,30}$'),
  email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  role          text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now()
);
-- Usernames and emails are unique ignoring case; login looks both up through these.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE posts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id     bigint NOT NULL REFERENCES users (id),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body          text NOT NULL,
  body_html     text NOT NULL,
  excerpt       text NOT NULL,
  sources       text[] NOT NULL DEFAULT '{}',
  -- Live (not deleted) comments; kept exact by the same transaction that adds or removes one.
  comment_count integer NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  edited_at     timestamptz,
  deleted_at    timestamptz
);
-- The feed: newest first, deleted posts left out.
CREATE INDEX posts_feed ON posts (id DESC) WHERE deleted_at IS NULL;
-- A profile's posts and its post count.
CREATE INDEX posts_by_author ON posts (author_id, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE comments (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  post_id     bigint NOT NULL REFERENCES posts (id),
  parent_id   bigint REFERENCES comments (id),
  author_id   bigint NOT NULL REFERENCES users (id),
  body        text NOT NULL,
  body_html   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  edited_at   timestamptz,
  -- A deleted comment stays as a tombstone so replies keep their place; its body is erased.
  deleted_at  timestamptz
);
-- A thread, oldest first.
CREATE INDEX comments_thread ON comments (post_id, id);
-- A profile's comments and its comment count.
CREATE INDEX comments_by_author ON comments (author_id, id DESC) WHERE deleted_at IS NULL;
-- Foreign-key lookups for replies.
CREATE INDEX comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;
