package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * V34 turns off the GIN indexes' pending list: every GIN index of the schema writes a row's entries at once, and
 * what a database's lists held when it migrated is moved into the indexes and still found (checked in a schema of its
 * own at V33, with the pgstattuple extension there to read the lists, dropped afterwards).
 */
@ExtendWith(TestParley.class)
class GinPendingListMigrationTest {

  private static final String SCHEMA = "v34_migration_check";

  /** The GIN indexes of a schema that keep a pending list (no fastupdate=off among their options). */
  private static List<String> withPendingList(Statement s, String schema) throws Exception {
    List<String> names = new ArrayList<>();
    try (ResultSet rs = s.executeQuery("SELECT c.relname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
        + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE am.amname = 'gin' AND n.nspname = '" + schema + "' "
        + "AND NOT coalesce(c.reloptions @> ARRAY['fastupdate=off'], false) ORDER BY 1")) {
      while (rs.next()) names.add(rs.getString(1));
    }
    return names;
  }

  private static long pendingTuples(Statement s, String index) throws Exception {
    try (ResultSet rs = s.executeQuery("SELECT pending_tuples FROM " + SCHEMA + ".pgstatginindex('" + SCHEMA + "."
        + index + "')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void everyGinIndexOfTheServersSchemaWritesItsEntriesAtOnce() throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      String schema;
      try (ResultSet rs = s.executeQuery("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = "
          + "c.relnamespace WHERE c.relname = 'comments_search' AND n.nspname NOT LIKE 'v%_check' LIMIT 1")) {
        rs.next();
        schema = rs.getString(1);
      }
      assertEquals(List.of(), withPendingList(s, schema), "GIN indexes of " + schema + " with a pending list");
    }
  }

  @Test
  void whatTheListsHeldIsMovedIntoTheIndexesAndStillFound() throws Exception {
    MigrationSchema.check(SCHEMA, "33", s -> {
      s.execute("CREATE EXTENSION pgstattuple SCHEMA " + SCHEMA);
      // An automatic ANALYZE (after 50 new rows) would empty the lists before the migration gets to them.
      s.execute("ALTER TABLE comments SET (autovacuum_enabled = off)");
      s.execute("ALTER TABLE posts SET (autovacuum_enabled = off)");
      s.execute("INSERT INTO users (username, email, email_key, password_hash) VALUES ('alice', 'alice@example.org', "
          + "'alice@example.org', 'x')");
      s.execute("INSERT INTO posts (author_id, title, body, body_html, excerpt, tags) SELECT id, 'kohlrabi ' || g, "
          + "'b', '<p>b</p>', 'b', ARRAY['veg'] FROM users, generate_series(1, 5) g");
      s.execute("INSERT INTO comments (post_id, author_id, body, body_html) SELECT p.id, p.author_id, "
          + "'kohlrabi soup ' || g, '<p>k</p>' FROM posts p, generate_series(1, 20) g");
      assertEquals(List.of("comments_search", "posts_search", "posts_tags"), withPendingList(s, SCHEMA));
      assertTrue(pendingTuples(s, "comments_search") > 0, "the new comments' entries wait in the list at V33");

      MigrationSchema.flyway(SCHEMA, null).migrate();

      assertEquals(List.of(), withPendingList(s, SCHEMA));
      for (String index : List.of("comments_search", "posts_search", "posts_tags")) {
        assertEquals(0, pendingTuples(s, index), index + "'s list is moved into it");
      }
      s.execute("SET enable_seqscan = off");
      try (ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM comments WHERE search @@ "
          + "to_tsquery('english', 'kohlrabi')), (SELECT count(*) FROM posts WHERE search @@ "
          + "to_tsquery('english', 'kohlrabi')), (SELECT count(*) FROM posts WHERE tags @> ARRAY['veg'] "
          + "AND deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL)")) {
        rs.next();
        assertEquals(100, rs.getLong(1));
        assertEquals(5, rs.getLong(2));
        assertEquals(5, rs.getLong(3));
      }
      s.execute("INSERT INTO comments (post_id, author_id, body, body_html) SELECT id, author_id, 'kohlrabi "
          + "again', '<p>k</p>' FROM posts");
      assertEquals(0, pendingTuples(s, "comments_search"), "a new comment's entries go into the index at once");
    });
  }
}
