package parley.account;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.http.Iso;
import parley.http.Problem;

import java.util.Optional;

/** Accounts in PostgreSQL. Usernames and emails are matched ignoring case, through the unique indexes. */
final class AccountRepository {

  private static final String USER_COLUMNS =
      "id, username, email, role, created_at, banned_until, ban_reason, token_version";

  private static final String INSERT = "INSERT INTO users (username, email, password_hash, role) "
      + "VALUES ($1, $2, $3, $4) RETURNING " + USER_COLUMNS;

  private static final String FIND_FOR_LOGIN = "SELECT " + USER_COLUMNS + ", password_hash FROM users "
      + "WHERE lower(username) = lower($1) OR lower(email) = lower($1) LIMIT 1";

  private static final String FIND_BY_ID = "SELECT " + USER_COLUMNS + " FROM users WHERE id = $1";

  private static final String PROFILE = """
      SELECT u.username, u.role, u.created_at,
             (SELECT count(*) FROM posts p
               WHERE p.author_id = u.id AND p.deleted_at IS NULL AND p.hidden_at IS NULL) AS post_count,
             (SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id
               WHERE c.author_id = u.id AND c.deleted_at IS NULL AND c.hidden_at IS NULL
                 AND p.deleted_at IS NULL AND p.hidden_at IS NULL) AS comment_count
        FROM users u
       WHERE lower(u.username) = lower($1)""";

  /** Ends every token issued so far: they carry the old version. */
  private static final String REVOKE_TOKENS = "UPDATE users SET token_version = token_version + 1 WHERE id = $1 "
      + "RETURNING " + USER_COLUMNS;

  private static final String PASSWORD_HASH = "SELECT password_hash FROM users WHERE id = $1";

  /** A new password ends every token too; only the version read with the old hash is replaced. */
  private static final String CHANGE_PASSWORD = "UPDATE users SET password_hash = $2, token_version = token_version + 1 "
      + "WHERE id = $1 AND password_hash = $3 RETURNING " + USER_COLUMNS;

  private static final String PROMOTE_TO_ADMIN = "UPDATE users SET role = 'admin' WHERE lower(username) = lower($1)";

  /** A user row with its password hash, for login only. */
  record Credentials(User user, String passwordHash) {
  }

  private final Pool pool;

  AccountRepository(Pool pool) {
    this.pool = pool;
  }

  Future<User> insert(String username, String email, String passwordHash, String role) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(username, email, passwordHash, role))
        .map(rows -> User.fromRow(rows.iterator().next()))
        .recover(AccountRepository::explainDuplicate);
  }

  Future<Optional<Credentials>> findForLogin(String login) {
    return pool.preparedQuery(FIND_FOR_LOGIN).execute(Tuple.of(login)).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      Row row = rows.iterator().next();
      return Optional.of(new Credentials(User.fromRow(row), row.getString("password_hash")));
    });
  }

  Future<Optional<User>> findById(long id) {
    return pool.preparedQuery(FIND_BY_ID).execute(Tuple.of(id)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(User.fromRow(rows.iterator().next())));
  }

  Future<Optional<JsonObject>> profile(String username) {
    return pool.preparedQuery(PROFILE).execute(Tuple.of(username)).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      Row row = rows.iterator().next();
      return Optional.of(new JsonObject()
          .put("username", row.getString("username"))
          .put("role", row.getString("role"))
          .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")))
          .put("postCount", row.getLong("post_count"))
          .put("commentCount", row.getLong("comment_count")));
    });
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

  Future<Void> promoteToAdmin(String username) {
    return pool.preparedQuery(PROMOTE_TO_ADMIN).execute(Tuple.of(username)).mapEmpty();
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
