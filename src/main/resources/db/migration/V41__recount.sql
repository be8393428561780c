-- One call that counts every count the database keeps for the read routes again from the content, and says how many
-- rows of each it found wrong: the most used tags (V35's tag_counts), RealWorld's total (V38's listed_posts), each
-- member's counts (V39's member_counts), and the report queue's totals (V40's report_targets and
-- report_queue_counts). Triggers keep them as the content changes; a change made with the triggers off (in the
-- replica role, a data-only restore without them, a bulk job that disabled them) leaves them behind without a word.
--
--   SELECT * FROM parley_recount();
--
-- It stops every write to posts, comments and reports while it counts (1.5-2.5 s at 1,000,000 comments, 100,000
-- posts and 50,000 reports on PostgreSQL 15): run it when the site is quiet. A listing's conditions (not deleted,
-- hidden or pending: Visibility.listed) are written out here as in the migrations it repeats. Each row says how many of that table's rows (read as the routes
-- read them: a member's comments above the fold's mark counted in, rows at 0 as none) differed from the count; and
-- every reader's unread count (V18) is counted again when next read. Not repaired: what other triggers make as rows
-- are written (search vectors, the ranks, thread_commenters, a new post's post_activity row) and the threads' comment
-- counts, which Parley's writes keep (docs/RELIABILITY.md).
CREATE FUNCTION parley_recount() RETURNS TABLE (counts text, corrected bigint) LANGUAGE plpgsql
-- Its locks wait at most 10 s for a transaction that holds a table (a session left idle in one would otherwise queue
-- every write behind this call); the temporary tables' notices are not the caller's.
SET lock_timeout = '10s' SET client_min_messages = warning AS $$
DECLARE
  mark bigint;
BEGIN
  -- A transaction of its own: posts changed earlier in it would have their deferred count changes (V35, V38) applied
  -- at its commit, after the recount, a second time.
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'parley_recount() must be called in a transaction of its own, before any write';
  END IF;
  -- Its snapshot must be taken after its locks, as each statement's is in READ COMMITTED: in REPEATABLE READ a
  -- comment committed while the locks were awaited would be left under the new mark, never counted.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'parley_recount() counts in READ COMMITTED only, not %', current_setting('transaction_isolation');
  END IF;
  -- In the order member_counts_recount takes them: the tables first, then the fold's advisory lock, then the kept.
  LOCK TABLE posts, comments, reports IN SHARE ROW EXCLUSIVE MODE;
  PERFORM pg_advisory_xact_lock(123563833845113);
  LOCK TABLE tag_counts, listed_posts, member_counts, member_counts_mark, report_targets IN EXCLUSIVE MODE;
  LOCK TABLE report_queue_counts IN EXCLUSIVE MODE;

  -- What each table says now, as the routes read it.
  DROP TABLE IF EXISTS pg_temp.recount_before_tags, pg_temp.recount_before_listed, pg_temp.recount_before_members,
    pg_temp.recount_before_targets, pg_temp.recount_before_totals;
  mark := (SELECT upto FROM member_counts_mark WHERE only_row);
  CREATE TEMP TABLE recount_before_tags ON COMMIT DROP AS
    SELECT tag, posts FROM tag_counts WHERE posts <> 0;
  CREATE TEMP TABLE recount_before_listed ON COMMIT DROP AS
    SELECT shard, posts FROM listed_posts WHERE posts <> 0;
  CREATE TEMP TABLE recount_before_members ON COMMIT DROP AS
    SELECT COALESCE(m.user_id, a.author_id) AS user_id, COALESCE(m.posts, 0) AS posts,
           COALESCE(m.comments, 0) + COALESCE(a.n, 0) AS comments, COALESCE(m.reports, 0) AS reports
      FROM member_counts m
      FULL JOIN (SELECT c.author_id, count(*) AS n
                   FROM comments c JOIN posts p ON p.id = c.post_id
                  WHERE c.id > mark
                    AND c.deleted_at IS NULL AND c.hidden_at IS NULL AND c.pending_at IS NULL
                    AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL
                  GROUP BY c.author_id) a ON a.author_id = m.user_id;
  CREATE TEMP TABLE recount_before_targets ON COMMIT DROP AS
    SELECT status, target_type, target_id, reports FROM report_targets WHERE reports <> 0;
  CREATE TEMP TABLE recount_before_totals ON COMMIT DROP AS
    SELECT status, sum(targets) AS targets FROM report_queue_counts GROUP BY status HAVING sum(targets) <> 0;

  -- Counted again, as each migration counted them first.
  DELETE FROM tag_counts;
  INSERT INTO tag_counts (tag, posts)
  SELECT t.tag, count(*)
    FROM posts p, unnest(p.tags) AS t(tag)
   WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL AND t.tag IS NOT NULL
   GROUP BY t.tag;
  DELETE FROM listed_posts;
  INSERT INTO listed_posts (shard, posts)
  SELECT id % 64, count(*)
    FROM posts
   WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL
   GROUP BY id % 64;
  PERFORM member_counts_recount();
  PERFORM report_queue_recount();
  -- Each reader's kept unread count (V18) counted again when next read: its epoch moved on.
  UPDATE unread_epoch SET epoch = epoch + 1;

  RETURN QUERY
  SELECT 'tag_counts'::text, count(*)
    FROM pg_temp.recount_before_tags b FULL JOIN tag_counts n USING (tag)
   WHERE COALESCE(b.posts, 0) <> COALESCE(n.posts, 0);
  RETURN QUERY
  SELECT 'listed_posts'::text, count(*)
    FROM pg_temp.recount_before_listed b FULL JOIN listed_posts n USING (shard)
   WHERE COALESCE(b.posts, 0) <> COALESCE(n.posts, 0);
  RETURN QUERY
  SELECT 'member_counts'::text, count(*)
    FROM pg_temp.recount_before_members b FULL JOIN member_counts n USING (user_id)
   WHERE (COALESCE(b.posts, 0), COALESCE(b.comments, 0), COALESCE(b.reports, 0))
         IS DISTINCT FROM (COALESCE(n.posts, 0), COALESCE(n.comments, 0), COALESCE(n.reports, 0));
  RETURN QUERY
  SELECT 'report_targets'::text, count(*)
    FROM pg_temp.recount_before_targets b FULL JOIN report_targets n USING (status, target_type, target_id)
   WHERE COALESCE(b.reports, 0) <> COALESCE(n.reports, 0);
  RETURN QUERY
  SELECT 'report_queue_counts'::text, count(*)
    FROM pg_temp.recount_before_totals b
    FULL JOIN (SELECT status, sum(targets) AS targets FROM report_queue_counts GROUP BY status) n USING (status)
   WHERE COALESCE(b.targets, 0) <> COALESCE(n.targets, 0);
END $$;

-- The fold (V39) with one case more: a note whose transaction id is ahead of this transaction's own comes from
-- another cluster's ids (a logical dump restored into a new cluster, as a major upgrade does); no transaction here
-- can be waited for by it, and the horizon would never pass it, so the fold would never move the mark again. It is
-- dropped, and this fold notes anew.
CREATE OR REPLACE FUNCTION member_counts_fold(most bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  mark member_counts_mark;
  target bigint;
  seen bigint;
  me xid8;
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'member_counts_fold() must be called in a transaction of its own, as its first write';
  END IF;
  -- A change of listing holds it shared for a moment: then it is next time's fold, not a queue behind this one.
  IF NOT pg_try_advisory_xact_lock(123563833845113) THEN
    RETURN 0;
  END IF;
  -- The newest id handed out, then a transaction id of this fold's own: a transaction that drew an id up to `seen`
  -- had its own transaction id before, so below `me`; once every transaction below `me` has ended, none holds one.
  seen := (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM comments_id_seq);
  me := pg_current_xact_id();
  SELECT * INTO mark FROM member_counts_mark FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member_counts_mark has no row: SELECT member_counts_recount() counts every member again';
  END IF;
  IF mark.next_xmax > me THEN
    mark.next_upto := NULL;
  END IF;
  IF mark.next_upto IS NULL OR pg_snapshot_xmin(pg_current_snapshot()) < mark.next_xmax THEN
    target := mark.upto;
  ELSE
    target := LEAST(mark.next_upto, mark.upto + most);
    INSERT INTO member_counts AS m (user_id, comments)
    SELECT c.author_id, count(*)
      FROM comments c JOIN posts p ON p.id = c.post_id
     WHERE c.id > mark.upto AND c.id <= target
       AND c.deleted_at IS NULL AND c.hidden_at IS NULL AND c.pending_at IS NULL
       AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL
     GROUP BY c.author_id
     ORDER BY c.author_id
        ON CONFLICT (user_id) DO UPDATE SET comments = m.comments + EXCLUDED.comments;
  END IF;
  IF target >= COALESCE(mark.next_upto, target) THEN
    UPDATE member_counts_mark SET upto = target, next_upto = GREATEST(seen, target), next_xmax = me;
  ELSE
    UPDATE member_counts_mark SET upto = target;
  END IF;
  RETURN target - mark.upto;
END $$;
