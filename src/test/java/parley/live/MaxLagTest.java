package parley.live;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.events.Topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PARLEY_LIVE_MAX_LAG: a reader the hub cannot reach within it of an event's arrival on its event loop is closed
 * (the transport's overflow, 4001 on a socket) instead of being written to late, and resumes from the log; the
 * readers reached in time keep getting every event. The hub, its pump and the event bus are the real ones; only the
 * readers' transports are stand-ins, so the test can stall the loop in one reader's write (as a pause for garbage
 * collection or a loop writing more than it can would) for longer than the lag allowed.
 */
@ExtendWith(VertxExtension.class)
class MaxLagTest {

  private static final Duration MAX_LAG = Duration.ofSeconds(1);
  private static final long STALL_MILLIS = 1_300;

  /** A reader's transport: records what it was sent, and whether it was closed as too slow. */
  private static final class Recording extends RecordingSink {
    long stallOnFirstSend;
    boolean overflowed;
    Runnable onClose = () -> { };

    Recording(long stallOnFirstSend) {
      this.stallOnFirstSend = stallOnFirstSend;
    }

    @Override
    void recorded() {
      if (stallOnFirstSend > 0) {
        // Holds the event loop, as a write that cannot keep up would: the readers after this one are reached late.
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stallOnFirstSend);
        while (System.nanoTime() < until) Thread.onSpinWait();
        stallOnFirstSend = 0;
      }
    }

    @Override
    public void overflow() {
      // A socket's overflow closes it, and its close ends its subscriptions.
      overflowed = true;
      onClose.run();
    }

    @Override
    public void revoke(String topic, String reason) {
      throw new AssertionError("nothing revoked: " + reason);
    }

    @Override
    public boolean isClosed() {
      return overflowed;
    }
  }

  private static void publish(Vertx vertx, String topic, long seq) {
    RecordingSink.publish(vertx, topic, "post.created", seq);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void readersNotReachedWithinTheMaxLagAreClosedToResumeAndTheOthersGetEveryEvent(Vertx vertx,
      VertxTestContext test) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LiveMeters meters = new LiveMeters(registry);
    Recording first = new Recording(STALL_MILLIS);
    Recording late = new Recording(0);
    Recording later = new Recording(0);
    String topic = Topics.FEED;
    Context loop = vertx.getOrCreateContext();
    loop.runOnContext(v -> {
      // The feed has no log to replay: the hub needs none here. Nothing is written while a REST write waits.
      LiveHub hub = new LiveHub(vertx, null, new Relay(vertx), DeliveryFilter.EVERYONE, meters, 10_000, MAX_LAG,
          () -> false);
      List<Future<LiveHub.Subscription>> subscribed = new ArrayList<>();
      for (Recording reader : List.of(first, late, later)) {
        Future<LiveHub.Subscription> sub = hub.subscribe(reader, Reader.anonymous(), topic, null);
        sub.onSuccess(s -> reader.onClose = () -> hub.unsubscribe(s));
        subscribed.add(sub);
      }
      Future.all(subscribed).onComplete(test.succeeding(all -> {
        first.onSend = () -> {
          if (first.seqs.size() < 2) return;
          // The second event went out after the first reader: everything about both is decided by now.
          test.verify(() -> {
            assertEquals(List.of(1L, 2L), first.seqs, "the reader reached in time gets every event");
            assertTrue(late.overflowed && later.overflowed,
                "the readers reached more than the max lag after the event's arrival are closed");
            assertEquals(List.of(), late.seqs, "and are not written to late");
            assertEquals(List.of(), later.seqs);
            assertFalse(first.overflowed);
            assertEquals(2.0, registry.get("parley_live_slow_consumer_closes").tag("transport", "bridge")
                .counter().count(), "counted as slow-consumer closes");
            hub.close();
          });
          test.completeNow();
        };
        publish(vertx, topic, 1);
        publish(vertx, topic, 2);
      }));
    });
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aStallShorterThanTheMaxLagClosesNobody(Vertx vertx, VertxTestContext test) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Recording first = new Recording(MAX_LAG.toMillis() / 4);
    Recording next = new Recording(0);
    String topic = Topics.FEED;
    vertx.getOrCreateContext().runOnContext(v -> {
      LiveHub hub = new LiveHub(vertx, null, new Relay(vertx), DeliveryFilter.EVERYONE, new LiveMeters(registry),
          10_000, MAX_LAG, () -> false);
      Future.all(hub.subscribe(first, Reader.anonymous(), topic, null),
          hub.subscribe(next, Reader.anonymous(), topic, null)).onComplete(test.succeeding(all -> {
            first.onClose = () -> test.failNow("the first reader was closed after a stall of a quarter of the lag");
            next.onClose = () -> test.failNow("the next reader was closed after a stall of a quarter of the lag");
            next.onSend = () -> test.verify(() -> {
              assertEquals(List.of(1L), next.seqs, "written to, a quarter of the max lag late");
              assertFalse(first.overflowed || next.overflowed);
              assertEquals(0.0, registry.get("parley_live_slow_consumer_closes").tag("transport", "bridge")
                  .counter().count());
              hub.close();
              test.completeNow();
            });
            publish(vertx, topic, 1);
          }));
    });
  }
}
