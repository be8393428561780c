package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import java.sql.Statement;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static parley.account.MemberCountsTest.COUNTED;
import static parley.account.MemberCountsTest.KEPT;
import static parley.account.MemberCountsTest.counts;

/**
 * V39 counts what each member of an existing database has on show (their published posts, their published comments in
 * published threads, the reports on their content) and keeps counting as rows change, hard deletes included (checked
 * in a schema of its own at V38, dropped afterwards).
 */
@ExtendWith(TestParley.class)
class MemberCountsMigrationTest {

  private static final String SCHEMA = "v39_migration_check";

  private static void assertKept(Statement s, String after, Map<String, String> expected) throws Exception {
    assertEquals(expected, counts(s, COUNTED), "counted, after " + after);
    assertEquals(expected, counts(s, KEPT), "kept, after " + after);
  }

  @Test
  void theExistingContentIsCountedAndKeptCounted() throws Exception {
    MigrationSchema.check(SCHEMA, "38", s -> {
      s.execute("INSERT INTO users (username, email, email_key, password_hash) VALUES ('alice', 'alice@example.org', "
          + "'alice@example.org', 'x'), ('bob', 'bob@example.org', 'bob@example.org', 'x'), "
          + "('carol', 'carol@example.org', 'carol@example.org', 'x')");
      // alice: a listed post, a hidden one; bob: a pending post, a deleted one.
      s.execute("INSERT INTO posts (author_id, title, body, body_html, excerpt, hidden_at, pending_at, deleted_at) "
          + "SELECT u.id, v.title, 'b', '<p>b</p>', 'b', v.hidden, v.pending, v.deleted FROM (VALUES "
          + "('alice', 'listed', NULL::timestamptz, NULL::timestamptz, NULL::timestamptz), "
          + "('alice', 'hidden', now(), NULL, NULL), ('bob', 'pending', NULL, now(), NULL), "
          + "('bob', 'deleted', NULL, NULL, now())) v (who, title, hidden, pending, deleted) "
          + "JOIN users u ON u.username = v.who");
      // On the listed post: two of bob's, one of his hidden, one of alice's pending, one of alice's; on the hidden
      // post one of bob's; on the deleted one one of carol's.
      s.execute("INSERT INTO comments (post_id, author_id, body, body_html, hidden_at, pending_at) "
          + "SELECT p.id, u.id, 'c', '<p>c</p>', v.hidden, v.pending FROM (VALUES "
          + "('listed', 'bob', NULL::timestamptz, NULL::timestamptz), ('listed', 'bob', NULL, NULL), "
          + "('listed', 'bob', now(), NULL), ('listed', 'alice', NULL, now()), ('listed', 'alice', NULL, NULL), "
          + "('hidden', 'bob', NULL, NULL), ('deleted', 'carol', NULL, NULL)) v (post, who, hidden, pending) "
          + "JOIN posts p ON p.title = v.post JOIN users u ON u.username = v.who");
      // Reports: two on bob's hidden comment, one on alice's hidden post.
      s.execute("INSERT INTO reports (reporter_id, target_type, target_id, reason) "
          + "SELECT (SELECT id FROM users WHERE username = r.who), 'comment', c.id, r.reason "
          + "FROM comments c, (VALUES ('carol', 'spam'), ('alice', 'harassment')) r (who, reason) "
          + "WHERE c.hidden_at IS NOT NULL");
      s.execute("INSERT INTO reports (reporter_id, target_type, target_id, reason) "
          + "SELECT (SELECT id FROM users WHERE username = 'carol'), 'post', id, 'spam' FROM posts "
          + "WHERE hidden_at IS NOT NULL");

      MigrationSchema.flyway(SCHEMA, null).migrate();

      assertKept(s, "the migration", Map.of("alice", "1/1/1", "bob", "0/2/2"));
      s.execute("UPDATE posts SET hidden_at = NULL WHERE title = 'hidden'");
      assertKept(s, "a thread restored", Map.of("alice", "2/1/1", "bob", "0/3/2"));
      s.execute("UPDATE posts SET pending_at = NULL WHERE title = 'pending'");
      s.execute("UPDATE comments SET pending_at = NULL WHERE pending_at IS NOT NULL");
      assertKept(s, "approvals", Map.of("alice", "2/2/1", "bob", "1/3/2"));
      s.execute("DELETE FROM reports WHERE reason = 'harassment'");
      s.execute("DELETE FROM comments WHERE hidden_at IS NULL AND post_id = (SELECT id FROM posts WHERE title = "
          + "'hidden')");
      assertKept(s, "hard deletes", Map.of("alice", "2/2/1", "bob", "1/2/1"));
      s.execute("DELETE FROM comments WHERE post_id = (SELECT id FROM posts WHERE title = 'deleted')");
      s.execute("DELETE FROM posts WHERE title IN ('deleted', 'hidden')");
      assertKept(s, "posts deleted outright, one of them reported", Map.of("alice", "1/2/0", "bob", "1/2/1"));
      s.execute("DELETE FROM comments WHERE hidden_at IS NOT NULL");
      assertKept(s, "a reported comment deleted outright", Map.of("alice", "1/2/0", "bob", "1/2/0"));
    });
  }
}
