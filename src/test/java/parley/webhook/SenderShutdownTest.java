package parley.webhook;

import ch.qos.logback.classic.Level;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.CapturedLog;
import parley.TestParley;
import parley.config.WebhookSettings;

import java.time.Duration;
import java.util.List;
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

  private Vertx vertx;
  private Pool closed;
  private CapturedLog log;

  @BeforeEach
  void closedPoolAndCapturedLog() throws Exception {
    vertx = Vertx.vertx();
    closed = CapturedLog.closedPool(vertx);
    log = new CapturedLog(Sender.class);
  }

  @AfterEach
  void restore() throws Exception {
    log.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aRoundOnAClosedPoolWarnsWhileTheNodeRuns() throws Exception {
    round(() -> false);
    assertEquals(List.of(Level.WARN), log.levels(), log.messages().toString());
    assertTrue(log.messages().get(0).startsWith("Webhook round failed") && log.messages().get(0).contains("closed"),
        log.messages().toString());
  }

  @Test
  void aStoppingNodeStartsNoRound() throws Exception {
    round(() -> true);
    assertEquals(List.of(), log.messages(), "no round was started, so nothing reached the closed pool");
  }

  @Test
  void aRoundTheShutdownCutsOffIsLoggedAtDebugOnly() throws Exception {
    // Running when the round starts, stopping by the time the closed pool fails it.
    AtomicInteger asked = new AtomicInteger();
    round(() -> asked.getAndIncrement() > 0);
    assertEquals(List.of(Level.DEBUG), log.levels(), log.messages().toString());
    assertTrue(log.messages().get(0).startsWith("Webhook round cut off by the shutdown"), log.messages().toString());
  }

  private void round(BooleanSupplier stopping) throws Exception {
    // A failed round's future fails after it is logged; only the log matters here.
    new Sender(vertx, closed, SETTINGS, stopping).poll().otherwiseEmpty().await(30, TimeUnit.SECONDS);
  }
}
