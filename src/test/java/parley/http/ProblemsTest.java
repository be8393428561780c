package parley.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.TestParley;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every refusal is RFC 9457 problem+json with the right status, and none leaks internals. */
@ExtendWith(TestParley.class)
class ProblemsTest {

  private final Api api = Api.local();

  private static void assertProblem(Response r, int status) {
    assertEquals(status, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    JsonObject p = r.json();
    assertEquals(status, p.getInteger("status"));
    assertNotNull(p.getString("type"));
    assertNotNull(p.getString("title"));
    assertNotNull(p.getString("detail"));
    assertFalse(r.body().contains("Exception"), "no stack trace: " + r.body());
    assertFalse(r.body().toLowerCase().contains("select "), "no SQL: " + r.body());
  }

  @Test
  void malformedJsonIs400() throws Exception {
    Api.Session alice = api.register("alice");
    Response r = api.raw("POST", "/api/posts", "Bearer " + alice.token(), "{\"title\": ", "application/json");
    assertProblem(r, 400);
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void aJsonBodyThatIsNotAnObjectIs400() {
    Api.Session alice = api.register("alice");
    assertProblem(api.raw("POST", "/api/posts", "Bearer " + alice.token(), "[1,2]", "application/json"), 400);
    assertProblem(api.raw("POST", "/api/posts", "Bearer " + alice.token(), "\"text\"", "application/json"), 400);
    assertProblem(api.raw("POST", "/api/posts", "Bearer " + alice.token(), "null", "application/json"), 400);
  }

  @Test
  void anEmptyBodyWhereOneIsNeededIs400() {
    Api.Session alice = api.register("alice");
    assertProblem(api.raw("POST", "/api/posts", "Bearer " + alice.token(), null, null), 400);
  }

  @Test
  void aBodyThatIsNotJsonIs415() throws Exception {
    Api.Session alice = api.register("alice");
    Response r = api.raw("POST", "/api/posts", "Bearer " + alice.token(), "title=x&body=y",
        "application/x-www-form-urlencoded");
    assertProblem(r, 415);
    assertProblem(api.raw("POST", "/api/auth/register", null, "{}", "text/plain"), 415);
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void jsonWithACharsetIsAccepted() {
    Api.Session alice = api.register("alice");
    Response r = api.raw("POST", "/api/posts", "Bearer " + alice.token(),
        new JsonObject().put("title", "t").put("body", "b").encode(), "application/json; charset=utf-8");
    assertEquals(201, r.status(), r.toString());
  }

  @Test
  void aBodyOver64KiBIs413() throws Exception {
    Api.Session alice = api.register("alice");
    String body = new JsonObject().put("title", "big").put("body", "x".repeat(70_000)).encode();
    assertProblem(api.raw("POST", "/api/posts", "Bearer " + alice.token(), body, "application/json"), 413);
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void unknownApiPathsAre404() {
    assertProblem(api.get("/api/nothing-here"), 404);
    assertProblem(api.get("/api/posts/abc"), 404);
    assertProblem(api.get("/api/posts/-1"), 404);
    assertProblem(api.get("/api/posts/99999999999999999999"), 404);
  }

  @Test
  void aWrongMethodIs405() {
    assertProblem(api.raw("PUT", "/api/posts", null, null, null), 405);
  }

  @Test
  void aNulCharacterIsAValidationErrorNotA500() throws Exception {
    Api.Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, new JsonObject().put("title", "a\u0000b").put("body", "ok"));
    assertProblem(r, 400);
    assertEquals(java.util.List.of("title"), r.errorFields());
  }

  @Test
  void validationProblemsListEveryBadField() {
    Api.Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, new JsonObject().put("title", "").put("body", 5)
        .put("sources", new io.vertx.core.json.JsonArray().add("ftp://x").add(3)));
    assertProblem(r, 400);
    assertEquals(java.util.List.of("title", "body", "sources[1]", "sources[0]"), r.errorFields());
    assertTrue(r.json().getString("type").endsWith("/validation"));
  }

  @Test
  void securityHeadersAreOnEveryResponse() {
    Response r = api.get("/api/posts");
    assertEquals("nosniff", r.header("x-content-type-options"));
    assertTrue(r.header("content-security-policy").contains("frame-ancestors 'none'"));
    Response problem = api.get("/api/nope");
    assertEquals("nosniff", problem.header("x-content-type-options"));
  }
}
