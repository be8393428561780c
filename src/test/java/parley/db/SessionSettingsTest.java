package parley.db;

import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every session of the server's pools runs with the settings Parley sends when it connects: without PostgreSQL's
 * JIT, which is on by default (the embedded server says "on" too, though it has no JIT to use), and which compiled
 * every search at a million comments on a PostgreSQL built with it.
 */
@ExtendWith(TestParley.class)
class SessionSettingsTest {

  @Test
  void everyPoolsSessionsRunWithoutJit() throws Exception {
    Database db = TestParley.server().running().database();
    for (Pool pool : List.of(db.pool().unbounded(), db.background(), db.livePool().unbounded())) {
      // As many at once as the pool holds, so that every one of its connections is asked, not the first one again.
      List<String> answers = new java.util.ArrayList<>();
      List<io.vertx.core.Future<String>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        all.add(pool.withConnection(c -> c.query("SELECT current_setting('jit'), pg_sleep(0.05)").execute())
            .map(rows -> rows.iterator().next().getString(0)));
      }
      for (var answer : all) answers.add(answer.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertEquals(List.of("off", "off", "off", "off"), answers);
    }
    try (var c = TestParley.db().getConnection(); var s = c.createStatement();
        var rs = s.executeQuery("SHOW jit")) {
      rs.next();
      assertEquals("on", rs.getString(1), "PostgreSQL's own default, which the setting is there to change");
    }
  }
}
