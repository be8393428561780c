package parley.account;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The password hash's cost: OWASP's minimum for argon2id unless PARLEY_WEAK_PASSWORD_HASHING says otherwise (the
 * shared test server does, to keep the suite fast). Accounts hashed at either cost sign in on a server hashing at the
 * other, since a hash carries its own parameters, and wrong passwords and unknown users are refused on both.
 */
@ExtendWith(TestParley.class)
class PasswordCostTest {

  /** A server on the shared database with the default cost. */
  @RegisterExtension
  static final OwnServer STANDARD = new OwnServer(Map.of(AppConfig.WEAK_PASSWORD_HASHING, "false"));

  private final Api weak = Api.local();
  private final Api standard = new Api("http://localhost:" + STANDARD.port());

  private static JsonObject registration(String username, String password) {
    return new JsonObject().put("username", username).put("email", username + "@example.org")
        .put("password", password);
  }

  private static JsonObject login(String username, String password) {
    return new JsonObject().put("login", username).put("password", password);
  }

  private static String hashOf(String username) throws Exception {
    try (var c = TestParley.db().getConnection();
        var s = c.prepareStatement("SELECT password_hash FROM users WHERE username = ?")) {
      s.setString(1, username);
      try (var rs = s.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  @Test
  void theDefaultIsOwaspsMinimumAndTheTestCostIsOnlyWhatItIsSetTo() throws Exception {
    assertFalse(AppConfig.from(Map.of()).weakPasswordHashing(), "weak hashing is never the default");
    assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(AppConfig.WEAK_PASSWORD_HASHING, "maybe")));

    assertEquals(201, standard.post("/api/auth/register", null, registration("olga", "correct horse")).status());
    assertEquals(201, weak.post("/api/auth/register", null, registration("tess", "battery staple")).status());
    String olga = hashOf("olga");
    String tess = hashOf("tess");
    assertTrue(olga.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), olga);
    assertTrue(tess.startsWith("$argon2id$v=19$m=1024,t=1,p=1$"), tess);
  }

  @Test
  void aHashSignsInUnderEitherCostAndWrongPasswordsAndUnknownUsersAreRefusedOnBoth() {
    assertEquals(201, standard.post("/api/auth/register", null, registration("olga", "correct horse")).status());
    assertEquals(201, weak.post("/api/auth/register", null, registration("tess", "battery staple")).status());
    for (Api server : new Api[] {standard, weak}) {
      assertEquals(200, server.post("/api/auth/login", null, login("olga", "correct horse")).status());
      assertEquals(200, server.post("/api/auth/login", null, login("tess", "battery staple")).status());
      assertEquals(401, server.post("/api/auth/login", null, login("olga", "battery staple")).status());
      assertEquals(401, server.post("/api/auth/login", null, login("tess", "correct horse")).status());
      assertEquals(401, server.post("/api/auth/login", null, login("nobody", "correct horse")).status());
    }
  }
}
