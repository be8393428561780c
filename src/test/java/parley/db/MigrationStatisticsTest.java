package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import java.sql.ResultSet;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Tables without statistics (after pg_restore, a major PostgreSQL upgrade or a bulk load) get them before pending
 * migrations run: an upgrade review saw V39's recount planned blind run for over five minutes, and 2.7 s once the
 * tables were analysed. With nothing pending, nothing is analysed.
 */
@ExtendWith(TestParley.class)
class MigrationStatisticsTest {

  private static final String SCHEMA = "statistics_check";

  @Test
  void tablesWithoutStatisticsAreAnalysedOnlyWhenMigrationsArePending() throws Exception {
    MigrationSchema.check(SCHEMA, "38", s -> {
      s.execute("CREATE TABLE loaded AS SELECT g AS n FROM generate_series(1, 1000) g");
      assertEquals(0, statistics(s, "loaded"), "a table loaded in bulk has no statistics yet");

      Database.analyzeBeforeMigrating(MigrationSchema.flyway(SCHEMA, null));
      assertEquals(1, statistics(s, "loaded"), "analysed before V39 to V41 ran");

      MigrationSchema.flyway(SCHEMA, null).migrate();
      s.execute("CREATE TABLE loaded_later AS SELECT g AS n FROM generate_series(1, 1000) g");
      Database.analyzeBeforeMigrating(MigrationSchema.flyway(SCHEMA, null));
      assertEquals(0, statistics(s, "loaded_later"), "nothing pending, nothing analysed");
    });
  }

  private static long statistics(Statement s, String table) throws Exception {
    try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stats WHERE schemaname = '" + SCHEMA
        + "' AND tablename = '" + table + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
