package parley.config;

import java.util.Map;

/**
 * The node's cache of what anonymous readers get (see parley.readcache.ReadCache): whether it is on, and its bounds.
 * A bound of 0 turns it off as well; the bounds keep a busy node's cache from growing with the number of threads
 * and pages people happen to read.
 *
 * @param maxEntries responses kept at most
 * @param maxBytes   bytes of response bodies kept at most
 */
public record ReadCacheSettings(boolean enabled, int maxEntries, long maxBytes) {

  public static final String ENABLED = "PARLEY_READ_CACHE";
  public static final String MAX_ENTRIES = "PARLEY_READ_CACHE_ENTRIES";
  public static final String MAX_MB = "PARLEY_READ_CACHE_MB";

  public ReadCacheSettings {
    if (maxEntries < 0) throw new IllegalArgumentException(MAX_ENTRIES + " must not be negative");
    if (maxBytes < 0) throw new IllegalArgumentException(MAX_MB + " must not be negative");
  }

  /** On, and with room for at least one response. */
  public boolean on() {
    return enabled && maxEntries > 0 && maxBytes > 0;
  }

  static ReadCacheSettings from(Map<String, String> values) {
    String raw = values.getOrDefault(ENABLED, "on").strip().toLowerCase();
    boolean enabled = switch (raw) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new IllegalArgumentException(ENABLED + " must be on or off, got '" + raw + "'");
    };
    return new ReadCacheSettings(enabled, AppConfig.intValue(values, MAX_ENTRIES, 20_000),
        AppConfig.intValue(values, MAX_MB, 64) * 1024L * 1024L);
  }
}
