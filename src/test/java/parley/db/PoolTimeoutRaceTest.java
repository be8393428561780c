package parley.db;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Only the SQL pool's own double completion is quieted (PoolTimeoutRace): the same words thrown anywhere else, or
 * another exception from the pool, stay errors.
 */
class PoolTimeoutRaceTest {

  private static IllegalStateException thrownAt(String className, String message) {
    IllegalStateException e = new IllegalStateException(message);
    e.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 110),
        new StackTraceElement(className, "lambda$onEnqueue$1", "SqlConnectionPool.java", 259),
        new StackTraceElement("io.vertx.core.impl.VertxImpl$InternalTimerHandler", "handle", "VertxImpl.java", 1)});
    return e;
  }

  @Test
  void thePoolsDoubleCompletionIsTheKnownRaceAndNothingElseIs() {
    assertTrue(PoolTimeoutRace.isKnownRace(thrownAt("io.vertx.sqlclient.impl.pool.SqlConnectionPool$1PoolRequest",
        "Promise already completed")));
    assertTrue(PoolTimeoutRace.isKnownRace(thrownAt("io.vertx.sqlclient.impl.pool.SqlConnectionPool",
        "Result is already complete")));
    assertFalse(PoolTimeoutRace.isKnownRace(thrownAt("parley.live.LiveHub", "Promise already completed")),
        "the same words from Parley's own code are a bug to see");
    assertFalse(PoolTimeoutRace.isKnownRace(thrownAt("io.vertx.sqlclient.impl.pool.SqlConnectionPool",
        "Pool closed")), "another failure of the pool");
    assertFalse(PoolTimeoutRace.isKnownRace(new NullPointerException("already complete")));
  }
}
