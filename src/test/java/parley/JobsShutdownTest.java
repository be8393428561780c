package parley;

import ch.qos.logback.classic.Level;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job whose pool closes under it warns while the node runs, and only says so at debug level once the node is
 * stopping or its start failed (the jobs are offered before the HTTP server binds, so a failed start closed their
 * pool under them and logged a warning per job ahead of the real error).
 */
class JobsShutdownTest {

  private Vertx vertx;
  private Pool closed;
  private CapturedLog log;

  @BeforeEach
  void closedPoolAndCapturedLog() throws Exception {
    vertx = Vertx.vertx();
    closed = CapturedLog.closedPool(vertx);
    log = new CapturedLog(Jobs.class);
  }

  @AfterEach
  void restore() throws Exception {
    log.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aJobOnAClosedPoolWarnsWhileTheNodeRuns() throws Exception {
    offer(() -> false);
    assertEquals(List.of(Level.WARN), log.levels(), log.messages().toString());
    assertTrue(log.messages().get(0).startsWith("Job prune-test did not run"), log.messages().toString());
  }

  @Test
  void aJobTheStopCutsOffIsLoggedAtDebugOnly() throws Exception {
    offer(() -> true);
    assertEquals(List.of(Level.DEBUG), log.levels(), log.messages().toString());
    assertTrue(log.messages().get(0).contains("the node is stopping"), log.messages().toString());
  }

  private void offer(BooleanSupplier stopping) throws Exception {
    // The offer fails after it is logged; only the log matters here.
    new Jobs(vertx, closed, stopping).offer("prune-test", Duration.ofHours(1), () -> Future.succeededFuture())
        .otherwiseEmpty().await(30, TimeUnit.SECONDS);
  }
}
