package parley.admin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.account.AccountCache;
import parley.account.PasswordResets;
import parley.events.AccountChanged;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Iso;
import parley.http.Problem;
import parley.moderation.AuditLog;

import java.time.OffsetDateTime;

/**
 * Administration of accounts: bans (by moderators) and roles (by admins). Each change is audited and published to
 * the moderators in its transaction, and once it commits every node's live connections re-check the account.
 */
public final class Admin {

  private static final String USER = "SELECT id, username, role FROM users WHERE lower(username) = lower($1)";

  /**
   * The account's role and whether it is banned now, its row locked for the transaction: every ban, unban and role
   * change decides on what this reads, so two at once come one after the other and the second sees the first's
   * result (a probe: two admins giving the same role at once both logged "from user to moderator", and a moderator's
   * ban landed on a user promoted to moderator meanwhile, each having checked a role read before its transaction).
   */
  private static final String LOCK = "SELECT role, banned_until IS NOT NULL AND banned_until > now() AS banned "
      + "FROM users WHERE id = $1 FOR NO KEY UPDATE";

  private static final String BAN = "UPDATE users SET banned_until = $2, ban_reason = $3 WHERE id = $1";

  private static final String UNBAN = "UPDATE users SET banned_until = NULL, ban_reason = NULL "
      + "WHERE id = $1 AND banned_until IS NOT NULL RETURNING id";

  private static final String SET_ROLE = "UPDATE users SET role = $2 WHERE id = $1";

  /** An account's state as {@link #LOCK} read it. */
  private record Now(String role, boolean banned) {
  }

  /** A user an administrator acts on. */
  record Target(long id, String username, String role) {
  }

  private final Pool pool;
  private final EventLog events;
  private final AccountCache accounts;

  /** @param accounts the node's account cache: a change retires the account there before it answers */
  public Admin(Pool pool, EventLog events, AccountCache accounts) {
    this.pool = pool;
    this.events = events;
    this.accounts = accounts;
  }

  Future<Target> user(String username) {
    return pool.preparedQuery(USER).execute(Tuple.of(username)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such user.");
      Row row = rows.iterator().next();
      return new Target(row.getLong("id"), row.getString("username"), row.getString("role"));
    });
  }

  /** The account's row locked, and its role and ban now; 404 if it is gone. */
  private static Future<Now> lock(SqlConnection conn, Target target) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(target.id())).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such user.");
      Row row = rows.iterator().next();
      return new Now(row.getString("role"), row.getBoolean("banned"));
    });
  }

  /**
   * Moderators act on users; only admins act on moderators; nobody bans an admin or themselves. Checked on the role
   * read before the transaction (to refuse early) and again on the locked row's ({@link #LOCK}).
   */
  static void checkMayBan(Principal actor, long targetId, String targetRole) {
    if (targetId == actor.id()) throw Problem.badRequest("You cannot do that to yourself.");
    if ("admin".equals(targetRole)) throw Problem.forbidden("Admins cannot be banned.");
    if ("moderator".equals(targetRole) && !actor.isAdmin()) {
      throw Problem.forbidden("Only admins may ban moderators.");
    }
  }

  /** Bans a user until a time (null: permanently). */
  Future<Void> ban(Target target, Principal actor, String reason, OffsetDateTime until) {
    OffsetDateTime end = until == null ? OffsetDateTime.MAX : until;
    return events.transaction(box -> lock(box.connection(), target)
        .compose(now -> {
          checkMayBan(actor, target.id(), now.role());
          return box.connection().preparedQuery(BAN).execute(Tuple.of(target.id(), end, reason));
        })
        .compose(v -> AuditLog.append(box.connection(), actor, EventType.USER_BANNED.wireName(), "user", target.id(),
            reason, new JsonObject().put("username", target.username())
                .put("until", until == null ? null : Iso.format(until))))
        .compose(entry -> box.publish(Publication.of(EventType.USER_BANNED, target.id(), entry.toJson()))))
        .onSuccess(v -> accounts.changed(AccountChanged.of(target.id())));
  }

  /** Lifts a ban; nothing happens (and nothing is logged) if there is none. */
  Future<Void> unban(Target target, Principal actor, String reason) {
    return events.transaction(box -> lock(box.connection(), target)
        .compose(now -> {
          checkMayBan(actor, target.id(), now.role());
          return box.connection().preparedQuery(UNBAN).execute(Tuple.of(target.id()));
        })
        .compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(false);
          return AuditLog.append(box.connection(), actor, EventType.USER_UNBANNED.wireName(), "user", target.id(),
                  reason, new JsonObject().put("username", target.username()))
              .compose(entry -> box.publish(Publication.of(EventType.USER_UNBANNED, target.id(), entry.toJson())))
              .map(true);
        }))
        .map(changed -> {
          if (changed) accounts.changed(AccountChanged.of(target.id()));
          return null;
        });
  }

  /**
   * Gives the account a role; nothing happens (and nothing is logged) if it has that role already when its row is
   * locked. Admins cannot be banned, so a banned account is not made an admin.
   */
  Future<Void> setRole(Target target, Principal actor, String role) {
    return events.transaction(box -> lock(box.connection(), target).compose(now -> {
      if (now.role().equals(role)) return Future.succeededFuture(false);
      if ("admin".equals(role) && now.banned()) {
        throw Problem.conflict(target.username() + " is banned, and admins cannot be: lift the ban first.");
      }
      return box.connection().preparedQuery(SET_ROLE).execute(Tuple.of(target.id(), role))
          .compose(v -> AuditLog.append(box.connection(), actor, EventType.USER_ROLE_CHANGED.wireName(), "user",
              target.id(), null,
              new JsonObject().put("username", target.username()).put("from", now.role()).put("to", role)))
          .compose(entry -> box.publish(Publication.of(EventType.USER_ROLE_CHANGED, target.id(), entry.toJson())))
          .map(true);
    })).map(changed -> {
      if (changed) accounts.changed(AccountChanged.of(target.id()));
      return null;
    });
  }

  /**
   * Issues a one-time password reset link for a user (replacing theirs if they had one), audited and published to
   * the moderators without the link.
   */
  Future<JsonObject> issuePasswordReset(Target target, Principal actor) {
    String token = PasswordResets.newToken();
    return events.transaction(box -> box.connection().preparedQuery(PasswordResets.ISSUE)
        .execute(Tuple.of(PasswordResets.hash(token), target.id(), actor.id(),
            (double) PasswordResets.VALID_FOR.toSeconds()))
        .compose(rows -> {
          if (rows.size() == 0) throw Problem.notFound("No such user.");
          String expiresAt = Iso.format(rows.iterator().next().getOffsetDateTime("expires_at"));
          return AuditLog.append(box.connection(), actor, EventType.USER_PASSWORD_RESET.wireName(), "user",
                  target.id(), null, new JsonObject().put("username", target.username()).put("expiresAt", expiresAt))
              .compose(entry -> box.publish(Publication.of(EventType.USER_PASSWORD_RESET, target.id(),
                  entry.toJson())))
              .map(v -> new JsonObject().put("username", target.username()).put("token", token)
                  .put("link", PasswordResets.LINK_PATH + token).put("expiresAt", expiresAt));
        }));
  }
}
