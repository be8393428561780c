package parley.readcache;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Session;
import parley.OwnServer;
import parley.TestParley;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two clustered nodes in this JVM, each with its own read cache: a write made through node A retires what node B
 * cached, once A's message reaches B (awaited through B's count of invalidations heard from other nodes).
 */
@ExtendWith(TestParley.class)
class ReadCacheClusterTest {

  private static final Map<String, String> CLUSTERED = OwnServer.clustered(Map.of());

  @RegisterExtension
  static final OwnServer A = new OwnServer(CLUSTERED);
  @RegisterExtension
  static final OwnServer B = new OwnServer(CLUSTERED);

  private final Api onA = new Api("http://localhost:" + A.port());
  private final Api onB = new Api("http://localhost:" + B.port());

  private static double counted(OwnServer node, String name, String tag, String value) {
    return node.counted(name, tag, value);
  }

  /** Waits until B has heard of more invalidations from other nodes than {@code before}. */
  private static void awaitHeardOnB(double before) throws InterruptedException {
    B.awaitCounted("parley_read_cache_invalidations", "origin", "remote", before);
  }

  @Test
  void aCommentHiddenThroughNodeAIsGoneFromNodeBsCache() throws Exception {
    Session alice = onA.register("alice");
    Session mod = onA.registerWithRole("mona", "moderator");
    long post = onA.createPost(alice, "Read on both nodes");
    long comment = onA.comment(alice, post, "words to hide", null);
    String page = "/api/posts/" + post + "/comments?limit=200";
    B.awaitHeardAllOf(A, "parley_read_cache_invalidations");
    onB.get(page);
    double hits = counted(B, "parley_read_cache_requests", "result", "hit");
    assertTrue(onB.get(page).body().contains("words to hide"));
    assertEquals(hits + 1, counted(B, "parley_read_cache_requests", "result", "hit"), "B serves the page from its cache");

    double heard = counted(B, "parley_read_cache_invalidations", "origin", "remote");
    assertEquals(204, onA.post("/api/mod/comments/" + comment + "/hide", mod,
        new JsonObject().put("reason", "spam")).status());
    awaitHeardOnB(heard);
    assertFalse(onB.get(page).body().contains("words to hide"));
    assertEquals(onA.get(page).body(), onB.get(page).body());
  }

  @Test
  void aVoteThroughNodeAMovesTheScoreInNodeBsFeed() throws Exception {
    Session alice = onA.register("alice");
    Session bob = onA.register("bob");
    long post = onA.createPost(alice, "Voted on A");
    String feed = "/api/posts?limit=20&sort=top";
    B.awaitHeardAllOf(A, "parley_read_cache_invalidations");
    onB.get(feed);
    assertEquals(0, onB.get(feed).item(post).getInteger("score"));
    double heard = counted(B, "parley_read_cache_invalidations", "origin", "remote");
    assertEquals(200, onA.put("/api/posts/" + post + "/vote", bob, new JsonObject().put("value", 1)).status());
    awaitHeardOnB(heard);
    assertEquals(1, onB.get(feed).item(post).getInteger("score"));
  }
}
