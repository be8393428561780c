package parley.db;

import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every session of the server's pools runs with the settings each new connection sets first
 * (Database.SESSION_SETTINGS): without PostgreSQL's JIT, which is on by default (the embedded server says "on" too,
 * though it has no JIT to use) and compiled most searches at a million comments on a PostgreSQL built with it; and
 * with warnings and errors only sent back (its notices were logged at WARN, one per over-long word).
 */
@ExtendWith(TestParley.class)
class SessionSettingsTest {

  @Test
  void everyPoolsSessionsRunWithoutJitAndWithoutNotices() throws Exception {
    Database db = TestParley.server().running().database();
    for (Pool pool : List.of(db.pool().unbounded(), db.background(), db.livePool().unbounded())) {
      // Four at once, each holding its connection a moment, so that several connections are asked, not one again.
      List<String> answers = new java.util.ArrayList<>();
      List<io.vertx.core.Future<String>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        all.add(pool.withConnection(c -> c.query("SELECT current_setting('jit') || ' ' || "
                + "current_setting('client_min_messages'), pg_sleep(0.05)").execute())
            .map(rows -> rows.iterator().next().getString(0)));
      }
      for (var answer : all) answers.add(answer.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertEquals(java.util.Collections.nCopies(4, "off warning"), answers);
    }
    try (var c = TestParley.db().getConnection(); var s = c.createStatement();
        var rs = s.executeQuery("SHOW jit")) {
      rs.next();
      assertEquals("on", rs.getString(1), "PostgreSQL's own default, which the setting is there to change");
    }
  }
}
