package parley.config;

import java.util.Map;

/**
 * The node's caches of what readers get (see parley.readcache.ReadCache) and of who they are (parley.account's
 * AccountCache): whether they are on, and their bounds. A bound of 0 turns its cache off; {@code PARLEY_READ_CACHE=off}
 * turns all of them off, so a node without a cache answers every read, and authenticates every request, from the
 * database. The bounds keep a busy node's caches from growing with the number of threads, pages and readers.
 *
 * @param maxEntries         anonymous responses kept at most
 * @param maxBytes           bytes of anonymous response bodies kept at most
 * @param personalEntries    readers' overlays (their votes on a page, whether anything of theirs changes it) kept at
 *                           most
 * @param personalBytes      bytes of readers' overlays (their personalised bodies) kept at most
 * @param accountEntries     signed-in accounts kept at most by the authenticator
 */
public record ReadCacheSettings(boolean enabled, int maxEntries, long maxBytes, int personalEntries,
    long personalBytes, int accountEntries) {

  public static final String ENABLED = "PARLEY_READ_CACHE";
  public static final String MAX_ENTRIES = "PARLEY_READ_CACHE_ENTRIES";
  public static final String MAX_MB = "PARLEY_READ_CACHE_MB";
  public static final String PERSONAL_ENTRIES = "PARLEY_READ_CACHE_PERSONAL_ENTRIES";
  public static final String PERSONAL_MB = "PARLEY_READ_CACHE_PERSONAL_MB";
  public static final String ACCOUNT_ENTRIES = "PARLEY_ACCOUNT_CACHE_ENTRIES";

  public ReadCacheSettings {
    if (maxEntries < 0) throw new IllegalArgumentException(MAX_ENTRIES + " must not be negative");
    if (maxBytes < 0) throw new IllegalArgumentException(MAX_MB + " must not be negative");
    if (personalEntries < 0) throw new IllegalArgumentException(PERSONAL_ENTRIES + " must not be negative");
    if (personalBytes < 0) throw new IllegalArgumentException(PERSONAL_MB + " must not be negative");
    if (accountEntries < 0) throw new IllegalArgumentException(ACCOUNT_ENTRIES + " must not be negative");
  }

  /** The anonymous cache: on, and with room for at least one response. */
  public boolean on() {
    return enabled && maxEntries > 0 && maxBytes > 0;
  }

  /** Readers' overlays: on with the anonymous cache they lay over, and with room for at least one. */
  public boolean personalOn() {
    return on() && personalEntries > 0 && personalBytes > 0;
  }

  /** The authenticator's cache of accounts. */
  public boolean accountsOn() {
    return enabled && accountEntries > 0;
  }

  static ReadCacheSettings from(Map<String, String> values) {
    String raw = values.getOrDefault(ENABLED, "on").strip().toLowerCase();
    boolean enabled = switch (raw) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new IllegalArgumentException(ENABLED + " must be on or off, got '" + raw + "'");
    };
    return new ReadCacheSettings(enabled, AppConfig.intValue(values, MAX_ENTRIES, 20_000),
        AppConfig.intValue(values, MAX_MB, 64) * 1024L * 1024L,
        AppConfig.intValue(values, PERSONAL_ENTRIES, 50_000),
        AppConfig.intValue(values, PERSONAL_MB, 64) * 1024L * 1024L,
        AppConfig.intValue(values, ACCOUNT_ENTRIES, 100_000));
  }
}
