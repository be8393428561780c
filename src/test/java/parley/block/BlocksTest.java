package parley.block;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blocking someone: the API, what the blocker stops seeing over REST, and where neither may comment (a block closes
 * replies both ways).
 */
@ExtendWith(TestParley.class)
class BlocksTest {

  private final Api api = Api.local();

  private Response block(Session as, String username) {
    return api.put("/api/me/blocks/" + username, as, null);
  }

  private Response unblock(Session as, String username) {
    return api.delete("/api/me/blocks/" + username, as);
  }

  private static void assertPlaceholder(JsonObject shown, long id, Long parentId) {
    assertEquals(id, shown.getLong("id"), shown.encode());
    assertEquals(Boolean.TRUE, shown.getBoolean("blocked"), shown.encode());
    assertTrue(shown.containsKey("body") && shown.getValue("body") == null, "no body: " + shown.encode());
    assertTrue(shown.containsKey("bodyHtml") && shown.getValue("bodyHtml") == null, "no bodyHtml: " + shown.encode());
    assertTrue(shown.containsKey("author") && shown.getValue("author") == null, "no author: " + shown.encode());
    assertTrue(shown.containsKey("parentId"), "parentId is kept: " + shown.encode());
    assertEquals(parentId, shown.getLong("parentId"), "parentId is kept: " + shown.encode());
    assertFalse(shown.encode().contains("bob says"), "none of the blocked person's words: " + shown.encode());
  }

  private static void assertFull(JsonObject shown, long id, String author, String body) {
    assertEquals(id, shown.getLong("id"), shown.encode());
    assertNull(shown.getValue("blocked"), "not a placeholder: " + shown.encode());
    assertEquals(new JsonObject().put("username", author).put("role", "user"), shown.getJsonObject("author"), shown.encode());
    assertEquals(body, shown.getString("body"), shown.encode());
    assertNotNull(shown.getString("bodyHtml"), shown.encode());
  }

  // ---- the API ----

  @Test
  void blockListAndUnblock() {
    Session alice = api.register("alice");
    api.register("bob");
    api.register("carol");

    Response empty = api.get("/api/me/blocks", alice);
    assertEquals(200, empty.status(), empty.toString());
    assertEquals(new JsonArray(), empty.items());
    assertTrue(empty.json().containsKey("nextCursor"), empty.toString());
    assertNull(empty.json().getValue("nextCursor"));

    Response blocked = block(alice, "bob");
    assertEquals(204, blocked.status(), blocked.toString());
    assertEquals("", blocked.body(), "204 has no body");
    assertEquals(204, block(alice, "bob").status(), "blocking again is harmless");

    Response list = api.get("/api/me/blocks", alice);
    assertEquals(200, list.status(), list.toString());
    assertEquals(1, list.items().size(), list.toString());
    JsonObject item = list.items().getJsonObject(0);
    assertEquals("bob", item.getString("username"));
    assertNotNull(item.getString("blockedAt"), item.encode());
    assertTrue(item.getString("blockedAt").endsWith("Z"), item.encode());
    assertNull(list.json().getValue("nextCursor"));

    assertEquals(204, block(alice, "carol").status());
    assertEquals(List.of("bob", "carol"), api.get("/api/me/blocks", alice).items().stream()
        .map(o -> ((JsonObject) o).getString("username")).sorted().toList());

    Response removed = unblock(alice, "bob");
    assertEquals(204, removed.status(), removed.toString());
    assertEquals(List.of("carol"), api.get("/api/me/blocks", alice).items().stream()
        .map(o -> ((JsonObject) o).getString("username")).toList());
    assertEquals(204, unblock(alice, "carol").status());
    assertEquals(new JsonArray(), api.get("/api/me/blocks", alice).items());
  }

  @Test
  void blockListsArePrivateToEachUser() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    assertEquals(204, block(alice, "bob").status());
    assertEquals(new JsonArray(), api.get("/api/me/blocks", bob).items(), "bob's own list is his, not alice's");
  }

  @Test
  void blockingYourselfIs400() {
    Session alice = api.register("alice");
    Response r = block(alice, "alice");
    assertEquals(400, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertEquals(0, api.get("/api/me/blocks", alice).items().size());
  }

  @Test
  void blockingAnUnknownUserIs404() {
    Session alice = api.register("alice");
    Response r = block(alice, "nobody_here");
    assertEquals(404, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertEquals(404, unblock(alice, "nobody_here").status());
  }

  @Test
  void anonymousCallersAre401() {
    api.register("bob");
    assertEquals(401, api.put("/api/me/blocks/bob", null, null).status());
    assertEquals(401, api.delete("/api/me/blocks/bob", null).status());
    assertEquals(401, api.get("/api/me/blocks").status());
  }

  @Test
  void bannedUsersCannotBlockOrUnblock() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    api.register("bob");
    assertEquals(204, block(alice, "bob").status());
    Response ban = api.post("/api/mod/users/alice/ban", mod, new JsonObject().put("reason", "spam"));
    assertEquals(204, ban.status(), ban.toString());

    Response r = block(alice, "bob");
    assertEquals(403, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    Response u = unblock(alice, "bob");
    assertEquals(403, u.status(), u.toString());
    assertEquals(List.of("bob"), api.get("/api/me/blocks", alice).items().stream()
        .map(o -> ((JsonObject) o).getString("username")).toList(), "nothing changed");
  }

  // ---- what the blocker sees ----

  @Test
  void theBlockerStopsSeeingTheBlockedPersonsPostsAndCommentsAndOthersStillSeeEverything() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long bobsPost = api.createPost(bob, "Bob's post");
    long carolsPost = api.createPost(carol, "Carol's post");
    long bobComment = api.comment(bob, carolsPost, "bob says hi", null);
    long carolReply = api.comment(carol, carolsPost, "carol answers bob", bobComment);
    long bobReply = api.comment(bob, carolsPost, "bob says more", carolReply);
    long bobOwnThread = api.comment(bob, bobsPost, "bob says something on his own post", null);

    assertEquals(204, block(alice, "bob").status());

    // The list leaves out the blocked author's posts for the blocker only.
    assertEquals(List.of(carolsPost), api.get("/api/posts", alice).ids());
    assertEquals(List.of(carolsPost, bobsPost), api.get("/api/posts", carol).ids());
    assertEquals(List.of(carolsPost, bobsPost), api.get("/api/posts").ids());

    // The blocked author's post is a placeholder for the blocker, with the thread's seq.
    Response anonymousRead = api.get("/api/posts/" + bobsPost);
    assertEquals(200, anonymousRead.status());
    long seq = anonymousRead.json().getLong("seq");
    Response placeholder = api.get("/api/posts/" + bobsPost, alice);
    assertEquals(200, placeholder.status(), placeholder.toString());
    assertEquals(new JsonObject().put("id", bobsPost).put("blocked", true).put("seq", seq), placeholder.json());
    Response forCarol = api.get("/api/posts/" + bobsPost, carol);
    assertEquals("Bob's post", forCarol.json().getString("title"));
    assertNull(forCarol.json().getValue("blocked"));
    assertEquals("Carol's post", api.get("/api/posts/" + carolsPost, alice).json().getString("title"));

    // In a thread, the blocked author's comments are placeholders that keep the reply chain intact.
    Response thread = api.get("/api/posts/" + carolsPost + "/comments", alice);
    assertEquals(200, thread.status(), thread.toString());
    assertEquals(List.of(bobComment, carolReply, bobReply), thread.ids());
    assertPlaceholder(thread.item(bobComment), bobComment, null);
    assertFull(thread.item(carolReply), carolReply, "carol", "carol answers bob");
    assertEquals(bobComment, thread.item(carolReply).getLong("parentId"));
    assertPlaceholder(thread.item(bobReply), bobReply, carolReply);
    assertEquals(carolsPost, thread.item(bobComment).getLong("postId"));

    Response onBobsPost = api.get("/api/posts/" + bobsPost + "/comments", alice);
    assertPlaceholder(onBobsPost.item(bobOwnThread), bobOwnThread, null);

    // A single comment is a placeholder too.
    Response single = api.get("/api/comments/" + bobComment, alice);
    assertEquals(200, single.status(), single.toString());
    assertPlaceholder(single.json(), bobComment, null);
    assertFull(api.get("/api/comments/" + carolReply, alice).json(), carolReply, "carol", "carol answers bob");

    // Everyone else still sees everything.
    for (Session reader : new Session[] {carol, bob, null}) {
      Response seen = api.get("/api/posts/" + carolsPost + "/comments", reader);
      assertFull(seen.item(bobComment), bobComment, "bob", "bob says hi");
      assertFull(seen.item(bobReply), bobReply, "bob", "bob says more");
      assertFull(api.get("/api/comments/" + bobComment, reader).json(), bobComment, "bob", "bob says hi");
    }

    // The profile's counts are everyone's, the blocker's too (the web app says "Hidden from you." under them), while
    // its lists are empty to the blocker.
    for (Session reader : new Session[] {alice, carol, null}) {
      JsonObject seen = api.get("/api/users/bob", reader).json();
      assertEquals(1L, seen.getLong("postCount"), seen.encode());
      assertEquals(3L, seen.getLong("commentCount"), seen.encode());
    }
    assertEquals(0, api.get("/api/users/bob/comments", alice).items().size());
  }

  @Test
  void theBlockedPersonCannotCommentOnTheBlockersPostsOrReplyToTheirCommentsButCanElsewhere() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long alicesPost = api.createPost(alice, "Alice's post");
    long carolsPost = api.createPost(carol, "Carol's post");
    long aliceComment = api.comment(alice, carolsPost, "alice on carol's post", null);
    assertEquals(204, block(alice, "bob").status());

    long before = TestParley.count("SELECT count(*) FROM comments");
    Response onPost = api.post("/api/posts/" + alicesPost + "/comments", bob, new JsonObject().put("body", "hey"));
    assertEquals(403, onPost.status(), onPost.toString());
    assertEquals("application/problem+json", onPost.contentType());
    assertNeutral(onPost);

    Response reply = api.post("/api/posts/" + carolsPost + "/comments", bob,
        new JsonObject().put("body", "hey").put("parentId", aliceComment));
    assertEquals(403, reply.status(), reply.toString());
    assertNeutral(reply);

    assertEquals(before, TestParley.count("SELECT count(*) FROM comments"), "nothing stored");
    assertEquals(0, api.get("/api/posts/" + alicesPost).json().getInteger("commentCount"), "commentCount unchanged");
    assertEquals(1, api.get("/api/posts/" + carolsPost).json().getInteger("commentCount"), "commentCount unchanged");

    // Elsewhere bob comments as usual, including on the same thread (not replying to alice).
    Response elsewhere = api.post("/api/posts/" + carolsPost + "/comments", bob, new JsonObject().put("body", "fine"));
    assertEquals(201, elsewhere.status(), elsewhere.toString());
    long carolComment = api.comment(carol, carolsPost, "carol", null);
    assertEquals(201, api.post("/api/posts/" + carolsPost + "/comments", bob,
        new JsonObject().put("body", "reply to carol").put("parentId", carolComment)).status());

    // The blocker still comments on her own post and on others' threads bob is in.
    assertEquals(201, api.post("/api/posts/" + alicesPost + "/comments", alice, new JsonObject().put("body", "mine"))
        .status());
    assertEquals(201, api.post("/api/posts/" + carolsPost + "/comments", alice, new JsonObject().put("body", "here"))
        .status());
  }

  /**
   * A block closes replies both ways: the blocker may not answer the person she blocked, who can no longer answer
   * back (and whose words she no longer sees: the web app shows her a placeholder with no reply, and RealWorld's
   * article of theirs is a 404 to her). She is told why, her own block being no secret to her.
   */
  @Test
  void theBlockerCannotCommentOnTheBlockedPersonsPostsOrReplyToTheirComments() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long bobsPost = api.createPost(bob, "Bob's post");
    long carolsPost = api.createPost(carol, "Carol's post");
    long bobsComment = api.comment(bob, carolsPost, "bob on carol's post", null);
    long carolsComment = api.comment(carol, bobsPost, "carol on bob's post", null);
    assertEquals(204, block(alice, "bob").status());
    long before = TestParley.count("SELECT count(*) FROM comments");

    Response onPost = api.post("/api/posts/" + bobsPost + "/comments", alice, new JsonObject().put("body", "last word"));
    assertEquals(403, onPost.status(), onPost.toString());
    assertEquals("application/problem+json", onPost.contentType());
    assertEquals("You blocked the author of this post: unblock them to comment here.",
        onPost.json().getString("detail"), onPost.toString());
    Response reply = api.post("/api/posts/" + carolsPost + "/comments", alice,
        new JsonObject().put("body", "last word").put("parentId", bobsComment));
    assertEquals(403, reply.status(), reply.toString());
    assertTrue(reply.json().getString("detail").startsWith("You blocked the author"), reply.toString());
    // A reply to carol on bob's thread is still on bob's thread.
    Response inBobsThread = api.post("/api/posts/" + bobsPost + "/comments", alice,
        new JsonObject().put("body", "to carol").put("parentId", carolsComment));
    assertEquals(403, inBobsThread.status(), inBobsThread.toString());
    // With an Idempotency-Key, as the web app sends: the refusal keeps no key either.
    Response keyed = api.rawWithKey("/api/posts/" + bobsPost + "/comments", alice, "{\"body\":\"keyed\"}",
        "blocker-1");
    assertEquals(403, keyed.status(), keyed.toString());
    assertEquals(0, TestParley.count("SELECT count(*) FROM idempotency_keys WHERE key = 'blocker-1'"));

    assertEquals(before, TestParley.count("SELECT count(*) FROM comments"), "nothing stored");
    assertEquals(1, api.get("/api/posts/" + bobsPost).json().getInteger("commentCount"), "commentCount unchanged");

    // Elsewhere on carol's thread alice comments and replies to carol as usual; unblocked, she answers bob again.
    assertEquals(201, api.post("/api/posts/" + carolsPost + "/comments", alice,
        new JsonObject().put("body", "fine")).status());
    assertEquals(204, unblock(alice, "bob").status());
    assertEquals(201, api.post("/api/posts/" + carolsPost + "/comments", alice,
        new JsonObject().put("body", "hello bob").put("parentId", bobsComment)).status());
    assertEquals(201, api.post("/api/posts/" + bobsPost + "/comments", alice,
        new JsonObject().put("body", "hello")).status());
  }

  private static void assertNeutral(Response r) {
    String detail = r.json().getString("detail", "");
    assertFalse(detail.toLowerCase().contains("block"), "the message does not reveal the block: " + r);
    assertFalse(r.body().toLowerCase().contains("block"), "the problem does not reveal the block: " + r);
  }

  @Test
  void unblockingRestoresEverything() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long bobsPost = api.createPost(bob, "Bob's post");
    long alicesPost = api.createPost(alice, "Alice's post");
    long carolsPost = api.createPost(carol, "Carol's post");
    long bobComment = api.comment(bob, carolsPost, "bob says hi", null);
    long aliceComment = api.comment(alice, carolsPost, "alice", null);

    assertEquals(204, block(alice, "bob").status());
    assertEquals(List.of(carolsPost, alicesPost), api.get("/api/posts", alice).ids());
    assertEquals(403, api.post("/api/posts/" + alicesPost + "/comments", bob, new JsonObject().put("body", "x")).status());

    assertEquals(204, unblock(alice, "bob").status());
    assertEquals(List.of(carolsPost, alicesPost, bobsPost), api.get("/api/posts", alice).ids());
    JsonObject post = api.get("/api/posts/" + bobsPost, alice).json();
    assertEquals("Bob's post", post.getString("title"));
    assertNull(post.getValue("blocked"));
    assertFull(api.get("/api/posts/" + carolsPost + "/comments", alice).item(bobComment), bobComment, "bob",
        "bob says hi");
    assertFull(api.get("/api/comments/" + bobComment, alice).json(), bobComment, "bob", "bob says hi");

    Response onPost = api.post("/api/posts/" + alicesPost + "/comments", bob, new JsonObject().put("body", "hello again"));
    assertEquals(201, onPost.status(), onPost.toString());
    Response reply = api.post("/api/posts/" + carolsPost + "/comments", bob,
        new JsonObject().put("body", "reply").put("parentId", aliceComment));
    assertEquals(201, reply.status(), reply.toString());
  }
}
