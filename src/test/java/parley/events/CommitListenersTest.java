package parley.events;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.TestParley;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** In-process listeners hear every committed write, with its events, and nothing of a write that failed. */
@ExtendWith(TestParley.class)
class CommitListenersTest {

  private final Api api = Api.local();

  @Test
  void aListenerHearsACommittedWriteAndNothingOfARefusedOne() throws Exception {
    Api.Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    CompletableFuture<List<LiveEvent>> heard = new CompletableFuture<>();
    Runnable remove = TestParley.server().running().commits().add(events -> {
      // A refused write would be heard first if refused writes were heard at all.
      heard.complete(events);
    });
    try {
      assertEquals(404, api.post("/api/posts/999999/comments", alice, new JsonObject().put("body", "nowhere")).status());
      long comment = api.comment(alice, post, "heard", null);
      List<LiveEvent> events = heard.get(10, TimeUnit.SECONDS);
      assertEquals(List.of("comment.created parley.post." + post, "post.stats parley.feed", "comment.created parley.mod"),
          events.stream().map(e -> e.type() + " " + e.topic()).toList());
      assertEquals(comment, new JsonObject(events.get(0).envelope()).getJsonObject("data").getLong("id"));
    } finally {
      remove.run();
    }
  }
}
