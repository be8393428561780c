-- The nodes serving from this database, each row freshened by its node every 10 s and deleted when it stops
-- (parley.cluster.NodeRoster): how a node learns that another writes here without sharing its event bus (one
-- started without PARLEY_CLUSTER, or with another PARLEY_CLUSTER_NAME), whose writes its live readers and read
-- cache then never hear of. Unlogged: a crash empties it, and the next beats fill it again; rows a killed node left
-- are read as stopped (their seen_at does not move) and deleted by the next node to start a day or more later.
CREATE UNLOGGED TABLE node_roster (
  id         text PRIMARY KEY,
  cluster    text,
  address    text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at    timestamptz NOT NULL DEFAULT now()
);
