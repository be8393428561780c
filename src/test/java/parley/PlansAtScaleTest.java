package parley;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.comment.CommentSort;
import parley.comment.Comments;
import parley.post.FeedSort;
import parley.post.Posts;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every feed sort, thread sort and search read through its index on a community-shaped database: 100,000 posts and
 * 1,000,000 comments with votes spread over them, generated in one transaction that is rolled back, so the rest of the
 * suite never sees it. Plans are PostgreSQL's own choice after ANALYZE (no planner settings changed): on tables this
 * size a sequential scan or a sort of the whole table would show, and costs a reader seconds.
 */
@ExtendWith(TestParley.class)
class PlansAtScaleTest {

  static final int POSTS = 100_000;
  static final int COMMENTS = 1_000_000;

  /**
   * What comments say: six of the eight sentences hold "garden" (some twice), so it is in 75% of the comments,
   * 750,000 matches with a spread of ranks, like the commonest word of a real forum.
   */
  static final String SENTENCES = "ARRAY['the garden needs more compost before winter comes', "
      + "'my garden is full of weeds and the garden path is gone', 'water the garden early in the morning', "
      + "'a quiet evening reading about old roses', 'the tomatoes in my garden split after the rain', "
      + "'garden garden garden, I think about nothing else', 'nothing grows in this shade except moss and ferns', "
      + "'the allotment garden opens again in spring']";
  static final String ENDINGS = "ARRAY['thanks for sharing', 'I agree with this', 'has anyone tried mulch', "
      + "'what about slugs', 'great photos']";
  /** The word in 750,000 comments. */
  static final String COMMON_WORD = "'garden'";

  /** The community: 1,000 authors, posts over the last year with skewed scores, comments spread over the posts. */
  static void generate(Statement s) throws Exception {
    s.execute("INSERT INTO users (username, email, password_hash, created_at) SELECT 'user' || g, 'user' || g "
        + "|| '@example.org', 'x', now() - interval '2 years' FROM generate_series(1, 1000) g");
    s.execute("INSERT INTO posts (author_id, title, body, body_html, excerpt, created_at, upvotes, downvotes, tags) "
        + "SELECT (SELECT min(id) FROM users) + (g % 1000), 'Post ' || g || ' about topic ' || (g % 500), "
        + "'Body of post ' || g, '<p>Body</p>', 'Body', now() - (g || ' minutes')::interval, "
        + "(power(random(), 6) * 2000)::int, (random() * 5)::int, "
        + "CASE WHEN g % 10 = 0 THEN ARRAY['tag' || (g % 50)] ELSE '{}' END "
        + "FROM generate_series(1, " + POSTS + ") g");
    s.execute("INSERT INTO comments (post_id, author_id, body, body_html, created_at, upvotes, downvotes) "
        + "SELECT (SELECT min(id) FROM posts) + (g % " + POSTS + "), (SELECT min(id) FROM users) + (g % 997), "
        + "'Comment ' || g || ' ' || (" + SENTENCES + ")[1 + g % 8] || ' ' || (" + ENDINGS + ")[1 + (g / 8) % 5], "
        + "'<p>c</p>', now() - ((g / 10) || ' seconds')::interval, "
        + "(power(random(), 4) * 200)::int, (random() * 3)::int FROM generate_series(1, " + COMMENTS + ") g");
    // A thread's ordering depends on the big threads: give one post 20,000 comments.
    s.execute("INSERT INTO comments (post_id, author_id, body, body_html, upvotes) SELECT (SELECT min(id) FROM posts), "
        + "(SELECT min(id) FROM users), 'Busy ' || g, '<p>b</p>', (random() * 50)::int FROM generate_series(1, 20000) g");
    s.execute("ANALYZE users");
    s.execute("ANALYZE posts");
    s.execute("ANALYZE post_activity");
    s.execute("ANALYZE comments");
  }

  static String plan(Statement s, String sql, String... args) throws Exception {
    s.execute("PREPARE q AS " + sql);
    StringBuilder plan = new StringBuilder();
    // The generic plan: what PostgreSQL does for any parameter values, as a cached prepared statement does.
    s.execute("SET plan_cache_mode = force_generic_plan");
    try (ResultSet rs = s.executeQuery("EXPLAIN EXECUTE q(" + String.join(", ", args) + ")")) {
      while (rs.next()) plan.append(rs.getString(1)).append('\n');
    }
    s.execute("DEALLOCATE q");
    return plan.toString();
  }

  /**
   * No scan of a whole big table, one of the indexes named, and no sort of what it read, except (for a thread, whose
   * page is cut off its index by a Limit inside the query) the re-sort of that one page.
   */
  private static void assertServedBy(String what, String plan, String... indexes) {
    assertFalse(plan.contains("Seq Scan on posts") || plan.contains("Seq Scan on comments"), what + "\n" + plan);
    assertTrue(java.util.Arrays.stream(indexes).anyMatch(plan::contains),
        what + " reads " + String.join(" or ", indexes) + "\n" + plan);
    boolean pageCutFromIndex = java.util.regex.Pattern.compile("Limit .*\\n\\s+->  Index Scan( Backward)? using ("
        + String.join("|", indexes) + ")").matcher(plan).find();
    assertTrue(!plan.contains("Sort Key") || pageCutFromIndex, what + " is read in order, not sorted\n" + plan);
  }

  /** Generating a million comments of real sentences and running a common word's search takes minutes here. */
  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void everyFeedAndThreadOrderIsServedByItsIndexAtCommunityScale() throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      try {
        generate(s);
        List<String> failures = new ArrayList<>();
        long first;
        try (ResultSet rs = s.executeQuery("SELECT min(id) FROM posts")) {
          rs.next();
          first = rs.getLong(1);
        }
        String post = Long.toString(first + 1);
        String busy = Long.toString(first);
        check(failures, "feed new", plan(s, Posts.list(FeedSort.NEW), "NULL", "21", "0", "NULL"), "posts_feed", "posts_pkey");
        check(failures, "feed new, page 2", plan(s, Posts.list(FeedSort.NEW), "NULL", "21", "0", "50000"), "posts_feed",
            "posts_pkey");
        check(failures, "feed hot", plan(s, Posts.list(FeedSort.HOT), "NULL", "21", "0", "NULL", "NULL"), "posts_hot");
        check(failures, "feed hot, page 2",
            plan(s, Posts.list(FeedSort.HOT), "NULL", "21", "0", "50000", "'10.5'"), "posts_hot");
        check(failures, "feed top, all",
            plan(s, Posts.list(FeedSort.TOP), "NULL", "21", "0", "NULL", "NULL", "NULL"), "posts_top");
        check(failures, "feed top, page 2",
            plan(s, Posts.list(FeedSort.TOP), "NULL", "21", "0", "50000", "'3'", "NULL"), "posts_top");
        check(failures, "feed active",
            plan(s, Posts.list(FeedSort.ACTIVE), "NULL", "21", "0", "NULL", "NULL"), "post_activity_active");
        check(failures, "feed active, page 2", plan(s, Posts.list(FeedSort.ACTIVE), "NULL", "21", "0", "50000",
            "'" + java.time.OffsetDateTime.now().minusDays(30) + "'"), "post_activity_active");
        check(failures, "feed of a tag", plan(s, Posts.list(FeedSort.NEW), "'tag7'", "21", "0", "NULL"), "posts_");
        check(failures, "thread old", plan(s, Comments.list(CommentSort.OLD), post, "NULL", "51", "0", "false"),
            "comments_thread");
        check(failures, "thread new", plan(s, Comments.list(CommentSort.NEW), post, "NULL", "51", "0", "false"),
            "comments_thread");
        check(failures, "thread best",
            plan(s, Comments.list(CommentSort.BEST), post, "NULL", "51", "0", "false", "NULL"), "comments_best");
        check(failures, "busy thread best, page 2", plan(s, Comments.list(CommentSort.BEST),
            busy, "5000", "51", "0", "false", "0.5"), "comments_best");
        // Search finds its matches through the GIN index and ranks only those (a rank is not an index order).
        checkSearch(failures, "search posts",
            plan(s, parley.search.Search.POSTS, "'topic 42'", "0", "NULL", "NULL", "21"), "posts_search");
        checkSearch(failures, "search comments",
            plan(s, parley.search.Search.COMMENTS, "'comment 4242'", "0", "NULL", "NULL", "21"), "comments_search");
        checkCommonWord(failures, s, parley.search.Search.COMMENTS, "comments_search", COMMON_WORD);
        // Every post title says "topic": 100,000 matches.
        checkCommonWord(failures, s, parley.search.Search.POSTS, "posts_search", "'topic'");
        assertTrue(failures.isEmpty(), String.join("\n\n", failures));
      } finally {
        c.rollback();
      }
    }
  }

  private static void checkSearch(List<String> failures, String what, String plan, String index) {
    if (plan.contains("Seq Scan on posts") || plan.contains("Seq Scan on comments")
        || !plan.contains("Bitmap Index Scan on " + index)) {
      failures.add(what + " finds its matches through " + index + "\n" + plan);
    }
  }

  /**
   * A word in 750,000 comments is found through the GIN index and only the page's rows are kept in the sort: a top-N
   * heapsort in memory over (id, rank), never a sort of every match spilled to disk, which is what made such a word
   * cost seconds and hundreds of megabytes of temporary files. Run, not just planned, with the generic plan the
   * server's cached statement gets and with a custom one; the timings are printed for docs/benchmarks/P10.md.
   */
  private static void checkCommonWord(List<String> failures, Statement s, String sql, String index,
      String word) throws Exception {
    for (String mode : List.of("force_generic_plan", "force_custom_plan")) {
      s.execute("SET plan_cache_mode = " + mode);
      s.execute("PREPARE q AS " + sql);
      StringBuilder lines = new StringBuilder();
      try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS) EXECUTE q(" + word
          + ", 0, NULL, NULL, 21)")) {
        while (rs.next()) lines.append(rs.getString(1)).append('\n');
      }
      String plan = lines.toString();
      s.execute("DEALLOCATE q");
      String what = "search " + index + " for " + word + ", a word in most rows (" + mode + ")";
      System.out.println(what + ":\n" + plan);
      if (!plan.contains("Bitmap Index Scan on " + index) || !plan.contains("top-N heapsort")
          || plan.contains("external") || plan.contains("Disk:") || plan.contains("temp read")
          || plan.contains("temp written")) {
        failures.add(what + " reads " + index + " and keeps only the page in a top-N heapsort in memory\n" + plan);
      }
    }
  }

  private static void check(List<String> failures, String what, String plan, String... indexes) {
    try {
      assertServedBy(what, plan, indexes);
    } catch (AssertionError e) {
      failures.add(e.getMessage());
    }
  }
}
