package parley.notification;

import io.vertx.core.Future;
import parley.access.Visibility;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Iso;
import parley.http.Page;
import parley.http.Problem;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A reader's inbox: notifications made after writes commit (by {@link Notifier}), listed newest or unread first,
 * marked read, and counted; which kinds a reader wants; and which threads they follow or muted.
 *
 * <p>What a notification shows is decided when it is read, by the same rules as everything else: a notification
 * about a comment that was since hidden or deleted, in a thread that was hidden, or by someone the reader has since
 * blocked, is left out of the list and the count.
 */
public final class Notifications {

  /**
   * What a reader may see of their notifications now (n: notifications, p: its post, c: its comment; a post or
   * comment deleted by hand is gone, not listed: V21).
   */
  private static final String VISIBLE = """
      (n.kind IN ('moderation', 'report') OR (
         p.id IS NOT NULL AND %s
         AND (n.comment_id IS NULL OR (c.id IS NOT NULL AND %s))
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = n.user_id AND b.blocked_id = n.actor_id)))"""
      .formatted(Visibility.listed("p"), Visibility.listed("c"));

  private static final String FROM = """
        FROM notifications n
        LEFT JOIN posts p ON p.id = n.post_id
        LEFT JOIN comments c ON c.id = n.comment_id
        LEFT JOIN users a ON a.id = n.actor_id
      """;

  /**
   * A notification's actor is who did it, except for what moderators did (a hide, a report settled): "a moderator",
   * never which one, as everywhere else a member looks (a review found the name, which a member who disagrees could
   * take up with that moderator).
   *
   * <p>A notification's post title only while its reader may read the post and has not blocked its author (as a
   * profile's comment list and the reader's own reports give it): a mention in a comment on a blocked author's post
   * named that post (a probe). What a moderator did to the reader's own post names it always, hidden or deleted (a
   * deletion's notification said "your post" with no way to tell which: a review). A comment's words are not shown
   * once its author has deleted their account, as the thread already shows it (a tombstone) before the erasing
   * reaches it (a review).
   */
  private static final String COLUMNS = """
      SELECT n.id, n.kind, n.created_at, n.read_at, n.data::text AS data, n.post_id, n.comment_id,
             CASE WHEN %s AND %s OR n.kind = 'moderation' AND p.author_id = n.user_id THEN p.title END AS title,
             CASE WHEN n.kind <> 'report' AND (c.deleted_at IS NULL AND NOT %s
                       OR n.kind = 'moderation' AND c.rejected_reason IS NOT NULL AND c.author_id = n.user_id)
                  THEN left(c.body, 2000) END AS body,
             CASE WHEN n.kind NOT IN ('moderation', 'report') THEN a.username END AS actor
      """.formatted(Visibility.readableBy("p", "n.user_id", "false"), Visibility.notBlocked("n.user_id", "p.author_id"),
      Visibility.authorDeleted("c.author_id"));

  private static final String NEWEST = COLUMNS + FROM + " WHERE n.user_id = $1 AND " + VISIBLE
      + " AND ($2::bigint IS NULL OR n.id < $2) ORDER BY n.id DESC LIMIT $3";

  /** Unread first (newest first among them), then read: keyset on (read?, id). */
  private static final String UNREAD_FIRST = COLUMNS + FROM + " WHERE n.user_id = $1 AND " + VISIBLE + """
       AND ($2::bigint IS NULL
            OR ((n.read_at IS NOT NULL)::int > $4::int)
            OR ((n.read_at IS NOT NULL)::int = $4::int AND n.id < $2))
     ORDER BY (n.read_at IS NOT NULL), n.id DESC LIMIT $3""";

  /**
   * The unread count counts at most {@value #UNREAD_COUNTED} (the web app shows "99+" past 99, as Discourse caps its
   * own): counting every unread notification of a reader who never reads them grows with their inbox, and the notifier
   * counts again for every batch that notifies them. Readers $1, each counted up to their limit $2, newest first
   * through {@code notifications_unread} (the statement is public for the plan tests).
   */
  public static final int UNREAD_COUNTED = 100;

  public static final String UNREAD = """
      SELECT u.user_id, (SELECT count(*) FROM (
               SELECT 1 FROM notifications n
                 LEFT JOIN posts p ON p.id = n.post_id
                 LEFT JOIN comments c ON c.id = n.comment_id
                WHERE n.user_id = u.user_id AND n.read_at IS NULL AND %s
                ORDER BY n.id DESC LIMIT u.counted) x) AS unread
        FROM unnest($1::bigint[], $2::int[]) AS u(user_id, counted)""".formatted(VISIBLE);

  /**
   * Takes the kept counts' rows of readers $1 (making stale ones for readers who have none) in one order, before
   * their counts are read: a mark read (whose trigger takes the row too) then waits for this transaction, or this
   * one for it, and the count's statement, started after, sees it (V18).
   */
  private static final String KEEP_LOCK = """
      INSERT INTO unread_counts (user_id, unread, epoch)
      SELECT u, 0, -1 FROM unnest($1::bigint[]) AS u ORDER BY u
      ON CONFLICT (user_id) DO UPDATE SET epoch = unread_counts.epoch""";

  /**
   * Readers $1's kept counts where they still hold (kept at the epoch now), and the others counted as {@link #UNREAD}
   * counts, each up to its limit $2; with the epoch now, which the new counts are kept at. Public for the plan tests.
   */
  public static final String UNREAD_KEPT = """
      SELECT u.user_id, COALESCE(e.epoch, -1) AS epoch,
             CASE WHEN k.epoch = e.epoch THEN k.unread END AS kept,
             CASE WHEN k.epoch IS DISTINCT FROM e.epoch THEN (SELECT count(*) FROM (
               SELECT 1 FROM notifications n
                 LEFT JOIN posts p ON p.id = n.post_id
                 LEFT JOIN comments c ON c.id = n.comment_id
                WHERE n.user_id = u.user_id AND n.read_at IS NULL AND %s
                ORDER BY n.id DESC LIMIT u.counted) x) END AS unread
        FROM unnest($1::bigint[], $2::int[]) AS u(user_id, counted)
        LEFT JOIN unread_epoch e ON true
        LEFT JOIN unread_counts k ON k.user_id = u.user_id""".formatted(VISIBLE);

  private static final String KEEP = """
      UPDATE unread_counts k SET unread = v.unread, epoch = $3
        FROM unnest($1::bigint[], $2::int[]) AS v(user_id, unread) WHERE k.user_id = v.user_id""";

  private static final String MARK_READ = """
      UPDATE notifications SET read_at = now()
       WHERE user_id = $1 AND read_at IS NULL AND (id <= $2 OR id = ANY($3))
      RETURNING id""";

  private static final String SETTINGS = "SELECT * FROM notification_settings WHERE user_id = $1";

  private static final String SAVE_SETTINGS = """
      INSERT INTO notification_settings AS s (user_id, replies, comments, mentions, followed, moderation, reports)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (user_id) DO UPDATE SET replies = $2, comments = $3, mentions = $4, followed = $5,
        moderation = $6, reports = $7""";

  /** Whether the reader follows the thread: their choice, or by default if they wrote the post or a comment. */
  private static final String FOLLOWING = """
      SELECT p.id,
             (SELECT f.following FROM thread_follows f WHERE f.post_id = p.id AND f.user_id = $2) AS chosen,
             (p.author_id = $2 OR EXISTS (SELECT 1 FROM thread_commenters k WHERE k.post_id = p.id AND k.user_id = $2))
               AS by_default
        FROM posts p
       WHERE p.id = $1 AND\s""" + Visibility.readableBy("p", "$2", "$3");

  private static final String FOLLOW = """
      INSERT INTO thread_follows (post_id, user_id, following) VALUES ($1, $2, $3)
      ON CONFLICT (post_id, user_id) DO UPDATE SET following = $3,
        since = CASE WHEN thread_follows.following = $3 THEN thread_follows.since ELSE now() END""";

  private static final String PRUNE = "DELETE FROM notifications WHERE read_at < now() - make_interval(secs => $1)";

  /** Characters of a comment a notification shows. */
  static final int EXCERPT_LENGTH = 160;

  private final Pool pool;
  private final EventLog events;

  public Notifications(Pool pool, EventLog events) {
    this.pool = pool;
    this.events = events;
  }

  /** One notification as its reader sees it. */
  public record Notification(long id, String kind, String createdAt, boolean read, JsonObject data, Long postId,
      Long commentId, String title, String excerpt, String actor) {

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("id", id).put("kind", kind).put("createdAt", createdAt).put("read", read)
          .put("actor", actor == null ? null : new JsonObject().put("username", actor));
      json.put("post", postId == null ? null : new JsonObject().put("id", postId).put("title", title));
      json.put("comment", commentId == null ? null : new JsonObject().put("id", commentId).put("excerpt", excerpt));
      // The link to what it is about: the comment in its thread, or the post.
      json.put("url", postId == null ? null : "/posts/" + postId + (commentId == null ? "" : "#comment-" + commentId));
      if (!data.isEmpty()) json.put("detail", data);
      return json;
    }

    /** The cursor's sort key for the unread-first order: 0 while unread, 1 once read. */
    String readKey() {
      return read ? "1" : "0";
    }
  }

  /** A page of the reader's notifications, newest first or unread first. */
  public Future<List<Notification>> list(long userId, Page page, boolean unreadFirst) {
    Future<RowSet<Row>> rows;
    if (unreadFirst) {
      int afterRead = "1".equals(page.afterKey()) ? 1 : 0;
      rows = pool.preparedQuery(UNREAD_FIRST).execute(Tuple.of(userId, page.after(), page.fetchSize(), afterRead));
    } else {
      rows = pool.preparedQuery(NEWEST).execute(Tuple.of(userId, page.after(), page.fetchSize()));
    }
    // The excerpts are Markdown parsed (up to a hundred bodies of 2,000 characters): off the event loop when long,
    // as every other parse is.
    return rows.compose(result -> {
      int length = 0;
      for (Row row : result) length += row.getString("body") == null ? 0 : row.getString("body").length();
      return parley.account.Mentions.offLoop(length, () -> notifications(result));
    });
  }

  private static List<Notification> notifications(RowSet<Row> result) {
    List<Notification> out = new ArrayList<>(result.size());
    for (Row row : result) {
      out.add(new Notification(row.getLong("id"), row.getString("kind"), Iso.format(row.getOffsetDateTime("created_at")),
          row.getOffsetDateTime("read_at") != null, new JsonObject(row.getString("data")), row.getLong("post_id"),
          row.getLong("comment_id"), row.getString("title"), excerpt(row.getString("body")), row.getString("actor")));
    }
    return out;
  }

  /** What a notification shows of its comment: the prose, not the Markdown, of its first 2,000 characters. */
  private static String excerpt(String body) {
    return body == null ? null : parley.markdown.Markdown.excerptOf(body, EXCERPT_LENGTH);
  }

  public Future<Long> unread(long userId) {
    return unread(pool, List.of(userId)).map(counts -> counts.getOrDefault(userId, 0L));
  }

  /** Unread notifications each of these readers may see, up to {@link #UNREAD_COUNTED}. */
  static Future<Map<Long, Long>> unread(SqlClient sql, List<Long> userIds) {
    Map<Long, Integer> limits = new java.util.LinkedHashMap<>();
    userIds.forEach(user -> limits.put(user, UNREAD_COUNTED));
    return unread(sql, limits);
  }

  /**
   * Unread notifications each reader may see, each counted up to its own limit (the notifier counts
   * {@link #UNREAD_COUNTED} more than it made for the reader, to say the count after each of them).
   */
  static Future<Map<Long, Long>> unread(SqlClient sql, Map<Long, Integer> limits) {
    Long[] users = limits.keySet().toArray(Long[]::new);
    Integer[] counted = limits.values().toArray(Integer[]::new);
    return sql.preparedQuery(UNREAD).execute(Tuple.of(users, (Object) counted)).map(rows -> {
      Map<Long, Long> counts = new HashMap<>();
      rows.forEach(row -> counts.put(row.getLong("user_id"), row.getLong("unread")));
      return counts;
    });
  }

  /**
   * Each reader's unread count right after the notifier's batch made {@code made} notifications for them (in this
   * transaction), as {@link #unread(SqlClient, Map)} counts it with limits of {@link #UNREAD_COUNTED} + made. The
   * count kept from the reader's last batch is used while it holds, and counted again when it does not (they marked
   * something read, or something changed what readers may see: V18); the new counts are kept, written behind the
   * batch's other statements, and the transaction waits for that before it commits.
   */
  static Future<Map<Long, Long>> unreadAfter(EventLog.Outbox box, Map<Long, Integer> made) {
    io.vertx.sqlclient.SqlConnection conn = box.connection();
    Long[] users = made.keySet().stream().sorted().toArray(Long[]::new);
    Integer[] limits = new Integer[users.length];
    for (int i = 0; i < users.length; i++) limits[i] = UNREAD_COUNTED + made.get(users[i]);
    // Sent together: the count's statement starts once the rows are this transaction's.
    Future<RowSet<Row>> locked = conn.preparedQuery(KEEP_LOCK).execute(Tuple.of((Object) users));
    Future<RowSet<Row>> counted = conn.preparedQuery(UNREAD_KEPT).execute(Tuple.of(users, (Object) limits));
    return locked.compose(v -> counted).map(rows -> {
      Map<Long, Long> after = new HashMap<>();
      long epoch = -1;
      for (Row row : rows) {
        long user = row.getLong("user_id");
        Integer kept = row.getInteger("kept");
        long total = kept == null ? row.getLong("unread")
            : kept >= UNREAD_COUNTED ? UNREAD_COUNTED + made.get(user) : kept + made.get(user);
        after.put(user, total);
        epoch = row.getLong("epoch");
      }
      Integer[] keep = new Integer[users.length];
      for (int i = 0; i < users.length; i++) keep[i] = (int) Math.min(UNREAD_COUNTED, after.getOrDefault(users[i], 0L));
      box.beforeCommit(conn.preparedQuery(KEEP).execute(Tuple.of(users, keep, epoch)));
      return after;
    });
  }

  /**
   * Marks the reader's own notifications read: all up to {@code upTo}, and those in {@code ids} (others' ids are
   * ignored). Every open tab and device of the reader hears it; completes with the unread count now.
   */
  public Future<Long> markRead(long userId, Long upTo, List<Long> ids) {
    return events.transaction(box -> box.connection().preparedQuery(MARK_READ)
        .execute(Tuple.of(userId, upTo == null ? 0L : upTo, ids.toArray(Long[]::new)))
        .compose(marked -> unread(box.connection(), List.of(userId)).compose(counts -> {
          long unread = counts.getOrDefault(userId, 0L);
          if (marked.size() == 0) return Future.succeededFuture(unread);
          JsonArray read = new JsonArray();
          marked.forEach(row -> read.add(row.getLong("id")));
          JsonObject data = new JsonObject().put("ids", read).put("unread", unread);
          return box.publish(Publication.of(EventType.NOTIFICATIONS_READ, null, data).toUsers(List.of(userId)))
              .map(unread);
        })));
  }

  /** The reader's choices of kinds (all on until they change one). */
  public Future<JsonObject> settings(long userId) {
    return settings(pool, userId);
  }

  /** As {@link #settings(long)}, read through {@code client}: a transaction's connection, in its snapshot. */
  public static Future<JsonObject> settings(io.vertx.sqlclient.SqlClient client, long userId) {
    return client.preparedQuery(SETTINGS).execute(Tuple.of(userId)).map(rows -> {
      JsonObject json = new JsonObject();
      Row row = rows.size() == 0 ? null : rows.iterator().next();
      for (String setting : settingNames()) json.put(setting, row == null || row.getBoolean(setting));
      return json;
    });
  }

  public Future<JsonObject> saveSettings(long userId, Map<String, Boolean> changes) {
    return settings(userId).compose(current -> {
      changes.forEach(current::put);
      Tuple args = Tuple.of(userId);
      for (String setting : settingNames()) args.addBoolean(current.getBoolean(setting));
      return pool.preparedQuery(SAVE_SETTINGS).execute(args).map(current);
    });
  }

  /** The settings, in the column order of the table. */
  public static List<String> settingNames() {
    return List.of("replies", "comments", "mentions", "followed", "moderation", "reports");
  }

  /** Whether the reader follows the thread; fails with 404 when it is not there for them. */
  public Future<Boolean> following(long postId, long userId, boolean moderator) {
    return pool.preparedQuery(FOLLOWING).execute(Tuple.of(postId, userId, moderator)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such post.");
      Row row = rows.iterator().next();
      Boolean chosen = row.getBoolean("chosen");
      return chosen != null ? chosen : row.getBoolean("by_default");
    });
  }

  /** Follows (true) or mutes (false) the thread for the reader; fails with 404 when it is not there for them. */
  public Future<Boolean> follow(long postId, long userId, boolean moderator, boolean follow) {
    return following(postId, userId, moderator)
        .compose(v -> pool.preparedQuery(FOLLOW).execute(Tuple.of(postId, userId, follow)))
        .map(follow);
  }

  /** Forgets read notifications older than the retention; unread ones stay until read. */
  public static Future<Long> prune(Pool pool, Duration retention) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of((double) retention.toSeconds()))
        .map(rows -> (long) rows.rowCount());
  }
}
