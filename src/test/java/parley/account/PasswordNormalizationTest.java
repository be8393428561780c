package parley.account;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.TestParley;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A password is compared as NFKC (NIST SP 800-63B): typed composed on one system and decomposed on another, it is the
 * same password; a hash stored before normalizing still matches the password exactly as it was typed.
 */
@ExtendWith(TestParley.class)
class PasswordNormalizationTest {

  /** "Müller-Straße 1", with ü as one code point. */
  private static final String COMPOSED = "M\u00fcller-Stra\u00dfe 1";
  /** The same, with ü as u and a combining diaeresis. */
  private static final String DECOMPOSED = "Mu\u0308ller-Stra\u00dfe 1";

  private final Api api = Api.local();

  private int login(String username, String password) {
    return api.post("/api/auth/login", null, new JsonObject().put("login", username).put("password", password))
        .status();
  }

  private void register(String username, String password) {
    Api.Response r = api.post("/api/auth/register", null, new JsonObject().put("username", username)
        .put("email", username + "@example.org").put("password", password));
    assertEquals(201, r.status(), r.body());
  }

  @Test
  void composedAndDecomposedFormsOfAPasswordAreTheSamePassword() {
    assertNotEquals(COMPOSED, DECOMPOSED);
    register("anna", DECOMPOSED);
    assertEquals(200, login("anna", COMPOSED));
    assertEquals(200, login("anna", DECOMPOSED));
    register("bert", COMPOSED);
    assertEquals(200, login("bert", DECOMPOSED));
    assertEquals(401, login("bert", "Muller-Strasse 1"), "normalizing does not fold letters together");
  }

  @Test
  void aHashMadeBeforeNormalizingStillMatchesThePasswordAsTyped() throws Exception {
    register("carl", "a placeholder password");
    TestParley.sql("UPDATE users SET password_hash = '"
        + Passwords.hashNow(DECOMPOSED, Passwords.Cost.WEAK) + "' WHERE username = 'carl'");
    assertEquals(200, login("carl", DECOMPOSED));
    assertEquals(401, login("carl", "a placeholder password"));
  }
}
