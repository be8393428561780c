package parley.db;

import ch.qos.logback.classic.Level;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.CapturedLog;
import parley.Main;
import parley.TestParley;
import parley.comment.CommentWriter;
import parley.config.AppConfig;
import parley.http.ProblemHandler;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A PostgreSQL that refuses for its own state, not the request's, is "try again shortly" (503 problem+json with
 * Retry-After and what it said), never a 500 with a stack trace at ERROR: a server that accepts no writes (what a
 * node reaches after a failover that left it on the old primary, now a standby) and a lock timeout an operator set.
 * Each is made here as it happens to a node in production: on the database, behind the node's back, its
 * connections ended so that new ones take the setting (a failover ends them too).
 */
@ExtendWith(TestParley.class)
class DatabaseStatesTest {

  /** A login of its own, so the settings made on it reach this test's server and no other. */
  private static final String ROLE = "states_probe";
  private Main.Running server;
  private Api api;
  private Api.Session alice;
  private long post;

  @BeforeEach
  void serverOnItsOwnLogin() throws Exception {
    TestParley.sql("DROP ROLE IF EXISTS " + ROLE);
    TestParley.sql("CREATE ROLE " + ROLE + " LOGIN SUPERUSER PASSWORD 'probe'");
    Api setup = Api.local();
    alice = setup.register("alice");
    post = setup.createPost(alice, "A thread during a failover");
    String port = TestParley.environment().get(AppConfig.DATABASE_URL).replaceAll(".*@localhost:(\\d+)/.*", "$1");
    server = TestParley.startServer(Map.of(AppConfig.DATABASE_URL,
        "postgresql://" + ROLE + ":probe@localhost:" + port + "/postgres?application_name=states-probe",
        AppConfig.HTTP_INSTANCES, "1"));
    api = new Api("http://127.0.0.1:" + server.port());
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.stop();
    endSessions();
    TestParley.sql("DROP ROLE IF EXISTS " + ROLE);
  }

  @Test
  void aServerThatAcceptsNoWritesIs503ForWritesReadsGoOnAndWritesComeBackWithIt() throws Exception {
    assertEquals(201, comment("before", "k-0").status());
    try (CapturedLog writer = new CapturedLog(CommentWriter.class);
         CapturedLog handler = new CapturedLog(ProblemHandler.class)) {
      TestParley.sql("ALTER ROLE " + ROLE + " SET default_transaction_read_only = on");
      endSessions();
      // The pool finds its connections gone (a 503 of their own), then opens read-only ones.
      Api.Response refused = awaitAnswer("accepts no writes", "k-1");
      assertProblem503(refused);
      // A group of comments at once: each refused as a lone one is, none written one by one behind the group.
      List<CompletableFuture<Api.Response>> burst = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String key = "burst-" + i;
        burst.add(CompletableFuture.supplyAsync(() -> comment("during", key)));
      }
      for (CompletableFuture<Api.Response> answer : burst) {
        Api.Response response = answer.get(30, TimeUnit.SECONDS);
        assertProblem503(response);
        assertTrue(response.json().getString("detail").contains("accepts no writes"), response.body());
      }
      Api.Response page = api.get("/api/posts/" + post + "/comments", alice);
      assertEquals(200, page.status(), "reads go on: " + page.body());
      assertEquals(1, page.items().size(), page.body());
      assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
      assertEquals(0, TestParley.count("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'burst-%'"),
          "no key kept by a refused write");
      assertFalse(writer.messages().stream().anyMatch(m -> m.contains("one by one")), writer.messages().toString());
      assertFalse(handler.levels().contains(Level.ERROR), handler.messages().toString());

      TestParley.sql("ALTER ROLE " + ROLE + " RESET default_transaction_read_only");
      endSessions();
      // The same request again, with its key: written once.
      Api.Response written = awaitStatus(201, "k-1");
      assertEquals(written.json().getLong("id"), comment("during", "k-1").json().getLong("id"));
      assertEquals(2, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
    }
  }

  @Test
  void aLockTimeoutAnOperatorSetIs503AndWritesNothing() throws Exception {
    TestParley.sql("ALTER ROLE " + ROLE + " SET lock_timeout = '200ms'");
    endSessions();
    try (CapturedLog handler = new CapturedLog(ProblemHandler.class);
         Connection c = TestParley.db().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement lock = c.prepareStatement("SELECT id FROM posts WHERE id = ? FOR UPDATE")) {
        lock.setLong(1, post);
        lock.executeQuery().close();
      }
      Api.Response refused = awaitAnswer("could not take a lock in time", "held");
      assertProblem503(refused);
      c.rollback();
      assertFalse(handler.levels().contains(Level.ERROR), handler.messages().toString());
    }
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
    assertEquals(201, comment("during", "held").status(), "the same request again, with its key");
  }

  /**
   * A session the server ends under a connection Parley holds (an administrator, a failover) is the request's 503
   * and the log's business: the SQL client printed it to standard error, stack trace and all, outside the log, for
   * every connection held (a probe: lines with no time or level that broke a JSON log).
   */
  @Test
  void aSessionEndedUnderAHeldConnectionIsNotPrintedOutsideTheLog() throws Exception {
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    try (Connection c = TestParley.db().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement lock = c.prepareStatement("SELECT id FROM posts WHERE id = ? FOR UPDATE")) {
        lock.setLong(1, post);
        lock.executeQuery().close();
      }
      // The comment's transaction holds its connection, waiting for the post's row.
      CompletableFuture<Api.Response> held = CompletableFuture.supplyAsync(() -> comment("held", "ended"));
      TestParley.awaitUntil(() -> TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + ROLE
          + "' AND wait_event_type = 'Lock'") == 1, "the comment waiting for the row");
      System.setErr(new java.io.PrintStream(printed, true));
      endSessions();
      Api.Response answer = held.get(30, TimeUnit.SECONDS);
      assertProblem503(answer);
      c.rollback();
    } finally {
      System.setErr(err);
    }
    assertFalse(printed.toString().contains("PgException"), printed.toString());
    assertEquals(201, comment("held", "ended").status(), "the same request again, with its key");
  }

  private Api.Response comment(String body, String key) {
    return api.rawWithKey("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", body).encode(), key);
  }

  /** Posts until the answer's detail says {@code what}; every answer before it a 503 (connections found gone). */
  private Api.Response awaitAnswer(String what, String key) throws Exception {
    Api.Response[] last = new Api.Response[1];
    TestParley.awaitUntil(() -> {
      last[0] = comment("during", key);
      assertEquals(503, last[0].status(), last[0].body());
      return last[0].json().getString("detail", "").contains(what);
    }, "a 503 saying: " + what);
    return last[0];
  }

  private Api.Response awaitStatus(int status, String key) throws Exception {
    Api.Response[] last = new Api.Response[1];
    TestParley.awaitUntil(() -> {
      last[0] = comment("during", key);
      if (last[0].status() != status) assertEquals(503, last[0].status(), last[0].body());
      return last[0].status() == status;
    }, "a " + status);
    return last[0];
  }

  private static void assertProblem503(Api.Response response) {
    assertEquals(503, response.status(), response.body());
    assertEquals("application/problem+json", response.contentType());
    assertTrue(response.header("Retry-After") != null, "Retry-After");
  }

  /** Ends the server's connections, as a failover or a DBA does; its pool opens new ones, with the role's settings. */
  private static void endSessions() throws Exception {
    TestParley.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + ROLE + "'");
  }
}
