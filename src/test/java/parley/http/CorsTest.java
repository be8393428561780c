package parley.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CORS on the REST API: the test server lists http://allowed.example in PARLEY_ALLOWED_ORIGINS, so pages there may
 * call the API from a browser; pages anywhere else get no CORS header, and requests without an Origin (clients that
 * are not browsers) and Parley's own pages go on as before.
 */
@ExtendWith(TestParley.class)
class CorsTest {

  private static final String LISTED = "http://allowed.example";
  private static final String UNLISTED = "http://elsewhere.example";
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Api api = Api.local();

  private static Response send(String method, String path, Map<String, String> headers, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(TestParley.baseUrl() + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    HttpResponse<String> r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body(), r.headers());
  }

  private static Response preflight(String origin, String method, String headers) throws Exception {
    return send("OPTIONS", "/api/posts", Map.of("Origin", origin, "Access-Control-Request-Method", method,
        "Access-Control-Request-Headers", headers), null);
  }

  private static List<String> listed(Response r, String header) {
    String value = r.header(header);
    return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::strip).toList();
  }

  private static void assertNoCorsHeaders(Response r) {
    List<String> cors = r.headers().map().keySet().stream()
        .filter(name -> name.toLowerCase().startsWith("access-control-")).toList();
    assertTrue(cors.isEmpty(), "CORS headers " + cors + " on " + r);
  }

  @Test
  void aPreflightFromAListedOriginAllowsTheApisMethodsAndHeaders() throws Exception {
    Response r = preflight(LISTED, "PATCH", "authorization, content-type, idempotency-key");
    assertEquals(204, r.status(), r.toString());
    assertEquals(LISTED, r.header("Access-Control-Allow-Origin"));
    assertTrue(listed(r, "Access-Control-Allow-Methods").containsAll(List.of("GET", "POST", "PUT", "PATCH", "DELETE")),
        r.toString());
    assertTrue(listed(r, "Access-Control-Allow-Headers").containsAll(
        List.of("Authorization", "Content-Type", "Idempotency-Key")), r.toString());
    assertEquals("600", r.header("Access-Control-Max-Age"));
    assertNull(r.header("Access-Control-Allow-Credentials"), "tokens are bearer, never cookies");
  }

  @Test
  void aListedOriginsWriteIsAnsweredWithItsOriginAndTheHeadersItMayRead() throws Exception {
    Session alice = api.register("alice");
    Response r = send("POST", "/api/posts", Map.of("Origin", LISTED, "Authorization", "Bearer " + alice.token(),
        "Content-Type", "application/json"), new JsonObject().put("title", "From afar").put("body", "Hello").encode());
    assertEquals(201, r.status(), r.toString());
    assertEquals(LISTED, r.header("Access-Control-Allow-Origin"));
    assertTrue(listed(r, "Access-Control-Expose-Headers").containsAll(
        List.of("Location", "Retry-After", "X-Request-Id", "Idempotent-Replayed")), r.toString());
    assertNull(r.header("Access-Control-Allow-Credentials"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE title = 'From afar'"));
  }

  @Test
  void aListedOriginsPageCanReadTheApisRefusals() throws Exception {
    Response unauthorized = send("GET", "/api/me", Map.of("Origin", LISTED), null);
    assertEquals(401, unauthorized.status(), unauthorized.toString());
    assertEquals(LISTED, unauthorized.header("Access-Control-Allow-Origin"));
    Response missing = send("GET", "/api/no-such-thing", Map.of("Origin", LISTED), null);
    assertEquals(404, missing.status(), missing.toString());
    assertEquals(LISTED, missing.header("Access-Control-Allow-Origin"));
  }

  @Test
  void aPreflightFromAnUnlistedOriginIs403WithoutCorsHeaders() throws Exception {
    Response r = preflight(UNLISTED, "POST", "authorization, content-type");
    assertEquals(403, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertNoCorsHeaders(r);
  }

  @Test
  void anUnlistedOriginsRequestIsServedWithoutCorsHeaders() throws Exception {
    api.createPost(api.register("alice"), "Public");
    Response r = send("GET", "/api/posts", Map.of("Origin", UNLISTED), null);
    assertEquals(200, r.status(), r.toString());
    assertNoCorsHeaders(r);
  }

  @Test
  void aRequestWithoutOriginIsServedWithoutCorsHeaders() throws Exception {
    Response r = send("GET", "/api/posts", Map.of(), null);
    assertEquals(200, r.status(), r.toString());
    assertNoCorsHeaders(r);
  }

  @Test
  void parleysOwnPagesWritesAreServedAsBefore() throws Exception {
    Session alice = api.register("alice");
    Response r = send("POST", "/api/posts", Map.of("Origin", TestParley.baseUrl(),
        "Authorization", "Bearer " + alice.token(), "Content-Type", "application/json"),
        new JsonObject().put("title", "At home").put("body", "Hello").encode());
    assertEquals(201, r.status(), r.toString());
    assertNoCorsHeaders(r);
  }

  @Test
  void pagesOutsideTheApiGetNoCorsHeaders() throws Exception {
    Response r = send("GET", "/", Map.of("Origin", LISTED), null);
    assertEquals(200, r.status(), r.toString());
    assertNoCorsHeaders(r);
  }

  @Test
  void originsNoBrowserSendsAreRefusedAtStart() {
    for (String origin : List.of("*", "null", "allowed.example", "https://allowed.example/",
        "https://allowed.example:443", "ftp://allowed.example", "https://allowed.example/path")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Cors(List.of(origin)), origin);
      assertTrue(e.getMessage().contains("PARLEY_ALLOWED_ORIGINS"), e.getMessage());
      // With the settings, before the database starts (it was refused only once the HTTP verticles deployed).
      IllegalArgumentException early = assertThrows(IllegalArgumentException.class, () -> parley.config.AppConfig.from(
          Map.of(parley.config.AppConfig.ALLOWED_ORIGINS, origin)), origin);
      assertTrue(early.getMessage().contains("PARLEY_ALLOWED_ORIGINS"), early.getMessage());
    }
    new Cors(List.of("https://app.example.org", "http://localhost:5173", "http://[::1]:3000"));
  }
}
