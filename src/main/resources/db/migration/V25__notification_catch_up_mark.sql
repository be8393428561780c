-- How far the notifications' catch-up has gone over the event log: every notifying event before `through` has had
-- its notifications made. A run reads from ten minutes before the mark (a transaction that began before it may
-- commit after a run passed it), not from a fixed ten minutes before now: after a node was down for an hour, its
-- first run reads the hour, and the comments it acknowledged before it went down are notified. One row; a missing
-- row reads as "now".
CREATE TABLE notification_catch_up (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  through timestamptz NOT NULL
);
-- Where the fixed window reached until now.
INSERT INTO notification_catch_up (through) VALUES (now() - interval '10 minutes');
