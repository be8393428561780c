package parley.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Standard Webhooks signing: a secret {@code whsec_<base64 key>}, and per message the header
 * {@code webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">}.
 */
public final class Signature {

  public static final String PREFIX = "whsec_";
  private static final Pattern FORMAT = Pattern.compile("whsec_[A-Za-z0-9+/]{32,88}={0,2}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private Signature() {
  }

  /** A new secret: 32 random bytes. */
  public static String newSecret() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** Whether a secret someone supplied is usable: whsec_ and the base64 of 24 to 64 bytes. */
  public static boolean valid(String secret) {
    if (secret == null || !FORMAT.matcher(secret).matches()) return false;
    try {
      int length = Base64.getDecoder().decode(secret.substring(PREFIX.length())).length;
      return length >= 24 && length <= 64;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The webhook-signature header's value for one message. */
  public static String sign(String secret, String messageId, long timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(PREFIX.length())), "HmacSHA256"));
      byte[] digest = mac.doFinal((messageId + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
