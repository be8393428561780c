package parley;

import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Tokens signed with the test server's key (or any other), for expiry, forgery and claim tests. */
public final class TestTokens {

  public static final JsonObject HEADER = new JsonObject().put("alg", "HS256").put("typ", "JWT");

  private TestTokens() {
  }

  public static long now() {
    return System.currentTimeMillis() / 1000;
  }

  public static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The claims of a valid token for the user (token version 0), to change one at a time. */
  public static JsonObject claims(long userId) {
    return new JsonObject().put("sub", Long.toString(userId)).put("iss", "parley").put("aud", "parley")
        .put("iat", now() - 1).put("exp", now() + 3600).put("ver", 0);
  }

  /** A token for the user that expires at the given epoch second. */
  public static String expiringAt(long userId, long expiresAt) {
    return hs256(claims(userId).put("exp", expiresAt).encode());
  }

  public static String hs256(String claims) {
    return sign(HEADER.encode(), claims, TestParley.JWT_SECRET);
  }

  /** Any header and claims, signed with HMAC-SHA256 under the given key. */
  public static String sign(String header, String claims, String key) {
    try {
      String signingInput = b64(header) + "." + b64(claims);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return signingInput + "." + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
