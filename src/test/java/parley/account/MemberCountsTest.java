package parley.account;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.Api.Session;
import parley.CapturedLog;
import parley.ModerationCast;
import parley.TestParley;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each member's counts kept as content changes (V39's member_counts) against the content itself, after every kind of
 * change a post, a comment or its thread can go through, and what a profile and a moderator's card of the member
 * answer from them: published posts, published comments in published threads, and the reports filed against their
 * content.
 */
@ExtendWith(TestParley.class)
public class MemberCountsTest extends ModerationCast {

  /**
   * Each member's counts as "posts/comments/reports", counted from the content as the profile and the card counted
   * them before V39; members with none left out. Used by the migration's test too.
   */
  public static final String COUNTED = """
      SELECT u.username, concat_ws('/',
             (SELECT count(*) FROM posts p WHERE p.author_id = u.id
                 AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL),
             (SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.author_id = u.id
                 AND c.deleted_at IS NULL AND c.hidden_at IS NULL AND c.pending_at IS NULL
                 AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.pending_at IS NULL),
             (SELECT count(*) FROM reports r
                LEFT JOIN posts p ON r.target_type = 'post' AND p.id = r.target_id
                LEFT JOIN comments c ON r.target_type = 'comment' AND c.id = r.target_id
               WHERE COALESCE(p.author_id, c.author_id) = u.id)) AS counts
        FROM users u""";

  /**
   * The same, as a profile and a card read them: the kept counts, and the comments above the fold's mark; a member
   * with zeros (everything taken away again) is left out too.
   */
  public static final String KEPT = "SELECT u.username, concat_ws('/', COALESCE(m.posts, 0), "
      + MemberCounts.comments("u.id") + ", COALESCE(m.reports, 0)) "
      + "FROM users u LEFT JOIN member_counts m ON m.user_id = u.id";

  /** The kept counts alone: equal to {@link #COUNTED} once the fold has covered every comment. */
  public static final String FOLDED = "SELECT u.username, concat_ws('/', m.posts, m.comments, m.reports) "
      + "FROM member_counts m JOIN users u ON u.id = m.user_id";

  /** The fold's mark: comments up to it are in the kept counts. */
  static long mark() throws Exception {
    return TestParley.count("SELECT upto FROM member_counts_mark");
  }

  /**
   * Folds until the kept counts cover every comment: the first fold notes the newest id, a later one counts up to it
   * once every transaction that was running then has ended (the server's own, a notifier batch, end within moments).
   */
  public static void foldAll() throws Exception {
    for (int attempt = 0; attempt < 200; attempt++) {
      TestParley.count("SELECT member_counts_fold(100000)");
      if (mark() >= TestParley.count("SELECT COALESCE(max(id), 0) FROM comments")) return;
      Thread.sleep(10);  // another transaction still running: nothing to await but its end
    }
    throw new AssertionError("the fold never reached the newest comment: mark " + mark());
  }

  public static Map<String, String> counts(Statement s, String query) throws Exception {
    Map<String, String> counts = new TreeMap<>();
    try (ResultSet rs = s.executeQuery(query)) {
      while (rs.next()) {
        if (!rs.getString(2).equals("0/0/0")) counts.put(rs.getString(1), rs.getString(2));
      }
    }
    return counts;
  }

  private static Map<String, String> counts(String query) throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      return counts(s, query);
    }
  }

  private Session carol;

  @BeforeEach
  void setUp() throws Exception {
    cast();
    carol = api.register("carol");
  }

  /**
   * The counted and the kept counts are {@code expected}, and so are what each member's profile and a moderator's
   * card of them say.
   */
  private void assertKept(String after, Map<String, String> expected) throws Exception {
    assertEquals(expected, counts(COUNTED), "counted from the content, after " + after);
    assertEquals(expected, counts(KEPT), "the kept counts and the comments above the mark, after " + after);
    for (String name : List.of("alice", "bob", "carol", "mod")) {
      String[] c = expected.getOrDefault(name, "0/0/0").split("/");
      Response profile = api.get("/api/users/" + name);
      if (profile.status() == 404) continue;  // a deleted account
      assertEquals(Long.parseLong(c[0]), profile.json().getLong("postCount"), name + "'s profile, after " + after);
      assertEquals(Long.parseLong(c[1]), profile.json().getLong("commentCount"), name + "'s profile, after " + after);
      JsonObject card = api.get("/api/mod/users/" + name, mod).json().getJsonObject("counts");
      assertEquals(new JsonObject().put("posts", Long.parseLong(c[0])).put("comments", Long.parseLong(c[1]))
              .put("reports", Long.parseLong(c[2])),
          new JsonObject().put("posts", card.getLong("posts")).put("comments", card.getLong("comments"))
              .put("reports", card.getLong("reports")),
          name + "'s card, after " + after);
    }
  }

  private long comment(Session as, long post) {
    return api.comment(as, post, "A comment", null);
  }

  @Test
  void theKeptCountsFollowEveryChangeOfAPostOrACommentOrItsThread() throws Exception {
    assertKept("nothing yet", Map.of());
    long first = api.createPost(alice, "First");
    long second = api.createPost(bob, "Second");
    long bobs = comment(bob, first);
    comment(bob, first);
    long carols = comment(carol, first);
    long alices = api.comment(alice, second, "A reply", null);
    api.comment(bob, second, "Under it", alices);
    assertKept("posts and comments made", Map.of("alice", "1/1/0", "bob", "1/3/0", "carol", "0/1/0"));
    foldAll();
    assertEquals(counts(COUNTED), counts(FOLDED), "folded in");
    assertKept("the fold", Map.of("alice", "1/1/0", "bob", "1/3/0", "carol", "0/1/0"));

    long held = pendingComment(carol, first);
    assertKept("a held comment", Map.of("alice", "1/1/0", "bob", "1/3/0", "carol", "0/1/0"));
    ok(api.post("/api/mod/comments/" + held + "/approve", mod, null), "approve");
    assertKept("its approval", Map.of("alice", "1/1/0", "bob", "1/3/0", "carol", "0/2/0"));
    long rejected = pendingComment(carol, second);
    ok(api.post("/api/mod/comments/" + rejected + "/reject", mod, reason("spam")), "reject");
    assertKept("a rejection", Map.of("alice", "1/1/0", "bob", "1/3/0", "carol", "0/2/0"));

    reportId(carol, "comment", bobs, "spam");
    reportId(alice, "comment", bobs, "harassment");
    reportId(carol, "post", second, "spam");
    assertKept("three reports", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/2/0"));

    ok(api.post("/api/mod/comments/" + bobs + "/hide", mod, reason("spam")), "hide");
    assertKept("a comment's hide", Map.of("alice", "1/1/0", "bob", "1/2/3", "carol", "0/2/0"));
    ok(api.post("/api/mod/comments/" + bobs + "/restore", mod, reason("ok")), "restore");
    assertKept("its restore", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/2/0"));
    assertEquals(204, api.delete("/api/comments/" + carols, carol).status());
    assertKept("a comment's delete", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/1/0"));

    // A thread taken away takes its comments with it, each from its own author, and gives them back: some of them
    // folded in, one above the mark.
    long unfolded = comment(carol, first);
    assertKept("one more", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/2/0"));
    assertEquals(204, api.delete("/api/comments/" + unfolded, carol).status());
    assertKept("its delete, above the mark", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/1/0"));
    long above = comment(bob, first);
    assertKept("one more", Map.of("alice", "1/1/0", "bob", "1/4/3", "carol", "0/1/0"));
    ok(api.post("/api/mod/posts/" + first + "/hide", mod, reason("spam")), "hide the thread");
    assertKept("a thread's hide", Map.of("alice", "0/1/0", "bob", "1/1/3"));
    foldAll();
    assertKept("a fold while it is hidden", Map.of("alice", "0/1/0", "bob", "1/1/3"));
    long lateHidden = pendingComment(carol, second);
    ok(api.post("/api/mod/posts/" + first + "/restore", mod, reason("ok")), "restore the thread");
    assertKept("its restore", Map.of("alice", "1/1/0", "bob", "1/4/3", "carol", "0/1/0"));
    ok(api.post("/api/mod/comments/" + above + "/hide", mod, reason("spam")), "hide");
    assertKept("a folded comment's hide", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/1/0"));
    foldAll();
    assertEquals(counts(COUNTED), counts(FOLDED), "folded in");
    ok(api.post("/api/mod/comments/" + lateHidden + "/approve", mod, null), "approve");
    assertKept("an approval", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/2/0"));

    long heldPost = pendingPost(carol, "Held");
    assertKept("a held post", Map.of("alice", "1/1/0", "bob", "1/3/3", "carol", "0/2/0"));
    ok(api.post("/api/mod/posts/" + heldPost + "/approve", mod, null), "approve the post");
    comment(alice, heldPost);
    assertKept("its approval", Map.of("alice", "1/2/0", "bob", "1/3/3", "carol", "1/2/0"));

    assertEquals(204, api.delete("/api/posts/" + second, bob).status());
    assertKept("a thread's delete", Map.of("alice", "1/1/0", "bob", "0/2/3", "carol", "1/1/0"));

    // A takedown: everything bob has on show hidden, one piece at a time.
    Response banned = api.post("/api/mod/users/bob/ban", mod, reason("spam wave").put("removeContent", true));
    assertEquals(200, banned.status(), banned.toString());
    assertKept("a takedown", Map.of("alice", "1/1/0", "bob", "0/0/3", "carol", "1/1/0"));

    assertEquals(204, api.post("/api/me/delete", carol, new JsonObject().put("currentPassword", "correct horse"))
        .status());
    assertKept("an account's deletion", Map.of("alice", "1/0/0", "bob", "0/0/3"));
  }

  /**
   * The fold never moves its mark past a comment whose transaction is still running, even when later comments have
   * committed: that comment would then be neither kept nor counted by readers once it commits.
   */
  @Test
  void theFoldWaitsForACommentStillBeingWritten() throws Exception {
    long post = api.createPost(alice, "Slow");
    foldAll();
    try (Connection slow = TestParley.db().getConnection(); Statement s = slow.createStatement()) {
      slow.setAutoCommit(false);
      long pending;
      try (ResultSet rs = s.executeQuery("INSERT INTO comments (post_id, author_id, body, body_html) "
          + "VALUES (" + post + ", " + carol.id() + ", 'slow', '<p>slow</p>') RETURNING id")) {
        rs.next();
        pending = rs.getLong(1);
      }
      // Alone, and then with later comments committed around it.
      for (int i = 0; i < 3; i++) TestParley.count("SELECT member_counts_fold(100000)");
      assertTrue(mark() < pending, "the mark " + mark() + " stays below the comment still being written, " + pending);
      comment(bob, post);
      comment(bob, post);
      for (int i = 0; i < 3; i++) TestParley.count("SELECT member_counts_fold(100000)");
      assertTrue(mark() < pending, "the mark " + mark() + " stays below the comment still being written, " + pending);
      assertKept("two comments committed after one still being written",
          Map.of("alice", "1/0/0", "bob", "0/2/0"));
      slow.commit();
    }
    assertKept("it commits", Map.of("alice", "1/0/0", "bob", "0/2/0", "carol", "0/1/0"));
    foldAll();
    assertEquals(counts(COUNTED), counts(FOLDED), "all three folded in");
    assertKept("the fold", Map.of("alice", "1/0/0", "bob", "0/2/0", "carol", "0/1/0"));
  }

  @Test
  void commentsWrittenTogetherAreEachCounted() throws Exception {
    long post = api.createPost(alice, "Busy");
    long other = api.createPost(bob, "Quiet");
    List<Future<Long>> made = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(24);
    try {
      for (int i = 0; i < 96; i++) {
        Session as = List.of(alice, bob, carol).get(i % 3);
        long thread = i % 4 == 0 ? other : post;
        made.add(pool.submit(() -> comment(as, thread)));
      }
      for (Future<Long> f : made) f.get();
    } finally {
      pool.shutdown();
    }
    assertEquals(96, TestParley.count("SELECT count(*) FROM comments"));
    assertKept("96 comments at once", Map.of("alice", "1/32/0", "bob", "1/32/0", "carol", "0/32/0"));
    foldAll();
    assertEquals(counts(COUNTED), counts(FOLDED), "folded in");
  }

  /**
   * A transaction left open holds the fold back: the lag grows with the oldest comment above the mark, and past
   * {@link MemberCounts.Lag#WARN_AFTER} the fold's job warns, naming that transaction; once it ends and the fold
   * catches up, the lag is 0 again and a line says so.
   */
  @Test
  void aTransactionLeftOpenThatHoldsTheFoldBackIsNamed() throws Exception {
    long post = api.createPost(alice, "Held");
    foldAll();
    var meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    MemberCounts.Lag lag = new MemberCounts.Lag(TestParley.server().running().database().background(), meters);
    assertEquals(0.0, await(lag.look()), "nothing above the mark");
    assertNotNull(TestParley.server().running().meters().find("parley_member_counts_behind_seconds").gauge(),
        "the node shows the lag");
    // The server's own fold job pauses: its node's lag would warn into the same log.
    Runnable resume = TestParley.pauseJobs();
    try (Connection open = TestParley.db().getConnection(); Statement s = open.createStatement();
         CapturedLog logged = new CapturedLog(MemberCounts.class)) {
      open.setAutoCommit(false);
      long pid;
      try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid(), pg_current_xact_id()")) {
        rs.next();
        pid = rs.getLong(1);
      }
      // A comment that has waited 20 minutes, as one would behind a transaction left open that long.
      TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html, created_at) VALUES (" + post + ", "
          + carol.id() + ", 'old', '<p>old</p>', now() - interval '20 minutes')");
      for (int i = 0; i < 3; i++) TestParley.count("SELECT member_counts_fold(100000)");
      await(lag.warnIfStalled());
      double behind = meters.find("parley_member_counts_behind_seconds").gauge().value();
      assertTrue(behind >= 20 * 60 && behind < 21 * 60, "the oldest comment above the mark waited " + behind + " s");
      assertEquals(List.of(ch.qos.logback.classic.Level.WARN), logged.levels(), String.join("\n", logged.messages()));
      String warning = logged.messages().get(0);
      assertTrue(warning.contains("20 min behind") && warning.contains("pid " + pid + ", idle in transaction"),
          warning);
      // Just under the threshold, nothing; well under it, a line saying so; over it again within 10 minutes, the
      // warning held (not repeated).
      TestParley.sql("UPDATE comments SET created_at = now() - interval '9 minutes' WHERE body = 'old'");
      await(lag.warnIfStalled());
      assertEquals(1, logged.messages().size(), String.join("\n", logged.messages()));
      TestParley.sql("UPDATE comments SET created_at = now() - interval '4 minutes' WHERE body = 'old'");
      await(lag.warnIfStalled());
      TestParley.sql("UPDATE comments SET created_at = now() - interval '20 minutes' WHERE body = 'old'");
      await(lag.warnIfStalled());
      open.commit();
      foldAll();
      await(lag.warnIfStalled());
      assertEquals(0.0, meters.find("parley_member_counts_behind_seconds").gauge().value(), "caught up");
      List<String> messages = logged.messages();
      assertEquals(List.of(ch.qos.logback.classic.Level.WARN, ch.qos.logback.classic.Level.INFO,
          ch.qos.logback.classic.Level.INFO), logged.levels(), String.join("\n", messages));
      assertTrue(messages.get(1).matches("Members' comment counts are no longer held back \\(24\\d s behind\\)"),
          messages.get(1));
      assertEquals("Members' comment counts are no longer held back (0 s behind)", messages.get(2));
    } finally {
      resume.run();
    }
    assertKept("the held comment folded in", Map.of("alice", "1/0/0", "carol", "0/1/0"));
  }

  /**
   * A fold's note from another cluster's transaction ids (a logical dump restored into a new cluster, whose ids start
   * low) is dropped and noted anew (V41), not waited on until this cluster's ids pass it.
   */
  @Test
  void aNoteFromAnotherClustersTransactionIdsIsDroppedNotWaitedOn() throws Exception {
    long post = api.createPost(alice, "Restored");
    comment(bob, post);
    Runnable resume = TestParley.pauseJobs();
    try {
      TestParley.sql("UPDATE member_counts_mark SET next_upto = (SELECT max(id) FROM comments), "
          + "next_xmax = (pg_current_xact_id()::text::bigint + 1000000000)::text::xid8");
      comment(bob, post);
      foldAll();
    } finally {
      resume.run();
    }
    assertEquals(counts(COUNTED), counts(FOLDED), "folded in");
    assertKept("the restored note dropped", Map.of("alice", "1/0/0", "bob", "0/2/0"));
  }

  private static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
