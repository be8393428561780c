package parley.http;

import io.vertx.core.json.JsonObject;
import parley.config.AppConfig;
import parley.config.Limit;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets per limit and subject (an account id or a client IP), shared by every HTTP verticle of this node.
 * A bucket holds up to {@code count} actions and refills evenly over the window, so a burst is allowed and a
 * steady flood is not. An empty bucket answers 429 with Retry-After. Limits are per node: behind a load balancer
 * that spreads one client over N nodes, a client gets up to N times the limit.
 */
public final class RateLimiter {

  private final AppConfig config;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  public RateLimiter(AppConfig config) {
    this.config = config;
  }

  /** Takes one action for the subject, or throws a 429 problem saying when to retry. */
  public void take(String limitKey, String subject) {
    long wait = bucket(limitKey, subject).take(config.limit(limitKey));
    if (wait > 0) throw tooMany(wait);
  }

  /** Throws a 429 problem if the subject has no action left, without taking one (for counting failures only). */
  public void check(String limitKey, String subject) {
    long wait = bucket(limitKey, subject).peek(config.limit(limitKey));
    if (wait > 0) throw tooMany(wait);
  }

  /** Takes one action if there is one; never throws (the failure it counts is already being answered). */
  public void record(String limitKey, String subject) {
    bucket(limitKey, subject).take(config.limit(limitKey));
  }

  /** Takes one action if there is one left, and says whether it did (for callers that refuse without a 429). */
  public boolean tryTake(String limitKey, String subject) {
    return bucket(limitKey, subject).take(config.limit(limitKey)) == 0;
  }

  /** Forgets buckets that have refilled completely: they are the same as new ones. */
  public void sweep() {
    long now = System.nanoTime();
    buckets.entrySet().removeIf(e -> e.getValue().isFull(config.limit(e.getValue().limitKey), now));
  }

  private Bucket bucket(String limitKey, String subject) {
    return buckets.computeIfAbsent(limitKey + "|" + subject, k -> new Bucket(limitKey, config.limit(limitKey)));
  }

  /** The 429 problem for a wait of so many seconds (Retry-After). */
  public static Problem tooMany(long waitSeconds) {
    return ProblemType.RATE_LIMITED.problem("Slow down: try again in " + waitSeconds + " s.")
        .with(new JsonObject().put("retryAfter", waitSeconds));
  }

  private static final class Bucket {
    final String limitKey;
    private double tokens;
    private long updated;

    Bucket(String limitKey, Limit limit) {
      this.limitKey = limitKey;
      this.tokens = limit.count();
      this.updated = System.nanoTime();
    }

    /** Seconds to wait before an action is allowed; 0 means one was taken. */
    synchronized long take(Limit limit) {
      long wait = peek(limit);
      if (wait == 0) tokens -= 1;
      return wait;
    }

    synchronized long peek(Limit limit) {
      refill(limit, System.nanoTime());
      if (tokens >= 1) return 0;
      double perSecond = limit.count() / (double) limit.window().toSeconds();
      return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond));
    }

    synchronized boolean isFull(Limit limit, long now) {
      refill(limit, now);
      return tokens >= limit.count();
    }

    private void refill(Limit limit, long now) {
      double perNano = limit.count() / (double) limit.window().toNanos();
      tokens = Math.min(limit.count(), tokens + (now - updated) * perNano);
      updated = now;
    }
  }
}
