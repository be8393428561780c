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
 * V35 counts the tags of a database's existing posts (listed ones only) and V38 the listed posts themselves, and both
 * keep counting from then on (checked in a schema of its own at V34, dropped afterwards).
 */
@ExtendWith(TestParley.class)
class TagCountsMigrationTest {

  private static final String SCHEMA = "v35_migration_check";

  private static Map<String, Long> kept(Statement s) throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    try (ResultSet rs = s.executeQuery("SELECT tag, posts FROM tag_counts")) {
      while (rs.next()) counts.put(rs.getString(1), rs.getLong(2));
    }
    return counts;
  }

  private static long listed(Statement s) throws Exception {
    try (ResultSet rs = s.executeQuery("SELECT COALESCE(sum(posts), 0) FROM listed_posts")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void theExistingPostsTagsAreCountedAndKeptCounted() throws Exception {
    MigrationSchema.check(SCHEMA, "34", s -> {
      s.execute("INSERT INTO users (username, email, email_key, password_hash) VALUES ('alice', 'alice@example.org', "
          + "'alice@example.org', 'x')");
      // Listed: three tagged rust, two go, one untagged; then one each hidden, pending and deleted, all tagged zig.
      s.execute("INSERT INTO posts (author_id, title, body, body_html, excerpt, tags, hidden_at, pending_at, "
          + "deleted_at) SELECT u.id, 'p', 'b', '<p>b</p>', 'b', v.tags, v.hidden, v.pending, v.deleted "
          + "FROM users u, (VALUES (ARRAY['rust','go'], NULL::timestamptz, NULL::timestamptz, NULL::timestamptz), "
          + "(ARRAY['rust'], NULL, NULL, NULL), (ARRAY['rust','go'], NULL, NULL, NULL), ('{}', NULL, NULL, NULL), "
          + "(ARRAY['zig'], now(), NULL, NULL), (ARRAY['zig'], NULL, now(), NULL), (ARRAY['zig'], NULL, NULL, now())"
          + ") v (tags, hidden, pending, deleted)");

      MigrationSchema.flyway(SCHEMA, null).migrate();

      assertEquals(Map.of("go", 2L, "rust", 3L), kept(s), "the listed posts' tags, counted");
      assertEquals(4, listed(s), "the listed posts, counted");
      s.execute("UPDATE posts SET pending_at = NULL WHERE pending_at IS NOT NULL");
      s.execute("UPDATE posts SET tags = ARRAY['go'] WHERE tags = ARRAY['rust']");
      assertEquals(Map.of("go", 3L, "rust", 2L, "zig", 1L), kept(s), "and counted as they change");
      assertEquals(5, listed(s), "the pending post, approved");
      s.execute("UPDATE posts SET hidden_at = now() WHERE tags = ARRAY['zig']");
      assertEquals(Map.of("go", 3L, "rust", 2L), kept(s), "a tag no listed post carries has no row");
      assertEquals(4, listed(s), "hidden again");
      s.execute("DELETE FROM posts WHERE tags = '{}' OR hidden_at IS NOT NULL");
      assertEquals(3, listed(s), "a listed post removed, and two that were not");
    });
  }
}
