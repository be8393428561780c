package parley.webhook;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import parley.http.Iso;

import java.util.Arrays;
import java.util.List;

/** A registered webhook endpoint and its delivery state; the secret never leaves the server after creation. */
public record Endpoint(long id, String url, List<String> eventTypes, String secret, String description, String status,
    long cursor, int attempts, String failingSince, String nextAttemptAt, String lastError, String createdAt) {

  static final String COLUMNS = "id, url, event_types, secret, description, status, cursor, attempts, failing_since, "
      + "next_attempt_at, last_error, created_at";

  static Endpoint fromRow(Row row) {
    return new Endpoint(row.getLong("id"), row.getString("url"),
        Arrays.asList(row.getArrayOfStrings("event_types")), row.getString("secret"), row.getString("description"),
        row.getString("status"), row.getLong("cursor"), row.getInteger("attempts"),
        row.getOffsetDateTime("failing_since") == null ? null : Iso.format(row.getOffsetDateTime("failing_since")),
        Iso.format(row.getOffsetDateTime("next_attempt_at")), row.getString("last_error"),
        Iso.format(row.getOffsetDateTime("created_at")));
  }

  /**
   * The part of an endpoint's address that may be shown to moderators: its scheme, host and port. Many receivers
   * (Slack's and Discord's incoming webhooks among them) carry their credential in the path or the query, and the
   * audit log is read by every moderator, not only the admins who may see the whole address.
   */
  static String origin(String url) {
    java.net.URI uri = java.net.URI.create(url);
    String origin = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    boolean more = (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
        || uri.getRawQuery() != null;
    return more ? origin + "/\u2026" : origin;
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("url", url).put("events", new JsonArray(eventTypes))
        .put("description", description).put("status", status).put("cursor", cursor).put("attempts", attempts)
        .put("failingSince", failingSince).put("nextAttemptAt", nextAttemptAt).put("lastError", lastError)
        .put("createdAt", createdAt);
  }
}
