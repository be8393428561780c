package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.comment.Comments;
import parley.events.EventLog;
import parley.events.Topics;
import parley.http.Iso;
import parley.http.Page;
import parley.access.Principal;
import parley.http.Problem;
import parley.post.Posts;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Moderator actions in PostgreSQL. Each one changes the content or account, resolves the reports it settles,
 * appends its audit row and appends its events, all in one transaction; the events go out only once it commits.
 * Content writes lock the post row first, like every other write to a thread.
 */
final class ModerationRepository {

  static final String QUEUE = """
      SELECT g.target_type, g.target_id, g.report_count, g.reasons, g.first_at, g.last_at, g.first_id,
             COALESCE(p.title, cp.title) AS post_title, c.post_id, c.parent_id,
             COALESCE(p.body, c.body) AS body, COALESCE(p.body_html, c.body_html) AS body_html,
             COALESCE(p.hidden_at, c.hidden_at) IS NOT NULL AS hidden,
             COALESCE(p.deleted_at, c.deleted_at) IS NOT NULL AS deleted,
             COALESCE(p.locked_at, cp.locked_at) IS NOT NULL AS locked,
             COALESCE(p.created_at, c.created_at) AS content_created_at, u.username AS author
        FROM (
          SELECT target_type, target_id, count(*) AS report_count,
                 array_agg(DISTINCT reason ORDER BY reason) AS reasons,
                 min(created_at) AS first_at, max(created_at) AS last_at, min(id) AS first_id
            FROM reports
           WHERE status = $1
           GROUP BY target_type, target_id
          HAVING min(id) > COALESCE($2, 0)
           ORDER BY min(id)
           LIMIT $3) g
        LEFT JOIN posts p ON g.target_type = 'post' AND p.id = g.target_id
        LEFT JOIN comments c ON g.target_type = 'comment' AND c.id = g.target_id
        LEFT JOIN posts cp ON cp.id = c.post_id
        LEFT JOIN users u ON u.id = COALESCE(p.author_id, c.author_id)
       ORDER BY g.first_id""";

  private static final String REPORT = "SELECT target_type, target_id FROM reports WHERE id = $1";

  private static final String RESOLVE = "UPDATE reports SET status = $3, resolved_at = now(), resolved_by = $4, "
      + "resolution_note = $5 WHERE target_type = $1 AND target_id = $2 AND status = 'open' RETURNING id";

  private static final String LOCK_POST =
      "SELECT author_id FROM posts WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE";

  private static final String LOCK_POST_OF_COMMENT = "SELECT id FROM posts "
      + "WHERE id = (SELECT post_id FROM comments WHERE id = $1) AND deleted_at IS NULL FOR NO KEY UPDATE";

  private static final String HIDE_COMMENT = "UPDATE comments SET hidden_at = now(), hidden_reason = $2 "
      + "WHERE id = $1 AND hidden_at IS NULL RETURNING post_id, author_id, deleted_at IS NOT NULL AS deleted";

  private static final String RESTORE_COMMENT = "UPDATE comments SET hidden_at = NULL, hidden_reason = NULL "
      + "WHERE id = $1 AND hidden_at IS NOT NULL AND deleted_at IS NULL "
      + "RETURNING post_id, author_id, deleted_at IS NOT NULL AS deleted";

  private static final String COUNT = "UPDATE posts SET comment_count = comment_count + $2 WHERE id = $1 "
      + "RETURNING comment_count";

  private static final String HIDE_POST = "UPDATE posts SET hidden_at = now(), hidden_reason = $2 "
      + "WHERE id = $1 AND hidden_at IS NULL AND deleted_at IS NULL RETURNING author_id";

  private static final String RESTORE_POST = "UPDATE posts SET hidden_at = NULL, hidden_reason = NULL "
      + "WHERE id = $1 AND hidden_at IS NOT NULL AND deleted_at IS NULL RETURNING author_id";

  private static final String LOCK = "UPDATE posts SET locked_at = now() "
      + "WHERE id = $1 AND locked_at IS NULL AND deleted_at IS NULL RETURNING author_id";

  private static final String UNLOCK = "UPDATE posts SET locked_at = NULL "
      + "WHERE id = $1 AND locked_at IS NOT NULL AND deleted_at IS NULL RETURNING author_id";

  private static final String USER = "SELECT id, username, role, banned_until FROM users WHERE lower(username) = lower($1)";

  private static final String BAN = "UPDATE users SET banned_until = $2, ban_reason = $3 WHERE id = $1";

  private static final String UNBAN = "UPDATE users SET banned_until = NULL, ban_reason = NULL "
      + "WHERE id = $1 AND banned_until IS NOT NULL RETURNING id";

  private static final String SET_ROLE = "UPDATE users SET role = $2 WHERE id = $1";

  /** A user a moderator acts on. */
  record Target(long id, String username, String role) {
  }

  private final EventLog events;
  private final Posts posts;
  private final Comments comments;

  ModerationRepository(EventLog events, Posts posts, Comments comments) {
    this.events = events;
    this.posts = posts;
    this.comments = comments;
  }

  EventLog events() {
    return events;
  }

  Future<RowSet<Row>> queue(String status, Page page) {
    return events.pool().preparedQuery(QUEUE).execute(Tuple.of(status, page.after(), page.fetchSize()));
  }

  // ---- reports ----

  /** Resolves every open report on the target of report {@code reportId}: dismiss, or hide the target. */
  Future<Void> resolve(long reportId, Principal actor, String action, String note) {
    return events.transaction(box -> box.connection().preparedQuery(REPORT).execute(Tuple.of(reportId))
        .compose(rows -> {
          if (rows.size() == 0) throw Problem.notFound("No such report.");
          Row report = rows.iterator().next();
          String type = report.getString("target_type");
          long targetId = report.getLong("target_id");
          if ("hide".equals(action)) {
            String reason = note == null ? "Reported content" : note;
            Future<List<Long>> hidden = "post".equals(type) ? hidePost(box, actor, targetId, reason, true)
                : hideComment(box, actor, targetId, reason, true);
            return hidden.compose(ids -> reportResolved(box, actor, type, targetId, "hide", note, ids));
          }
          return closeReports(box.connection(), type, targetId, "dismissed", actor, note).compose(ids -> {
            if (ids.isEmpty()) throw Problem.conflict("The reports on this content are already resolved.");
            return AuditLog.append(box.connection(), actor, "report.dismissed", type, targetId, note,
                    new JsonObject().put("reportIds", new JsonArray(ids)))
                .compose(entry -> reportResolved(box, actor, type, targetId, "dismiss", note, ids));
          });
        }));
  }

  private Future<Void> reportResolved(EventLog.Outbox box, Principal actor, String type, long targetId, String action,
      String note, List<Long> reportIds) {
    if (reportIds.isEmpty()) throw Problem.conflict("The reports on this content are already resolved.");
    JsonObject data = new JsonObject().put("targetType", type).put("targetId", targetId).put("action", action)
        .put("note", note).put("reportIds", new JsonArray(reportIds))
        .put("resolvedBy", new JsonObject().put("username", actor.username()));
    return box.append(Topics.MOD, "report.resolved", data, null).mapEmpty();
  }

  /** A report on content that is already hidden: close it as actioned, and say so in the audit log. */
  private static Future<List<Long>> alreadyHidden(SqlConnection conn, Principal actor, String type, long id,
      String reason) {
    return closeReports(conn, type, id, "actioned", actor, reason).compose(ids -> ids.isEmpty()
        ? Future.succeededFuture(ids)
        : AuditLog.append(conn, actor, "report.actioned", type, id, reason,
            new JsonObject().put("reportIds", new JsonArray(ids))).map(ids));
  }

  private static Future<List<Long>> closeReports(SqlConnection conn, String type, long targetId, String status,
      Principal actor, String note) {
    return conn.preparedQuery(RESOLVE).execute(Tuple.of(type, targetId, status, actor.id(), note)).map(rows -> {
      List<Long> ids = new ArrayList<>();
      rows.forEach(row -> ids.add(row.getLong("id")));
      return ids;
    });
  }

  // ---- comments ----

  Future<Void> hideComment(long id, Principal actor, String reason) {
    return events.transaction(box -> hideComment(box, actor, id, reason, false).mapEmpty());
  }

  /** Hides a comment (idempotent when it comes through a report) and returns the reports it settled. */
  private Future<List<Long>> hideComment(EventLog.Outbox box, Principal actor, long id, String reason,
      boolean fromReport) {
    SqlConnection conn = box.connection();
    return conn.preparedQuery(LOCK_POST_OF_COMMENT).execute(Tuple.of(id))
        .compose(post -> {
          if (post.size() == 0) throw Problem.notFound("No such comment.");
          return conn.preparedQuery(HIDE_COMMENT).execute(Tuple.of(id, reason));
        })
        .compose(rows -> {
          if (rows.size() == 0) {
            if (fromReport) return alreadyHidden(conn, actor, "comment", id, reason);
            throw Problem.conflict("The comment is already hidden.");
          }
          Row row = rows.iterator().next();
          long postId = row.getLong("post_id");
          long authorId = row.getLong("author_id");
          JsonObject removed = new JsonObject().put("id", id).put("postId", postId);
          Future<?> count = row.getBoolean("deleted") ? Future.succeededFuture()
              : conn.preparedQuery(COUNT).execute(Tuple.of(postId, -1)).compose(c -> box.append(Topics.FEED,
                  Topics.POST_STATS, stats(postId, c), null));
          return count
              // Readers' copies in the log lose the content too; moderators keep theirs, as they see hidden content.
              .compose(v -> box.scrub("comment:" + id, removed.copy().put("removed", true), false))
              .compose(v -> closeReports(conn, "comment", id, "actioned", actor, reason))
              .compose(ids -> AuditLog.append(conn, actor, "comment.hidden", "comment", id, reason,
                      new JsonObject().put("postId", postId).put("reportIds", new JsonArray(ids)))
                  .compose(entry -> box.append(Topics.post(postId), "comment.hidden", removed, authorId)
                      .compose(e -> box.append(Topics.MOD, "comment.hidden", entry.toJson(), authorId))
                      .compose(e -> box.append(Topics.user(authorId), "comment.hidden",
                          removed.copy().put("reason", reason), authorId)))
                  .map(ids));
        });
  }

  Future<Void> restoreComment(long id, Principal actor, String reason) {
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return conn.preparedQuery(LOCK_POST_OF_COMMENT).execute(Tuple.of(id))
          .compose(post -> {
            if (post.size() == 0) throw Problem.notFound("No such comment.");
            return conn.preparedQuery(RESTORE_COMMENT).execute(Tuple.of(id));
          })
          .compose(rows -> {
            if (rows.size() == 0) throw Problem.conflict("The comment is not hidden (or its author deleted it).");
            Row row = rows.iterator().next();
            long postId = row.getLong("post_id");
            long authorId = row.getLong("author_id");
            Future<?> count = row.getBoolean("deleted") ? Future.succeededFuture()
                : conn.preparedQuery(COUNT).execute(Tuple.of(postId, 1)).compose(c -> box.append(Topics.FEED,
                    Topics.POST_STATS, stats(postId, c), null));
            return count
                .compose(v -> AuditLog.append(conn, actor, "comment.restored", "comment", id, reason,
                    new JsonObject().put("postId", postId)))
                .compose(entry -> comments.json(conn, id)
                    .compose(json -> box.append(Topics.post(postId), "comment.restored", json, authorId))
                    .compose(e -> box.append(Topics.MOD, "comment.restored", entry.toJson(), authorId))
                    .compose(e -> box.append(Topics.user(authorId), "comment.restored",
                        new JsonObject().put("id", id).put("postId", postId), authorId)))
                .mapEmpty();
          });
    });
  }

  // ---- posts ----

  Future<Void> hidePost(long id, Principal actor, String reason) {
    return events.transaction(box -> hidePost(box, actor, id, reason, false).mapEmpty());
  }

  private Future<List<Long>> hidePost(EventLog.Outbox box, Principal actor, long id, String reason,
      boolean fromReport) {
    SqlConnection conn = box.connection();
    return lockPost(conn, id)
        .compose(v -> conn.preparedQuery(HIDE_POST).execute(Tuple.of(id, reason)))
        .compose(rows -> {
          if (rows.size() == 0) {
            if (fromReport) return alreadyHidden(conn, actor, "post", id, reason);
            throw Problem.conflict("The post is already hidden (or deleted).");
          }
          long authorId = rows.iterator().next().getLong("author_id");
          JsonObject removed = new JsonObject().put("id", id);
          return box.scrub("post:" + id, removed.copy().put("removed", true), false)
              .compose(v -> closeReports(conn, "post", id, "actioned", actor, reason))
              .compose(ids -> AuditLog.append(conn, actor, "post.hidden", "post", id, reason,
                      new JsonObject().put("reportIds", new JsonArray(ids)))
                  .compose(entry -> box.append(Topics.post(id), "post.hidden", removed, authorId)
                      .compose(e -> box.append(Topics.FEED, "post.hidden", removed, authorId))
                      .compose(e -> box.append(Topics.MOD, "post.hidden", entry.toJson(), authorId))
                      .compose(e -> box.append(Topics.user(authorId), "post.hidden",
                          removed.copy().put("reason", reason), authorId)))
                  .map(ids));
        });
  }

  Future<Void> restorePost(long id, Principal actor, String reason) {
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return lockPost(conn, id)
          .compose(v -> conn.preparedQuery(RESTORE_POST).execute(Tuple.of(id)))
          .compose(rows -> {
            if (rows.size() == 0) throw Problem.conflict("The post is not hidden.");
            long authorId = rows.iterator().next().getLong("author_id");
            return AuditLog.append(conn, actor, "post.restored", "post", id, reason, new JsonObject())
                .compose(entry -> posts.json(conn, id)
                    .compose(json -> box.append(Topics.post(id), "post.restored", json, authorId)
                        .compose(e -> box.append(Topics.FEED, "post.restored", json, authorId)))
                    .compose(e -> box.append(Topics.MOD, "post.restored", entry.toJson(), authorId))
                    .compose(e -> box.append(Topics.user(authorId), "post.restored",
                        new JsonObject().put("id", id), authorId)))
                .mapEmpty();
          });
    });
  }

  /** Locks or unlocks a thread: a locked one takes no new comments. */
  Future<Void> lock(long id, Principal actor, boolean locked, String reason) {
    String action = locked ? "post.locked" : "post.unlocked";
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return lockPost(conn, id)
          .compose(v -> conn.preparedQuery(locked ? LOCK : UNLOCK).execute(Tuple.of(id)))
          .compose(rows -> {
            if (rows.size() == 0) {
              throw Problem.conflict(locked ? "The post is already locked." : "The post is not locked.");
            }
            long authorId = rows.iterator().next().getLong("author_id");
            JsonObject data = new JsonObject().put("id", id);
            return AuditLog.append(conn, actor, action, "post", id, reason, new JsonObject())
                .compose(entry -> box.append(Topics.post(id), action, data, authorId)
                    .compose(e -> box.append(Topics.MOD, action, entry.toJson(), authorId))
                    .compose(e -> box.append(Topics.user(authorId), action, data, authorId)))
                .mapEmpty();
          });
    });
  }

  private static Future<Void> lockPost(SqlConnection conn, long id) {
    return conn.preparedQuery(LOCK_POST).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such post.");
      return null;
    });
  }

  // ---- accounts ----

  Future<Target> user(String username) {
    return events.pool().preparedQuery(USER).execute(Tuple.of(username)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such user.");
      Row row = rows.iterator().next();
      return new Target(row.getLong("id"), row.getString("username"), row.getString("role"));
    });
  }

  /** Bans a user until a time (null: permanently). */
  Future<Void> ban(Target target, Principal actor, String reason, OffsetDateTime until) {
    OffsetDateTime end = until == null ? OffsetDateTime.MAX : until;
    return events.transaction(box -> box.connection().preparedQuery(BAN).execute(Tuple.of(target.id(), end, reason))
        .compose(v -> AuditLog.append(box.connection(), actor, "user.banned", "user", target.id(), reason,
            new JsonObject().put("username", target.username()).put("until", until == null ? null : Iso.format(until))))
        .compose(entry -> box.append(Topics.MOD, "user.banned", entry.toJson(), target.id()))
        .mapEmpty());
  }

  Future<Boolean> unban(Target target, Principal actor, String reason) {
    return events.transaction(box -> box.connection().preparedQuery(UNBAN).execute(Tuple.of(target.id()))
        .compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(false);
          return AuditLog.append(box.connection(), actor, "user.unbanned", "user", target.id(), reason,
                  new JsonObject().put("username", target.username()))
              .compose(entry -> box.append(Topics.MOD, "user.unbanned", entry.toJson(), target.id()))
              .map(true);
        }));
  }

  Future<Void> setRole(Target target, Principal actor, String role) {
    return events.transaction(box -> box.connection().preparedQuery(SET_ROLE).execute(Tuple.of(target.id(), role))
        .compose(v -> AuditLog.append(box.connection(), actor, "user.role_changed", "user", target.id(), null,
            new JsonObject().put("username", target.username()).put("from", target.role()).put("to", role)))
        .compose(entry -> box.append(Topics.MOD, "user.role_changed", entry.toJson(), target.id()))
        .mapEmpty());
  }

  private static JsonObject stats(long postId, RowSet<Row> count) {
    return new JsonObject().put("postId", postId).put("commentCount", count.iterator().next().getInteger("comment_count"));
  }
}
