package parley.webhook;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import parley.Main;
import parley.TestParley;
import parley.config.WebhookSettings;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node shutting down closes its database pool while the webhook sender's timer still runs: a round then is no
 * failure to warn operators about (it used to log "Webhook round failed: Pool closed" on many a clean stop).
 */
@ExtendWith(TestParley.class)
class SenderShutdownTest {

  @Test
  void aRoundAfterTheShutdownBeganIsNotStartedAndNotWarnedAbout() throws Exception {
    Main.Running running = TestParley.startServer(Map.of(WebhookSettings.DELIVER, "true",
        WebhookSettings.POLL, "50ms"));
    List<ILoggingEvent> warnings = new CopyOnWriteArrayList<>();
    List<ILoggingEvent> rounds = new CopyOnWriteArrayList<>();
    Logger sender = (Logger) LoggerFactory.getLogger(Sender.class);
    Level before = sender.getLevel();
    AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {
        (event.getLevel().isGreaterOrEqual(Level.WARN) ? warnings : rounds).add(event);
      }
    };
    appender.start();
    sender.addAppender(appender);
    sender.setLevel(Level.DEBUG);
    try {
      // The shutdown's order (Running.stop): the node is marked as draining, then its database is closed while
      // Vert.x, and the sender's timer with it, still runs.
      running.draining().set(true);
      running.database().close(running.vertx()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      // Ten of the sender's rounds would have come and failed on the closed pool by now.
      Thread.sleep(500);
      assertEquals(List.of(), warnings.stream().map(ILoggingEvent::getFormattedMessage).toList());
      assertTrue(rounds.stream().noneMatch(e -> e.getFormattedMessage().contains("Pool closed")),
          "no round started once the node was stopping");
    } finally {
      sender.detachAppender(appender);
      sender.setLevel(before);
      running.stop();
    }
  }
}
