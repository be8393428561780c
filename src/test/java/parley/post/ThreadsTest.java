package parley.post;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link Threads} promises now that a thread's count and activity time live in post_activity and a comment
 * only locks the post row: a comment that waited for a moderator's change of the post sees it, a comment never
 * lands on a thread after its lock, the count stays exact whatever runs at once, and the active order follows it.
 */
@ExtendWith(TestParley.class)
class ThreadsTest {

  private final Api api = Api.local();

  private static long count(String query) throws Exception {
    return TestParley.count(query);
  }

  /** The thread's count, and how many of its comments everyone can see: they must agree. */
  private static void assertCountExact(long post) throws Exception {
    assertEquals(count("SELECT count(*) FROM comments WHERE post_id = " + post
            + " AND deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL"),
        count("SELECT comment_count FROM post_activity WHERE post_id = " + post), "the count of visible comments");
  }

  /**
   * Until a session of the server waits for a row lock in a comment's statement (polled in the database: nothing to
   * await otherwise). A group's statement names its threads' post rows within the first 1,024 characters that
   * pg_stat_activity keeps of a query; a lone comment's names post_activity there.
   */
  private static void awaitLockWait() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Connection c = TestParley.db().getConnection(); ResultSet rs = c.createStatement().executeQuery(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND (query LIKE '%post_activity%'"
              + " OR query LIKE '%FROM posts WHERE id = ANY(%' OR query LIKE 'WITH m AS (%')")) {
        rs.next();
        if (rs.getLong(1) > 0) return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the comment never waited for the post's row");
  }

  /**
   * A moderator's change of the post, made the way Moderation makes it (the post row locked first, then changed),
   * held uncommitted while a comment arrives and waits for the row; then committed. Returns the comment's answer.
   */
  private Response commentWaitingFor(Session as, long post, String change) throws Exception {
    return waitingFor(as, post, new JsonObject().put("body", "just in time?"), "UPDATE posts SET " + change
        + " WHERE id = " + post);
  }

  /**
   * A comment ({@code body}) sent while another transaction holds the post row, as every write to the thread takes
   * it, and makes {@code change} under it; committed once the comment waits.
   */
  private Response waitingFor(Session as, long post, JsonObject body, String change) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT id FROM posts WHERE id = " + post + " FOR NO KEY UPDATE");
      s.execute(change);
      CompletableFuture<Response> sent = CompletableFuture.supplyAsync(
          () -> api.post("/api/posts/" + post + "/comments", as, body), pool);
      awaitLockWait();
      c.commit();
      return sent.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCommentThatWaitedForAHideIsRefusedAndCountsNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "About to be hidden");
    api.comment(bob, post, "before", null);
    Response r = commentWaitingFor(bob, post, "hidden_at = now(), hidden_reason = 'spam'");
    assertEquals(404, r.status(), r.toString());
    assertEquals(1, count("SELECT count(*) FROM comments WHERE post_id = " + post));
    assertEquals(1, count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
  }

  @Test
  void aReplyThatWaitedForItsParentsHideIs409AndWritesNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    long parent = api.comment(alice, post, "about to be hidden", null);
    // The comment reads its parent in the statement that locks the thread, whose snapshot predates the hide: the
    // parent's row lock must find the hidden version.
    Response r = waitingFor(bob, post, new JsonObject().put("body", "reply").put("parentId", parent),
        "UPDATE comments SET hidden_at = now(), hidden_reason = 'spam' WHERE id = " + parent);
    assertEquals(409, r.status(), r.toString());
    assertEquals(1, count("SELECT count(*) FROM comments WHERE post_id = " + post));
    assertEquals(1, count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
  }

  @Test
  void aReplyThatWaitedForItsParentsDeleteIs409() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    long parent = api.comment(alice, post, "about to be deleted", null);
    Response r = waitingFor(bob, post, new JsonObject().put("body", "reply").put("parentId", parent),
        "UPDATE comments SET body = '', body_html = '', deleted_at = now() WHERE id = " + parent);
    assertEquals(409, r.status(), r.toString());
    assertEquals(1, count("SELECT count(*) FROM comments WHERE post_id = " + post));
  }

  @Test
  void aCommentThatWaitedForALockIs409AndCountsNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "About to be locked");
    api.comment(bob, post, "before", null);
    String activeBefore = api.get("/api/posts/" + post).json().getString("lastActivityAt");
    Response r = commentWaitingFor(bob, post, "locked_at = now()");
    assertEquals(409, r.status(), r.toString());
    assertEquals(1, count("SELECT count(*) FROM comments WHERE post_id = " + post));
    JsonObject read = api.get("/api/posts/" + post).json();
    assertEquals(1, read.getInteger("commentCount"));
    assertEquals(activeBefore, read.getString("lastActivityAt"), "a refused comment does not make the thread active");
  }

  @Test
  void aCommentThatWaitedForADeleteIs404() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "About to be deleted");
    Response r = commentWaitingFor(bob, post, "deleted_at = now()");
    assertEquals(404, r.status(), r.toString());
    assertEquals(0, count("SELECT count(*) FROM comments WHERE post_id = " + post));
  }

  @Test
  void noCommentLandsOnAThreadAfterAModeratorLockedIt() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    List<Session> writers = List.of(api.register("bob"), api.register("carol"), api.register("dave"));
    long post = api.createPost(alice, "Locked mid-flight");
    int comments = 30;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<CompletableFuture<Response>> sent = new ArrayList<>();
    try {
      CountDownLatch go = new CountDownLatch(1);
      for (int i = 0; i < comments; i++) {
        Session as = writers.get(i % writers.size());
        String body = "comment " + i;
        sent.add(CompletableFuture.supplyAsync(() -> {
          await(go);
          return api.post("/api/posts/" + post + "/comments", as, new JsonObject().put("body", body));
        }, pool));
        if (i == comments / 3) {
          sent.add(CompletableFuture.supplyAsync(() -> {
            await(go);
            return api.post("/api/mod/posts/" + post + "/lock", mod, null);
          }, pool));
        }
      }
      go.countDown();
      int created = 0;
      for (CompletableFuture<Response> f : sent) {
        Response r = f.get(60, TimeUnit.SECONDS);
        assertTrue(r.status() < 300 || r.status() == 409, r.toString());
        if (r.status() == 201) created++;
      }
      assertEquals(created, count("SELECT count(*) FROM comments WHERE post_id = " + post));
      assertCountExact(post);
    } finally {
      pool.shutdownNow();
    }
    // The thread's events are in commit order (its writes queue on the post row): nothing after the lock.
    String thread = "'parley.post." + post + "'";
    long lockedAt = count("SELECT seq FROM events WHERE topic = " + thread + " AND type = 'post.locked'");
    assertEquals(0, count("SELECT count(*) FROM events WHERE topic = " + thread + " AND type = 'comment.created'"
        + " AND seq > " + lockedAt), "a comment after the lock");
  }

  @Test
  void theCountStaysExactUnderConcurrentCommentsDeletesHidesAndRestores() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    List<Session> writers = List.of(api.register("bob"), api.register("carol"), api.register("dave"));
    long post = api.createPost(alice, "Busy");
    List<Long> old = new ArrayList<>();
    for (int i = 0; i < 24; i++) old.add(api.comment(writers.get(i % 3), post, "old " + i, null));
    for (int i = 0; i < 4; i++) {
      assertTrue(api.post("/api/mod/comments/" + old.get(i) + "/hide", mod,
          new JsonObject().put("reason", "rude")).status() < 300);
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<CompletableFuture<Response>> sent = new ArrayList<>();
    try {
      CountDownLatch go = new CountDownLatch(1);
      for (int i = 0; i < 24; i++) {
        int n = i;
        sent.add(CompletableFuture.supplyAsync(() -> {
          await(go);
          return api.post("/api/posts/" + post + "/comments", writers.get(n % 3),
              new JsonObject().put("body", "new " + n));
        }, pool));
        long target = old.get(i);
        sent.add(CompletableFuture.supplyAsync(() -> {
          await(go);
          if (n < 4) return api.post("/api/mod/comments/" + target + "/restore", mod,
              new JsonObject().put("reason", "fine after all"));
          if (n < 12) return api.delete("/api/comments/" + target, writers.get(n % 3));
          if (n < 18) return api.post("/api/mod/comments/" + target + "/hide", mod,
              new JsonObject().put("reason", "rude"));
          return api.delete("/api/comments/" + target, mod);
        }, pool));
      }
      go.countDown();
      for (CompletableFuture<Response> f : sent) {
        Response r = f.get(60, TimeUnit.SECONDS);
        assertTrue(r.status() < 300, r.toString());
      }
    } finally {
      pool.shutdownNow();
    }
    assertCountExact(post);
    long visible = count("SELECT comment_count FROM post_activity WHERE post_id = " + post);
    assertEquals(visible, api.get("/api/posts/" + post).json().getInteger("commentCount").longValue());
    assertEquals(visible, count("SELECT (data->>'commentCount')::bigint FROM events WHERE topic = 'parley.feed'"
        + " AND type = 'post.stats' AND (data->>'postId')::bigint = " + post + " ORDER BY seq DESC LIMIT 1"),
        "the feed's last count is the count");
  }

  @Test
  void theActiveOrderFollowsPublishedCommentsAndLeavesHiddenThreadsOut() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    long a = api.createPost(alice, "a");
    long b = api.createPost(alice, "b");
    long c = api.createPost(alice, "c");
    assertEquals(List.of(c, b, a), api.get("/api/posts?sort=active").ids());
    long onA = api.comment(bob, a, "bumps a", null);
    assertEquals(List.of(a, c, b), api.get("/api/posts?sort=active").ids());
    JsonObject readA = api.get("/api/posts/" + a).json();
    assertEquals(1, readA.getInteger("commentCount"));
    assertFalse(readA.getString("lastActivityAt").equals(readA.getString("createdAt")), readA.encode());
    // A comment taken away does not make its thread less active.
    assertEquals(204, api.delete("/api/comments/" + onA, bob).status());
    assertEquals(List.of(a, c, b), api.get("/api/posts?sort=active").ids());
    assertEquals(0, api.get("/api/posts/" + a).json().getInteger("commentCount"));
    // A hidden thread leaves the order (the index no longer carries the listed rule: the query does) and comes back.
    assertTrue(api.post("/api/mod/posts/" + a + "/hide", mod, new JsonObject().put("reason", "spam")).status() < 300);
    assertEquals(List.of(c, b), api.get("/api/posts?sort=active").ids());
    assertEquals(List.of(c, b), pages("/api/posts?sort=active", 1));
    assertTrue(api.post("/api/mod/posts/" + a + "/restore", mod,
        new JsonObject().put("reason", "appeal")).status() < 300);
    assertEquals(List.of(a, c, b), pages("/api/posts?sort=active", 1));
  }

  /** Every page of a feed, following its cursor. */
  private List<Long> pages(String path, int limit) {
    List<Long> ids = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = api.get(path + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.getJsonArray("items").forEach(item -> ids.add(((JsonObject) item).getLong("id")));
      cursor = page.getString("nextCursor");
    } while (cursor != null);
    return ids;
  }

  private static void await(CountDownLatch go) {
    try {
      go.await();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
