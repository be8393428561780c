package parley.notification;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.account.Mentions;
import parley.access.Visibility;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.LiveEvent;
import parley.events.Publication;
import parley.events.Topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Makes notifications from committed writes: a commit listener, so no repository knows about notifications. Each
 * event that concerns someone becomes at most one notification per reader, stored and announced on the reader's
 * own topic ({@code notification.created}, one per reader per batch, in the same transaction), and only for readers
 * who may see it:
 *
 * <ul>
 *   <li>a new comment: its parent's author (reply), then the people it mentions (mention, the first ten), then the
 *   post's author (comment), then everyone following the thread (followed); each reader gets the first of these
 *   that applies;</li>
 *   <li>a new post: the people it mentions;</li>
 *   <li>moderation of your content (hidden, restored, locked, unlocked);</li>
 *   <li>the outcome of a report you filed (dismissed, or the content hidden).</li>
 * </ul>
 *
 * Never the reader's own action, never someone they blocked, no mention by someone who blocked them, nothing from a
 * muted thread, no kind they turned off, nothing in a thread hidden from them. The cause of each notification is its
 * {@code source} (the event, or the report), unique per reader: processing an event twice makes nothing twice, so {@link #catchUp} may go over events
 * the listener already handled, to make those a crash interrupted between a commit and its notifications.
 */
public final class Notifier {

  private static final Logger log = LoggerFactory.getLogger(Notifier.class);
  /** Failures repeat for every write while the database is down: a line per 10 s each, with a count. */
  private static final parley.http.ThrottledWarning behind =
      new parley.http.ThrottledWarning(log, java.time.Duration.ofSeconds(10));
  private static final parley.http.ThrottledWarning failed =
      new parley.http.ThrottledWarning(log, java.time.Duration.ofSeconds(10));
  /** Mentions in one post or comment that notify (more are still linked). */
  static final int MAX_MENTIONS_NOTIFIED = 10;

  /** Whether a reader wants a kind (no settings row: everything). */
  private static final String WANTS = """
      COALESCE((SELECT CASE r.kind WHEN 'reply' THEN s.replies WHEN 'comment' THEN s.comments
                       WHEN 'mention' THEN s.mentions WHEN 'followed' THEN s.followed
                       WHEN 'moderation' THEN s.moderation ELSE s.reports END
                  FROM notification_settings s WHERE s.user_id = r.user_id), true)""";

  /**
   * Whether reader r may hear of something its actor did in a thread whose listing was checked already: not their own
   * doing, in a thread r did not mute, by someone r did not block, of a kind r wants.
   */
  private static String forReader(String post, String actor) {
    return """
        r.user_id <> %2$s
         AND NOT EXISTS (SELECT 1 FROM thread_follows m WHERE m.post_id = %1$s AND m.user_id = r.user_id
                         AND NOT m.following)
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = r.user_id AND b.blocked_id = %2$s)
         AND\s""".formatted(post, actor) + WANTS;
  }

  /**
   * Whether a mention by {@code actor} may reach {@code reader}: not when the actor blocked r. A block closes replies both
   * ways, and a mention is one addressed by name; the mentioned could not answer it (a review: the blocker's
   * "@bobby" notified bobby, whose reply was then refused).
   */
  private static String mentionFrom(String actor, String reader) {
    return "NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = " + actor + " AND b.blocked_id = " + reader + ")";
  }

  /** {@link #forReader}, in a thread everyone may see. */
  private static String inThread(String post, String actor) {
    return "EXISTS (SELECT 1 FROM posts p WHERE p.id = " + post + " AND " + Visibility.listed("p") + ")\n AND "
        + forReader(post, actor);
  }

  /**
   * Who hears of each of several new comments, each reader once per comment with the first kind that applies. One
   * row per comment in $1..$4 (post, comment, author, source), in the order they were written; their mentions as
   * pairs of the comment's place in that order (from 1) and the account, $5 and $6. The notifications are made in
   * the comments' order, so a reader's are numbered in the order of their causes. What depends on the comment alone
   * (it and its thread listed, its parent, when it was written) is read once per comment in {@code w}, not once per
   * reader. Public for the plan tests.
   */
  public static final String FROM_COMMENTS = """
      WITH w AS (
        SELECT w.*, c.parent_id, c.created_at
          FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) WITH ORDINALITY
            AS w(post_id, comment_id, actor_id, source, n)
          JOIN comments c ON c.id = w.comment_id AND\s""" + Visibility.listed("c") + """

         WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = w.post_id AND\s""" + Visibility.listed("p") + """
      )
      ), m AS (
        SELECT * FROM unnest($5::bigint[], $6::bigint[]) AS m(n, user_id)
      ), commenters AS (
        -- Commenters follow from their first comment on: one probe per thread of the batch (V17), however long.
        SELECT k.post_id, k.user_id AS author_id, k.first_comment_id AS first
          FROM thread_commenters k WHERE k.post_id IN (SELECT post_id FROM w)
      ), cand AS (
        SELECT w.n, pc.author_id AS user_id, 'reply' AS kind, 1 AS rank
          FROM w JOIN comments pc ON pc.id = w.parent_id
        UNION ALL SELECT m.n, m.user_id, 'mention', 2 FROM m JOIN w USING (n)
         WHERE\s""" + mentionFrom("w.actor_id", "m.user_id") + """
        UNION ALL SELECT w.n, p.author_id, 'comment', 3 FROM w JOIN posts p ON p.id = w.post_id
        -- A follow counts from when it was made, however late the notifier reaches the comment.
        UNION ALL SELECT w.n, f.user_id, 'followed', 4
          FROM w JOIN thread_follows f ON f.post_id = w.post_id AND f.following AND f.since <= w.created_at
        -- Only comments before this one count.
        UNION ALL SELECT w.n, k.author_id, 'followed', 4
          FROM w JOIN commenters k ON k.post_id = w.post_id AND k.first < w.comment_id
      ), r AS (
        SELECT DISTINCT ON (n, user_id) n, user_id, kind FROM cand WHERE user_id IS NOT NULL ORDER BY n, user_id, rank
      )
      INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id)
      SELECT r.user_id, r.kind, w.source, w.post_id, w.comment_id, w.actor_id FROM r JOIN w ON w.n = r.n
       WHERE\s""" + forReader("w.post_id", "w.actor_id") + """

       ORDER BY w.n, r.user_id
      ON CONFLICT (user_id, source) DO NOTHING
      RETURNING id, user_id, kind, post_id, comment_id""";

  /** The people a new post mentions; $1 post, $2 author, $3 mentioned. */
  private static final String FROM_POST = """
      WITH r AS (SELECT DISTINCT unnest($3::bigint[]) AS user_id, 'mention' AS kind)
      INSERT INTO notifications (user_id, kind, source, post_id, actor_id)
      SELECT r.user_id, r.kind, $4, $1, $2 FROM r
       WHERE\s""" + mentionFrom("$2", "r.user_id") + " AND " + inThread("$1", "$2") + """

      ON CONFLICT (user_id, source) DO NOTHING
      RETURNING id, user_id, kind, post_id, comment_id""";

  /**
   * Moderation of the reader's content; the moderator is the one the audit log names for it. $1 reader, $2 post,
   * $3 comment (or null), $4 the action, $5 target type, $6 target id, $7 detail.
   */
  private static final String MODERATION = """
      WITH r AS (SELECT $1::bigint AS user_id, 'moderation' AS kind),
      actor AS (SELECT actor_id FROM mod_log WHERE action = $4 AND target_type = $5 AND target_id = $6
                 ORDER BY id DESC LIMIT 1)
      INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id, data)
      SELECT r.user_id, r.kind, $8, $2, $3, (SELECT actor_id FROM actor), $7::text::jsonb FROM r
       WHERE r.user_id IS DISTINCT FROM (SELECT actor_id FROM actor)
         AND\s""" + WANTS + """

      ON CONFLICT (user_id, source) DO NOTHING
      RETURNING id, user_id, kind, post_id, comment_id""";

  /**
   * The people an edit newly mentions ($1 post, $2 comment, $3 author, $4 mentioned, $5 source): those told of the
   * comment in no way yet (a mention added by an edit, often a forgotten @, was never notified); a mention edited out
   * and back is no news. At most {@link #MAX_MENTIONS_NOTIFIED} for the comment in all, its first text's included, in
   * the text's order: the cap was each text's, so every edit could tell ten more people (a review told twenty with
   * one comment and three edits).
   */
  private static final String FROM_EDITED_COMMENT = """
      WITH r AS (SELECT m.user_id, 'mention' AS kind, min(m.at) AS at
                   FROM unnest($4::bigint[]) WITH ORDINALITY AS m(user_id, at) GROUP BY m.user_id)
      INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id)
      SELECT r.user_id, 'mention', $5, $1, $2, $3 FROM r
       WHERE EXISTS (SELECT 1 FROM comments c WHERE c.id = $2 AND\s""" + Visibility.listed("c") + """
      )
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = r.user_id AND n.comment_id = $2)
         AND\s""" + mentionFrom("$3", "r.user_id") + " AND " + inThread("$1", "$3") + """

       ORDER BY r.at
       LIMIT GREATEST(0, %d - (SELECT count(*) FROM notifications n WHERE n.comment_id = $2 AND n.kind = 'mention'))
      ON CONFLICT (user_id, source) DO NOTHING
      RETURNING id, user_id, kind, post_id, comment_id""".formatted(MAX_MENTIONS_NOTIFIED);

  /** As {@link #FROM_EDITED_COMMENT}, for a post's edit ($1 post, $2 author, $3 mentioned, $4 source). */
  private static final String FROM_EDITED_POST = """
      WITH r AS (SELECT m.user_id, 'mention' AS kind, min(m.at) AS at
                   FROM unnest($3::bigint[]) WITH ORDINALITY AS m(user_id, at) GROUP BY m.user_id)
      INSERT INTO notifications (user_id, kind, source, post_id, actor_id)
      SELECT r.user_id, 'mention', $4, $1, $2 FROM r
       WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = r.user_id AND n.post_id = $1
                           AND n.comment_id IS NULL AND n.kind = 'mention')
         AND\s""" + mentionFrom("$2", "r.user_id") + " AND " + inThread("$1", "$2") + """

       ORDER BY r.at
       LIMIT GREATEST(0, %d - (SELECT count(*) FROM notifications n WHERE n.post_id = $1 AND n.comment_id IS NULL
                                  AND n.kind = 'mention'))
      ON CONFLICT (user_id, source) DO NOTHING
      RETURNING id, user_id, kind, post_id, comment_id""".formatted(MAX_MENTIONS_NOTIFIED);

  /**
   * The reporters of settled reports; $1 report ids, $2 the moderator's name, $3 the outcome, $4 why (Parley's own
   * closes only).
   */
  private static final String REPORTS = """
      WITH r AS (
        SELECT rp.id AS report_id, rp.reporter_id AS user_id, 'report' AS kind, rp.target_type, rp.target_id,
               CASE rp.target_type WHEN 'post' THEN rp.target_id
                    ELSE (SELECT c.post_id FROM comments c WHERE c.id = rp.target_id) END AS post_id,
               CASE rp.target_type WHEN 'comment' THEN rp.target_id END AS comment_id
          FROM reports rp WHERE rp.id = ANY($1) AND rp.reporter_id IS NOT NULL),
      actor AS (SELECT id FROM users WHERE username = $2)
      INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id, data)
      SELECT r.user_id, r.kind, 'report:' || r.report_id, r.post_id, r.comment_id, (SELECT id FROM actor),
             jsonb_strip_nulls(jsonb_build_object('outcome', $3::text, 'targetType', r.target_type, 'why', $4::text))
        FROM r
       WHERE r.user_id IS DISTINCT FROM (SELECT id FROM actor)
         AND\s""" + WANTS + """

      ON CONFLICT (user_id, source) DO NOTHING
      RETURNING id, user_id, kind, post_id, comment_id""";

  /** What happened to an author's content, as the moderation notification says it. */
  private static final Set<String> MODERATION_TYPES = Set.of(
      EventType.COMMENT_HIDDEN.wireName(), EventType.COMMENT_RESTORED.wireName(),
      EventType.POST_HIDDEN.wireName(), EventType.POST_RESTORED.wireName(),
      EventType.POST_LOCKED.wireName(), EventType.POST_UNLOCKED.wireName(),
      EventType.POST_APPROVED.wireName(), EventType.POST_REJECTED.wireName(),
      EventType.COMMENT_APPROVED.wireName(), EventType.COMMENT_REJECTED.wireName());

  /**
   * Deletions, told to the author when a moderator made them: read on the moderators' topic, whose copy carries the
   * audit log's entry of a moderator's deletion of someone else's content (an author's own has none).
   */
  private static final Set<String> DELETIONS = Set.of(EventType.COMMENT_DELETED.wireName(),
      EventType.POST_DELETED.wireName(), EventType.COMMENT_PENDING_DELETED.wireName(),
      EventType.POST_PENDING_DELETED.wireName());

  /** The event types that may make notifications (the catch-up reads only these). */
  public static final List<String> TYPES = List.of(EventType.COMMENT_CREATED.wireName(),
      EventType.COMMENT_DELETED.wireName(), EventType.POST_DELETED.wireName(),
      EventType.COMMENT_PENDING_DELETED.wireName(), EventType.POST_PENDING_DELETED.wireName(),
      EventType.COMMENT_EDITED.wireName(), EventType.POST_EDITED.wireName(), EventType.POST_CREATED.wireName(), EventType.REPORT_RESOLVED.wireName(), EventType.COMMENT_HIDDEN.wireName(),
      EventType.COMMENT_RESTORED.wireName(), EventType.POST_HIDDEN.wireName(), EventType.POST_RESTORED.wireName(),
      EventType.POST_LOCKED.wireName(), EventType.POST_UNLOCKED.wireName(), EventType.POST_APPROVED.wireName(),
      EventType.POST_REJECTED.wireName(), EventType.COMMENT_APPROVED.wireName(),
      EventType.COMMENT_REJECTED.wireName());

  /**
   * Claims events for this notifier, in one order (so two notifiers claiming overlapping events cannot wait for each
   * other in a circle); the rows back are the events claimed now, the rest were handled before (here, by another
   * node, or by the catch-up) or are being handled by a transaction this one waited for.
   */
  private static final String CLAIM = """
      INSERT INTO notification_sources (source)
      SELECT DISTINCT s FROM unnest($1::text[]) AS s ORDER BY s
      ON CONFLICT DO NOTHING
      RETURNING source""";

  /** How far the catch-up has gone (V25); a missing row reads as now. */
  private static final String MARK = "COALESCE((SELECT through FROM notification_catch_up), now())";

  /**
   * Events the notifier has not handled, from a window ($1) before the catch-up's mark (or before now, if that is
   * earlier), but for the newest ones ($3), which a notifier is handling now; oldest first, a page ($4) at a time.
   */
  private static final String UNHANDLED = """
      SELECT topic, seq, type, at, data::text AS data, author_id FROM events e
       WHERE at > least(%s, now()) - make_interval(secs => $1) AND at < now() - make_interval(secs => $3)
         AND type = ANY($2)
         AND (type NOT IN ('comment.created', 'comment.edited') OR topic LIKE 'parley.post.%%')
         AND (type <> 'post.edited' OR topic = 'parley.mod')
         AND (type NOT IN ('comment.deleted', 'post.deleted', 'comment.pending_deleted', 'post.pending_deleted')
              OR topic = 'parley.mod' AND data -> 'entry' IS NOT NULL)
         AND NOT EXISTS (SELECT 1 FROM notification_sources s WHERE s.source = e.topic || ':' || e.seq)
       ORDER BY at, topic, seq
       LIMIT $4""".formatted(MARK);

  /**
   * Moves the mark on: to the last event of a full page ($1), or to where a run that found less than a page read up
   * to ($2 before now). Never back.
   */
  private static final String ADVANCE = """
      INSERT INTO notification_catch_up AS m (id, through)
      VALUES (true, COALESCE($1::timestamptz, now() - make_interval(secs => $2)))
      ON CONFLICT (id) DO UPDATE SET through = greatest(m.through, EXCLUDED.through)""";

  /**
   * Forgets which events were handled once they are older than the retention ($1), but never those the catch-up may
   * still read (an hour before its mark): after a long outage they tell it what was done before the crash.
   */
  private static final String PRUNE_SOURCES = """
      DELETE FROM notification_sources
       WHERE handled_at < least(now() - make_interval(secs => $1), %s - interval '1 hour')""".formatted(MARK);

  /** Events the catch-up reads at once; a run reads up to {@link #CATCH_UP_PAGES} pages. */
  static final int CATCH_UP_PAGE = 2_000;
  static final int CATCH_UP_PAGES = 10;

  /** Writes whose notifications are made in one transaction, at most. */
  static final int MAX_BATCH = 200;
  /** Writes waiting for their notifications, at most. */
  static final int MAX_QUEUED = 10_000;

  private final io.vertx.core.Vertx vertx;
  private final Pool pool;
  private final EventLog events;
  /** Each waiting write's events, oldest first. */
  private final java.util.ArrayDeque<List<LiveEvent>> waiting = new java.util.ArrayDeque<>();
  private final List<io.vertx.core.Promise<Void>> idlers = new ArrayList<>();
  private boolean draining;

  /** @param events the log its announcements are written to (in the notifications' own transactions) */
  public Notifier(io.vertx.core.Vertx vertx, Pool pool, EventLog events) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
  }

  /**
   * Takes one write's committed events (the commit listener). Writes are handled in the order they committed on
   * this node, so a reader's notifications are made in the order of their causes: whatever has waited while the
   * last batch ran (up to {@link #MAX_BATCH} writes) goes in the next one transaction, so a burst of writes costs a
   * few transactions and durable commits, not one each. A failure is logged and the catch-up makes what it missed.
   * Past {@link #MAX_QUEUED} waiting writes (the database is slower than the writes for a while) new ones are left
   * to the catch-up, so a backlog never costs the node its memory.
   */
  public void committed(List<LiveEvent> batch) {
    List<LiveEvent> relevant = batch.stream().filter(Notifier::claimable).toList();
    if (relevant.isEmpty()) return;
    synchronized (this) {
      if (waiting.size() >= MAX_QUEUED) {
        behind.warn("Notifications are {} writes behind; the catch-up will make this write's", waiting.size());
        return;
      }
      behind.recovered();
      waiting.addLast(relevant);
      if (draining) return;
      draining = true;
    }
    drain();
  }

  /**
   * The events this notifier claims: those of a type that may notify, but a new or edited comment only on its
   * thread's topic (its copy for the moderators notifies nobody) and an edited post only on the moderators' (as a
   * new post's mentions are read there: its one copy with the body). The catch-up ({@link #UNHANDLED}) looks for the
   * same ones.
   */
  private static boolean claimable(LiveEvent event) {
    if (!TYPES.contains(event.type())) return false;
    if (event.type().equals(EventType.POST_EDITED.wireName())) return Topics.MOD.equals(event.topic());
    if (DELETIONS.contains(event.type())) return Topics.MOD.equals(event.topic()) && byModerator(event);
    boolean comment = event.type().equals(EventType.COMMENT_CREATED.wireName())
        || event.type().equals(EventType.COMMENT_EDITED.wireName());
    return !comment || Topics.postOf(event.topic()) != null;
  }

  /** Whether a deletion's copy for the moderators carries the audit log's entry: a moderator's deletion. */
  private static boolean byModerator(LiveEvent event) {
    JsonObject data = new JsonObject(event.envelope()).getJsonObject("data");
    return data != null && data.getJsonObject("entry") != null;
  }

  /** Handles the waiting writes, a batch at a time, until none wait. */
  private void drain() {
    List<List<LiveEvent>> writes = new ArrayList<>();
    List<io.vertx.core.Promise<Void>> done;
    synchronized (this) {
      while (writes.size() < MAX_BATCH && !waiting.isEmpty()) writes.add(waiting.pollFirst());
      if (writes.isEmpty()) {
        draining = false;
        done = List.copyOf(idlers);
        idlers.clear();
      } else {
        done = List.of();
      }
    }
    if (writes.isEmpty()) {
      done.forEach(io.vertx.core.Promise::complete);
      return;
    }
    leftToCatchUp(inBatch(writes, null), List.of(), null)
        // Not from inside the completion: a pool that fails at once (closing) must not grow the stack per batch.
        .onComplete(ar -> vertx.runOnContext(v -> drain()));
  }

  /**
   * A failed attempt is logged and counts as done: the catch-up makes what it missed. The catch-up itself collects
   * the events of what failed ({@code failedOut}, else null), so its mark stays before them.
   */
  private static Future<Void> leftToCatchUp(Future<Void> attempt, List<LiveEvent> events,
      List<LiveEvent> failedOut) {
    return attempt.onSuccess(v -> failed.recovered()).recover(e -> {
      failed.warn("Notifications for a write failed (the catch-up will retry): {}", e.toString());
      if (failedOut != null) failedOut.addAll(events);
      return Future.succeededFuture();
    });
  }

  /**
   * Handles the writes in one transaction; if that fails, each write again in its own, so one write that cannot
   * be notified (a reader deleted meanwhile, say) costs only its own notifications (which the catch-up retries),
   * not those of the writes batched with it.
   */
  private Future<Void> inBatch(List<List<LiveEvent>> writes, List<LiveEvent> failedOut) {
    List<LiveEvent> all = new ArrayList<>();
    writes.forEach(all::addAll);
    if (writes.size() == 1) return together(all);
    return together(all).recover(failure -> {
      log.warn("Notifications for a batch of {} writes failed ({}); making them one write at a time", writes.size(),
          failure.toString());
      Future<Void> chain = Future.succeededFuture();
      for (List<LiveEvent> write : writes) {
        chain = chain.compose(v -> leftToCatchUp(together(write), write, failedOut));
      }
      return chain;
    });
  }

  /**
   * Handles events in batches of at most {@link #MAX_BATCH}, each batch in one transaction (one write at a time if
   * its batch fails); completes when all were tried.
   */
  public Future<Void> handle(List<LiveEvent> batch) {
    return handle(batch, null);
  }

  /** As {@link #handle(List)}, collecting the events whose notifications failed in {@code failedOut} (or not: null). */
  private Future<Void> handle(List<LiveEvent> batch, List<LiveEvent> failedOut) {
    List<LiveEvent> relevant = batch.stream().filter(Notifier::claimable).toList();
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < relevant.size(); from += MAX_BATCH) {
      List<LiveEvent> part = relevant.subList(from, Math.min(relevant.size(), from + MAX_BATCH));
      List<List<LiveEvent>> writes = part.stream().map(List::of).toList();
      chain = chain.compose(v -> leftToCatchUp(inBatch(writes, failedOut), part, failedOut));
    }
    return chain;
  }

  /**
   * Goes over the events committed that no notifier handled (a crash between a commit and its notifications, a
   * database error, a backlog left to it), and makes their notifications. Run once per cluster, every minute: it
   * reads from {@code window} before where the last run reached (V25; however long ago that was: a node down for an
   * hour), leaving out the last {@code settle} (those the live path is handling now), and moves that mark on once
   * what it read was handled, but never past an event whose notifications failed: the next runs read it again (an
   * event that always fails holds the mark there, and says so in the log every run).
   */
  public Future<Integer> catchUp(Duration window, Duration settle) {
    return catchUpPage(window, settle, 0, 0);
  }

  private Future<Integer> catchUpPage(Duration window, Duration settle, int page, int made) {
    double settleSeconds = settle.toMillis() / 1000.0;
    return pool.preparedQuery(UNHANDLED).execute(Tuple.of((double) window.toSeconds(), TYPES.toArray(String[]::new),
            settleSeconds, CATCH_UP_PAGE))
        .compose(rows -> {
          List<LiveEvent> found = new ArrayList<>(rows.size());
          java.util.Map<LiveEvent, java.time.OffsetDateTime> at = new java.util.IdentityHashMap<>();
          java.time.OffsetDateTime last = null;
          for (Row row : rows) {
            last = row.getOffsetDateTime("at");
            LiveEvent event = LiveEvent.of(row.getString("topic"), row.getLong("seq"), row.getString("type"),
                parley.http.Iso.format(last), row.getLong("author_id"), row.getString("data"));
            found.add(event);
            at.put(event, last);
          }
          if (!found.isEmpty()) log.info("Making the notifications of {} events a failure or a crash left out", found.size());
          boolean full = found.size() == CATCH_UP_PAGE;
          java.time.OffsetDateTime pageEnd = last;
          List<LiveEvent> failures = new ArrayList<>();
          return handle(found, failures).compose(v -> {
            // The mark goes no further than the oldest event that failed (the next runs read it again), else to the
            // end of a full page, else to where this run read up to.
            java.time.OffsetDateTime oldestFailed = failures.stream().map(at::get).filter(java.util.Objects::nonNull)
                .min(java.util.Comparator.naturalOrder()).orElse(null);
            java.time.OffsetDateTime reached = oldestFailed != null ? oldestFailed : full ? pageEnd : null;
            return pool.preparedQuery(ADVANCE).execute(Tuple.of(reached, settleSeconds))
                .compose(moved -> failures.isEmpty() && full && page + 1 < CATCH_UP_PAGES
                    ? catchUpPage(window, settle, page + 1, made + found.size())
                    : Future.succeededFuture(made + found.size()));
          });
        });
  }

  /** Completes when every write committed on this node so far has had its notifications made (for tests). */
  public synchronized Future<Void> idle() {
    if (!draining) return Future.succeededFuture();
    io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    idlers.add(promise);
    return promise.future();
  }

  /** Forgets which events were handled, once they are older than any catch-up looks (see PRUNE_SOURCES). */
  public static Future<Long> prune(Pool pool, Duration age) {
    return pool.preparedQuery(PRUNE_SOURCES).execute(io.vertx.sqlclient.Tuple.of((double) age.toSeconds()))
        .map(rows -> (long) rows.rowCount());
  }

  /** One event to handle, with its source and the accounts its text mentions (the first ten). */
  private record Item(LiveEvent event, String source, JsonObject data, Long[] mentioned) {
  }

  /**
   * Handles events in one transaction: their claims and notifications commit together or not at all. Four round
   * trips however many writes: BEGIN with the claims; every notification statement at once (the comments' in one
   * statement per run of comments, the rarer kinds one each, in the events' order); the readers' unread counts
   * (kept from their last batch where that still holds); then the counts kept and all the announcements in one
   * statement, with COMMIT (see EventLog). The mentions are looked up before.
   */
  private Future<Void> together(List<LiveEvent> batch) {
    try {
      return inOneTransaction(batch);
    } catch (RuntimeException e) {
      // An event whose data is not what its type promises: a failed batch (redone one write at a time), never an
      // exception out of drain(), which would leave the notifier draining forever.
      return Future.failedFuture(e);
    }
  }

  private Future<Void> inOneTransaction(List<LiveEvent> batch) {
    List<Item> items = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (LiveEvent event : batch) {
      JsonObject data = new JsonObject(event.envelope()).getJsonObject("data");
      items.add(new Item(event, event.topic() + ":" + event.seq(), data, new Long[0]));
      texts.add(data != null && mentions(event) ? data.getString("body") : null);
    }
    return Mentions.mentionedIn(pool, texts).compose(found -> {
      List<Item> withMentions = new ArrayList<>(items.size());
      for (int i = 0; i < items.size(); i++) {
        Item item = items.get(i);
        Long[] ids = found.get(i).values().stream().limit(MAX_MENTIONS_NOTIFIED).map(Mentions.Mentioned::id)
            .toArray(Long[]::new);
        withMentions.add(new Item(item.event(), item.source(), item.data(), ids));
      }
      return events.transaction(box -> {
        // This transaction keeps its readers' unread counts itself (Notifications.unreadAfter): notifications made
        // by anything else mark their readers' kept counts stale (V18).
        box.beforeCommit(box.connection().query("SET LOCAL parley.unread_kept = 'on'").execute());
        return claim(box, withMentions).compose(claimed -> make(box, claimed));
      });
    });
  }

  /** Whether the event's text may mention someone who is then notified (a new comment, a new post). */
  private static boolean mentions(LiveEvent event) {
    String type = event.type();
    boolean comment = type.equals(EventType.COMMENT_CREATED.wireName()) || type.equals(EventType.COMMENT_EDITED.wireName());
    boolean post = type.equals(EventType.POST_CREATED.wireName()) || type.equals(EventType.POST_EDITED.wireName());
    return comment && Topics.postOf(event.topic()) != null || post && Topics.MOD.equals(event.topic());
  }

  /** The items claimed now, in their order; those handled before are left out. */
  private static Future<List<Item>> claim(EventLog.Outbox box, List<Item> items) {
    String[] sources = items.stream().map(Item::source).toArray(String[]::new);
    return box.connection().preparedQuery(CLAIM).execute(Tuple.of((Object) sources)).map(rows -> {
      Set<String> claimed = new java.util.HashSet<>();
      rows.forEach(row -> claimed.add(row.getString("source")));
      List<Item> out = new ArrayList<>();
      for (Item item : items) {
        if (claimed.remove(item.source())) out.add(item);
      }
      return out;
    });
  }

  /** Makes the claimed items' notifications and announces each on its reader's topic, with their unread count. */
  private Future<Void> make(EventLog.Outbox box, List<Item> items) {
    SqlConnection conn = box.connection();
    List<Future<RowSet<Row>>> made = new ArrayList<>();
    List<Item> comments = new ArrayList<>();
    for (Item item : items) {
      if (isComment(item)) {
        comments.add(item);
        continue;
      }
      if (!comments.isEmpty()) {
        made.add(fromComments(conn, comments));
        comments = new ArrayList<>();
      }
      Future<RowSet<Row>> other = notify(conn, item);
      if (other != null) made.add(other);
    }
    if (!comments.isEmpty()) made.add(fromComments(conn, comments));
    if (made.isEmpty()) return Future.succeededFuture();
    // Every statement went out at once; looked at in the order sent, so the first failure is the one reported.
    Future<List<Row>> rows = Future.succeededFuture(new ArrayList<>());
    for (Future<RowSet<Row>> one : made) {
      rows = rows.compose(list -> one.map(set -> {
        set.forEach(list::add);
        return list;
      }));
    }
    return rows.compose(notifications -> announce(box, notifications));
  }

  private static boolean isComment(Item item) {
    return item.event().type().equals(EventType.COMMENT_CREATED.wireName()) && Topics.postOf(item.event().topic()) != null
        && item.event().authorId() != null && item.data() != null && item.data().getLong("id") != null
        && item.data().getString("body") != null;
  }

  /**
   * The notifications of a run of new comments, in one statement, in the order the comments were written: the
   * listener hears of commits from several event loops, so two comments on one thread may reach it out of the order
   * they committed in (which, in one thread, is their ids' order: the post row serialises them).
   */
  private static Future<RowSet<Row>> fromComments(SqlConnection conn, List<Item> run) {
    List<Item> comments = new ArrayList<>(run);
    comments.sort(java.util.Comparator.comparingLong(item -> item.data().getLong("id")));
    int size = comments.size();
    Long[] posts = new Long[size];
    Long[] ids = new Long[size];
    Long[] authors = new Long[size];
    String[] sources = new String[size];
    List<Long> mentionAt = new ArrayList<>();
    List<Long> mentionOf = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      Item item = comments.get(i);
      posts[i] = Topics.postOf(item.event().topic());
      ids[i] = item.data().getLong("id");
      authors[i] = item.event().authorId();
      sources[i] = item.source();
      for (Long user : item.mentioned()) {
        mentionAt.add(i + 1L);
        mentionOf.add(user);
      }
    }
    return conn.preparedQuery(FROM_COMMENTS).execute(Tuple.of(posts, ids, authors, sources,
        mentionAt.toArray(Long[]::new), mentionOf.toArray(Long[]::new)));
  }

  /** The statement making one of the rarer events' notifications, sent now; null when it makes none. */
  private Future<RowSet<Row>> notify(SqlConnection conn, Item item) {
    LiveEvent event = item.event();
    String type = event.type();
    String topic = event.topic();
    JsonObject data = item.data();
    String source = item.source();
    if (data == null) return null;
    if (type.equals(EventType.POST_CREATED.wireName()) && Topics.MOD.equals(topic) && event.authorId() != null) {
      Long postId = data.getLong("id");
      if (data.getString("body") == null || postId == null || item.mentioned().length == 0) return null;
      return conn.preparedQuery(FROM_POST).execute(Tuple.of(postId, event.authorId(), item.mentioned(), source));
    }
    if (item.mentioned().length > 0 && event.authorId() != null && data.getLong("id") != null) {
      if (type.equals(EventType.COMMENT_EDITED.wireName()) && Topics.postOf(topic) != null) {
        return conn.preparedQuery(FROM_EDITED_COMMENT).execute(Tuple.of(Topics.postOf(topic), data.getLong("id"),
            event.authorId(), item.mentioned(), source));
      }
      if (type.equals(EventType.POST_EDITED.wireName()) && Topics.MOD.equals(topic)) {
        return conn.preparedQuery(FROM_EDITED_POST).execute(Tuple.of(data.getLong("id"), event.authorId(),
            item.mentioned(), source));
      }
    }
    if (MODERATION_TYPES.contains(type) && Topics.userOf(topic) != null) {
      boolean comment = type.startsWith("comment.");
      Long id = data.getLong("id");
      if (id == null) return null;
      Long postId = comment ? data.getLong("postId") : id;
      JsonObject detail = new JsonObject().put("action", type);
      if (data.getString("reason") != null) detail.put("reason", data.getString("reason"));
      return conn.preparedQuery(MODERATION).execute(Tuple.of(Topics.userOf(topic), postId, comment ? id : null, type,
          comment ? "comment" : "post", id, detail.encode(), source));
    }
    if (Topics.MOD.equals(topic) && DELETIONS.contains(type)) {
      // A moderator deleted someone else's content: its author is told, as of a hide (they were told nothing, and
      // found it gone).
      Long id = data.getLong("id");
      if (id == null || event.authorId() == null || data.getJsonObject("entry") == null) return null;
      boolean comment = type.startsWith("comment.");
      String action = comment ? "comment.deleted" : "post.deleted";
      return conn.preparedQuery(MODERATION).execute(Tuple.of(event.authorId(), comment ? data.getLong("postId") : id,
          comment ? id : null, action, comment ? "comment" : "post", id,
          new JsonObject().put("action", action).encode(), source));
    }
    if (Topics.MOD.equals(topic) && type.equals(EventType.REPORT_RESOLVED.wireName())) {
      JsonObject by = data.getJsonObject("resolvedBy");
      // Closed by Parley itself (an erased author's content): the reporter is told why, in Parley's own words; a
      // moderator's dismissal stays "dismissed", its note being for moderators.
      boolean automatic = data.getBoolean("automatic", false);
      return reports(conn, data.getJsonArray("reportIds"), by == null ? null : by.getString("username"),
          automatic ? "closed" : "hide".equals(data.getString("action")) ? "hidden" : "dismissed",
          automatic ? data.getString("note") : null);
    }
    if (Topics.MOD.equals(topic) && MODERATION_TYPES.contains(type) && type.endsWith(".hidden")) {
      // A moderator hid reported content from the thread: the reports on it were settled by that.
      JsonObject details = data.getJsonObject("details");
      JsonObject actor = data.getJsonObject("actor");
      return reports(conn, details == null ? null : details.getJsonArray("reportIds"),
          actor == null ? null : actor.getString("username"), "hidden", null);
    }
    return null;
  }

  private static Future<RowSet<Row>> reports(SqlConnection conn, JsonArray ids, String moderator, String outcome,
      String why) {
    if (ids == null || ids.isEmpty()) return null;
    Long[] reportIds = ids.stream().map(id -> ((Number) id).longValue()).toArray(Long[]::new);
    return conn.preparedQuery(REPORTS).execute(Tuple.of(reportIds, moderator, outcome, why));
  }

  /**
   * Announces each notification on its reader's topic, in the order they were made, with the reader's unread count
   * as it was right after that notification (as if each write had been handled alone): the count after the whole
   * batch, less the reader's notifications the batch made after this one. Counts stop at
   * {@link Notifications#UNREAD_COUNTED}: each reader's count after the batch is counted up to that many more than the
   * batch made for them, so every count below it is exact, and one that reached its limit was at the cap all along.
   * A reader's count is kept for their next batch ({@link Notifications#unreadAfter}).
   */
  private Future<Void> announce(EventLog.Outbox box, List<Row> made) {
    if (made.isEmpty()) return Future.succeededFuture();
    List<Row> inOrder = new ArrayList<>(made);
    inOrder.sort(java.util.Comparator.comparingLong(row -> row.getLong("id")));
    java.util.Map<Long, Integer> limits = new java.util.LinkedHashMap<>();
    for (Row row : inOrder) limits.merge(row.getLong("user_id"), Notifications.UNREAD_COUNTED + 1, (a, b) -> a + 1);
    java.util.Map<Long, Integer> madeFor = new java.util.HashMap<>();
    limits.forEach((user, limit) -> madeFor.put(user, limit - Notifications.UNREAD_COUNTED));
    return Notifications.unreadAfter(box, madeFor).compose(unread -> {
      java.util.Map<Long, Long> later = new java.util.HashMap<>();
      long[] counts = new long[inOrder.size()];
      for (int i = inOrder.size() - 1; i >= 0; i--) {
        long user = inOrder.get(i).getLong("user_id");
        long after = later.getOrDefault(user, 0L);
        long total = unread.getOrDefault(user, 0L);
        counts[i] = total >= limits.get(user) ? Notifications.UNREAD_COUNTED
            : Math.min(Notifications.UNREAD_COUNTED, Math.max(0, total - after));
        later.put(user, after + 1);
      }
      // One announcement per reader: the newest notification the batch made for them, as it always was, and when it
      // made several, all of them in "items", each with the count right after it, as it would have heard them one by
      // one (an event row per notification was a third of the batch's rows). A client that knows nothing of items
      // still shows the right count, and a list it reloads on the event has them all.
      java.util.Map<Long, JsonArray> byReader = new java.util.LinkedHashMap<>();
      for (int i = 0; i < inOrder.size(); i++) {
        Row row = inOrder.get(i);
        byReader.computeIfAbsent(row.getLong("user_id"), user -> new JsonArray()).add(new JsonObject()
            .put("id", row.getLong("id")).put("kind", row.getString("kind")).put("postId", row.getLong("post_id"))
            .put("commentId", row.getLong("comment_id")).put("unread", counts[i]));
      }
      List<Publication> out = new ArrayList<>(byReader.size());
      byReader.forEach((user, items) -> {
        JsonObject newest = items.getJsonObject(items.size() - 1).copy();
        if (items.size() > 1) newest.put("items", items);
        out.add(Publication.of(EventType.NOTIFICATION_CREATED, null, newest).toUsers(List.of(user)));
      });
      // Not awaited: the transaction sends COMMIT right behind the announcements and waits for them itself.
      box.publishMany(out);
      return Future.<Void>succeededFuture();
    });
  }
}
