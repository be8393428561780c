-- Revocable tokens: every token carries the version of its user's tokens when it was issued; signing out
-- everywhere or changing the password bumps the version, and every older token stops working at once.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

-- Safe retries: a POST with an Idempotency-Key stores its answer in the same transaction as its change, so a retry
-- of the same key by the same account gets that answer again and creates nothing. Kept at least 24 hours.
CREATE TABLE idempotency_keys (
  user_id      bigint NOT NULL REFERENCES users (id),
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  status       integer NOT NULL,
  location     text,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
-- Pruning by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
