package parley.db;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A PostgreSQL that stops answering mid-request (frozen, partitioned away: its connections stay open and silent) is
 * an outage for the requests in flight too: they are answered 503 at PARLEY_DB_DEADLINE instead of hanging for as
 * long as the database does, a write whose COMMIT was not sent by then is rolled back whenever the database answers
 * again, and one whose COMMIT was sent is answered that it may have been saved, which a retry with its key settles.
 *
 * <p>Each request here would hang past the test client's 20 s timeout without the deadline: the proxy holds the
 * answers back until the test has its responses.
 */
@ExtendWith(TestParley.class)
class DatabaseDeadlineTest {

  private static final String APP_NAME = "parley-deadline-test";

  private static FreezingProxy proxy;
  private static Main.Running server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    URI database = URI.create(TestParley.environment().get(AppConfig.DATABASE_URL));
    proxy = new FreezingProxy(database.getPort());
    Map<String, String> settings = new HashMap<>();
    settings.put(AppConfig.DATABASE_URL, "postgresql://postgres:postgres@127.0.0.1:" + proxy.port()
        + "/postgres?application_name=" + APP_NAME);
    settings.put(AppConfig.DATABASE_TIMEOUT, "1s");
    settings.put(AppConfig.DATABASE_DEADLINE, "2s");
    settings.put(AppConfig.SEARCH_TIMEOUT, "1s");
    settings.put(AppConfig.HTTP_INSTANCES, "1");
    server = TestParley.startServer(settings);
    api = new Api("http://127.0.0.1:" + server.port());
  }

  /** What {@code work} gets with every answer of PostgreSQL held back; the answers flow again after it. */
  private static <T> T whileFrozen(java.util.concurrent.Callable<T> work) throws Exception {
    proxy.freeze();
    return thawedAfter(work);
  }

  /** {@code work}'s result, the proxy thawed after it whatever happened. */
  private static <T> T thawedAfter(java.util.concurrent.Callable<T> work) throws Exception {
    try {
      return work.call();
    } finally {
      proxy.thaw();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.stop();
    if (proxy != null) proxy.close();
  }

  @Test
  void requestsInFlightWhenTheDatabaseStopsAnsweringGet503AndAnUnsentCommitSavesNothing() throws Exception {
    Api.Session alice = api.register("deadline_alice");
    long post = api.createPost(alice, "Written into a freeze");
    String body = new JsonObject().put("body", "said while the database was frozen").encode();
    String path = "/api/posts/" + post + "/comments";

    Api.Response[] answered = whileFrozen(() -> new Api.Response[] {
        api.rawWithKey(path, alice, body, "frozen-1"), api.get("/api/me/notifications", alice)});
    Api.Response write = answered[0];
    Api.Response read = answered[1];
    for (Api.Response r : new Api.Response[] {write, read}) {
      assertEquals(503, r.status(), r.toString());
      assertEquals("application/problem+json", r.contentType());
      assertNotNull(r.header("Retry-After"), r.toString());
      assertFalse(r.json().getString("detail").contains("may have been saved"), r.toString());
    }

    // The write's statements ran, unanswered, holding its key: the retry waits for that transaction, which rolled
    // back once the answers came, and is not a replay of it.
    Api.Response retry = api.rawWithKey(path, alice, body, "frozen-1");
    assertEquals(201, retry.status(), retry.toString());
    assertNull(retry.header("Idempotent-Replayed"), "the frozen write must not have committed: " + retry);
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
    // And the node is itself again.
    assertEquals(200, api.get("/api/me/notifications", alice).status());
  }

  /**
   * A member's download asked for while the database is frozen is a 503 problem at the deadline, not a hang or a cut
   * connection, and gives its slot back: once the database answers, more downloads than the node writes at once
   * each get their whole file.
   */
  @Test
  void anExportWhileTheDatabaseIsFrozenIs503AndGivesItsSlotBack() throws Exception {
    Api.Session dana = api.register("deadline_dana");
    api.createPost(dana, "Kept through a freeze");
    for (int i = 0; i < 3; i++) {
      Api.Response frozen = whileFrozen(() -> api.get("/api/me/export", dana));
      assertEquals(503, frozen.status(), frozen.toString());
      assertEquals("application/problem+json", frozen.contentType());
    }
    for (int i = 0; i < 3; i++) {
      Api.Response after = api.get("/api/me/export", dana);
      assertEquals(200, after.status(), after.toString());
      assertEquals("Kept through a freeze", new JsonObject(after.body()).getJsonArray("posts").getJsonObject(0)
          .getString("title"));
    }
  }

  @Test
  void aWriteWhoseCommitWentOutBeforeTheDeadlineIsToldItMayHaveBeenSavedAndItsRetrySaysItWas() throws Exception {
    Api.Session bob = api.register("deadline_bob");
    long post = api.createPost(bob, "Committed, unconfirmed");
    String body = new JsonObject().put("body", "marker-7f3a: committed but never confirmed").encode();
    String path = "/api/posts/" + post + "/comments";

    proxy.freezeRepliesAfter("marker-7f3a");
    Api.Response write = thawedAfter(() -> api.rawWithKey(path, bob, body, "unconfirmed-1"));
    assertEquals(503, write.status(), write.toString());
    assertTrue(write.json().getString("detail").contains("may have been saved"), write.toString());

    Api.Response retry = api.rawWithKey(path, bob, body, "unconfirmed-1");
    assertEquals(201, retry.status(), retry.toString());
    assertEquals("true", retry.header("Idempotent-Replayed"), retry.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
  }

  /**
   * A write whose connection is lost after its COMMIT went out (a proxy or a failover cutting it) may have been
   * saved, and is told so: it was answered "unavailable" before, and a client that resent it without a key (as
   * API.md allows for a write that changed nothing) wrote it twice (a probe, 2026-12-05).
   */
  @Test
  void aWriteWhoseConnectionIsLostAfterItsCommitWentOutIsToldItMayHaveBeenSaved() throws Exception {
    Api.Session carol = api.register("deadline_carol");
    long post = api.createPost(carol, "Committed, then cut");
    String path = "/api/posts/" + post + "/comments";
    String body = new JsonObject().put("body", "marker-9c1e: committed, then the connection went").encode();

    proxy.cutAfter("marker-9c1e");
    Api.Response write = thawedAfter(() -> api.rawWithKey(path, carol, body, "cut-1"));
    assertEquals(503, write.status(), write.toString());
    assertTrue(write.json().getString("detail").contains("may have been saved"), write.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post), "it was saved");

    Api.Response retry = api.rawWithKey(path, carol, body, "cut-1");
    assertEquals(201, retry.status(), retry.toString());
    assertEquals("true", retry.header("Idempotent-Replayed"), retry.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
  }

  /**
   * A write made through a transaction of the pool's own (a webhook's registration: an admin's, with no
   * Idempotency-Key) is rolled back, not committed, when its deadline passed first: bounded from outside, Vert.x's
   * transaction committed after the 503, and the admin's retry registered the endpoint twice (a reviewer, 2026-12-03).
   */
  @Test
  void aPoolTransactionPastItsDeadlineRollsBackAndItsRetryWritesOnce() throws Exception {
    Api.Session boss = api.registerWithRole("deadline_boss", "admin");
    JsonObject hook = new JsonObject().put("url", "https://93.184.216.34/frozen-hook")
        .put("events", new io.vertx.core.json.JsonArray().add("post.created"));
    // Read once, so the account is in the node's cache: the freeze then meets the webhook's own transaction.
    assertEquals(200, api.get("/api/admin/webhooks", boss).status());
    Api.Response during = whileFrozen(() -> api.post("/api/admin/webhooks", boss, hook));
    assertEquals(503, during.status(), during.toString());
    assertFalse(during.json().getString("detail").contains("may have been saved"), during.toString());
    Api.Response retry = api.post("/api/admin/webhooks", boss, hook);
    assertEquals(201, retry.status(), retry.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM webhooks WHERE url = 'https://93.184.216.34/frozen-hook'"),
        "the frozen registration rolled back; the retry is the only one");
  }

  /**
   * A live registration that the database cannot check in time is told to come back (4003), not refused: a
   * "rejected" reply means "you may not", and it came ahead of the close (a probe, 2026-12-03).
   */
  @Test
  void aRegistrationTheDatabaseCannotCheckIsToldToComeBackAndNotRejected() throws Exception {
    Api.Session carol = api.register("deadline_carol");
    long post = api.createPost(carol, "Followed through a freeze");
    java.util.List<String> replies = new java.util.ArrayList<>();
    int code = whileFrozen(() -> {
      try (parley.live.RawSocket socket = new parley.live.RawSocket(server.port(), "/eventbus/websocket", 0)) {
        assertEquals(101, socket.status());
        socket.sendText(new JsonObject().put("type", "register").put("address", "parley.post." + post).encode());
        int closed = socket.drainUntilClose();
        replies.addAll(socket.messages);
        return closed;
      }
    });
    assertEquals(4003, code, replies.toString());
    assertEquals(java.util.List.of(), replies, "nothing but the close");
  }

  @Test
  void theDeadlineIsTwiceThePoolsWaitUnlessSetAndMustBeLongerThanIt() {
    assertEquals(java.time.Duration.ofSeconds(10), AppConfig.from(Map.of()).databaseDeadline());
    assertEquals(java.time.Duration.ofSeconds(6),
        AppConfig.from(Map.of(AppConfig.DATABASE_TIMEOUT, "3s")).databaseDeadline());
    assertEquals(java.time.Duration.ofSeconds(30),
        AppConfig.from(Map.of(AppConfig.DATABASE_DEADLINE, "30s")).databaseDeadline());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(AppConfig.DATABASE_TIMEOUT, "5s", AppConfig.DATABASE_DEADLINE, "5s")));
    assertTrue(e.getMessage().contains(AppConfig.DATABASE_DEADLINE), e.getMessage());
    assertEquals(java.time.Duration.ofSeconds(23), AppConfig.from(Map.of(AppConfig.SEARCH_TIMEOUT, "20s"))
        .databaseDeadline(), "a few seconds more than a search may take");
    IllegalArgumentException search = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(AppConfig.SEARCH_TIMEOUT, "10s", AppConfig.DATABASE_DEADLINE, "10s")));
    assertTrue(search.getMessage().contains(AppConfig.SEARCH_TIMEOUT), search.getMessage());
  }

  /**
   * A comment that waited behind a stuck group keeps the deadline of its request, not a new one from when its own
   * group began (it was answered up to PARLEY_DB_TIMEOUT past the deadline; a probe, 2026-12-03): a watch started
   * for a request that began 31 s ago, with a 30 s deadline, has expired already.
   */
  @Test
  void aWatchCountsItsDeadlineFromWhenItsRequestBeganToWait() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      BoundedPool pool = new BoundedPool(vertx, null, java.time.Duration.ofSeconds(30));
      BoundedPool.Watch<String> watch = pool.watch(System.nanoTime() - java.time.Duration.ofSeconds(31).toNanos());
      Throwable failed = watch.answer(io.vertx.core.Promise.<String>promise().future())
          .map(never -> (Throwable) null).otherwise(e -> e).await(10, java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(failed instanceof DatabaseDeadline, String.valueOf(failed));
      assertFalse(watch.mayCommit(), "past its deadline nothing may commit");
    } finally {
      vertx.close().await(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
