package parley.db;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.ModerationCast;
import parley.TestParley;
import parley.account.MemberCounts;
import parley.report.Reports;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code parley_recount()} (V41) counts every kept count again from the content: on a database whose counts are right
 * it corrects nothing and changes nothing a route reads; after each kind of count was made wrong by hand (as a change
 * with the triggers off would leave it), it says how many rows of each were wrong and puts every one right.
 */
@ExtendWith(TestParley.class)
class RecountTest extends ModerationCast {

  /** Every kept count as the routes read it: rows at 0 left out, a member's comments above the mark counted in. */
  private static final Map<String, String> READ = Map.of(
      "tags", "SELECT tag, posts::text FROM tag_counts WHERE posts <> 0",
      "listed", "SELECT shard::text, posts::text FROM listed_posts WHERE posts <> 0",
      "members", "SELECT u.username, concat_ws('/', COALESCE(m.posts, 0), " + MemberCounts.comments("u.id")
          + ", COALESCE(m.reports, 0)) FROM users u LEFT JOIN member_counts m ON m.user_id = u.id",
      "targets", "SELECT concat_ws(' ', status, target_type, target_id), reports::text FROM report_targets "
          + "WHERE reports <> 0",
      "totals", "SELECT s, (" + Reports.QUEUE_SIZE.replace("$1", "s") + ")::text "
          + "FROM unnest(ARRAY['open', 'dismissed', 'actioned']) s");

  private static Map<String, Map<String, String>> kept() throws Exception {
    Map<String, Map<String, String>> kept = new TreeMap<>();
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      for (Map.Entry<String, String> read : READ.entrySet()) {
        Map<String, String> rows = new TreeMap<>();
        try (ResultSet rs = s.executeQuery(read.getValue())) {
          while (rs.next()) {
            if (!"0/0/0".equals(rs.getString(2))) rows.put(rs.getString(1), rs.getString(2));
          }
        }
        kept.put(read.getKey(), rows);
      }
    }
    return kept;
  }

  private static Map<String, Long> recount() throws Exception {
    Map<String, Long> corrected = new TreeMap<>();
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT * FROM parley_recount()")) {
      while (rs.next()) corrected.put(rs.getString("counts"), rs.getLong("corrected"));
    }
    return corrected;
  }

  private static Map<String, Long> corrected(long tags, long listed, long members, long targets, long totals) {
    return Map.of("tag_counts", tags, "listed_posts", listed, "member_counts", members, "report_targets", targets,
        "report_queue_counts", totals);
  }

  @BeforeEach
  void setUp() throws Exception {
    cast();
  }

  private long tagged(parley.Api.Session as, String title, String... tags) {
    Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", "b")
        .put("tags", new JsonArray(java.util.List.of((Object[]) tags))));
    assertEquals(201, r.status(), r.toString());
    return r.json().getLong("id");
  }

  @Test
  void theCountsAreCountedAgainAndWhatWasWrongIsSaid() throws Exception {
    // Content of every kind the counts follow: tagged posts, posts deleted, taken down and held, comments hidden and
    // in a thread taken down, some folded into the members' counts and some above the mark, a member with comments
    // only, reports in three statuses.
    long go = tagged(alice, "Go", "go", "news");
    long rust = tagged(bob, "Rust", "rust", "news");
    long gone = tagged(alice, "Gone", "go");
    long hidden = api.createPost(bob, "Hidden");
    api.comment(bob, hidden, "In a thread taken down", null);
    for (int i = 0; i < 3; i++) api.comment(bob, go, "A comment " + i, null);
    long hiddenComment = api.comment(alice, go, "To be hidden", null);
    Runnable resume = TestParley.pauseJobs();
    try {
      // Folded part-way: the comments so far under the mark, those below above it (the fold counts them in once the
      // server's own transactions of that moment have ended).
      parley.account.MemberCountsTest.foldAll();
      long mark = TestParley.count("SELECT upto FROM member_counts_mark");
      assertTrue(mark >= TestParley.count("SELECT max(id) FROM comments"), "the comments so far folded in");
      long reported = api.comment(alice, rust, "A reported comment", null);
      api.comment(mod, rust, "A member with comments only", null);
      pendingPost(bob, "Held");
      long first = reportId(bob, "comment", reported, "spam");
      reportId(alice, "post", hidden, "spam");
      ok(api.post("/api/mod/posts/" + hidden + "/hide", mod, reason("spam")), "hide");
      ok(api.post("/api/mod/comments/" + hiddenComment + "/hide", mod, reason("spam")), "hide a comment");
      assertEquals(204, api.delete("/api/posts/" + gone, alice).status());
      reportId(bob, "post", go, "other");
      ok(api.post("/api/mod/reports/" + first + "/resolve", mod, new JsonObject().put("action", "dismiss")),
          "dismiss");
      assertTrue(TestParley.count("SELECT count(*) FROM comments WHERE id > " + mark) == 2, "two above the mark");

      Map<String, Map<String, String>> right = kept();
      assertEquals(Map.of("go", "1", "news", "2", "rust", "1"), right.get("tags"), "the content's tags");
      assertEquals(Map.of("open", "1", "dismissed", "1", "actioned", "1"), right.get("totals"), "the queue");
      assertEquals(Map.of("alice", "1/1/2", "bob", "1/3/1", "mod", "0/1/0"), right.get("members"), "the members");

      assertEquals(corrected(0, 0, 0, 0, 0), recount(), "nothing wrong: nothing corrected");
      assertEquals(right, kept(), "and nothing a route reads changed");
      assertEquals(TestParley.count("SELECT max(id) FROM comments"),
          TestParley.count("SELECT upto FROM member_counts_mark"), "every comment now under the mark");

      // Wrong by hand, as a change with the triggers off would leave them.
      TestParley.sql("UPDATE tag_counts SET posts = posts + 2 WHERE tag = 'news'");
      TestParley.sql("INSERT INTO tag_counts (tag, posts) VALUES ('phantom', 4)");
      TestParley.sql("DELETE FROM listed_posts WHERE shard = " + (rust % 64));
      TestParley.sql("UPDATE member_counts SET comments = comments + 5 WHERE user_id = " + bob.id());
      TestParley.sql("DELETE FROM member_counts WHERE user_id = " + alice.id());
      TestParley.sql("DELETE FROM report_targets WHERE status = 'open'");
      TestParley.sql("INSERT INTO report_queue_counts (status, targets) VALUES ('dismissed', 3)");

      assertEquals(corrected(2, 1, 2, 1, 1), recount(), "each wrong row said");
      assertEquals(right, kept(), "every count right again");
      Response queue = api.get("/api/mod/queue?status=dismissed", mod);
      assertEquals(1, queue.json().getLong("total"), queue.toString());
      assertEquals(corrected(0, 0, 0, 0, 0), recount(), "and nothing left to correct");
    } finally {
      resume.run();
    }
  }

  /** Only in a transaction of its own (a deferred count change of the caller's would land after it), and in READ
   * COMMITTED (a snapshot older than its locks could leave a comment under the new mark uncounted). */
  @Test
  void itRefusesATransactionThatWroteOrCannotSeeWhatItCounts() throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("UPDATE users SET bio = 'x' WHERE id = " + alice.id());
      java.sql.SQLException wrote = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
          () -> s.executeQuery("SELECT * FROM parley_recount()"));
      assertTrue(wrote.getMessage().contains("a transaction of its own"), wrote.getMessage());
      c.rollback();
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      java.sql.SQLException repeatable = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
          () -> s.executeQuery("SELECT * FROM parley_recount()"));
      assertTrue(repeatable.getMessage().contains("READ COMMITTED only"), repeatable.getMessage());
      c.rollback();
    }
  }
}
