package parley.config;

import java.time.Duration;
import java.util.Map;

/**
 * How this node sends webhooks (see docs/WEBHOOKS.md): whether it delivers at all, whether endpoints may be on
 * private addresses, the request timeout, the retry backoff and how long retries go on before an endpoint is marked
 * failing, how often the node looks for work, and how long the delivery log is kept.
 */
public record WebhookSettings(boolean deliver, boolean allowPrivate, Duration timeout, Duration backoffBase,
    Duration backoffMax, Duration retryFor, Duration poll, Duration logRetention) {

  public static final String DELIVER = "PARLEY_WEBHOOKS_DELIVER";
  public static final String ALLOW_PRIVATE = "PARLEY_WEBHOOKS_ALLOW_PRIVATE";
  public static final String TIMEOUT = "PARLEY_WEBHOOKS_TIMEOUT";
  public static final String BACKOFF_BASE = "PARLEY_WEBHOOKS_BACKOFF_BASE";
  public static final String BACKOFF_MAX = "PARLEY_WEBHOOKS_BACKOFF_MAX";
  public static final String RETRY_FOR = "PARLEY_WEBHOOKS_RETRY_FOR";
  public static final String POLL = "PARLEY_WEBHOOKS_POLL";
  public static final String LOG_RETENTION = "PARLEY_WEBHOOKS_LOG_RETENTION";

  public WebhookSettings {
    for (var e : Map.of(TIMEOUT, timeout, BACKOFF_BASE, backoffBase, BACKOFF_MAX, backoffMax, RETRY_FOR, retryFor,
        POLL, poll, LOG_RETENTION, logRetention).entrySet()) {
      if (e.getValue().isNegative() || e.getValue().isZero()) {
        throw new IllegalArgumentException(e.getKey() + " must be positive");
      }
    }
    // Floors against load, not taste: every poll is a query on every node (a review's 1ms poll made 1,000 a second
    // each), and every retry a request to someone's endpoint.
    atLeast(POLL, poll, Duration.ofMillis(50));
    atLeast(BACKOFF_BASE, backoffBase, Duration.ofMillis(100));
    if (backoffMax.compareTo(backoffBase) < 0) {
      throw new IllegalArgumentException(BACKOFF_MAX + " must be at least " + BACKOFF_BASE);
    }
  }

  private static void atLeast(String name, Duration value, Duration floor) {
    if (value.compareTo(floor) < 0) {
      throw new IllegalArgumentException(name + " must be at least " + floor.toMillis() + "ms");
    }
  }

  /** A node delivers while it holds an endpoint's lease; longer than any one request can take. */
  public Duration lease() {
    return timeout.plusSeconds(5);
  }

  static WebhookSettings from(Map<String, String> values) {
    return new WebhookSettings(
        AppConfig.bool(values, DELIVER, true),
        AppConfig.bool(values, ALLOW_PRIVATE, false),
        AppConfig.duration(values, TIMEOUT, Duration.ofSeconds(10)),
        AppConfig.duration(values, BACKOFF_BASE, Duration.ofSeconds(5)),
        AppConfig.duration(values, BACKOFF_MAX, Duration.ofHours(1)),
        AppConfig.duration(values, RETRY_FOR, Duration.ofDays(1)),
        AppConfig.duration(values, POLL, Duration.ofSeconds(1)),
        AppConfig.duration(values, LOG_RETENTION, Duration.ofDays(7)));
  }
}
