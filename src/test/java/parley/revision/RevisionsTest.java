package parley.revision;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.Api.Session;
import parley.ModerationCast;
import parley.RawHttp;
import parley.TestParley;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every edit keeps what it replaced; the author and moderators read the earlier versions, nobody else does; a comment
 * its author deletes takes them with it; and the moderators' queue shows what the first report was about when the
 * content was edited after it.
 */
@ExtendWith(TestParley.class)
class RevisionsTest extends ModerationCast {

  @BeforeEach
  void start() throws Exception {
    cast();
  }

  private long post(Session as, String title, String body, String... sources) {
    Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", body)
        .put("sources", new JsonArray(List.of(sources))));
    assertEquals(201, r.status(), r.toString());
    return r.json().getLong("id");
  }

  private JsonObject edit(String path, Session as, JsonObject body) {
    Response r = api.patch(path, as, body);
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  private JsonArray revisions(String path, Session as) {
    Response r = api.get(path + "/revisions", as);
    assertEquals(200, r.status(), r.toString());
    return r.json().getJsonArray("items");
  }

  @Test
  void everyEditKeepsWhatItReplacedNewestFirstAndNothingElseMakesAVersion() throws Exception {
    long post = post(alice, "First title", "First body", "https://example.org/a");
    String created = api.get("/api/posts/" + post).json().getString("createdAt");
    JsonObject second = edit("/api/posts/" + post, alice, new JsonObject().put("title", "Second title"));
    JsonObject third = edit("/api/posts/" + post, alice, new JsonObject().put("body", "Third body")
        .put("sources", new JsonArray().add("https://example.org/swapped")));
    // Not edits of the text: tags, votes, comments.
    assertEquals(200, api.put("/api/posts/" + post + "/tags", alice, new JsonObject().put("tags",
        new JsonArray().add("news"))).status());
    assertEquals(200, api.put("/api/posts/" + post + "/vote", bob, new JsonObject().put("value", 1)).status());
    long comment = api.comment(bob, post, "Comment one", null);
    String commentCreated = api.get("/api/comments/" + comment).json().getString("createdAt");
    JsonObject edited = edit("/api/comments/" + comment, bob, new JsonObject().put("body", "Comment two"));
    edit("/api/comments/" + comment, bob, new JsonObject().put("body", "Comment three"));
    // The same text again is no new version.
    edit("/api/comments/" + comment, bob, new JsonObject().put("body", "Comment three"));

    JsonArray versions = revisions("/api/posts/" + post, alice);
    assertEquals(2, versions.size(), versions.encodePrettily());
    JsonObject newest = versions.getJsonObject(0);
    JsonObject oldest = versions.getJsonObject(1);
    assertEquals(List.of("id", "title", "body", "sources", "writtenAt", "replacedAt"), List.copyOf(newest.fieldNames()));
    assertEquals("Second title", newest.getString("title"));
    assertEquals("First body", newest.getString("body"));
    assertEquals(new JsonArray().add("https://example.org/a"), newest.getJsonArray("sources"));
    assertEquals("First title", oldest.getString("title"));
    // Each version was written when the one before it was replaced; the first when the post was made.
    assertEquals(created, oldest.getString("writtenAt"));
    assertEquals(second.getString("editedAt"), oldest.getString("replacedAt"));
    assertEquals(second.getString("editedAt"), newest.getString("writtenAt"));
    assertEquals(third.getString("editedAt"), newest.getString("replacedAt"));

    JsonArray said = revisions("/api/comments/" + comment, bob);
    assertEquals(List.of("Comment two", "Comment one"), said.stream().map(v -> ((JsonObject) v).getString("body")).toList());
    assertEquals(List.of("id", "body", "writtenAt", "replacedAt"), List.copyOf(said.getJsonObject(0).fieldNames()));
    assertEquals(commentCreated, said.getJsonObject(1).getString("writtenAt"));
    assertEquals(edited.getString("editedAt"), said.getJsonObject(1).getString("replacedAt"));

    // Pages: newest first, the cursor continues after the last one shown.
    Response first = api.get("/api/comments/" + comment + "/revisions?limit=1", mod);
    assertEquals("Comment two", first.items().getJsonObject(0).getString("body"));
    String cursor = first.json().getString("nextCursor");
    assertNotNull(cursor);
    Response rest = api.get("/api/comments/" + comment + "/revisions?limit=1&cursor=" + cursor, mod);
    assertEquals("Comment one", rest.items().getJsonObject(0).getString("body"));
    assertNull(rest.json().getString("nextCursor"));
  }

  @Test
  void theAuthorAndModeratorsReadEarlierVersionsAndNobodyElse() throws Exception {
    long post = post(alice, "A post", "Said once");
    edit("/api/posts/" + post, alice, new JsonObject().put("body", "Said twice"));
    long comment = api.comment(alice, post, "A comment", null);
    edit("/api/comments/" + comment, alice, new JsonObject().put("body", "An edited comment"));
    for (String path : List.of("/api/posts/" + post, "/api/comments/" + comment)) {
      for (Session reader : List.of(alice, mod, boss)) assertEquals(1, revisions(path, reader).size(), path);
      String before = snapshot();
      assertProblem(api.get(path + "/revisions", bob), 403, path + " as bob");
      assertProblem(api.get(path + "/revisions", null), 401, path + " signed out");
      assertProblem(api.get(path + "/revisions?limit=0", alice), 400, path + " limit 0");
      assertProblem(api.get(path + "/revisions?limit=101", alice), 400, path + " limit 101");
      assertProblem(api.get(path + "/revisions?cursor=nonsense", alice), 400, path + " a made-up cursor");
      assertEquals(before, snapshot(), "reading changes nothing");
    }
    // No such content, and the worst a path can carry: each a problem, sent as raw bytes.
    int port = TestParley.server().running().port();
    for (String missing : List.of("/api/posts/999999", "/api/comments/999999", "/api/posts/abc", "/api/comments/-1",
        "/api/posts/%00", "/api/comments/%zz", "/api/posts/99999999999999999999999", "/api/comments/1%E2%80%AE",
        "/api/posts/" + "9".repeat(5_000))) {
      RawHttp.Reply r = RawHttp.send(port, "GET " + missing + "/revisions HTTP/1.1\r\nHost: localhost\r\n"
          + "Authorization: Bearer " + mod.token() + "\r\nConnection: close\r\n\r\n");
      String what = missing.substring(0, Math.min(40, missing.length())) + ": " + r.status() + " " + r.body();
      assertTrue(r.status() >= 400 && r.status() < 500, what);
      assertTrue(r.header("content-type").startsWith("application/problem+json"), what);
    }

    // Hidden content: its author and moderators still read its versions; to anyone else it is not there.
    ok(api.post("/api/mod/comments/" + comment + "/hide", mod, reason("rude")), "hide the comment");
    ok(api.post("/api/mod/posts/" + post + "/hide", mod, reason("rude")), "hide the post");
    for (String path : List.of("/api/posts/" + post, "/api/comments/" + comment)) {
      assertEquals(1, revisions(path, alice).size(), path);
      assertEquals(1, revisions(path, mod).size(), path);
      assertProblem(api.get(path + "/revisions", bob), 404, path + " hidden, as bob");
    }
  }

  @Test
  void aCommentItsAuthorDeletesTakesItsEarlierVersionsWithIt() throws Exception {
    long post = post(alice, "A post", "Body");
    long comment = api.comment(bob, post, "Something I regret", null);
    edit("/api/comments/" + comment, bob, new JsonObject().put("body", "Something milder"));
    long kept = api.comment(bob, post, "Kept", null);
    edit("/api/comments/" + kept, bob, new JsonObject().put("body", "Kept, edited"));
    assertEquals(2, TestParley.count("SELECT count(*) FROM comment_revisions"));

    assertEquals(204, api.delete("/api/comments/" + comment, bob).status());
    assertEquals(0, TestParley.count("SELECT count(*) FROM comment_revisions WHERE comment_id = " + comment));
    assertEquals(0, revisions("/api/comments/" + comment, mod).size());
    assertEquals(1, revisions("/api/comments/" + kept, mod).size(), "the other comment keeps its own");
  }

  @Test
  void theQueueShowsWhatTheFirstReportWasAboutWhenTheContentWasEditedSince() throws Exception {
    long post = post(alice, "Reported title", "Reported body");
    long comment = api.comment(alice, post, "Reported words", null);
    long before = api.comment(alice, post, "Edited before anyone reported it", null);
    edit("/api/comments/" + before, alice, new JsonObject().put("body", "Edited, then reported"));
    reportId(bob, "post", post, "spam");
    reportId(bob, "comment", comment, "harassment");
    reportId(bob, "comment", before, "spam");
    JsonObject titleEdit = edit("/api/posts/" + post, alice, new JsonObject().put("title", "Harmless title"));
    edit("/api/posts/" + post, alice, new JsonObject().put("body", "Harmless body"));
    edit("/api/comments/" + comment, alice, new JsonObject().put("body", "Harmless words"));
    edit("/api/comments/" + comment, alice, new JsonObject().put("body", "Even more harmless words"));

    Response queue = api.get("/api/mod/queue", mod);
    assertEquals(200, queue.status(), queue.toString());
    JsonObject postItem = item(queue, "post", post);
    assertEquals(new JsonObject().put("title", "Reported title").put("body", "Reported body"),
        postItem.getJsonObject("asFirstReported"));
    assertEquals("Harmless body", postItem.getJsonObject("content").getString("body"));
    assertNotNull(postItem.getJsonObject("content").getString("editedAt"));
    assertTrue(titleEdit.getString("editedAt").compareTo(postItem.getString("firstReportedAt")) >= 0);
    assertEquals(new JsonObject().put("body", "Reported words"), item(queue, "comment", comment)
        .getJsonObject("asFirstReported"));
    JsonObject unchanged = item(queue, "comment", before);
    assertTrue(unchanged.containsKey("asFirstReported"));
    assertNull(unchanged.getJsonObject("asFirstReported"), "not edited since the report: " + unchanged);
    assertEquals("Edited, then reported", unchanged.getJsonObject("content").getString("body"));
  }

  private static JsonObject item(Response queue, String type, long id) {
    return queue.items().stream().map(JsonObject.class::cast)
        .filter(i -> type.equals(i.getString("targetType")) && i.getLong("targetId") == id).findFirst()
        .orElseThrow(() -> new AssertionError(type + " " + id + " not in " + queue));
  }
}
