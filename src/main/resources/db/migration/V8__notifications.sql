-- Notifications: what a reader is told about (replies, comments on their posts, mentions, new comments in threads
-- they follow, moderation of their content, outcomes of their reports). Made after the write that causes them
-- commits (parley.notification.Notifier); `source` names that cause, so making them twice makes them once.
CREATE TABLE notifications (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('reply', 'comment', 'mention', 'followed', 'moderation', 'report')),
  source      text NOT NULL,
  post_id     bigint REFERENCES posts (id) ON DELETE CASCADE,
  comment_id  bigint REFERENCES comments (id) ON DELETE CASCADE,
  actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  read_at     timestamptz,
  UNIQUE (user_id, source)
);
-- The inbox, newest first, and the unread count.
CREATE INDEX notifications_inbox ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id, id DESC) WHERE read_at IS NULL;
-- Pruning old read ones.
CREATE INDEX notifications_read ON notifications (read_at) WHERE read_at IS NOT NULL;

-- A reader's choice about a thread: following (true) or muted (false). Without a row, the post's author and
-- everyone who commented follow it.
CREATE TABLE thread_follows (
  user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  post_id   bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  following boolean NOT NULL,
  PRIMARY KEY (post_id, user_id)
);

-- Which kinds a reader wants; without a row, all of them.
CREATE TABLE notification_settings (
  user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  replies    boolean NOT NULL DEFAULT true,
  comments   boolean NOT NULL DEFAULT true,
  mentions   boolean NOT NULL DEFAULT true,
  followed   boolean NOT NULL DEFAULT true,
  moderation boolean NOT NULL DEFAULT true,
  reports    boolean NOT NULL DEFAULT true
);

-- The events the notifier has handled (by "topic:seq"), so the catch-up after a crash handles only the rest.
CREATE TABLE notification_sources (
  source     text PRIMARY KEY,
  handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_sources_handled ON notification_sources (handled_at);
