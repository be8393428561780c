package parley.post;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;
import parley.markdown.Markdown;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Posts over the REST API: creating them and the rules on title, body and sources, that bodies go through the
 * Markdown renderer, reading one, the feed and its paging, editing, deleting, and the comment count a post carries.
 */
@ExtendWith(TestParley.class)
class PostsTest {

  private final Api api = Api.local();

  private static JsonObject post(String title, String body) {
    return new JsonObject().put("title", title).put("body", body);
  }

  private static JsonObject post(String title, String body, JsonArray sources) {
    return post(title, body).put("sources", sources);
  }

  private static List<Long> descending(long from, long to) {
    return LongStream.rangeClosed(to, from).map(i -> from + to - i).boxed().toList();
  }

  private void assertRejected(Session as, JsonObject body, String field) throws Exception {
    Response r = api.post("/api/posts", as, body);
    assertEquals(400, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertTrue(r.errorFields().contains(field), "expected an error on " + field + ": " + r);
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"), "nothing stored");
  }

  // ---- create ----

  @Test
  void createAnswers201WithLocationAndThePost() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post("Hello world", "Some *Markdown* here",
        new JsonArray().add("https://example.org/a").add("http://example.com/b?c=d")));
    assertEquals(201, r.status(), r.toString());
    JsonObject p = r.json();
    long id = p.getLong("id");
    assertTrue(id > 0);
    assertEquals("/api/posts/" + id, r.header("Location"));
    assertTrue(r.contentType().startsWith("application/json"), r.contentType());
    assertEquals("Hello world", p.getString("title"));
    assertEquals("Some *Markdown* here", p.getString("body"));
    assertEquals("<p>Some <em>Markdown</em> here</p>\n", p.getString("bodyHtml"));
    assertEquals(new JsonArray().add("https://example.org/a").add("http://example.com/b?c=d"), p.getJsonArray("sources"));
    assertEquals(new JsonObject().put("username", "alice").put("role", "user"), p.getJsonObject("author"));
    assertTrue(p.getString("createdAt").endsWith("Z"), p.getString("createdAt"));
    assertTrue(p.containsKey("editedAt"));
    assertNull(p.getValue("editedAt"));
    assertEquals(0, p.getInteger("commentCount"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND author_id = " + alice.id()
        + " AND title = 'Hello world' AND deleted_at IS NULL"));
    assertEquals(0, TestParley.count("SELECT comment_count FROM post_activity WHERE post_id = " + id));
  }

  @Test
  void createWithoutSourcesStoresAnEmptyList() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post("No sources", "body"));
    assertEquals(201, r.status(), r.toString());
    assertEquals(new JsonArray(), r.json().getJsonArray("sources"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE cardinality(sources) = 0"));
  }

  @Test
  void createAnonymouslyIs401() throws Exception {
    Response r = api.post("/api/posts", null, post("Title", "body"));
    assertEquals(401, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void titleIsTrimmed() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post("   Padded title \t\n", "body"));
    assertEquals(201, r.status(), r.toString());
    assertEquals("Padded title", r.json().getString("title"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE title = 'Padded title'"));
  }

  @Test
  void emptyTitleIs400() throws Exception {
    assertRejected(api.register("alice"), post("", "body"), "title");
  }

  @Test
  void blankTitleIs400() throws Exception {
    assertRejected(api.register("alice"), post("   \t ", "body"), "title");
  }

  @Test
  void missingTitleIs400() throws Exception {
    assertRejected(api.register("alice"), new JsonObject().put("body", "body"), "title");
  }

  @Test
  void titleOf201CharactersIs400() throws Exception {
    assertRejected(api.register("alice"), post("t".repeat(201), "body"), "title");
  }

  @Test
  void titleOf200CharactersIsAccepted() {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post("t".repeat(200), "body"));
    assertEquals(201, r.status(), r.toString());
    assertEquals("t".repeat(200), r.json().getString("title"));
  }

  @Test
  void emptyBodyIs400() throws Exception {
    assertRejected(api.register("alice"), post("Title", ""), "body");
  }

  @Test
  void missingBodyIs400() throws Exception {
    assertRejected(api.register("alice"), new JsonObject().put("title", "Title"), "body");
  }

  @Test
  void bodyOf40001CharactersIs400() throws Exception {
    assertRejected(api.register("alice"), post("Title", "b".repeat(40_001)), "body");
  }

  @Test
  void bodyOf40000CharactersIsAccepted() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post("Title", "b".repeat(40_000)));
    assertEquals(201, r.status(), r.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE length(body) = 40000"));
  }

  @Test
  void elevenSourcesIs400() throws Exception {
    JsonArray sources = new JsonArray();
    for (int i = 0; i < 11; i++) sources.add("https://example.org/" + i);
    assertRejected(api.register("alice"), post("Title", "body", sources), "sources");
  }

  @Test
  void tenSourcesAreAccepted() {
    JsonArray sources = new JsonArray();
    for (int i = 0; i < 10; i++) sources.add("https://example.org/" + i);
    Response r = api.post("/api/posts", api.register("alice"), post("Title", "body", sources));
    assertEquals(201, r.status(), r.toString());
    assertEquals(sources, r.json().getJsonArray("sources"));
  }

  @Test
  void ftpSourceIs400() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post("Title", "body",
        new JsonArray().add("https://ok.example.org").add("ftp://x")));
    assertEquals(400, r.status(), r.toString());
    assertTrue(r.errorFields().stream().allMatch(f -> f.startsWith("sources")), r.toString());
    assertFalse(r.errorFields().isEmpty());
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void javascriptSourceIs400() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post("Title", "body", new JsonArray().add("javascript:alert(1)")));
    assertEquals(400, r.status(), r.toString());
    assertFalse(r.errorFields().isEmpty());
    assertTrue(r.errorFields().stream().allMatch(f -> f.startsWith("sources")), r.toString());
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void sourcesThatAreNotAnArrayIs400() throws Exception {
    Session alice = api.register("alice");
    assertRejected(alice, post("Title", "body").put("sources", "https://example.org"), "sources");
  }

  @Test
  void everyInvalidFieldIsReportedAtOnce() throws Exception {
    Session alice = api.register("alice");
    Response r = api.post("/api/posts", alice, post(" ", "").put("sources", 5));
    assertEquals(400, r.status(), r.toString());
    assertEquals(List.of("title", "body", "sources"), r.errorFields());
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  // ---- markdown ----

  /**
   * The rules (raw HTML escaped, only web and mail links, rel on every link) are MarkdownTest's; this checks that a
   * post's body goes through them, with one sign of each rule so a post that skipped the renderer cannot pass.
   */
  @Test
  void aPostsBodyIsRenderedByTheSafeMarkdownRulesAndKeptAsWritten() {
    Session alice = api.register("alice");
    String body = "Hi <script>alert(1)</script> there\n\n[click me](javascript:alert(1))\n\n"
        + "[site](https://example.org/page)";
    Response r = api.post("/api/posts", alice, post("Markdown", body));
    assertEquals(201, r.status(), r.toString());
    String html = r.json().getString("bodyHtml");
    assertEquals(Markdown.render(body).html(), html, "the stored HTML is what the Markdown renderer makes");
    assertTrue(html.contains("&lt;script&gt;"), html);
    assertFalse(html.contains("<script"), html);
    assertTrue(html.contains("click me"), html);
    assertFalse(html.toLowerCase().contains("javascript"), html);
    assertTrue(html.contains("href=\"https://example.org/page\""), html);
    assertTrue(html.contains("rel=\"nofollow ugc noopener\""), html);
    assertEquals(body, r.json().getString("body"), "the Markdown is kept as written");
  }

  // ---- read ----

  @Test
  void readReturnsThePost() {
    Session alice = api.register("alice");
    Response created = api.post("/api/posts", alice, post("Read me", "**bold**",
        new JsonArray().add("https://example.org")));
    long id = created.json().getLong("id");
    Response r = api.get("/api/posts/" + id);
    assertEquals(200, r.status(), r.toString());
    JsonObject read = r.json();
    assertEquals(0, ((Number) read.remove("seq")).longValue(), "a new post's thread has no events yet");
    assertEquals(created.json(), read);
    assertEquals("<p><strong>bold</strong></p>\n", r.json().getString("bodyHtml"));
  }

  @Test
  void readingAnUnknownPostIs404() {
    Response r = api.get("/api/posts/999999");
    assertEquals(404, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
  }

  @Test
  void readingANonNumericPostIdIs404() {
    assertEquals(404, api.get("/api/posts/abc").status());
    assertEquals(404, api.get("/api/posts/0").status());
    assertEquals(404, api.get("/api/posts/-1").status());
    assertEquals(404, api.get("/api/posts/99999999999999999999999").status());
  }

  @Test
  void readingADeletedPostIs404() {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Gone soon");
    assertEquals(204, api.delete("/api/posts/" + id, alice).status());
    assertEquals(404, api.get("/api/posts/" + id).status());
  }

  // ---- list ----

  @Test
  void listShowsPostsNewestFirstWithExcerpts() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long first = api.createPost(alice, "First");
    long second = api.post("/api/posts", bob, post("Second", "# Heading\n\nSome **text**",
        new JsonArray().add("https://example.org"))).json().getLong("id");
    Response r = api.get("/api/posts");
    assertEquals(200, r.status(), r.toString());
    assertEquals(List.of(second, first), r.ids());
    assertNull(r.json().getValue("nextCursor"));
    assertTrue(r.json().containsKey("nextCursor"));
    JsonObject item = r.items().getJsonObject(0);
    assertEquals("Second", item.getString("title"));
    assertEquals(new JsonObject().put("username", "bob").put("role", "user"), item.getJsonObject("author"));
    assertNotNull(item.getString("createdAt"));
    assertTrue(item.containsKey("editedAt"));
    assertEquals(0, item.getInteger("commentCount"));
    assertEquals(new JsonArray().add("https://example.org"), item.getJsonArray("sources"));
    String excerpt = item.getString("excerpt");
    assertTrue(excerpt.contains("Heading") && excerpt.contains("text"), excerpt);
    assertFalse(excerpt.contains("**") || excerpt.contains("#"), "the excerpt is plain text: " + excerpt);
    assertFalse(item.containsKey("body"), "the list carries an excerpt, not the body");
  }

  @Test
  void listOfNoPostsIsEmpty() {
    Response r = api.get("/api/posts");
    assertEquals(200, r.status(), r.toString());
    assertEquals(new JsonArray(), r.items());
    assertNull(r.json().getValue("nextCursor"));
  }

  @Test
  void listDefaultsToTwentyPerPage() {
    Session alice = api.register("alice");
    for (int i = 1; i <= 21; i++) api.createPost(alice, "Post " + i);
    Response r = api.get("/api/posts");
    assertEquals(200, r.status(), r.toString());
    assertEquals(descending(21, 2), r.ids());
    assertNotNull(r.json().getString("nextCursor"));
    Response rest = api.get("/api/posts?cursor=" + r.json().getString("nextCursor"));
    assertEquals(List.of(1L), rest.ids());
    assertNull(rest.json().getValue("nextCursor"));
  }

  @Test
  void aFullLastPageHasNoNextCursor() {
    Session alice = api.register("alice");
    for (int i = 1; i <= 4; i++) api.createPost(alice, "Post " + i);
    Response page1 = api.get("/api/posts?limit=2");
    assertEquals(List.of(4L, 3L), page1.ids());
    Response page2 = api.get("/api/posts?limit=2&cursor=" + page1.json().getString("nextCursor"));
    assertEquals(List.of(2L, 1L), page2.ids());
    assertNull(page2.json().getValue("nextCursor"), page2.toString());
  }

  @Test
  void limitOutsideOneToHundredIs400() {
    for (String bad : new String[] {"0", "101", "-1", "abc", "1.5"}) {
      Response r = api.get("/api/posts?limit=" + bad);
      assertEquals(400, r.status(), bad + ": " + r);
      assertEquals(List.of("limit"), r.errorFields(), bad);
    }
    assertEquals(200, api.get("/api/posts?limit=1").status());
    assertEquals(200, api.get("/api/posts?limit=100").status());
  }

  @Test
  void garbageCursorIs400() {
    for (String bad : new String[] {"garbage!!", "bm9wZQ", "YWZ0ZXI6LTU", "YWZ0ZXI6eHl6"}) {
      Response r = api.get("/api/posts?cursor=" + bad);
      assertEquals(400, r.status(), bad + ": " + r);
      assertEquals(List.of("cursor"), r.errorFields(), bad);
    }
  }

  @Test
  void deletedPostsAreNeverListed() {
    Session alice = api.register("alice");
    long a = api.createPost(alice, "A");
    long b = api.createPost(alice, "B");
    long c = api.createPost(alice, "C");
    assertEquals(204, api.delete("/api/posts/" + b, alice).status());
    assertEquals(List.of(c, a), api.get("/api/posts").ids());
    Response page1 = api.get("/api/posts?limit=1");
    Response page2 = api.get("/api/posts?limit=1&cursor=" + page1.json().getString("nextCursor"));
    assertEquals(List.of(c), page1.ids());
    assertEquals(List.of(a), page2.ids());
    assertNull(page2.json().getValue("nextCursor"));
  }

  @Test
  void paginationHasNoDuplicatesOrGapsWhileNewPostsArrive() {
    Session alice = api.register("alice");
    List<Long> original = new ArrayList<>();
    for (int i = 1; i <= 25; i++) original.add(api.createPost(alice, "Post " + i));

    Response page1 = api.get("/api/posts?limit=10");
    assertEquals(200, page1.status(), page1.toString());
    assertEquals(10, page1.items().size());
    String cursor1 = page1.json().getString("nextCursor");
    assertNotNull(cursor1);

    for (int i = 1; i <= 5; i++) api.createPost(alice, "Late " + i);

    Response page2 = api.get("/api/posts?limit=10&cursor=" + cursor1);
    assertEquals(200, page2.status(), page2.toString());
    assertEquals(10, page2.items().size());
    String cursor2 = page2.json().getString("nextCursor");
    assertNotNull(cursor2);

    Response page3 = api.get("/api/posts?limit=10&cursor=" + cursor2);
    assertEquals(200, page3.status(), page3.toString());
    assertEquals(5, page3.items().size());
    assertNull(page3.json().getValue("nextCursor"));

    List<Long> seen = new ArrayList<>();
    seen.addAll(page1.ids());
    seen.addAll(page2.ids());
    seen.addAll(page3.ids());
    assertEquals(seen.size(), new HashSet<>(seen).size(), "no duplicates: " + seen);
    List<Long> expected = new ArrayList<>(original);
    expected.sort((x, y) -> Long.compare(y, x));
    assertEquals(expected, seen, "exactly the original 25, newest first");

    Response fresh = api.get("/api/posts?limit=10");
    assertEquals(descending(30, 21), fresh.ids(), "a fresh first page shows the new posts");
  }

  // ---- edit ----

  @Test
  void editChangesTheGivenFieldsAndSetsEditedAt() throws Exception {
    Session alice = api.register("alice");
    Response created = api.post("/api/posts", alice, post("Old title", "Old body",
        new JsonArray().add("https://old.example.org")));
    long id = created.json().getLong("id");
    Response r = api.patch("/api/posts/" + id, alice, new JsonObject().put("title", "  New title ").put("body", "_new_"));
    assertEquals(200, r.status(), r.toString());
    JsonObject p = r.json();
    assertEquals(id, p.getLong("id"));
    assertEquals("New title", p.getString("title"));
    assertEquals("_new_", p.getString("body"));
    assertEquals("<p><em>new</em></p>\n", p.getString("bodyHtml"));
    assertEquals(new JsonArray().add("https://old.example.org"), p.getJsonArray("sources"), "sources untouched");
    assertEquals(created.json().getString("createdAt"), p.getString("createdAt"));
    assertNotNull(p.getString("editedAt"));
    JsonObject read = api.get("/api/posts/" + id).json();
    assertEquals(1, ((Number) read.remove("seq")).longValue(), "the edit is the thread's first event");
    assertEquals(p, read);
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id
        + " AND title = 'New title' AND body = '_new_' AND edited_at IS NOT NULL"));
  }

  @Test
  void editingOnlySourcesKeepsTitleAndBody() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Keep");
    Response r = api.patch("/api/posts/" + id, alice,
        new JsonObject().put("sources", new JsonArray().add("https://new.example.org")));
    assertEquals(200, r.status(), r.toString());
    assertEquals("Keep", r.json().getString("title"));
    assertEquals("Body of Keep", r.json().getString("body"));
    assertEquals(new JsonArray().add("https://new.example.org"), r.json().getJsonArray("sources"));
    assertNotNull(r.json().getString("editedAt"));
  }

  @Test
  void editingSourcesToAnEmptyListClearsThem() throws Exception {
    Session alice = api.register("alice");
    long id = api.post("/api/posts", alice, post("T", "b", new JsonArray().add("https://example.org")))
        .json().getLong("id");
    Response r = api.patch("/api/posts/" + id, alice, new JsonObject().put("sources", new JsonArray()));
    assertEquals(200, r.status(), r.toString());
    assertEquals(new JsonArray(), r.json().getJsonArray("sources"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND cardinality(sources) = 0"));
  }

  @Test
  void editWithAnEmptyObjectIs400() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Unchanged");
    Response r = api.patch("/api/posts/" + id, alice, new JsonObject());
    assertEquals(400, r.status(), r.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND edited_at IS NULL"));
  }

  @Test
  void editWithInvalidFieldsIs400AndChangesNothing() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Unchanged");
    JsonObject[] bad = {
        new JsonObject().put("title", ""),
        new JsonObject().put("title", "   "),
        new JsonObject().put("title", "t".repeat(201)),
        new JsonObject().put("title", "Fine").put("body", ""),
        new JsonObject().put("body", "b".repeat(40_001)),
        new JsonObject().put("title", "Fine").put("sources", new JsonArray().add("ftp://x")),
        new JsonObject().put("sources", "https://example.org"),
        new JsonObject().put("title", (String) null),
    };
    for (JsonObject body : bad) {
      Response r = api.patch("/api/posts/" + id, alice, body);
      assertEquals(400, r.status(), body.encode().substring(0, Math.min(80, body.encode().length())) + " -> " + r);
    }
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id
        + " AND title = 'Unchanged' AND body = 'Body of Unchanged' AND cardinality(sources) = 0 AND edited_at IS NULL"));
  }

  @Test
  void editingSomeoneElsesPostIs403AndChangesNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long id = api.createPost(alice, "Alice's");
    Response r = api.patch("/api/posts/" + id, bob, new JsonObject().put("title", "Hijacked"));
    assertEquals(403, r.status(), r.toString());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id
        + " AND title = 'Alice''s' AND edited_at IS NULL"));
  }

  @Test
  void moderatorsCannotEditSomeoneElsesPost() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    long id = api.createPost(alice, "Alice's");
    assertEquals(403, api.patch("/api/posts/" + id, mod, new JsonObject().put("title", "Moderated")).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND title = 'Alice''s'"));
  }

  @Test
  void editingAnonymouslyIs401() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Alice's");
    assertEquals(401, api.patch("/api/posts/" + id, null, new JsonObject().put("title", "Anon")).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE title = 'Alice''s' AND edited_at IS NULL"));
  }

  @Test
  void editingAnUnknownPostIs404() {
    Session alice = api.register("alice");
    assertEquals(404, api.patch("/api/posts/424242", alice, new JsonObject().put("title", "x")).status());
    assertEquals(404, api.patch("/api/posts/abc", alice, new JsonObject().put("title", "x")).status());
  }

  @Test
  void editingADeletedPostIs404() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Deleted");
    api.delete("/api/posts/" + id, alice);
    assertEquals(404, api.patch("/api/posts/" + id, alice, new JsonObject().put("title", "Revived")).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE title = 'Deleted' AND edited_at IS NULL"));
  }

  // ---- delete ----

  @Test
  void authorDeletesAPostSoftly() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Short-lived");
    Response r = api.delete("/api/posts/" + id, alice);
    assertEquals(204, r.status(), r.toString());
    assertEquals("", r.body());
    assertEquals(404, api.get("/api/posts/" + id).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND deleted_at IS NOT NULL"));
  }

  @Test
  void moderatorDeletesSomeoneElsesPost() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    long id = api.createPost(alice, "Rule-breaking");
    assertEquals(204, api.delete("/api/posts/" + id, mod).status());
    assertEquals(404, api.get("/api/posts/" + id).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND deleted_at IS NOT NULL"));
  }

  @Test
  void adminDeletesSomeoneElsesPost() throws Exception {
    Session alice = api.register("alice");
    Session admin = api.registerWithRole("boss", "admin");
    long id = api.createPost(alice, "Rule-breaking");
    assertEquals(204, api.delete("/api/posts/" + id, admin).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND deleted_at IS NOT NULL"));
  }

  @Test
  void deletingSomeoneElsesPostIs403AndChangesNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long id = api.createPost(alice, "Alice's");
    Response r = api.delete("/api/posts/" + id, bob);
    assertEquals(403, r.status(), r.toString());
    assertEquals(200, api.get("/api/posts/" + id).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND deleted_at IS NULL"));
  }

  @Test
  void deletingAnonymouslyIs401() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Alice's");
    assertEquals(401, api.delete("/api/posts/" + id, null).status());
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE id = " + id + " AND deleted_at IS NULL"));
  }

  @Test
  void deletingAnUnknownPostIs404() {
    Session alice = api.register("alice");
    assertEquals(404, api.delete("/api/posts/424242", alice).status());
    assertEquals(404, api.delete("/api/posts/abc", alice).status());
  }

  @Test
  void deletingAPostKeepsItsOtherPostsListed() throws Exception {
    Session alice = api.register("alice");
    long keep = api.createPost(alice, "Keep");
    long drop = api.createPost(alice, "Drop");
    assertNotEquals(keep, drop);
    api.delete("/api/posts/" + drop, alice);
    assertEquals(List.of(keep), api.get("/api/posts").ids());
    assertEquals(2, TestParley.count("SELECT count(*) FROM posts"), "the row is kept");
  }

  // ---- commentCount ----

  @Test
  void commentCountFollowsCommentsAndDeletions() throws Exception {
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Discussed");
    long c1 = api.comment(alice, id, "one", null);
    api.comment(alice, id, "two", c1);
    api.comment(alice, id, "three", null);
    assertEquals(3, api.get("/api/posts/" + id).json().getInteger("commentCount"));
    assertEquals(3, api.get("/api/posts").items().getJsonObject(0).getInteger("commentCount"));
    assertEquals(204, api.delete("/api/comments/" + c1, alice).status());
    assertEquals(2, api.get("/api/posts/" + id).json().getInteger("commentCount"));
    assertEquals(2, api.get("/api/posts").items().getJsonObject(0).getInteger("commentCount"));
    assertEquals(2, TestParley.count("SELECT comment_count FROM post_activity WHERE post_id = " + id));
  }
}
