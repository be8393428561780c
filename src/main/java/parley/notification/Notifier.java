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
 * own topic ({@code notification.created}, in the same transaction), and only for readers who may see it:
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
 * Never the reader's own action, never someone they blocked, nothing from a muted thread, no kind they turned off,
 * nothing in a thread hidden from them. The cause of each notification is its {@code source} (the event, or the
 * report), unique per reader: processing an event twice makes nothing twice, so {@link #catchUp} may go over events
 * the listener already handled, to make those a crash interrupted between a commit and its notifications.
 */
public final class Notifier {

  private static final Logger log = LoggerFactory.getLogger(Notifier.class);
  /** Mentions in one post or comment that notify (more are still linked). */
  static final int MAX_MENTIONS_NOTIFIED = 10;

  /** Whether a reader wants a kind (no settings row: everything). */
  private static final String WANTS = """
      COALESCE((SELECT CASE r.kind WHEN 'reply' THEN s.replies WHEN 'comment' THEN s.comments
                       WHEN 'mention' THEN s.mentions WHEN 'followed' THEN s.followed
                       WHEN 'moderation' THEN s.moderation ELSE s.reports END
                  FROM notification_settings s WHERE s.user_id = r.user_id), true)""";

  /**
   * Whether reader r may hear of something its actor did in a thread: not their own doing, in a thread everyone may
   * see and r did not mute, by someone r did not block, of a kind r wants.
   */
  private static String inThread(String post, String actor) {
    return """
        r.user_id <> %2$s
         AND EXISTS (SELECT 1 FROM posts p WHERE p.id = %1$s AND %3$s)
         AND NOT EXISTS (SELECT 1 FROM thread_follows m WHERE m.post_id = %1$s AND m.user_id = r.user_id
                         AND NOT m.following)
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = r.user_id AND b.blocked_id = %2$s)
         AND\s""".formatted(post, actor, Visibility.listed("p")) + WANTS;
  }

  /** Who hears of a new comment, each once with the first kind that applies; $1 post, $2 comment, $3 author. */
  private static final String FROM_COMMENT = """
      WITH cand AS (
        SELECT pc.author_id AS user_id, 'reply' AS kind, 1 AS rank
          FROM comments c JOIN comments pc ON pc.id = c.parent_id WHERE c.id = $2
        UNION ALL SELECT unnest($4::bigint[]), 'mention', 2
        UNION ALL SELECT p.author_id, 'comment', 3 FROM posts p WHERE p.id = $1
        -- A follow counts from when it was made, however late the notifier reaches the comment.
        UNION ALL SELECT f.user_id, 'followed', 4 FROM thread_follows f JOIN comments c ON c.id = $2
         WHERE f.post_id = $1 AND f.following AND f.since <= c.created_at
        -- Commenters follow from their first comment on: only comments before this one count.
        UNION ALL SELECT DISTINCT c.author_id, 'followed', 4 FROM comments c WHERE c.post_id = $1 AND c.id < $2
      ), r AS (
        SELECT DISTINCT ON (user_id) user_id, kind FROM cand WHERE user_id IS NOT NULL ORDER BY user_id, rank
      )
      INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id)
      SELECT r.user_id, r.kind, $5, $1, $2, $3 FROM r
       WHERE EXISTS (SELECT 1 FROM comments c WHERE c.id = $2 AND\s""" + Visibility.listed("c") + """
      )
         AND\s""" + inThread("$1", "$3") + """

      ON CONFLICT (user_id, source) DO NOTHING
      RETURNING id, user_id, kind, post_id, comment_id""";

  /** The people a new post mentions; $1 post, $2 author, $3 mentioned. */
  private static final String FROM_POST = """
      WITH r AS (SELECT DISTINCT unnest($3::bigint[]) AS user_id, 'mention' AS kind)
      INSERT INTO notifications (user_id, kind, source, post_id, actor_id)
      SELECT r.user_id, r.kind, $4, $1, $2 FROM r
       WHERE\s""" + inThread("$1", "$2") + """

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

  /** The reporters of settled reports; $1 report ids, $2 the moderator's name, $3 the outcome. */
  private static final String REPORTS = """
      WITH r AS (
        SELECT rp.id AS report_id, rp.reporter_id AS user_id, 'report' AS kind, rp.target_type, rp.target_id,
               CASE rp.target_type WHEN 'post' THEN rp.target_id
                    ELSE (SELECT c.post_id FROM comments c WHERE c.id = rp.target_id) END AS post_id,
               CASE rp.target_type WHEN 'comment' THEN rp.target_id END AS comment_id
          FROM reports rp WHERE rp.id = ANY($1)),
      actor AS (SELECT id FROM users WHERE username = $2)
      INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id, data)
      SELECT r.user_id, r.kind, 'report:' || r.report_id, r.post_id, r.comment_id, (SELECT id FROM actor),
             jsonb_build_object('outcome', $3::text, 'targetType', r.target_type)
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

  /** The event types that may make notifications (the catch-up reads only these). */
  public static final List<String> TYPES = List.of(EventType.COMMENT_CREATED.wireName(),
      EventType.POST_CREATED.wireName(), EventType.REPORT_RESOLVED.wireName(), EventType.COMMENT_HIDDEN.wireName(),
      EventType.COMMENT_RESTORED.wireName(), EventType.POST_HIDDEN.wireName(), EventType.POST_RESTORED.wireName(),
      EventType.POST_LOCKED.wireName(), EventType.POST_UNLOCKED.wireName(), EventType.POST_APPROVED.wireName(),
      EventType.POST_REJECTED.wireName(), EventType.COMMENT_APPROVED.wireName(),
      EventType.COMMENT_REJECTED.wireName());

  /** Claims an event for this notifier: no row back means it was handled before (here, or by the catch-up). */
  private static final String CLAIM = "INSERT INTO notification_sources (source) VALUES ($1) ON CONFLICT DO NOTHING";

  /** Events of a window the notifier has not handled, but for the newest ones, which a notifier is handling now. */
  private static final String UNHANDLED = """
      SELECT topic, seq, type, at, data::text AS data, author_id FROM events e
       WHERE at > now() - make_interval(secs => $1) AND at < now() - make_interval(secs => $3) AND type = ANY($2)
         AND NOT EXISTS (SELECT 1 FROM notification_sources s WHERE s.source = e.topic || ':' || e.seq)
       ORDER BY at, topic, seq""";

  private static final String PRUNE_SOURCES =
      "DELETE FROM notification_sources WHERE handled_at < now() - make_interval(secs => $1)";

  private final io.vertx.core.Vertx vertx;
  private final Pool pool;
  private final EventLog events;

  /** @param events the log its announcements are written to (in the notifications' own transactions) */
  public Notifier(io.vertx.core.Vertx vertx, Pool pool, EventLog events) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
  }

  /**
   * Handles one write's committed events (the commit listener). Writes are handled one at a time, in the order they
   * committed on this node, so a reader's notifications are made in the order of their causes, each write's in one
   * transaction. (Grouping several writes in one transaction was tried and measured far worse: it held the notified
   * users' topic counters while comment writes to the same users waited for them.) A failure is logged and the
   * catch-up makes what it missed. Past {@link #MAX_QUEUED} waiting writes (the database is slower than the writes
   * for a while) new ones are left to the catch-up, so a backlog never costs the node its memory.
   */
  public void committed(List<LiveEvent> batch) {
    List<LiveEvent> relevant = batch.stream().filter(e -> TYPES.contains(e.type())).toList();
    if (relevant.isEmpty()) return;
    synchronized (this) {
      if (waiting.size() >= MAX_QUEUED) {
        log.warn("Notifications are {} writes behind; the catch-up will make this write's", waiting.size());
        return;
      }
      waiting.addLast(relevant);
      if (draining) return;
      draining = true;
    }
    drain();
  }

  /** Writes waiting for their notifications, at most. */
  static final int MAX_QUEUED = 10_000;
  /** Each waiting write's events, oldest first. */
  private final java.util.ArrayDeque<List<LiveEvent>> waiting = new java.util.ArrayDeque<>();
  private final List<io.vertx.core.Promise<Void>> idlers = new ArrayList<>();
  private boolean draining;

  /** Handles the next waiting write, then the next, until none wait. */
  private void drain() {
    List<LiveEvent> group;
    List<io.vertx.core.Promise<Void>> done;
    synchronized (this) {
      group = waiting.isEmpty() ? List.of() : waiting.pollFirst();
      if (group.isEmpty()) {
        draining = false;
        done = List.copyOf(idlers);
        idlers.clear();
      } else {
        done = List.of();
      }
    }
    if (group.isEmpty()) {
      done.forEach(io.vertx.core.Promise::complete);
      return;
    }
    together(group)
        .onFailure(e -> log.warn("Notifications for a write failed (the catch-up will retry): {}", e.toString()))
        // Not from inside the completion: a pool that fails at once (closing) must not grow the stack per write.
        .onComplete(ar -> vertx.runOnContext(v -> drain()));
  }

  /**
   * Handles one write's events in one transaction: their claims and notifications commit together. For a comment
   * that is four round trips (BEGIN with the claim, the notifications, their readers' unread counts, then the
   * announcements with COMMIT; see EventLog), since the notifier makes one write's notifications at a time.
   */
  private Future<Void> together(List<LiveEvent> group) {
    return events.transaction(box -> {
      Future<Void> chain = Future.succeededFuture();
      for (LiveEvent event : group) chain = chain.compose(v -> handleIn(box, event));
      return chain;
    });
  }

  /** Handles events one after the other, each in its own transaction; completes when all are handled. */
  public Future<Void> handle(List<LiveEvent> batch) {
    Future<Void> chain = Future.succeededFuture();
    for (LiveEvent event : batch) chain = chain.compose(v -> handle(event));
    return chain;
  }

  /**
   * Goes over the events committed in a window that no notifier handled (a crash between a commit and its
   * notifications, a database error), and makes their notifications. Run once per cluster, every minute, over the
   * last ten minutes, leaving out the last {@code settle} (those the live path is handling now).
   */
  public Future<Integer> catchUp(Duration window, Duration settle) {
    return pool.preparedQuery(UNHANDLED).execute(Tuple.of((double) window.toSeconds(), TYPES.toArray(String[]::new),
            settle.toMillis() / 1000.0))
        .compose(rows -> {
          List<LiveEvent> found = new ArrayList<>(rows.size());
          for (Row row : rows) {
            found.add(LiveEvent.of(row.getString("topic"), row.getLong("seq"), row.getString("type"),
                parley.http.Iso.format(row.getOffsetDateTime("at")), row.getLong("author_id"), row.getString("data")));
          }
          if (!found.isEmpty()) log.info("Making the notifications of {} events a failure or a crash left out", found.size());
          return handle(found).map(found.size());
        });
  }

  /** Completes when every write committed on this node so far has had its notifications made (for tests). */
  public synchronized Future<Void> idle() {
    if (!draining) return Future.succeededFuture();
    io.vertx.core.Promise<Void> promise = io.vertx.core.Promise.promise();
    idlers.add(promise);
    return promise.future();
  }

  /** Forgets which events were handled, once they are older than any catch-up looks. */
  public static Future<Long> prune(Pool pool, Duration age) {
    return pool.preparedQuery(PRUNE_SOURCES).execute(io.vertx.sqlclient.Tuple.of((double) age.toSeconds()))
        .map(rows -> (long) rows.rowCount());
  }

  /** Handles one event, once: the claim and the notifications commit together or not at all. */
  private Future<Void> handle(LiveEvent event) {
    if (!TYPES.contains(event.type())) return Future.succeededFuture();
    return events.transaction(box -> handleIn(box, event));
  }

  /** Claims the event and makes its notifications in the given transaction; nothing if it was claimed before. */
  private Future<Void> handleIn(EventLog.Outbox box, LiveEvent event) {
    String source = event.topic() + ":" + event.seq();
    return box.connection().preparedQuery(CLAIM).execute(Tuple.of(source))
        .compose(claimed -> claimed.rowCount() == 0 ? Future.<Void>succeededFuture() : notify(box, event, source));
  }

  private Future<Void> notify(EventLog.Outbox box, LiveEvent event, String source) {
    String type = event.type();
    String topic = event.topic();
    JsonObject data = new JsonObject(event.envelope()).getJsonObject("data");
    if (data == null) return Future.succeededFuture();
    if (type.equals(EventType.COMMENT_CREATED.wireName()) && Topics.postOf(topic) != null && event.authorId() != null) {
      long postId = Topics.postOf(topic);
      Long commentId = data.getLong("id");
      String body = data.getString("body");
      if (commentId == null || body == null) return Future.succeededFuture();
      return mentioned(body).compose(mentioned -> write(box, FROM_COMMENT,
          Tuple.of(postId, commentId, event.authorId(), mentioned, source)));
    }
    if (type.equals(EventType.POST_CREATED.wireName()) && Topics.MOD.equals(topic) && event.authorId() != null) {
      String body = data.getString("body");
      Long postId = data.getLong("id");
      if (body == null || postId == null) return Future.succeededFuture();
      return mentioned(body).compose(mentioned -> mentioned.length == 0 ? Future.succeededFuture()
          : write(box, FROM_POST, Tuple.of(postId, event.authorId(), mentioned, source)));
    }
    if (MODERATION_TYPES.contains(type) && Topics.userOf(topic) != null) {
      boolean comment = type.startsWith("comment.");
      Long id = data.getLong("id");
      if (id == null) return Future.succeededFuture();
      Long postId = comment ? data.getLong("postId") : id;
      JsonObject detail = new JsonObject().put("action", type);
      if (data.getString("reason") != null) detail.put("reason", data.getString("reason"));
      return write(box, MODERATION, Tuple.of(Topics.userOf(topic), postId, comment ? id : null, type,
          comment ? "comment" : "post", id, detail.encode(), source));
    }
    if (Topics.MOD.equals(topic) && type.equals(EventType.REPORT_RESOLVED.wireName())) {
      JsonObject by = data.getJsonObject("resolvedBy");
      return reports(box, data.getJsonArray("reportIds"), by == null ? null : by.getString("username"),
          "hide".equals(data.getString("action")) ? "hidden" : "dismissed");
    }
    if (Topics.MOD.equals(topic) && MODERATION_TYPES.contains(type) && type.endsWith(".hidden")) {
      // A moderator hid reported content from the thread: the reports on it were settled by that.
      JsonObject details = data.getJsonObject("details");
      JsonObject actor = data.getJsonObject("actor");
      return reports(box, details == null ? null : details.getJsonArray("reportIds"),
          actor == null ? null : actor.getString("username"), "hidden");
    }
    return Future.succeededFuture();
  }

  private Future<Void> reports(EventLog.Outbox box, JsonArray ids, String moderator, String outcome) {
    if (ids == null || ids.isEmpty()) return Future.succeededFuture();
    Long[] reportIds = ids.stream().map(id -> ((Number) id).longValue()).toArray(Long[]::new);
    return write(box, REPORTS, Tuple.of(reportIds, moderator, outcome));
  }

  /** The first ten accounts a text mentions, as ids. */
  private Future<Long[]> mentioned(String body) {
    return Mentions.mentioned(pool, body).map(found -> found.values().stream()
        .limit(MAX_MENTIONS_NOTIFIED).map(Mentions.Mentioned::id).toArray(Long[]::new));
  }

  /** Makes the notifications and announces each on its reader's topic, with their unread count. */
  private Future<Void> write(EventLog.Outbox box, String statement, Tuple args) {
    SqlConnection conn = box.connection();
    return conn.preparedQuery(statement).execute(args).compose(made -> announce(box, made));
  }

  private Future<Void> announce(EventLog.Outbox box, RowSet<Row> made) {
    if (made.size() == 0) return Future.succeededFuture();
    List<Long> users = new ArrayList<>();
    made.forEach(row -> users.add(row.getLong("user_id")));
    return Notifications.unread(box.connection(), users).compose(unread -> {
      List<Publication> out = new ArrayList<>();
      for (Row row : made) {
        long user = row.getLong("user_id");
        JsonObject data = new JsonObject().put("id", row.getLong("id")).put("kind", row.getString("kind"))
            .put("postId", row.getLong("post_id")).put("commentId", row.getLong("comment_id"))
            .put("unread", unread.getOrDefault(user, 0L));
        out.add(Publication.of(EventType.NOTIFICATION_CREATED, null, data).toUsers(List.of(user)));
      }
      // Not awaited: the transaction sends COMMIT right behind the announcements and waits for them itself.
      box.publish(out.toArray(Publication[]::new));
      return Future.<Void>succeededFuture();
    });
  }
}
