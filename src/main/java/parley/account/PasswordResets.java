package parley.account;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;

/**
 * One-time password reset links (see V19): a token of 32 random bytes, shown once to the admin who issues it and
 * stored only as its SHA-256, valid for {@link #VALID_FOR}, used at most once.
 */
public final class PasswordResets {

  public static final Duration VALID_FOR = Duration.ofHours(24);
  /** Where the web app takes a link: the token after '#', so it never reaches a server log or a Referer. */
  public static final String LINK_PATH = "/reset#token=";

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * Issues a link for a user, replacing theirs if they had one ($1 the token's hash, $2 the user,
   * $3 the admin, $4 seconds valid); no row when the user is gone.
   */
  public static final String ISSUE = """
      INSERT INTO password_resets (token_hash, user_id, issued_by, expires_at)
      SELECT $1, u.id, $3, now() + make_interval(secs => $4) FROM users u WHERE u.id = $2
      ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, issued_by = EXCLUDED.issued_by,
        issued_at = now(), expires_at = EXCLUDED.expires_at
      RETURNING expires_at""";

  /** Whether a token is one to use now ($1 its hash): checked before the new password is hashed. */
  static final String VALID = "SELECT 1 FROM password_resets WHERE token_hash = $1 AND expires_at > now()";

  /** The account a link is for, while it is one to use ($1 its token's hash). */
  static final String ACCOUNT = "SELECT u.username FROM password_resets r JOIN users u ON u.id = r.user_id "
      + "WHERE r.token_hash = $1 AND r.expires_at > now()";

  private PasswordResets() {
  }

  /** A new token, as the link carries it (URL-safe base64, 43 characters). */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** What is stored of a token. */
  public static Buffer hash(String token) {
    try {
      return Buffer.buffer(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
