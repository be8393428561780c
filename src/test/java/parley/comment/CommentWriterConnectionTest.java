package parley.comment;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The writer's connection kept from one group to the next ({@code CommentWriter.keep}) never outlives its use: groups
 * answered at their deadline while their COMMIT was still on its way (the next group then starts on another
 * connection) commit after all, under a steady stream of comments, and every connection is back in the pool once the
 * stream stops. A review found the first version kept such a group's connection late and dropped it unclosed when the
 * next group's was kept over it: one pool connection lost for good at each such stall.
 */
@ExtendWith(TestParley.class)
class CommentWriterConnectionTest {

  private static final long HOLD = 4242;

  @Test
  void groupsThatCommitAfterTheirDeadlineGiveTheirConnectionsBack() throws Exception {
    Main.Running node = TestParley.startServer(Map.of(AppConfig.HTTP_INSTANCES, "1",
        AppConfig.DATABASE_TIMEOUT, "1s", AppConfig.DATABASE_DEADLINE, "3s", AppConfig.DATABASE_POOL_SIZE, "16"));
    Api api = new Api("http://localhost:" + node.port());
    ExecutorService writers = Executors.newFixedThreadPool(12);
    AtomicBoolean going = new AtomicBoolean(true);
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      Session alice = api.register("alice");
      long post = api.createPost(alice, "Stalled");
      List<Session> sessions = new ArrayList<>();
      for (int i = 0; i < 12; i++) sessions.add(api.register("writer" + i));
      // Every new comment's COMMIT waits for the lock this test holds (a trigger deferred to the commit).
      s.execute("CREATE FUNCTION test_commit_waits() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          + "PERFORM pg_advisory_xact_lock_shared(" + HOLD + "); RETURN NULL; END $$");
      s.execute("CREATE CONSTRAINT TRIGGER test_commit_waits AFTER INSERT ON comments DEFERRABLE INITIALLY DEFERRED "
          + "FOR EACH ROW EXECUTE FUNCTION test_commit_waits()");
      try {
        AtomicInteger written = new AtomicInteger();
        List<Future<?>> streams = new ArrayList<>();
        try (Connection hold = TestParley.db().getConnection(); Statement h = hold.createStatement()) {
          hold.setAutoCommit(false);
          h.execute("SELECT pg_advisory_xact_lock(" + HOLD + ")");
          for (Session as : sessions) {
            streams.add(writers.submit(() -> {
              while (going.get()) {
                if (api.post("/api/posts/" + post + "/comments", as, new JsonObject().put("body", "more")).status()
                    == 201) {
                  written.incrementAndGet();
                }
              }
            }));
          }
          // The first group's COMMIT held, answered at its deadline, and later groups started behind it (each
          // waiting for the thread rows it holds).
          TestParley.awaitUntil(() -> TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "wait_event_type = 'Lock' AND wait_event = 'advisory' AND query = 'COMMIT'") >= 1
              && TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
              + "AND query LIKE 'WITH m AS%'") >= 2, "a group's COMMIT held past its deadline, and groups after it");
          hold.commit();
        }
        // The held groups commit, late, while comments keep coming.
        TestParley.awaitUntil(() -> written.get() >= 100, "comments written again once the COMMITs go through");
        going.set(false);
        for (Future<?> stream : streams) stream.get(30, TimeUnit.SECONDS);
        TestParley.awaitUntil(() -> node.meters().find("vertx.pool.in.use").tag("pool_name", "parley-rest").gauge()
            .value() == 0, "every connection back in the pool");
        assertTrue(node.meters().find("parley_comment_group_connections_kept").counter().count() > 0,
            "groups were written on a kept connection");
      } finally {
        s.execute("DROP TRIGGER test_commit_waits ON comments");
        s.execute("DROP FUNCTION test_commit_waits()");
      }
    } finally {
      going.set(false);
      writers.shutdownNow();
      node.stop();
    }
  }
}
