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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Retries with an Idempotency-Key: the first answer comes back and nothing new is created, whether the retry comes
 * after the first request or at the same moment; a key reused for another request is refused.
 */
@ExtendWith(TestParley.class)
class IdempotencyTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Api api = Api.local();

  private static Response send(String path, Session as, JsonObject body, String key) throws Exception {
    return send(TestParley.baseUrl(), path, as, body, key);
  }

  private static Response send(String base, String path, Session as, JsonObject body, String key) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + as.token())
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (key != null) request.header("Idempotency-Key", key);
    HttpResponse<String> r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body(), r.headers());
  }

  @Test
  void aRetriedCommentGetsTheFirstAnswerAndCreatesNothing() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    JsonObject body = new JsonObject().put("body", "said once");
    Response first = send("/api/posts/" + post + "/comments", alice, body, "retry-1");
    Response again = send("/api/posts/" + post + "/comments", alice, body, "retry-1");
    assertEquals(201, first.status(), first.toString());
    assertEquals(201, again.status(), again.toString());
    assertEquals(first.json(), again.json());
    assertEquals(first.header("Location"), again.header("Location"));
    assertNull(first.header("Idempotent-Replayed"));
    assertEquals("true", again.header("Idempotent-Replayed"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM events WHERE type = 'comment.created' AND topic LIKE 'parley.post.%'"),
        "one comment, so one event");
  }

  @Test
  void aRetryPastTheRateLimitStillGetsItsAnswerAndANewRequestDoesNot() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    parley.Main.Running tight = TestParley.startServer(java.util.Map.of(parley.config.AppConfig.HTTP_INSTANCES, "1",
        parley.config.AppConfig.LIMIT_COMMENTS_NEW, "2/1m", parley.config.AppConfig.LIMIT_COMMENTS, "2/1m"));
    try {
      String base = "http://localhost:" + tight.port();
      String path = "/api/posts/" + post + "/comments";
      Response first = send(base, path, alice, new JsonObject().put("body", "first"), "limit-1");
      assertEquals(201, send(base, path, alice, new JsonObject().put("body", "second"), "limit-2").status());
      Response refused = send(base, path, alice, new JsonObject().put("body", "third"), "limit-3");
      assertEquals(429, refused.status(), refused.toString());
      // The first request's retry arrives with the limit spent: it committed, so it gets its answer.
      Response retry = send(base, path, alice, new JsonObject().put("body", "first"), "limit-1");
      assertEquals(201, retry.status(), retry.toString());
      assertEquals(first.json(), retry.json());
      assertEquals("true", retry.header("Idempotent-Replayed"));
      // The refused one never committed: its retry is refused again, and nothing was stored for its key.
      assertEquals(429, send(base, path, alice, new JsonObject().put("body", "third"), "limit-3").status());
      assertEquals(2, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
      assertEquals(0, TestParley.count("SELECT count(*) FROM idempotency_keys WHERE key = 'limit-3'"));
    } finally {
      tight.stop();
    }
  }

  @Test
  void twinsOfARequestStillBeingWrittenGetItsAnswerEvenPastTheRateLimit() throws Exception {
    // A client that sends one request several times at once, with one key, past its rate limit: the twins the limit
    // refused used to look the answer up before the first had committed, and got 429 (a probe: 9 of 12).
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    parley.Main.Running tight = TestParley.startServer(java.util.Map.of(parley.config.AppConfig.HTTP_INSTANCES, "1",
        parley.config.AppConfig.LIMIT_COMMENTS_NEW, "2/1m", parley.config.AppConfig.LIMIT_COMMENTS, "2/1m"));
    int twins = 5;
    ExecutorService pool = Executors.newFixedThreadPool(twins + 1);
    try (java.sql.Connection c = TestParley.db().getConnection(); java.sql.Statement s = c.createStatement()) {
      String base = "http://localhost:" + tight.port();
      String path = "/api/posts/" + post + "/comments";
      JsonObject body = new JsonObject().put("body", "sent six times at once");
      // The first request is held in its transaction (its key claimed, its thread's row awaited) by the test's lock.
      c.setAutoCommit(false);
      s.execute("SELECT id FROM posts WHERE id = " + post + " FOR NO KEY UPDATE");
      int waitingBefore = lockWaits();
      List<CompletableFuture<Response>> sent = new ArrayList<>();
      sent.add(CompletableFuture.supplyAsync(() -> sendUnchecked(base, path, alice, body), pool));
      TestParley.awaitUntil(() -> lockWaits() > waitingBefore, "the first request waits for its thread's row");
      for (int i = 0; i < twins; i++) {
        sent.add(CompletableFuture.supplyAsync(() -> sendUnchecked(base, path, alice, body), pool));
      }
      // One twin is admitted (the limit's second comment) and waits for the writer; the others are refused by the
      // limit, and then wait for the first request (or, as before, came back at once with a 429).
      TestParley.awaitUntil(() -> refusals(tight) >= twins - 1, "the limit refused the twins past it");
      c.commit();
      JsonObject answer = null;
      for (CompletableFuture<Response> f : sent) {
        Response r = f.get(30, TimeUnit.SECONDS);
        assertEquals(201, r.status(), r.toString());
        if (answer == null) answer = r.json();
        assertEquals(answer, r.json(), "every twin gets the first's comment");
      }
      assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
    } finally {
      pool.shutdownNow();
      tight.stop();
    }
  }

  private static Response sendUnchecked(String base, String path, Session as, JsonObject body) {
    try {
      return send(base, path, as, body, "twins");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Requests a rate limit of this server refused, so far. */
  private static double refusals(parley.Main.Running server) {
    return server.meters().find("parley_rate_limit_refusals").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }

  /** Sessions of the database waiting for a lock (a row's, or another transaction's key). */
  private static int lockWaits() throws Exception {
    return (int) TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
  }



  @Test
  void theSameKeySentConcurrentlyCreatesOneComment() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    JsonObject body = new JsonObject().put("body", "said once, sent eight times");
    int senders = 8;
    ExecutorService pool = Executors.newFixedThreadPool(senders);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<Response>> sent = new ArrayList<>();
      for (int i = 0; i < senders; i++) {
        sent.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
            return send("/api/posts/" + post + "/comments", alice, body, "same-moment");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, pool));
      }
      go.countDown();
      JsonObject answer = null;
      for (CompletableFuture<Response> f : sent) {
        Response r = f.get(30, TimeUnit.SECONDS);
        assertEquals(201, r.status(), r.toString());
        if (answer == null) answer = r.json();
        assertEquals(answer, r.json(), "every sender gets the same comment");
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM idempotency_keys"));
    assertEquals(1, TestParley.count("SELECT comment_count FROM post_activity"));
  }

  @Test
  void aKeyReusedForAnotherRequestIs422AndCreatesNothing() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    assertEquals(201, send("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "one"), "k").status());
    Response other = send("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "two"), "k");
    assertEquals(422, other.status(), other.toString());
    assertEquals("application/problem+json", other.contentType());
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments"));
    Response elsewhere = send("/api/posts", alice, new JsonObject().put("title", "t").put("body", "b"), "k");
    assertEquals(422, elsewhere.status(), "the same key on another route is another request: " + elsewhere);
  }

  /**
   * A client that serializes its retry anew (another key order, other whitespace, the same string escaped another
   * way) is retrying: it gets the first answer. A value that differs, however slightly, is another request.
   */
  @Test
  void aRetryWrittenOutDifferentlyIsTheSameRequest() throws Exception {
    Session alice = api.register("alice");
    String first = "{\"title\":\"Same\",\"body\":\"b\u00e9\",\"tags\":[\"x\",\"y\"]}";
    String rewritten = "{ \"body\" : \"b\\u00e9\",\n  \"tags\": [ \"x\", \"y\" ],\"title\": \"Same\" }";
    Response one = api.rawWithKey("/api/posts", alice, first, "re-1");
    Response again = api.rawWithKey("/api/posts", alice, rewritten, "re-1");
    assertEquals(201, one.status(), one.toString());
    assertEquals(201, again.status(), again.toString());
    assertEquals("true", again.header("Idempotent-Replayed"));
    assertEquals(one.json().getLong("id"), again.json().getLong("id"));
    Response reordered = api.rawWithKey("/api/posts", alice,
        "{\"title\":\"Same\",\"body\":\"b\u00e9\",\"tags\":[\"y\",\"x\"]}", "re-1");
    assertEquals(422, reordered.status(), "an array's order is part of what was asked: " + reordered);
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts"));
  }

  /** The same route spelled another way (an escaped digit, a dot segment, a trailing slash) is the same request. */
  @Test
  void aRetryToTheSameRouteSpelledAnotherWayIsReplayed() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    String body = new JsonObject().put("body", "once").encode();
    Response first = api.rawWithKey("/api/posts/" + post + "/comments", alice, body, "spelled-1");
    assertEquals(201, first.status(), first.toString());
    String escaped = "/api/posts/" + String.valueOf(post).chars()
        .mapToObj(c -> String.format("%%%02X", c)).collect(java.util.stream.Collectors.joining()) + "/comments";
    for (String path : List.of(escaped, "/api/posts/./" + post + "/comments", "/api/posts/" + post + "/comments/")) {
      Response again = api.rawWithKey(path, alice, body, "spelled-1");
      assertEquals(201, again.status(), path + ": " + again);
      assertEquals("true", again.header("Idempotent-Replayed"), path);
      assertEquals(first.json().getLong("id"), again.json().getLong("id"), path);
    }
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments"));
  }

  /** A key stored before bodies were compared as JSON holds the digest of the bytes: a retry of them still matches. */
  @Test
  void aKeyStoredFromTheBodysBytesStillFindsItsRetry() throws Exception {
    Session alice = api.register("alice");
    String body = "{\"title\": \"Before the upgrade\", \"body\": \"b\"}";
    Response first = api.rawWithKey("/api/posts", alice, body, "old-1");
    assertEquals(201, first.status(), first.toString());
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
    sha.update("POST /api/posts\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    sha.update(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    TestParley.sql("UPDATE idempotency_keys SET request_hash = '" + java.util.HexFormat.of().formatHex(sha.digest())
        + "' WHERE key = 'old-1'");
    Response again = api.rawWithKey("/api/posts", alice, body, "old-1");
    assertEquals(201, again.status(), again.toString());
    assertEquals("true", again.header("Idempotent-Replayed"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void keysBelongToTheirAccount() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    JsonObject body = new JsonObject().put("body", "same words");
    Response a = send("/api/posts/" + post + "/comments", alice, body, "shared-key");
    Response b = send("/api/posts/" + post + "/comments", bob, body, "shared-key");
    assertEquals(201, a.status());
    assertEquals(201, b.status());
    assertNull(b.header("Idempotent-Replayed"), "bob's request is his own");
    assertEquals(2, TestParley.count("SELECT count(*) FROM comments"));
  }

  @Test
  void postsAndReportsAreIdempotentToo() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    JsonObject newPost = new JsonObject().put("title", "Once").put("body", "only once");
    Response p1 = send("/api/posts", alice, newPost, "post-key");
    Response p2 = send("/api/posts", alice, newPost, "post-key");
    assertEquals(p1.json(), p2.json());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts"));

    JsonObject report = new JsonObject().put("targetType", "post").put("targetId", p1.json().getLong("id"))
        .put("reason", "spam");
    Response r1 = send("/api/reports", bob, report, "report-key");
    Response r2 = send("/api/reports", bob, report, "report-key");
    assertEquals(201, r1.status(), r1.toString());
    assertEquals(201, r2.status(), "a retried report is not a duplicate report (409): " + r2);
    assertEquals(r1.json(), r2.json());
    assertEquals(1, TestParley.count("SELECT count(*) FROM reports"));
  }

  @Test
  void aRefusedRequestLeavesNoKeySoItsRetryIsTriedAgain() throws Exception {
    Session alice = api.register("alice");
    Response refused = send("/api/posts/999/comments", alice, new JsonObject().put("body", "hi"), "k404");
    assertEquals(404, refused.status());
    assertEquals(0, TestParley.count("SELECT count(*) FROM idempotency_keys"));
    long post = api.createPost(alice, "Thread");
    // The same key works for a real request later (the refused one did not claim it).
    Response ok = send("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "hi"), "k404");
    assertEquals(201, ok.status(), ok.toString());
  }

  @Test
  void aMalformedKeyIs400() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    for (String bad : new String[] {"", "x".repeat(256), "has space", "tab\tin"}) {
      Response r = send("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "hi"), bad);
      assertEquals(400, r.status(), "[" + bad + "] " + r);
      assertNotNull(r.json().getJsonArray("errors"));
    }
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments"));
  }
}
