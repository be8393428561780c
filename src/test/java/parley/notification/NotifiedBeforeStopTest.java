package parley.notification;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A node that stops makes the notifications of its last writes before it closes the database. They are made after
 * each write's commit; closing the pools under them left them to the next node's catch-up, a minute and more later
 * (a rolling-restart probe saw 84 s).
 */
@ExtendWith(TestParley.class)
class NotifiedBeforeStopTest {

  @Test
  void theLastWritesBeforeAStopAreNotifiedBeforeTheDatabaseCloses() throws Exception {
    Main.Running server = TestParley.startServer(Map.of());
    Api api = new Api("http://localhost:" + server.port());
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Ask me anything");
    List<CompletableFuture<Long>> replies = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      int n = i;
      replies.add(CompletableFuture.supplyAsync(() -> api.comment(bob, post, "reply " + n, null)));
    }
    for (CompletableFuture<Long> reply : replies) reply.get(60, TimeUnit.SECONDS);
    server.stop();
    assertEquals(40, TestParley.count("SELECT count(*) FROM notifications WHERE user_id = " + alice.id()
        + " AND post_id = " + post), "every acknowledged reply notified its post's author before the stop ended");
  }
}
