package parley.events;

import ch.qos.logback.classic.Level;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import org.junit.jupiter.api.Test;
import parley.CapturedLog;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An event that reaches a topic's consumer after it was unregistered (the last reader unfollowed, the node is
 * shutting down) is dropped quietly: Vert.x said so at WARN, once per event, at every shutdown with live readers.
 */
class UnregisteredDiscardTest {

  private static final String MESSAGE_CONSUMER = "io.vertx.core.eventbus.impl.MessageConsumerImpl";

  @Test
  void eventsThatArriveAfterTheConsumerWasUnregisteredAreDroppedWithoutAWarning() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (CapturedLog vertxLog = new CapturedLog(MESSAGE_CONSUMER); CapturedLog ours = new CapturedLog(EventLog.class)) {
      Context context = vertx.getOrCreateContext();
      AtomicInteger handled = new AtomicInteger();
      CompletableFuture<MessageConsumer<String>> registered = new CompletableFuture<>();
      context.runOnContext(v -> {
        MessageConsumer<String> consumer = EventLog.listen(vertx, "parley.post.1", event -> handled.incrementAndGet());
        consumer.completion().onSuccess(done -> registered.complete(consumer));
      });
      MessageConsumer<String> consumer = registered.get(10, TimeUnit.SECONDS);
      // The consumer's loop is held, so the events wait for it; meanwhile the consumer goes.
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch held = new CountDownLatch(1);
      context.runOnContext(v -> {
        held.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      assertTrue(held.await(10, TimeUnit.SECONDS));
      for (int seq = 1; seq <= 3; seq++) {
        vertx.eventBus().publish(Topics.busAddress("parley.post.1"), "{}", new DeliveryOptions()
            .addHeader("seq", Integer.toString(seq)).addHeader("type", "comment.created"));
      }
      consumer.unregister();
      release.countDown();
      // Everything the loop had queued has run once this does.
      CompletableFuture<Void> drained = new CompletableFuture<>();
      context.runOnContext(v -> context.runOnContext(w -> drained.complete(null)));
      drained.get(10, TimeUnit.SECONDS);

      assertEquals(0, handled.get(), "nothing reached the reader");
      assertFalse(vertxLog.levels().contains(Level.WARN), vertxLog.messages().toString());
      assertFalse(ours.levels().contains(Level.WARN), ours.messages().toString());
      assertEquals(3, ours.messages().stream().filter(m -> m.contains("after its consumer was unregistered")).count(),
          "each said at debug: " + ours.messages());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
