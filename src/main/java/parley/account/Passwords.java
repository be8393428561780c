package parley.account;

import io.vertx.core.Future;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Argon2id password hashes at OWASP's minimum (m=19 MiB, t=2, p=1), stored in the PHC string format so the
 * parameters can be raised later without breaking old hashes. Hashing takes tens of milliseconds, so it always
 * runs on {@link PasswordHashing}'s own worker threads, never on an event loop.
 *
 * <p>{@code PARLEY_WEAK_PASSWORD_HASHING=true} hashes at {@link Cost#WEAK} instead, for test suites only (as Rails'
 * {@code SecurePassword.min_cost} and Django's test hashers do): still argon2id and still verified the same way,
 * about 60 times cheaper, and logged as a warning at start. Verification always uses the parameters stored with
 * the hash, so accounts made at either cost sign in under the other.
 */
final class Passwords {

  /** Argon2id's memory (KiB), iterations and lanes. */
  record Cost(int memoryKib, int iterations, int parallelism) {
    /** OWASP's minimum for argon2id. */
    static final Cost STANDARD = new Cost(19 * 1024, 2, 1);
    /** For tests only: about 1.5 ms a hash here instead of 85. */
    static final Cost WEAK = new Cost(1024, 1, 1);
  }

  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getDecoder();
  /**
   * Verified against when a login names nobody, so an unknown user costs as much as a wrong password: one per cost,
   * made on a worker the first time it is needed.
   */
  private static final java.util.Map<Cost, String> DECOYS = new java.util.concurrent.ConcurrentHashMap<>();

  private final PasswordHashing hashing;

  Passwords(PasswordHashing hashing) {
    this.hashing = hashing;
  }

  Future<String> hash(String password) {
    Cost cost = hashing.cost();
    return hashing.run(() -> hashNow(normalized(password), cost));
  }

  /**
   * Checks a password against a stored hash, or against the decoy when there is no user (always false). A hash made
   * before passwords were normalized, of a password that normalizing changes, still matches the password as typed.
   */
  Future<Boolean> verify(String password, String storedOrNull) {
    Cost cost = hashing.cost();
    return hashing.run(() -> {
      String against = storedOrNull != null ? storedOrNull
          : DECOYS.computeIfAbsent(cost, c -> hashNow("decoy password that matches nothing", c));
      String normalized = normalized(password);
      boolean ok = verifyNow(normalized, against) || (!normalized.equals(password) && verifyNow(password, against));
      return ok && storedOrNull != null;
    });
  }

  /**
   * The password as NFKC (NIST SP 800-63B, 5.1.1.2): the same word typed on two systems can arrive composed ("ä") or
   * decomposed ("a" and a combining diaeresis), and must sign in either way.
   */
  static String normalized(String password) {
    return java.text.Normalizer.normalize(password, java.text.Normalizer.Form.NFKC);
  }

  static String hashNow(String password, Cost cost) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] hash = derive(password, salt, cost.memoryKib(), cost.iterations(), cost.parallelism(), HASH_BYTES);
    return "$argon2id$v=19$m=" + cost.memoryKib() + ",t=" + cost.iterations() + ",p=" + cost.parallelism()
        + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
  }

  static boolean verifyNow(String password, String encoded) {
    // $argon2id$v=19$m=19456,t=2,p=1$salt$hash
    String[] parts = encoded.split("\\$");
    if (parts.length != 6 || !"argon2id".equals(parts[1])) return false;
    int m = 0;
    int t = 0;
    int p = 0;
    for (String kv : parts[3].split(",")) {
      String[] pair = kv.split("=");
      int value = Integer.parseInt(pair[1]);
      switch (pair[0]) {
        case "m" -> m = value;
        case "t" -> t = value;
        case "p" -> p = value;
        default -> {
          return false;
        }
      }
    }
    byte[] salt = B64D.decode(parts[4]);
    byte[] expected = B64D.decode(parts[5]);
    byte[] actual = derive(password, salt, m, t, p, expected.length);
    return MessageDigest.isEqual(expected, actual);
  }

  private static byte[] derive(String password, byte[] salt, int memoryKib, int iterations, int parallelism,
      int length) {
    Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(memoryKib)
        .withIterations(iterations)
        .withParallelism(parallelism)
        .withSalt(salt)
        .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(params);
    byte[] out = new byte[length];
    generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
    return out;
  }
}
