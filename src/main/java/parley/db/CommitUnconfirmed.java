package parley.db;

import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import java.io.IOException;

/**
 * A write whose COMMIT had gone out when its connection was lost (reset, closed by a proxy or a failover, the server
 * ended the session): PostgreSQL may have committed it and its answer never came. The client is told it may have been
 * saved, as for a deadline that passed after the COMMIT ({@link DatabaseDeadline#maybeSaved()}); a retry with the
 * same Idempotency-Key says which. A COMMIT PostgreSQL answered with an error did not commit, and is not one of these.
 */
public final class CommitUnconfirmed extends RuntimeException {

  private CommitUnconfirmed(Throwable cause) {
    super("The connection was lost after a COMMIT went out: " + cause, cause, false, false);
  }

  /**
   * What a write's failure is once its COMMIT was sent: the failure itself when PostgreSQL answered it (nothing was
   * saved), a {@link CommitUnconfirmed} when the connection went instead. Before this, such a write was answered
   * "the database is unavailable" though it was saved, and a client that resent it without a key wrote it twice (a
   * probe: a proxy that cut the connection after COMMIT, 31 such writes in 37 503s).
   */
  public static Throwable afterCommitSent(Throwable failure) {
    return lostConnection(failure) ? new CommitUnconfirmed(failure) : failure;
  }

  static boolean lostConnection(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof CommitUnconfirmed || t instanceof DatabaseDeadline) return false; // said already
      // FATAL: the server ended the session (an administrator, a shutdown), which may come after a commit done;
      // an ERROR rolled the transaction back. Told apart by class, which does not depend on the server's language.
      if (t instanceof PgException pg) {
        String state = String.valueOf(pg.getSqlState());
        return state.startsWith("57P") || state.startsWith("08") || "FATAL".equals(pg.getSeverity())
            || "PANIC".equals(pg.getSeverity());
      }
      if (t instanceof ClosedConnectionException || t instanceof IOException) return true;
      if (t instanceof VertxException && String.valueOf(t.getMessage()).contains("onnection")) return true;
    }
    return false;
  }
}
