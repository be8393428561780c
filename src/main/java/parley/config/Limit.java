package parley.config;

import java.time.Duration;
import java.util.Map;

/** A rate limit: at most {@code count} actions per {@code window}, written "count/window", e.g. "10/1m". */
public record Limit(int count, Duration window) {

  public Limit {
    if (count < 1) throw new IllegalArgumentException("a limit allows at least one action");
    if (window.isZero() || window.isNegative()) throw new IllegalArgumentException("a limit's window is positive");
  }

  static Limit parse(String key, String raw) {
    String[] parts = raw.strip().split("/");
    if (parts.length != 2) throw new IllegalArgumentException(key + " must look like 10/1m, got '" + raw + "'");
    try {
      return new Limit(Integer.parseInt(parts[0].strip()),
          AppConfig.duration(Map.of(key, parts[1]), key, null));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + " must look like 10/1m, got '" + raw + "'");
    }
  }

  @Override
  public String toString() {
    return count + "/" + window.toSeconds() + "s";
  }
}
