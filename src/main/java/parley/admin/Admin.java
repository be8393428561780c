package parley.admin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Standing;
import parley.account.AccountCache;
import parley.account.PasswordResets;
import parley.events.AccountChanged;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Iso;
import parley.http.Problem;
import parley.moderation.AuditLog;
import parley.report.Claims;

import java.time.OffsetDateTime;

/**
 * Administration of accounts: bans (by moderators) and roles (by admins). Each change is audited and published to
 * the moderators in its transaction, and once it commits every node's live connections re-check the account.
 */
public final class Admin {

  private static final String USER = "SELECT id, username, role FROM users WHERE lower(username) = lower($1)";

  /**
   * The role and ban now of the account acted on and of the one acting, both rows locked for the transaction, in id
   * order (so two admins acting on each other cannot deadlock): every ban, unban and role change decides on what this
   * reads, so two at once come one after the other and the second sees the first's result. A probe found both halves:
   * two admins giving the same role at once both logged "from user to moderator", and a moderator's ban landed on a
   * user promoted meanwhile, each having checked a role read before its transaction; and two admins demoting each
   * other at once both succeeded, leaving the community with no admin, while an admin demoted a moment before made
   * another account admin, each acting on the role its request was signed in with.
   */
  private static final String LOCK = "SELECT id, role, banned_until IS NOT NULL AND banned_until > now() AS banned "
      + "FROM users WHERE id IN ($1, $2) ORDER BY id FOR NO KEY UPDATE";

  /** The acting account's role and ban now, its row held against a change until the transaction ends. */
  private static final String BAN = "UPDATE users SET banned_until = $2, ban_reason = $3 WHERE id = $1";

  private static final String UNBAN = "UPDATE users SET banned_until = NULL, ban_reason = NULL "
      + "WHERE id = $1 AND banned_until IS NOT NULL RETURNING id";

  private static final String SET_ROLE = "UPDATE users SET role = $2 WHERE id = $1";

  /** An account's state as {@link #LOCK} read it. */
  private record Now(String role, boolean banned) {

    private static Now of(Row row) {
      return new Now(row.getString("role"), row.getBoolean("banned"));
    }
  }

  /** The acting and the acted-on account as {@link #LOCK} read them. */
  private record Parties(Now actor, Now target) {
  }

  /** A user an administrator acts on. */
  public record Target(long id, String username, String role) {
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

  /** The account of that name (404 if none, or deleted). */
  public Future<Target> user(String username) {
    return pool.preparedQuery(USER).execute(Tuple.of(username)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such user.");
      Row row = rows.iterator().next();
      return new Target(row.getLong("id"), row.getString("username"), row.getString("role"));
    });
  }

  /**
   * Both accounts' rows locked, and their roles and bans now: 404 if the target is gone, 403 if the actor may no
   * longer act as {@code needs} ("moderator" or "admin") since its request was signed in.
   */
  private static Future<Parties> lock(SqlConnection conn, Principal actor, Target target, String needs) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(actor.id(), target.id())).map(rows -> {
      Now acting = null;
      Now acted = null;
      for (Row row : rows) {
        if (row.getLong("id") == actor.id()) acting = Now.of(row);
        if (row.getLong("id") == target.id()) acted = Now.of(row);
      }
      if (acted == null) throw Problem.notFound("No such user.");
      checkStill(acting, needs);
      return new Parties(acting, acted);
    });
  }

  /** 403 unless the acting account, as just read, still has the role needed and is not banned. */
  private static void checkStill(Now acting, String needs) {
    Standing.check(acting == null ? null : acting.role(), acting != null && acting.banned(), needs);
  }

  /** The acting account's row held and checked as {@link Standing#still} does. */
  private static Future<Void> acting(SqlConnection conn, Principal actor, String needs) {
    return Standing.still(conn, actor, needs);
  }


  /**
   * Moderators act on users; only admins act on moderators; nobody bans an admin or themselves. Checked on the role
   * read before the transaction (to refuse early) and again on the locked row's ({@link #LOCK}).
   */
  static void checkMayBan(Principal actor, long targetId, String targetRole) {
    checkMayBan(actor.id(), actor.isAdmin(), targetId, targetRole);
  }

  private static void checkMayBan(long actorId, boolean actorIsAdmin, long targetId, String targetRole) {
    if (targetId == actorId) throw Problem.badRequest("You cannot do that to yourself.");
    if ("admin".equals(targetRole)) throw Problem.forbidden("Admins cannot be banned.");
    if ("moderator".equals(targetRole) && !actorIsAdmin) {
      throw Problem.forbidden("Only admins may ban moderators.");
    }
  }

  /**
   * Bans a user until a time (null: permanently); {@code removeContent} is recorded in the entry (the caller then
   * takes their content down, each piece with its own entry).
   */
  Future<Void> ban(Target target, Principal actor, String reason, OffsetDateTime until, boolean removeContent) {
    OffsetDateTime end = until == null ? OffsetDateTime.MAX : until;
    return events.transaction(box -> lock(box.connection(), actor, target, "moderator")
        .compose(now -> {
          checkMayBan(actor.id(), "admin".equals(now.actor().role()), target.id(), now.target().role());
          return box.connection().preparedQuery(BAN).execute(Tuple.of(target.id(), end, reason));
        })
        // A banned moderator is on nothing now, and a lifted ban does not bring their claims back.
        .compose(v -> Claims.revoke(box, target.id(), target.username(), actor))
        .compose(v -> AuditLog.append(box.connection(), actor, EventType.USER_BANNED.wireName(), "user", target.id(),
            reason, withRemoval(new JsonObject().put("username", target.username())
                .put("until", until == null ? null : Iso.format(until)), removeContent)))
        .compose(entry -> {
          box.onCommitFirst(() -> accounts.changed(AccountChanged.of(target.id())));
          return box.publish(Publication.of(EventType.USER_BANNED, target.id(), entry.toJson()));
        }));
  }

  private static JsonObject withRemoval(JsonObject details, boolean removeContent) {
    return removeContent ? details.put("removeContent", true) : details;
  }

  /** Lifts a ban; nothing happens (and nothing is logged) if there is none. */
  Future<Void> unban(Target target, Principal actor, String reason) {
    return events.transaction(box -> lock(box.connection(), actor, target, "moderator")
        .compose(now -> {
          checkMayBan(actor.id(), "admin".equals(now.actor().role()), target.id(), now.target().role());
          return box.connection().preparedQuery(UNBAN).execute(Tuple.of(target.id()));
        })
        .compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(false);
          return AuditLog.append(box.connection(), actor, EventType.USER_UNBANNED.wireName(), "user", target.id(),
                  reason, new JsonObject().put("username", target.username()))
              .compose(entry -> {
                box.onCommitFirst(() -> accounts.changed(AccountChanged.of(target.id())));
                return box.publish(Publication.of(EventType.USER_UNBANNED, target.id(), entry.toJson()));
              })
              .map(true);
        }))
        .mapEmpty();
  }

  /**
   * Gives the account a role; nothing happens (and nothing is logged) if it has that role already when its row is
   * locked. Admins cannot be banned, so a banned account is not made an admin.
   */
  Future<Void> setRole(Target target, Principal actor, String role) {
    return events.transaction(box -> lock(box.connection(), actor, target, "admin").compose(parties -> {
      Now now = parties.target();
      if (now.role().equals(role)) return Future.succeededFuture(false);
      if ("admin".equals(role) && now.banned()) {
        throw Problem.conflict(target.username() + " is banned, and admins cannot be: lift the ban first.");
      }
      return box.connection().preparedQuery(SET_ROLE).execute(Tuple.of(target.id(), role))
          .compose(v -> "user".equals(role) ? Claims.revoke(box, target.id(), target.username(), actor)
              : Future.<Void>succeededFuture())
          .compose(v -> AuditLog.append(box.connection(), actor, EventType.USER_ROLE_CHANGED.wireName(), "user",
              target.id(), null,
              new JsonObject().put("username", target.username()).put("from", now.role()).put("to", role)))
          .compose(entry -> {
            box.onCommitFirst(() -> accounts.changed(AccountChanged.of(target.id())));
            return box.publish(Publication.of(EventType.USER_ROLE_CHANGED, target.id(), entry.toJson()));
          })
          .map(true);
    })).mapEmpty();
  }

  /**
   * The audit entry of an admin's download of a member's data ({@code user.exported}, with the reason; details: the
   * name), announced on the moderators' topic; 403 if the actor is no longer an admin.
   */
  public Future<Void> exported(Target target, Principal actor, String reason) {
    return events.transaction(box -> acting(box.connection(), actor, "admin")
        .compose(v -> AuditLog.append(box.connection(), actor, EventType.USER_EXPORTED.wireName(), "user",
            target.id(), reason, new JsonObject().put("username", target.username())))
        .compose(entry -> box.publish(Publication.of(EventType.USER_EXPORTED, target.id(), entry.toJson()))));
  }

  /**
   * Issues a one-time password reset link for a user (replacing theirs if they had one), audited and published to
   * the moderators without the link.
   */
  Future<JsonObject> issuePasswordReset(Target target, Principal actor) {
    String token = PasswordResets.newToken();
    return events.transaction(box -> acting(box.connection(), actor, "admin")
        .compose(v -> box.connection().preparedQuery(PasswordResets.ISSUE)
            .execute(Tuple.of(PasswordResets.hash(token), target.id(), actor.id(),
                (double) PasswordResets.VALID_FOR.toSeconds())))
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
