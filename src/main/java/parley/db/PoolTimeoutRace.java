package parley.db;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vert.x's unhandled exceptions, logged at ERROR as before, but for one known harmless race in the SQL client's pool
 * (vertx-sql-client 5.0.7): a connection that arrives as the wait for it times out completes the request's promise
 * twice, and the second completion throws "Promise already completed" outside any request (eclipse-vertx/
 * vertx-sql-client#1567, fixed upstream by #1620/#1621 after 5.0.7, which the stack's BOM still pins). The request
 * itself was answered; an operator reading an ERROR with a stack trace would look for a fault that is not there. It
 * is logged at DEBUG and counted. Remove this once the BOM brings a SQL client with the fix (docs/upstream).
 */
public final class PoolTimeoutRace {

  private static final Logger log = LoggerFactory.getLogger(PoolTimeoutRace.class);

  private PoolTimeoutRace() {
  }

  /** Installs the handler on this Vert.x. */
  public static void install(Vertx vertx, Runnable counted) {
    vertx.exceptionHandler(e -> {
      if (isKnownRace(e)) {
        counted.run();
        log.debug("The SQL pool's known timeout race (eclipse-vertx/vertx-sql-client#1567); nothing was lost", e);
      } else {
        log.error("Unhandled exception", e);
      }
    });
  }

  /** The pool's double completion: an IllegalStateException thrown while its pool request completes. */
  static boolean isKnownRace(Throwable e) {
    if (!(e instanceof IllegalStateException) || e.getMessage() == null
        || !e.getMessage().contains("already complete")) {
      return false;
    }
    for (StackTraceElement frame : e.getStackTrace()) {
      if (frame.getClassName().startsWith("io.vertx.sqlclient.impl.pool.SqlConnectionPool")) return true;
    }
    return false;
  }
}
