package parley.config;

import java.util.Map;

/**
 * How this node hashes passwords. Argon2id at OWASP's minimum takes about 85 ms of one core and 19 MiB of heap per
 * hash, on registration, sign-in and password change: a burst of sign-ins (credential stuffing from many addresses,
 * or every user signing in again after a key change) on Vert.x's shared worker pool ran twenty at once, took both
 * cores from the writes and 380 MiB of heap. So hashing has its own few threads, and a bounded queue beyond which a
 * request is answered 503 at once.
 *
 * @param weak    hash new passwords at the tests' cost ({@code PARLEY_WEAK_PASSWORD_HASHING}), for test suites only
 * @param threads hashes running at once ({@code PARLEY_PASSWORD_HASHING_THREADS}; default half the cores, at least 1)
 * @param queue   hashes waiting for a thread at most ({@code PARLEY_PASSWORD_HASHING_QUEUE}; default 16 per thread,
 *                about 1.4 s of waiting at OWASP's cost), beyond which a request is answered 503 with Retry-After
 */
public record PasswordHashingSettings(boolean weak, int threads, int queue) {

  public static final String WEAK = "PARLEY_WEAK_PASSWORD_HASHING";
  public static final String THREADS = "PARLEY_PASSWORD_HASHING_THREADS";
  public static final String QUEUE = "PARLEY_PASSWORD_HASHING_QUEUE";

  public PasswordHashingSettings {
    if (threads < 1) throw new IllegalArgumentException(THREADS + " must be at least 1");
    if (queue < 0) throw new IllegalArgumentException(QUEUE + " must not be negative");
  }

  static PasswordHashingSettings from(Map<String, String> values) {
    int threads = AppConfig.intValue(values, THREADS, Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
    return new PasswordHashingSettings(AppConfig.bool(values, WEAK, false), threads,
        AppConfig.intValue(values, QUEUE, 16 * Math.max(1, threads)));
  }
}
