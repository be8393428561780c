package parley.account;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;
import parley.db.EmbeddedDatabase;
import parley.http.Fields;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * Signs and checks access tokens. A token is an HS256 JWT with issuer and audience "parley", the user id as subject,
 * an issue time, an expiry and the user's token version. Checking is strict before the signature is even looked
 * at: the header names HS256 (so "none" and key confusion are refused), has no {@code crit} and no other type than
 * JWT; every time claim is a number; the audience is ours. A token whose version is older than its user's current
 * one was revoked (sign-out everywhere, a password change).
 */
public final class Tokens {

  static final String ALGORITHM = "HS256";
  static final String ISSUER = "parley";
  static final String AUDIENCE = "parley";
  /** Clock difference tolerated between the node that issued a token and the one checking it. */
  private static final long SKEW_SECONDS = 60;
  private static final Logger log = LoggerFactory.getLogger(Tokens.class);
  private static final int MIN_SECRET_LENGTH = 32;
  private static final Base64.Decoder B64URL = Base64.getUrlDecoder();

  private final JWTAuth jwt;
  private final Duration ttl;

  public Tokens(Vertx vertx, String secret, Duration ttl) {
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(ALGORITHM).setBuffer(secret))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER).setAlgorithm(ALGORITHM).setAudience(List.of(AUDIENCE))));
    this.ttl = ttl;
  }

  public String issue(long userId, int tokenVersion) {
    return jwt.generateToken(new JsonObject().put("sub", Long.toString(userId)).put("ver", tokenVersion),
        new JWTOptions().setAlgorithm(ALGORITHM).setIssuer(ISSUER).setAudience(List.of(AUDIENCE))
            .setExpiresInSeconds((int) ttl.toSeconds()));
  }

  /** What a valid token says: whose it is, until when (epoch seconds), and which version of their tokens. */
  public record Claims(long userId, long expiresAt, int version) {
  }

  /** Fails for a malformed, forged, expired, not-yet-valid or foreign token; see the class comment. */
  public Future<Claims> verify(String token) {
    Claims claims;
    try {
      claims = checkShape(token, System.currentTimeMillis() / 1000);
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("refused token: " + e.getMessage()));
    }
    return jwt.authenticate(new TokenCredentials(token)).map(user -> claims);
  }

  /** Every check except the signature, on the decoded header and claims. */
  static Claims checkShape(String token, long now) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) throw new IllegalArgumentException("not three parts");
    // Base64url without padding, as JWS writes it (RFC 7515, 2): a padded part is another string for the same token.
    if (token.indexOf('=') >= 0) throw new IllegalArgumentException("padded");
    JsonObject header = decode(parts[0]);
    JsonObject claims = decode(parts[1]);
    if (!ALGORITHM.equals(header.getValue("alg"))) throw new IllegalArgumentException("alg");
    if (header.containsKey("crit")) throw new IllegalArgumentException("crit");
    Object typ = header.getValue("typ");
    if (typ != null && !"JWT".equals(typ)) throw new IllegalArgumentException("typ");
    if (!ISSUER.equals(claims.getValue("iss"))) throw new IllegalArgumentException("iss");
    Object aud = claims.getValue("aud");
    boolean ours = AUDIENCE.equals(aud) || (aud instanceof JsonArray a && a.size() == 1 && AUDIENCE.equals(a.getValue(0)));
    if (!ours) throw new IllegalArgumentException("aud");
    long exp = wholeNumber(claims, "exp", true);
    long iat = wholeNumber(claims, "iat", true);
    long nbf = wholeNumber(claims, "nbf", false);
    if (now >= exp) throw new IllegalArgumentException("expired");
    if (iat > now + SKEW_SECONDS || nbf > now + SKEW_SECONDS) throw new IllegalArgumentException("not yet valid");
    if (!(claims.getValue("sub") instanceof String sub) || !sub.matches("[1-9][0-9]{0,18}")) {
      throw new IllegalArgumentException("sub");
    }
    long version = wholeNumber(claims, "ver", true);
    if (version < 0 || version > Integer.MAX_VALUE) throw new IllegalArgumentException("ver");
    return new Claims(Long.parseLong(sub), exp, (int) version);
  }

  /**
   * A part as a JSON object, read as strictly as a request body ({@link Fields#strict}): a name given twice (two
   * "sub", two "alg") is refused, as RFC 7515 (4) asks, not read as whichever came last.
   */
  private static JsonObject decode(String part) {
    Object value = Fields.strict(new String(B64URL.decode(part), StandardCharsets.UTF_8));
    if (!(value instanceof JsonObject object)) throw new IllegalArgumentException("not a JSON object");
    return object;
  }

  /** A numeric claim that must be a whole number (a string, a fraction or a huge number is refused). */
  private static long wholeNumber(JsonObject claims, String name, boolean required) {
    Object value = claims.getValue(name);
    if (value == null) {
      if (required) throw new IllegalArgumentException(name + " missing");
      return Long.MIN_VALUE;
    }
    if (value instanceof Integer || value instanceof Long) return ((Number) value).longValue();
    throw new IllegalArgumentException(name + " not a whole number");
  }

  /**
   * Says when the key given replaces the data directory's own, which signs everyone out: it was replaced without a
   * word (a review). Only said: a key file that cannot be read as text here never stops the start, since it is not
   * used.
   */
  private static void replacesKept(Path kept, String secret) {
    try {
      if (Files.isRegularFile(kept) && !new String(Files.readAllBytes(kept), StandardCharsets.UTF_8).strip()
          .equals(secret)) {
        log.warn("{} is used instead of the token key in {}: tokens signed with that key are refused", AppConfig.JWT_SECRET,
            kept);
      }
    } catch (IOException | RuntimeException unreadable) {
      log.debug("Could not compare {} with {}: {}", kept, AppConfig.JWT_SECRET, unreadable.toString());
    }
  }

  /**
   * The signing key: {@code PARLEY_JWT_SECRET}, or in embedded mode one generated once and kept in the data
   * directory (mode 600). Blocking (file I/O): call it from a worker.
   */
  public static String resolveSecret(AppConfig config) throws IOException {
    if (config.jwtSecret().isPresent()) {
      String secret = config.jwtSecret().get();
      if (secret.length() < MIN_SECRET_LENGTH) {
        throw new IllegalStateException(AppConfig.JWT_SECRET + " must be at least " + MIN_SECRET_LENGTH + " characters");
      }
      if (config.embeddedDatabase()) replacesKept(config.dataDir().resolve("jwt-secret"), secret);
      return secret;
    }
    if (!config.embeddedDatabase()) {
      throw new IllegalStateException(AppConfig.JWT_SECRET + " is required when " + AppConfig.DATABASE_URL
          + " is set: every node must sign tokens with the same key");
    }
    Path file = config.dataDir().resolve("jwt-secret");
    boolean existed = Files.exists(file);
    String secret = EmbeddedDatabase.secret(file);
    if (!existed) log.info("Generated a token signing key in {}", file);
    return secret;
  }
}
