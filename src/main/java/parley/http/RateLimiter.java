package parley.http;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;
import parley.config.Limit;

import java.io.Serial;
import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Token buckets per limit and subject (an account id or a client IP). A bucket holds up to {@code count} actions
 * and refills evenly over the window, so a burst is allowed and a steady flood is not. An empty bucket answers 429
 * with Retry-After.
 *
 * <p>The REST limits ({@link #take}, {@link #check}, {@link #record}) are the cluster's: in cluster mode their
 * buckets live in a Hazelcast map, each changed atomically on the member that owns it, so a client spread over N
 * nodes by a load balancer gets the limit once, not N times. The live transports' limits ({@link #tryTakeHere})
 * count frames on this node's own sockets, many per second, and stay in this node's memory.
 */
public final class RateLimiter {

  private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);

  /**
   * How long a request waits for the cluster's bucket before it is counted on this node's instead. A member that
   * owns the bucket but has stopped answering (a long GC pause, a frozen process, a silent network partition) is
   * only dropped by Hazelcast after its heartbeat timeout (10 s): until then every write limited by a key it owns
   * waited that long, on every node (a probe, 2026-12-04: comments on the healthy node took 9.6–10.6 s while the
   * other was frozen). A take answers in about a millisecond when the owner is alive.
   */
  static final long SHARED_WAIT_MS = 500;

  /** "Shared rate limit … unavailable": once per 10 s, not once per request, while the cluster's map is away. */
  private final ThrottledWarning unavailable = new ThrottledWarning(log, java.time.Duration.ofSeconds(10));

  private final AppConfig config;
  private final Map<String, Bucket> local = new ConcurrentHashMap<>();
  private final IMap<String, Bucket> shared;
  private final Vertx vertx;
  private final MeterRegistry meters;

  /** Limits kept on this node only (single-node mode). */
  public RateLimiter(AppConfig config, MeterRegistry meters) {
    this(config, null, null, meters);
  }

  /** REST limits kept in the cluster's map (cluster mode); the live limits stay local. */
  public RateLimiter(AppConfig config, Vertx vertx, IMap<String, Bucket> shared, MeterRegistry meters) {
    this.config = config;
    this.vertx = vertx;
    this.shared = shared;
    this.meters = meters;
    // Every limit's series from the start, at 0, so a dashboard's rate() has something to compare against.
    config.limits().keySet().forEach(key -> refusals(key));
  }

  /** Takes one action for the subject, or fails with a 429 problem saying when to retry. */
  public Future<Void> take(String limitKey, String subject) {
    return wait(limitKey, subject).map(wait -> {
      if (wait > 0) throw refused(limitKey, wait);
      return null;
    });
  }

  /**
   * Runs an attempt that counts against the subject's limit only when it fails in a way {@code counts} says (a wrong
   * password, a wrong link): one action is taken before it runs, so attempts in flight together cannot pass the limit
   * all at once, and given back when it succeeds or fails otherwise. Refused with a 429 when none is left.
   */
  public <T> Future<T> countingFailures(String limitKey, String subject, Predicate<Throwable> counts,
      Supplier<Future<T>> attempt) {
    return take(limitKey, subject).compose(v -> attempt.get().andThen(done -> {
      if (done.succeeded() || !counts.test(done.cause())) giveBack(limitKey, subject);
    }));
  }

  /**
   * Gives back one action taken with {@link #take} (up to the limit's count): for an attempt that is counted only when
   * it fails, taken before it runs so that attempts in flight together cannot pass the limit all at once.
   */
  public void giveBack(String limitKey, String subject) {
    Limit limit = config.limit(limitKey);
    if (shared == null) {
      localBucket(limitKey, subject).give(limit, System.nanoTime());
      return;
    }
    shared.submitToKey(limitKey + "|" + subject, new Give(limitKey, limit.count(), limit.window().toNanos()))
        .exceptionally(e -> {
          unavailable.warn("Shared rate limit {} unavailable, giving back on this node's: {}", limitKey, e.toString());
          localBucket(limitKey, subject).give(limit, System.nanoTime());
          return null;
        });
  }

  /**
   * Takes one action from this node's own bucket if there is one left, and says whether it did: for the live
   * transports, which count every frame and refuse without a 429.
   */
  public boolean tryTakeHere(String limitKey, String subject) {
    boolean taken = localBucket(limitKey, subject).take(config.limit(limitKey), System.nanoTime()) == 0;
    if (!taken) refusedCounter(limitKey);
    return taken;
  }

  /** As {@link #take}, on this node's own bucket, for a live transport that answers over HTTP (SSE). */
  public void takeHere(String limitKey, String subject) {
    long wait = localBucket(limitKey, subject).take(config.limit(limitKey), System.nanoTime());
    if (wait > 0) throw refused(limitKey, wait);
  }

  /** Forgets this node's buckets that have refilled completely: they are the same as new ones. */
  public void sweep() {
    long now = System.nanoTime();
    local.entrySet().removeIf(e -> e.getValue().isFull(config.limit(e.getValue().limitKey), now));
  }

  /** Seconds to wait (0: allowed, and one action taken). */
  private Future<Long> wait(String limitKey, String subject) {
    Limit limit = config.limit(limitKey);
    if (shared == null) return Future.succeededFuture(localBucket(limitKey, subject).take(limit, System.nanoTime()));
    // Take keeps its consume flag: it is what nodes send one another, and a node of an earlier version may peek.
    Take take = new Take(limitKey, limit.count(), limit.window().toNanos(), true);
    return Future.fromCompletionStage(shared.submitToKey(limitKey + "|" + subject, take), vertx.getOrCreateContext())
        .timeout(SHARED_WAIT_MS, TimeUnit.MILLISECONDS)
        .recover(e -> {
          // The cluster's map is unreachable or too slow (a partition migrating, a member leaving or frozen): this
          // node's own bucket still limits the client, as in single-node mode, rather than letting everything
          // through, or nothing, or holding the write. (A take that lands later counts once more there: the limit
          // errs on the strict side for that one action.)
          unavailable.warn("Shared rate limit {} unavailable, using this node's: {}", limitKey, e.toString());
          return Future.succeededFuture(localBucket(limitKey, subject).take(limit, System.nanoTime()));
        });
  }

  private Bucket localBucket(String limitKey, String subject) {
    return local.computeIfAbsent(limitKey + "|" + subject, k -> new Bucket(limitKey, config.limit(limitKey).count(),
        System.nanoTime()));
  }

  private Problem refused(String limitKey, long waitSeconds) {
    refusedCounter(limitKey);
    return tooMany(waitSeconds);
  }

  private void refusedCounter(String limitKey) {
    refusals(limitKey).increment();
  }

  private Counter refusals(String limitKey) {
    return Counter.builder("parley_rate_limit_refusals").tag("limit", limitKey)
        .description("Requests and live frames refused by a rate limit").register(meters);
  }

  /** The 429 problem for a wait of so many seconds (Retry-After). */
  public static Problem tooMany(long waitSeconds) {
    return ProblemType.RATE_LIMITED.problem("Slow down: try again in " + readable(waitSeconds) + ".")
        .with(new JsonObject().put("retryAfter", waitSeconds));
  }

  /** A wait as a person reads it: seconds under two minutes, then minutes, then hours and minutes. */
  static String readable(long seconds) {
    if (seconds < 120) return seconds + " s";
    long minutes = (seconds + 59) / 60;
    if (minutes < 120) return minutes + " min";
    long hours = minutes / 60;
    long rest = minutes % 60;
    return rest == 0 ? hours + " h" : hours + " h " + rest + " min";
  }

  /** One bucket. Serializable, since in cluster mode it is stored in Hazelcast. */
  public static final class Bucket implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    final String limitKey;
    private double tokens;
    private long updated;

    Bucket(String limitKey, int count, long now) {
      this.limitKey = limitKey;
      this.tokens = count;
      this.updated = now;
    }

    /** Seconds to wait before an action is allowed; 0 means one was taken. */
    synchronized long take(Limit limit, long now) {
      return take(limit.count(), limit.window().toNanos(), now, true);
    }

    synchronized long take(int count, long windowNanos, long now, boolean consume) {
      refill(count, windowNanos, now);
      if (tokens >= 1) {
        if (consume) tokens -= 1;
        return 0;
      }
      double perSecond = count / (windowNanos / 1e9);
      return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond));
    }

    /** One action back, never past the limit's count. */
    synchronized void give(Limit limit, long now) {
      give(limit.count(), limit.window().toNanos(), now);
    }

    synchronized void give(int count, long windowNanos, long now) {
      refill(count, windowNanos, now);
      tokens = Math.min(count, tokens + 1);
    }

    synchronized boolean isFull(Limit limit, long now) {
      refill(limit.count(), limit.window().toNanos(), now);
      return tokens >= limit.count();
    }

    /** Nanoseconds until the bucket is full again (it is then the same as no bucket). */
    synchronized long untilFull(int count, long windowNanos) {
      return (long) Math.ceil((count - tokens) * (windowNanos / (double) count));
    }

    private void refill(int count, long windowNanos, long now) {
      double perNano = count / (double) windowNanos;
      tokens = Math.min(count, tokens + Math.max(0, now - updated) * perNano);
      updated = Math.max(updated, now);
    }
  }

  /**
   * Takes from (or looks at) one bucket where it is stored, atomically: Hazelcast runs it on the member that owns
   * the key, one at a time per key. The member's wall clock is the time, so every node's takes count alike. The
   * entry expires when the bucket would be full again.
   */
  record Take(String limitKey, int count, long windowNanos, boolean consume)
      implements EntryProcessor<String, Bucket, Long> {

    @Override
    public Long process(Map.Entry<String, Bucket> entry) {
      long now = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
      Bucket bucket = entry.getValue() != null ? entry.getValue() : new Bucket(limitKey, count, now);
      long wait = bucket.take(count, windowNanos, now, consume);
      if (consume && wait == 0) {
        // Whole seconds, rounded up: Hazelcast reads a TTL that rounds down to 0 as "never expires".
        long ttlSeconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(bucket.untilFull(count, windowNanos)) + 1);
        ((ExtendedMapEntry<String, Bucket>) entry).setValue(bucket, ttlSeconds, TimeUnit.SECONDS);
      }
      return wait;
    }
  }

  /** Gives one action back to a bucket where it is stored (see {@link Take}); a bucket gone is full already. */
  record Give(String limitKey, int count, long windowNanos) implements EntryProcessor<String, Bucket, Void> {

    @Override
    public Void process(Map.Entry<String, Bucket> entry) {
      Bucket bucket = entry.getValue();
      if (bucket == null) return null;
      long now = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
      bucket.give(count, windowNanos, now);
      long ttlSeconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(bucket.untilFull(count, windowNanos)) + 1);
      ((ExtendedMapEntry<String, Bucket>) entry).setValue(bucket, ttlSeconds, TimeUnit.SECONDS);
      return null;
    }
  }
}
