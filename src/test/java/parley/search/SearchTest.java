package parley.search;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET /api/search over real HTTP: ranking, query syntax, paging, visibility, safe snippets, validation, plans. */
@ExtendWith(TestParley.class)
class SearchTest {

  private final Api api = Api.local();

  private long post(Session as, String title, String body) {
    Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", body));
    assertEquals(201, r.status(), r.toString());
    return r.json().getLong("id");
  }

  private Response search(String q, String more) {
    return search(q, more, null);
  }

  private Response search(String q, String more, Session as) {
    Response r = api.get("/api/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + more, as);
    assertEquals(200, r.status(), r.toString());
    return r;
  }

  private List<String> usernames(Response r) {
    return r.items().stream().map(i -> ((JsonObject) i).getString("username")).toList();
  }

  // ---- ranking and query syntax ----

  @Test
  void postsComeBestFirstATitleMatchOutweighingABodyMatchAndTiesNewestFirst() {
    Session alice = api.register("alice");
    long titleOnly = post(alice, "Gardening tips", "Nothing else to say here.");
    long bodyThrice = post(alice, "Weekend", "gardening, gardening and more gardening");
    long bodyOnce = post(alice, "Notes", "Some gardening once.");
    long both = post(alice, "Gardening", "gardening");
    long twin = post(alice, "Notes", "Some gardening once.");
    post(alice, "Unrelated", "Cooking only.");
    // ts_rank_cd with PostgreSQL's weights: title (A) 1.0 and body (B) 0.4 per occurrence.
    assertEquals(List.of(both, bodyThrice, titleOnly, twin, bodyOnce), search("gardening", "").ids());
  }

  @Test
  void aPostIsFoundByItsTagsWeighingAsItsTitleAndARetagMovesIt() {
    Session alice = api.register("alice");
    Response created = api.post("/api/posts", alice, new JsonObject().put("title", "Spanning the gorge")
        .put("body", "Cables, towers and a deck.").put("tags", new io.vertx.core.json.JsonArray().add("bridges")));
    assertEquals(201, created.status(), created.toString());
    long tagged = created.json().getLong("id");
    long inBody = post(alice, "Notes", "We walked over a bridge.");
    // The stemmed tag matches as a title word does (A, 1.0), above a word of a body (B, 0.4).
    assertEquals(List.of(tagged, inBody), search("bridge", "").ids());

    Response retagged = api.put("/api/posts/" + tagged + "/tags", alice,
        new JsonObject().put("tags", new io.vertx.core.json.JsonArray().add("tunnels")));
    assertEquals(200, retagged.status(), retagged.toString());
    assertEquals(List.of(inBody), search("bridge", "").ids());
    assertEquals(List.of(tagged), search("tunnel", "").ids());
  }

  /**
   * PostgreSQL leaves a word over 2,047 characters out of the index and says so in a NOTICE, which the client logged
   * at WARN with the whole detail: a member's post could write to the operators' log. The rest of the text is
   * indexed, and nothing is logged.
   */
  @Test
  void aWordTooLongToIndexLeavesTheRestSearchableAndTheLogQuiet() {
    Session alice = api.register("alice");
    try (parley.CapturedLog client = new parley.CapturedLog("io.vertx.sqlclient.impl.SocketConnectionBase")) {
      long id = post(alice, "Overlong", "Quetzalcoatlus " + "q".repeat(3_000) + " beside the shed.");
      long comment = api.comment(alice, id, "Xylophonists " + "x".repeat(3_000), null);
      assertEquals(List.of(id), search("quetzalcoatlus", "").ids());
      assertEquals(List.of(comment), search("xylophonists", "&type=comments").ids());
      assertEquals(List.of(), client.messages());
    }
  }

  @Test
  void aPostItemCarriesItsListFieldsAndASnippet() {
    Session alice = api.register("alice");
    long id = post(alice, "Compost", "Turn the compost heap every week.");
    api.comment(alice, id, "agreed", null);
    JsonObject item = search("heap", "").item(id);
    assertEquals("Compost", item.getString("title"));
    assertEquals("alice", item.getJsonObject("author").getString("username"));
    assertEquals(1, item.getInteger("commentCount"));
    assertEquals(0, item.getInteger("score"));
    assertTrue(item.getString("createdAt").endsWith("Z"), item.encode());
    assertTrue(item.getString("snippet").startsWith("Turn the compost <mark>heap</mark> every week"),
        item.getString("snippet"));
    assertFalse(item.containsKey("body"), "a list item, not the whole post");
  }

  /**
   * A page review: a post found by its title alone showed no mark, so nothing said why it was found. The title comes
   * marked too, whole and escaped: the words found (a prefix's whole word, a phrase's every word), markup as text.
   */
  @Test
  void aPostsTitleComesWithTheWordsFoundInItMarked() throws Exception {
    Session alice = api.register("alice");
    long stone = post(alice, "Which stone bridges survived the 1850 flood?", "Looking for records of arches.");
    JsonObject item = search("bridge", "").item(stone);
    assertEquals("Which stone <mark>bridges</mark> survived the 1850 flood?", item.getString("titleHtml"));
    assertFalse(item.getString("snippet").contains("<mark>"), "the body holds no such word: " + item.encode());
    assertEquals("Which <mark>stone</mark> <mark>bridges</mark> survived the 1850 flood?",
        search("\"stone bridge\"", "").item(stone).getString("titleHtml"));
    assertEquals("Which stone bridges <mark>survived</mark> the 1850 flood?",
        search("records surv", "").item(stone).getString("titleHtml"), "the last word as a prefix");
    assertEquals("Which stone bridges survived the 1850 flood?", search("arches", "").item(stone).getString("titleHtml"),
        "nothing found in the title: the title, unmarked");

    String markup = "<b>Needle</b> & \"the\" <img src=x onerror=alert(1)> isn't &amp; <mark>x</mark>";
    long tags = post(alice, markup, "Body.");
    String html = search("needle", "").item(tags).getString("titleHtml");
    assertEquals("&lt;b&gt;<mark>Needle</mark>&lt;/b&gt; &amp; &quot;the&quot; &lt;img src=x onerror=alert(1)&gt; "
        + "isn&#39;t &amp;amp; &lt;mark&gt;x&lt;/mark&gt;", html, "all of the title, escaped, only the match marked");

    TestParley.sql("UPDATE posts SET title = 'a ' || chr(2) || 'sneaky' || chr(3) || ' needle' WHERE id = " + tags);
    assertEquals("a sneaky <mark>needle</mark>", search("needle", "").item(tags).getString("titleHtml"),
        "mark characters stored in a title never become markup");
  }

  @Test
  void aQuotedPhraseMatchesTheWordsInThatOrderOnly() {
    Session alice = api.register("alice");
    long phrase = post(alice, "One", "The quick fox ran.");
    post(alice, "Two", "The fox was quick.");
    post(alice, "Three", "A quick brown fox.");
    assertEquals(List.of(phrase), search("\"quick fox\"", "").ids());
  }

  /** A page review: "sourd" found nothing. The last word, typed in part, finds the words it begins. */
  @Test
  void theLastWordAlsoFindsTheWordsItBegins() {
    Session alice = api.register("alice");
    long sourdough = post(alice, "Sourdough starter", "Feed it daily, keep it warm.");
    long bridges = post(alice, "Old bridges", "Stone arches over the river.");
    long emoji = api.comment(alice, bridges, "Émoji on every arch 🌱", null);
    assertEquals(List.of(sourdough), search("sourd", "").ids());
    String snippet = search("daily war", "").item(sourdough).getString("snippet");
    assertTrue(snippet.contains("<mark>warm</mark>"), "the snippet marks the word it began: " + snippet);
    assertEquals(List.of(sourdough), search("sourd*", "").ids(), "a reader's own star is the same");
    assertEquals(List.of(bridges), search("river bri", "").ids());
    assertEquals(List.of(emoji), search("émo", "&type=comments").ids(), "letters beyond ASCII");
    // What stays whole: every word but the last, a word of two letters, a phrase, an exclusion.
    assertEquals(List.of(), search("riv bridges", "").ids(), "an earlier word is whole");
    assertEquals(List.of(), search("sourdo the", "").ids(), "a stop word last leaves the word before it whole");
    assertEquals(List.of(), search("so", "").ids(), "two letters are too few");
    assertEquals(List.of(), search("\"sourdough sta\"", "").ids(), "a phrase is as typed");
    assertEquals(List.of(sourdough), search("feed -sourd", "").ids(), "an exclusion leaves out the word alone");
    assertEquals(List.of(sourdough), search("feed - sourd", "").ids(), "a minus apart is an exclusion too");
    assertEquals(List.of(), search("feed -sourdough", "").ids());
    // Stars and spaces after them are all left out before the last word is judged (a probe: "so* *" was a prefix).
    assertEquals(List.of(), search("so* *", "").ids(), "two letters, however many stars");
    assertEquals(List.of(sourdough), search("feed -sourd* *", "").ids(), "an exclusion, however many stars");
    assertEquals(List.of(), search("\"sourdough sta\"* *", "").ids(), "a phrase, however many stars");
    assertEquals(List.of(sourdough), search("sourd * **", "").ids(), "a plain word is still a prefix");
  }

  @Test
  void aMinusLeavesOutWhatContainsTheWord() {
    Session alice = api.register("alice");
    long kept = post(alice, "Kept", "A fox in the garden.");
    post(alice, "Dropped", "A lazy fox in the garden.");
    assertEquals(List.of(kept), search("fox -lazy", "").ids());
    assertEquals(List.of(kept), search("fox -\"lazy fox\"", "").ids());
  }

  @Test
  void stopWordsPunctuationAndExclusionsAloneAreAnEmptyPageNotAnError() {
    Session alice = api.register("alice");
    post(alice, "The and of", "It is what it is, or not.");
    for (String q : List.of("the", "the of and", "!!!", "((( )))", "\"", "-fox", "- -", "or", ":*", "&|!<->")) {
      Response r = search(q, "");
      assertTrue(r.items().isEmpty(), q + ": " + r);
      assertNull(r.json().getValue("nextCursor"), q);
    }
  }

  @Test
  void oddInputIsAnsweredNeverA5xx() {
    Session alice = api.register("alice");
    post(alice, "Odd", "Text with 'quotes' and back\\slashes and émoji 🌱 and a:b");
    for (String q : List.of("'", "\\", "'; DROP TABLE posts; --", "a:*", "a & b | !c", "\"unterminated", "🌱",
        "émoji", "x".repeat(200), "%", "_", "a%b_c", "(", ")", "<script>", "\u202e", "\ud83c",
        // The prefix mark, where no word can take it or someone wrote their own.
        "*", "***", "sourd***", "* sourd", "\"odd*\"", "- odd*", "the*", "x".repeat(199) + "*", "or*", "a:b*", "é🌱*")) {
      for (String type : List.of("posts", "comments", "users")) {
        Response r = api.get("/api/search?type=" + type + "&q=" + URLEncoder.encode(q, StandardCharsets.UTF_8));
        assertEquals(200, r.status(), q + " " + type + ": " + r);
      }
    }
    // Bytes the request guards refuse before any route runs: NUL, broken escapes, invalid UTF-8.
    for (String raw : List.of("%00", "a%00b", "%0A", "%C3%28", "%ED%A0%80")) {
      Response r = api.raw("GET", "/api/search?q=" + raw, null, null, null);
      assertEquals(400, r.status(), raw + ": " + r);
      assertEquals("application/problem+json", r.contentType());
    }
    assertEquals(List.of("q"), api.get("/api/search?q=" + "x".repeat(1_000)).errorFields());
  }

  // ---- paging ----

  @Test
  void pagesFollowOneAnotherWithoutRepeatsOrGapsAcrossEqualRanks() {
    Session alice = api.register("alice");
    Map<Long, Integer> occurrences = new TreeMap<>();
    for (int i = 0; i < 23; i++) {
      int n = 1 + i % 4;
      long id = post(alice, "Post " + i, ("needle ").repeat(n) + "hay");
      occurrences.put(id, n);
    }
    post(alice, "Elsewhere", "only hay");
    List<Long> expected = new ArrayList<>(occurrences.keySet());
    expected.sort(Comparator.comparing((Long id) -> occurrences.get(id)).reversed()
        .thenComparing(Comparator.reverseOrder()));
    assertEquals(expected, search("needle", "&limit=50").ids(), "one page holds them all, in rank then id order");

    List<Long> paged = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Response page = search("needle", "&limit=5" + (cursor == null ? "" : "&cursor=" + cursor));
      paged.addAll(page.ids());
      cursor = page.json().getString("nextCursor");
      pages++;
    } while (cursor != null);
    assertEquals(expected, paged);
    assertEquals(5, pages);
    assertEquals(paged.size(), new HashSet<>(paged).size());
  }

  @Test
  void commentsPageTheSameWay() {
    Session alice = api.register("alice");
    long postId = post(alice, "Thread", "A thread.");
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) ids.add(api.comment(alice, postId, "thimble number " + i, null));
    List<Long> paged = new ArrayList<>();
    String cursor = null;
    do {
      Response page = search("thimble", "&type=comments&limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
      paged.addAll(page.ids());
      cursor = page.json().getString("nextCursor");
    } while (cursor != null);
    java.util.Collections.reverse(ids);
    assertEquals(ids, paged, "equal ranks: newest first");
  }

  @Test
  void aCommentItemLinksToItsPermalink() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = post(alice, "Where to start", "A question.");
    long id = api.comment(bob, postId, "Start with the marigolds, they forgive everything.", null);
    JsonObject item = search("marigold", "&type=comments").item(id);
    assertEquals(postId, item.getLong("postId"));
    assertEquals("Where to start", item.getString("postTitle"));
    assertEquals("bob", item.getJsonObject("author").getString("username"));
    assertEquals("/posts/" + postId + "#comment-" + id, item.getString("url"));
    assertTrue(item.getString("snippet").contains("<mark>marigolds</mark>"), item.encode());
    assertTrue(item.getString("createdAt").endsWith("Z"));
  }

  // ---- what is never returned ----

  @Test
  void editsAreFoundByTheirNewWordsAndCommentsAndVotesChangeNothingOfIt() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = post(alice, "Aubergine season", "A body about aubergines.");
    long commentId = api.comment(bob, postId, "Courgettes are better", null);
    // What runs on every comment and vote (the post's counters, the item's counts) leaves the vectors as they were.
    String before = vectors(postId, commentId);
    api.comment(bob, postId, "Another comment", commentId);
    assertEquals(200, api.put("/api/posts/" + postId + "/vote", bob, new JsonObject().put("value", 1)).status());
    assertEquals(200, api.put("/api/comments/" + commentId + "/vote", alice, new JsonObject().put("value", 1)).status());
    assertEquals(before, vectors(postId, commentId));

    assertEquals(200, api.patch("/api/posts/" + postId, alice, new JsonObject().put("title", "Pumpkin season")
        .put("body", "A body about pumpkins.")).status());
    assertEquals(200, api.patch("/api/comments/" + commentId, bob, new JsonObject().put("body", "Squash is better"))
        .status());
    assertEquals(List.of(postId), search("pumpkin", "").ids());
    assertEquals(List.of(), search("aubergine", "").ids());
    assertEquals(List.of(commentId), search("squash", "&type=comments").ids());
    assertEquals(List.of(), search("courgettes", "&type=comments").ids());
  }

  private static String vectors(long postId, long commentId) throws Exception {
    try (var c = TestParley.db().getConnection(); var s = c.createStatement();
        var rs = s.executeQuery("SELECT (SELECT search::text FROM posts WHERE id = " + postId + ") || ' / ' || "
            + "(SELECT search::text FROM comments WHERE id = " + commentId + ")")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void deletedHiddenAndPendingPostsAreNeverFound() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    long kept = post(alice, "Kept", "zucchini");
    long deleted = post(alice, "Deleted", "zucchini");
    long hidden = post(alice, "Hidden", "zucchini");
    assertEquals(204, api.delete("/api/posts/" + deleted, alice).status());
    assertEquals(204, api.post("/api/mod/posts/" + hidden + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    long pending = post(alice, "Pending", "zucchini heldword");
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE pending_at IS NOT NULL AND id = " + pending));
    // Not even for its author or a moderator: search is a list, and lists show what is listed.
    for (Session reader : new Session[] {null, alice, mod}) {
      assertEquals(List.of(kept), search("zucchini", "", reader).ids());
    }
  }

  @Test
  void deletedHiddenAndPendingCommentsAndCommentsOnUnlistedPostsAreNeverFound() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    long open = post(alice, "Open", "An open thread.");
    long kept = api.comment(bob, open, "kohlrabi kept", null);
    long deleted = api.comment(bob, open, "kohlrabi deleted", null);
    long hidden = api.comment(bob, open, "kohlrabi hidden", null);
    assertEquals(204, api.delete("/api/comments/" + deleted, bob).status());
    assertEquals(204, api.post("/api/mod/comments/" + hidden + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    long hiddenPost = post(alice, "Hidden thread", "A thread a moderator hid.");
    api.comment(bob, hiddenPost, "kohlrabi in a hidden thread", null);
    assertEquals(204, api.post("/api/mod/posts/" + hiddenPost + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    long deletedPost = post(alice, "Deleted thread", "A thread its author deleted.");
    api.comment(bob, deletedPost, "kohlrabi in a deleted thread", null);
    assertEquals(204, api.delete("/api/posts/" + deletedPost, alice).status());
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    api.comment(bob, open, "kohlrabi heldword", null);
    long pendingPost = post(alice, "Held thread heldword", "Waiting for review.");
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) VALUES (" + pendingPost + ", "
        + bob.id() + ", 'kohlrabi in a pending thread', '')");
    for (Session reader : new Session[] {null, bob, mod}) {
      assertEquals(List.of(kept), search("kohlrabi", "&type=comments", reader).ids());
    }
  }

  @Test
  void aReaderNeverFindsWhatSomeoneTheyBlockedWrote() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long bobsPost = post(bob, "Bob on rhubarb", "rhubarb");
    long alicesPost = post(alice, "Alice on rhubarb", "rhubarb");
    long bobsComment = api.comment(bob, alicesPost, "rhubarb from bob", null);
    long carolOnBobs = api.comment(carol, bobsPost, "rhubarb from carol, on bob's post", null);
    long carolOnAlices = api.comment(carol, alicesPost, "rhubarb from carol", null);
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());

    assertEquals(List.of(alicesPost), search("rhubarb", "", alice).ids());
    // Carol's comment on bob's post would show his title: left out too.
    assertEquals(List.of(carolOnAlices), search("rhubarb", "&type=comments", alice).ids());
    Response people = search("al", "&type=users", alice);
    assertEquals(List.of("alice"), usernames(people));
    assertFalse(people.json().containsKey("rankedAmong"), "people are listed by name, not ranked: " + people);
    assertTrue(search("bo", "&type=users", alice).items().isEmpty());
    // Blocks are the blocker's: everyone else still finds bob.
    assertEquals(2, search("rhubarb", "", carol).ids().size());
    assertEquals(new HashSet<>(List.of(bobsComment, carolOnBobs, carolOnAlices)),
        new HashSet<>(search("rhubarb", "&type=comments").ids()));
    assertEquals(List.of("bob"), usernames(search("bo", "&type=users", carol)));
  }

  // ---- snippets ----

  @Test
  void aSnippetIsEscapedHtmlWhoseOnlyMarkupIsTheMarks() {
    Session alice = api.register("alice");
    String body = "First the needle, then <script>alert(1)</script> <img src=x onerror=alert(1)> \"quoted\" & "
        + "'single' a<b <mark>fake</mark>.";
    long id = post(alice, "Escaping", body);
    long comment = api.comment(alice, id, body, null);
    for (String snippet : List.of(search("needle", "").item(id).getString("snippet"),
        search("needle", "&type=comments").item(comment).getString("snippet"))) {
      assertTrue(snippet.contains("First the <mark>needle</mark>, then"), snippet);
      assertEquals(1, snippet.split("<mark>", -1).length - 1, "one mark, the match's: " + snippet);
      String text = snippet.replace("<mark>", "").replace("</mark>", "");
      assertFalse(text.matches("(?s).*[<>\"'].*"), "nothing but the marks is markup: " + snippet);
      assertFalse(text.replaceAll("&(amp|lt|gt|quot|#39);", "").contains("&"), snippet);
      assertTrue(text.contains("onerror=alert(1)&gt;") && text.contains("&quot;quoted&quot; &amp; &#39;single&#39;"),
          snippet);
    }
  }

  /** A snippet reads as the post does, not as its Markdown (a page review: "**finally** … - 3.5 m wide"). */
  @Test
  void aSnippetIsTheRenderedTextNotTheMarkdown() {
    Session alice = api.register("alice");
    long id = post(alice, "Footbridge", "The bridge is **finally** open.\n\n- 3.5 m wide\n- *timber* needle deck\n\n"
        + "> quoted `code` and [a link](https://example.org) & more");
    String snippet = search("needle", "").item(id).getString("snippet");
    assertTrue(snippet.contains("The bridge is finally open. 3.5 m wide · timber <mark>needle</mark> deck"), snippet);
    assertTrue(snippet.contains("quoted code and a link &amp; more"), snippet);
    assertFalse(snippet.contains("**") || snippet.contains("- 3.5") || snippet.contains("](") || snippet.contains("`"),
        snippet);
  }

  @Test
  void markCharactersInStoredTextNeverBecomeMarkup() throws Exception {
    Session alice = api.register("alice");
    long id = post(alice, "Marks", "placeholder");
    TestParley.sql("UPDATE posts SET body = 'a ' || chr(2) || 'sneaky' || chr(3) || ' needle', body_html = '<p>a ' "
        + "|| chr(2) || 'sneaky' || chr(3) || ' needle</p>' WHERE id = " + id);
    assertEquals("a sneaky <mark>needle</mark>", search("needle", "").item(id).getString("snippet"));
  }

  /**
   * A mention keeps its punctuation, blocks read as pauses, and a snippet says where it was cut (a page review: "@bob
   * ," and paragraphs run together, fragments that started mid-sentence without a sign).
   */
  @Test
  void aSnippetKeepsPunctuationAgainstAMentionPausesBetweenBlocksAndSaysWhereItWasCut() {
    Session alice = api.register("alice");
    api.register("bob");
    long whole = post(alice, "Pauses", "Thanks @bob, the **needle** works.\n\n## Parts\n\n- one\n- two");
    assertEquals("Thanks @bob, the <mark>needle</mark> works. Parts · one · two",
        search("needle", "").item(whole).getString("snippet"), "all of a short body, and no ellipsis");

    String before = java.util.stream.IntStream.range(0, 60).mapToObj(i -> "early" + i)
        .collect(java.util.stream.Collectors.joining(" "));
    String after = java.util.stream.IntStream.range(0, 60).mapToObj(i -> "late" + i)
        .collect(java.util.stream.Collectors.joining(" "));
    long cut = post(alice, "Long", before + " haystack " + after);
    String snippet = search("haystack", "").item(cut).getString("snippet");
    assertTrue(snippet.startsWith("… early") && snippet.endsWith(" …") && snippet.contains("<mark>haystack</mark>"),
        snippet);
    long start = post(alice, "Starts", "haystack " + after);
    snippet = search("haystack", "").item(start).getString("snippet");
    assertTrue(snippet.startsWith("<mark>haystack</mark> late0") && snippet.endsWith(" …"), snippet);
    long end = post(alice, "Ends", before + " haystack");
    snippet = search("haystack", "").item(end).getString("snippet");
    assertTrue(snippet.startsWith("… early") && snippet.endsWith("<mark>haystack</mark>"), snippet);
    // A body's own first and last marks are kept where the snippet reaches them (ts_headline starts at a word).
    long edges = post(alice, "Edges", "@bob, is the haystack in?");
    assertEquals("@bob, is the <mark>haystack</mark> in?", search("haystack", "").item(edges).getString("snippet"));
    // A long link's address is no text: the body is all in the snippet, without an ellipsis (a review).
    long link = post(alice, "Link", "Read the haystack [here](https://example.org/" + "a".repeat(700) + ")");
    assertEquals("Read the <mark>haystack</mark> here", search("haystack", "").item(link).getString("snippet"));
  }

  /**
   * A long body's snippet is made from a window around its first match (a probe: ts_headline over 51 posts of 40,000
   * characters took a second for a page of 20 and ran out of the search's time for a page of 50). The window finds a
   * match deep in the body, by its stem or by the word as typed where the stem is not the word's start ("cherri"),
   * and is never cut inside a tag, an entity or a word: the snippet holds nothing of a link's address or a half word.
   */
  @Test
  void aLongBodysSnippetIsMadeAroundItsFirstMatchAndCutCleanly() {
    Session alice = api.register("alice");
    // Links with entities in their text, so that any cut of the window falls inside a tag, an entity or a word.
    String filler = "See [fence & gate](https://example.org/fence?a=1&b=2) and **posts** wired. ";
    String head = filler.repeat(400);
    String tail = filler.repeat(100) + "That is all.";
    long deep = post(alice, "Deep", head + "The gardens were flooded by the cherry orchard. " + tail);
    for (String q : List.of("garden", "cherry", "flooded orchard")) {
      String snippet = search(q, "").item(deep).getString("snippet");
      assertTrue(snippet.startsWith("… ") && snippet.endsWith(" …"), q + ": cut at both ends: " + snippet);
      assertTrue(snippet.contains("<mark>"), q + ": the match deep in the body is marked: " + snippet);
      String text = snippet.replace("<mark>", "").replace("</mark>", "");
      assertTrue(text.contains("flooded by the cherry orchard"), q + ": " + snippet);
      assertFalse(text.matches("(?s).*[<>\"].*") || text.contains("example.org") || text.contains("href"),
          q + ": nothing of a tag: " + snippet);
      assertFalse(text.replaceAll("&(amp|lt|gt|quot|#39);", "").contains("&"), q + ": no entity cut: " + snippet);
      for (String word : text.replaceAll("&(amp|lt|gt|quot|#39);", " ").split("[^\\p{L}]+")) {
        assertTrue(word.isEmpty() || List.of("See", "fence", "gate", "and", "posts", "wired", "The", "gardens", "were",
            "flooded", "by", "the", "cherry", "orchard", "That", "is", "all").contains(word), q + ": a word cut through, " + word + ": "
            + snippet);
      }
    }
    // A comment of the longest length allowed, the same way.
    String body = "It begins. " + "word ".repeat(1_900) + "needle at the end";
    long comment = api.comment(alice, deep, body, null);
    String snippet = search("needle", "&type=comments").item(comment).getString("snippet");
    assertTrue(snippet.startsWith("… word") && snippet.endsWith("<mark>needle</mark> at the end"), snippet);
  }

  /**
   * snippet_window (V29) at every offset of a body's repeating HTML: whatever character its cut falls on, neither end
   * is part of a tag, an entity or a word, and what is kept is a piece of the body around the match.
   */
  @Test
  void theSnippetWindowIsCutBetweenWordsAndTagsWhereverItFalls() throws Exception {
    String unit = "<p>See <a href=\"https://example.org/f?a=1&amp;b=2\">fence &amp; gate</a> and <strong>posts</strong>"
        + " wired.</p>\n";
    java.util.Set<String> words = java.util.Set.of("See", "fence", "&amp;", "gate", "and", "posts", "wired.", "needle");
    try (var c = TestParley.db().getConnection();
         var s = c.prepareStatement("SELECT snippet_window(?, ARRAY['needle'], 3000)")) {
      for (int pad = 0; pad < unit.length(); pad++) {
        // The window is placed by the match: what moves its two cuts over the tags and words around it is where the
        // match sits between the units before and after it.
        String html = unit.repeat(60) + "<p>" + "x".repeat(pad) + " needle " + "y".repeat(unit.length() - pad)
            + "</p>\n" + unit.repeat(60);
        s.setString(1, html);
        String cut;
        try (var rs = s.executeQuery()) {
          rs.next();
          cut = rs.getString(1);
        }
        assertTrue(cut.length() <= 3000 && html.contains(cut) && cut.contains("needle"), pad + ": " + cut);
        for (String end : new String[] {cut.substring(0, cut.indexOf('<')), cut.substring(cut.lastIndexOf('>') + 1)}) {
          String text = end.strip();
          assertFalse(text.contains(">") || text.contains("&") && !text.matches(".*&amp;.*"), pad + ": <" + end + ">");
          for (String word : text.split("\\s+")) {
            assertTrue(word.isEmpty() || words.contains(word), pad + ": a word cut through: <" + word + "> in " + cut);
          }
        }
      }
    }
    String shortBody = "<p>a short one, < 3000 characters &amp; cut nowhere</p>";
    try (var c = TestParley.db().getConnection();
         var s = c.prepareStatement("SELECT snippet_window(?, ARRAY['zzz'], 3000)")) {
      s.setString(1, shortBody);
      try (var rs = s.executeQuery()) {
        rs.next();
        assertEquals(shortBody, rs.getString(1), "a body up to the width is kept whole");
      }
    }
  }

  /**
   * Two passages that sit side by side in the body are joined as the body has them, not by an ellipsis that says
   * something was left out between them (a page review: "was … enough" for "was enough"); two far apart keep it.
   */
  @Test
  void passagesSideBySideAreJoinedWithoutAnEllipsis() {
    Session alice = api.register("alice");
    long near = post(alice, "Balcony", "I tried the kohlrabi approach last spring and it worked surprisingly well "
        + "for a tiny space.\n\nYou mentioned watering twice a day; I don't: once in the morning was enough with "
        + "mulch.\n\nThird paragraph: the trick with kohlrabi is to harvest before it gets woody, roughly tennis-ball "
        + "size.");
    String snippet = search("kohlrabi", "").item(near).getString("snippet");
    assertFalse(snippet.contains("…"), snippet);
    assertTrue(snippet.contains("I don&#39;t: once in the morning was enough with mulch."), snippet);

    String filler = java.util.stream.IntStream.range(0, 80).mapToObj(i -> "filler" + i)
        .collect(java.util.stream.Collectors.joining(" "));
    long far = post(alice, "Far", "kohlrabi first " + filler + " kohlrabi again");
    snippet = search("kohlrabi", "").item(far).getString("snippet");
    assertTrue(snippet.matches(".*<mark>kohlrabi</mark>.* … .*<mark>kohlrabi</mark>.*"), snippet);
  }

  @Test
  void blockBoundariesReadAsPausesUnlessASentenceEnded() {
    assertEquals("one · two", Snippet.html("one\u0004two"));
    assertEquals("great. Next", Snippet.html("great.\u0004\n\u0004 Next"));
    assertEquals("<mark>one</mark> · two", Snippet.html("\u0002one\u0003\u0004two"));
    assertEquals("<mark>done.</mark> Next", Snippet.html("\u0002done.\u0003\u0004Next"));
    assertEquals("lead", Snippet.html("\u0004lead\u0004"), "nothing before the first block or after the last");
    assertEquals("Why &quot;Parley&quot; · Because", Snippet.html("Why \"Parley\"\u0004Because"),
        "a heading that ends in a quote ended no sentence (its escaped form ends in ';')");
  }

  @Test
  void strayMarksAreBalanced() {
    assertEquals("a b <mark>c</mark> &lt;i&gt;", Snippet.html("a \u0003b \u0002c\u0003\n\n <i>"));
    assertEquals("<mark>open</mark>", Snippet.html("\u0002open"));
    assertEquals("", Snippet.html(null));
  }

  // ---- people ----

  @Test
  void peopleAreFoundByAPrefixOfTheirUsernameIgnoringCaseInUsernameOrder() {
    for (String name : List.of("Alpha", "alphabet", "ALPS", "beta", "xalp")) api.register(name);
    assertEquals(List.of("Alpha", "alphabet", "ALPS"), usernames(search("aL", "&type=users")));
    Response first = search("al", "&type=users&limit=2");
    assertEquals(List.of("Alpha", "alphabet"), usernames(first));
    Response second = search("al", "&type=users&limit=2&cursor=" + first.json().getString("nextCursor"));
    assertEquals(List.of("ALPS"), usernames(second));
    assertNull(second.json().getValue("nextCursor"));
    JsonObject item = second.items().getJsonObject(0);
    assertEquals(2, item.size(), "a username and when they joined: " + item.encode());
    assertTrue(item.getString("createdAt").endsWith("Z"));
  }

  @Test
  void percentAndUnderscoreInAUserSearchAreLiteral() {
    for (String name : List.of("a_b_c", "axbxc", "a-b-c")) api.register(name);
    assertEquals(List.of("a_b_c"), usernames(search("a_", "&type=users")));
    assertEquals(List.of("a_b_c"), usernames(search("A_B", "&type=users")));
    assertTrue(search("%", "&type=users").items().isEmpty());
    assertTrue(search("a%c", "&type=users").items().isEmpty());
    assertTrue(search("\\", "&type=users").items().isEmpty());
    assertEquals(List.of("a-b-c", "a_b_c", "axbxc"), usernames(search("a", "&type=users")));
  }

  // ---- validation ----

  @Test
  void aMissingBlankOrOverlongQueryIs400OnFieldQ() {
    for (String path : List.of("/api/search", "/api/search?q=", "/api/search?q=%20%20", "/api/search?type=posts",
        "/api/search?q=" + "x".repeat(201), "/api/search?q=" + "%C3%A9".repeat(201))) {
      Response r = api.get(path);
      assertEquals(400, r.status(), path + ": " + r);
      assertEquals("/problems/validation", r.json().getString("type"));
      assertEquals(List.of("q"), r.errorFields(), path);
    }
    assertEquals(200, api.get("/api/search?q=" + "%C3%A9".repeat(200)).status(), "200 characters, not bytes");
    assertEquals(200, api.get("/api/search?q=%20" + "x".repeat(200) + "%20").status(), "counted after trimming");
  }

  @Test
  void anUnknownTypeLimitOrCursorIs400NamingIt() {
    Response type = api.get("/api/search?q=x&type=tags");
    assertEquals(400, type.status());
    assertEquals(List.of("type"), type.errorFields());
    for (String limit : List.of("0", "51", "abc")) {
      assertEquals(List.of("limit"), api.get("/api/search?q=x&limit=" + limit).errorFields(), limit);
    }
    assertEquals(200, api.get("/api/search?q=x&limit=50").status());
    String notRank = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("after:5:"
        + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("NaN".getBytes())).getBytes());
    String noKey = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("after:5".getBytes());
    for (String cursor : List.of("garbage", notRank, noKey)) {
      for (String t : List.of("posts", "comments", "users")) {
        Response r = api.get("/api/search?q=x&type=" + t + "&cursor=" + cursor);
        assertEquals(400, r.status(), t + " " + cursor + ": " + r);
        assertEquals(List.of("cursor"), r.errorFields());
      }
    }
  }

  /** A cursor is its search's: with another q or type it is a 400, not a page of that one from a foreign place. */
  @Test
  void aCursorOfAnotherSearchIs400() {
    Session alice = api.register("alice");
    for (String name : List.of("fab", "fbc", "fcd")) api.register(name);
    for (int i = 0; i < 3; i++) post(alice, "Innocent " + i, "innocent words");
    String users = search("f", "&type=users&limit=1").json().getString("nextCursor");
    String posts = search("innocent", "&limit=1").json().getString("nextCursor");
    assertEquals(200, api.get("/api/search?q=f&type=users&limit=1&cursor=" + users).status(), "its own search");
    assertEquals(200, api.get("/api/search?q=innocent&limit=1&cursor=" + posts).status(), "its own search");
    for (String other : List.of("q=fz&type=users&cursor=" + users, "q=f&type=posts&cursor=" + users,
        "q=words&cursor=" + posts, "q=innocent&type=comments&cursor=" + posts)) {
      Response r = api.get("/api/search?" + other);
      assertEquals(400, r.status(), other + ": " + r);
      assertEquals(List.of("cursor"), r.errorFields(), other);
    }
  }

  /**
   * A cursor cut short or altered on its way is a 400, not a page from another place (a probe: one cut by three
   * characters read its rank "0.0607…" as "0." and answered an empty last page); one issued before the cursor's
   * digest took in its key still pages.
   */
  @Test
  void aCursorCutShortOrAlteredIs400AndOneOfTheEarlierFormStillPages() {
    Session alice = api.register("alice");
    for (int i = 0; i < 4; i++) post(alice, "Thistle " + i, "thistle words " + "thistle ".repeat(i));
    String cursor = search("thistle", "&limit=2").json().getString("nextCursor");
    java.util.Base64.Decoder decoder = java.util.Base64.getUrlDecoder();
    java.util.Base64.Encoder encoder = java.util.Base64.getUrlEncoder().withoutPadding();
    String raw = new String(decoder.decode(cursor), java.nio.charset.StandardCharsets.UTF_8);
    String bound = new String(decoder.decode(raw.substring(raw.lastIndexOf(':') + 1)),
        java.nio.charset.StandardCharsets.UTF_8);
    String key = bound.substring(bound.indexOf('.') + 1);
    List<String> broken = new ArrayList<>();
    for (int cut = 1; cut < key.length(); cut++) {
      String shorter = bound.substring(0, bound.length() - cut);
      broken.add(encoder.encodeToString((raw.substring(0, raw.lastIndexOf(':') + 1)
          + encoder.encodeToString(shorter.getBytes(java.nio.charset.StandardCharsets.UTF_8))).getBytes(
          java.nio.charset.StandardCharsets.UTF_8)));
    }
    for (int cut = 1; cut <= 4; cut++) broken.add(cursor.substring(0, cursor.length() - cut));
    for (String b : broken) {
      Response r = api.get("/api/search?q=thistle&limit=2&cursor=" + b);
      assertEquals(400, r.status(), b + ": " + r);
      assertEquals(List.of("cursor"), r.errorFields(), b);
    }
    // The earlier form: a digest of the type and the text only, then "~" and the key.
    String oldTag;
    try {
      oldTag = encoder.encodeToString(java.util.Arrays.copyOf(java.security.MessageDigest.getInstance("SHA-256")
          .digest("POSTS\nthistle".getBytes(java.nio.charset.StandardCharsets.UTF_8)), 9));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String old = encoder.encodeToString((raw.substring(0, raw.lastIndexOf(':') + 1)
        + encoder.encodeToString((oldTag + "~" + key).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(search("thistle", "&limit=2&cursor=" + cursor).ids(), search("thistle", "&limit=2&cursor=" + old).ids());
  }

  // ---- plans ----

  @Test
  void eachSearchIsServedByItsIndex() throws Exception {
    Session alice = api.register("alice");
    long postId = post(alice, "Thread", "A thread.");
    // A community's shape and fresh statistics, so the plans do not depend on what earlier tests left behind.
    TestParley.sql("INSERT INTO users (username, email, email_key, password_hash) "
        + "SELECT 'user' || g, 'user' || g || '@example.org', 'user' || g || '@example.org', 'x' "
        + "FROM generate_series(1, 2000) g");
    TestParley.sql("INSERT INTO posts (author_id, title, body, body_html, excerpt) SELECT " + alice.id()
        + ", 'title ' || g, 'filler number ' || g, '', '' FROM generate_series(1, 2000) g");
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + postId + ", " + alice.id()
        + ", 'filler number ' || g, '' FROM generate_series(1, 2000) g");
    TestParley.sql("ANALYZE users");
    TestParley.sql("ANALYZE posts");
    TestParley.sql("ANALYZE comments");
    String posts = plan(Search.POSTS, "'needle'", "0", "NULL", "NULL", "21");
    assertTrue(posts.contains("posts_search"), posts);
    String comments = plan(Search.COMMENTS, "'needle'", "0", "0.5", "9", "21");
    assertTrue(comments.contains("comments_search"), comments);
    String users = plan(Search.USERS, "'al'", "0", "'alpha'", "21");
    assertTrue(users.contains("users_username_prefix"), users);
    assertFalse(users.contains("Sort"), "people come in the index's order:\n" + users);
  }

  private static String plan(String sql, String... args) throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      s.execute("SET enable_seqscan = off");
      s.execute("PREPARE q AS " + sql);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = s.executeQuery("EXPLAIN EXECUTE q(" + String.join(", ", args) + ")")) {
        while (rs.next()) plan.append(rs.getString(1)).append('\n');
      }
      s.execute("DEALLOCATE q");
      return plan.toString();
    }
  }
}
