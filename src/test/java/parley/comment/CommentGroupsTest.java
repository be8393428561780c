package parley.comment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit (Comments.insert): new comments that arrive while the node's group is in flight are written together
 * in the next one transaction, and each still gets its own answer. On a server with one HTTP event loop (and one
 * with two, for the hand-over between loops), so which comments share a group is known: a first comment is held on its thread's post row (a transaction of the
 * test's holds it), every comment sent meanwhile waits, and once the row is let go they go as one group.
 */
@ExtendWith(TestParley.class)
class CommentGroupsTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static Main.Running server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    server = TestParley.startServer(Map.of(AppConfig.HTTP_INSTANCES, "1"));
    api = new Api("http://localhost:" + server.port());
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  /** A comment to send: who, where, what, with which Idempotency-Key (or none). */
  private record Send(Session as, long post, JsonObject body, String key) {
    static Send of(Session as, long post, String text) {
      return new Send(as, post, new JsonObject().put("body", text), UUID.randomUUID().toString());
    }
  }

  private static Response send(Send s) {
    return send(s, CLIENT);
  }

  private static Response send(Send s, HttpClient client) {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create(api.baseUrl() + "/api/posts/" + s.post() + "/comments"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + s.as().token())
        .POST(HttpRequest.BodyPublishers.ofString(s.body().encode()));
    if (s.key() != null) request.header("Idempotency-Key", s.key());
    try {
      HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r.headers());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Counter arrived() {
    return server.meters().find("parley_comment_group_members").counter();
  }

  private static DistributionSummary groups() {
    return server.meters().find("parley_comment_group_size").summary();
  }

  private static double fallbacks() {
    return server.meters().find("parley_comment_group_fallbacks").counter().count();
  }

  /**
   * Sends {@code first} while the test holds its thread's post row, then every one of {@code together} once the
   * first waits for that row, and lets the row go once all of them have reached the group commit (nothing to await
   * but the server's own counters and PostgreSQL's view of its sessions: polled). Returns the answers in the order
   * given, the first's first.
   */
  private static List<Response> heldThenTogether(Send first, List<Send> together) throws Exception {
    return heldThenTogether(first, together, false);
  }

  /** As above; with {@code ownConnections}, each comment on a connection of its own. */
  private static List<Response> heldThenTogether(Send first, List<Send> together, boolean ownConnections)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(together.size() + 1);
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT id FROM posts WHERE id = " + first.post() + " FOR NO KEY UPDATE");
      double before = arrived().count();
      List<CompletableFuture<Response>> sent = new ArrayList<>();
      sent.add(CompletableFuture.supplyAsync(() -> send(first), pool));
      TestParley.awaitUntil(() -> waitingForARowLock() > 0, "the first comment waits for its thread's post row");
      for (Send each : together) {
        HttpClient client = ownConnections
            ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build() : CLIENT;
        sent.add(CompletableFuture.supplyAsync(() -> send(each, client), pool));
      }
      TestParley.awaitUntil(() -> arrived().count() - before == together.size() + 1,
          "every comment reached the group commit");
      c.commit();
      List<Response> answers = new ArrayList<>();
      for (CompletableFuture<Response> f : sent) answers.add(f.get(30, TimeUnit.SECONDS));
      return answers;
    } finally {
      pool.shutdownNow();
    }
  }

  private static long waitingForARowLock() throws Exception {
    try (Connection c = TestParley.db().getConnection(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            + "AND (query LIKE '%FROM posts WHERE id = ANY(%' OR query LIKE '%post_activity%'"
            // A group's statement: its locks come later than the part of it pg_stat_activity keeps.
            + " OR query LIKE 'WITH m AS (%')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long count(String query) throws Exception {
    return TestParley.count(query);
  }

  @Test
  void commentsSentWhileAGroupIsInFlightAreWrittenTogetherInOneTransaction() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Busy");
    List<Send> together = new ArrayList<>();
    for (int i = 0; i < 12; i++) together.add(Send.of(api.register("writer" + i), post, "comment " + i));
    long groupsBefore = groups().count();
    double membersBefore = groups().totalAmount();
    double keptBefore = keptConnections();

    List<Response> answers = heldThenTogether(Send.of(alice, post, "first"), together);

    for (Response r : answers) assertEquals(201, r.status(), r.toString());
    // The first alone, then the twelve in one transaction: now() is a transaction's start, the same for all of it.
    assertEquals(2, groups().count() - groupsBefore, "two transactions");
    assertEquals(13.0, groups().totalAmount() - membersBefore, "the first alone, then twelve together");
    assertEquals(2, count("SELECT count(DISTINCT created_at) FROM comments WHERE post_id = " + post));
    assertEquals(13, count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
    // Each comment has its own answer, its own id, its own stored key, and its events numbered in its order.
    assertEquals(13, answers.stream().map(r -> r.json().getLong("id")).distinct().count());
    assertEquals(13, count("SELECT count(*) FROM idempotency_keys WHERE status = 201"));
    assertEquals(13, count("SELECT count(*) FROM events e JOIN comments c ON c.id = (e.data->>'id')::bigint "
        + "WHERE e.topic = 'parley.post." + post + "' AND e.seq = (SELECT count(*) FROM comments d "
        + "WHERE d.post_id = c.post_id AND d.id <= c.id)"), "the thread's events are numbered in the comments' order");
    for (int i = 0; i < together.size(); i++) {
      assertEquals("comment " + i, answers.get(i + 1).json().getString("body"), "each gets its own comment");
    }
    assertEquals(13, count("SELECT count(*) FROM thread_commenters WHERE post_id = " + post));
    assertCommentersAsWritten();
    // The twelve were waiting when the first committed: written on its connection, which then went back to the pool.
    assertEquals(1.0, keptConnections() - keptBefore, "the second group on the first's connection");
    TestParley.awaitUntil(() -> server.meters().find("vertx.pool.in.use").tag("pool_name", "parley-rest").gauge()
        .value() == 0, "the writer's connection back in the pool once no comment waits");
  }

  private static double keptConnections() {
    return server.meters().find("parley_comment_group_connections_kept").counter().count();
  }

  /**
   * With two HTTP event loops, comments that arrive on either go into the one group in flight for the node (one
   * writer: two loops' groups at once kept waiting for each other's rows). Each comment comes on a connection of its
   * own, and Vert.x hands connections to the loops in turn, so some arrive on the loop that does not write.
   */
  @Test
  void commentsArrivingOnEitherEventLoopAreWrittenInTheNodesOneGroup() throws Exception {
    onTwoLoops(Map.of(), () -> {
      Session alice = api.register("alice");
      long post = api.createPost(alice, "Busy on two loops");
      List<Send> together = new ArrayList<>();
      for (int i = 0; i < 8; i++) together.add(Send.of(api.register("writer" + i), post, "comment " + i));
      double handedBefore = server.meters().find("parley_comment_group_handovers").counter().count();

      List<Response> answers = heldThenTogether(Send.of(alice, post, "first"), together, true);

      for (Response r : answers) assertEquals(201, r.status(), r.toString());
      assertEquals(2, groups().count(), "the first alone, then the eight together: " + groups().totalAmount());
      assertEquals(9.0, groups().totalAmount());
      assertEquals(2, count("SELECT count(DISTINCT created_at) FROM comments WHERE post_id = " + post),
          "two transactions");
      assertTrue(server.meters().find("parley_comment_group_handovers").counter().count() - handedBefore >= 1,
          "some came on the other loop and were handed to the writer's");
      for (int i = 0; i < together.size(); i++) {
        assertEquals("comment " + i, answers.get(i + 1).json().getString("body"), "each gets its own comment");
      }
    });
  }

  private interface Body {
    void run() throws Exception;
  }

  /**
   * Runs {@code body} with {@link #server} and {@link #api} on a node of two event loops (and {@code settings}), which
   * is stopped afterwards unless the body stopped it; then the one-loop node is back.
   */
  private static void onTwoLoops(Map<String, String> settings, Body body) throws Exception {
    Main.Running oneLoop = server;
    Api oneLoopApi = api;
    Map<String, String> all = new java.util.HashMap<>(settings);
    all.put(AppConfig.HTTP_INSTANCES, "2");
    server = TestParley.startServer(all);
    api = new Api("http://localhost:" + server.port());
    try {
      body.run();
    } finally {
      try {
        if (!server.draining().get()) server.stop();
      } finally {
        server = oneLoop;
        api = oneLoopApi;
      }
    }
  }

  /**
   * A node shutting down while the other loop's comment waits in the writer's stuck group: the writer's verticle,
   * with no request of its own left, must not finish stopping first. If it did, the timers set on its loop (the
   * group's request deadline, a waiting comment's wait limit) went with it, and the comment waited as long as the
   * database did, past the shutdown grace, to be cut off unanswered.
   */
  @Test
  void aCommentHandedToTheWriterIsAnsweredAtItsDeadlineWhileTheNodeStops() throws Exception {
    onTwoLoops(Map.of(AppConfig.DATABASE_TIMEOUT, "1s", AppConfig.DATABASE_DEADLINE, "5s", AppConfig.SEARCH_TIMEOUT,
        "1s", AppConfig.SHUTDOWN_GRACE, "60s"), () -> {
      Main.Running stopping = server;
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        stoppedWhileStuck(stopping, pool);
      } finally {
        pool.shutdownNow();
      }
    });
  }

  private static void stoppedWhileStuck(Main.Running stopping, ExecutorService pool) throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Stopped while stuck");
    // The writer is whichever loop writes first; a client whose comment is then handed over is on the other one.
    // Each probe is a comment on no post, answered 404 at once: nothing is left in flight on the writer's loop.
    assertEquals(201, send(Send.of(alice, post, "makes a writer")).status());
    HttpClient otherLoop = null;
    for (int i = 0; i < 20 && otherLoop == null; i++) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      double before = server.meters().find("parley_comment_group_handovers").counter().count();
      assertEquals(404, send(Send.of(alice, 999_999, "probe"), client).status());
      if (server.meters().find("parley_comment_group_handovers").counter().count() > before) otherLoop = client;
    }
    assertNotNull(otherLoop, "a connection on the loop that is not the writer's");
    HttpClient handedOver = otherLoop;
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT id FROM posts WHERE id = " + post + " FOR NO KEY UPDATE");
      CompletableFuture<Response> stuck = CompletableFuture.supplyAsync(
          () -> send(Send.of(alice, post, "handed over, then stuck"), handedOver), pool);
      TestParley.awaitUntil(() -> waitingForARowLock() > 0,
          "the handed-over comment's group waits for the thread's row");
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
        try {
          stopping.stop();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, pool);
      // The node is stopping before the comment's deadline has passed: what follows is the stop's doing.
      TestParley.awaitUntil(() -> stopping.draining().get(), "the node began to stop");
      assertTrue(!stuck.isDone(), "still waiting when the node began to stop");
      // Answered at its 5 s deadline while the row is still held, and long before the 60 s grace.
      Response answer = stuck.get(30, TimeUnit.SECONDS);
      assertEquals(503, answer.status(), answer.toString());
      c.rollback();
      stopped.get(60, TimeUnit.SECONDS);
    }
    assertEquals(0, count("SELECT count(*) FROM comments WHERE body = 'handed over, then stuck'"));
  }

  @Test
  void eachCommentOfAGroupGetsItsOwnRefusalAndTheRefusedWriteNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mallory = api.register("mallory");
    long open = api.createPost(alice, "Open");
    long other = api.createPost(bob, "Another thread");
    long locked = api.createPost(alice, "Locked");
    long gone = api.comment(bob, open, "soon deleted", null);
    assertEquals(204, api.delete("/api/comments/" + gone, bob).status());
    long bobs = api.comment(bob, other, "Bob's own", null);
    TestParley.sql("UPDATE posts SET locked_at = now() WHERE id = " + locked);
    TestParley.sql("INSERT INTO blocks (blocker_id, blocked_id) VALUES (" + bob.id() + ", " + mallory.id() + ")");
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES "
        + "('word', 'forbidden', 'refuse', " + alice.id() + "), ('word', 'doubtful', 'hold', " + alice.id() + ")");
    long commentsBefore = count("SELECT count(*) FROM comments");

    List<Send> together = List.of(
        Send.of(bob, open, "accepted on the open thread"),
        Send.of(bob, locked, "on a locked thread"),
        new Send(bob, open, new JsonObject().put("body", "a reply to a deleted comment").put("parentId", gone),
            UUID.randomUUID().toString()),
        Send.of(mallory, other, "on the thread of someone who blocked me"),
        Send.of(bob, open, "a forbidden word"),
        Send.of(bob, 999_999, "on no thread at all"),
        Send.of(mallory, open, "a doubtful word"),
        new Send(mallory, other, new JsonObject().put("body", "a reply on another thread").put("parentId", bobs),
            null),
        Send.of(alice, other, "accepted on another thread"));
    List<Response> answers = heldThenTogether(Send.of(alice, open, "first"), together);

    assertEquals(201, answers.get(0).status(), answers.get(0).toString());
    assertOwn(answers.get(1), 201, null);
    assertOwn(answers.get(2), 409, "conflict");
    assertOwn(answers.get(3), 409, "conflict");
    assertOwn(answers.get(4), 403, "forbidden");
    assertOwn(answers.get(5), 422, "refused");
    assertOwn(answers.get(6), 404, "not-found");
    assertOwn(answers.get(7), 201, null);
    assertTrue(answers.get(7).json().getBoolean("pending"), "held for review, on its own");
    assertOwn(answers.get(8), 403, "forbidden");
    assertOwn(answers.get(9), 201, null);
    // Written: the first, then three of the group in one transaction; the refused left nothing behind.
    assertEquals(commentsBefore + 4, count("SELECT count(*) FROM comments"));
    assertEquals(1, count("SELECT count(DISTINCT created_at) FROM comments WHERE id > " + bobs
        + " AND body <> 'first'"), "the group's comments share one transaction");
    assertEquals(0, count("SELECT count(*) FROM comments WHERE post_id = " + locked));
    assertEquals(0, count("SELECT count(*) FROM comments WHERE body LIKE '%forbidden%' OR body LIKE '%deleted%'"
        + " OR body LIKE '%blocked me%' OR body LIKE '%no thread%' OR author_id = " + mallory.id()
        + " AND post_id = " + other));
    assertEquals(4, count("SELECT count(*) FROM idempotency_keys"), "keys of the written only (one was sent none)");
    assertEquals(0, count("SELECT COALESCE(sum(seq), 0) FROM topic_seqs WHERE topic = 'parley.post." + locked + "'"));
    assertEquals(2, count("SELECT comment_count FROM post_activity WHERE post_id = " + open), "the pending not counted");
    assertEquals(2, count("SELECT comment_count FROM post_activity WHERE post_id = " + other));
    assertCommentersAsWritten();
  }

  /**
   * The threads' commenters (V17, kept by a trigger per statement, which the notifier reads) are exactly those of
   * the comments written, each with their first comment in the thread: the refused wrote none.
   */
  private static void assertCommentersAsWritten() throws Exception {
    String written = "SELECT post_id, author_id, min(id) FROM comments GROUP BY post_id, author_id";
    String kept = "SELECT post_id, user_id, first_comment_id FROM thread_commenters";
    assertEquals(0, count("SELECT count(*) FROM ((" + written + " EXCEPT " + kept + ") UNION ALL (" + kept
        + " EXCEPT " + written + ")) differ"));
    assertTrue(count("SELECT count(*) FROM thread_commenters") >= 4);
  }

  private static void assertOwn(Response r, int status, String type) {
    assertEquals(status, r.status(), r.toString());
    if (type == null) {
      assertNotNull(r.json().getLong("id"), r.toString());
    } else {
      assertEquals("application/problem+json", r.contentType(), r.toString());
      assertTrue(r.json().getString("type").endsWith("/" + type), r.toString());
    }
  }

  /**
   * A group is screened by the moderators' list the node read last, without reading it again, and its own statement
   * checks that the list is still that one: an entry added, changed or removed elsewhere (another node, here the
   * test's SQL, which the node hears nothing of) decides the very next comment, refused, held or published.
   */
  @Test
  void aListChangedWhereTheNodeCannotSeeItDecidesTheNextComment() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Screened");
    assertEquals(201, send(Send.of(bob, post, "a first comment: the node has read the list")).status());
    long rule = count("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'zanzibarite', "
        + "'refuse', " + alice.id() + ") RETURNING id");
    String text = "a comment with zanzibarite in it";
    Send refused = Send.of(bob, post, text);
    assertOwn(send(refused), 422, "refused");
    assertEquals(0, count("SELECT count(*) FROM idempotency_keys WHERE key = '" + refused.key() + "'"),
        "the refused comment's key given back");

    TestParley.sql("UPDATE mod_filters SET action = 'hold' WHERE id = " + rule);
    Response held = send(Send.of(bob, post, text));
    assertOwn(held, 201, null);
    assertTrue(held.json().getBoolean("pending"), held.toString());

    TestParley.sql("DELETE FROM mod_filters WHERE id = " + rule);
    Response published = send(Send.of(bob, post, text));
    assertOwn(published, 201, null);
    assertTrue(!published.json().getBoolean("pending"), published.toString());
    assertEquals(2, count("SELECT count(*) FROM comments WHERE body = '" + text + "'"), "the held and the published");
    assertEquals(2, count("SELECT comment_count FROM post_activity WHERE post_id = " + post), "the held not counted");
  }

  /**
   * A group whose moderators' list changes under it at each of its screenings is written one by one, each comment
   * screened by the list read in its own transaction, not refused (a review found them all answered 503). Here the
   * group's own statement reads the list through a view that hides its one entry (by the statement's text), so its
   * digest never matches the list the node reads.
   */
  @Test
  void aGroupWhoseListKeepsChangingUnderItIsWrittenOneByOne() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Screened again and again");
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'quagmirish', 'hold', "
        + alice.id() + ")");
    assertEquals(201, send(Send.of(bob, post, "a first comment: the node reads the list with its entry")).status());
    TestParley.sql("ALTER TABLE mod_filters RENAME TO mod_filters_kept");
    TestParley.sql("CREATE VIEW mod_filters AS SELECT * FROM mod_filters_kept "
        + "WHERE current_query() NOT LIKE 'WITH m AS (%'");
    try {
      double before = fallbacks();
      Response held = send(Send.of(bob, post, "a quagmirish comment"));
      assertOwn(held, 201, null);
      assertTrue(held.json().getBoolean("pending"), "screened by the list as it is: " + held);
      assertEquals(before + 1, fallbacks(), "the group gave up after its screenings and was written one by one");
    } finally {
      TestParley.sql("DROP VIEW mod_filters");
      TestParley.sql("ALTER TABLE mod_filters_kept RENAME TO mod_filters");
    }
    assertEquals(1, count("SELECT count(*) FROM comments WHERE body = 'a quagmirish comment' "
        + "AND pending_at IS NOT NULL"));
  }

  @Test
  void theSameKeyTwiceInOneGroupWritesOnceAndReplaysTheAnswer() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Retried");
    Send twice = Send.of(bob, post, "sent twice");
    List<Response> answers = heldThenTogether(Send.of(alice, post, "first"),
        List.of(twice, twice, Send.of(alice, post, "someone else's")));

    Response one = answers.get(1);
    Response two = answers.get(2);
    assertEquals(201, one.status(), one.toString());
    assertEquals(201, two.status(), two.toString());
    assertEquals(one.json().getLong("id"), two.json().getLong("id"), "one comment, its answer twice");
    // Whichever arrived second waited for the next group, where its claim found the first's answer.
    assertEquals(1, java.util.stream.Stream.of(one, two)
        .filter(r -> "true".equals(r.header("Idempotent-Replayed"))).count(), "one of them is the replay");
    assertEquals(201, answers.get(3).status());
    assertEquals(1, count("SELECT count(*) FROM comments WHERE body = 'sent twice'"));
    assertEquals(3, count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
  }

  @Test
  void aGroupWhoseTransactionFailsIsWrittenAgainOneByOne() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Fragile");
    // A rule only a group breaks: PostgreSQL refuses a statement that inserts more than one comment.
    TestParley.sql("""
        CREATE FUNCTION test_one_comment_per_statement() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (SELECT count(*) FROM inserted) > 1 THEN RAISE EXCEPTION 'one comment per statement'; END IF;
          RETURN NULL;
        END $$""");
    TestParley.sql("CREATE TRIGGER test_one_comment_per_statement AFTER INSERT ON comments "
        + "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION test_one_comment_per_statement()");
    try {
      List<Send> together = new ArrayList<>();
      for (int i = 0; i < 6; i++) together.add(Send.of(api.register("writer" + i), post, "comment " + i));
      double fallbacksBefore = fallbacks();

      List<Response> answers = heldThenTogether(Send.of(alice, post, "first"), together);

      for (Response r : answers) assertEquals(201, r.status(), r.toString());
      assertEquals(fallbacksBefore + 1, fallbacks(), "the group failed as a whole once");
      assertEquals(7, count("SELECT count(*) FROM comments WHERE post_id = " + post));
      assertEquals(7, count("SELECT count(DISTINCT created_at) FROM comments WHERE post_id = " + post),
          "then each in its own transaction");
      assertEquals(7, count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
      assertEquals(7, count("SELECT count(*) FROM idempotency_keys WHERE status = 201"));
      assertEquals(7, count("SELECT seq FROM topic_seqs WHERE topic = 'parley.post." + post + "'"),
          "the failed group's events went with it: the thread is numbered without a gap");
    } finally {
      TestParley.sql("DROP TRIGGER test_one_comment_per_statement ON comments");
      TestParley.sql("DROP FUNCTION test_one_comment_per_statement()");
    }
  }
}
