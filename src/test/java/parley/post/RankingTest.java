package parley.post;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feed's and the thread's orders on constructed data whose expected order is known, paging across ties with
 * no duplicates and no gaps, and tags (validation, filter, counts). Counts are set directly in the database where a
 * test needs more votes than it has accounts: the ranks follow from the counts through the same triggers.
 */
@ExtendWith(TestParley.class)
class RankingTest {

  private final Api api = Api.local();

  private static void counts(String table, long id, int up, int down) throws Exception {
    TestParley.sql("UPDATE " + table + " SET upvotes = " + up + ", downvotes = " + down + " WHERE id = " + id);
  }

  private static void age(long post, String interval) throws Exception {
    // Naming upvotes in the SET makes the rank trigger recompute hot from the new creation time.
    TestParley.sql("UPDATE posts SET created_at = now() - interval '" + interval + "', upvotes = upvotes WHERE id = "
        + post);
    TestParley.sql("UPDATE post_activity SET last_activity_at = now() - interval '" + interval + "' WHERE post_id = "
        + post);
  }

  /** Every page of a list, following the cursor; fails on a repeated id. */
  private List<Long> allPages(String path, int limit) {
    Set<Long> seen = new LinkedHashSet<>();
    String cursor = null;
    do {
      String sep = path.contains("?") ? "&" : "?";
      Response r = api.get(path + sep + "limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, r.status(), r.toString());
      for (Long id : r.ids()) assertTrue(seen.add(id), "no duplicates across pages: " + id + " in " + seen);
      cursor = r.json().getString("nextCursor");
    } while (cursor != null);
    return new ArrayList<>(seen);
  }

  @Test
  void hotWeighsScoreAgainstAgeAsTheFormulaSays() throws Exception {
    Session alice = api.register("alice");
    long fresh = api.createPost(alice, "Fresh, no votes");
    long old = api.createPost(alice, "A day old, 1000 points");
    long older = api.createPost(alice, "Two days old, 10 points");
    counts("posts", old, 1000, 0);
    age(old, "24 hours");
    counts("posts", older, 10, 0);
    age(older, "48 hours");
    // log10(1000) = 3 points of rank = 37.5 hours of age: the day-old post at 1000 beats the fresh one (24 h < 37.5 h)
    // and the two-day-old at 10 (log10 10 = 1 = 12.5 h) loses to the fresh one (48 h > 12.5 h).
    assertEquals(List.of(old, fresh, older), allPages("/api/posts?sort=hot", 10));
    double hot = Double.parseDouble(textOf("SELECT hot FROM posts WHERE id = " + old));
    double expected = 3 + (Double.parseDouble(textOf("SELECT extract(epoch FROM created_at) FROM posts WHERE id = "
        + old)) - 1134028003) / 45000;
    assertEquals(expected, hot, 1e-6, "hot = log10(score) + (created - 1134028003) / 45000");
  }

  private static String textOf(String query) throws Exception {
    try (var c = TestParley.db().getConnection(); var s = c.createStatement(); var rs = s.executeQuery(query)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void topIsByScoreWithinThePeriodAndActiveByTheLatestComment() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long a = api.createPost(alice, "a");
    long b = api.createPost(alice, "b");
    long c = api.createPost(alice, "c");
    counts("posts", a, 5, 0);
    counts("posts", b, 50, 0);
    counts("posts", c, 7, 0);
    age(b, "10 days");
    assertEquals(List.of(b, c, a), allPages("/api/posts?sort=top", 2), "all time");
    assertEquals(List.of(b, c, a), allPages("/api/posts?sort=top&period=all", 1));
    assertEquals(List.of(c, a), allPages("/api/posts?sort=top&period=week", 1), "b is older than a week");
    assertEquals(List.of(b, c, a), allPages("/api/posts?sort=top&period=month", 2));

    assertEquals(List.of(c, a, b), allPages("/api/posts?sort=active", 10), "by creation while nobody comments");
    api.comment(bob, a, "bumps a", null);
    assertEquals(List.of(a, c, b), allPages("/api/posts?sort=active", 1), "a comment makes a thread active");
  }

  @Test
  void everySortPagesAcrossTiesWithNoDuplicatesAndNoGaps() throws Exception {
    Session alice = api.register("alice");
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 23; i++) ids.add(api.createPost(alice, "p" + i));
    // Three score groups, each a run of ties.
    for (int i = 0; i < ids.size(); i++) counts("posts", ids.get(i), i % 3, 0);
    TestParley.sql("UPDATE post_activity SET last_activity_at = date_trunc('hour', now())");
    for (String sort : List.of("new", "hot", "top", "active")) {
      for (int limit : new int[] {1, 4, 7, 100}) {
        List<Long> paged = allPages("/api/posts?sort=" + sort, limit);
        assertEquals(new LinkedHashSet<>(ids), new java.util.HashSet<>(paged), sort + " limit " + limit + ": every post once");
        assertEquals(allPages("/api/posts?sort=" + sort, 100), paged, sort + ": the same order whatever the page size");
      }
    }
    // Within a tie the newer post comes first.
    List<Long> top = allPages("/api/posts?sort=top", 5);
    long newestOfTop = ids.get(20); // i = 20 is the last with i % 3 == 2
    assertEquals(newestOfTop, top.get(0), "the newest of the score-2 group leads: " + top);
  }

  @Test
  void sortAndCursorRefusals() {
    for (String bad : List.of("sort=best", "sort=", "sort=top&period=decade", "sort=hot&period=week", "tag=Not+Valid",
        "tag=-x", "cursor=nope")) {
      Response r = api.get("/api/posts?" + bad);
      assertEquals(400, r.status(), bad + ": " + r);
      assertEquals("application/problem+json", r.contentType());
    }
    Session alice = api.register("alice");
    api.createPost(alice, "one");
    api.createPost(alice, "two");
    String newCursor = api.get("/api/posts?limit=1").json().getString("nextCursor");
    assertEquals(400, api.get("/api/posts?sort=hot&cursor=" + newCursor).status(), "a cursor of another sort");
    String hotCursor = api.get("/api/posts?sort=hot&limit=1").json().getString("nextCursor");
    assertEquals(400, api.get("/api/posts?sort=active&cursor=" + hotCursor).status(), "a hot key is not a time");
    assertEquals(400, api.get("/api/posts?cursor=" + hotCursor).status(), "a keyed cursor is not new's");
    assertEquals(400, api.get("/api/posts/1/comments?sort=top").status());
    // Forged keys this server never issues: each a 400, none a 500 from the query.
    java.util.Map<String, String> forged = new java.util.LinkedHashMap<>();
    forged.put("1e309", "hot");
    forged.put("1e-400", "hot");
    forged.put("1\u0000", "hot");
    forged.put("5", "hot");
    forged.put("\u0661", "top");
    forged.put("+5", "top");
    forged.put("0000-01-01T00:00:00Z", "active");
    forged.put("+999999999-12-31T23:59:59Z", "active");
    forged.forEach((key, sort) -> {
      java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
      String cursor = b64.encodeToString(("after:1:" + b64.encodeToString(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      Response r = api.get("/api/posts?sort=" + sort + "&cursor=" + cursor);
      assertEquals(400, r.status(), sort + " " + key + ": " + r);
    });
  }

  @Test
  void bestRanksByTheWilsonLowerBoundSoTwoOfTwoLosesToNinetyOfAHundred() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    long twoOfTwo = api.comment(alice, post, "2 of 2", null);
    long ninety = api.comment(alice, post, "90 of 100", null);
    long none = api.comment(alice, post, "no votes", null);
    long reply = api.comment(alice, post, "a reply", ninety);
    counts("comments", twoOfTwo, 2, 0);
    counts("comments", ninety, 90, 10);
    counts("comments", reply, 1, 0);
    JsonArray best = api.get("/api/posts/" + post + "/comments?sort=best").items();
    List<Long> order = best.stream().map(o -> ((JsonObject) o).getLong("id")).toList();
    assertEquals(List.of(ninety, twoOfTwo, reply, none), order);
    assertEquals(List.of(reply, none, ninety, twoOfTwo), api.get("/api/posts/" + post + "/comments?sort=new").ids());
    assertEquals(List.of(twoOfTwo, ninety, none, reply), api.get("/api/posts/" + post + "/comments?sort=old").ids());
    assertEquals(List.of(ninety, twoOfTwo, reply, none), pagedComments(post, "best", 1), "best pages by its key");
    assertEquals(List.of(reply, none, ninety, twoOfTwo), pagedComments(post, "new", 3));
  }

  private List<Long> pagedComments(long post, String sort, int limit) {
    return allPages("/api/posts/" + post + "/comments?sort=" + sort, limit);
  }

  @Test
  void tagsAreValidatedFilteredCountedAndEditableByTheAuthorAndModerators() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    Response created = api.post("/api/posts", alice, new JsonObject().put("title", "Tagged").put("body", "x")
        .put("tags", new JsonArray().add(" Rust ").add("show-hn").add("rust")));
    assertEquals(201, created.status(), created.toString());
    assertEquals(new JsonArray().add("rust").add("show-hn"), created.json().getJsonArray("tags"),
        "lower-cased, trimmed, repeats dropped");
    long tagged = created.json().getLong("id");
    long plain = api.createPost(alice, "Plain");

    for (JsonArray bad : List.of(new JsonArray().add("a").add("b").add("c").add("d").add("e").add("f"),
        new JsonArray().add("no spaces"), new JsonArray().add("-dash"), new JsonArray().add("x".repeat(31)),
        new JsonArray().add(7), new JsonArray().add(""))) {
      Response r = api.post("/api/posts", alice, new JsonObject().put("title", "t").put("body", "b").put("tags", bad));
      assertEquals(400, r.status(), bad + ": " + r);
    }
    assertEquals(2, TestParley.count("SELECT count(*) FROM posts"), "refused posts are not stored");

    assertEquals(List.of(tagged), api.get("/api/posts?tag=rust").ids());
    assertEquals(List.of(tagged), api.get("/api/posts?sort=top&tag=show-hn").ids());
    assertEquals(List.of(), api.get("/api/posts?tag=go").ids());
    assertEquals(new JsonArray().add(new JsonObject().put("tag", "rust").put("posts", 1))
        .add(new JsonObject().put("tag", "show-hn").put("posts", 1)), api.get("/api/tags").json().getJsonArray("items"));
    // Blocking hides a person everywhere, counts too: bob, who blocked alice, is not told she tags her posts so.
    assertEquals(204, api.put("/api/me/blocks/alice", bob, null).status());
    assertEquals(new JsonArray(), api.get("/api/tags", bob).json().getJsonArray("items"), "alice's tags, to bob");
    assertEquals(2, api.get("/api/tags", mod).json().getJsonArray("items").size(), "counted for everyone else");
    assertEquals(204, api.delete("/api/me/blocks/alice", bob).status());
    assertEquals(2, api.get("/api/tags", bob).json().getJsonArray("items").size(), "unblocked: counted again");

    assertEquals(403, api.put("/api/posts/" + tagged + "/tags", bob, new JsonObject().put("tags", new JsonArray()))
        .status(), "not bob's");
    Response retagged = api.put("/api/posts/" + tagged + "/tags", mod,
        new JsonObject().put("tags", new JsonArray().add("meta")));
    assertEquals(200, retagged.status(), retagged.toString());
    assertEquals(new JsonArray().add("meta"), retagged.json().getJsonArray("tags"));
    assertEquals(200, api.patch("/api/posts/" + plain, alice,
        new JsonObject().put("tags", new JsonArray().add("meta"))).status());
    assertEquals(List.of(plain, tagged), api.get("/api/posts?tag=meta").ids());
    assertEquals(400, api.put("/api/posts/" + tagged + "/tags", mod, new JsonObject()).status(), "tags required");

    // Five different tags, however many times each is given.
    Response repeats = api.post("/api/posts", alice, new JsonObject().put("title", "Five").put("body", "x")
        .put("tags", new JsonArray().add("a").add("A").add(" a ").add("b").add("c").add("d").add("e")));
    assertEquals(201, repeats.status(), repeats.toString());
    assertEquals(new JsonArray().add("a").add("b").add("c").add("d").add("e"), repeats.json().getJsonArray("tags"));
  }
}
