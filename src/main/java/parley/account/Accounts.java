package parley.account;

import com.hazelcast.core.HazelcastInstance;
import parley.cluster.Cluster;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import io.vertx.core.Vertx;
import parley.access.Principal;
import parley.config.AppConfig;
import parley.events.AccountChanged;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.moderation.AuditLog;
import parley.readcache.Invalidation;
import parley.readcache.ReadCache;
import parley.http.Iso;
import parley.http.Problem;
import parley.http.RateLimiter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The account feature's API for the rest of Parley: accounts in PostgreSQL (usernames matched ignoring ASCII case,
 * emails by their {@link EmailKey}, through the unique indexes), passwords (argon2id, off the event loop), tokens (issue, strict checks,
 * revocation) and the login slow-down.
 */
public final class Accounts {

  private static final String BAD_LOGIN = "The login or password is wrong.";

  private static final String USER_COLUMNS =
      "id, username, email, role, created_at, banned_until, ban_reason, token_version, bio, image";

  private static final String INSERT = "INSERT INTO users (username, email, password_hash, role, email_key) "
      + "VALUES ($1, $2, $3, $4, $5) RETURNING " + USER_COLUMNS;

  private static final String FIND_FOR_LOGIN = "SELECT " + USER_COLUMNS + ", password_hash FROM users "
      + "WHERE lower(username) = lower($1) OR email_key = $2 LIMIT 1";

  /** A deleted account is no one's: its tokens, its profile and every lookup by id find nothing. */
  private static final String FIND_BY_ID =
      "SELECT " + USER_COLUMNS + " FROM users WHERE id = $1 AND deleted_at IS NULL";

  /**
   * A profile: its counts are kept as the member's content changes ({@link MemberCounts}; no row yet: nothing
   * written). Counted here instead, they grew with the member's output: a profile of 20,000 comments took 113 ms.
   * Public for the plan tests.
   */
  public static final String PROFILE = """
      SELECT u.id, u.username, u.role, u.created_at, u.bio, u.image,
             COALESCE(m.posts, 0) AS post_count, %s AS comment_count
        FROM users u LEFT JOIN member_counts m ON m.user_id = u.id
       WHERE lower(u.username) = lower($1)""".formatted(MemberCounts.comments("u.id"));

  /** Ends every token issued so far: they carry the old version. */
  private static final String REVOKE_TOKENS = "UPDATE users SET token_version = token_version + 1 WHERE id = $1 "
      + "RETURNING " + USER_COLUMNS;

  private static final String PASSWORD_HASH = "SELECT password_hash FROM users WHERE id = $1";

  /** A new password ends every token too; only the version read with the old hash is replaced. */
  private static final String CHANGE_PASSWORD = "UPDATE users SET password_hash = $2, token_version = token_version + 1 "
      + "WHERE id = $1 AND password_hash = $3 RETURNING " + USER_COLUMNS;

  /**
   * Changes what was given ($2..$4 null: kept; $5/$7 true: bio/image set to $6/$8, null clears; $9 the new email's
   * key); a new password ($4) ends every token issued so far.
   */
  private static final String UPDATE_ACCOUNT = "UPDATE users SET username = COALESCE($2, username), "
      + "email = COALESCE($3, email), email_key = COALESCE($9, email_key), "
      + "password_hash = COALESCE($4, password_hash), "
      + "token_version = token_version + CASE WHEN $4::text IS NULL THEN 0 ELSE 1 END, "
      + "bio = CASE WHEN $5 THEN $6 ELSE bio END, image = CASE WHEN $7 THEN $8 ELSE image END "
      + "WHERE id = $1 AND deleted_at IS NULL RETURNING " + USER_COLUMNS;

  /** Whether name $1 is held from account $2 (in use by another, or left by a rename or deletion within 30 days). */
  private static final String HELD = "EXISTS (SELECT 1 FROM mod_log WHERE action = 'user.renamed' "
      + "AND lower(details ->> 'from') = lower($1) AND created_at > now() - interval '30 days' AND actor_id <> $2) "
      + "OR EXISTS (SELECT 1 FROM mod_log WHERE action = 'user.deleted' "
      + "AND lower(details ->> 'from') = lower($1) AND created_at > now() - interval '30 days') "
      + "OR EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1) AND id <> $2)";

  /**
   * Whether $1 is a name someone other than $2 (0 for a new account) has, or renamed away from, or had on an account
   * deleted, in the last 30 days: held, so links to /u/<name> and the mentions rendered with it do not lead to a
   * newcomer (V27, V30). Asked
   * before a rename takes from its limit, so that a name found taken costs none; the unique index still decides.
   */
  private static final String RESERVED = "SELECT " + HELD;

  /** The account's name as it is, its row locked until the rename that reads it commits. */
  private static final String NAME_NOW = "SELECT username FROM users WHERE id = $1 FOR UPDATE";

  /** For a registration: whether the name ($1, held from account $2: none) and the address ($3, its key) are taken. */
  private static final String TAKEN = "SELECT (" + HELD + ") AS name_taken, "
      + "EXISTS (SELECT 1 FROM users WHERE email_key = $3) AS email_taken";

  /** Whether $1 is an address another account than $2 has (the unique index still decides). */
  private static final String EMAIL_TAKEN =
      "SELECT EXISTS (SELECT 1 FROM users WHERE email_key = $1 AND id <> $2)";

  /**
   * {@link #UPDATE_ACCOUNT} with a new username, and the rename in the moderators' audit log in the same statement
   * ($10 the name before): who troll99 is now stays one click away on their record. The account's row comes back
   * with the log entry's id and time ({@code log_id}, {@code log_at}), to announce it.
   */
  private static final String RENAME_ACCOUNT = "WITH u AS (" + UPDATE_ACCOUNT + "), "
      + "l AS (INSERT INTO mod_log (actor_id, action, target_type, target_id, details) "
      + "SELECT id, 'user.renamed', 'user', id, jsonb_build_object('from', $10::text, 'to', username) FROM u "
      + "RETURNING id, created_at) "
      + "SELECT u.*, l.id AS log_id, l.created_at AS log_at FROM u CROSS JOIN l";

  /**
   * Uses a reset link ($1 its token's hash) for a new password ($2): the link is deleted and every token of the
   * account ends; no row when the link is not one to use now (mistyped, used, expired).
   */
  private static final String USE_RESET = """
      WITH used AS (DELETE FROM password_resets WHERE token_hash = $1 AND expires_at > now() RETURNING user_id)
      UPDATE users SET password_hash = $2, token_version = token_version + 1
        FROM used WHERE users.id = used.user_id
      RETURNING\s""" + USER_COLUMNS;

  private static final String BAD_RESET =
      "was mistyped, has been used or has expired: ask an admin for a new one";

  /**
   * {@code PARLEY_ADMIN} names the first admin, and an admin again only when none is left (a recovery): matched by
   * name every time, it would hand the role to whoever took the name after the admin renamed their account.
   */
  private static final String NO_ADMIN = "NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')";

  private static final String PROMOTE_TO_ADMIN = "UPDATE users SET role = 'admin' WHERE lower(username) = lower($1) "
      + "AND " + NO_ADMIN + " RETURNING id";

  /**
   * The account (by id, $1, or by name, $2) and every admin, locked in id order: of two admins deleting their
   * accounts at once, the second finds the first gone and is the last admin; an admin deleting someone's is among
   * them, or is no admin any more (demoted, or deleted by another admin a moment before).
   */
  private static final String LOCK_FOR_DELETION = "SELECT id, username, role, banned_until > now() AS banned "
      + "FROM users WHERE (id = $1 OR lower(username) = lower($2) OR role = 'admin') AND deleted_at IS NULL "
      + "ORDER BY id FOR UPDATE";

  /**
   * The account ($1) deleted by $3 (itself, or an admin, with a reason, $4): the row stays, naming no one (V30); every
   * token ends; the deletion goes into the moderators' audit log with the name it had ($2), which it holds for 30
   * days ({@link #RESERVED}).
   */
  private static final String DELETE_ACCOUNT = """
      WITH u AS (
        UPDATE users SET deleted_at = now(), username = NULL, email = NULL, email_key = NULL, password_hash = '',
                         bio = NULL, image = NULL, role = 'user', banned_until = NULL, ban_reason = NULL,
                         token_version = token_version + 1
         WHERE id = $1 RETURNING id),
      l AS (
        INSERT INTO mod_log (actor_id, action, target_type, target_id, reason, details)
        SELECT $3, 'user.deleted', 'user', id, $4, jsonb_build_object('from', $2::text, 'self', id = $3) FROM u
        RETURNING id, created_at)
      SELECT id AS log_id, created_at AS log_at FROM l""";

  /** The account's blocks, either way; who blocked it comes back, whose cached account then changes. */
  private static final String DROP_BLOCKS =
      "DELETE FROM blocks WHERE blocker_id = $1 OR blocked_id = $1 RETURNING blocker_id";

  /**
   * What was the deleted account's own: follows either way, followed threads, settings, its inbox, its stored
   * answers (which hold what it wrote), its thread memberships, a reset link, and the moderators' notes on it.
   */
  private static final String DROP_OWN = """
      WITH f AS (DELETE FROM user_follows WHERE follower_id = $1 OR followee_id = $1),
           t AS (DELETE FROM thread_follows WHERE user_id = $1),
           s AS (DELETE FROM notification_settings WHERE user_id = $1),
           n AS (DELETE FROM notifications WHERE user_id = $1),
           k AS (DELETE FROM idempotency_keys WHERE user_id = $1),
           c AS (DELETE FROM thread_commenters WHERE user_id = $1),
           r AS (DELETE FROM password_resets WHERE user_id = $1)
      DELETE FROM user_notes WHERE user_id = $1""";

  /** After {@link #DROP_OWN}, whose inbox's triggers may have marked its unread count stale. */
  private static final String DROP_UNREAD = "DELETE FROM unread_counts WHERE user_id = $1";

  /** A new account with the configured admin's name: the admin if there is none yet. */
  private static final String INSERT_CONFIGURED_ADMIN = "INSERT INTO users (username, email, password_hash, role, "
      + "email_key) VALUES ($1, $2, $3, CASE WHEN " + NO_ADMIN + " THEN 'admin' ELSE 'user' END, $4) RETURNING "
      + USER_COLUMNS;

  /** A user row with its password hash, for login only. */
  record Credentials(User user, String passwordHash) {
  }

  /** A signed-in session: a token and the account it speaks for. */
  public record Session(String token, User user) {
    public JsonObject toJson() {
      return new JsonObject().put("token", token).put("user", user.toJson());
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  /** Where a rename is announced to the moderators, in its own transaction. */
  private final EventLog events;
  private final Tokens tokens;
  private final Passwords passwords;
  private final LoginThrottle logins;
  private final Optional<String> admin;
  private final ReadCache readCache;
  private final AccountCache cache;

  /**
   * @param logins the node's login throttle, shared by every verticle ({@link #loginThrottle})
   * @param admin  the username made admin when it registers ({@code PARLEY_ADMIN})
   * @param readCache the node's anonymous read cache, which shows usernames on every post and comment
   * @param cache     the node's accounts as the authenticator last read them
   * @param hashing   the node's password hashing (its own threads, its cost)
   */
  public Accounts(Vertx vertx, Pool pool, EventLog events, Tokens tokens, LoginThrottle logins,
      Optional<String> admin, ReadCache readCache, AccountCache cache, PasswordHashing hashing) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
    this.tokens = tokens;
    this.passwords = new Passwords(hashing);
    this.logins = logins;
    this.admin = admin;
    this.readCache = readCache;
    this.cache = cache;
  }

  /** The node's login throttle, kept on this node (see {@link LoginThrottle}). */
  public static LoginThrottle loginThrottle(AppConfig config) {
    return new LoginThrottle(config.loginFreeFailures(), config.loginMaxDelay());
  }

  /** The login throttle of a cluster, kept in its map (see {@link LoginThrottle}). */
  public static LoginThrottle loginThrottle(AppConfig config, Vertx vertx, HazelcastInstance hazelcast) {
    return new LoginThrottle(config.loginFreeFailures(), config.loginMaxDelay(), vertx,
        hazelcast.getMap(Cluster.LOGIN_THROTTLE_MAP));
  }

  /**
   * Makes the configured admin ({@code PARLEY_ADMIN}) an admin at start-up if that account already exists and the
   * community has no admin (and tells every node, whose caches may hold the account as it was).
   */
  public static Future<Void> promoteConfiguredAdmin(Pool pool, Optional<String> admin, AccountCache cache) {
    return admin.map(name -> pool.preparedQuery(PROMOTE_TO_ADMIN).execute(Tuple.of(name)).<Void>map(rows -> {
      rows.forEach(row -> cache.changed(AccountChanged.of(row.getLong("id"))));
      return null;
    })).orElse(Future.succeededFuture());
  }

  /**
   * Creates an account and signs it in; the configured admin's username gets the admin role while the community has
   * no admin ({@link #NO_ADMIN}).
   */
  public Future<Session> register(String username, String email, String password) {
    boolean configuredAdmin = admin.filter(username::equalsIgnoreCase).isPresent();
    return bothFree(username, email)
        .compose(v -> passwords.hash(password))
        .compose(hash -> configuredAdmin ? insertConfiguredAdmin(username, email, hash)
            : insert(username, email, hash, "user"))
        .map(this::session);
  }

  private Future<User> insertConfiguredAdmin(String username, String email, String passwordHash) {
    return pool.preparedQuery(INSERT_CONFIGURED_ADMIN)
        .execute(Tuple.of(username, email, passwordHash, EmailKey.of(email)))
        .map(rows -> User.fromRow(rows.iterator().next()))
        .recover(Accounts::explainDuplicate);
  }

  /**
   * Signs in with a username or email and a password, from an address. An account being guessed makes its next
   * attempt wait (429) unless the address signed in to it before; a wrong password or unknown login is a 401 that
   * costs the same time either way. An attempt from an address the account does not know counts as a failure before
   * its password is checked (see {@link LoginThrottle}).
   */
  public Future<Session> login(String login, String password, String ip) {
    return findForLogin(login).compose(found -> {
      String key = found.map(credentials -> throttleKey(credentials.user())).orElse(null);
      Future<LoginThrottle.Attempt> attempt = key == null ? Future.succeededFuture(LoginThrottle.Attempt.FREE)
          : logins.attempt(key, ip);
      return attempt.compose(tried -> {
        if (tried.waitSeconds() > 0) throw RateLimiter.tooMany(tried.waitSeconds());
        return passwords.verify(password, found.map(Credentials::passwordHash).orElse(null))
            .recover(unchecked -> tried.counted()
                ? logins.released(key, tried).transform(v -> Future.failedFuture(unchecked))
                : Future.failedFuture(unchecked))
            .compose(ok -> {
              if (!ok) {
                Future<Void> counted = key == null || tried.counted() ? Future.succeededFuture() : logins.failed(key);
                return counted.transform(v -> Future.failedFuture(Problem.unauthorized(BAD_LOGIN)));
              }
              return logins.succeeded(key, ip).transform(v -> Future.succeededFuture(session(found.get().user())));
            });
      });
    });
  }

  /**
   * Verifies a token and finds its user as they are now (so a role change, a ban, a sign-out everywhere or a deleted
   * account counts at once): from the node's account cache, which every such change retires before it answers (see
   * {@link AccountCache}), else from the database. Fails with a 401 problem for a bad, expired or revoked token or a
   * vanished account.
   */
  public Future<Identity> identify(String token) {
    return tokens.verify(token)
        .recover(e -> Future.failedFuture(Problem.unauthorized("The token is invalid or has expired.")))
        .compose(claims -> cache.find(claims.userId(), () -> findById(claims.userId()))
            .compose(found -> {
              // A token newer than the kept account (issued on another node by a change whose message is still on
              // its way) is checked against the database, not refused.
              if (found.isPresent() && found.get().tokenVersion() < claims.version()) return findById(claims.userId());
              return Future.succeededFuture(found);
            })
            .map(found -> {
              User user = found.orElseThrow(() -> Problem.unauthorized("The token's account no longer exists."));
              if (user.tokenVersion() != claims.version()) {
                throw Problem.unauthorized("The token was revoked: sign in again.");
              }
              return new Identity(user.principal(), claims.expiresAt());
            }));
  }

  /** A user as they are now, for live connections that must re-check a role, a ban or their tokens. */
  public Future<Optional<Principal>> principal(long userId) {
    return findById(userId).map(user -> user.map(User::principal));
  }

  /** The account itself, as its owner sees it (401 if it is gone). */
  public Future<User> me(long userId) {
    return me(pool, userId);
  }

  /** As {@link #me(long)}, read through {@code client}: a transaction's connection, in its snapshot. */
  public static Future<User> me(io.vertx.sqlclient.SqlClient client, long userId) {
    return client.preparedQuery(FIND_BY_ID).execute(Tuple.of(userId)).map(rows -> {
      if (rows.size() == 0) throw Problem.unauthorized("The token's account no longer exists.");
      return User.fromRow(rows.iterator().next());
    });
  }

  /** Ends every token of the account issued so far, on every device and live connection. */
  public Future<Void> logoutAll(long userId) {
    return revokeTokens(userId).map(user -> {
      cache.changed(AccountChanged.of(userId));
      return null;
    });
  }

  /**
   * Changes the password, given the current one; every other token ends, as after a sign-out everywhere, and a new
   * session is returned for this device. A wrong current password counts as a failed login, for the account and for
   * the address ({@code PARLEY_LIMIT_FAILED_LOGINS_IP} in {@code limits}).
   */
  public Future<Session> changePassword(Principal me, String current, String next, String ip, RateLimiter limits) {
    return verifyCurrent(me, current, ip, limits)
        .compose(stored -> passwords.hash(next).compose(newHash -> changePassword(me.id(), stored, newHash)))
        .map(changed -> {
          User user = changed.orElseThrow(() -> Problem.conflict("The password was changed meanwhile; try again."));
          cache.changed(AccountChanged.of(me.id()));
          return session(user);
        });
  }

  /**
   * Sets a new password with a reset link an admin issued ({@link PasswordResets}): the link is checked before the
   * password is hashed (a wrong one costs no hash) and used once, in the statement that sets the password; every
   * token of the account ends, and the answer carries a new one.
   */
  public Future<Session> resetPassword(String token, String newPassword) {
    io.vertx.core.buffer.Buffer hash = PasswordResets.hash(token);
    return pool.preparedQuery(PasswordResets.VALID).execute(Tuple.of(hash))
        .compose(rows -> {
          if (rows.size() == 0) throw Problem.invalid("token", BAD_RESET);
          return passwords.hash(newPassword);
        })
        .compose(newHash -> pool.preparedQuery(USE_RESET).execute(Tuple.of(hash, newHash)))
        .map(rows -> {
          if (rows.size() == 0) throw Problem.invalid("token", BAD_RESET);
          User user = User.fromRow(rows.iterator().next());
          cache.changed(AccountChanged.of(user.id()));
          return session(user);
        });
  }

  /**
   * The username of the account a reset link is for, so the page that uses it can say whose password it sets (and a
   * password manager store it under that name); a link that is not one to use is a 400 on {@code token}, as when it
   * is used. Nothing changes.
   */
  public Future<String> resetAccount(String token) {
    return pool.preparedQuery(PasswordResets.ACCOUNT).execute(Tuple.of(PasswordResets.hash(token))).map(rows -> {
      if (rows.size() == 0) throw Problem.invalid("token", BAD_RESET);
      return rows.iterator().next().getString("username");
    });
  }

  private Session session(User user) {
    return new Session(tokens.issue(user.id(), user.tokenVersion()), user);
  }

  private static String throttleKey(User user) {
    return LoginThrottle.account(user.id(), user.createdAt());
  }

  Future<User> insert(String username, String email, String passwordHash, String role) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(username, email, passwordHash, role, EmailKey.of(email)))
        .map(rows -> User.fromRow(rows.iterator().next()))
        .recover(Accounts::explainDuplicate);
  }

  Future<Optional<Credentials>> findForLogin(String login) {
    return pool.preparedQuery(FIND_FOR_LOGIN).execute(Tuple.of(login, EmailKey.of(login))).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      Row row = rows.iterator().next();
      return Optional.of(new Credentials(User.fromRow(row), row.getString("password_hash")));
    });
  }

  Future<Optional<User>> findById(long id) {
    return pool.preparedQuery(FIND_BY_ID).execute(Tuple.of(id)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(User.fromRow(rows.iterator().next())));
  }

  /** A public profile: username, role, joined, and counts of what readers can see. */
  public Future<Optional<JsonObject>> profile(String username) {
    return pool.preparedQuery(PROFILE).execute(Tuple.of(username)).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      Row row = rows.iterator().next();
      return Optional.of(new JsonObject()
          .put("username", row.getString("username"))
          .put("role", row.getString("role"))
          .put("bio", row.getString("bio"))
          .put("image", row.getString("image"))
          .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")))
          .put("postCount", row.getLong("post_count"))
          .put("commentCount", row.getLong("comment_count")));
    });
  }

  /**
   * The caller's current password checked, as a sign-in checks it: throttled per account and address, a wrong one
   * counted as a failed login of the account and of the address (400 on {@code currentPassword}), so a token alone
   * (or many tokens) cannot be used to guess passwords faster than signing in could; its stored hash when right.
   */
  private Future<String> verifyCurrent(Principal me, String current, String ip, RateLimiter limits) {
    String account = LoginThrottle.account(me.id(), me.createdAt());
    // Only a wrong password keeps the address's action: a throttled account or a busy hasher gives it back.
    boolean[] wrong = {false};
    return limits.countingFailures(AppConfig.LIMIT_FAILED_LOGINS_IP, ip, e -> wrong[0],
        () -> logins.attempt(account, ip).compose(tried -> {
          if (tried.waitSeconds() > 0) throw RateLimiter.tooMany(tried.waitSeconds());
          // Counted as a failure in advance (as a sign-in's attempt is): given back unless the password was wrong.
          Future<String> checked = passwordHash(me.id()).compose(hash -> {
            String stored = hash.orElseThrow(() -> Problem.unauthorized("The token's account no longer exists."));
            return passwords.verify(current, stored).compose(ok -> {
              if (ok) return Future.succeededFuture(stored);
              wrong[0] = true;
              Future<Void> counted = tried.counted() ? Future.succeededFuture() : logins.failed(account);
              return counted.transform(v -> Future.<String>failedFuture(
                  Problem.invalid("currentPassword", "is not correct")));
            });
          });
          return checked.transform(done -> {
            Future<Void> givenBack = tried.counted() && !wrong[0] ? logins.released(account, tried) : Future.succeededFuture();
            return givenBack.transform(v -> done.succeeded() ? Future.succeededFuture(done.result())
                : Future.<String>failedFuture(done.cause()));
          });
        }));
  }

  /**
   * Changes the caller's own account: any of username, email, password, bio and image (see {@link AccountChange}).
   * A change to what signs the account in (a new username or email, other than in letter case, or a new password)
   * needs the current password too, checked as {@link #changePassword} checks it: a token alone, copied from a
   * browser, must not be enough to take the account over for good (sign-in names changed, the owner locked out). A
   * new password ends every other token, as {@link #changePassword} does; the session returned carries a token that
   * is valid afterwards either way. Renames are limited by {@code PARLEY_LIMIT_RENAMES} in {@code limits} (each
   * retires every node's cached responses), taken at once (so renames sent together cannot pass the limit all at
   * once) but only after the password and the name were found good: a refused rename costs none, unless something
   * else took the name or address in the moment between. A new email address is limited by
   * {@code PARLEY_LIMIT_EMAIL_CHANGES}, taken before the address is looked up, since the answer tells whether it has
   * an account.
   */
  public Future<Session> update(Principal me, AccountChange change, String ip, RateLimiter limits) {
    if (change.username() == null && change.email() == null && change.password() == null) {
      return apply(me.id(), change, null, false);
    }
    return me(me.id()).compose(user -> {
      // A rename (letter case included) shows on everything the member wrote; the name they have is no rename.
      boolean renames = change.username() != null && !change.username().equals(user.username());
      boolean newName = renames && !sameButAsciiCase(change.username(), user.username());
      boolean newEmail = change.email() != null && !sameButAsciiCase(change.email(), user.email());
      Future<Void> proven = Future.succeededFuture();
      if (change.password() != null || newName || newEmail) {
        if (change.currentPassword() == null) {
          throw Problem.invalid("currentPassword", change.password() != null
              ? "is required to change your password" : "is required to change your username or email");
        }
        proven = verifyCurrent(me, change.currentPassword(), ip, limits).mapEmpty();
      }
      // Whatever could still refuse the change is asked before a rename takes from its limit: the name and the
      // address free, the new password hashed (a 503 when the hashers are busy).
      Future<Void> free = proven;
      if (newName) free = free.compose(v -> notReserved(change.username(), me.id()));
      String subject = "user:" + me.id();
      // A new address is counted before it is looked up, taken or not: whether an address has an account is
      // private, and answering it without a limit let any member ask for thousands (a review: 60 in 0.7 s).
      if (newEmail) {
        free = free.compose(v -> limits.take(AppConfig.LIMIT_EMAIL_CHANGES, subject))
            .compose(v -> emailFree(change.email(), me.id()));
      }
      return free.compose(v -> change.password() == null ? Future.<String>succeededFuture(null)
              : passwords.hash(change.password()))
          .compose(hash -> (renames ? limits.take(AppConfig.LIMIT_RENAMES, subject) : Future.<Void>succeededFuture())
              .map(hash))
          .compose(hash -> apply(me.id(), change, hash, renames));
    });
  }

  /**
   * Whether two names or addresses differ at most in the case of ASCII letters: the only change to what signs an
   * account in that needs no password. Not {@code equalsIgnoreCase}: it takes a dotless ı, a long ſ or a Kelvin
   * sign for the ASCII letter, so "yara@gmaıl.com" would have passed for "yara@gmail.com" (a probe).
   */
  static boolean sameButAsciiCase(String a, String b) {
    if (a == null || b == null || a.length() != b.length()) return false;
    for (int i = 0; i < a.length(); i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x == y) continue;
      if (x >= 128 || y >= 128 || !Character.isLetter(x) || Character.toLowerCase(x) != Character.toLowerCase(y)) {
        return false;
      }
    }
    return true;
  }

  /** Refuses, as a name in use is refused, a name held after someone else's rename ({@link #RESERVED}). */
  private Future<Void> notReserved(String username, long by) {
    return pool.preparedQuery(RESERVED).execute(Tuple.of(username, by)).map(rows -> {
      if (rows.iterator().next().getBoolean(0)) throw Problem.conflict("username", "is already taken");
      return null;
    });
  }

  /**
   * Refuses a registration whose name or address is taken, both at once when both are: a form that said only the name
   * was taken, then the address once the name was changed, made a newcomer send it three times (a page probe). A
   * registration at the same moment as another is still refused by the tables' unique keys.
   */
  private Future<Void> bothFree(String username, String email) {
    return pool.preparedQuery(TAKEN).execute(Tuple.of(username, 0L, EmailKey.of(email))).map(rows -> {
      Row row = rows.iterator().next();
      List<Problem.FieldError> taken = new ArrayList<>();
      if (row.getBoolean("name_taken")) taken.add(new Problem.FieldError("username", "is already taken"));
      if (row.getBoolean("email_taken")) taken.add(new Problem.FieldError("email", "is already registered"));
      if (!taken.isEmpty()) throw Problem.conflict(taken);
      return null;
    });
  }

  /** Refuses an address another account signs in with, before anything is spent on the change. */
  private Future<Void> emailFree(String email, long by) {
    return pool.preparedQuery(EMAIL_TAKEN).execute(Tuple.of(EmailKey.of(email), by)).map(rows -> {
      if (rows.iterator().next().getBoolean(0)) throw Problem.conflict("email", "is already registered");
      return null;
    });
  }

  /** What a change did: the account as it is now (no row: gone), and whether it was renamed. */
  private record Applied(RowSet<Row> rows, boolean renamed) {
  }

  /**
   * Stores the change ({@code newHash} the new password's, or null). A rename reads the name it replaces with the
   * account's row locked, in its own transaction, so renames sent together each log the name the one before gave
   * (and hold that name for its owner); one that finds the account already has the name is none.
   */
  private Future<Session> apply(long userId, AccountChange change, String newHash, boolean renames) {
    Tuple args = Tuple.tuple().addLong(userId)
        .addString(change.username()).addString(change.email()).addString(newHash)
        .addBoolean(change.bio() != null).addString(AccountChange.cleared(change.bio()))
        .addBoolean(change.image() != null).addString(AccountChange.cleared(change.image()))
        .addString(EmailKey.of(change.email()));
    Future<Applied> done = !renames
        ? pool.preparedQuery(UPDATE_ACCOUNT).execute(args).map(rows -> new Applied(rows, false))
        : events.transaction(box -> box.connection().preparedQuery(NAME_NOW).execute(Tuple.of(userId))
            .compose(now -> {
              String before = now.size() == 0 ? null : now.iterator().next().getString("username");
              if (before == null || before.equals(change.username())) {
                return box.connection().preparedQuery(UPDATE_ACCOUNT).execute(args)
                    .map(rows -> new Applied(rows, false));
              }
              return box.connection().preparedQuery(RENAME_ACCOUNT).execute(args.addString(before))
                  .compose(rows -> box.publish(renamed(rows.iterator().next(), before))
                      .map(v -> new Applied(rows, true)));
            }));
    return done.recover(Accounts::explainDuplicate)
        .map(applied -> {
          RowSet<Row> rows = applied.rows();
          if (rows.size() == 0) throw Problem.unauthorized("The token's account no longer exists.");
          User user = User.fromRow(rows.iterator().next());
          // Any change: a new password ends tokens, a new name is the principal's; the rest costs a query.
          cache.changed(AccountChanged.of(userId));
          // A new name shows on every post and comment of theirs, in every thread and list: rare enough (a rate
          // limit keeps it so) to retire every cached response for. The name they had already retires nothing.
          if (applied.renamed()) readCache.invalidate(Invalidation.everythingChanged());
          return session(user);
        });
  }

  /**
   * The caller's current password checked before an act that cannot be undone (deleting the account), as a change of
   * password checks it: throttled, and a wrong one counted as a failed login (400 on {@code currentPassword}).
   */
  public Future<Void> confirmPassword(Principal me, String current, String ip, RateLimiter limits) {
    return verifyCurrent(me, current, ip, limits).mapEmpty();
  }

  /**
   * Deletes the caller's account (what it wrote is {@code parley.deletion}'s to erase, afterwards): in one
   * transaction its row stops naming anyone and signs no one in, every token ends, what was its own goes (see
   * {@link #DROP_OWN}, {@link #DROP_BLOCKS}), and the moderators are told, with the name it had. The community's
   * last admin is refused (409): nobody could name another one. Every node's cached copy of the account, and of the
   * accounts that had blocked it, is retired before this completes.
   */
  public Future<Void> delete(Principal me) {
    return delete(me.id(), null, null, null).mapEmpty();
  }

  /**
   * Deletes what was a deleted account's own ({@link #DROP_BLOCKS}, {@link #DROP_OWN}): in its deletion, and again by
   * the job that finishes it, for what a request already past the door wrote after it. Who had blocked it comes back
   * (their cached accounts hold the block).
   */
  public static Future<List<Long>> dropOwn(SqlConnection conn, long userId) {
    return conn.preparedQuery(DROP_BLOCKS).execute(Tuple.of(userId))
        .compose(blockers -> conn.preparedQuery(DROP_OWN).execute(Tuple.of(userId))
            .compose(v -> conn.preparedQuery(DROP_UNREAD).execute(Tuple.of(userId)))
            .map(v -> {
              List<Long> ids = new ArrayList<>();
              blockers.forEach(row -> {
                if (row.getLong("blocker_id") != userId) ids.add(row.getLong("blocker_id"));
              });
              return ids;
            }));
  }

  /**
   * An admin deletes someone's account ({@code username}; 404 if there is none), as {@link #delete(Principal)}
   * does, with a reason for the audit log (an erasure asked for by mail, a banned member's). Its id, for the erasure.
   */
  public Future<Long> deleteFor(String username, Principal admin, String reason) {
    return delete(0, username, admin, reason);
  }

  /** The account with id {@code userId} or name {@code username}, by itself ({@code admin} null) or by an admin. */
  private Future<Long> delete(long userId, String username, Principal admin, String reason) {
    Future<List<Long>> done = events.transaction(box -> box.connection().preparedQuery(LOCK_FOR_DELETION)
        .execute(Tuple.of(userId, username))
        .compose(locked -> {
          Row target = null;
          boolean stillAdmin = false;
          int admins = 0;
          for (Row row : locked) {
            boolean named = username != null && sameButAsciiCase(username, row.getString("username"));
            if (row.getLong("id") == userId || named) {
              target = row;
            }
            if ("admin".equals(row.getString("role"))) admins++;
            if (admin != null && row.getLong("id") == admin.id() && "admin".equals(row.getString("role"))) {
              stillAdmin = true;
            }
          }
          // As every admin action does (Admin.checkStill): the role as it is now, not as the request found it.
          if (admin != null && !stillAdmin) {
            throw Problem.forbidden("Your account may no longer do this: its role or standing changed.");
          }
          if (target == null) {
            throw admin == null ? Problem.unauthorized("The token's account no longer exists.")
                : Problem.notFound("No such user.");
          }
          if (admin == null && Boolean.TRUE.equals(target.getBoolean("banned"))) {
            throw Problem.forbidden("A banned account cannot be deleted by its member while the ban lasts.");
          }
          if ("admin".equals(target.getString("role")) && admins == 1) {
            throw Problem.conflict(admin == null
                ? "You are the community's only admin: make someone else an admin first."
                : target.getString("username") + " is the community's only admin.");
          }
          long id = target.getLong("id");
          String name = target.getString("username");
          long actor = admin == null ? id : admin.id();
          return box.connection().preparedQuery(DELETE_ACCOUNT).execute(Tuple.of(id, name, actor, reason))
              .compose(rows -> box.publish(deleted(rows.iterator().next(), id, name, admin, reason)))
              .compose(v -> dropOwn(box.connection(), id))
              .map(blockers -> {
                List<Long> changed = new ArrayList<>();
                changed.add(id);
                changed.addAll(blockers);
                return changed;
              });
        }));
    return done.map(changed -> {
      changed.forEach(id -> cache.changed(AccountChanged.of(id)));
      // Its name showed on everything it wrote, in every thread and list, as after a rename.
      readCache.invalidate(Invalidation.everythingChanged());
      return changed.get(0);
    });
  }

  /**
   * A deletion's announcement to the moderators: its audit entry, as the log lists it (a member's own has no actor:
   * the account names no one now).
   */
  private static Publication deleted(Row row, long userId, String from, Principal admin, String reason) {
    AuditLog.Entry entry = new AuditLog.Entry(row.getLong("log_id"), admin == null ? null : admin.username(),
        EventType.USER_DELETED.wireName(), "user", userId, reason,
        new JsonObject().put("from", from).put("self", admin == null), Iso.format(row.getOffsetDateTime("log_at")),
        new JsonObject().putNull("username").putNull("postId").putNull("postTitle"));
    return Publication.of(EventType.USER_DELETED, null, entry.toJson());
  }

  /** A rename's announcement to the moderators: its audit entry, as the log lists it (the member is its actor). */
  private static Publication renamed(Row row, String from) {
    String to = row.getString("username");
    AuditLog.Entry entry = new AuditLog.Entry(row.getLong("log_id"), to, EventType.USER_RENAMED.wireName(), "user",
        row.getLong("id"), null, new JsonObject().put("from", from).put("to", to),
        Iso.format(row.getOffsetDateTime("log_at")), new JsonObject().put("username", to).putNull("postId")
            .putNull("postTitle"));
    return Publication.of(EventType.USER_RENAMED, null, entry.toJson());
  }

  /** Bumps the user's token version; the user as they are afterwards, or empty if they are gone. */
  Future<Optional<User>> revokeTokens(long id) {
    return pool.preparedQuery(REVOKE_TOKENS).execute(Tuple.of(id)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(User.fromRow(rows.iterator().next())));
  }

  Future<Optional<String>> passwordHash(long id) {
    return pool.preparedQuery(PASSWORD_HASH).execute(Tuple.of(id)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString("password_hash")));
  }

  /** Replaces the hash if it is still {@code oldHash} (a concurrent change wins otherwise: empty). */
  Future<Optional<User>> changePassword(long id, String oldHash, String newHash) {
    return pool.preparedQuery(CHANGE_PASSWORD).execute(Tuple.of(id, newHash, oldHash)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(User.fromRow(rows.iterator().next())));
  }


  private static <T> Future<T> explainDuplicate(Throwable failure) {
    if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      String constraint = String.valueOf(pg.getConstraint());
      if (constraint.contains("username")) {
        return Future.failedFuture(Problem.conflict("username", "is already taken"));
      }
      if (constraint.contains("email")) {
        return Future.failedFuture(Problem.conflict("email", "is already registered"));
      }
    }
    return Future.failedFuture(failure);
  }
}
