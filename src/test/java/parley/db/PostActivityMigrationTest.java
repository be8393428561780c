package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import java.sql.ResultSet;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * V15 moves each post's comment count and activity time into post_activity: a database with posts at V14 keeps them
 * (checked in a schema of its own, dropped afterwards, so the suite's tables are untouched).
 */
@ExtendWith(TestParley.class)
class PostActivityMigrationTest {

  private static final String SCHEMA = "v15_migration_check";


  private static String rows(Statement s, String query) throws Exception {
    StringBuilder out = new StringBuilder();
    try (ResultSet rs = s.executeQuery(query)) {
      while (rs.next()) out.append(rs.getLong(1)).append(',').append(rs.getInt(2)).append(',').append(rs.getString(3))
          .append(';');
    }
    return out.toString();
  }

  @Test
  void existingPostsKeepTheirCountAndActivityAndNewPostsGetTheirRow() throws Exception {
    MigrationSchema.check(SCHEMA, "14", s -> {
      s.execute("SET TimeZone TO 'UTC'");
      s.execute("INSERT INTO users (username, email, password_hash) VALUES ('alice', 'alice@example.org', 'x')");
      s.execute("INSERT INTO posts (author_id, title, body, body_html, excerpt, comment_count, last_activity_at) "
          + "SELECT id, 'busy', 'b', '<p>b</p>', 'b', 7, '2026-01-02T03:04:05Z' FROM users");
      s.execute("INSERT INTO posts (author_id, title, body, body_html, excerpt, created_at) "
          + "SELECT id, 'quiet', 'b', '<p>b</p>', 'b', '2026-02-03T04:05:06Z' FROM users");

      String before = rows(s, "SELECT id, comment_count, last_activity_at FROM posts ORDER BY id");

      MigrationSchema.flyway(SCHEMA, null).migrate();

      assertEquals(before,
          rows(s, "SELECT post_id, comment_count, last_activity_at FROM post_activity ORDER BY post_id"));
      assertTrue(before.contains("7,2026-01-02 03:04:05+00"), before);
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_schema = '"
          + SCHEMA + "' AND table_name = 'posts' AND column_name IN ('comment_count', 'last_activity_at')")) {
        rs.next();
        assertEquals(0, rs.getInt(1), "one home for the count and the activity time");
      }
      s.execute("INSERT INTO posts (author_id, title, body, body_html, excerpt, created_at) "
          + "SELECT id, 'new', 'b', '<p>b</p>', 'b', '2026-03-04T05:06:07Z' FROM users");
      try (ResultSet rs = s.executeQuery("SELECT a.comment_count, a.last_activity_at = p.created_at, p.hot > 0 "
          + "FROM posts p JOIN post_activity a ON a.post_id = p.id WHERE p.title = 'new'")) {
        assertTrue(rs.next(), "a post inserted after V15 has its activity row");
        assertEquals(0, rs.getInt(1));
        assertTrue(rs.getBoolean(2), "active as of its creation");
        assertTrue(rs.getBoolean(3), "still ranked by the rank trigger");
      }
    });
  }
}
