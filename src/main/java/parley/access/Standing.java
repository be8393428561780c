package parley.access;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.http.Problem;

/**
 * Whether an account may still act as a moderator or an admin, read in the acting transaction itself: a request is
 * let in on the role and ban its account had when it arrived, and an act that writes the audit log's entries long
 * after (an admin's export, every piece of a takedown) checks again, so nobody acts in a name that has lost the right.
 */
public final class Standing {

  /** The acting account's row, held against a change of role or ban until the transaction ends. */
  private static final String ACTING = "SELECT role, banned_until IS NOT NULL AND banned_until > now() AS banned "
      + "FROM users WHERE id = $1 FOR SHARE";

  private Standing() {
  }

  /** 403 unless {@code role} and {@code banned} allow acting as {@code needs} ("moderator" or "admin"). */
  public static void check(String role, boolean banned, String needs) {
    boolean may = role != null && !banned
        && ("admin".equals(needs) ? "admin".equals(role) : !"user".equals(role));
    if (!may) throw Problem.forbidden("Your account may no longer do this: its role or standing changed.");
  }

  /** The acting account's row held and checked as {@link #check} does (403 if it is gone). */
  public static Future<Void> still(SqlConnection conn, Principal actor, String needs) {
    return conn.preparedQuery(ACTING).execute(Tuple.of(actor.id())).map(rows -> {
      if (rows.size() == 0) check(null, false, needs);
      var row = rows.iterator().next();
      check(row.getString("role"), row.getBoolean("banned"), needs);
      return null;
    });
  }
}
