package parley.comment;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Many comments at once on one thread, their statements sent in batches without waiting: the post row still
 * serialises them, so the thread's events are numbered 1, 2, 3... without a gap, in the order the comments were
 * written (their ids), the feed's counts rise one by one in that order, and each notified user's topic is
 * numbered without a gap too.
 */
@ExtendWith(TestParley.class)
class CommentOrderTest {

  private static final int COMMENTS = 48;
  private static final int AT_ONCE = 12;
  private final Api api = Api.local();

  /** One column of a query's rows, in order. */
  private static List<Long> column(String query) throws Exception {
    List<Long> values = new ArrayList<>();
    try (Connection c = TestParley.db().getConnection(); PreparedStatement s = c.prepareStatement(query);
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) values.add(rs.getLong(1));
    }
    return values;
  }

  private static List<Long> oneTo(long n) {
    List<Long> out = new ArrayList<>();
    for (long i = 1; i <= n; i++) out.add(i);
    return out;
  }

  @Test
  void concurrentCommentsOnOneThreadAreNumberedWithoutGapsInTheOrderWritten() throws Exception {
    Session alice = api.register("alice");
    List<Session> writers = List.of(api.register("bob"), api.register("carol"), api.register("dave"), alice);
    long post = api.createPost(alice, "Busy thread");
    ExecutorService pool = Executors.newFixedThreadPool(AT_ONCE);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<Response>> sent = new ArrayList<>();
      for (int i = 0; i < COMMENTS; i++) {
        Session as = writers.get(i % writers.size());
        String body = "comment " + i;
        sent.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
            return api.post("/api/posts/" + post + "/comments", as, new JsonObject().put("body", body));
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        }, pool));
      }
      go.countDown();
      for (CompletableFuture<Response> f : sent) {
        Response r = f.get(60, TimeUnit.SECONDS);
        assertEquals(201, r.status(), r.toString());
      }
    } finally {
      pool.shutdownNow();
    }

    String thread = "'parley.post." + post + "'";
    assertEquals(COMMENTS, TestParley.count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
    assertEquals(oneTo(COMMENTS), column("SELECT seq FROM events WHERE topic = " + thread + " ORDER BY seq"),
        "the thread's events are numbered without a gap");
    assertEquals(COMMENTS, TestParley.count("SELECT seq FROM topic_seqs WHERE topic = " + thread));
    List<Long> ids = column("SELECT id FROM comments WHERE post_id = " + post + " ORDER BY id");
    assertEquals(ids, column("SELECT (data->>'id')::bigint FROM events WHERE topic = " + thread + " ORDER BY seq"),
        "the thread hears of the comments in the order they were written");
    assertEquals(oneTo(COMMENTS), column("SELECT (data->>'commentCount')::bigint FROM events WHERE topic = "
        + "'parley.feed' AND type = 'post.stats' AND (data->>'postId')::bigint = " + post + " ORDER BY seq"),
        "the feed's count rises one comment at a time, in order");
    long toAlice = COMMENTS - COMMENTS / writers.size();
    String aliceTopic = "'parley.user." + alice.id() + "'";
    assertEquals(toAlice, TestParley.count("SELECT count(*) FROM events WHERE topic = " + aliceTopic
        + " AND type = 'reply.created'"), "the post's author heard of every comment but her own");
    // Her topic also carries the notifier's announcements; whatever has committed is numbered without a gap.
    List<Long> seqs = column("SELECT seq FROM events WHERE topic = " + aliceTopic + " ORDER BY seq");
    assertEquals(oneTo(seqs.size()), seqs, "the post's author's topic is numbered without a gap");
  }
}
