package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * V40 counts the report queue's targets of an existing database, each status's, and keeps counting as reports change
 * (checked in a schema of its own at V39, dropped afterwards).
 */
@ExtendWith(TestParley.class)
class ReportQueueCountsMigrationTest {

  private static final String SCHEMA = "v40_migration_check";

  /** Each status's targets: counted from the reports, and kept. */
  private static Map<String, String> totals(Statement s) throws Exception {
    Map<String, String> totals = new TreeMap<>();
    try (ResultSet rs = s.executeQuery("SELECT st, "
        + "(SELECT count(*) FROM (SELECT DISTINCT target_type, target_id FROM reports WHERE status = st) g) || '/' || "
        + "(SELECT COALESCE(sum(targets), 0) FROM report_queue_counts WHERE status = st) "
        + "FROM unnest(ARRAY['open', 'dismissed', 'actioned']) st")) {
      while (rs.next()) totals.put(rs.getString(1), rs.getString(2));
    }
    return totals;
  }

  @Test
  void theExistingReportsAreCountedAndKeptCounted() throws Exception {
    MigrationSchema.check(SCHEMA, "39", s -> {
      s.execute("INSERT INTO users (username, email, email_key, password_hash) VALUES ('alice', 'alice@example.org', "
          + "'alice@example.org', 'x'), ('bob', 'bob@example.org', 'bob@example.org', 'x')");
      // Post 1: two open reports; post 2: one open, one dismissed; post 3: two dismissed; comment 1: one actioned.
      s.execute("INSERT INTO reports (reporter_id, target_type, target_id, reason, status) "
          + "SELECT u.id, v.type, v.target, 'spam', v.status FROM (VALUES "
          + "('alice', 'post', 1, 'open'), ('bob', 'post', 1, 'open'), ('alice', 'post', 2, 'open'), "
          + "('bob', 'post', 2, 'dismissed'), ('alice', 'post', 3, 'dismissed'), ('bob', 'post', 3, 'dismissed'), "
          + "('alice', 'comment', 1, 'actioned')) v (who, type, target, status) JOIN users u ON u.username = v.who");

      MigrationSchema.flyway(SCHEMA, null).migrate();

      assertEquals(Map.of("open", "2/2", "dismissed", "2/2", "actioned", "1/1"), totals(s), "after the migration");
      s.execute("UPDATE reports SET status = 'dismissed' WHERE target_type = 'post' AND target_id = 1");
      assertEquals(Map.of("open", "1/1", "dismissed", "3/3", "actioned", "1/1"), totals(s), "post 1 dismissed");
      s.execute("DELETE FROM reports WHERE target_type = 'comment'");
      assertEquals(Map.of("open", "1/1", "dismissed", "3/3", "actioned", "0/0"), totals(s), "a report deleted");
      s.execute("SELECT report_queue_compact()");
      assertEquals(Map.of("open", "1/1", "dismissed", "3/3", "actioned", "0/0"), totals(s), "compacted");
      s.execute("SELECT report_queue_recount()");
      assertEquals(Map.of("open", "1/1", "dismissed", "3/3", "actioned", "0/0"), totals(s), "counted again");
    });
  }
}
