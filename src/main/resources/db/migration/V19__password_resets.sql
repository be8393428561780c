-- One-time password reset links, issued by an admin for a user who cannot sign in (Parley sends no email). The
-- token is shown once, to the admin who issued it, and kept here only as its SHA-256: a copy of the database holds
-- no usable link. One link per user (a new one replaces the last); using a link deletes it. An expired one is
-- refused and stays, a hash of no use, until the user's next link replaces it.
CREATE TABLE password_resets (
  token_hash bytea PRIMARY KEY,
  user_id    bigint NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
  issued_by  bigint REFERENCES users (id) ON DELETE SET NULL,
  issued_at  timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
