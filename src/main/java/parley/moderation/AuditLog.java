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

  private static final String APPEND = "INSERT INTO mod_log (actor_id, action, target_type, target_id, reason, details) "
      + "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at";

  /** Newest first, keyset on id. */
  private static final String LIST = "SELECT l.id, l.action, l.target_type, l.target_id, l.reason, l.details, "
      + "l.created_at, u.username FROM mod_log l JOIN users u ON u.id = l.actor_id "
      + "WHERE l.id < COALESCE($1, 9223372036854775807) ORDER BY l.id DESC LIMIT $2";

  /** One entry as the API and the mod topic show it. */
  public record Entry(long id, String actor, String action, String targetType, long targetId, String reason,
      JsonObject details, String at) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id)
          .put("actor", new JsonObject().put("username", actor))
          .put("action", action)
          .put("targetType", targetType)
          .put("targetId", targetId)
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
              Iso.format(row.getOffsetDateTime("created_at")));
        });
  }

  static Future<List<Entry>> list(SqlClient client, Page page) {
    return client.preparedQuery(LIST).execute(Tuple.of(page.after(), page.fetchSize())).map(rows -> {
      List<Entry> entries = new ArrayList<>(rows.size());
      for (Row row : rows) {
        Object details = row.getValue("details");
        entries.add(new Entry(row.getLong("id"), row.getString("username"), row.getString("action"),
            row.getString("target_type"), row.getLong("target_id"), row.getString("reason"),
            details instanceof JsonObject json ? json : new JsonObject(), Iso.format(row.getOffsetDateTime("created_at"))));
      }
      return entries;
    });
  }
}
