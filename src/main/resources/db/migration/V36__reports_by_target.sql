-- Every report on one post or comment, whatever its status: a moderator's view of a member counts the reports on
-- all of that member's posts and comments (Review.USER). The only full index on a report's target began with its
-- status (reports_queue), so the count read every report there was and every post beside it: 0.4-1.3 s for any
-- member at 50,000 reports on PostgreSQL 15 (docs/benchmarks/reads-at-scale.md). With this it probes each of the
-- member's posts and comments. Reports are written one at a time and seldom; the index costs them little.
--
-- Built inside the migration's transaction: until it commits, no report is filed or closed (a hide or a dismissal
-- waits), which at this table's size is a moment. It waits at most 10 s for a transaction that holds the table (the
-- node's start then fails, saying so, rather than queueing every report behind the wait).
SET LOCAL lock_timeout = '10s';
CREATE INDEX reports_by_target ON reports (target_type, target_id);
