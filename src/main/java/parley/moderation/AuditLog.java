package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import parley.http.Iso;
import parley.http.Page;
import parley.access.Principal;

import java.util.ArrayList;
import java.util.List;

/**
 * The moderators' audit log: one row per action, written in the same transaction as the action, never changed
 * (the database refuses UPDATE, DELETE and TRUNCATE on it).
 */
public final class AuditLog {

  /**
   * Audit actions that are not events: reports closed without a content action of their own. Every other action is
   * logged under the name of the event it publishes ({@code EventType.wireName()}).
   */
  static final String REPORT_ACTIONED = "report.actioned";
  static final String REPORT_DISMISSED = "report.dismissed";

  /**
   * Whose the target is and which thread it is in, so the log can read as a sentence ("mia hid bob's comment on
   * "Harbour footbridge""): joined to a mod_log row {@code l}.
   */
  private static final String TARGET = """
       LEFT JOIN posts tp ON l.target_type = 'post' AND tp.id = l.target_id
       LEFT JOIN comments tc ON l.target_type = 'comment' AND tc.id = l.target_id
       LEFT JOIN posts tcp ON tcp.id = tc.post_id
       LEFT JOIN users ta ON ta.id = CASE l.target_type WHEN 'post' THEN tp.author_id
                                     WHEN 'comment' THEN tc.author_id WHEN 'user' THEN l.target_id END""";

  private static final String TARGET_COLUMNS = "ta.username AS target_user, COALESCE(tp.id, tcp.id) AS target_post, "
      + "COALESCE(tp.title, tcp.title) AS target_title";

  private static final String APPEND = "WITH l AS (INSERT INTO mod_log (actor_id, action, target_type, target_id, "
      + "reason, details) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *) SELECT l.id, l.created_at, " + TARGET_COLUMNS
      + " FROM l " + TARGET;

  /** Newest first, keyset on id. */
  private static final String LIST = "SELECT l.id, l.action, l.target_type, l.target_id, l.reason, l.details, "
      + "l.created_at, u.username, " + TARGET_COLUMNS + " FROM mod_log l JOIN users u ON u.id = l.actor_id " + TARGET
      + " WHERE l.id < COALESCE($1, 9223372036854775807) ORDER BY l.id DESC LIMIT $2";

  /** One user's history: entries about them and about their posts and comments, newest first. */
  private static final String ABOUT_USER = "SELECT l.id, l.action, l.target_type, l.target_id, l.reason, l.details, "
      + "l.created_at, u.username, " + TARGET_COLUMNS + " FROM mod_log l JOIN users u ON u.id = l.actor_id " + TARGET
      + " WHERE ta.id = $1 ORDER BY l.id DESC LIMIT $2";

  /** One entry as the API and the mod topic show it. */
  public record Entry(long id, String actor, String action, String targetType, long targetId, String reason,
      JsonObject details, String at, JsonObject target) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id)
          // An account deleted since names no one: null, as a report's gone reporter is.
          .put("actor", actor == null ? null : new JsonObject().put("username", actor))
          .put("action", action)
          .put("targetType", targetType)
          .put("targetId", targetId)
          .put("target", target)
          .put("reason", reason)
          .put("details", details)
          .put("createdAt", at);
    }
  }

  private AuditLog() {
  }

  public static Future<Entry> append(SqlClient client, Principal actor, String action, String targetType, long targetId,
      String reason, JsonObject details) {
    return client.preparedQuery(APPEND)
        .execute(Tuple.of(actor.id(), action, targetType, targetId, reason, details))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new Entry(row.getLong("id"), actor.username(), action, targetType, targetId, reason, details,
              Iso.format(row.getOffsetDateTime("created_at")), target(row));
        });
  }

  /**
   * A moderator's deletion of someone else's post or comment ({@code post.deleted}, {@code comment.deleted}), or
   * nothing when its author deleted it: their own doing, in no moderator's log.
   */
  public static Future<java.util.Optional<Entry>> deletion(SqlClient client, Principal actor, long authorId,
      String targetType, long targetId, JsonObject details) {
    if (actor.id() == authorId) return Future.succeededFuture(java.util.Optional.empty());
    return append(client, actor, targetType + ".deleted", targetType, targetId, null, details)
        .map(java.util.Optional::of);
  }

  /** What the entry is about, for a sentence: whose it is ({@code username}), and its thread's id and title. */
  private static JsonObject target(Row row) {
    String user = row.getString("target_user");
    return new JsonObject().put("username", user).put("postId", row.getLong("target_post"))
        .put("postTitle", row.getString("target_title"));
  }

  static Future<List<Entry>> list(SqlClient client, Page page) {
    return entries(client.preparedQuery(LIST).execute(Tuple.of(page.after(), page.fetchSize())));
  }

  /** The latest entries about a user and their content. */
  static Future<List<Entry>> about(SqlClient client, long userId, int limit) {
    return entries(client.preparedQuery(ABOUT_USER).execute(Tuple.of(userId, limit)));
  }

  private static Future<List<Entry>> entries(Future<io.vertx.sqlclient.RowSet<Row>> query) {
    return query.map(rows -> {
      List<Entry> entries = new ArrayList<>(rows.size());
      for (Row row : rows) {
        Object details = row.getValue("details");
        entries.add(new Entry(row.getLong("id"), row.getString("username"), row.getString("action"),
            row.getString("target_type"), row.getLong("target_id"), row.getString("reason"),
            details instanceof JsonObject json ? json : new JsonObject(), Iso.format(row.getOffsetDateTime("created_at")),
            target(row)));
      }
      return entries;
    });
  }
}
