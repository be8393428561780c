package parley.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import parley.Api;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access log and request ids: one line per request with the facts an operator needs and none of the secrets
 * (tokens, passwords, bodies, query strings); an id on every response, passed on only from a trusted proxy.
 */
@ExtendWith(TestParley.class)
class AccessLogTest {

  /** A server that trusts 127.0.0.1 as its proxy, so a request id it sends is kept. */
  @RegisterExtension
  static final OwnServer BEHIND_PROXY = new OwnServer(Map.of(AppConfig.TRUSTED_PROXIES, "127.0.0.1"));

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Api api = Api.local();
  private final BlockingQueue<ILoggingEvent> lines = new LinkedBlockingQueue<>();
  private final Logger access = (Logger) LoggerFactory.getLogger("parley.access");
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      lines.add(event);
    }
  };
  private Level before;

  @BeforeEach
  void listen() {
    before = access.getLevel();
    access.setLevel(Level.INFO);
    appender.start();
    access.addAppender(appender);
  }

  @AfterEach
  void stopListening() {
    access.detachAppender(appender);
    access.setLevel(before);
  }

  /** The access line of the request with this id (lines are written when a response ends, maybe just after). */
  private ILoggingEvent lineFor(String requestId) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      ILoggingEvent event = lines.poll(100, TimeUnit.MILLISECONDS);
      if (event != null && event.getFormattedMessage().contains("id=" + requestId)) return event;
    }
    throw new AssertionError("no access line for request " + requestId);
  }

  private static HttpResponse<String> send(String baseUrl, String method, String path, Map<String, String> headers,
      String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyResponseCarriesARequestIdAndItsLineSaysWhatHappened() throws Exception {
    Api.Session alice = api.register("alice");
    HttpResponse<String> response = send(api.baseUrl(), "GET", "/api/me", Map.of("Authorization",
        "Bearer " + alice.token()), null);
    assertEquals(200, response.statusCode());
    String id = response.headers().firstValue(AccessLog.HEADER).orElse(null);
    assertNotNull(id, "X-Request-Id on the response");
    assertTrue(id.matches("[0-9a-f]{16}"), id);

    ILoggingEvent line = lineFor(id);
    String text = line.getFormattedMessage();
    assertTrue(text.startsWith("GET /api/me 200 "), text);
    assertTrue(text.contains("user=" + alice.id()), text);
    assertTrue(text.contains("client=127.0.0.1"), text);
    assertFalse(text.contains(alice.token()), "never the token: " + text);
    assertEquals(Level.INFO, line.getLevel());
    // The same facts as key-value pairs, which the JSON format writes as fields.
    Map<String, Object> fields = new java.util.HashMap<>();
    line.getKeyValuePairs().forEach(kv -> fields.put(kv.key, kv.value));
    assertEquals(id, fields.get("requestId"));
    assertEquals("GET", fields.get("method"));
    assertEquals("/api/me", fields.get("path"));
    assertEquals(200, fields.get("status"));
    assertEquals(alice.id(), fields.get("user"));
  }

  @Test
  void aRequestAnsweredThroughARerouteIsLoggedOnceAsTheClientSentIt() throws Exception {
    // HEAD is answered as GET, and a page's address by its file, through a reroute that runs the router's handlers
    // again: each such request was logged twice, the second time as GET or the file, under an id of its own.
    HttpResponse<String> head = send(api.baseUrl(), "HEAD", "/api/posts", Map.of(), null);
    assertEquals(200, head.statusCode());
    HttpResponse<String> page = send(api.baseUrl(), "GET", "/login", Map.of(), null);
    assertEquals(200, page.statusCode());
    assertEquals(1, head.headers().allValues("Vary").stream().filter(v -> v.contains("Accept-Encoding")).count(),
        head.headers().map() + " / " + page.headers().map());
    HttpResponse<String> made = send(api.baseUrl(), "M" + "X".repeat(3000), "/api/posts", Map.of(), null);
    assertEquals(405, made.statusCode());
    // A sentinel on the same client: every line before its own has been written when it is.
    String sentinel = send(api.baseUrl(), "GET", "/health/live", Map.of(), null).headers()
        .firstValue(AccessLog.HEADER).orElseThrow();
    java.util.List<String> seen = new java.util.ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (seen.stream().noneMatch(l -> l.contains("id=" + sentinel)) && System.nanoTime() < deadline) {
      ILoggingEvent event = lines.poll(100, TimeUnit.MILLISECONDS);
      if (event != null) seen.add(event.getFormattedMessage());
    }
    String headId = head.headers().firstValue(AccessLog.HEADER).orElseThrow();
    String pageId = page.headers().firstValue(AccessLog.HEADER).orElseThrow();
    assertEquals(java.util.List.of("HEAD /api/posts 200"), seen.stream().filter(l -> l.contains("/api/posts 200"))
        .map(l -> l.substring(0, l.indexOf(" 200") + 4)).toList(), seen.toString());
    assertTrue(seen.stream().anyMatch(l -> l.startsWith("HEAD /api/posts 200 ") && l.contains("id=" + headId)));
    assertEquals(1, seen.stream().filter(l -> l.contains("/login")).count(), seen.toString());
    assertTrue(seen.stream().anyMatch(l -> l.startsWith("GET /login 200 ") && l.contains("id=" + pageId)));
    // A made-up method is cut in the line, as a long path is.
    String madeLine = seen.stream().filter(l -> l.startsWith("MXX")).findFirst().orElseThrow(() ->
        new AssertionError(seen.toString()));
    assertTrue(madeLine.startsWith("M" + "X".repeat(23) + "... /api/posts 405 "), madeLine);
  }

  @Test
  void aRequestWhoseBodyHttpCannotReadIsLoggedWithoutAStatusItNeverHad() throws Exception {
    // The 400 is written below Vert.x (UnreadableBody), which sees its connection closed with the response's status
    // still at 200: the line said "200 0B" for a request answered 400.
    int port = URI.create(api.baseUrl()).getPort();
    parley.RawHttp.Reply reply = parley.RawHttp.send(port, "POST /api/markdown/preview HTTP/1.1\r\nHost: localhost\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\ne\r\n{\"body\":\"hi\"}\r\n0\r\n\r\n");
    assertEquals(400, reply.status(), reply.toString());
    assertEquals("nosniff", reply.header("x-content-type-options"), reply.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String line = null;
    while (line == null && System.nanoTime() < deadline) {
      ILoggingEvent event = lines.poll(100, TimeUnit.MILLISECONDS);
      if (event != null && event.getFormattedMessage().startsWith("POST /api/markdown/preview ")) {
        line = event.getFormattedMessage();
      }
    }
    assertNotNull(line, "an access line for the request");
    assertTrue(line.startsWith("POST /api/markdown/preview - 0B "), line);
    assertTrue(line.endsWith(" cut-off"), line);
  }

  @Test
  void noPasswordBodyTokenOrQueryStringEverReachesTheLog() throws Exception {
    api.register("bob");
    String password = "correct horse";
    HttpResponse<String> login = send(api.baseUrl(), "POST", "/api/auth/login",
        Map.of("Content-Type", "application/json"),
        new JsonObject().put("login", "bob").put("password", password).encode());
    assertEquals(200, login.statusCode(), login.body());
    String token = new JsonObject(login.body()).getString("token");
    String loginLine = lineFor(login.headers().firstValue(AccessLog.HEADER).orElseThrow()).getFormattedMessage();
    assertTrue(loginLine.startsWith("POST /api/auth/login 200 "), loginLine);
    assertFalse(loginLine.contains(password), loginLine);
    assertFalse(loginLine.contains(token), loginLine);

    HttpResponse<String> wrong = send(api.baseUrl(), "POST", "/api/auth/login",
        Map.of("Content-Type", "application/json"),
        new JsonObject().put("login", "bob").put("password", "Tr0ub4dor&3").encode());
    assertEquals(401, wrong.statusCode());
    String wrongLine = lineFor(wrong.headers().firstValue(AccessLog.HEADER).orElseThrow()).getFormattedMessage();
    assertTrue(wrongLine.startsWith("POST /api/auth/login 401 "), wrongLine);
    assertFalse(wrongLine.contains("Tr0ub4dor"), wrongLine);

    HttpResponse<String> query = send(api.baseUrl(), "GET", "/api/posts?access_token=" + token + "&limit=5",
        Map.of(), null);
    String queryLine = lineFor(query.headers().firstValue(AccessLog.HEADER).orElseThrow()).getFormattedMessage();
    assertTrue(queryLine.startsWith("GET /api/posts " + query.statusCode() + " "), queryLine);
    assertFalse(queryLine.contains(token), "the query string is left out: " + queryLine);
  }

  @Test
  void aRequestIdIsTakenFromATrustedProxyOnly() throws Exception {
    // From a client the server does not trust: its id is replaced (it could be anything, or forged).
    HttpResponse<String> direct = send(api.baseUrl(), "GET", "/health/live", Map.of(AccessLog.HEADER, "lb-42"), null);
    String replaced = direct.headers().firstValue(AccessLog.HEADER).orElseThrow();
    assertNotEquals("lb-42", replaced);
    lineFor(replaced);

    String proxied = "http://localhost:" + BEHIND_PROXY.port();
    HttpResponse<String> kept = send(proxied, "GET", "/health/live", Map.of(AccessLog.HEADER, "lb-42"), null);
    assertEquals("lb-42", kept.headers().firstValue(AccessLog.HEADER).orElseThrow(), "a trusted proxy's id is kept");
    lineFor("lb-42");

    // Even a trusted proxy's id must be a sane token: spaces, quotes or 200 characters are replaced.
    for (String bad : new String[] {"two words", "a\"quote", "x".repeat(200)}) {
      HttpResponse<String> response = send(proxied, "GET", "/health/live", Map.of(AccessLog.HEADER, bad), null);
      String id = response.headers().firstValue(AccessLog.HEADER).orElseThrow();
      assertTrue(id.matches("[0-9a-f]{16}"), "replaced: " + id);
    }
  }

  @Test
  void aPathCannotForgeOrBreakALogLine() {
    assertEquals("/a\\x0ab", AccessLog.printable("/a\nb"));
    assertEquals("/x\\x0d\\x0a2026-01-01\\x20INFO\\x20fake", AccessLog.printable("/x\r\n2026-01-01 INFO fake"));
    assertEquals("/\\x5c\\x00\\x7f\\xe9", AccessLog.printable("/\\\u0000\u007f\u00e9"));
    String longPath = "/" + "a".repeat(2000);
    assertTrue(AccessLog.printable(longPath).length() <= 520, "cut to a sane length");
  }
}
