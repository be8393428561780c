-- Signed webhooks (parley.webhook): endpoints an admin registers, a commit-ordered position over the public part of
-- the event log, and a log of delivery attempts. See docs/WEBHOOKS.md.

-- The transaction that wrote each event. Events are numbered per topic (threads) or by a shared sequence (feed and
-- mod) whose numbers can commit out of order, so neither is a total order of commits. A transaction id below the
-- oldest running one (pg_snapshot_xmin) belongs to a finished transaction, which is what lets the webhook sealer
-- number committed events once and in an order nothing committed later can precede. Older events keep NULL: no
-- endpoint existed when they were written.
ALTER TABLE events ADD COLUMN xid xid8;
ALTER TABLE events ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
-- Only the public topics (threads and the feed) are ever sent, so only they are indexed.
CREATE INDEX events_public_xid ON events (xid) WHERE topic NOT LIKE 'parley.user.%' AND topic <> 'parley.mod';

-- The delivery order: each committed public event gets the next position once, by one sealer at a time, in an
-- order that keeps every topic's own seq order. Positions only grow, and a batch of them commits at once, so a
-- cursor "delivered up to position N" never has anything committed appear below it later.
CREATE SEQUENCE webhook_position_seq;
CREATE TABLE webhook_positions (
  position  bigint PRIMARY KEY,
  topic     text NOT NULL,
  seq       bigint NOT NULL,
  sealed_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (topic, seq)
);
CREATE INDEX webhook_positions_sealed ON webhook_positions (sealed_at);

-- The sealer's progress: every committed public event of a transaction below this horizon has its position. One
-- row, locked by whichever node seals (FOR UPDATE SKIP LOCKED), so two nodes never seal at once.
CREATE TABLE webhook_sealer (
  id      int PRIMARY KEY CHECK (id = 1),
  horizon xid8 NOT NULL
);
INSERT INTO webhook_sealer VALUES (1, pg_snapshot_xmin(pg_current_snapshot()));

CREATE TABLE webhooks (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url             text NOT NULL CHECK (length(url) <= 2000),
  event_types     text[] NOT NULL,
  -- whsec_<base64>: needed in clear to sign; never shown again after creation.
  secret          text NOT NULL,
  description     text CHECK (length(description) <= 500),
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failing')),
  -- The last position delivered (with a 2xx) or passed over (not one of its types); only moves forward by delivery.
  cursor          bigint NOT NULL,
  -- The retry streak of the event after the cursor.
  attempts        int NOT NULL DEFAULT 0,
  failing_since   timestamptz,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  -- Which node delivers to it now, and until when: one node at a time per endpoint.
  lease_owner     text,
  lease_until     timestamptz,
  created_by      bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE status = 'active';

-- Every attempt, kept for PARLEY_WEBHOOKS_LOG_RETENTION and at most the newest 1000 per endpoint.
CREATE TABLE webhook_deliveries (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id  bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  position    bigint NOT NULL,
  message_id  text NOT NULL,
  event_type  text NOT NULL,
  topic       text NOT NULL,
  seq         bigint NOT NULL,
  attempt     int NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
  status_code int,
  latency_ms  int,
  error       text,
  redelivery  boolean NOT NULL DEFAULT false,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at);
