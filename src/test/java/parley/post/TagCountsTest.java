package parley.post;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.Api.Session;
import parley.ModerationCast;
import parley.TestParley;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tag counts kept as posts change (V35's tag_counts) against the posts themselves, after every kind of change a
 * post's tags or listing can go through: made with tags, held and approved, held and rejected, retagged by its author
 * and by a moderator, hidden and restored, deleted, its author's account deleted. And what GET /api/tags answers from
 * them, signed out and for a reader who blocked an author.
 */
@ExtendWith(TestParley.class)
class TagCountsTest extends ModerationCast {

  private Session carol;

  @BeforeEach
  void setUp() throws Exception {
    cast();
    carol = api.register("carol");
  }

  /** The listed posts' tags, counted from the posts, as GET /api/tags counted them before V35. */
  private static Map<String, Long> counted() throws Exception {
    return counts("SELECT t.tag, count(*) FROM posts p, unnest(p.tags) AS t(tag) WHERE p.deleted_at IS NULL "
        + "AND p.hidden_at IS NULL AND p.pending_at IS NULL GROUP BY t.tag");
  }

  /** Every row kept: a tag no listed post carries any more has none. */
  private static Map<String, Long> kept() throws Exception {
    return counts("SELECT tag, posts FROM tag_counts");
  }

  private static Map<String, Long> counts(String query) throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      while (rs.next()) counts.put(rs.getString(1), rs.getLong(2));
    }
    return counts;
  }

  /** The listed posts, counted from the posts and as kept (V38's listed_posts, one row per 64th of the ids). */
  private static Map<String, Long> listed() throws Exception {
    Map<String, Long> both = counts("SELECT 'counted', count(*) FROM posts WHERE deleted_at IS NULL "
        + "AND hidden_at IS NULL AND pending_at IS NULL");
    both.putAll(counts("SELECT 'kept', COALESCE(sum(posts), 0) FROM listed_posts"));
    return both;
  }

  private static void assertKept(String after, Map<String, Long> expected) throws Exception {
    assertEquals(expected, counted(), "the posts, after " + after);
    assertEquals(expected, kept(), "the kept counts, after " + after);
    Map<String, Long> listed = listed();
    assertEquals(listed.get("counted"), listed.get("kept"), "the listed posts kept, after " + after);
  }

  private long post(Session as, String title, String... tags) {
    Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", "b")
        .put("tags", new JsonArray(java.util.List.of((Object[]) tags))));
    assertEquals(201, r.status(), r.toString());
    return r.json().getLong("id");
  }

  @Test
  void theKeptCountsFollowEveryChangeOfAPostsTagsOrListing() throws Exception {
    long first = post(alice, "First", "rust", "go");
    long second = post(bob, "Second", "rust");
    api.createPost(bob, "Untagged");
    assertKept("posts made", Map.of("go", 1L, "rust", 2L));
    assertEquals(3, listed().get("kept"), "three listed posts, one untagged");

    holdWord();
    long held = post(alice, "Held " + HELD_WORD, "rust", "zig");
    assertKept("a held post", Map.of("go", 1L, "rust", 2L));
    assertEquals(204, api.post("/api/mod/posts/" + held + "/approve", mod, null).status());
    assertKept("its approval", Map.of("go", 1L, "rust", 3L, "zig", 1L));
    long rejected = post(bob, "Rejected " + HELD_WORD, "zig");
    assertEquals(200, api.put("/api/posts/" + rejected + "/tags", mod,
        new JsonObject().put("tags", new JsonArray().add("zig").add("held"))).status());
    assertKept("a held post's retag", Map.of("go", 1L, "rust", 3L, "zig", 1L));
    assertEquals(204, api.post("/api/mod/posts/" + rejected + "/reject", mod, reason("spam")).status());
    assertKept("a rejection", Map.of("go", 1L, "rust", 3L, "zig", 1L));

    assertEquals(200, api.patch("/api/posts/" + first, alice,
        new JsonObject().put("tags", new JsonArray().add("go").add("c"))).status());
    assertKept("an edit's new tags", Map.of("c", 1L, "go", 1L, "rust", 2L, "zig", 1L));
    assertEquals(200, api.patch("/api/posts/" + first, alice, new JsonObject().put("title", "Renamed")).status());
    assertKept("an edit of the title alone", Map.of("c", 1L, "go", 1L, "rust", 2L, "zig", 1L));
    assertEquals(200, api.put("/api/posts/" + second + "/tags", mod,
        new JsonObject().put("tags", new JsonArray().add("meta"))).status());
    assertKept("a moderator's retag", Map.of("c", 1L, "go", 1L, "meta", 1L, "rust", 1L, "zig", 1L));

    assertEquals(204, api.post("/api/mod/posts/" + second + "/hide", mod, reason("spam")).status());
    assertKept("a hide", Map.of("c", 1L, "go", 1L, "rust", 1L, "zig", 1L));
    assertEquals(200, api.put("/api/posts/" + second + "/tags", mod,
        new JsonObject().put("tags", new JsonArray().add("meta").add("go"))).status());
    assertKept("a hidden post's retag", Map.of("c", 1L, "go", 1L, "rust", 1L, "zig", 1L));
    assertEquals(204, api.post("/api/mod/posts/" + second + "/restore", mod, reason("ok")).status());
    assertKept("its restore", Map.of("c", 1L, "go", 2L, "meta", 1L, "rust", 1L, "zig", 1L));

    assertEquals(204, api.delete("/api/posts/" + first, alice).status());
    assertKept("a delete", Map.of("go", 1L, "meta", 1L, "rust", 1L, "zig", 1L));

    post(carol, "Carol's", "zig", "meta");
    assertEquals(204, api.post("/api/me/delete", carol, new JsonObject().put("currentPassword", "correct horse"))
        .status());
    assertKept("an account's deletion", Map.of("go", 1L, "meta", 1L, "rust", 1L, "zig", 1L));
    assertEquals(3, listed().get("kept"), "second, the untagged one and the approved one");
  }

  @Test
  void theMostUsedTagsAreReadOffTheCountsAndABlockersLeaveOutWhomTheyBlocked() throws Exception {
    post(alice, "A1", "rust", "go");
    post(alice, "A2", "rust");
    post(alice, "A3", "rust", "zig");
    post(bob, "B1", "go", "zig");
    post(bob, "B2", "go");
    post(mod, "M1", "zig");

    JsonArray everyone = new JsonArray().add(tag("rust", 3)).add(tag("zig", 3)).add(tag("go", 3));
    assertEquals(sorted(everyone), api.get("/api/tags").json().getJsonArray("items"), "signed out");
    assertEquals(sorted(everyone), api.get("/api/tags", carol).json().getJsonArray("items"), "no one blocked");
    assertEquals(new JsonArray().add(tag("go", 3)).add(tag("rust", 3)),
        api.get("/api/tags?limit=2").json().getJsonArray("items"), "the limit, ties by name");

    assertEquals(204, api.put("/api/me/blocks/alice", carol, null).status());
    assertEquals(new JsonArray().add(tag("go", 2)).add(tag("zig", 2)),
        api.get("/api/tags", carol).json().getJsonArray("items"), "alice's posts left out; rust is hers alone");
    assertEquals(new JsonArray().add(tag("go", 2)), api.get("/api/tags?limit=1", carol).json().getJsonArray("items"));
    assertEquals(sorted(everyone), api.get("/api/tags").json().getJsonArray("items"), "the others' counts unchanged");
    Response realWorld = api.raw("GET", "/realworld/api/tags", "Token " + carol.token(), null, null);
    assertEquals(new JsonArray().add("go").add("zig"), realWorld.json().getJsonArray("tags"), "RealWorld's, the same");
    // RealWorld's totals read the same kept counts (the whole list's from V38's), less what the reader blocked.
    assertEquals(6, articlesCount("", null), "every post, signed out");
    assertEquals(3, articlesCount("&tag=rust", null));
    assertEquals(0, articlesCount("&tag=nothing", null));
    assertEquals(3, articlesCount("", carol), "alice's three left out");
    assertEquals(0, articlesCount("&tag=rust", carol));
    assertEquals(2, articlesCount("&tag=go", carol));
    assertEquals(6, articlesCount("", bob), "bob blocked no one");

    // A blocked author's hidden post was not counted to begin with: nothing is taken off for it.
    long hidden = post(alice, "Hidden", "go");
    assertEquals(204, api.post("/api/mod/posts/" + hidden + "/hide", mod, reason("spam")).status());
    assertEquals(new JsonArray().add(tag("go", 2)).add(tag("zig", 2)),
        api.get("/api/tags", carol).json().getJsonArray("items"));
    assertEquals(6, articlesCount("", null));
    assertEquals(3, articlesCount("&tag=go", null));
    assertEquals(3, articlesCount("", carol));
    assertEquals(2, articlesCount("&tag=go", carol));
  }

  /** RealWorld's articlesCount for that filter and reader, checked against the articles it pages through. */
  private long articlesCount(String filter, Session reader) {
    Response r = api.raw("GET", "/realworld/api/articles?limit=100" + filter,
        reader == null ? null : "Token " + reader.token(), null, null);
    assertEquals(200, r.status(), r.toString());
    long count = r.json().getLong("articlesCount");
    assertEquals(r.json().getJsonArray("articles").size(), count, "the total is the articles listed: " + r);
    return count;
  }

  private static JsonObject tag(String tag, long posts) {
    return new JsonObject().put("tag", tag).put("posts", posts);
  }

  /** Most used first, then by name. */
  private static JsonArray sorted(JsonArray tags) {
    java.util.List<JsonObject> list = new java.util.ArrayList<>();
    tags.forEach(t -> list.add((JsonObject) t));
    list.sort(java.util.Comparator.comparingLong((JsonObject t) -> -t.getLong("posts"))
        .thenComparing(t -> t.getString("tag")));
    return new JsonArray(new java.util.ArrayList<>(list));
  }
}
