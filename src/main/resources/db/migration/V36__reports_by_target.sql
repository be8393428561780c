-- Every report on one post or comment, whatever its status: a moderator's view of a member counts the reports on
-- all of that member's posts and comments (Review.USER). The only index on a report's target began with its status
-- (reports_queue), so the count read every report there was and every post beside it: 0.5-1.3 s for any member at
-- 50,000 reports on PostgreSQL 15 (docs/benchmarks/reads-at-scale.md). With this it probes each of the member's posts
-- and comments. Reports are written one at a time and seldom; the index costs them little.
SET LOCAL lock_timeout = '10s';
CREATE INDEX reports_by_target ON reports (target_type, target_id);
