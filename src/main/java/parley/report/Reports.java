package parley.report;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Visibility;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Idempotency;
import parley.http.Iso;
import parley.http.Page;
import parley.http.Problem;
import parley.markdown.Markdown;
import parley.post.Threads;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The report feature's API: reports in PostgreSQL (one open per reporter and target), each reporter's own list, the
 * moderators' queue (grouped by target), and closing the open reports on a target when a moderator settles it.
 */
public final class Reports {

  public static final Set<String> REASONS = Set.of("spam", "harassment", "hate", "misinformation", "off_topic",
      "other");
  /** The reason of Parley's own reports (V22): an edit of published content brought in what the holds hold. */
  public static final String SCREENING = "screening";
  /** The reasons the queue can be filtered by: people's, and Parley's own. */
  static final Set<String> QUEUE_REASONS = Set.of("spam", "harassment", "hate", "misinformation", "off_topic",
      "other", SCREENING);

  /** What a report is about: a post or a comment. */
  public enum Target {
    POST, COMMENT;

    public String wireName() {
      return name().toLowerCase();
    }

    public static Target named(String name) {
      return "post".equals(name) ? POST : "comment".equals(name) ? COMMENT : null;
    }
  }

  /**
   * The target's author, if the reporter can see it (not deleted; hidden only to its author and moderators). The
   * reported post is read FOR SHARE: a hide of it waits for the report (and then closes it with the others), or the
   * report waits for the hide and sees it. Unlocked, a report read the post as its snapshot had it while a hide
   * committed, and stayed open on hidden content (a probe, 2026-12-04: 5 of 8 comments hidden while reported).
   */
  private static final String POST_TARGET = "SELECT author_id, " + Visibility.restricted("", "hidden")
      + " FROM posts WHERE id = $1 AND " + Visibility.exists("") + " FOR SHARE";

  /** The reported comment: its post row first ({@link Threads#sharedPostOfComment}), then the comment. */
  private static final String COMMENT_TARGET = Threads.sharedPostOfComment("$1")
      + "SELECT c.author_id, NOT (" + Visibility.open("c") + " AND " + Visibility.open("p") + ") AS hidden "
      + "FROM comments c JOIN p ON p.id = c.post_id WHERE c.id = $1 AND " + Visibility.exists("c") + " AND "
      + Visibility.exists("p") + " FOR SHARE OF c";

  private static final String INSERT = "INSERT INTO reports (reporter_id, target_type, target_id, reason, details) "
      + "VALUES ($1, $2, $3, $4, $5) RETURNING id, status, created_at";

  /** Parley's own report, one open per target (V22). */
  private static final String SCREENED = """
      INSERT INTO reports (reporter_id, target_type, target_id, reason, details) VALUES (NULL, $1, $2, 'screening', $3)
      ON CONFLICT (target_type, target_id) WHERE status = 'open' AND reporter_id IS NULL DO NOTHING
      RETURNING id, status, created_at""";

  /**
   * A reporter's own reports, with the title of the post each is on (the post itself, or a comment's), only while the
   * reporter may still read that post and has not blocked its author, and for a comment its author and the start of
   * its Markdown, only while they may read it too: which report is which, without showing what was hidden from them
   * since.
   */
  private static final String MINE = """
      SELECT r.id, r.target_type, r.target_id, r.reason, r.details, r.status, r.created_at, r.resolved_at,
             CASE WHEN %1$s AND %2$s THEN p.title END AS post_title,
             CASE WHEN %1$s AND %2$s AND %3$s AND %4$s THEN cu.username END AS comment_author,
             CASE WHEN %1$s AND %2$s AND %3$s AND %4$s THEN left(c.body, 2000) END AS comment_body
        FROM reports r
        LEFT JOIN comments c ON r.target_type = 'comment' AND c.id = r.target_id
        LEFT JOIN users cu ON cu.id = c.author_id
        LEFT JOIN posts p ON p.id = CASE WHEN r.target_type = 'post' THEN r.target_id ELSE c.post_id END
       WHERE r.reporter_id = $1 AND r.id < COALESCE($2, 9223372036854775807)
       ORDER BY r.id DESC LIMIT $3""".formatted(Visibility.readableBy("p", "$1", "false"),
      Visibility.notBlocked("$1", "p.author_id"), Visibility.readableBy("c", "$1", "false"),
      Visibility.notBlocked("$1", "c.author_id"));

  /** How much of a reported comment a reporter's own list shows: enough to tell two on one post apart. */
  private static final int MINE_EXCERPT = 80;

  /**
   * A page of one status's queue ($1 the cursor, $2 the page size): the targets whose earliest report in that status
   * comes after the cursor, oldest first, as (target_type, target_id, first_id). It walks that status's reports in id
   * order (its own index, V37) and keeps each target's first (no earlier report of it in that status: one index
   * probe), so a page reads about a page of reports, however many the status holds. Grouping them all first took
   * 53-71 ms for the dismissed tab at 45,000 reports, growing with every report ever closed
   * (docs/benchmarks/reads-at-scale.md).
   */
  private static final String PAGE_OF_TARGETS = """
          SELECT r.target_type, r.target_id, r.id AS first_id
            FROM reports r
           WHERE r.status = '%1$s' AND r.id > COALESCE($1::bigint, 0)
             AND NOT EXISTS (SELECT 1 FROM reports e WHERE e.status = '%1$s' AND e.target_type = r.target_type
                                AND e.target_id = r.target_id AND e.id < r.id)
           ORDER BY r.id
           LIMIT $2""";

  /**
   * The same for the targets with at least one report for the reason $3 in that status: those targets, found through
   * that reason's reports (reports_by_reason, V37), each placed by its earliest report in the status (of any reason:
   * one probe of reports_queue). It reads every report of that reason in the status, since a target's place comes
   * before its report for the reason and the walk above, for a rare reason, would read the whole status.
   */
  private static final String PAGE_OF_TARGETS_FOR_REASON = """
          SELECT t.target_type, t.target_id, f.first_id
            FROM (SELECT DISTINCT x.target_type, x.target_id FROM reports x
                   WHERE x.status = '%1$s' AND x.reason = $3) t
           CROSS JOIN LATERAL (SELECT min(e.id) AS first_id FROM reports e WHERE e.status = '%1$s'
                                  AND e.target_type = t.target_type AND e.target_id = t.target_id) f
           WHERE f.first_id > COALESCE($1::bigint, 0)
           ORDER BY f.first_id
           LIMIT $2""";

  /**
   * The statements of a page of the queue, for each status and with or without a reason ({@link #queue(String,
   * String)}). The status is written into the statement (one of the three, never a request's words), since only then
   * may PostgreSQL use that status's index.
   */
  private static final Map<String, String> QUEUES = Map.of(
      "open", queue("open", PAGE_OF_TARGETS), "dismissed", queue("dismissed", PAGE_OF_TARGETS),
      "actioned", queue("actioned", PAGE_OF_TARGETS), "open:reason", queue("open", PAGE_OF_TARGETS_FOR_REASON),
      "dismissed:reason", queue("dismissed", PAGE_OF_TARGETS_FOR_REASON),
      "actioned:reason", queue("actioned", PAGE_OF_TARGETS_FOR_REASON));

  /** The statement of a page of that status's queue, for one reason ($3) or all. Public for the plan tests. */
  public static String queue(String status, boolean forReason) {
    String sql = QUEUES.get(status + (forReason ? ":reason" : ""));
    if (sql == null) throw new IllegalArgumentException("no queue of status " + status);
    return sql;
  }

  /**
   * A page of the queue: the page's targets ({@code pageOfTargets}), each target's reports in that status counted
   * (one probe each), its content, its author and the version the first report was about.
   */
  private static String queue(String status, String pageOfTargets) {
    return """
      SELECT g.target_type, g.target_id, a.report_count, a.reasons, a.first_at, a.last_at, g.first_id,
             COALESCE(p.title, cp.title) AS post_title, c.post_id, c.parent_id,
             COALESCE(p.body, c.body) AS body, COALESCE(p.body_html, c.body_html) AS body_html,
             COALESCE(p.hidden_at, c.hidden_at) IS NOT NULL AS hidden,
             COALESCE(p.pending_at, c.pending_at) IS NOT NULL AS pending,
             COALESCE(p.deleted_at, c.deleted_at) IS NOT NULL AS deleted,
             COALESCE(p.locked_at, cp.locked_at) IS NOT NULL AS locked,
             COALESCE(p.created_at, c.created_at) AS content_created_at,
             COALESCE(p.edited_at, c.edited_at) AS content_edited_at, u.username AS author, u.role AS author_role,
             u.banned_until > now() AS author_banned,
             pr.title AS reported_title, COALESCE(pr.body, cr.body) AS reported_body
        FROM (
%2$s          ) g
        CROSS JOIN LATERAL (
          SELECT count(*) AS report_count, array_agg(DISTINCT reason ORDER BY reason) AS reasons,
                 min(created_at) AS first_at, max(created_at) AS last_at
            FROM reports a
           WHERE a.status = '%1$s' AND a.target_type = g.target_type AND a.target_id = g.target_id) a
        LEFT JOIN posts p ON g.target_type = 'post' AND p.id = g.target_id
        LEFT JOIN comments c ON g.target_type = 'comment' AND c.id = g.target_id
        LEFT JOIN posts cp ON cp.id = c.post_id
        LEFT JOIN users u ON u.id = COALESCE(p.author_id, c.author_id)
        -- The version the first report was about, when an edit has replaced it since: the oldest replaced after it.
        LEFT JOIN LATERAL (SELECT title, body FROM post_revisions
                            WHERE g.target_type = 'post' AND post_id = g.target_id AND replaced_at > a.first_at
                            ORDER BY id LIMIT 1) pr ON true
        LEFT JOIN LATERAL (SELECT body FROM comment_revisions
                            WHERE g.target_type = 'comment' AND comment_id = g.target_id AND replaced_at > a.first_at
                            ORDER BY id LIMIT 1) cr ON true
       ORDER BY g.first_id""".formatted(status, pageOfTargets.formatted(status).indent(10)).stripIndent();
  }

  /** The reports themselves of the queue items on one page ($2 types, $3 ids), oldest first. */
  private static final String QUEUE_REPORTS = "SELECT r.id, r.target_type, r.target_id, r.reason, r.details, "
      + "r.created_at, u.username, r.resolved_at, m.username AS resolved_by, r.resolution_note, "
      + "r.resolved_at IS NOT NULL AND r.resolved_by IS NULL AS automatic "
      + "FROM reports r LEFT JOIN users u ON u.id = r.reporter_id LEFT JOIN users m ON m.id = r.resolved_by "
      + "WHERE r.status = $1 AND (r.target_type, r.target_id) IN (SELECT * FROM unnest($2::text[], $3::bigint[])) "
      + "ORDER BY r.id";

  /**
   * How many targets the queue holds in that status, all pages together: the dashboard shows 100 cards, and a count of
   * the cards alone said 100 when 2,000 waited behind them. Kept as reports change (V40's report_queue_counts: the
   * changes since the last compaction, summed); counting the status's targets took 19-39 ms for the dismissed tab at
   * 45,000 reports on PostgreSQL 15, growing with every report ever closed.
   */
  public static final String QUEUE_SIZE = "SELECT COALESCE(sum(targets), 0)::bigint AS total FROM report_queue_counts "
      + "WHERE status = $1";

  /** The totals' changes summed into one row a status (V40): once a minute, by one node of the cluster. */
  private static final String COMPACT = "SELECT report_queue_compact() AS removed";

  /** {@link #QUEUE_SIZE} for one reason ($2): the targets with at least one report for it in that status. */
  private static final String QUEUE_SIZE_FOR_REASON = "SELECT count(*) AS total FROM (SELECT DISTINCT target_type, "
      + "target_id FROM reports WHERE status = $1 AND reason = $2) g";

  /** The note of reports closed because their content's author deleted their account (see {@link #closeForErased}). */
  public static final String AUTHOR_GONE = "Its author deleted their account.";

  /** The open reports on everything an account wrote, closed by nobody (resolved_by NULL: Parley). */
  private static final String CLOSE_ERASED = """
      UPDATE reports r SET status = 'dismissed', resolved_at = now(), resolved_by = NULL, resolution_note = $2
       WHERE r.status = 'open' AND (
             (r.target_type = 'post' AND r.target_id IN (SELECT id FROM posts WHERE author_id = $1))
          OR (r.target_type = 'comment' AND r.target_id IN (SELECT id FROM comments WHERE author_id = $1)))
      RETURNING r.id, r.target_type, r.target_id""";

  private static final String TARGET_OF = "SELECT target_type, target_id FROM reports WHERE id = $1";

  private static final String CLOSE = "UPDATE reports SET status = $3, resolved_at = now(), resolved_by = $4, "
      + "resolution_note = $5 WHERE target_type = $1 AND target_id = $2 AND status = 'open' RETURNING id";

  /** {@link #CLOSE} for the reports up to one ($6): those filed since are not what the moderator decided on. */
  private static final String CLOSE_UP_TO = "UPDATE reports SET status = $3, resolved_at = now(), resolved_by = $4, "
      + "resolution_note = $5 WHERE target_type = $1 AND target_id = $2 AND status = 'open' AND id <= $6 RETURNING id";

  /** A report's target: what kind of thing, and which. */
  public record Reported(Target type, long id) {
  }

  private final Pool pool;
  private final EventLog events;

  public Reports(Pool pool, EventLog events) {
    this.pool = pool;
    this.events = events;
  }

  Pool pool() {
    return pool;
  }

  /** Files a report on content the reporter can see (not their own); moderators hear of it at once. */
  Future<JsonObject> create(Principal reporter, Target type, long targetId, String reason, String details,
      Idempotency.Claim<JsonObject> claim) {
    return events.transaction(claim, box -> box.connection()
        .preparedQuery(type == Target.POST ? POST_TARGET : COMMENT_TARGET).execute(Tuple.of(targetId))
        .compose(rows -> {
          String kind = type.wireName();
          if (rows.size() == 0) throw Problem.notFound("No such " + kind + ".");
          Row target = rows.iterator().next();
          long authorId = target.getLong("author_id");
          if (!Visibility.readable(reporter, authorId, target.getBoolean("hidden"))) {
            throw Problem.notFound("No such " + kind + ".");
          }
          if (authorId == reporter.id()) throw Problem.badRequest("You cannot report your own " + kind + ".");
          return box.connection().preparedQuery(INSERT)
              .execute(Tuple.of(reporter.id(), kind, targetId, reason, details))
              .recover(Reports::duplicate);
        })
        .compose(rows -> {
          JsonObject report = filed(rows.iterator().next(), type, targetId, reason, details);
          JsonObject forModerators = report.copy()
              .put("reporter", new JsonObject().put("username", reporter.username()));
          return box.publish(Publication.of(EventType.REPORT_CREATED, null, forModerators)).map(report);
        }));
  }

  /**
   * Files Parley's own report (no reporter, the reason {@link #SCREENING}, {@code why} as its details) on a post or
   * comment an edit has just brought in what the holds hold ({@code Screening.reviewEdit}), in the edit's
   * transaction, and tells the moderators; nothing when one of Parley's reports on it is open already (V22).
   */
  public static Future<Void> fileForScreening(EventLog.Outbox box, Target type, long targetId, String why) {
    return box.connection().preparedQuery(SCREENED).execute(Tuple.of(type.wireName(), targetId, why))
        .compose(rows -> rows.size() == 0 ? Future.<Void>succeededFuture()
            : box.publish(Publication.of(EventType.REPORT_CREATED, null,
                filed(rows.iterator().next(), type, targetId, SCREENING, why).putNull("reporter"))));
  }

  /** A report as just filed (its row: id, status, created_at). */
  private static JsonObject filed(Row row, Target type, long targetId, String reason, String details) {
    return new JsonObject()
        .put("id", row.getLong("id"))
        .put("targetType", type.wireName())
        .put("targetId", targetId)
        .put("reason", reason)
        .put("details", details)
        .put("status", row.getString("status"))
        .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")));
  }

  private static <T> Future<T> duplicate(Throwable failure) {
    if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return Future.failedFuture(Problem.conflict("You already reported this, and your report is still open."));
    }
    return Future.failedFuture(failure);
  }

  /** A reporter's own reports, newest first. */
  Future<List<JsonObject>> mine(long reporterId, Page page) {
    return pool().preparedQuery(MINE).execute(Tuple.of(reporterId, page.after(), page.fetchSize())).map(rows -> {
      List<JsonObject> list = new ArrayList<>();
      rows.forEach(row -> list.add(new JsonObject()
          .put("id", row.getLong("id"))
          .put("targetType", row.getString("target_type"))
          .put("targetId", row.getLong("target_id"))
          .put("reason", row.getString("reason"))
          .put("details", row.getString("details"))
          .put("status", row.getString("status"))
          .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")))
          .put("resolvedAt", Iso.format(row.getOffsetDateTime("resolved_at")))
          .put("postTitle", row.getString("post_title"))
          .put("commentAuthor", row.getString("comment_author"))
          .put("commentExcerpt", row.getString("comment_body") == null ? null
              : Markdown.excerptOf(row.getString("comment_body"), MINE_EXCERPT))));
      return list;
    });
  }

  /**
   * The moderators' queue: one item per reported target with a report in this status (and, when given, one with
   * this reason), oldest first, each with its reports: who, why, and the reporter's own words.
   */
  /**
   * Closes the open reports on what a deleted account wrote, in its erasure's transaction: its words are erased and
   * no ban reaches a deleted account, so nothing is left for a moderator to decide, and the cards went on waiting in
   * the queue with nothing on them. Dismissed by nobody ({@code resolved_by} NULL: the queue's resolution says
   * {@code automatic}), noted {@link #AUTHOR_GONE}, each target's {@code report.resolved} sent as a moderator's is.
   */
  public static Future<Void> closeForErased(EventLog.Outbox box, long authorId) {
    return box.connection().preparedQuery(CLOSE_ERASED).execute(Tuple.of(authorId, AUTHOR_GONE)).compose(rows -> {
      Map<String, JsonObject> byTarget = new LinkedHashMap<>();
      for (Row row : rows) {
        String type = row.getString("target_type");
        long id = row.getLong("target_id");
        byTarget.computeIfAbsent(type + ":" + id, k -> new JsonObject().put("targetType", type).put("targetId", id)
                .put("action", "dismiss").put("note", AUTHOR_GONE).put("reportIds", new JsonArray())
                .putNull("resolvedBy").put("automatic", true))
            .getJsonArray("reportIds").add(row.getLong("id"));
      }
      if (byTarget.isEmpty()) return Future.<Void>succeededFuture();
      return box.publishMany(byTarget.values().stream()
          .map(data -> Publication.of(EventType.REPORT_RESOLVED, null, data)).toList());
    });
  }

  /** Sums the queue totals' changes into one row a status (a job's, once a minute); completes with the rows removed. */
  public static Future<Long> compactQueueCounts(Pool pool) {
    return pool.query(COMPACT).execute().map(rows -> rows.iterator().next().getLong("removed"));
  }

  /** The number of targets in the queue of that status (and reason, if given). */
  Future<Long> queueSize(String status, String reason) {
    return (reason == null ? pool().preparedQuery(QUEUE_SIZE).execute(Tuple.of(status))
        : pool().preparedQuery(QUEUE_SIZE_FOR_REASON).execute(Tuple.of(status, reason)))
        .map(rows -> rows.iterator().next().getLong("total"));
  }

  Future<List<JsonObject>> queue(String status, String reason, Page page) {
    return (reason == null ? pool().preparedQuery(queue(status, false)).execute(Tuple.of(page.after(), page.fetchSize()))
        : pool().preparedQuery(queue(status, true)).execute(Tuple.of(page.after(), page.fetchSize(), reason)))
        .compose(rows -> {
          Map<String, JsonObject> byTarget = new LinkedHashMap<>();
          rows.forEach(row -> {
            JsonObject item = queueItem(row).put("reports", new JsonArray());
            byTarget.put(item.getString("targetType") + ":" + item.getLong("targetId"), item);
          });
          List<JsonObject> items = new ArrayList<>(byTarget.values());
          if (items.isEmpty()) return Future.succeededFuture(items);
          String[] types = items.stream().map(i -> i.getString("targetType")).toArray(String[]::new);
          Long[] ids = items.stream().map(i -> i.getLong("targetId")).toArray(Long[]::new);
          return pool().preparedQuery(QUEUE_REPORTS).execute(Tuple.of(status, types, ids)).map(reports -> {
            for (Row r : reports) {
              JsonObject item = byTarget.get(r.getString("target_type") + ":" + r.getLong("target_id"));
              if (item != null) item.getJsonArray("reports").add(new JsonObject().put("id", r.getLong("id"))
                  // No reporter: Parley's own report (an edit the holds matched, V22).
                  .put("reporter", r.getString("username") == null ? null
                      : new JsonObject().put("username", r.getString("username")))
                  .put("reason", r.getString("reason")).put("details", r.getString("details"))
                  .put("createdAt", Iso.format(r.getOffsetDateTime("created_at")))
                  .put("resolution", resolution(r)));
            }
            return items;
          });
        });
  }

  /** How a closed report was settled, for the dashboard's closed queues: by whom, when, and the note; null if open. */
  private static JsonObject resolution(Row r) {
    if (r.getOffsetDateTime("resolved_at") == null) return null;
    String by = r.getString("resolved_by");
    JsonObject resolution = new JsonObject().put("by", by == null ? null : new JsonObject().put("username", by))
        .put("at", Iso.format(r.getOffsetDateTime("resolved_at"))).put("note", r.getString("resolution_note"));
    // Closed by Parley itself (its content's author deleted their account), not by a moderator since gone.
    return r.getBoolean("automatic") ? resolution.put("automatic", true) : resolution;
  }

  private static JsonObject queueItem(Row row) {
    String type = row.getString("target_type");
    JsonObject content = new JsonObject()
        .put("id", row.getLong("target_id"))
        .put("postId", "post".equals(type) ? row.getLong("target_id") : row.getLong("post_id"))
        .put("parentId", row.getLong("parent_id"))
        .put("postTitle", row.getString("post_title"))
        .put("body", row.getString("body"))
        .put("bodyHtml", row.getString("body_html"))
        .put("createdAt", Iso.format(row.getOffsetDateTime("content_created_at")))
        .put("editedAt", Iso.format(row.getOffsetDateTime("content_edited_at")))
        .put("hidden", row.getBoolean("hidden"))
        .put("pending", row.getBoolean("pending"))
        .put("deleted", row.getBoolean("deleted"))
        .put("locked", row.getBoolean("locked"));
    return new JsonObject()
        .put("targetType", type)
        .put("targetId", row.getLong("target_id"))
        .put("firstReportId", row.getLong("first_id"))
        .put("author", row.getString("author") == null ? null
            : new JsonObject().put("username", row.getString("author")).put("role", row.getString("author_role")))
        // So that a card does not offer to ban someone already banned.
        .put("authorBanned", Boolean.TRUE.equals(row.getBoolean("author_banned")))
        .put("content", content)
        .put("asFirstReported", asFirstReported(type, row))
        .put("reportCount", row.getLong("report_count"))
        .put("reasons", new JsonArray(List.of(row.getArrayOfStrings("reasons"))))
        .put("firstReportedAt", Iso.format(row.getOffsetDateTime("first_at")))
        .put("lastReportedAt", Iso.format(row.getOffsetDateTime("last_at")));
  }

  /** The content as the first report saw it, when it has been edited since (else null): {body}, and a post's title. */
  private static JsonObject asFirstReported(String type, Row row) {
    String body = row.getString("reported_body");
    if (body == null) return null;
    JsonObject version = new JsonObject();
    if ("post".equals(type)) version.put("title", row.getString("reported_title"));
    return version.put("body", body);
  }

  /** What report {@code reportId} is about, read in the caller's transaction; 404 if there is no such report. */
  public static Future<Reported> targetOf(SqlConnection conn, long reportId) {
    return conn.preparedQuery(TARGET_OF).execute(Tuple.of(reportId)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such report.");
      Row row = rows.iterator().next();
      return new Reported(Target.named(row.getString("target_type")), row.getLong("target_id"));
    });
  }

  /**
   * Closes every open report on a target with a status (dismissed, actioned), in the caller's transaction, and
   * returns their ids.
   */
  public static Future<List<Long>> close(SqlConnection conn, Target type, long targetId, String status,
      Principal actor, String note) {
    return conn.preparedQuery(CLOSE).execute(Tuple.of(type.wireName(), targetId, status, actor.id(), note))
        .map(Reports::ids);
  }

  private static final String ANY_OPEN = "SELECT 1 FROM reports WHERE target_type = $1 AND target_id = $2 "
      + "AND status = 'open' LIMIT 1";

  /** Whether a target still has an open report, read in the caller's transaction. */
  public static Future<Boolean> anyOpen(SqlConnection conn, Target type, long targetId) {
    return conn.preparedQuery(ANY_OPEN).execute(Tuple.of(type.wireName(), targetId)).map(rows -> rows.size() > 0);
  }

  /** As {@link #close}, the open reports up to {@code upTo} only (all of them when null). */
  public static Future<List<Long>> close(SqlConnection conn, Target type, long targetId, String status,
      Principal actor, String note, Long upTo) {
    if (upTo == null) return close(conn, type, targetId, status, actor, note);
    return conn.preparedQuery(CLOSE_UP_TO)
        .execute(Tuple.of(type.wireName(), targetId, status, actor.id(), note, upTo)).map(Reports::ids);
  }

  private static List<Long> ids(RowSet<Row> rows) {
    List<Long> ids = new ArrayList<>();
    rows.forEach(row -> ids.add(row.getLong("id")));
    return ids;
  }
}
