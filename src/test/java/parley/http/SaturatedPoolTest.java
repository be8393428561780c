package parley.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A saturated pool is "try again shortly", never a 500: a request that waited PARLEY_DB_TIMEOUT for a connection
 * (the SQL client fails it with a bare "Timeout") gets 503 with Retry-After, and the write that held the connection
 * still completes.
 */
@ExtendWith(TestParley.class)
class SaturatedPoolTest {

  @Test
  void aRequestThatCannotGetAConnectionInTimeGets503AndTheWriteAheadOfItCompletes() throws Exception {
    Api setup = Api.local();
    Api.Session alice = setup.register("alice");
    long post = setup.createPost(alice, "Busy thread");
    Main.Running server = TestParley.startServer(Map.of(AppConfig.DATABASE_POOL_SIZE, "1",
        AppConfig.DATABASE_TIMEOUT, "1s", AppConfig.DATABASE_DEADLINE, "60s", AppConfig.HTTP_INSTANCES, "1"));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = "http://127.0.0.1:" + server.port();
    try (Connection c = TestParley.db().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement lock = c.prepareStatement("SELECT id FROM posts WHERE id = ? FOR UPDATE")) {
        lock.setLong(1, post);
        lock.executeQuery().close();
      }
      // The comment takes the pool's only connection and waits for the post's row.
      CompletableFuture<HttpResponse<String>> comment = http.sendAsync(HttpRequest.newBuilder(
              URI.create(base + "/api/posts/" + post + "/comments"))
          .header("Authorization", "Bearer " + alice.token()).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("body", "Held up").encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      awaitLockWait();
      // The next write finds no connection within PARLEY_DB_TIMEOUT, and nothing of it is stored.
      HttpResponse<String> busy = http.send(HttpRequest.newBuilder(
              URI.create(base + "/api/posts/" + post + "/comments"))
          .header("Authorization", "Bearer " + alice.token()).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("body", "Turned away").encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, busy.statusCode(), busy.body());
      assertEquals("application/problem+json", busy.headers().firstValue("Content-Type").orElse(""));
      assertNotNull(busy.headers().firstValue("Retry-After").orElse(null));
      // Busy is not away: the node stays ready for its load balancer (the live pool answers its check).
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), "a node whose REST pool is saturated is still ready: " + ready.body());
      c.commit();
      HttpResponse<String> done = comment.get(30, TimeUnit.SECONDS);
      assertEquals(201, done.statusCode(), done.body());
      assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post),
          "the held-up comment, and not the one turned away");
    } finally {
      server.stop();
    }
  }

  @Test
  void thePoolsOwnTimeoutCountsAsTheDatabaseBeingBusy() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      io.vertx.sqlclient.Pool pool = io.vertx.pgclient.PgBuilder.pool()
          .connectingTo(TestParley.environment().get(AppConfig.DATABASE_URL))
          .with(new io.vertx.sqlclient.PoolOptions().setMaxSize(1).setConnectionTimeout(200)
              .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
          .using(vertx).build();
      io.vertx.sqlclient.SqlConnection held = pool.getConnection().await(10, TimeUnit.SECONDS);
      Throwable timeout = pool.getConnection().map(c -> (Throwable) null).otherwise(e -> e)
          .await(10, TimeUnit.SECONDS);
      assertNotNull(timeout, "the pool's only connection is held");
      assertTrue(ProblemHandler.databaseUnavailable(timeout), timeout.getClass() + ": " + timeout.getMessage());
      // Reported as the pool's saturation, not as the database unavailable (an overload review was misled by that).
      try (parley.CapturedLog said = new parley.CapturedLog(ProblemHandler.class)) {
        ProblemHandler.forgetLastOutageReport();
        ProblemHandler.logOutage(timeout);
        assertTrue(said.messages().stream().anyMatch(m -> m.startsWith("Database pool saturated")),
            said.messages()::toString);
      }
      held.close().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Until a session of the server waits for a row lock (polled in the database: nothing to await otherwise). */
  private static void awaitLockWait() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Connection c = TestParley.db().getConnection(); ResultSet rs = c.createStatement().executeQuery(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) {
        rs.next();
        if (rs.getLong(1) > 0) return;
      }
      Thread.sleep(5);
    }
    assertTrue(false, "the comment never waited for the post's row");
  }
}
