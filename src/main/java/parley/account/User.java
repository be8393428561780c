package parley.account;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import parley.http.Iso;
import parley.access.Principal;

import java.time.Instant;
import java.time.OffsetDateTime;

/** An account as its owner sees it. */
public record User(long id, String username, String email, String role, OffsetDateTime createdAt,
    OffsetDateTime bannedUntil, String banReason, int tokenVersion, String bio, String image) {

  static User fromRow(Row row) {
    return new User(row.getLong("id"), row.getString("username"), row.getString("email"),
        row.getString("role"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("banned_until"),
        row.getString("ban_reason"), row.getInteger("token_version"), row.getString("bio"), row.getString("image"));
  }

  public Principal principal() {
    return new Principal(id, username, role, createdAt, bannedUntil, banReason, tokenVersion);
  }

  /** The private view, for /api/me and the register and login answers. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("username", username)
        .put("email", email)
        .put("role", role)
        .put("bio", bio)
        .put("image", image)
        .put("createdAt", Iso.format(createdAt))
        .put("ban", ban());
  }

  /**
   * The caller's own ban while it lasts, so that the web app can say so before a write is refused: {@code until}
   * (null for good) and {@code reason}, as the 403 {@code banned} problem gives them; null when not banned.
   */
  private JsonObject ban() {
    Principal self = principal();
    if (!self.isBanned(Instant.now())) return null;
    return new JsonObject().put("until", self.isBannedForGood() ? null : Iso.format(bannedUntil)).put("reason", banReason);
  }
}
