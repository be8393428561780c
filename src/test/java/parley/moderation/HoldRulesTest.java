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

import java.util.List;
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
    // The count is the one at the hold, and says so: a card read after an approval showed "0 of 2 published" beside
    // the published one (a page review).
    assertTrue(queue.getJsonArray("items").getJsonObject(0).getString("reason").endsWith("published when it was held)"),
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

  /** The open reports of the queue on one target: reason, reporter (null: Parley's own) and details. */
  private static java.util.List<JsonObject> reportsOn(Session mod, String type, long id) {
    Response queue = api.get("/api/mod/queue?limit=100", mod);
    assertEquals(200, queue.status(), queue.toString());
    return queue.json().getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(item -> item.getString("targetType").equals(type) && item.getLong("targetId") == id)
        .flatMap(item -> item.getJsonArray("reports").stream().map(JsonObject.class::cast)).toList();
  }

  /**
   * What the holds would hold as new content, brought in by an edit of published content (spammers post something
   * harmless, then edit their links in once it is out), stays published and is reported to the moderators by Parley:
   * a held word newly matched, more links than allowed where the edit added some; once per target while open;
   * not for what the text matched before, nor for moderators, nor for pending content (held already). Resolving it
   * notifies no one and the notifier goes on.
   */
  @Test
  void anEditThatBringsInWhatWouldBeHeldIsReportedByParleyAndStaysPublished() throws Exception {
    Session old = api.register("old_timer");
    age(old, "30 days");
    Session mod = api.registerWithRole("mia_mod", "moderator");
    Session reader = api.register("reader");
    age(reader, "30 days");
    Response filter = api.post("/api/mod/filters", mod, new JsonObject().put("kind", "word").put("pattern", "casino")
        .put("action", "hold"));
    assertEquals(201, filter.status(), filter.toString());
    long filterId = filter.json().getLong("id");
    long thread = api.createPost(old, "A harmless thread");
    Response created = comment(old, thread, "A harmless comment");
    assertFalse(pending(created));
    long commentId = created.json().getLong("id");
    parley.live.LiveClient moderators = parley.live.LiveClient.connect(server.port());
    try {
      moderators.register("parley.mod", mod.token(), 0L);
      assertEquals("resync", moderators.nextEvent("parley.mod").getString("type"), "the moderators' topic is live");

      Response edited = api.patch("/api/comments/" + commentId, old, new JsonObject().put("body", "Visit my casino"));
      assertEquals(200, edited.status(), edited.toString());
      assertFalse(edited.json().getBoolean("pending"), "still published");
      assertEquals(200, api.get("/api/comments/" + commentId, reader).status(), "readers still read it");
      String why = "Edited to match the word \"casino\" (filter " + filterId + ")";
      java.util.List<JsonObject> reports = reportsOn(mod, "comment", commentId);
      assertEquals(1, reports.size(), reports.toString());
      assertEquals("screening", reports.get(0).getString("reason"));
      assertTrue(reports.get(0).getValue("reporter") == null, "Parley's own: " + reports.get(0));
      assertEquals(why, reports.get(0).getString("details"));
      // The thread's moderators see Parley's report on the comment there too (its thread is set for every report).
      JsonObject onThread = api.get("/api/mod/posts/" + thread + "/moderation", mod).json();
      assertEquals(new JsonObject().put("screening", 1), onThread.getJsonArray("comments").getJsonObject(0)
          .getJsonObject("reports"), onThread.encode());
      JsonObject heard;
      do {
        heard = moderators.nextEvent("parley.mod");
      } while (!"report.created".equals(heard.getString("type")));
      assertEquals(commentId, heard.getJsonObject("data").getLong("targetId"));
      assertEquals(why, heard.getJsonObject("data").getString("details"));
      assertTrue(heard.getJsonObject("data").getValue("reporter") == null, heard.encode());
      assertEquals(1, api.get("/api/mod/queue?reason=screening", mod).json().getJsonArray("items").size());

      // Edited again while the report is open: nothing more. A reader's report sits beside Parley's.
      assertEquals(200, api.patch("/api/comments/" + commentId, old,
          new JsonObject().put("body", "Visit my casino today")).status());
      assertEquals(201, api.post("/api/reports", reader, new JsonObject().put("targetType", "comment")
          .put("targetId", commentId).put("reason", "spam")).status());
      assertEquals(2, reportsOn(mod, "comment", commentId).size(), "Parley's once, and the reader's");
      // Dismissed: the reader is told, Parley is not (there is no one to tell), and the notifier goes on.
      long parleys = reportsOn(mod, "comment", commentId).stream().filter(r -> r.getValue("reporter") == null)
          .findFirst().orElseThrow().getLong("id");
      assertEquals(204, api.post("/api/mod/reports/" + parleys + "/resolve", mod,
          new JsonObject().put("action", "dismiss")).status());
      server.notifier().idle().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      io.vertx.core.json.JsonArray readersInbox = api.get("/api/me/notifications", reader).json().getJsonArray("items");
      assertFalse(readersInbox.isEmpty(), "the reader heard the outcome");
      assertEquals("report", readersInbox.getJsonObject(0).getString("kind"));
      Response sentinel = comment(reader, thread, "a reply the author hears of");
      server.notifier().idle().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(sentinel.json().getLong("id"), api.get("/api/me/notifications", old).json().getJsonArray("items")
          .getJsonObject(0).getJsonObject("comment").getLong("id"), "the notifier went on");

      // The text matched before the edit (a moderator let it stand): an edit that keeps the word is not reported.
      assertEquals(200, api.patch("/api/comments/" + commentId, old,
          new JsonObject().put("body", "Visit my casino, now with a typo fixed")).status());
      assertEquals(0, reportsOn(mod, "comment", commentId).size(), reportsOn(mod, "comment", commentId).toString());

      // Links: a post edited from five links to six is reported; its sources count, as for a new post.
      String five = "[a](https://a.example) [b](https://b.example) <https://c.example> [d](https://d.example) "
          + "[e](https://e.example)";
      Response post = post(old, "Five links", five);
      assertFalse(pending(post));
      long postId = post.json().getLong("id");
      assertEquals(200, api.patch("/api/posts/" + postId, old, new JsonObject()
          .put("sources", new io.vertx.core.json.JsonArray().add("https://g.example"))).status());
      assertEquals(List.of("Edited to 6 links (more than 5)"),
          reportsOn(mod, "post", postId).stream().map(r -> r.getString("details")).toList());

      // Six links a moderator let through, edited: one swapped for another is reported; the same six reordered is not.
      String six = five + " [f](https://f.example)";
      Response approved = comment(old, thread, six);
      assertTrue(pending(approved));
      long approvedId = approved.json().getLong("id");
      assertEquals(204, api.post("/api/mod/comments/" + approvedId + "/approve", mod, null).status());
      assertEquals(200, api.patch("/api/comments/" + approvedId, old, new JsonObject()
          .put("body", "[f](https://f.example) " + five)).status());
      assertEquals(0, reportsOn(mod, "comment", approvedId).size(), "the same links, in another order");
      assertEquals(200, api.patch("/api/comments/" + approvedId, old, new JsonObject()
          .put("body", five + " [f](https://spam.example)")).status());
      assertEquals(List.of("Edited to 6 links (more than 5)"),
          reportsOn(mod, "comment", approvedId).stream().map(r -> r.getString("details")).toList(), "a link swapped");

      // A refusing pattern that runs away on the edited text (it would hold new content for a person): reported.
      Response runaway = api.post("/api/mod/filters", mod, new JsonObject().put("kind", "pattern")
          .put("pattern", ".*a.*a.*a.*a.*a.*a.*b").put("action", "refuse"));
      assertEquals(201, runaway.status(), runaway.toString());
      long plain = comment(old, thread, "nothing to see").json().getLong("id");
      assertEquals(200, api.patch("/api/comments/" + plain, old, new JsonObject().put("body", "a".repeat(300) + "!"))
          .status());
      assertEquals(List.of("Edited into what could not be checked against the pattern /.*a.*a.*a.*a.*a.*a.*b/ in time (filter "
          + runaway.json().getLong("id") + ")"),
          reportsOn(mod, "comment", plain).stream().map(r -> r.getString("details")).toList());

      // Not reported: a moderator's edit, and an edit of content still pending (it is in the moderators' queue).
      long modsComment = comment(mod, thread, "Moderators write too").json().getLong("id");
      assertEquals(200, api.patch("/api/comments/" + modsComment, mod, new JsonObject().put("body", "casino rules"))
          .status());
      assertEquals(0, reportsOn(mod, "comment", modsComment).size());
      Response held = comment(old, thread, "six: " + five + " [f](https://f.example)");
      assertTrue(pending(held));
      long heldId = held.json().getLong("id");
      assertEquals(200, api.patch("/api/comments/" + heldId, old, new JsonObject().put("body", "casino " + five
          + " [f](https://f.example) [g](https://g.example)")).status());
      assertEquals(0, reportsOn(mod, "comment", heldId).size());

      // People cannot give Parley's reason; the queue takes it as a filter and names it when refusing others.
      Response refused = api.post("/api/reports", reader, new JsonObject().put("targetType", "post")
          .put("targetId", postId).put("reason", "screening"));
      assertEquals(400, refused.status(), refused.toString());
      Response badFilter = api.get("/api/mod/queue?reason=bogus", mod);
      assertEquals(400, badFilter.status());
      assertTrue(badFilter.body().contains("screening"), badFilter.toString());
    } finally {
      moderators.close();
    }
  }
}
