package parley.account;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;

/**
 * Signs and checks access tokens: HS256 only (the algorithm is pinned, so a token claiming "none" or another
 * algorithm is refused), issuer "parley", subject the user id, and an expiry.
 */
public final class Tokens {

  static final String ALGORITHM = "HS256";
  static final String ISSUER = "parley";
  private static final Logger log = LoggerFactory.getLogger(Tokens.class);
  private static final int MIN_SECRET_LENGTH = 32;

  private final JWTAuth jwt;
  private final Duration ttl;

  public Tokens(Vertx vertx, String secret, Duration ttl) {
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(ALGORITHM).setBuffer(secret))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER).setAlgorithm(ALGORITHM)));
    this.ttl = ttl;
  }

  public String issue(long userId) {
    return jwt.generateToken(new JsonObject().put("sub", Long.toString(userId)),
        new JWTOptions().setAlgorithm(ALGORITHM).setIssuer(ISSUER).setExpiresInSeconds((int) ttl.toSeconds()));
  }

  /** The user id a valid token names, and when the token expires (epoch seconds). */
  public record Claims(long userId, long expiresAt) {
  }

  /** Fails for a malformed, forged, expired or foreign-algorithm token. */
  public Future<Claims> verify(String token) {
    return jwt.authenticate(new TokenCredentials(token)).map(user -> {
      JsonObject claims = user.attributes().getJsonObject("accessToken");
      if (!ISSUER.equals(claims.getString("iss"))) throw new IllegalArgumentException("wrong issuer");
      return new Claims(Long.parseLong(claims.getString("sub")), claims.getLong("exp"));
    });
  }

  /**
   * The signing key: {@code PARLEY_JWT_SECRET}, or in embedded mode one generated once and kept in the data
   * directory. Blocking (file I/O): call it from a worker.
   */
  public static String resolveSecret(AppConfig config) throws IOException {
    if (config.jwtSecret().isPresent()) {
      String secret = config.jwtSecret().get();
      if (secret.length() < MIN_SECRET_LENGTH) {
        throw new IllegalStateException(AppConfig.JWT_SECRET + " must be at least " + MIN_SECRET_LENGTH + " characters");
      }
      return secret;
    }
    if (!config.embeddedDatabase()) {
      throw new IllegalStateException(AppConfig.JWT_SECRET + " is required when " + AppConfig.DATABASE_URL
          + " is set: every node must sign tokens with the same key");
    }
    Path file = config.dataDir().resolve("jwt-secret");
    if (Files.exists(file)) return Files.readString(file).strip();
    byte[] bytes = new byte[48];
    new SecureRandom().nextBytes(bytes);
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    Files.createDirectories(config.dataDir());
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(Set.of(
          java.nio.file.attribute.PosixFilePermission.OWNER_READ,
          java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, secret, StandardOpenOption.TRUNCATE_EXISTING);
    log.info("Generated a token signing key in {}", file);
    return secret;
  }
}
