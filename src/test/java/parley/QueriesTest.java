package parley;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the server asks PostgreSQL for: the test database logs every statement, so these tests read exactly which
 * statements one request ran, that they were prepared, and how PostgreSQL plans them.
 */
@ExtendWith(TestParley.class)
class QueriesTest {

  /**
   * A statement the server ran. Not anchored at the line's start: without a logging collector every backend writes
   * to the one file, and another writer's unfinished line (a stray "." here, 2 runs in 3 one day) can come just before
   * ours.
   */
  private static final Pattern EXECUTE = Pattern.compile(TestParley.APP_NAME + "LOG:  execute ([^:]+): (.*)$");
  private static final Pattern ANY_LOG_LINE = Pattern.compile("^\\S*(LOG|DETAIL|ERROR|STATEMENT|WARNING|HINT|CONTEXT):");

  private final Api api = Api.local();

  /** The statements the server ran while {@code request} ran, in order. */
  private static List<String> statementsDuring(Runnable request) throws IOException {
    // The periodic jobs (a claim every minute, and what it runs) are paused, and the notifications of the writes
    // that set the test up, made just after them, finished: neither runs during the request.
    Runnable endPause;
    try {
      endPause = TestParley.pauseJobs();
      TestParley.server().running().notifier().idle().toCompletionStage().toCompletableFuture()
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    long before;
    String logged;
    try {
      before = PG_LOG_LENGTH();
      request.run();
      logged = loggedUntilNow(before);
    } finally {
      endPause.run();
    }
    List<String> statements = new ArrayList<>();
    StringBuilder current = null;
    for (String line : logged.split("\n")) {
      Matcher m = EXECUTE.matcher(line);
      if (m.find()) {
        if (current != null) statements.add(current.toString());
        assertFalse(m.group(1).contains("unnamed"), "every statement is prepared: " + line);
        current = new StringBuilder(m.group(2));
      } else if (ANY_LOG_LINE.matcher(line).find()) {
        if (current != null) statements.add(current.toString());
        current = null;
      } else if (current != null) {
        current.append('\n').append(line);
      }
    }
    if (current != null) statements.add(current.toString());
    // The node's roster heartbeat (every 10 s, on its own timer, not a job) is no request's: one fell inside a
    // request's window in a full run (2026-12-06).
    statements.removeIf(sql -> sql.contains("node_roster"));
    return statements;
  }

  /**
   * The log from {@code offset} up to a marker statement run now: PostgreSQL's logger writes lines a moment after the
   * statements ran, so the request's last statements can still be on their way when its answer arrives. Everything
   * the request ran was logged before a statement that started after it answered.
   */
  private static String loggedUntilNow(long offset) throws IOException {
    String marker = "queries-test-marker-" + java.util.UUID.randomUUID();
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      s.execute("SELECT '" + marker + "'");
    } catch (Exception e) {
      throw new IOException(e);
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    String log = readFrom(offset);
    while (!log.contains(marker)) {
      assertTrue(System.nanoTime() < deadline, "PostgreSQL logged the marker within 10 s");
      try {
        Thread.sleep(5);  // a file has no completion to await: poll it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      log = readFrom(offset);
    }
    String upToMarker = log.substring(0, log.indexOf(marker));
    return upToMarker.substring(0, Math.max(0, upToMarker.lastIndexOf('\n') + 1));
  }

  private static long PG_LOG_LENGTH() throws IOException {
    return TestParley.PG_LOG.toFile().length();
  }

  private static String readFrom(long offset) throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(TestParley.PG_LOG.toFile(), "r")) {
      byte[] bytes = new byte[(int) (file.length() - offset)];
      file.seek(offset);
      file.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /** PostgreSQL's plan for a logged statement, with sequential scans and sorts priced out of reach. */
  private static String plan(String sql, String... args) throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      s.execute("SET enable_seqscan = off");
      s.execute("SET enable_sort = off");
      s.execute("PREPARE q AS " + sql);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = s.executeQuery("EXPLAIN EXECUTE q(" + String.join(", ", args) + ")")) {
        while (rs.next()) plan.append(rs.getString(1)).append('\n');
      }
      s.execute("DEALLOCATE q");
      return plan.toString();
    }
  }

  private static void assertServedByIndex(String plan) {
    assertFalse(plan.contains("Seq Scan"), plan);
    assertFalse(plan.contains("Sort"), "the list order comes from an index, not a sort:\n" + plan);
    assertTrue(plan.contains("Index"), plan);
  }

  @Test
  void aPageOfPostsIsOnePreparedQueryWhateverItHolds() throws Exception {
    for (int i = 0; i < 30; i++) api.createPost(api.register("author" + i), "Post " + i);
    List<String> first = statementsDuring(() -> assertEquals(200, api.get("/api/posts?limit=25").status()));
    assertEquals(1, first.size(), first.toString());
    String cursor = api.get("/api/posts?limit=25").json().getString("nextCursor");
    List<String> second = statementsDuring(() -> api.get("/api/posts?limit=25&cursor=" + cursor));
    assertEquals(first, second, "the same prepared statement serves every page");
  }

  @Test
  void aPageOfCommentsIsOnePreparedQueryWhateverItHolds() throws Exception {
    Api.Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    Long parent = null;
    for (int i = 0; i < 40; i++) {
      long id = api.comment(api.register("commenter" + i), post, "comment " + i, parent);
      parent = i % 3 == 0 ? Long.valueOf(id) : null;
    }
    List<String> statements = statementsDuring(() ->
        assertEquals(40, api.get("/api/posts/" + post + "/comments?limit=100").items().size()));
    assertEquals(1, statements.size(), statements.toString());
  }

  /** What a write's statement is, for reading its order at a glance. */
  private static String kindOf(String sql) {
    if (sql.contains("FOR NO KEY UPDATE") && sql.contains("INSERT INTO comments")) {
      return "the comment: list checked, key claimed, thread locked, parent and blocks, counted, inserted";
    }
    if (sql.contains("FROM users WHERE id")) return "who is asking";
    if (sql.contains("SELECT request_hash")) return "stored answer?";
    if (sql.startsWith("INSERT INTO idempotency_keys")) return "claim";
    if (sql.contains("FROM mod_filters")) return "filters";
    if (sql.contains("unnest(") && sql.contains("INSERT INTO events")) return "appends, all at once";
    if (sql.contains("INSERT INTO topic_seqs")) return "append, numbered";
    if (sql.contains("events_global_seq")) return "append, shared";
    if (sql.contains("UPDATE idempotency_keys")) return "store the answer";
    return sql;
  }

  @Test
  void aCommentClaimsItsKeyFirstLocksInTheThreadsOrderAndStoresItsAnswerLast() throws Exception {
    Api.Session alice = api.register("alice");
    Api.Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    // The node reads the moderators' list once, with a first comment; after that a comment reads nothing first.
    api.comment(alice, post, "the node's first comment, or not", null);
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    List<String> statements = statementsDuring(() -> {
      try {
        var request = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(TestParley.baseUrl() + "/api/posts/" + post + "/comments"))
            .header("Content-Type", "application/json").header("Authorization", "Bearer " + bob.token())
            .header("Idempotency-Key", "order-1")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"body\":\"in order\"}")).build();
        assertEquals(201, client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    // The statements PostgreSQL ran, in the order it ran them (the notifier's, which may start before the answer
    // is sent, are left out): sent in batches without waiting, they still run in the order documented in
    // Comments and EventLog.
    List<String> all = statements.stream().filter(sql -> !sql.contains("notification")).map(QueriesTest::kindOf)
        .toList();
    // The notifier's own transaction starts after this one commits (its event append may be logged before the
    // marker that ends the window): the comment's statements end with its stored answer.
    List<String> kinds = all.contains("store the answer") ? all.subList(0, all.indexOf("store the answer") + 1) : all;
    // No "stored answer?" before a first request: that lookup is made only for a key already taken. No claim and no
    // list read before the comment's statement: it claims the key and checks the list the node read (sent behind
    // BEGIN without waiting for it).
    assertEquals(List.of("who is asking",
        "the comment: list checked, key claimed, thread locked, parent and blocks, counted, inserted",
        "appends, all at once", "store the answer"), kinds, statements.toString());
  }

  @Test
  void aSignedInReaderCostsOneQueryForTheirOverlayAndNoneOnceItIsKept() throws Exception {
    Api.Session alice = api.register("alice");
    api.createPost(alice, "Post");
    // Her account is kept since she posted; the page is read anonymously and her overlay on it queried.
    List<String> first = statementsDuring(() -> api.get("/api/posts", alice));
    assertEquals(2, first.size(), first.toString());
    assertTrue(first.get(1).contains("FROM post_votes"), first.toString());
    List<String> again = statementsDuring(() -> api.get("/api/posts", alice));
    assertEquals(List.of(), again, "a signed-in hit runs no query at all");
  }

  @Test
  void theFeedIsReadInIndexOrder() throws Exception {
    api.createPost(api.register("alice"), "Post");
    String sql = statementsDuring(() -> api.get("/api/posts")).get(0);
    assertServedByIndex(plan(sql, "NULL", "21", "0", "NULL"));
    assertServedByIndex(plan(sql, "NULL", "21", "7", "100"));
  }

  @Test
  void theActiveFeedIsReadInTheActivityIndexOrder() throws Exception {
    Api.Session alice = api.register("alice");
    long post = api.createPost(alice, "Post");
    api.comment(alice, post, "bump", null);
    String sql = statementsDuring(() -> api.get("/api/posts?sort=active")).get(0);
    String first = plan(sql, "NULL", "21", "0", "NULL", "NULL");
    String later = plan(sql, "NULL", "21", "0", "100", "'" + java.time.OffsetDateTime.now() + "'");
    assertServedByIndex(first);
    assertServedByIndex(later);
    assertTrue(first.contains("post_activity_active") && later.contains("post_activity_active"), first + later);
  }

  @Test
  void aThreadIsReadInIndexOrder() throws Exception {
    Api.Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    api.comment(alice, post, "hello", null);
    // A community's shape (many threads, each a small share of all comments) and fresh statistics, so the plan
    // does not depend on what earlier tests left in PostgreSQL's statistics.
    TestParley.sql("INSERT INTO posts (author_id, title, body, body_html, excerpt) "
        + "SELECT " + alice.id() + ", 't' || g, 'b', '<p>b</p>', 'b' FROM generate_series(1, 200) g");
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) "
        + "SELECT p.id, " + alice.id() + ", 'c', '<p>c</p>' FROM posts p, generate_series(1, 20)");
    TestParley.sql("ANALYZE posts");
    TestParley.sql("ANALYZE comments");
    String sql = statementsDuring(() -> api.get("/api/posts/" + post + "/comments")).get(0);
    String plan = plan(sql, Long.toString(post), "NULL", "51", "0", "false");
    // The page is cut straight off the comments_thread index (Limit over the index scan); the outer ORDER BY
    // only re-sorts that page's rows, which keeps the order guaranteed without reading more than one page.
    assertFalse(plan.contains("Seq Scan"), plan);
    assertTrue(Pattern.compile("Limit .*\\n\\s+->  Index Scan using comments_thread").matcher(plan).find(), plan);
  }

  @Test
  void profileCountsUseTheAuthorIndexes() throws Exception {
    api.register("alice");
    // Many authors, each a small share of the content, with fresh statistics: the plan is then the planner's choice
    // for these tables, not for whatever statistics an earlier test (or autovacuum, at its own moment) left behind.
    // CI once saw the comments counted through the thread index, read whole, on statistics of another test's rows.
    manyAuthors();
    String sql = statementsDuring(() -> api.get("/api/users/alice")).get(0);
    String plan = plan(sql, "'alice'");
    // Any index with the listed predicate will do for posts (posts_by_author, or a feed index filtered by author):
    // what matters is that no count reads the whole table. FeedPlansTest checks the plans at scale.
    assertFalse(plan.contains("Seq Scan"), plan);
    assertTrue(plan.contains("comments_by_author"), plan);
  }

  /** 100 more authors with 5 posts each and 3 comments on each post, and the tables analyzed. */
  private static void manyAuthors() throws Exception {
    TestParley.sql("INSERT INTO users (username, email, email_key, password_hash) "
        + "SELECT 'user' || g, 'user' || g || '@example.org', 'user' || g || '@example.org', 'x' "
        + "FROM generate_series(1, 100) g");
    TestParley.sql("INSERT INTO posts (author_id, title, body, body_html, excerpt) "
        + "SELECT u.id, 't', 'b', '<p>b</p>', 'b' FROM users u, generate_series(1, 5)");
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) "
        + "SELECT p.id, p.author_id, 'c', '<p>c</p>' FROM posts p, generate_series(1, 3)");
    TestParley.sql("ANALYZE users");
    TestParley.sql("ANALYZE posts");
    TestParley.sql("ANALYZE comments");
  }

  @Test
  void aProfilesListsAreReadThroughTheAuthorIndexes() throws Exception {
    Api.Session alice = api.register("alice");
    long post = api.createPost(alice, "Mine");
    api.comment(alice, post, "mine too", null);
    // Many authors, each a small share of the content, with fresh statistics (as in aThreadIsReadInIndexOrder).
    manyAuthors();
    // Hidden and held comments all over the site, alice's a few of them: her own are read through her index of them,
    // not through the site's list of hidden and held comments (comments_flagged, by thread), whatever its size.
    TestParley.sql("UPDATE comments SET hidden_at = now() WHERE id % 4 = 0 AND author_id <> " + alice.id());
    TestParley.sql("UPDATE comments SET pending_at = now() WHERE id % 4 = 1 AND author_id <> " + alice.id());
    TestParley.sql("ANALYZE comments");
    String posts = statementsDuring(() -> api.get("/api/users/alice/posts")).get(0);
    String comments = statementsDuring(() -> api.get("/api/users/alice/comments")).get(0);
    String postsPlan = plan(posts, "'alice'", "NULL", "21", "0");
    String commentsPlan = plan(comments, "'alice'", "NULL", "51", "0");
    assertTrue(postsPlan.contains("posts_by_author"), postsPlan);
    assertTrue(commentsPlan.contains("comments_by_author"), commentsPlan);
    assertFalse(postsPlan.contains("Seq Scan") || commentsPlan.contains("Seq Scan"), postsPlan + commentsPlan);
    // Read by alice herself, with her hidden and pending ones: the same indexes, and the restricted ones beside.
    String own = Long.toString(alice.id());
    String ownPosts = plan(posts, "'alice'", "NULL", "21", own);
    String ownComments = plan(comments, "'alice'", "NULL", "51", own);
    assertTrue(ownPosts.contains("posts_by_author"), ownPosts);
    assertTrue(ownComments.contains("comments_by_author") && ownComments.contains("comments_restricted_by_author"),
        ownComments);
    assertFalse(ownPosts.contains("Seq Scan") || ownComments.contains("Seq Scan"), ownPosts + ownComments);
  }
}
