package parley.live;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;
import parley.TestTokens;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every way a token can be wrong, refused on all three doors: REST (a write, and GET /api/me where the account
 * exists), a bridge registration (on the user's own topic and on a public thread), and an SSE stream.
 */
@ExtendWith(TestParley.class)
class TokenMatrixTest {

  private final Api api = Api.local();
  private Session alice;
  private Session mod;
  private long post;

  /** One way a token is wrong; {@link #token} makes it for the test's user. */
  enum Bad {
    ALG_NONE, ALG_CONFUSION, WRONG_KEY, WRONG_SIGNATURE, TAMPERED_PAYLOAD, EXPIRED, NOT_YET_VALID, TEXT_EXP,
    FRACTIONAL_EXP, CRIT, FOREIGN_AUD, NO_AUD, FOREIGN_TYP, FOREIGN_ISS, NO_VERSION, DELETED_USER, BANNED_USER,
    BEFORE_LOGOUT_ALL, BEFORE_PASSWORD_CHANGE
  }

  @BeforeEach
  void setUp() throws Exception {
    alice = api.register("alice");
    mod = api.registerWithRole("mod", "moderator");
    post = api.createPost(mod, "A thread");
  }

  private String token(Bad bad) throws Exception {
    JsonObject claims = TestTokens.claims(alice.id());
    JsonObject header = TestTokens.HEADER.copy();
    String key = TestParley.JWT_SECRET;
    switch (bad) {
      case ALG_NONE -> {
        return TestTokens.b64(header.put("alg", "none").encode()) + "." + TestTokens.b64(claims.encode()) + ".";
      }
      case ALG_CONFUSION -> header.put("alg", "RS256");
      case WRONG_KEY -> key = "another-secret-that-is-long-enough-for-hs256-xxxxxxxx";
      case WRONG_SIGNATURE -> {
        String valid = TestTokens.hs256(claims.encode());
        char last = valid.charAt(valid.length() - 2);
        return valid.substring(0, valid.length() - 2) + (last == 'A' ? 'B' : 'A') + valid.charAt(valid.length() - 1);
      }
      case TAMPERED_PAYLOAD -> {
        String valid = TestTokens.hs256(claims.encode());
        String[] parts = valid.split("\\.");
        return parts[0] + "." + TestTokens.b64(claims.copy().put("sub", Long.toString(mod.id())).encode()) + "."
            + parts[2];
      }
      case EXPIRED -> claims.put("exp", TestTokens.now() - 10);
      case NOT_YET_VALID -> claims.put("nbf", TestTokens.now() + 3600);
      case TEXT_EXP -> claims.put("exp", Long.toString(TestTokens.now() + 3600));
      case FRACTIONAL_EXP -> claims.put("exp", TestTokens.now() + 3600.5);
      case CRIT -> header.put("crit", new JsonArray().add("exp"));
      case FOREIGN_AUD -> claims.put("aud", "someone-else");
      case NO_AUD -> claims.remove("aud");
      case FOREIGN_TYP -> header.put("typ", "at+jwt");
      case FOREIGN_ISS -> claims.put("iss", "elsewhere");
      case NO_VERSION -> claims.remove("ver");
      case DELETED_USER -> TestParley.sql("DELETE FROM users WHERE id = " + alice.id());
      case BANNED_USER -> assertEquals(204, api.post("/api/mod/users/alice/ban", mod,
          new JsonObject().put("reason", "spam")).status());
      case BEFORE_LOGOUT_ALL -> {
        assertEquals(204, api.post("/api/auth/logout-all", alice, null).status());
        return alice.token();
      }
      case BEFORE_PASSWORD_CHANGE -> {
        assertEquals(200, api.put("/api/me/password", alice, new JsonObject()
            .put("currentPassword", "correct horse").put("newPassword", "battery staple")).status());
        return alice.token();
      }
    }
    return TestTokens.sign(header.encode(), claims.encode(), key);
  }

  @ParameterizedTest
  @EnumSource(Bad.class)
  void aBadTokenIsRefusedOnRestTheBridgeAndSse(Bad bad) throws Exception {
    assertEquals(200, api.get("/api/me", alice).status(), "control: the user's real token works");
    String token = token(bad);
    String authorization = "Bearer " + token;
    boolean banned = bad == Bad.BANNED_USER;

    // REST: a write is refused (401, or 403 for a banned account), and so is every read with a token that is not good.
    Response write = api.raw("POST", "/api/posts/" + post + "/comments", authorization,
        new JsonObject().put("body", "hello").encode(), "application/json");
    assertEquals(banned ? 403 : 401, write.status(), bad + ": " + write);
    assertEquals("application/problem+json", write.contentType());
    if (!banned) assertEquals(401, api.raw("GET", "/api/me", authorization, null, null).status(), bad.toString());
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments"), "nothing was written");

    // The bridge: neither the user's own topic nor a public thread can be followed with it.
    try (LiveClient socket = LiveClient.connect()) {
      for (String topic : new String[] {"parley.user." + alice.id(), "parley.post." + post}) {
        socket.register(topic, token, null);
        JsonObject refused = socket.next();
        assertEquals("err", refused.getString("type"), bad + " on " + topic + ": " + refused.encode());
      }
    }

    // SSE: the stream is not opened.
    int sse = SseClient.status(api.baseUrl() + "/api/posts/" + post + "/events", authorization);
    assertEquals(banned ? 403 : 401, sse, bad.toString());
  }

  @ParameterizedTest
  @EnumSource(value = Bad.class, names = {"EXPIRED", "TEXT_EXP", "CRIT", "FOREIGN_AUD"})
  void aRefusedTokenIsA401ProblemNeverA500(Bad bad) throws Exception {
    Response r = api.raw("GET", "/api/me", "Bearer " + token(bad), null, null);
    assertEquals(401, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertTrue(r.header("WWW-Authenticate").startsWith("Bearer"));
  }

  @org.junit.jupiter.api.Test
  void garbageInEveryPartOfATokenIsA401() {
    String b64 = Base64.getUrlEncoder().withoutPadding().encodeToString("\u0000\uFFFF{".getBytes(StandardCharsets.UTF_8));
    for (String garbage : new String[] {"a.b.c", b64 + "." + b64 + "." + b64, "..", "x".repeat(5000), "a.b",
        TestTokens.b64("[]") + "." + TestTokens.b64("[]") + ".sig"}) {
      Response r = api.raw("GET", "/api/me", "Bearer " + garbage, null, null);
      assertEquals(401, r.status(), garbage + ": " + r);
    }
  }
}
