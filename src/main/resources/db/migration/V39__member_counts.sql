-- What a member has on show, kept as their content changes, for their profile (GET /api/users/{name}) and a
-- moderator's card of them (GET /api/mod/users/{name}). Both counted the member's content on every request: the
-- profile each listed comment and then its post (was the thread listed too?), the card each post and comment and then
-- its reports. That grew with what the member wrote: for a member with 20,000 comments, 113 ms at the median and up to
-- 768 ms for the profile, 93 ms and up to 281 ms for the card, on PostgreSQL 15 (docs/benchmarks/reads-at-scale.md).
--
--   posts     their listed posts (not deleted, hidden or pending: Visibility.listed), kept as posts change;
--   comments  their listed comments in listed threads (what their profile's list of comments shows), counted up to
--             member_counts_mark.upto: a reader adds the member's listed comments above it (MemberCounts.java);
--   reports   the reports filed against their posts and comments, in any status, whatever became of the content.
--
-- A new state of content must be added here too, as in V35 and V38.
--
-- New comments are not counted as they are written: a row per member per group of comments cost the comment writer's
-- group about 1.3 ms of its 15 (10-15 % fewer comments a second in P5's community shape, measured with a trigger that
-- did). A job (member_counts_fold, once a minute on one node) counts them in later, up to an id below which every
-- comment has committed or rolled back; until then a reader counts them itself, through comments_by_author from the
-- mark: the last minute or two of the member's comments.
--
-- Why the counts stay exact:
-- * Every write that changes a comment's listing (a hide, a restore, an approval, a rejection, a delete) holds its
--   thread's post row locked first (Threads.java), and a change of a post's listing is an UPDATE of that row: a
--   thread's listing and its comments' never change at once, and each trigger below reads the other side as it stands.
-- * A change of listing counts only the comments at or below the mark (those above are the readers' to count), and
--   holds the advisory lock 123563833845113 shared while it reads the mark and counts; the fold holds it alone while it
--   counts and moves the mark. So a change either finishes before the fold counts, or sees the mark it moved.
-- * The fold moves the mark only to ids no running transaction may still hold. Each fold notes the newest id handed
--   out, then takes a transaction id of its own; a later fold counts up to the noted id once every transaction with
--   a smaller transaction id than that has ended. A transaction draws a comment's id only after it has its own
--   transaction id: Parley's writes lock the thread's post row first, and a statement trigger gives any other INSERT
--   one. (pg_snapshot_xmax would not do: transactions above it may be running.) An INSERT by hand with ids of its
--   own (OVERRIDING SYSTEM VALUE, or drawn in an earlier statement) is not covered: call member_counts_recount() after.
-- Every lock this migration takes waits at most 10 s for a transaction that holds it (the node's start then fails,
-- saying so, rather than queueing every write behind the wait): the first is users' (the reference below).
SET LOCAL lock_timeout = '10s';

CREATE TABLE member_counts (
  user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  posts    bigint NOT NULL DEFAULT 0,
  comments bigint NOT NULL DEFAULT 0,
  reports  bigint NOT NULL DEFAULT 0
);

-- upto: comments with ids up to it are in member_counts.comments. next_upto, next_xmax: the next fold's limit, usable
-- once every transaction id below next_xmax has ended.
CREATE TABLE member_counts_mark (
  only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  upto      bigint NOT NULL,
  next_upto bigint,
  next_xmax xid8
);

-- Before any row of an INSERT into comments takes its id, the transaction has its own id (see above). Parley's own
-- writes have one by then (they lock the thread's post row first), and the trigger's condition spares them the call.
CREATE FUNCTION member_counts_comment_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN NULL;
END $$;

-- A comment listed or taken away, at or below the mark, while its thread is listed; or deleted outright by hand
-- (Parley never does), with the reports on it.
CREATE FUNCTION member_counts_comment_listing() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  change int := 0;
  reported bigint := 0;
BEGIN
  IF OLD.deleted_at IS NULL AND OLD.hidden_at IS NULL AND OLD.pending_at IS NULL THEN
    change := change - 1;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.deleted_at IS NULL AND NEW.hidden_at IS NULL AND NEW.pending_at IS NULL THEN
    change := change + 1;
  END IF;
  IF change <> 0 THEN
    PERFORM pg_advisory_xact_lock_shared(123563833845113);
    IF OLD.id > (SELECT upto FROM member_counts_mark)
       OR NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = OLD.post_id
                         AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL) THEN
      change := 0;
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    SELECT count(*) INTO reported FROM reports r WHERE r.target_type = 'comment' AND r.target_id = OLD.id;
  END IF;
  IF change <> 0 OR reported <> 0 THEN
    INSERT INTO member_counts AS m (user_id, comments, reports) VALUES (OLD.author_id, change, -reported)
        ON CONFLICT (user_id) DO UPDATE SET comments = m.comments + EXCLUDED.comments,
                                            reports = m.reports + EXCLUDED.reports;
  END IF;
  RETURN NULL;
END $$;

-- A post listed or taken away: its author's posts, and every listed comment in it at or below the mark, each for its
-- own author. Or a post deleted outright by hand (after its comments: they refer to it), with the reports on it.
CREATE FUNCTION member_counts_post_listing() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  change int := 0;
  reported bigint := 0;
  the_post bigint;
  the_author bigint;
  counted_upto bigint := 0;
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL AND OLD.hidden_at IS NULL AND OLD.pending_at IS NULL THEN
    change := change - 1;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL AND NEW.hidden_at IS NULL AND NEW.pending_at IS NULL THEN
    change := change + 1;
  END IF;
  IF TG_OP = 'DELETE' THEN
    the_post := OLD.id;
    the_author := OLD.author_id;
    SELECT count(*) INTO reported FROM reports r WHERE r.target_type = 'post' AND r.target_id = OLD.id;
  ELSE
    the_post := NEW.id;
    the_author := NEW.author_id;
  END IF;
  IF change = 0 AND reported = 0 THEN
    RETURN NULL;
  END IF;
  IF change <> 0 AND TG_OP <> 'INSERT' THEN
    PERFORM pg_advisory_xact_lock_shared(123563833845113);
    counted_upto := (SELECT upto FROM member_counts_mark);
  END IF;
  INSERT INTO member_counts AS m (user_id, posts, comments, reports)
  SELECT who, sum(p), sum(c), sum(r)
    FROM (SELECT the_author AS who, change AS p, 0 AS c, -reported AS r
          UNION ALL
          SELECT k.author_id, 0, change * count(*), 0
            FROM comments k
           WHERE k.post_id = the_post AND k.id <= counted_upto
             AND k.deleted_at IS NULL AND k.hidden_at IS NULL AND k.pending_at IS NULL
           GROUP BY k.author_id) x
   GROUP BY who
   ORDER BY who
      ON CONFLICT (user_id) DO UPDATE SET posts = m.posts + EXCLUDED.posts, comments = m.comments + EXCLUDED.comments,
                                          reports = m.reports + EXCLUDED.reports;
  RETURN NULL;
END $$;

-- A report filed (or deleted by hand): its target's author.
CREATE FUNCTION member_counts_reports() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r reports;
  change int;
BEGIN
  IF TG_OP = 'INSERT' THEN
    r := NEW;
    change := 1;
  ELSE
    r := OLD;
    change := -1;
  END IF;
  INSERT INTO member_counts AS m (user_id, reports)
  SELECT t.author_id, change
    FROM (SELECT p.author_id FROM posts p WHERE r.target_type = 'post' AND p.id = r.target_id
          UNION ALL
          SELECT c.author_id FROM comments c WHERE r.target_type = 'comment' AND c.id = r.target_id) t
      ON CONFLICT (user_id) DO UPDATE SET reports = m.reports + EXCLUDED.reports;
  RETURN NULL;
END $$;

-- Counts in the comments the last fold noted, if every transaction that could still hold one of their ids has ended,
-- at most `most` of them (the rest next time); then notes the newest id handed out for the next fold. Returns the
-- comments' ids it covered (0: nothing to do yet, or a change of listing under way). Its own transaction: called
-- alone (the job, once a minute on one node), but safe on several at once.
CREATE FUNCTION member_counts_fold(most bigint) RETURNS bigint LANGUAGE plpgsql AS $$
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

-- Every member's counts from their content: the first count below, and after a bulk change made with the triggers
-- disabled. Stops every write to posts, comments and reports while it counts, so every comment up to the new mark
-- has committed.
CREATE FUNCTION member_counts_recount() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  new_upto bigint;
BEGIN
  -- The tables first: a change of listing holds one of them before it takes the advisory lock shared.
  LOCK TABLE posts, comments, reports IN SHARE ROW EXCLUSIVE MODE;
  PERFORM pg_advisory_xact_lock(123563833845113);
  LOCK TABLE member_counts, member_counts_mark IN EXCLUSIVE MODE;
  new_upto := (SELECT COALESCE(max(id), 0) FROM comments);
  DELETE FROM member_counts;
  DELETE FROM member_counts_mark;
  INSERT INTO member_counts_mark (upto) VALUES (new_upto);
  INSERT INTO member_counts (user_id, posts, comments, reports)
  SELECT who, sum(p), sum(c), sum(r)
    FROM (SELECT author_id AS who, count(*) AS p, 0 AS c, 0 AS r
            FROM posts
           WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL
           GROUP BY author_id
          UNION ALL
          SELECT k.author_id, 0, count(*), 0
            FROM comments k JOIN posts p ON p.id = k.post_id
           WHERE k.id <= new_upto
             AND k.deleted_at IS NULL AND k.hidden_at IS NULL AND k.pending_at IS NULL
             AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL
           GROUP BY k.author_id
          UNION ALL
          SELECT p.author_id, 0, 0, count(*)
            FROM reports r JOIN posts p ON r.target_type = 'post' AND p.id = r.target_id
           GROUP BY p.author_id
          UNION ALL
          SELECT k.author_id, 0, 0, count(*)
            FROM reports r JOIN comments k ON r.target_type = 'comment' AND k.id = r.target_id
           GROUP BY k.author_id) x
   GROUP BY who;
END $$;

-- The tables' locks first (in the order Parley's writes take them), then the triggers: this locks out every write to
-- posts, comments and reports until this migration commits, so the count below sees every row and misses none
-- written meanwhile.
LOCK TABLE posts, comments, reports IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER member_counts_comment_ids BEFORE INSERT ON comments
  FOR EACH STATEMENT WHEN (pg_current_xact_id_if_assigned() IS NULL) EXECUTE FUNCTION member_counts_comment_ids();
CREATE TRIGGER member_counts_comment_listing AFTER DELETE OR UPDATE OF deleted_at, hidden_at, pending_at ON comments
  FOR EACH ROW EXECUTE FUNCTION member_counts_comment_listing();
CREATE TRIGGER member_counts_post_listing AFTER INSERT OR DELETE OR UPDATE OF deleted_at, hidden_at, pending_at
  ON posts FOR EACH ROW EXECUTE FUNCTION member_counts_post_listing();
CREATE TRIGGER member_counts_reports AFTER INSERT OR DELETE ON reports
  FOR EACH ROW EXECUTE FUNCTION member_counts_reports();

SELECT member_counts_recount();
