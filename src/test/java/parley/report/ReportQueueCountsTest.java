package parley.report;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.Api.Session;
import parley.ModerationCast;
import parley.TestParley;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report queue's totals kept as reports change (V40's report_targets and report_queue_counts) against the reports
 * themselves, after every way a report is filed, closed, moved or deleted, and what the queue's {@code total} answers
 * from them; filed and closed at once, and in a transaction that cannot see what it would count.
 */
@ExtendWith(TestParley.class)
class ReportQueueCountsTest extends ModerationCast {

  private static final List<String> STATUSES = List.of("open", "dismissed", "actioned");

  /** Each status's targets, counted from the reports as the queue's total counted them before V40. */
  private static final String COUNTED = "SELECT count(*) FROM (SELECT DISTINCT target_type, target_id FROM reports "
      + "WHERE status = '%s') g";

  /** Each target's reports in each status, counted, and as V40 keeps them. */
  private static final String TARGETS_COUNTED = "SELECT status || ' ' || target_type || ' ' || target_id, count(*) "
      + "FROM reports GROUP BY 1";
  private static final String TARGETS_KEPT = "SELECT status || ' ' || target_type || ' ' || target_id, reports "
      + "FROM report_targets";

  private Session carol;

  @BeforeEach
  void setUp() throws Exception {
    cast();
    carol = api.register("carol");
  }

  /** The kept totals are {@code expected} (open, dismissed, actioned), as counted and as the queue answers them. */
  private void assertTotals(String after, long open, long dismissed, long actioned) throws Exception {
    Map<String, Long> expected = Map.of("open", open, "dismissed", dismissed, "actioned", actioned);
    for (String status : STATUSES) {
      assertEquals(expected.get(status), TestParley.count(COUNTED.formatted(status)),
          status + " targets counted from the reports, after " + after);
      assertEquals(expected.get(status), kept(status), status + " targets kept, after " + after);
      Response queue = api.get("/api/mod/queue?status=" + status, mod);
      assertEquals(200, queue.status(), queue.toString());
      assertEquals(expected.get(status), queue.json().getLong("total"), "the " + status + " tab's total, after " + after);
    }
    assertEquals(rows(TARGETS_COUNTED), rows(TARGETS_KEPT), "each target's reports in each status, after " + after);
  }

  private static long kept(String status) throws Exception {
    return TestParley.count(Reports.QUEUE_SIZE.replace("$1", "'" + status + "'"));
  }

  private static Map<String, Long> rows(String query) throws Exception {
    Map<String, Long> rows = new TreeMap<>();
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(query)) {
      while (rs.next()) rows.put(rs.getString(1), rs.getLong(2));
    }
    return rows;
  }

  private static long compact() throws Exception {
    return TestParley.count("SELECT report_queue_compact()");
  }

  @Test
  void theKeptTotalsFollowEveryChangeOfAReport() throws Exception {
    assertTotals("nothing yet", 0, 0, 0);
    long post = api.createPost(alice, "Reported");
    long other = api.createPost(alice, "Also reported");
    long comment = api.comment(alice, post, "A reported comment", null);

    long first = reportId(bob, "post", post, "spam");
    assertTotals("a report", 1, 0, 0);
    reportId(carol, "post", post, "hate");
    assertTotals("a second report on the same post", 1, 0, 0);
    reportId(bob, "comment", comment, "harassment");
    reportId(carol, "post", other, "spam");
    assertTotals("reports on two more targets", 3, 0, 0);

    ok(api.post("/api/mod/reports/" + first + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");
    assertTotals("a target's two reports dismissed", 2, 1, 0);
    long again = reportId(bob, "post", post, "spam");
    assertTotals("the dismissed post reported again", 3, 1, 0);
    ok(api.post("/api/mod/reports/" + again + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");
    assertTotals("dismissed again: one target, three reports", 2, 1, 0);
    assertEquals(Map.of("dismissed post " + post, 3L), Map.of("dismissed post " + post,
        rows(TARGETS_KEPT).get("dismissed post " + post)), "three reports dismissed on one target");

    long onComment = TestParley.count("SELECT id FROM reports WHERE target_type = 'comment'");
    ok(api.post("/api/mod/reports/" + onComment + "/resolve", mod, new JsonObject().put("action", "hide")), "hide");
    assertTotals("a comment hidden for its report", 1, 1, 1);

    // Compacted (the server's own job paused meanwhile): the same totals from a row a status, and the changes after
    // it still counted.
    Runnable resume = TestParley.pauseJobs();
    try {
      assertTrue(compact() > 0, "the changes summed");
      assertEquals(3, TestParley.count("SELECT count(*) FROM report_queue_counts"), "a row a status");
      assertEquals(0, compact(), "nothing left to sum");
    } finally {
      resume.run();
    }
    assertTotals("a compaction", 1, 1, 1);
    reportId(bob, "post", other, "misinformation");
    assertTotals("a report after it", 1, 1, 1);

    // The author deletes their account: the open reports on what they wrote are dismissed by Parley.
    assertEquals(204, api.post("/api/me/delete", alice, new JsonObject().put("currentPassword", "correct horse"))
        .status());
    assertTotals("an account's deletion", 0, 2, 1);

    // By hand: a report moved to another target, one reopened, one deleted, a report of Parley's own.
    TestParley.sql("UPDATE reports SET target_id = " + other + " WHERE id = " + first);
    assertTotals("a report moved to another target by hand", 0, 2, 1);
    TestParley.sql("UPDATE reports SET status = 'open' WHERE status = 'actioned'");
    assertTotals("a report reopened by hand", 1, 2, 0);
    TestParley.sql("DELETE FROM reports WHERE status = 'open'");
    assertTotals("a report deleted by hand", 0, 2, 0);
    TestParley.sql("INSERT INTO reports (reporter_id, target_type, target_id, reason) VALUES "
        + "(NULL, 'post', 424242, 'screening'), (NULL, 'comment', 424242, 'screening')");
    assertTotals("two reports in one statement", 2, 2, 0);
    TestParley.sql("UPDATE reports SET details = 'x'");
    assertTotals("an update that moves nothing", 2, 2, 0);
    TestParley.sql("TRUNCATE reports");
    assertTotals("the reports emptied", 0, 0, 0);
  }

  /**
   * Reports filed on one post by a dozen readers at once, and a dozen more while a moderator dismisses the first: each
   * target counted once in each status it has reports in, whichever commits first.
   */
  @Test
  void reportsFiledAndClosedAtOnceCountEachTargetOnce() throws Exception {
    long post = api.createPost(alice, "Busy");
    List<Session> readers = new ArrayList<>();
    for (int i = 0; i < 24; i++) readers.add(api.register("reader" + i));
    ExecutorService threads = Executors.newFixedThreadPool(13);
    try {
      List<Future<Long>> filed = new ArrayList<>();
      for (Session reader : readers.subList(0, 12)) filed.add(threads.submit(() -> reportId(reader, "post", post, "spam")));
      long first = filed.get(0).get();
      for (Future<Long> f : filed) f.get();
      assertTotals("twelve reports at once", 1, 0, 0);

      List<Future<?>> more = new ArrayList<>();
      for (Session reader : readers.subList(12, 24)) {
        more.add(threads.submit(() -> {
          Response r = api.post("/api/reports", reader, report("post", post, "hate"));
          assertEquals(201, r.status(), r.toString());
        }));
      }
      more.add(threads.submit(() -> ok(api.post("/api/mod/reports/" + first + "/resolve", mod,
          new JsonObject().put("action", "dismiss")), "dismiss")));
      for (Future<?> f : more) f.get();
    } finally {
      threads.shutdown();
    }
    long open = TestParley.count("SELECT count(*) FROM reports WHERE status = 'open'");
    assertTotals("twelve more while the first were dismissed (" + open + " left open)", open > 0 ? 1 : 0, 1, 0);
  }

  /**
   * Two transactions filing the first reports on one target: the second waits for the first's target row and then
   * counts from it (one target, not two); one that could not see the first's report (repeatable read, its snapshot
   * taken before) is refused, not miscounted. The target has no author (a post gone by hand), so the target's row is
   * the only one the two share (a member's kept counts, V39, would be another).
   */
  @Test
  void aSecondReportWaitsForTheFirstOrIsRefusedNeverCountedTwice() throws Exception {
    String insert = "INSERT INTO reports (reporter_id, target_type, target_id, reason) VALUES (%d, 'post', 424242, "
        + "'spam')";
    try (Connection one = TestParley.db().getConnection(); Statement s1 = one.createStatement();
         Connection two = TestParley.db().getConnection(); Statement s2 = two.createStatement()) {
      one.setAutoCommit(false);
      two.setAutoCommit(false);
      s1.execute(insert.formatted(bob.id()));
      long first;
      try (ResultSet rs = s1.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        first = rs.getLong(1);
      }
      CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
        try {
          s2.execute(insert.formatted(carol.id()));
          two.commit();
        } catch (SQLException e) {
          throw new RuntimeException(e);
        }
      });
      TestParley.awaitUntil(() -> TestParley.count("SELECT count(*) FROM pg_stat_activity "
              + "WHERE " + first + " = ANY (pg_blocking_pids(pid)) AND query LIKE 'INSERT INTO reports%'") > 0,
          "the second waiting for the first");
      assertFalse(second.isDone(), "the second waits");
      one.commit();
      second.get(30, TimeUnit.SECONDS);
    }
    assertTotals("two first reports at once", 1, 0, 0);
    TestParley.sql("DELETE FROM reports");

    try (Connection one = TestParley.db().getConnection(); Statement s1 = one.createStatement();
         Connection two = TestParley.db().getConnection(); Statement s2 = two.createStatement()) {
      two.setAutoCommit(false);
      two.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      s2.execute("SELECT count(*) FROM reports");  // its snapshot, before the first report commits
      s1.execute(insert.formatted(bob.id()));
      SQLException refused = assertThrows(SQLException.class, () -> s2.execute(insert.formatted(carol.id())));
      assertEquals("40001", refused.getSQLState(), refused.getMessage());
      assertTrue(refused.getMessage().contains("report_queue_move"), "refused by V40's count: " + refused.getMessage());
      two.rollback();
    }
    assertTotals("a second report refused", 1, 0, 0);
  }
}
