package parley.account;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Argon2id password hashes at OWASP's minimum (m=19 MiB, t=2, p=1), stored in the PHC string format so the
 * parameters can be raised later without breaking old hashes. Hashing takes tens of milliseconds, so it always
 * runs on a worker thread, never on an event loop.
 */
final class Passwords {

  static final int MEMORY_KIB = 19 * 1024;
  static final int ITERATIONS = 2;
  static final int PARALLELISM = 1;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  /** Verified against when a login names nobody, so an unknown user costs as much as a wrong password. */
  private static final String DECOY = hashNow("decoy password that matches nothing");

  private final Vertx vertx;

  Passwords(Vertx vertx) {
    this.vertx = vertx;
  }

  Future<String> hash(String password) {
    return vertx.executeBlocking(() -> hashNow(password), false);
  }

  /** Checks a password against a stored hash, or against the decoy when there is no user (always false). */
  Future<Boolean> verify(String password, String storedOrNull) {
    return vertx.executeBlocking(() -> {
      boolean ok = verifyNow(password, storedOrNull == null ? DECOY : storedOrNull);
      return ok && storedOrNull != null;
    }, false);
  }

  static String hashNow(String password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] hash = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
    return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM
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
