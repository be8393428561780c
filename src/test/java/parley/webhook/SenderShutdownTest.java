package parley.webhook;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import parley.TestParley;
import parley.config.AppConfig;
import parley.config.WebhookSettings;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node shutting down closes its database pool while the webhook sender's timer still runs (Running.stop marks the
 * node as draining first): a round then is no failure to warn operators about (it used to log "Webhook round failed:
 * Pool closed" on many a clean stop). Each case drives one round of a sender on a pool that is already closed, so
 * nothing depends on when a timer fires.
 */
@ExtendWith(TestParley.class)
class SenderShutdownTest {

  private static final WebhookSettings SETTINGS = new WebhookSettings(true, false, Duration.ofSeconds(1),
      Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofDays(1));

  private final List<ILoggingEvent> logged = new CopyOnWriteArrayList<>();
  private final Logger log = (Logger) LoggerFactory.getLogger(Sender.class);
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
  void aRoundOnAClosedPoolWarnsWhileTheNodeRuns() throws Exception {
    round(() -> false);
    assertEquals(List.of(Level.WARN), levels(), messages().toString());
    assertTrue(messages().get(0).startsWith("Webhook round failed") && messages().get(0).contains("closed"),
        messages().toString());
  }

  @Test
  void aStoppingNodeStartsNoRound() throws Exception {
    round(() -> true);
    assertEquals(List.of(), messages(), "no round was started, so nothing reached the closed pool");
  }

  @Test
  void aRoundTheShutdownCutsOffIsLoggedAtDebugOnly() throws Exception {
    // Running when the round starts, stopping by the time the closed pool fails it.
    AtomicInteger asked = new AtomicInteger();
    round(() -> asked.getAndIncrement() > 0);
    assertEquals(List.of(Level.DEBUG), levels(), messages().toString());
    assertTrue(messages().get(0).startsWith("Webhook round cut off by the shutdown"), messages().toString());
  }

  private void round(BooleanSupplier stopping) throws Exception {
    // A failed round's future fails after it is logged; only the log matters here.
    new Sender(vertx, closed, SETTINGS, stopping).poll().otherwiseEmpty().await(30, TimeUnit.SECONDS);
  }

  private List<Level> levels() {
    return logged.stream().map(ILoggingEvent::getLevel).toList();
  }

  private List<String> messages() {
    return logged.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }
}
