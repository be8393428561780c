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
import parley.config.ReadCacheSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Signed-in readers served from the anonymous read cache ({@link SignedInReads}) get exactly what their own uncached
 * read gives. Every reader below has one kind of personal state (none, votes, blocks made or suffered, a pending or
 * hidden comment in the thread, a deleted pending comment, a pending post, a ban, a moderator's role, the post's
 * author); each test warms every cached response, makes one kind of change through the API, and compares each
 * reader's next read of every page, byte for byte, with what a node without a cache on the same database answers
 * that same reader.
 */
@ExtendWith(TestParley.class)
class SignedInSafetyTest {

  /** The reference: the same database, read without a cache (and so without the signed-in fast path). */
  @RegisterExtension
  static final OwnServer UNCACHED = new OwnServer(Map.of(ReadCacheSettings.ENABLED, "off"));

  private final Api api = Api.local();
  private final Api reference = new Api("http://localhost:" + UNCACHED.port());

  private Session alice;
  private Session bob;
  private Session mod;
  private Session plain;
  private Session voter;
  private Session blocker;
  private Session blocked;
  private Session pendingAuthor;
  private Session hiddenAuthor;
  private Session deletedPendingAuthor;
  private Session banned;
  private long post;
  private long heldPost;
  private long aliceComment;
  private long bobComment;
  private long pendingComment;
  private long hiddenComment;

  @BeforeEach
  void aThreadAndReadersOfEveryKind() throws Exception {
    alice = api.register("alice");
    bob = api.register("bob");
    mod = api.registerWithRole("mona", "moderator");
    plain = api.register("carol");
    voter = api.register("vera");
    blocker = api.register("dave");
    blocked = api.register("erin");
    pendingAuthor = api.register("frank");
    hiddenAuthor = api.register("gina");
    deletedPendingAuthor = api.register("ivan");
    banned = api.register("hank");
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    api.createPost(bob, "An older post by bob");
    post = api.post("/api/posts", alice, new JsonObject().put("title", "Signed-in thread").put("body", "Original")
        .put("tags", new io.vertx.core.json.JsonArray().add("cache"))).json().getLong("id");
    aliceComment = api.comment(alice, post, "alice says hello", null);
    bobComment = api.comment(bob, post, "bob replies with secret words", aliceComment);
    ok(api.put("/api/posts/" + post + "/vote", voter, new JsonObject().put("value", 1)));
    ok(api.put("/api/comments/" + bobComment + "/vote", voter, new JsonObject().put("value", 1)));
    ok(api.put("/api/me/blocks/bob", blocker, new JsonObject()));
    ok(api.put("/api/me/blocks/erin", bob, new JsonObject()));
    pendingComment = held(pendingAuthor, "frank's heldword comment");
    heldPost = api.post("/api/posts", pendingAuthor, new JsonObject().put("title", "heldword post").put("body", "b"))
        .json().getLong("id");
    hiddenComment = api.comment(hiddenAuthor, post, "gina's comment, soon hidden", null);
    ok(api.post("/api/mod/comments/" + hiddenComment + "/hide", mod, reason()));
    ok(api.delete("/api/comments/" + held(deletedPendingAuthor, "ivan's heldword comment"), deletedPendingAuthor));
    ok(api.post("/api/mod/users/hank/ban", mod, new JsonObject().put("reason", "spam")));
  }

  private long held(Session as, String body) {
    Response r = api.post("/api/posts/" + post + "/comments", as, new JsonObject().put("body", body));
    assertEquals(201, r.status(), r.toString());
    assertTrue(r.json().getBoolean("pending"));
    return r.json().getLong("id");
  }

  private static void ok(Response r) {
    assertTrue(r.status() / 100 == 2, r.toString());
  }

  private static JsonObject reason() {
    return new JsonObject().put("reason", "off topic");
  }

  private List<Session> readers() {
    return List.of(alice, bob, mod, plain, voter, blocker, blocked, pendingAuthor, hiddenAuthor, deletedPendingAuthor,
        banned);
  }

  /** Every page the cache holds for the thread and the feed, and the pending post (a 404 for all but its author). */
  private List<String> targets() {
    String comments = "/api/posts/" + post + "/comments?limit=200";
    return List.of("/api/posts/" + post, comments, comments + "&sort=new", comments + "&sort=best",
        "/api/posts/" + post + "/comments?limit=2", "/api/posts?limit=20&sort=new", "/api/posts?limit=20&sort=hot",
        "/api/posts?limit=20&sort=top", "/api/posts?limit=20&sort=active", "/api/posts?limit=20",
        "/api/posts?limit=20&tag=cache", "/api/posts?limit=1", "/api/posts/" + heldPost,
        "/api/posts/" + heldPost + "/comments");
  }

  private double signedIn(String result) throws Exception {
    return TestParley.server().running().meters().find("parley_read_cache_signed_in").tag("result", result)
        .counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /** Fills the cache: every page read by everyone, twice. */
  private void warm() {
    scoresSettled();
    for (int pass = 0; pass < 2; pass++) {
      for (String target : targets()) {
        api.get(target);
        for (Session reader : readers()) api.get(target, reader);
      }
    }
  }

  /** Each reader's next read of every page is what their uncached read on the reference node is. */
  private void assertEveryReaderSeesTheirOwn(String change) {
    List<String> wrong = new ArrayList<>();
    for (Session reader : readers()) {
      for (String target : targets()) {
        Response cached = api.get(target, reader);
        Response truth = reference.get(target, reader);
        if (cached.status() != truth.status() || !cached.body().equals(truth.body())) {
          wrong.add(reader.username() + " " + target + ": got " + cached.status() + " " + cached.body()
              + "\n    expected " + truth.status() + " " + truth.body());
        }
      }
    }
    assertTrue(wrong.isEmpty(), change + ": " + wrong.size() + " reads differ:\n" + String.join("\n", wrong));
  }

  /**
   * Warms, writes, and compares once the write's score events (published a moment after a vote, moving the thread's
   * seq) have gone out: a later write of their own, which the anonymous tests race the same way.
   */
  private void afterChange(String change, Runnable write) {
    scoresSettled();
    warm();
    write.run();
    scoresSettled();
    assertEveryReaderSeesTheirOwn(change);
  }

  private static void scoresSettled() {
    try {
      TestParley.server().running().scores().idle().toCompletionStage().toCompletableFuture()
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("score events did not settle", e);
    }
  }

  @Test
  void everyReaderGetsTheirOwnPageWithNoChange() {
    afterChange("nothing", () -> { });
  }

  @Test
  void readersWithNothingOfTheirOwnOnThePageAreServedFromTheAnonymousPage() throws Exception {
    warm();
    double shared = signedIn("anonymous");
    double own = signedIn("own");
    List<String> cachedPages = targets().subList(0, 12);
    for (String target : cachedPages) {
      api.get(target, plain);
      api.get(target, voter);
      api.get(target, blocked);
      api.get(target, banned);
    }
    assertEquals(4.0 * cachedPages.size(), signedIn("anonymous") - shared, "no personal state: the shared page");
    assertEquals(own, signedIn("own"));
    for (String target : cachedPages) {
      api.get(target, blocker);
      api.get(target, mod);
    }
    assertEquals(2.0 * cachedPages.size(), signedIn("own") - own, "blocks and moderators: their own read");
    assertEquals(1, api.get("/api/posts/" + post, voter).json().getInteger("myVote"));
    assertEquals(1, api.get("/api/posts/" + post + "/comments?limit=200", voter).item(bobComment)
        .getInteger("myVote"));
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200", pendingAuthor).ids().contains(pendingComment));
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200", blocker).item(bobComment)
        .getBoolean("blocked"));
  }

  // ---- changes anyone's page shows ----

  @Test
  void aCommentHidden() {
    afterChange("comment hidden", () -> ok(api.post("/api/mod/comments/" + bobComment + "/hide", mod, reason())));
  }

  @Test
  void aCommentRestored() {
    afterChange("comment restored", () -> ok(api.post("/api/mod/comments/" + hiddenComment + "/restore", mod,
        new JsonObject())));
  }

  @Test
  void aCommentDeleted() {
    afterChange("comment deleted", () -> ok(api.delete("/api/comments/" + bobComment, bob)));
  }

  @Test
  void aCommentEdited() {
    afterChange("comment edited", () -> ok(api.patch("/api/comments/" + aliceComment, alice,
        new JsonObject().put("body", "edited words"))));
  }

  @Test
  void aCommentAdded() {
    afterChange("comment added", () -> api.comment(bob, post, "a third comment", null));
  }

  @Test
  void aPendingCommentApproved() {
    afterChange("pending approved", () -> ok(api.post("/api/mod/comments/" + pendingComment + "/approve", mod,
        new JsonObject())));
  }

  @Test
  void aPendingCommentRejected() {
    afterChange("pending rejected", () -> ok(api.post("/api/mod/comments/" + pendingComment + "/reject", mod,
        reason())));
  }

  @Test
  void aPendingPostApproved() {
    afterChange("pending post approved", () -> ok(api.post("/api/mod/posts/" + heldPost + "/approve", mod,
        new JsonObject())));
  }

  @Test
  void thePostHidden() {
    afterChange("post hidden", () -> ok(api.post("/api/mod/posts/" + post + "/hide", mod, reason())));
  }

  @Test
  void thePostDeleted() {
    afterChange("post deleted", () -> ok(api.delete("/api/posts/" + post, alice)));
  }

  @Test
  void thePostEdited() {
    afterChange("post edited", () -> ok(api.patch("/api/posts/" + post, alice,
        new JsonObject().put("title", "Renamed thread"))));
  }

  @Test
  void theThreadLocked() {
    afterChange("thread locked", () -> ok(api.post("/api/mod/posts/" + post + "/lock", mod, new JsonObject())));
  }

  @Test
  void someoneElsesVote() {
    afterChange("another's vote", () -> ok(api.put("/api/comments/" + aliceComment + "/vote", bob,
        new JsonObject().put("value", 1))));
  }

  @Test
  void anAuthorRenamed() {
    afterChange("author renamed", () -> ok(api.patch("/api/me", bob, new JsonObject().put("username", "robert")
        .put("currentPassword", "correct horse"))));
  }

  // ---- changes to a reader's own state ----

  @Test
  void aReaderVotesOnAComment() {
    afterChange("own comment vote", () -> ok(api.put("/api/comments/" + aliceComment + "/vote", plain,
        new JsonObject().put("value", 1))));
    assertEquals(1, api.get("/api/posts/" + post + "/comments?limit=200", plain).item(aliceComment)
        .getInteger("myVote"));
  }

  @Test
  void aReaderVotesOnThePost() {
    afterChange("own post vote", () -> ok(api.put("/api/posts/" + post + "/vote", plain,
        new JsonObject().put("value", 1))));
    assertEquals(1, api.get("/api/posts?limit=20", plain).item(post).getInteger("myVote"));
  }

  @Test
  void aReaderWithdrawsTheirVotes() {
    afterChange("own votes withdrawn", () -> {
      ok(api.delete("/api/posts/" + post + "/vote", voter));
      ok(api.delete("/api/comments/" + bobComment + "/vote", voter));
    });
    assertEquals(null, api.get("/api/posts/" + post, voter).json().getInteger("myVote"));
  }

  @Test
  void aReaderBlocksAnAuthor() {
    afterChange("reader blocks bob", () -> ok(api.put("/api/me/blocks/bob", plain, new JsonObject())));
    assertFalse(api.get("/api/posts/" + post + "/comments?limit=200", plain).body().contains("secret words"));
    assertFalse(api.get("/api/posts?limit=20", plain).body().contains("An older post by bob"));
  }

  @Test
  void aReaderBlocksThePostsAuthor() {
    afterChange("reader blocks the post's author", () -> ok(api.put("/api/me/blocks/alice", plain,
        new JsonObject())));
    assertTrue(api.get("/api/posts/" + post, plain).json().getBoolean("blocked"));
  }

  @Test
  void aReaderUnblocks() {
    afterChange("reader unblocks bob", () -> ok(api.delete("/api/me/blocks/bob", blocker)));
  }

  @Test
  void aReaderIsBlockedBySomeone() {
    afterChange("bob blocks the reader", () -> ok(api.put("/api/me/blocks/carol", bob, new JsonObject())));
  }

  @Test
  void aReadersCommentIsHeld() {
    afterChange("reader's comment held", () -> held(plain, "carol's heldword comment"));
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200", plain).body().contains("carol's heldword"));
  }

  @Test
  void aReadersHeldCommentIsDeleted() {
    long carols = held(plain, "carol's heldword comment");
    afterChange("reader's held comment deleted", () -> ok(api.delete("/api/comments/" + carols, plain)));
  }

  @Test
  void aReadersCommentIsHidden() {
    long carols = api.comment(plain, post, "carol's words", null);
    afterChange("reader's comment hidden", () -> ok(api.post("/api/mod/comments/" + carols + "/hide", mod,
        reason())));
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200", plain).body().contains("carol's words"));
  }

  @Test
  void aReaderIsMadeAModerator() throws Exception {
    Session admin = api.registerWithRole("root", "admin");
    afterChange("reader made moderator", () -> ok(api.put("/api/admin/users/carol/role", admin,
        new JsonObject().put("role", "moderator"))));
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200", plain).body().contains("gina's comment"));
  }

  @Test
  void aModeratorIsMadeAReader() throws Exception {
    Session admin = api.registerWithRole("root", "admin");
    afterChange("moderator made reader", () -> ok(api.put("/api/admin/users/mona/role", admin,
        new JsonObject().put("role", "user"))));
  }

  @Test
  void aReaderIsBannedAndUnbanned() {
    afterChange("reader banned", () -> ok(api.post("/api/mod/users/carol/ban", mod,
        new JsonObject().put("reason", "spam"))));
    afterChange("reader unbanned", () -> ok(api.delete("/api/mod/users/hank/ban", mod)));
  }

  @Test
  void aReaderRenamesThemselves() {
    long carols = api.comment(plain, post, "carol's words", null);
    afterChange("reader renamed", () -> ok(api.patch("/api/me", plain, new JsonObject().put("username", "caroline")
        .put("currentPassword", "correct horse"))));
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200", plain).item(carols).toString()
        .contains("caroline"));
  }
}
