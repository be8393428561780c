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
      "members", "SELECT m.user_id::text, concat_ws('/', m.posts, " + MemberCounts.comments("m.user_id")
          + ", m.reports) FROM member_counts m",
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

  @Test
  void theCountsAreCountedAgainAndWhatWasWrongIsSaid() throws Exception {
    // Content of every kind the counts follow: tagged posts, a post taken down, comments, reports in two statuses.
    long go = api.post("/api/posts", alice, new JsonObject().put("title", "Go").put("body", "b")
        .put("tags", new JsonArray().add("go").add("news"))).json().getLong("id");
    long rust = api.post("/api/posts", bob, new JsonObject().put("title", "Rust").put("body", "b")
        .put("tags", new JsonArray().add("rust").add("news"))).json().getLong("id");
    long hidden = api.createPost(bob, "Hidden");
    for (int i = 0; i < 3; i++) api.comment(bob, go, "A comment " + i, null);
    long reported = api.comment(alice, rust, "A reported comment", null);
    long first = reportId(bob, "comment", reported, "spam");
    reportId(alice, "post", hidden, "spam");
    ok(api.post("/api/mod/posts/" + hidden + "/hide", mod, reason("spam")), "hide");
    reportId(bob, "post", go, "other");
    ok(api.post("/api/mod/reports/" + first + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");

    Runnable resume = TestParley.pauseJobs();
    try {
      Map<String, Map<String, String>> right = kept();
      assertEquals(Map.of("go", "1", "news", "2", "rust", "1"), right.get("tags"), "the content's tags");
      assertEquals(Map.of("open", "1", "dismissed", "1", "actioned", "1"), right.get("totals"), "the queue");

      assertEquals(corrected(0, 0, 0, 0, 0), recount(), "nothing wrong: nothing corrected");
      assertEquals(right, kept(), "and nothing a route reads changed");

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
}
