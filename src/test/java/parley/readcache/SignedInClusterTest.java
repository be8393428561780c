package parley.readcache;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.OwnServer;
import parley.TestParley;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two clustered nodes: a reader's overlays kept on node B (their votes on a page, whether anything of theirs changes
 * it) are retired when the reader changes something of their own through node A, once A's message reaches B. The
 * block and the held comment change no page anyone else reads, so only the reader's own version retires the
 * overlay; after each, B's read equals A's for that reader, byte for byte.
 */
@ExtendWith(TestParley.class)
class SignedInClusterTest {

  private static final Map<String, String> CLUSTERED = OwnServer.clustered(Map.of());

  @RegisterExtension
  static final OwnServer A = new OwnServer(CLUSTERED);
  @RegisterExtension
  static final OwnServer B = new OwnServer(CLUSTERED);

  private final Api onA = new Api("http://localhost:" + A.port());
  private final Api onB = new Api("http://localhost:" + B.port());

  private Session carol;
  private long post;
  private long bobsPost;
  private long bobComment;

  @BeforeEach
  void aThreadAndAReader() throws Exception {
    Session alice = onA.register("alice");
    Session bob = onA.register("bob");
    carol = onA.register("carol");
    Session mod = onA.register("mona");
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    bobsPost = onA.createPost(bob, "Bob's own post");
    post = onA.createPost(alice, "Read on both nodes");
    bobComment = onA.comment(bob, post, "bob's words", null);
  }

  private String page() {
    return "/api/posts/" + post + "/comments?limit=200";
  }

  private static final String FEED = "/api/posts?limit=20&sort=new";

  /** Carol reads the pages on B twice: the second time from her overlays kept there. */
  private void carolsOverlaysKeptOnB() throws InterruptedException {
    bHasHeardEverythingFromA();
    for (String target : List.of(page(), FEED)) onB.get(target, carol);
    double hits = B.counted("parley_read_cache_overlays_requests", "result", "hit");
    for (String target : List.of(page(), FEED)) onB.get(target, carol);
    assertEquals(hits + 2, B.counted("parley_read_cache_overlays_requests", "result", "hit"),
        "B serves carol's pages from her overlays");
  }

  /**
   * Waits until B has heard every invalidation A has made (A's writes before this one included: the set-up's, whose
   * messages may still be on their way, must not be taken for the change's).
   */
  private static void bHasHeardEverythingFromA() throws InterruptedException {
    B.awaitHeardAllOf(A, "parley_read_cache_invalidations");
  }


  private void assertBReadsAsA(String target) {
    Response onNodeB = onB.get(target, carol);
    Response onNodeA = onA.get(target, carol);
    assertEquals(onNodeA.status(), onNodeB.status());
    assertEquals(onNodeA.body(), onNodeB.body(), target);
  }

  @Test
  void aBlockThroughNodeAIsSeenOnNodeB() throws Exception {
    carolsOverlaysKeptOnB();
    assertEquals(204, onA.put("/api/me/blocks/bob", carol, new JsonObject()).status());
    bHasHeardEverythingFromA();
    assertTrue(onB.get(page(), carol).item(bobComment).getBoolean("blocked"));
    assertFalse(onB.get(FEED, carol).ids().contains(bobsPost));
    assertBReadsAsA(page());
    assertBReadsAsA(FEED);
  }

  @Test
  void aVoteThroughNodeAIsSeenOnNodeB() throws Exception {
    carolsOverlaysKeptOnB();
    assertEquals(200, onA.put("/api/comments/" + bobComment + "/vote", carol, new JsonObject().put("value", 1))
        .status());
    bHasHeardEverythingFromA();
    assertEquals(1, onB.get(page(), carol).item(bobComment).getInteger("myVote"));
    assertEquals(200, onA.put("/api/posts/" + post + "/vote", carol, new JsonObject().put("value", 1)).status());
    bHasHeardEverythingFromA();
    assertEquals(1, onB.get(FEED, carol).item(post).getInteger("myVote"));
    // The votes' score events (a moment later) move the thread's seq: the bytes are compared once they are out.
    A.running().scores().idle().toCompletionStage().toCompletableFuture()
        .get(30, java.util.concurrent.TimeUnit.SECONDS);
    bHasHeardEverythingFromA();
    assertBReadsAsA(page());
    assertBReadsAsA(FEED);
  }

  @Test
  void aHeldCommentThroughNodeAIsSeenOnNodeB() throws Exception {
    carolsOverlaysKeptOnB();
    Response held = onA.post("/api/posts/" + post + "/comments", carol,
        new JsonObject().put("body", "carol's heldword comment"));
    assertTrue(held.json().getBoolean("pending"), held.toString());
    bHasHeardEverythingFromA();
    assertTrue(onB.get(page(), carol).ids().contains(held.json().getLong("id")));
    assertBReadsAsA(page());
  }
}
