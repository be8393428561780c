package parley.access;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import parley.http.Iso;
import parley.http.Problem;
import parley.http.ProblemType;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * Who is calling: set on the request by the account feature's authenticator from a verified token and the
 * user's current row, so a role change or a ban takes effect on the very next request. Features read it from
 * here and never parse tokens themselves.
 *
 * @param bannedUntil  end of a ban (OffsetDateTime.MAX for a permanent one), or null
 * @param tokenVersion the version of the user's tokens now: a token of an older version was revoked
 */
public record Principal(long id, String username, String role, OffsetDateTime createdAt,
    OffsetDateTime bannedUntil, String banReason, int tokenVersion) {

  private static final String KEY = "parley.principal";

  public boolean isModerator() {
    return "moderator".equals(role) || "admin".equals(role);
  }

  public boolean isAdmin() {
    return "admin".equals(role);
  }

  public boolean isBanned(Instant now) {
    return bannedUntil != null && bannedUntil.toInstant().isAfter(now);
  }

  /** Whether the ban has no end (stored as PostgreSQL's infinity). */
  public boolean isBannedForGood() {
    return endless(bannedUntil);
  }

  /** The last year a timed ban may end in; past it a ban is for good. */
  public static final int LAST_BAN_YEAR = 9999;

  /**
   * Whether a ban's end is no end: PostgreSQL's infinity, which the client reads as OffsetDateTime.MAX. A ban may
   * end in any year up to {@link #LAST_BAN_YEAR} (in UTC) and is read back with its date.
   */
  public static boolean endless(OffsetDateTime bannedUntil) {
    // Compared as instants: infinity (OffsetDateTime.MAX) has no UTC form to take its year from.
    return bannedUntil != null && bannedUntil.isAfter(LAST_TIMED_BAN_END);
  }

  private static final OffsetDateTime LAST_TIMED_BAN_END =
      OffsetDateTime.of(LAST_BAN_YEAR, 12, 31, 23, 59, 59, 999_999_999, java.time.ZoneOffset.UTC);

  /** Accounts younger than a day get tighter rate limits. */
  public boolean isNew(Instant now) {
    return createdAt != null && createdAt.toInstant().isAfter(now.minusSeconds(86_400));
  }

  public void attachTo(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  /** The caller, if signed in. */
  public static Optional<Principal> current(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(KEY));
  }

  /** The caller, or a 401 if nobody is signed in. */
  public static Principal required(RoutingContext ctx) {
    Principal p = ctx.get(KEY);
    if (p == null) throw Problem.unauthorized("Sign in first: send Authorization: Bearer <token>.");
    return p;
  }

  /** The caller, who must be signed in and not banned: every write goes through here. */
  public static Principal active(RoutingContext ctx) {
    Principal p = required(ctx);
    if (p.isBanned(Instant.now())) {
      boolean permanent = p.isBannedForGood();
      String until = permanent ? null : Iso.format(p.bannedUntil());
      throw ProblemType.BANNED.problem(permanent ? "You are banned: " + p.banReason()
          : "You are banned until " + until + ": " + p.banReason()).with(new JsonObject().put("reason", p.banReason()).put("until", until));
    }
    return p;
  }

  /** The caller, who must be an admin and not banned (401 anonymous, 403 otherwise). */
  public static Principal admin(RoutingContext ctx) {
    Principal p = active(ctx);
    if (!p.isAdmin()) throw Problem.forbidden("Only admins may do that.");
    return p;
  }

  /** The caller, who must be a moderator or admin and not banned (401 anonymous, 403 otherwise). */
  public static Principal moderator(RoutingContext ctx) {
    Principal p = active(ctx);
    if (!p.isModerator()) throw Problem.forbidden("Only moderators may do that.");
    return p;
  }
}
