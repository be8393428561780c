package parley.readcache;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.OwnServer;
import parley.TestParley;
import parley.config.ReadCacheSettings;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The anonymous read cache never shows a reader anything stale or forbidden. Each test warms every cached response
 * of a thread and of the feed on the shared server (cache on; the warming proves each second read was a hit), makes
 * one kind of change through the API, and compares the very next anonymous read of each response with what a node
 * without a cache on the same database answers, besides checking the change itself shows.
 */
@ExtendWith(TestParley.class)
class ReadCacheSafetyTest {

  /** The reference: the same database, read without a cache. */
  @RegisterExtension
  static final OwnServer UNCACHED = new OwnServer(Map.of(ReadCacheSettings.ENABLED, "off"));

  private final Api api = Api.local();
  private final Api reference = new Api("http://localhost:" + UNCACHED.port());

  private Session alice;
  private Session bob;
  private Session mod;
  private long post;
  private long aliceComment;
  private long bobComment;

  @BeforeEach
  void aThreadWithTwoComments() throws Exception {
    alice = api.register("alice");
    bob = api.register("bob");
    mod = api.registerWithRole("mona", "moderator");
    api.createPost(bob, "An older post");
    post = api.post("/api/posts", alice, new JsonObject().put("title", "Cached thread").put("body", "Original body")
        .put("tags", new io.vertx.core.json.JsonArray().add("cache"))).json().getLong("id");
    aliceComment = api.comment(alice, post, "alice says hello", null);
    bobComment = api.comment(bob, post, "bob replies with secret words", aliceComment);
  }

  /** Every response the cache holds for this thread and the feed, as the web app asks for them. */
  private List<String> cachedTargets() {
    String comments = "/api/posts/" + post + "/comments?limit=200";
    return List.of("/api/posts/" + post, comments, comments + "&sort=new", comments + "&sort=best",
        "/api/posts?limit=20&sort=new", "/api/posts?limit=20&sort=hot", "/api/posts?limit=20&sort=top",
        "/api/posts?limit=20&sort=active", "/api/posts?limit=20", "/api/posts?limit=20&tag=cache");
  }

  private double hits() throws Exception {
    return TestParley.server().running().meters().find("parley_read_cache_requests").tag("result", "hit")
        .counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /**
   * Reads every target twice anonymously until the second reads are all hits, so the change under test finds every
   * response cached. Writes still settling on the shared server (an earlier test's, or this one's set-up) may retire
   * an entry between the two passes, so a pass with a miss is tried again, up to five times.
   */
  private void warm() throws Exception {
    double hitsOfLastPass = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
      for (String target : cachedTargets()) api.get(target);
      double before = hits();
      for (String target : cachedTargets()) api.get(target);
      hitsOfLastPass = hits() - before;
      if (hitsOfLastPass == cachedTargets().size()) return;
    }
    assertEquals(cachedTargets().size(), hitsOfLastPass, "every second read is served from the cache");
  }

  /** The next anonymous read of every target is what a node without a cache answers. */
  private void assertFresh(String change) {
    for (String target : cachedTargets()) {
      Response cached = api.get(target);
      Response truth = reference.get(target);
      assertEquals(truth.status(), cached.status(), change + ": status of " + target);
      assertEquals(truth.body(), cached.body(), change + ": body of " + target);
    }
  }

  private String commentsPage() {
    return api.get("/api/posts/" + post + "/comments?limit=200").body();
  }

  private static JsonObject reason() {
    return new JsonObject().put("reason", "off topic");
  }

  @Test
  void aCommentHiddenByAModeratorIsGoneFromTheNextRead() throws Exception {
    warm();
    assertEquals(204, api.post("/api/mod/comments/" + bobComment + "/hide", mod, reason()).status());
    assertFresh("comment hidden");
    assertFalse(commentsPage().contains("secret words"));
  }

  @Test
  void aRestoredCommentComesBack() throws Exception {
    assertEquals(204, api.post("/api/mod/comments/" + bobComment + "/hide", mod, reason()).status());
    warm();
    assertEquals(204, api.post("/api/mod/comments/" + bobComment + "/restore", mod, new JsonObject()).status());
    assertFresh("comment restored");
    assertTrue(commentsPage().contains("secret words"));
  }

  @Test
  void aDeletedCommentIsATombstoneAtOnce() throws Exception {
    warm();
    assertEquals(204, api.delete("/api/comments/" + bobComment, bob).status());
    assertFresh("comment deleted");
    assertFalse(commentsPage().contains("secret words"));
  }

  @Test
  void anEditedCommentShowsItsNewWords() throws Exception {
    warm();
    assertEquals(200, api.patch("/api/comments/" + aliceComment, alice, new JsonObject().put("body", "edited words"))
        .status());
    assertFresh("comment edited");
    assertTrue(commentsPage().contains("edited words"));
  }

  @Test
  void aNewCommentAppearsAndIsCounted() throws Exception {
    warm();
    long third = api.comment(bob, post, "a third comment", null);
    assertFresh("comment added");
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200").ids().contains(third));
    assertEquals(3, api.get("/api/posts/" + post).json().getInteger("commentCount"));
  }

  @Test
  void aPendingCommentNeverAppears() throws Exception {
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    warm();
    Response held = api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "heldword here"));
    assertEquals(201, held.status());
    assertTrue(held.json().getBoolean("pending"));
    assertFresh("pending comment");
    assertFalse(commentsPage().contains("heldword"));
    assertEquals(2, api.get("/api/posts/" + post).json().getInteger("commentCount"));
  }

  @Test
  void anApprovedCommentAppears() throws Exception {
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    long held = api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "heldword here"))
        .json().getLong("id");
    warm();
    assertEquals(204, api.post("/api/mod/comments/" + held + "/approve", mod, new JsonObject()).status());
    assertFresh("comment approved");
    assertTrue(commentsPage().contains("heldword"));
  }

  @Test
  void aHiddenPostIsGoneEverywhere() throws Exception {
    warm();
    assertEquals(204, api.post("/api/mod/posts/" + post + "/hide", mod, reason()).status());
    assertFresh("post hidden");
    assertEquals(404, api.get("/api/posts/" + post).status());
    assertEquals(404, api.get("/api/posts/" + post + "/comments?limit=200").status());
    assertFalse(api.get("/api/posts?limit=20&sort=new").ids().contains(post));
  }

  @Test
  void aDeletedPostIsGoneEverywhere() throws Exception {
    warm();
    assertEquals(204, api.delete("/api/posts/" + post, alice).status());
    assertFresh("post deleted");
    assertEquals(404, api.get("/api/posts/" + post).status());
    assertFalse(api.get("/api/posts?limit=20&sort=new").ids().contains(post));
  }

  @Test
  void anEditedPostShowsItsNewTitleInThePostAndTheFeed() throws Exception {
    warm();
    assertEquals(200, api.patch("/api/posts/" + post, alice, new JsonObject().put("title", "Renamed thread"))
        .status());
    assertFresh("post edited");
    assertEquals("Renamed thread", api.get("/api/posts/" + post).json().getString("title"));
    assertEquals("Renamed thread", api.get("/api/posts?limit=20").item(post).getString("title"));
  }

  @Test
  void aLockedThreadSaysSoAtOnce() throws Exception {
    warm();
    assertEquals(204, api.post("/api/mod/posts/" + post + "/lock", mod, new JsonObject()).status());
    assertFresh("post locked");
    assertTrue(api.get("/api/posts/" + post).json().getBoolean("locked"));
    assertTrue(api.get("/api/posts?limit=20").item(post).getBoolean("locked"), "the feed's item says so too");
    warm();
    assertEquals(204, api.post("/api/mod/posts/" + post + "/unlock", mod, new JsonObject()).status());
    assertFresh("post unlocked");
    assertFalse(api.get("/api/posts?limit=20").item(post).getBoolean("locked"));
  }

  @Test
  void aVoteOnThePostMovesItsScoreInThePostAndTheFeed() throws Exception {
    warm();
    assertEquals(200, api.put("/api/posts/" + post + "/vote", bob, new JsonObject().put("value", 1)).status());
    // The vote itself retires the pages (the score event comes 250 ms later and moves only the thread's seq).
    assertEquals(1, api.get("/api/posts/" + post).json().getInteger("score"));
    assertEquals(1, api.get("/api/posts?limit=20&sort=top").item(post).getInteger("score"));
    assertEquals(post, api.get("/api/posts?limit=20&sort=top").ids().get(0), "the voted post leads the top list");
    scoresSettled();
    assertFresh("post voted");
  }

  @Test
  void aVoteOnACommentMovesItsScoreAndTheBestOrder() throws Exception {
    warm();
    assertEquals(200, api.put("/api/comments/" + bobComment + "/vote", alice, new JsonObject().put("value", 1))
        .status());
    // The vote itself retires the pages (the score event comes 250 ms later and moves only the thread's seq).
    Response best = api.get("/api/posts/" + post + "/comments?limit=200&sort=best");
    assertEquals(bobComment, best.ids().get(0));
    assertEquals(1, best.item(bobComment).getInteger("score"));
    scoresSettled();
    assertFresh("comment voted");
  }

  /**
   * Waits until the vote's score event has been published: it moves the thread's seq a moment after the vote, so a
   * byte-for-byte comparison made across it would compare two moments.
   */
  private static void scoresSettled() throws Exception {
    TestParley.server().running().scores().idle().toCompletionStage().toCompletableFuture()
        .get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Test
  void aBanChangesNothingAnonymousReadersSeeAndTheCacheAgrees() throws Exception {
    warm();
    assertEquals(204, api.post("/api/mod/users/bob/ban", mod, new JsonObject().put("reason", "spam")).status());
    assertFresh("author banned");
  }

  @Test
  void aRenamedAuthorShowsTheirNewNameEverywhere() throws Exception {
    warm();
    assertEquals(200, api.patch("/api/me", alice, new JsonObject().put("username", "alicia")
        .put("currentPassword", "correct horse")).status());
    assertFresh("author renamed");
    assertEquals("alicia", api.get("/api/posts/" + post).json().getJsonObject("author").getString("username"));
    assertFalse(commentsPage().contains("\"alice\""));
  }

  @Test
  void anAuthorMadeModeratorIsBadgedEverywhereAtOnceAndUnbadgedWhenTheRoleGoes() throws Exception {
    Session root = api.registerWithRole("root", "admin");
    warm();
    assertEquals("user", api.get("/api/posts/" + post).json().getJsonObject("author").getString("role"));
    assertEquals(204, api.put("/api/admin/users/alice/role", root, new JsonObject().put("role", "moderator")).status());
    assertFresh("author made moderator");
    assertEquals("moderator", api.get("/api/posts/" + post).json().getJsonObject("author").getString("role"));
    assertEquals("moderator", api.get("/api/posts/" + post + "/comments?limit=200").item(aliceComment)
        .getJsonObject("author").getString("role"));
    warm();
    assertEquals(204, api.put("/api/admin/users/alice/role", root, new JsonObject().put("role", "user")).status());
    assertFresh("moderator role taken back");
    assertEquals("user", api.get("/api/posts/" + post + "/comments?limit=200").item(aliceComment)
        .getJsonObject("author").getString("role"));
  }

  @Test
  void aReaderWhoBlockedAnAuthorNeverGetsTheAnonymousPage() throws Exception {
    Session carol = api.register("carol");
    assertEquals(204, api.put("/api/me/blocks/bob", carol, new JsonObject()).status());
    warm();
    JsonObject seen = api.get("/api/posts/" + post + "/comments?limit=200", carol).json();
    JsonObject bobs = seen.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(c -> c.getLong("id") == bobComment).findFirst().orElseThrow();
    assertTrue(bobs.getBoolean("blocked"));
    assertNull(bobs.getString("body"));
    assertFalse(api.get("/api/posts?limit=20&sort=new", carol).body().contains("An older post"));
  }

  @Test
  void aModeratorSeesHiddenContentTheAnonymousPageLeavesOut() throws Exception {
    assertEquals(204, api.post("/api/mod/comments/" + bobComment + "/hide", mod, reason()).status());
    warm();
    assertFalse(commentsPage().contains("secret words"));
    assertTrue(api.get("/api/posts/" + post + "/comments?limit=200", mod).body().contains("secret words"));
  }

  @Test
  void aSignedInReaderGetsTheirOwnVoteNotTheCachedNull() throws Exception {
    assertEquals(200, api.put("/api/posts/" + post + "/vote", bob, new JsonObject().put("value", 1)).status());
    warm();
    assertEquals(1, api.get("/api/posts/" + post, bob).json().getInteger("myVote"));
    assertEquals(1, api.get("/api/posts?limit=20", bob).item(post).getInteger("myVote"));
    assertNull(api.get("/api/posts/" + post).json().getInteger("myVote"));
  }

  @Test
  void aHitCarriesTheSameHeadersAsTheReadThatFilledIt() throws Exception {
    for (String target : cachedTargets()) {
      Response miss = api.get(target);
      Response hit = api.get(target);
      Response signedIn = api.get(target, alice);
      for (Response r : List.of(hit, signedIn)) {
        for (String name : List.of("content-type", "cache-control", "x-content-type-options", "vary")) {
          assertEquals(miss.headers().allValues(name), r.headers().allValues(name), name + " of " + target);
        }
      }
      assertEquals(miss.body(), hit.body(), target);
    }
  }

  private static java.net.http.HttpResponse<byte[]> getGzip(String target, Session as) throws Exception {
    java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create(TestParley.baseUrl() + target)).header("Accept-Encoding", "gzip");
    if (as != null) request.header("Authorization", "Bearer " + as.token());
    return GZIP_CLIENT.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
  }

  private static final java.net.http.HttpClient GZIP_CLIENT = java.net.http.HttpClient.newHttpClient();

  private static String gunzip(byte[] body) throws Exception {
    try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void aGzipReaderGetsTheCachedBytesCompressedOnceAsTheUncachedPathWould() throws Exception {
    for (String target : cachedTargets()) {
      var miss = getGzip(target, null);
      var hit = getGzip(target, null);
      var signedIn = getGzip(target, alice);
      String plain = api.get(target).body();
      for (var r : List.of(miss, hit, signedIn)) {
        assertEquals(List.of("gzip"), r.headers().allValues("content-encoding"), target);
        assertEquals(plain, gunzip(r.body()), target);
        assertEquals(List.of("Accept-Encoding"), r.headers().allValues("vary"), "a gzipped " + target);
      }
    }
    assertTrue(api.get("/api/posts/" + post).headers().allValues("content-encoding").isEmpty(),
        "a client that does not ask for gzip gets none");
  }
}
