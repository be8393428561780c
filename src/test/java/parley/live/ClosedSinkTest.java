package parley.live;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;
import parley.events.EventLog;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscription whose connection was closed under it (a slow consumer on another of the socket's topics, a reconnect
 * asked for), before the socket's close reaches the hub (up to 5 s for a stalled peer), ends at its next event or
 * replay turn. A review found it replaying the same page of the log again and again meanwhile, delivering nothing
 * (hundreds of reads of the live pool a second, from each such reader), once deliveries to a closed sink stopped.
 */
@ExtendWith(TestParley.class)
class ClosedSinkTest {

  private final Api api = Api.local();

  /** A socket that is closed, or closes at its first replay turn; counts the turns it is asked for. */
  static class ClosingSink extends RecordingSink {
    final AtomicInteger turns = new AtomicInteger();
    volatile boolean closed;
    boolean closeAtFirstTurn = true;

    @Override
    public Future<Void> replayTurn() {
      turns.incrementAndGet();
      if (closeAtFirstTurn) closed = true;
      return Future.succeededFuture();
    }

    @Override
    public void resync(String topic, Long headSeq) {
    }

    @Override
    public void overflow() {
      closed = true;
    }

    @Override
    public void revoke(String topic, String reason) {
    }

    @Override
    public boolean isClosed() {
      return closed;
    }
  }

  private record Hub(LiveHub hub, LiveMeters meters) {
    double subscriptions() {
      return meters.of("parley.post.1").subscriptions().get();
    }
  }

  private static Hub hub(Vertx vertx) throws Exception {
    EventLog log = new EventLog(vertx, TestParley.server().running().database().pool());
    LiveMeters meters = new LiveMeters(new SimpleMeterRegistry());
    return new Hub(new LiveHub(vertx, log, new Relay(vertx), DeliveryFilter.EVERYONE, meters, 10_000,
        Duration.ofSeconds(10), () -> false), meters);
  }

  @Test
  void aReplayingSubscriptionWhoseSocketClosedEndsAtItsNextTurn() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Long comments");
    // Two bytes a character: about 36 KB an event in the log, so the history takes two pages of replay.
    for (int i = 0; i < 12; i++) api.comment(alice, post, i + " " + "\u0436".repeat(9_000), null);
    Vertx vertx = TestParley.server().running().vertx();
    ClosingSink sink = new ClosingSink();
    CompletableFuture<Hub> made = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> {
      try {
        Hub hub = hub(vertx);
        hub.hub().subscribe(sink, Reader.anonymous(), "parley.post." + post, 0L).onComplete(ar -> made.complete(hub));
      } catch (Exception e) {
        made.completeExceptionally(e);
      }
    });
    Hub hub = made.get(10, TimeUnit.SECONDS);
    TestParley.awaitUntil(() -> hub.subscriptions() == 0, "the subscription of a closed socket ends");
    assertTrue(sink.turns.get() > 0, "it began to replay");
    int turns = sink.turns.get();
    assertTrue(turns <= 2, "the log was read " + turns + " times for a closed socket");
    assertTrue(sink.seqs.isEmpty(), "nothing written to a closed socket: " + sink.seqs);
  }

  @Test
  void aLiveSubscriptionWhoseSocketClosedEndsAtItsNextEvent() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    api.comment(alice, post, "before", null);
    Vertx vertx = TestParley.server().running().vertx();
    ClosingSink sink = new ClosingSink();
    sink.closeAtFirstTurn = false;
    CompletableFuture<Hub> live = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> {
      try {
        Hub hub = hub(vertx);
        hub.hub().subscribe(sink, Reader.anonymous(), "parley.post." + post, null).onSuccess(s -> live.complete(hub));
      } catch (Exception e) {
        live.completeExceptionally(e);
      }
    });
    Hub hub = live.get(10, TimeUnit.SECONDS);
    sink.closed = true;
    api.comment(alice, post, "one", null);
    api.comment(alice, post, "two", null);
    TestParley.awaitUntil(() -> hub.subscriptions() == 0, "the subscription of a closed socket ends");
    assertTrue(sink.turns.get() == 0, "the log was read " + sink.turns.get() + " times for a closed socket");
    assertTrue(sink.seqs.isEmpty(), "nothing written to a closed socket: " + sink.seqs);
  }

  /**
   * A replay that throws (here, the transport's write) closes its reader to resume, as a page that cannot be read
   * does: nothing else would move the subscription on, and it stayed replaying, silent, until the socket closed.
   */
  @Test
  void aReplayThatThrowsClosesItsReaderSoItResumes() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "A thread whose replay breaks");
    for (int i = 0; i < 3; i++) api.comment(alice, post, "comment " + i, null);
    Vertx vertx = TestParley.server().running().vertx();
    ClosingSink sink = new ClosingSink() {
      @Override
      public void send(String topic, Delivery delivery) {
        throw new IllegalStateException("a transport that breaks");
      }
    };
    sink.closeAtFirstTurn = false;
    try (parley.CapturedLog logged = new parley.CapturedLog("parley.live.LiveHub")) {
      vertx.getOrCreateContext().runOnContext(v -> {
        try {
          hub(vertx).hub().subscribe(sink, Reader.anonymous(), "parley.post." + post, 0L);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      TestParley.awaitUntil(() -> sink.closed, "the reader is closed to resume");
      assertTrue(logged.messages().stream().anyMatch(m -> m.startsWith("Replay of parley.post." + post + " failed")),
          logged.messages().toString());
    }
  }
}
