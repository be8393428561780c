-- The report queue's totals (Reports.QUEUE_SIZE: how many targets each status holds, the dashboard's count and its
-- tabs' titles), kept as reports change instead of counted from every report of the status on every page: 19-39 ms
-- for the dismissed tab at 45,000 reports on PostgreSQL 15, growing with every report ever closed
-- (docs/benchmarks/reads-at-scale.md).
--
--   report_targets       each target's reports in each status (a row while it has any): a report filed, closed,
--                        deleted or moved by hand changes its target's row, and a row's first report or its last one
--                        gone changes the status's total by one;
--   report_queue_counts  the totals, as changes of one (+1, -1) appended by the trigger below and summed by the
--                        reader; the job compact-report-queue-counts sums them into one row a status once a minute.
--
-- Why appended, not one row a status updated in place: that row would be held by every transaction that files or
-- closes a report until it commits, so a moderator's hide (which takes its thread's and its readers' rows first) and
-- an edit filing Parley's screening report (which takes them after) could each wait for the other.
-- Appending takes no lock. The target's row is the only one a change waits for, and only a change of the same
-- target's reports waits for it, holding the reports rows its own statement changed (which such a change would wait
-- for anyway). Keys are taken in order, so two statements changing several targets cannot wait for each other.
--
-- Why exact: a target's row is updated by INSERT ... ON CONFLICT DO UPDATE, which in READ COMMITTED (as Parley
-- writes) adds to the row as the last transaction to change it committed it, waiting for one still running; so the
-- count it returns is the target's reports in that status with this statement's change, and the count less the
-- change is what it had before. (A REPEATABLE READ transaction whose snapshot misses that last change is refused
-- with a serialization failure, not miscounted.)
--
-- It waits at most 10 s for a transaction that holds the reports (the node's start then fails, saying so, rather
-- than queueing every report behind the wait); while it counts, no report is filed or closed.
SET LOCAL lock_timeout = '10s';
LOCK TABLE reports IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE report_targets (
  status      text NOT NULL,
  target_type text NOT NULL,
  target_id   bigint NOT NULL,
  reports     bigint NOT NULL,
  PRIMARY KEY (status, target_type, target_id)
);

CREATE TABLE report_queue_counts (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  status  text NOT NULL,
  targets bigint NOT NULL
);

-- The reports a statement moved, as (status, target) changes: each target's row changed by them, then the totals by
-- the targets that gained their first report in a status or lost their last.
CREATE FUNCTION report_queue_move(statuses text[], types text[], ids bigint[], changes bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH moved AS (
         SELECT m.status, m.target_type, m.target_id, sum(m.change) AS change
           FROM unnest(statuses, types, ids, changes) AS m(status, target_type, target_id, change)
          GROUP BY 1, 2, 3 HAVING sum(m.change) <> 0),
       counted AS (
         INSERT INTO report_targets AS t (status, target_type, target_id, reports)
         SELECT status, target_type, target_id, change FROM moved ORDER BY 1, 2, 3
             ON CONFLICT (status, target_type, target_id) DO UPDATE SET reports = t.reports + EXCLUDED.reports
         RETURNING t.status, t.target_type, t.target_id, t.reports)
  INSERT INTO report_queue_counts (status, targets)
  SELECT c.status, sum((c.reports > 0)::int - (c.reports - m.change > 0)::int)
    FROM counted c JOIN moved m USING (status, target_type, target_id)
   GROUP BY c.status HAVING sum((c.reports > 0)::int - (c.reports - m.change > 0)::int) <> 0;
  -- A target with nothing left in a status has no row there (held by this transaction since the update above).
  DELETE FROM report_targets t
   USING (SELECT m.status, m.target_type, m.target_id
            FROM unnest(statuses, types, ids, changes) AS m(status, target_type, target_id, change)
           GROUP BY 1, 2, 3 HAVING sum(m.change) <> 0) m
   WHERE t.status = m.status AND t.target_type = m.target_type AND t.target_id = m.target_id AND t.reports = 0;
END $$;

CREATE FUNCTION report_queue_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_queue_move(array_agg(status), array_agg(target_type), array_agg(target_id), array_agg(1::bigint))
     FROM new_rows;
  RETURN NULL;
END $$;

CREATE FUNCTION report_queue_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_queue_move(array_agg(status), array_agg(target_type), array_agg(target_id), array_agg(-1::bigint))
     FROM old_rows;
  RETURN NULL;
END $$;

-- Most updates (a resolution's note, a deleted reporter's details) move nothing: their changes sum to none.
CREATE FUNCTION report_queue_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_queue_move(array_agg(status), array_agg(target_type), array_agg(target_id), array_agg(change))
     FROM (SELECT status, target_type, target_id, -1::bigint AS change FROM old_rows
           UNION ALL
           SELECT status, target_type, target_id, 1::bigint FROM new_rows) m;
  RETURN NULL;
END $$;

-- The totals' table locked before it is emptied, as the recount does below: a compaction committing meanwhile would
-- otherwise leave its sum, which the DELETE's snapshot cannot see.
CREATE FUNCTION report_queue_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE report_queue_counts IN EXCLUSIVE MODE;
  DELETE FROM report_targets;
  DELETE FROM report_queue_counts;
  RETURN NULL;
END $$;

CREATE TRIGGER report_queue_inserted AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_queue_inserted();
CREATE TRIGGER report_queue_deleted AFTER DELETE ON reports REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_queue_deleted();
CREATE TRIGGER report_queue_updated AFTER UPDATE ON reports REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_queue_updated();
CREATE TRIGGER report_queue_truncated AFTER TRUNCATE ON reports
  FOR EACH STATEMENT EXECUTE FUNCTION report_queue_truncated();

-- The totals' changes summed into one row a status (those with more than one): the job's work, once a minute. Changes
-- appended meanwhile by transactions still running are not this statement's to delete, and are summed next time.
CREATE FUNCTION report_queue_compact() RETURNS bigint LANGUAGE sql AS $$
  WITH gone AS (DELETE FROM report_queue_counts
                 WHERE status IN (SELECT status FROM report_queue_counts GROUP BY status HAVING count(*) > 1)
                RETURNING status, targets),
       kept AS (INSERT INTO report_queue_counts (status, targets)
                SELECT status, sum(targets) FROM gone GROUP BY status HAVING sum(targets) <> 0 RETURNING 1)
  SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)
$$;

-- Counts every target again, from the reports: for after a change made with the triggers off (a bulk load, a
-- restore of the reports alone). Stops every change to reports while it counts.
CREATE FUNCTION report_queue_recount() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE reports IN SHARE ROW EXCLUSIVE MODE;
  LOCK TABLE report_queue_counts IN EXCLUSIVE MODE;
  DELETE FROM report_targets;
  DELETE FROM report_queue_counts;
  INSERT INTO report_targets (status, target_type, target_id, reports)
  SELECT status, target_type, target_id, count(*) FROM reports GROUP BY 1, 2, 3;
  INSERT INTO report_queue_counts (status, targets) SELECT status, count(*) FROM report_targets GROUP BY status;
END $$;

SELECT report_queue_recount();
