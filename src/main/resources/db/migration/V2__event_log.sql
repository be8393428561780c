-- The event log: every change a reader can see is written here in the same transaction as the change, and
-- published on the event bus only after that transaction commits.

-- Per-topic counters for the topics that promise gap-free replay (parley.post.<id>, parley.user.<id>). Taking the
-- next number locks only that topic's row, so a hot thread serialises its own writes and nothing else.
CREATE TABLE topic_seqs (
  topic          text PRIMARY KEY,
  seq            bigint NOT NULL,
  -- Events up to here have been pruned; a resume from before it gets a resync instead.
  pruned_through bigint NOT NULL DEFAULT 0
);

-- Shared numbering for the busy topics (parley.feed, parley.mod), which every write touches: a sequence takes no
-- lock, and those topics promise resync-by-refetch rather than replay.
CREATE SEQUENCE events_global_seq;

CREATE TABLE events (
  topic     text NOT NULL,
  seq       bigint NOT NULL,
  type      text NOT NULL,
  at        timestamptz NOT NULL DEFAULT now(),
  -- The public JSON exactly as the REST API returns it; json (not jsonb) keeps the text as written.
  data      json NOT NULL,
  -- Whose content the event carries, so delivery can filter per reader (blocks, hidden content).
  author_id bigint,
  PRIMARY KEY (topic, seq)
);
-- Pruning by age.
CREATE INDEX events_at ON events (at);
