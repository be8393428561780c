package parley.moderation;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;
import parley.config.Holds;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The holds by rule, on a server with Parley's defaults (the shared test server switches them off, since every test
 * account is new): a new account's first post and first two comments wait for review, and so does anything with
 * more than five links, whoever wrote it; moderators are never held.
 */
@ExtendWith(TestParley.class)
class HoldRulesTest {

  private static Main.Running server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(Map.of(Holds.NEW_POSTS, "1", Holds.NEW_COMMENTS, "2",
        Holds.MAX_LINKS, "5", Holds.NEW_ACCOUNT_AGE, "1d"));
    server = TestParley.startServer(env);
    api = new Api("http://localhost:" + server.port());
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  private static boolean pending(Response created) {
    assertEquals(201, created.status(), created.toString());
    return created.json().getBoolean("pending");
  }

  private static Response post(Session as, String title, String body) {
    return api.post("/api/posts", as, new JsonObject().put("title", title).put("body", body));
  }

  private static Response comment(Session as, long post, String body) {
    return api.post("/api/posts/" + post + "/comments", as, new JsonObject().put("body", body));
  }

  private static void age(Session who, String interval) throws Exception {
    TestParley.sql("UPDATE users SET created_at = now() - interval '" + interval + "' WHERE id = " + who.id());
  }

  @Test
  void aNewAccountsFirstPostAndFirstTwoCommentsWaitUntilApproved() throws Exception {
    Session old = api.register("old_timer");
    age(old, "2 days");
    Session mod = api.registerWithRole("mia_mod", "moderator");
    Session newbie = api.register("newbie");
    long thread = api.createPost(old, "An older account's post is published");

    Response first = post(newbie, "Hello", "My first post");
    assertTrue(pending(first), "the first post waits");
    long firstId = first.json().getLong("id");
    assertTrue(pending(post(newbie, "Again", "Still nothing approved")), "held until one is published");
    assertTrue(pending(comment(newbie, thread, "first comment")));
    assertTrue(pending(comment(newbie, thread, "second comment")));
    assertTrue(pending(comment(newbie, thread, "third, still none published")));
    JsonObject queue = api.get("/api/mod/pending", mod).json();
    assertEquals(5, queue.getLong("total"));
    assertTrue(queue.getJsonArray("items").getJsonObject(0).getString("reason").startsWith("new account"),
        queue.encode());

    assertEquals(204, api.post("/api/mod/posts/" + firstId + "/approve", mod, null).status());
    assertFalse(pending(post(newbie, "Third", "One post published: the allowance is used up")));
    for (JsonObject item : queue.getJsonArray("items").stream().map(JsonObject.class::cast).toList()) {
      if (item.getString("targetType").equals("comment") && !item.getString("body").startsWith("third")) {
        assertEquals(204, api.post("/api/mod/comments/" + item.getLong("id") + "/approve", mod, null).status());
      }
    }
    assertFalse(pending(comment(newbie, thread, "two comments published: free")));

    Session dayOld = api.register("day_old");
    age(dayOld, "25 hours");
    assertFalse(pending(post(dayOld, "Hi", "An account a day old is not new")));
    assertFalse(pending(post(mod, "Rules", "Moderators are never held")));
  }

  @Test
  void contentWithMoreThanFiveLinksWaitsWhoeverWroteIt() throws Exception {
    Session old = api.register("old_timer");
    age(old, "30 days");
    long thread = api.createPost(old, "Links");
    String five = "[a](https://a.example) [b](https://b.example) <https://c.example> [d](https://d.example) "
        + "[e](https://e.example)";
    assertFalse(pending(comment(old, thread, five)), "five is allowed");
    assertTrue(pending(comment(old, thread, five + " [f](https://f.example)")), "six waits");
    Response withSources = api.post("/api/posts", old, new JsonObject().put("title", "Sources count too")
        .put("body", five).put("sources", new io.vertx.core.json.JsonArray().add("https://g.example")));
    assertTrue(pending(withSources), "a post's sources are links too");
    api.register("mentioned");
    assertFalse(pending(comment(old, thread, five + " @mentioned")), "a mention is not a link out");
  }
}
