-- The report queue's pages (Reports.queue): the reports of one status oldest first, from which a page keeps each
-- target's earliest. The only index that began with the status (reports_queue) orders them by target, so a page of
-- the queue grouped every report the status held and sorted the groups: 53-71 ms for the dismissed tab at 45,000
-- reports on PostgreSQL 15, growing with every report ever closed (docs/benchmarks/reads-at-scale.md). With these a
-- page reads about a page of reports.
--
-- One index per status, on the id alone, rather than one on (status, id): a report's statuses lie mixed through the
-- table, so PostgreSQL costs a (status, id) index as a random walk and preferred the primary key, testing each
-- report's status, which for the open tab walks through every report closed since the site began. An index per
-- status follows the table's own order. Each report is in exactly one of them, so together they are the size of one.
--
-- A page for one reason starts from that reason's reports in the status (reports_by_reason), and the queue's total
-- for a reason counts its targets from that index alone. Reports are written one at a time and seldom; the indexes
-- cost them little.
--
-- Built inside the migration's transaction: until it commits, no report is filed or closed (a hide or a dismissal
-- waits), which at this table's size is a moment. It waits at most 10 s for a transaction that holds the table (the
-- node's start then fails, saying so, rather than queueing every report behind the wait).
SET LOCAL lock_timeout = '10s';
CREATE INDEX reports_open_by_id ON reports (id) WHERE status = 'open';
CREATE INDEX reports_dismissed_by_id ON reports (id) WHERE status = 'dismissed';
CREATE INDEX reports_actioned_by_id ON reports (id) WHERE status = 'actioned';
CREATE INDEX reports_by_reason ON reports (status, reason, target_type, target_id);
