-- A member may delete their account (POST /api/me/delete, parley.deletion.AccountDeletion). The row stays, so that
-- the tombstones of their comments, the votes they cast and the reports they filed keep their references, but it
-- names no one: no username, no address, no password, no bio or image. deleted_at says when, and marks the account
-- for the job that finishes erasing what it wrote should the request itself be cut off; content_erased_at says that
-- erasing finished.
ALTER TABLE users ADD COLUMN deleted_at timestamptz, ADD COLUMN content_erased_at timestamptz;
ALTER TABLE users ALTER COLUMN username DROP NOT NULL,
                  ALTER COLUMN email DROP NOT NULL,
                  ALTER COLUMN email_key DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_named_until_deleted CHECK (
  (deleted_at IS NULL) = (username IS NOT NULL) AND (deleted_at IS NULL) = (email IS NOT NULL)
  AND (deleted_at IS NULL) = (email_key IS NOT NULL));
CREATE INDEX users_deleted ON users (id) WHERE deleted_at IS NOT NULL;

-- The name a deleted account had is held for 30 days, as a renamed one is (V27): found by the deletion's audit
-- entry (action 'user.deleted', details.from).
CREATE INDEX mod_log_deleted_from ON mod_log (lower(details ->> 'from'), created_at) WHERE action = 'user.deleted';
