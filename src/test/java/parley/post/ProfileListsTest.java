package parley.post;

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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A profile's posts and comments, and the editor's Markdown preview. */
@ExtendWith(TestParley.class)
class ProfileListsTest {

  private final Api api = Api.local();

  @Test
  void aProfileListsTheUsersPostsNewestFirstWithACursor() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long p1 = api.createPost(alice, "One");
    api.createPost(bob, "Not hers");
    long p2 = api.createPost(alice, "Two");
    long p3 = api.createPost(alice, "Three");
    Response first = api.get("/api/users/ALICE/posts?limit=2");
    assertEquals(200, first.status());
    assertEquals(List.of(p3, p2), first.ids());
    Response second = api.get("/api/users/alice/posts?limit=2&cursor=" + first.json().getString("nextCursor"));
    assertEquals(List.of(p1), second.ids());
    assertNull(second.json().getValue("nextCursor"));
  }

  @Test
  void deletedAndHiddenPostsAreNotListed() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    long kept = api.createPost(alice, "Kept");
    long deleted = api.createPost(alice, "Deleted");
    long hidden = api.createPost(alice, "Hidden");
    api.delete("/api/posts/" + deleted, alice);
    api.post("/api/mod/posts/" + hidden + "/hide", mod, new JsonObject().put("reason", "spam"));
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    Response held = api.post("/api/posts", alice, new JsonObject().put("title", "Held").put("body", "heldword"));
    assertTrue(held.json().getBoolean("pending"), held::toString);
    long pending = held.json().getLong("id");
    assertEquals(List.of(kept), api.get("/api/users/alice/posts").ids());
    assertEquals(List.of(kept), api.get("/api/users/alice/posts", api.register("bob")).ids());
    assertEquals(List.of(kept), api.get("/api/users/alice/posts", mod).ids(), "a moderator has the queue for those");

    // Alice herself finds hers again, marked; never the deleted one.
    Response own = api.get("/api/users/alice/posts", alice);
    assertEquals(List.of(pending, hidden, kept), own.ids());
    assertEquals(List.of(true, false, false), own.items().stream().map(i -> ((JsonObject) i).getBoolean("pending")).toList());
    assertEquals(List.of(false, true, false), own.items().stream().map(i -> ((JsonObject) i).getBoolean("hidden")).toList());
  }

  @Test
  void aProfileListsTheUsersVisibleCommentsWithTheirPostsTitles() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    long post = api.createPost(bob, "Bob's thread");
    long c1 = api.comment(alice, post, "first", null);
    long gone = api.comment(alice, post, "taken back", null);
    long hidden = api.comment(alice, post, "removed", null);
    api.comment(bob, post, "bob's own", null);
    long c2 = api.comment(alice, post, "second", c1);
    api.delete("/api/comments/" + gone, alice);
    api.post("/api/mod/comments/" + hidden + "/hide", mod, new JsonObject().put("reason", "rude"));
    Response r = api.get("/api/users/alice/comments");
    assertEquals(200, r.status());
    assertEquals(List.of(c2, c1), r.ids());
    assertEquals("Bob's thread", r.items().getJsonObject(0).getString("postTitle"));
    assertEquals(c1, r.items().getJsonObject(0).getLong("parentId"));
    assertEquals(List.of(c2, c1), api.get("/api/users/alice/comments", bob).ids());
    // Alice herself: her removed comment too, marked, but nothing on a thread she may not read.
    long hiddenThread = api.createPost(bob, "Bob's other thread");
    long onHidden = api.comment(alice, hiddenThread, "on a thread hidden later", null);
    api.post("/api/mod/posts/" + hiddenThread + "/hide", mod, new JsonObject().put("reason", "spam"));
    Response own = api.get("/api/users/alice/comments", alice);
    assertEquals(List.of(c2, hidden, c1), own.ids(), "not " + onHidden + ", not the deleted " + gone);
    assertTrue(own.items().getJsonObject(1).getBoolean("hidden"));
  }

  @Test
  void theBlockerSeesNothingOnABlockedUsersProfileLists() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(bob, "Bob's");
    api.comment(bob, post, "bob speaks", null);
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
    assertTrue(api.get("/api/users/bob/posts", alice).items().isEmpty());
    assertTrue(api.get("/api/users/bob/comments", alice).items().isEmpty());
    assertEquals(1, api.get("/api/users/bob/posts").items().size(), "others still see them");
  }

  @Test
  void aBlockedPostAuthorsTitleDoesNotShowThroughSomeoneElsesCommentList() {
    Api.Session alice = api.register("alice");
    Api.Session bob = api.register("bob");
    Api.Session carol = api.register("carol");
    long bobsPost = api.createPost(bob, "Bob's secret title");
    api.comment(carol, bobsPost, "carol's words", null);
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());

    JsonObject seenByAlice = api.get("/api/users/carol/comments", alice).items().getJsonObject(0);
    assertEquals("carol's words", seenByAlice.getString("body"), "carol's own comment still shows");
    assertNull(seenByAlice.getValue("postTitle"), "but not the title of a post by someone alice blocked");
    assertEquals("Bob's secret title",
        api.get("/api/users/carol/comments").items().getJsonObject(0).getString("postTitle"), "control: others see it");
  }

  @Test
  void unknownUsersListsAre404AndBadPagingIs400() {
    assertEquals(404, api.get("/api/users/nobody/posts").status());
    assertEquals(404, api.get("/api/users/nobody/comments").status());
    api.register("alice");
    assertEquals(400, api.get("/api/users/alice/posts?limit=0").status());
    assertEquals(400, api.get("/api/users/alice/comments?cursor=nonsense").status());
  }

  @Test
  void thePreviewRendersMarkdownSafelyAndStoresNothing() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/markdown/preview", alice,
        new JsonObject().put("body", "**bold** <script>alert(1)</script> [x](javascript:alert(1))"));
    assertEquals(200, r.status());
    String html = r.json().getString("bodyHtml");
    assertTrue(html.contains("<strong>bold</strong>"), html);
    assertFalse(html.contains("<script"), html);
    assertFalse(html.contains("javascript:"), html);
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
    assertEquals(401, api.post("/api/markdown/preview", null, new JsonObject().put("body", "x")).status());
    assertEquals(400, api.post("/api/markdown/preview", alice, new JsonObject().put("body", "")).status());
  }
}
