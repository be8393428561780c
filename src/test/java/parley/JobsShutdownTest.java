package parley;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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

  private final List<ILoggingEvent> logged = new CopyOnWriteArrayList<>();
  private final Logger log = (Logger) LoggerFactory.getLogger(Jobs.class);
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      logged.add(event);
    }
  };
  private Level levelBefore;
  private Vertx vertx;
  private Pool closed;

  @BeforeEach
  void closedPoolAndCapturedLog() throws Exception {
    vertx = Vertx.vertx();
    closed = PgBuilder.pool().connectingTo(TestParley.environment().get(AppConfig.DATABASE_URL)).using(vertx).build();
    closed.close().await(30, TimeUnit.SECONDS);
    levelBefore = log.getLevel();
    log.setLevel(Level.DEBUG);
    appender.start();
    log.addAppender(appender);
  }

  @AfterEach
  void restore() throws Exception {
    log.detachAppender(appender);
    log.setLevel(levelBefore);
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aJobOnAClosedPoolWarnsWhileTheNodeRuns() throws Exception {
    offer(() -> false);
    assertEquals(List.of(Level.WARN), levels(), messages().toString());
    assertTrue(messages().get(0).startsWith("Job prune-test did not run"), messages().toString());
  }

  @Test
  void aJobTheStopCutsOffIsLoggedAtDebugOnly() throws Exception {
    offer(() -> true);
    assertEquals(List.of(Level.DEBUG), levels(), messages().toString());
    assertTrue(messages().get(0).contains("the node is stopping"), messages().toString());
  }

  private void offer(BooleanSupplier stopping) throws Exception {
    // The offer fails after it is logged; only the log matters here.
    new Jobs(vertx, closed, stopping).offer("prune-test", Duration.ofHours(1), () -> Future.succeededFuture())
        .otherwiseEmpty().await(30, TimeUnit.SECONDS);
  }

  private List<Level> levels() {
    return logged.stream().map(ILoggingEvent::getLevel).toList();
  }

  private List<String> messages() {
    return logged.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }
}
