package parley.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.TestParley;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A field a request does not take is refused, named, and changes nothing: ignoring it would do the request as if it
 * were absent (a ban with {@code "days"} would be permanent, {@code "following": false} on a follow would follow).
 */
@ExtendWith(TestParley.class)
class UnknownFieldsTest {

  private final Api api = Api.local();

  /** A 400 naming exactly these fields as not taken, with the fields the request does take. */
  private static void assertRefused(Response r, String takes, String... unknown) {
    assertEquals(400, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    for (String field : unknown) {
      assertTrue(r.errorFields().contains(field), field + " named in " + r);
    }
    String expected = takes.isEmpty() ? "this request takes none" : "this request takes " + takes;
    assertTrue(r.body().contains("is not a field of this request (" + expected + ")"), r.toString());
  }

  @Test
  void aBanWithAFieldItDoesNotTakeBansNobody() throws Exception {
    Api.Session mod = api.registerWithRole("mod", "moderator");
    api.register("bob");
    Response r = api.post("/api/mod/users/bob/ban", mod, new JsonObject().put("reason", "spam").put("days", 3));
    assertRefused(r, "reason, until, removeContent", "days");
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE ban_reason IS NOT NULL"));
    // The same ban spelt right is taken.
    assertEquals(204, api.post("/api/mod/users/bob/ban", mod, new JsonObject().put("reason", "spam")
        .put("until", "2099-01-01T00:00:00Z")).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM users WHERE ban_reason = 'spam' AND banned_until < '2100-01-01'"));
  }

  @Test
  void aFollowOrBlockTakesNoFieldsAtAll() throws Exception {
    Api.Session alice = api.register("alice");
    Api.Session bob = api.register("bob");
    long post = api.createPost(bob, "Thread");
    assertRefused(api.put("/api/posts/" + post + "/follow", alice, new JsonObject().put("following", false)), "",
        "following");
    assertEquals(0, TestParley.count("SELECT count(*) FROM thread_follows WHERE user_id = " + alice.id()));
    assertRefused(api.put("/api/users/bob/follow", alice, new JsonObject().put("notify", true)), "", "notify");
    assertRefused(api.put("/api/me/blocks/bob", alice, new JsonObject().put("reason", "rude")), "", "reason");
    assertRefused(api.post("/api/auth/logout-all", alice, new JsonObject().put("except", "this one")), "", "except");
    assertEquals(0, TestParley.count("SELECT count(*) FROM user_follows"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM blocks"));
    assertEquals(200, api.get("/api/me", alice).status(), "the token still works");
    // No body, or an empty object, is how these are sent.
    assertEquals(200, api.put("/api/posts/" + post + "/follow", alice, new JsonObject()).status());
    assertEquals(200, api.raw("PUT", "/api/users/bob/follow", "Bearer " + alice.token(), null, null).status());
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
  }

  @Test
  void writesNameEveryFieldTheyDoNotTakeAndStoreNothing() throws Exception {
    Api.Session alice = api.register("alice");
    Api.Session bob = api.register("bob");
    long post = api.createPost(bob, "Thread");
    long comment = api.comment(bob, post, "First", null);

    Response created = api.post("/api/posts", alice, new JsonObject().put("title", "t").put("body", "b")
        .put("tagList", List.of("x")).put("draft", true));
    assertRefused(created, "title, description, body, sources, tags", "tagList", "draft");
    assertEquals(2, created.errorFields().size(), created.toString());
    assertRefused(api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "hi")
        .put("replyTo", comment)), "body, parentId", "replyTo");
    assertRefused(api.put("/api/posts/" + post + "/vote", alice, new JsonObject().put("value", 1).put("x", 2)),
        "value", "x");
    assertRefused(api.post("/api/reports", alice, new JsonObject().put("targetType", "comment")
        .put("targetId", comment).put("reason", "spam").put("detail", "typo of details")),
        "targetType, targetId, reason, details", "detail");
    assertRefused(api.patch("/api/comments/" + comment, bob, new JsonObject().put("body", "edited")
        .put("parentId", 1)), "body", "parentId");
    assertRefused(api.patch("/api/me", alice, new JsonObject().put("bio", "hi").put("displayName", "A")),
        "username, email, bio, image, password, currentPassword", "displayName");
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE body = 'First' AND edited_at IS NULL"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM post_votes"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE bio IS NOT NULL AND bio <> ''"));
  }

  @Test
  void aModeratorsActionWithAMisspeltReasonIsRefused() throws Exception {
    Api.Session mod = api.registerWithRole("mod", "moderator");
    Api.Session bob = api.register("bob");
    long post = api.createPost(bob, "Thread");
    assertRefused(api.post("/api/mod/posts/" + post + "/hide", mod, new JsonObject().put("reason", "spam")
        .put("notify", false)), "reason", "notify");
    assertRefused(api.post("/api/mod/posts/" + post + "/lock", mod, new JsonObject().put("reson", "heated")),
        "reason", "reson");
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts WHERE hidden_at IS NOT NULL OR locked_at IS NOT NULL"));
    assertEquals(204, api.post("/api/mod/posts/" + post + "/lock", mod, new JsonObject()).status());
  }

  @Test
  void aFieldNameIsEchoedAtMost64CharactersLong() {
    Api.Session alice = api.register("alice");
    String name = "k".repeat(5_000);
    Response r = api.put("/api/me/blocks/nobody", alice, new JsonObject().put(name, 1));
    assertEquals(400, r.status(), r.toString());
    assertEquals(List.of("k".repeat(64) + "…"), r.errorFields());
  }
}
