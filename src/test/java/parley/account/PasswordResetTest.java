package parley.account;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user who cannot sign in gets back in through a one-time link an admin issues: stored only as a hash, used once,
 * for a day, ending every session of the account; every other way of using it is refused and changes nothing.
 */
@ExtendWith(TestParley.class)
class PasswordResetTest {

  private final Api api = Api.local();
  private Session boss;
  private Session alice;

  @BeforeEach
  void accounts() throws Exception {
    boss = api.registerWithRole("boss", "admin");
    alice = api.register("alice");
  }

  private JsonObject issue(String username) {
    Response r = api.post("/api/admin/users/" + username + "/password-reset", boss, null);
    assertEquals(201, r.status(), r.toString());
    return r.json();
  }

  private Response reset(String token, String password) {
    return api.post("/api/auth/reset", null, new JsonObject().put("token", token).put("newPassword", password));
  }

  private int signIn(String password) {
    return api.post("/api/auth/login", null, new JsonObject().put("login", "alice").put("password", password))
        .status();
  }

  /**
   * The reset page asks whose password its link sets before it is used: the username, while the link is good;
   * the same 400 on token as using it gives, once it is used, mistyped or expired; nothing changes either way.
   */
  @Test
  void aLinkSaysWhoseItIsUntilItIsUsed() throws Exception {
    String token = issue("alice").getString("token");
    for (int i = 0; i < 2; i++) {
      Response whose = api.post("/api/auth/reset/account", null, new JsonObject().put("token", token));
      assertEquals(200, whose.status(), whose.toString());
      assertEquals(new JsonObject().put("username", "alice"), whose.json(), "asking twice uses nothing up");
    }
    assertEquals(200, signIn("correct horse"), "asking changes nothing");
    assertEquals(200, reset(token, "a brand new password").status());
    for (String dead : List.of(token, "mistyped", "A".repeat(43))) {
      Response refused = api.post("/api/auth/reset/account", null, new JsonObject().put("token", dead));
      assertEquals(400, refused.status(), refused.toString());
      assertEquals(List.of("token"), refused.errorFields());
    }
    TestParley.sql("UPDATE password_resets SET expires_at = now() - interval '1 minute'");
    String expired = issue("alice").getString("token");
    TestParley.sql("UPDATE password_resets SET expires_at = now() - interval '1 minute'");
    assertEquals(400, api.post("/api/auth/reset/account", null, new JsonObject().put("token", expired)).status(),
        "an expired link names no one");
    for (JsonObject bad : List.of(new JsonObject(), new JsonObject().put("token", 7),
        new JsonObject().put("token", "t".repeat(201)), new JsonObject().put("token", expired).put("extra", 1))) {
      assertEquals(400, api.post("/api/auth/reset/account", null, bad).status(), bad.encode());
    }
  }

  @Test
  void anAdminsLinkSetsANewPasswordOnceAndEndsEverySession() throws Exception {
    JsonObject link = issue("ALICE");
    String token = link.getString("token");
    assertEquals("alice", link.getString("username"));
    assertEquals("/reset#token=" + token, link.getString("link"));
    assertTrue(token.matches("[A-Za-z0-9_-]{43}"), token);
    // Stored as its SHA-256 only; the audit log names the user and the expiry, never the link.
    String sha = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(1, TestParley.count("SELECT count(*) FROM password_resets WHERE encode(token_hash, 'hex') = '" + sha
        + "' AND expires_at BETWEEN now() + interval '23 hours' AND now() + interval '25 hours'"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.password_reset' "
        + "AND details->>'username' = 'alice' AND details::text NOT LIKE '%" + token + "%'"));

    Response done = reset(token, "a brand new password");
    assertEquals(200, done.status(), done.toString());
    assertEquals("alice", done.json().getJsonObject("user").getString("username"));
    String fresh = done.json().getString("token");
    assertEquals(401, api.get("/api/me", alice).status(), "the sessions from before end");
    assertEquals(200, api.get("/api/me", new Session(fresh, alice.id(), "alice")).status());
    assertEquals(200, signIn("a brand new password"));
    assertEquals(401, signIn("correct horse"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM password_resets"));

    // Once only.
    Response again = reset(token, "yet another password");
    assertEquals(400, again.status());
    assertEquals(List.of("token"), again.errorFields());
    assertEquals(200, signIn("a brand new password"));
  }

  @Test
  void whateverEndsTheAccountsSessionsEndsItsOutstandingLink() throws Exception {
    // The owner takes their account back by a new password: the link issued before can no longer take it.
    String before = issue("alice").getString("token");
    Response changed = api.put("/api/me/password", alice, new JsonObject().put("currentPassword", "correct horse")
        .put("newPassword", "taken back again"));
    assertEquals(200, changed.status(), changed.toString());
    assertEquals(400, reset(before, "hijacked password").status());
    assertEquals(200, signIn("taken back again"));
    // So does signing out everywhere, and a new password set any other way.
    Session now = new Session(changed.json().getString("token"), alice.id(), "alice");
    String second = issue("alice").getString("token");
    assertEquals(204, api.post("/api/auth/logout-all", now, null).status());
    assertEquals(400, reset(second, "hijacked password").status());
    String third = issue("alice").getString("token");
    Response login = api.post("/api/auth/login", null, new JsonObject().put("login", "alice")
        .put("password", "taken back again"));
    Session again = new Session(login.json().getString("token"), alice.id(), "alice");
    // (RealWorld's PUT /user sets a password too, given the current one.)
    assertEquals(200, api.put("/realworld/api/user", again, new JsonObject().put("user", new JsonObject()
        .put("password", "and once more").put("currentPassword", "taken back again"))).status());
    assertEquals(400, reset(third, "hijacked password").status());
    assertEquals(0, TestParley.count("SELECT count(*) FROM password_resets"));
    // A change that ends no session (a new bio) ends no link.
    String kept = issue("alice").getString("token");
    Response relogin = api.post("/api/auth/login", null, new JsonObject().put("login", "alice")
        .put("password", "and once more"));
    Session last = new Session(relogin.json().getString("token"), alice.id(), "alice");
    assertEquals(200, api.patch("/api/me", last, new JsonObject().put("bio", "back")).status());
    assertEquals(200, reset(kept, "a password from the link").status());
  }

  @Test
  void anExpiredMistypedOrReplacedLinkIsRefusedAndChangesNothing() throws Exception {
    String first = issue("alice").getString("token");
    String second = issue("alice").getString("token");
    assertEquals(1, TestParley.count("SELECT count(*) FROM password_resets"), "one link per user");
    for (String token : List.of(first, second.substring(1) + "A", "x")) {
      Response r = reset(token, "a brand new password");
      assertEquals(400, r.status(), token);
      assertEquals("application/problem+json", r.contentType());
      assertEquals(List.of("token"), r.errorFields());
    }
    TestParley.sql("UPDATE password_resets SET expires_at = now() - interval '1 second'");
    assertEquals(400, reset(second, "a brand new password").status(), "expired");
    assertEquals(200, signIn("correct horse"), "the password is the one from before");
    assertEquals(200, api.get("/api/me", alice).status(), "and the sessions too");
    // A new password too short is refused before the link is looked at, and the link stays usable.
    String third = issue("alice").getString("token");
    Response shortOne = reset(third, "short");
    assertEquals(400, shortOne.status());
    assertEquals(List.of("newPassword"), shortOne.errorFields());
    assertEquals(200, reset(third, "long enough now").status());
  }

  @Test
  void onlyAdminsIssueLinksAndNotForThemselvesNorForNobody() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    assertEquals(403, api.post("/api/admin/users/alice/password-reset", mod, null).status());
    assertEquals(403, api.post("/api/admin/users/bob/password-reset", alice, null).status());
    assertEquals(401, api.post("/api/admin/users/alice/password-reset", null, null).status());
    assertEquals(400, api.post("/api/admin/users/boss/password-reset", boss, null).status());
    assertEquals(404, api.post("/api/admin/users/nobody/password-reset", boss, null).status());
    Response withBody = api.post("/api/admin/users/alice/password-reset", boss, new JsonObject().put("days", 2));
    assertEquals(400, withBody.status(), "the route takes no fields");
    assertEquals(0, TestParley.count("SELECT count(*) FROM password_resets"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM mod_log"));
    assertFalse(api.get("/api/mod/log", mod).body().contains("password_reset"));
  }

  @Test
  void theWorstInputToBothRoutesIsAClearRefusalAndChangesNothing() throws Exception {
    String token = issue("alice").getString("token");
    String bearer = "Bearer " + boss.token();
    // The reset: wrong types, NUL, huge numbers, broken JSON, a body that is not an object, unknown fields.
    String[] bodies = {
        "{\"token\": 42, \"newPassword\": \"long enough\"}",
        "{\"token\": \"" + token + "\", \"newPassword\": 123456789012345678901234567890}",
        "{\"token\": null, \"newPassword\": null}",
        "{\"token\": \"" + token + "\\u0000\", \"newPassword\": \"long enough\"}",
        "{\"token\": \"" + token + "\", \"newPassword\": \"long\\u0000enough\"}",
        "{\"token\": [\"" + token + "\"], \"newPassword\": \"long enough\"}",
        "{\"token\": \"" + token + "\", \"newPassword\": \"long enough\", \"username\": \"boss\"}",
        "{\"token\": \"" + token + "\"",
        "[\"" + token + "\"]",
        ""};
    for (String body : bodies) {
      Response r = api.raw("POST", "/api/auth/reset", null, body, "application/json");
      assertEquals(400, r.status(), body + " -> " + r);
      assertEquals("application/problem+json", r.contentType(), body);
    }
    // The admin's route: broken escapes, NUL and absurd names in the path, a body it does not take.
    int port = TestParley.server().running().port();
    for (String path : List.of("/api/admin/users/%00/password-reset", "/api/admin/users/%zz/password-reset",
        "/api/admin/users/" + "a".repeat(5_000) + "/password-reset", "/api/admin/users/%E2%80%AE/password-reset")) {
      parley.RawHttp.Reply r = parley.RawHttp.send(port, "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
          + "Authorization: " + bearer + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      assertTrue(r.status() >= 400 && r.status() < 500, path + " -> " + r.status() + " " + r.body());
      assertTrue(r.headers().getOrDefault("content-type", "").startsWith("application/problem+json"), path + " "
          + r.headers());
    }
    assertEquals(415, api.raw("POST", "/api/admin/users/alice/password-reset", bearer, "x", "text/plain").status());
    // Nothing was used, replaced or issued: the first link still works, once.
    assertEquals(1, TestParley.count("SELECT count(*) FROM password_resets"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log"));
    assertEquals(200, signIn("correct horse"));
    assertEquals(200, reset(token, "a brand new password").status());
  }
}
