-- Periodic jobs (event and idempotency-key pruning) run once per cluster, not once per node: a node runs a job
-- only when it moves the job's last_run forward, which one node at a time can do (see parley.Jobs).
CREATE TABLE jobs (
  name     text PRIMARY KEY,
  last_run timestamptz NOT NULL
);
