package parley.search;

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
import parley.config.AppConfig;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A query that matches more than PARLEY_SEARCH_RANK_LIMIT rows is ranked among its newest matches only, over real
 * HTTP on a server whose limit is 4 (so a handful of rows make a word common): which matches are ranked and in what
 * order, that a rare word is still ranked among all its matches, that pages keep the first page's window while new
 * matches arrive, that nothing the reader may not see is ever found that way, and that a forged cursor is a 400.
 * The newest matches are found two ways (Search.Way): a single word of these few rows through the index, the same
 * word with an exclusion that excludes nothing (several nodes) by reading the rows; each case is asked both ways and
 * must answer the same.
 */
@ExtendWith(TestParley.class)
class SearchNewestTest {

  private static final int RANK_LIMIT = 4;

  private static Main.Running server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    server = TestParley.startServer(Map.of(AppConfig.SEARCH_RANK_LIMIT, Integer.toString(RANK_LIMIT)));
    api = new Api("http://localhost:" + server.port());
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  private Response search(String q, String more, Session as) {
    Response r = api.get("/api/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + more, as);
    assertEquals(200, r.status(), r.toString());
    return r;
  }

  /** A query of the same matches as a single word {@code word}, of several nodes: an exclusion of nothing. */
  private static String readWay(String word) {
    return word + " -xyzzy";
  }

  /**
   * Which way the page was made, as its cursor's key says: "indexed" (indexed:low:high:rank), "newest"
   * (newest:low:high:rank), or "all" (the rank alone).
   */
  private static String way(Response page) {
    String cursor = page.json().getString("nextCursor");
    assertTrue(cursor != null, "a cursor to read: " + page);
    String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    String key = new String(Base64.getUrlDecoder().decode(raw.substring(raw.lastIndexOf(':') + 1)),
        StandardCharsets.UTF_8);
    // Behind the digest of its search (SearchQuery.bind).
    String ranked = key.substring(key.indexOf('.') + 1);
    return ranked.startsWith("indexed:") ? "indexed" : ranked.startsWith("newest:") ? "newest" : "all";
  }

  /**
   * 100 comments without the searched words, written before a case's own, so that its word is in a few of the rows
   * (as a word the index serves is: Search.way), not in every one. Through SQL: only their number and place matter.
   */
  private static void fillerComments(Session author) throws Exception {
    long postId = api.createPost(author, "Filler");
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + postId + ", " + author.id()
        + ", 'filler ' || g, '' FROM generate_series(1, 100) g");
  }

  /** The same for posts. */
  private static void fillerPosts(Session author) throws Exception {
    TestParley.sql("INSERT INTO posts (author_id, title, body, body_html, excerpt) SELECT " + author.id()
        + ", 'Filler ' || g, 'filler', '', 'filler' FROM generate_series(1, 100) g");
  }

  /** The word's two queries, each with the way it must take: the word itself through the index, the other read. */
  private static Map<String, String> bothWays(String word) {
    Map<String, String> ways = new LinkedHashMap<>();
    ways.put(word, "indexed");
    ways.put(readWay(word), "newest");
    return ways;
  }

  /** The page says its hits are the best of the newest RANK_LIMIT matches, as the search page tells its reader. */
  private static void assertRankedAmongNewest(Response page) {
    assertEquals("newest", page.json().getString("rankedAmong"), page.toString());
    assertEquals(RANK_LIMIT, page.json().getInteger("rankLimit"), page.toString());
  }

  /** The page says every match was ranked, and names no limit. */
  private static void assertRankedAmongAll(Response page) {
    assertEquals("all", page.json().getString("rankedAmong"), page.toString());
    assertFalse(page.json().containsKey("rankLimit"), page.toString());
  }

  /** The ids ordered as search orders them: more occurrences first, then newest first. */
  private static List<Long> bestFirst(Map<Long, Integer> occurrences) {
    List<Long> ids = new ArrayList<>(occurrences.keySet());
    ids.sort(Comparator.comparing((Long id) -> occurrences.get(id)).reversed()
        .thenComparing(Comparator.reverseOrder()));
    return ids;
  }

  private static List<Long> newest(Map<Long, Integer> occurrences, int n) {
    List<Long> ids = new ArrayList<>(occurrences.keySet());
    ids.sort(Comparator.reverseOrder());
    Map<Long, Integer> kept = new LinkedHashMap<>();
    ids.subList(0, Math.min(n, ids.size())).forEach(id -> kept.put(id, occurrences.get(id)));
    return bestFirst(kept);
  }

  @Test
  void aCommonWordRanksOnlyItsNewestMatchesBestFirstAndARareWordAllOfItsMatches() throws Exception {
    Session alice = api.register("alice");
    fillerComments(alice);
    long postId = api.createPost(alice, "Thread");
    Map<Long, Integer> thimbles = new LinkedHashMap<>();
    Map<Long, Integer> needles = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) {
      int n = 1 + (i * 7) % 3;
      String needle = i == 0 ? " needle needle" : i == 1 ? " needle" : "";
      long id = api.comment(alice, postId, ("thimble ").repeat(n) + "and hay" + needle, null);
      thimbles.put(id, n);
      if (!needle.isEmpty()) needles.put(id, i == 0 ? 2 : 1);
    }
    // "thimble" is in all 12 comments: more than 4, so the 4 newest are ranked. The oldest ones, with more
    // occurrences than some of the newest, are not found at all.
    for (var q : bothWays("thimble").entrySet()) {
      Response common = search(q.getKey(), "&type=comments&limit=50", null);
      assertEquals(newest(thimbles, RANK_LIMIT), common.ids(), q.getKey());
      assertRankedAmongNewest(common);
      assertEquals(q.getValue(), way(search(q.getKey(), "&type=comments&limit=1", null)), q.getKey());
    }
    // "needle" is in 2 of them, the two oldest: ranked among all its matches, as on any server.
    for (String q : List.of("needle", readWay("needle"))) {
      Response rare = search(q, "&type=comments&limit=50", null);
      assertEquals(bestFirst(needles), rare.ids(), q);
      assertRankedAmongAll(rare);
      assertEquals("all", way(search(q, "&type=comments&limit=1", null)), q);
    }
  }

  @Test
  void aWordMissingFromTheNewestThousandRowsIsRankedAmongAllItsMatchesHoweverManyThereAre() throws Exception {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Thread");
    Map<Long, Integer> thimbles = new LinkedHashMap<>();
    for (int i = 0; i < 6; i++) {
      int n = 1 + i % 3;
      thimbles.put(api.comment(alice, postId, ("thimble ").repeat(n) + "of old", null), n);
    }
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + postId + ", " + alice.id()
        + ", 'filler ' || g, '' FROM generate_series(1, 1000) g");
    // The probe sees none in the newest 1,000 comments, so it judges the word rare: all 6 are ranked (the limit is
    // 4). On a large forum such a word can still be slow, and the timeout is then the answer (docs/API.md).
    Response r = search("thimble", "&type=comments&limit=50", null);
    assertEquals(bestFirst(thimbles), r.ids());
    assertRankedAmongAll(r);
    assertEquals("all", way(search("thimble", "&type=comments&limit=1", null)));
  }

  @Test
  void postsOfACommonWordAreRankedTheSameWay() throws Exception {
    Session alice = api.register("alice");
    fillerPosts(alice);
    Map<Long, Integer> gardens = new LinkedHashMap<>();
    for (int i = 0; i < 9; i++) {
      int n = 1 + (i * 5) % 4;
      Response r = api.post("/api/posts", alice, new JsonObject().put("title", "Post " + i + " of the garden")
          .put("body", ("garden ").repeat(n) + "and more"));
      assertEquals(201, r.status(), r.toString());
      gardens.put(r.json().getLong("id"), n);
    }
    for (var q : bothWays("garden").entrySet()) {
      Response posts = search(q.getKey(), "&limit=50", null);
      assertEquals(newest(gardens, RANK_LIMIT), posts.ids(), q.getKey());
      assertRankedAmongNewest(posts);
      for (Object item : posts.items()) {
        JsonObject post = (JsonObject) item;
        assertEquals(post.getString("title").replace("garden", "<mark>garden</mark>"), post.getString("titleHtml"),
            "the newest matches' titles are marked as every result's are");
      }
      assertEquals(q.getValue(), way(search(q.getKey(), "&limit=1", null)), q.getKey());
    }
  }

  @Test
  void pagesOfACommonWordKeepTheFirstPagesWindowWithoutRepeatsOrGapsWhileNewMatchesArrive() throws Exception {
    Session alice = api.register("alice");
    fillerComments(alice);
    long postId = api.createPost(alice, "Thread");
    Map<Long, Integer> thimbles = new LinkedHashMap<>();
    for (int i = 0; i < 10; i++) {
      int n = 1 + i % 2;
      thimbles.put(api.comment(alice, postId, ("thimble ").repeat(n) + "number " + i, null), n);
    }
    for (var q : bothWays("thimble").entrySet()) {
      List<Long> expected = newest(thimbles, RANK_LIMIT);
      List<Long> paged = new ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        Response page = search(q.getKey(), "&type=comments&limit=1" + (cursor == null ? "" : "&cursor=" + cursor),
            null);
        paged.addAll(page.ids());
        assertRankedAmongNewest(page);
        if (cursor == null) assertEquals(q.getValue(), way(page), q.getKey());
        cursor = page.json().getString("nextCursor");
        pages++;
        // Newer and better matches arrive between pages: they belong to a new search, not to this one's pages.
        thimbles.put(api.comment(alice, postId, "thimble thimble thimble thimble, page " + pages, null), 4);
      } while (cursor != null);
      assertEquals(expected, paged, q.getKey());
      assertEquals(RANK_LIMIT, pages, q.getKey());
      assertEquals(paged.size(), new HashSet<>(paged).size(), q.getKey());
      // A new first page ranks the newest matches as they are now: the ones that arrived.
      List<Long> now = search(q.getKey(), "&type=comments&limit=50", null).ids();
      assertTrue(now.stream().noneMatch(expected::contains), now + " against " + expected);
    }
  }

  @Test
  void aCommonWordNeverFindsCommentsTheReaderMayNotSee() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session mod = api.registerWithRole("mod", "moderator");
    fillerComments(alice);
    long open = api.createPost(alice, "Open");
    // Five listed matches in all, more than this class's limit: the word is common (only listed rows count).
    long oldest = api.comment(bob, open, "kohlrabi oldest", null);
    long older = api.comment(bob, open, "kohlrabi older", null);
    long newer = api.comment(bob, open, "kohlrabi newer", null);
    // Everything after them matches better and is newer, and no reader may find it in a list.
    String best = "kohlrabi kohlrabi kohlrabi kohlrabi";
    long deleted = api.comment(bob, open, best + " deleted", null);
    assertEquals(204, api.delete("/api/comments/" + deleted, bob).status());
    long hidden = api.comment(bob, open, best + " hidden", null);
    assertEquals(204, api.post("/api/mod/comments/" + hidden + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    long hiddenPost = api.createPost(alice, "Hidden thread");
    api.comment(bob, hiddenPost, best + " in a hidden thread", null);
    assertEquals(204, api.post("/api/mod/posts/" + hiddenPost + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    long deletedPost = api.createPost(alice, "Deleted thread");
    api.comment(bob, deletedPost, best + " in a deleted thread", null);
    assertEquals(204, api.delete("/api/posts/" + deletedPost, alice).status());
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    api.comment(bob, open, best + " heldword", null);
    Response held = api.post("/api/posts", alice, new JsonObject().put("title", "Held heldword").put("body", "b"));
    assertEquals(201, held.status(), held.toString());
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) VALUES (" + held.json().getLong("id")
        + ", " + bob.id() + ", '" + best + " in a pending thread', '')");
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE pending_at IS NOT NULL"));
    long carolsPost = api.createPost(carol, "Carol's thread");
    long onCarols = api.comment(bob, carolsPost, best + " on carol's post", null);
    long byCarol = api.comment(carol, open, best + " by carol", null);

    // Not for anyone, the authors and a moderator included: search is a list, and lists show what is listed.
    Map<String, String> ways = bothWays("kohlrabi");
    for (String q : ways.keySet()) {
      for (Session reader : new Session[] {null, bob, mod}) {
        Response r = search(q, "&type=comments&limit=50", reader);
        assertEquals(List.of(byCarol, onCarols, newer, older), r.ids(), q + ", reader " + reader);
      }
    }
    // Someone who blocked carol finds neither her comment nor one on her post; the walk goes on to older matches.
    assertEquals(204, api.put("/api/me/blocks/carol", alice, null).status());
    for (var q : ways.entrySet()) {
      Response r = search(q.getKey(), "&type=comments&limit=50", alice);
      assertEquals(List.of(newer, older, oldest), r.ids(), q.getKey());
      assertEquals(q.getValue(), way(search(q.getKey(), "&type=comments&limit=1", alice)), q.getKey());
    }
  }

  @Test
  void aCommonWordNeverFindsPostsTheReaderMayNotSee() throws Exception {
    Session alice = api.register("alice");
    Session carol = api.register("carol");
    Session mod = api.registerWithRole("mod", "moderator");
    fillerPosts(alice);
    // Five listed matches in all, more than this class's limit: the word is common (only listed rows count).
    long oldestOne = postSaying(alice, "zucchini oldest one");
    long oldestTwo = postSaying(alice, "zucchini oldest two");
    long older = postSaying(alice, "zucchini older");
    long newer = postSaying(alice, "zucchini newer");
    String best = "zucchini zucchini zucchini zucchini";
    long deleted = postSaying(alice, best);
    assertEquals(204, api.delete("/api/posts/" + deleted, alice).status());
    long hidden = postSaying(alice, best);
    assertEquals(204, api.post("/api/mod/posts/" + hidden + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    postSaying(alice, best + " heldword");
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE pending_at IS NOT NULL"));
    long carols = postSaying(carol, best);
    Map<String, String> ways = bothWays("zucchini");
    for (String q : ways.keySet()) {
      for (Session reader : new Session[] {null, alice, mod}) {
        assertEquals(List.of(carols, newer, older, oldestTwo), search(q, "&limit=50", reader).ids(),
            q + ", reader " + reader);
      }
    }
    assertEquals(204, api.put("/api/me/blocks/carol", alice, null).status());
    for (var q : ways.entrySet()) {
      assertEquals(List.of(newer, older, oldestTwo, oldestOne), search(q.getKey(), "&limit=50", alice).ids(),
          q.getKey());
      assertEquals(q.getValue(), way(search(q.getKey(), "&limit=1", alice)), q.getKey());
    }
  }

  private long postSaying(Session as, String body) {
    Response r = api.post("/api/posts", as, new JsonObject().put("title", "A post").put("body", body));
    assertEquals(201, r.status(), r.toString());
    return r.json().getLong("id");
  }

  @Test
  void aCursorWhoseWindowOrRankIsNotOneThisServerIssuesIs400() throws Exception {
    Session alice = api.register("alice");
    fillerComments(alice);
    long postId = api.createPost(alice, "Thread");
    for (int i = 0; i < 6; i++) api.comment(alice, postId, "thimble " + i, null);
    List<String> forged = new ArrayList<>();
    for (String way : List.of("newest:", "indexed:")) {
      for (String rest : List.of("1:2", "5:2:0.1", "0:2:0.1", "a:b:0.1", "1:2:NaN", "1:2:-1", "1:2:0.1:9", "",
          "1:9223372036854775808:0.1")) {
        forged.add(way + rest);
      }
    }
    for (String key : forged) {
      for (String type : List.of("posts", "comments")) {
        // Forged as this very search's cursor would be, digest and all: only the key is wrong.
        SearchQuery.Type searched = SearchQuery.Type.valueOf(type.toUpperCase(java.util.Locale.ROOT));
        String cursor = b64("after:5:" + b64(new SearchQuery("thimble", searched).bind(key)));
        Response r = api.get("/api/search?q=thimble&type=" + type + "&cursor=" + cursor);
        assertEquals(400, r.status(), type + " " + key + ": " + r);
        assertEquals("application/problem+json", r.contentType());
        assertEquals(List.of("cursor"), r.errorFields());
      }
    }
    // The pages of a common word end with the matches its window ranked: 4 of the 6.
    for (String q : bothWays("thimble").keySet()) {
      Response page = search(q, "&type=comments&limit=2", null);
      Response next = search(q, "&type=comments&limit=2&cursor=" + page.json().getString("nextCursor"), null);
      assertEquals(2, next.ids().size(), q);
      assertNull(next.json().getValue("nextCursor"), q);
    }
  }

  /**
   * Whether a query is common shows in every answer (rankedAmong, the cursor), so only what anyone may list is
   * counted: a review made a query sit at the threshold with matches of its own and spelled a hidden comment's words
   * out by prefixes, as each tipped the answer from "all" to "newest".
   */
  @Test
  void onlyListedMatchesDecideWhetherAQueryIsCommon() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    fillerComments(alice);
    fillerPosts(alice);
    JsonObject why = new JsonObject().put("reason", "x");
    long open = api.createPost(alice, "Open");
    // Four listed matches of each (this class's limit: not more than it, so all are ranked) ...
    for (int i = 0; i < RANK_LIMIT; i++) {
      api.comment(bob, open, "quokka " + i, null);
      postSaying(alice, "wombat " + i);
    }
    // ... and more that no list shows: hidden, held, in a hidden thread, deleted.
    assertEquals(204, api.post("/api/mod/comments/" + api.comment(bob, open, "quokka hidden", null) + "/hide", mod, why)
        .status());
    assertEquals(204, api.post("/api/mod/posts/" + postSaying(alice, "wombat hidden") + "/hide", mod, why).status());
    long hiddenThread = api.createPost(alice, "Hidden thread");
    api.comment(bob, hiddenThread, "quokka in a hidden thread", null);
    assertEquals(204, api.post("/api/mod/posts/" + hiddenThread + "/hide", mod, why).status());
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    api.comment(bob, open, "quokka heldword", null);
    postSaying(alice, "wombat heldword");
    assertEquals(204, api.delete("/api/comments/" + api.comment(bob, open, "quokka deleted", null), bob).status());
    assertEquals(2, TestParley.count("SELECT count(*) FROM comments WHERE search @@ to_tsquery('english', 'quokka')"
        + " AND (hidden_at IS NOT NULL OR pending_at IS NOT NULL)"), "the hidden and held rows keep their words");

    for (Session reader : new Session[] {null, bob, mod}) {
      for (String q : List.of("quokka", "quok", readWay("quokka"))) {
        Response r = search(q, "&type=comments&limit=50", reader);
        assertEquals(RANK_LIMIT, r.ids().size(), q);
        assertRankedAmongAll(r);
      }
      for (String q : List.of("wombat", "womb", readWay("wombat"))) {
        Response r = search(q, "&limit=50", reader);
        assertEquals(RANK_LIMIT, r.ids().size(), q);
        assertRankedAmongAll(r);
      }
    }
    // One more listed match of each, and both are common.
    api.comment(bob, open, "quokka listed", null);
    postSaying(alice, "wombat listed");
    assertRankedAmongNewest(search("quokka", "&type=comments&limit=50", null));
    assertRankedAmongNewest(search("wombat", "&limit=50", null));
  }

  /**
   * A cursor is not a secret: one written to say "every match" for a common word would rank the whole table, the cost
   * the probe exists to refuse. A later page of every match is judged again and goes on among the newest.
   */
  @Test
  void aForgedCursorOfEveryMatchForACommonWordRanksOnlyTheNewest() throws Exception {
    Session alice = api.register("alice");
    fillerComments(alice);
    fillerPosts(alice);
    long postId = api.createPost(alice, "Thread");
    Map<Long, Integer> thimbles = new LinkedHashMap<>();
    Map<Long, Integer> gardens = new LinkedHashMap<>();
    for (int i = 0; i < 8; i++) {
      thimbles.put(api.comment(alice, postId, "thimble " + i, null), 1);
      gardens.put(postSaying(alice, "garden " + i), 1);
    }
    for (String type : List.of("posts", "comments")) {
      Map<Long, Integer> matches = type.equals("posts") ? gardens : thimbles;
      String word = type.equals("posts") ? "garden" : "thimble";
      SearchQuery.Type searched = SearchQuery.Type.valueOf(type.toUpperCase(java.util.Locale.ROOT));
      for (String q : List.of(word, readWay(word))) {
        // Before the best of every match (the highest rank a float holds, the highest id), bound to this search.
        String cursor = b64("after:" + Long.MAX_VALUE + ":" + b64(new SearchQuery(q, searched).bind("3.0E38")));
        Response r = search(q, "&type=" + type + "&limit=50&cursor=" + cursor, null);
        assertEquals(newest(matches, RANK_LIMIT), r.ids(), type + " " + q);
        assertRankedAmongNewest(r);
      }
    }
    // A rare word's later pages still go on among all its matches.
    long first = api.comment(alice, postId, "needle one", null);
    long second = api.comment(alice, postId, "needle two", null);
    Response page = search("needle", "&type=comments&limit=1", null);
    assertEquals(List.of(second), page.ids());
    Response next = search("needle", "&type=comments&limit=1&cursor=" + page.json().getString("nextCursor"), null);
    assertEquals(List.of(first), next.ids());
    assertRankedAmongAll(next);
  }

  @Test
  void bothWaysRankTheMatchesOfTheSameNewestIdsWhenTheIdsHaveAGap() throws Exception {
    Session alice = api.register("alice");
    fillerComments(alice);
    long postId = api.createPost(alice, "Thread");
    for (int i = 0; i < 3; i++) api.comment(alice, postId, "thimble of old " + i, null);
    // The oldest of the newest 40 rows (this class's limit of 4: a window of 40 ids), then 20 ids a rolled-back
    // group would have taken, then the rest of those rows: two more matches and filler. The window counts ids, so
    // this match is out of it, read either way (a window of rows read the one way and of ids the other once lost
    // it from one of them only).
    long atTheEdge = api.comment(alice, postId, "thimble thimble thimble at the window's edge", null);
    TestParley.sql("SELECT setval('comments_id_seq', (SELECT max(id) FROM comments) + 20)");
    Map<Long, Integer> inWindow = new LinkedHashMap<>();
    inWindow.put(api.comment(alice, postId, "thimble in the window", null), 1);
    inWindow.put(api.comment(alice, postId, "thimble thimble in the window", null), 2);
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + postId + ", " + alice.id()
        + ", 'filler ' || g, '' FROM generate_series(1, 37) g");
    for (var q : bothWays("thimble").entrySet()) {
      Response r = search(q.getKey(), "&type=comments&limit=50", null);
      assertEquals(bestFirst(inWindow), r.ids(), q.getKey());
      assertFalse(r.ids().contains(atTheEdge), q.getKey());
      assertEquals(q.getValue(), way(search(q.getKey(), "&type=comments&limit=1", null)), q.getKey());
    }
  }

  @Test
  void theProbesFiguresChooseTheWayThatReadsLess() {
    // A word in 10 of the newest 1,000 of 1,000,000 comments (as SearchBenchmark's medium words): about 10,000
    // matches, whose newest 1,000 are spread over 100,000 rows, more than the 10,000 read at most: through the index.
    assertEquals(Search.Way.NEWEST_INDEXED, Search.way(1_000, 10, 1_000_000, 1, 1_000));
    // The same share with a second word (or a phrase, an exclusion, "or"): read, whatever the share.
    assertEquals(Search.Way.NEWEST_READ, Search.way(1_000, 10, 1_000_000, 3, 1_000));
    // In 4 % (40,000 matches, a bitmap dearer than 10,000 rows), or in most rows (1,000 matches in 1,333 rows): read.
    assertEquals(Search.Way.NEWEST_READ, Search.way(1_000, 40, 1_000_000, 1, 1_000));
    assertEquals(Search.Way.NEWEST_READ, Search.way(1_000, 750, 1_000_000, 1, 1_000));
    // Up to about the limit's matches, every one is ranked; none in the newest rows says nothing of the rest.
    assertEquals(Search.Way.EVERY, Search.way(1_000, 1, 1_000_000, 1, 1_000));
    assertEquals(Search.Way.EVERY, Search.way(1_000, 0, 1_000_000, 1, 1_000));
    // This class's limit of 4: a word in 12 rows after 100 others through the index (the cases above); in each of
    // 12 rows read (its 4 newest matches are the 4 newest rows).
    assertEquals(Search.Way.NEWEST_INDEXED, Search.way(112, 12, 112, 1, RANK_LIMIT));
    assertEquals(Search.Way.NEWEST_READ, Search.way(12, 12, 12, 1, RANK_LIMIT));
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
