package parley.live;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import parley.events.LiveEvent;
import parley.events.Topics;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live side's meters, one set per node: open sockets and streams, subscriptions, events received, delivered
 * and replayed, delivery lag and slow-consumer closes. Topics are labelled by kind (post, user, feed, mod), never by
 * name, so a busy site cannot grow the series without bound. Safe to use from any event loop.
 */
public final class LiveMeters {

  private final AtomicLong sockets = new AtomicLong();
  private final AtomicLong streams = new AtomicLong();
  private final Map<String, Kind> kinds = new HashMap<>();
  private final Timer lag;
  private final Counter slowSocketCloses;
  private final Counter slowStreamCloses;
  private final Counter socketFlushes;

  /** The meters of one kind of topic. */
  record Kind(AtomicLong subscriptions, Counter received, Counter delivered, Counter replayed, Counter letGo) {
  }

  public LiveMeters(MeterRegistry registry) {
    Gauge.builder("parley_live_sockets", sockets, AtomicLong::get)
        .description("Open event-bus bridge sockets").register(registry);
    Gauge.builder("parley_live_sse_streams", streams, AtomicLong::get)
        .description("Open server-sent event streams").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("parley_live_close_timeout_races", CloseTimeoutRace.class,
            c -> CloseTimeoutRace.seen())
        .description("Vert.x's known harmless WebSocket close-timeout race, seen in this process").register(registry);
    for (String kind : Topics.KINDS) {
      AtomicLong subscriptions = new AtomicLong();
      Gauge.builder("parley_live_subscriptions", subscriptions, AtomicLong::get).tag("kind", kind)
          .description("Readers following a topic of this kind").register(registry);
      kinds.put(kind, new Kind(subscriptions,
          Counter.builder("parley_live_events_received").tag("kind", kind)
              .description("Committed events that reached this node's live side, once per event loop following the topic")
              .register(registry),
          Counter.builder("parley_live_events_delivered").tag("kind", kind)
              .description("Events written to readers live, once per reader").register(registry),
          Counter.builder("parley_live_events_replayed").tag("kind", kind)
              .description("Events written to readers from the log on resume, once per reader").register(registry),
          Counter.builder("parley_live_events_let_go").tag("kind", kind)
              .description("Live events let go by a reader replaying the log (more waited than it keeps), to be read "
                  + "from the log again, once per reader").register(registry)));
    }
    lag = Timer.builder("parley_live_delivery_lag")
        .description("From an event's publication (after its commit, on any node) to its hand-off to this node's readers")
        // Buckets, not percentiles computed here: Prometheus adds buckets up across nodes (histogram_quantile over
        // sum by le), while per-node percentiles cannot be combined.
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
    slowSocketCloses = Counter.builder("parley_live_slow_consumer_closes").tag("transport", "bridge")
        .description("Readers closed because they stopped reading").register(registry);
    slowStreamCloses = Counter.builder("parley_live_slow_consumer_closes").tag("transport", "sse")
        .description("Readers closed because they stopped reading").register(registry);
    socketFlushes = Counter.builder("parley_live_socket_flushes").tag("transport", "bridge")
        .description("Writes to the network of bridge sockets (flushes); a replay page is one, not one per event")
        .register(registry);
  }

  /** Counts the flushes of bridge sockets' writes to the network (see {@link FlushHold}). */
  Counter socketFlushes() {
    return socketFlushes;
  }

  Kind of(String topic) {
    return kinds.get(Topics.kind(topic));
  }

  void socketOpened() {
    sockets.incrementAndGet();
  }

  void socketClosed() {
    sockets.decrementAndGet();
  }

  void streamOpened() {
    streams.incrementAndGet();
  }

  void streamClosed() {
    streams.decrementAndGet();
  }

  void slowConsumer(String transport) {
    (Sink.SSE.equals(transport) ? slowStreamCloses : slowSocketCloses).increment();
  }

  /** An event reached a loop's hub: its lag since publication, when the publisher stamped it. */
  void arrived(LiveEvent event, Kind kind) {
    kind.received().increment();
    if (event.publishedAt() > 0) {
      lag.record(Math.max(0, System.currentTimeMillis() - event.publishedAt()), TimeUnit.MILLISECONDS);
    }
  }
}
