package parley;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Tokens signed with the test server's key, for expiry and forgery tests. */
public final class TestTokens {

  private TestTokens() {
  }

  public static long now() {
    return System.currentTimeMillis() / 1000;
  }

  public static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A token for the user that expires at the given epoch second. */
  public static String expiringAt(long userId, long expiresAt) {
    return hs256("{\"sub\":\"" + userId + "\",\"iss\":\"parley\",\"iat\":" + (now() - 1) + ",\"exp\":" + expiresAt + "}");
  }

  public static String hs256(String claims) {
    try {
      String signingInput = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b64(claims);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(TestParley.JWT_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return signingInput + "." + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
