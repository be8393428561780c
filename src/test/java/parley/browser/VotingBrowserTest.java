package parley.browser;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.openPost;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;
import static parley.browser.BrowserSupport.waitUntilLive;

/**
 * Votes, orders and tags in a real browser: a vote reaches other readers live, the feed's and the thread's orders
 * follow the reader's choice (and the next visit remembers it), and tags lead to their own view of the feed.
 * Scores are built over REST with votes from several accounts (a vote on one's own content is refused).
 */
@ExtendWith(TestParley.class)
class VotingBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  // ---------- helpers ----------

  private void upvote(Session voter, String kind, long id) {
    Api.Response r = api.put("/api/" + kind + "s/" + id + "/vote", voter, new JsonObject().put("value", 1));
    assertEquals(200, r.status(), r::toString);
  }

  private long postWithTags(Session as, String title, String... tags) {
    Api.Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", "About " + title)
        .put("tags", new JsonArray(List.of(tags))));
    assertEquals(201, r.status(), r::toString);
    return r.json().getLong("id");
  }

  /** The ids of the elements a selector finds, in page order (their data-id). */
  @SuppressWarnings("unchecked")
  private static List<Long> ids(WebDriver page, String selector) {
    return ((List<Object>) js(page, "return [...document.querySelectorAll(arguments[0])].map(e => Number(e.dataset.id));",
        selector)).stream().map(o -> ((Number) o).longValue()).toList();
  }

  /** The texts of the elements a selector finds, read in one go (live events may re-render them meanwhile). */
  @SuppressWarnings("unchecked")
  private static List<String> texts(WebDriver page, String selector) {
    return (List<String>) js(page, "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);", selector);
  }

  private static List<Long> feed(WebDriver page) {
    return ids(page, "#feed > li");
  }

  private static WebElement voteOn(WebDriver page, long commentId) {
    return page.findElement(By.cssSelector("#comment-" + commentId + " > .content .vote"));
  }

  private static String points(WebDriver page, long commentId) {
    return voteOn(page, commentId).findElement(By.className("points")).getText();
  }

  // ---------- votes ----------

  @Test
  void aVoteOnACommentReachesAnotherReaderLiveAndShowsPressedForTheVoter() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    long postId = api.createPost(alice, "Votes travel");
    long comment = api.comment(bob, postId, "Worth a vote", null);

    WebDriver voter = browsers.open("carol");
    WebDriver reader = browsers.open("dave");
    signIn(voter, base, carol);
    signIn(reader, base, dave);
    openPost(voter, base, postId);
    openPost(reader, base, postId);
    // The other reader is half-way through a reply to the comment being voted on.
    reader.findElement(By.cssSelector("#comment-" + comment + " .actions .reply")).click();
    String draft = "I was going to say";
    reader.findElement(By.id("reply-" + comment)).sendKeys(draft);

    WebElement button = voteOn(voter, comment);
    assertEquals("false", button.getAttribute("aria-pressed"));
    assertEquals("Upvote, 0 points", button.getAttribute("aria-label"));
    button.click();
    waitFor(voter, 5).until(d -> "true".equals(voteOn(d, comment).getAttribute("aria-pressed")));
    assertEquals("1", points(voter, comment));
    assertEquals("Upvote, 1 point", voteOn(voter, comment).getAttribute("aria-label"));
    assertEquals(voter.switchTo().activeElement(), voteOn(voter, comment), "focus stays on the control");

    waitFor(reader, 5).withMessage("the score reaches the other reader live").until(d -> points(d, comment).equals("1"));
    assertEquals("false", voteOn(reader, comment).getAttribute("aria-pressed"), "a vote is its voter's own");
    assertEquals(draft, reader.findElement(By.id("reply-" + comment)).getAttribute("value"), "the draft is untouched");
    assertEquals(reader.findElement(By.id("reply-" + comment)), reader.switchTo().activeElement());
    assertFalse(reader.findElement(By.id("new-comments")).isDisplayed());

    // The voter's own vote is still pressed after a reload (from the API's myVote).
    openPost(voter, base, postId);
    assertEquals("true", voteOn(voter, comment).getAttribute("aria-pressed"));

    // Withdrawing brings it back, here and there.
    voteOn(voter, comment).click();
    waitFor(voter, 5).until(d -> "false".equals(voteOn(d, comment).getAttribute("aria-pressed")));
    assertEquals("0", points(voter, comment));
    waitFor(reader, 5).until(d -> points(d, comment).equals("0"));
    JsonObject stored = api.get("/api/posts/" + postId + "/comments", carol).item(comment);
    assertEquals(0, stored.getInteger("score"));
    assertEquals(null, stored.getValue("myVote"));
  }

  @Test
  void theAuthorSeesTheirScoreAndASignedOutReaderIsAskedToSignIn() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "Scores");
    long comment = api.comment(alice, postId, "Alice's own comment", null);
    upvote(bob, "post", postId);
    upvote(bob, "comment", comment);

    WebDriver author = browsers.open("alice");
    signIn(author, base, alice);
    openPost(author, base, postId);
    assertEquals("span", voteOn(author, comment).getTagName(), "no vote on one's own comment");
    assertEquals("1", points(author, comment));
    assertEquals("span", author.findElement(By.cssSelector("#post-vote .vote")).getTagName());

    WebDriver stranger = browsers.open("signed-out");
    openPost(stranger, base, postId);
    WebElement link = voteOn(stranger, comment);
    assertEquals("a", link.getTagName());
    assertEquals("Sign in to vote, 1 point", link.getAttribute("aria-label"));
    assertTrue(link.getAttribute("href").contains("/login?next="), link.getAttribute("href"));
    // The post's score updates live for everyone.
    upvote(api.register("carol"), "post", postId);
    waitFor(stranger, 5).until(d -> d.findElement(By.cssSelector("#post-vote .points")).getText().equals("2"));
  }

  @Test
  void aFeedItemsScoreChangesLive() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "Climbing");

    WebDriver page = browsers.open("reader");
    page.get(base + "/");
    waitUntilLive(page);
    assertEquals("0 points", page.findElement(By.cssSelector("#post-" + postId + " .score")).getText());
    upvote(bob, "post", postId);
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.cssSelector("#post-" + postId + " .score"), "1 point"));
  }

  // ---------- orders ----------

  @Test
  void anEmptyPeriodOffersTheTopOfAllTimeInOneClick() throws Exception {
    Session alice = api.register("alice");
    long old = api.createPost(alice, "From last week");
    TestParley.sql("UPDATE posts SET created_at = now() - interval '3 days' WHERE id = " + old);
    WebDriver page = browsers.open("reader");
    // A period remembered from an earlier visit, on a community with nothing in it.
    page.get(base + "/?sort=top&period=day");
    WebElement empty = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("empty")));
    assertTrue(empty.getText().startsWith("No posts today"), empty.getText());
    empty.findElement(By.linkText("see the top posts of all time")).click();
    waitFor(page, 10).until(d -> feed(d).equals(List.of(old)));
    assertTrue(page.getCurrentUrl().endsWith("/?sort=top&period=all"), page.getCurrentUrl());
  }

  @Test
  void theFeedSortReordersTheFeedAndIsRememberedAfterAReload() {
    Session alice = api.register("alice");
    List<Session> voters = List.of(api.register("bob"), api.register("carol"), api.register("dave"));
    long quiet = api.createPost(alice, "Quiet");
    long popular = api.createPost(alice, "Popular");
    long liked = api.createPost(alice, "Liked");
    voters.forEach(v -> upvote(v, "post", popular));
    upvote(voters.get(0), "post", liked);

    WebDriver page = browsers.open("reader");
    page.get(base + "/");
    waitFor(page, 10).until(d -> feed(d).size() == 3);
    assertEquals(List.of(liked, popular, quiet), feed(page), "newest first by default");
    assertEquals("true", page.findElement(By.cssSelector("#sorts a[data-sort=new]")).getAttribute("aria-current"));

    page.findElement(By.cssSelector("#sorts a[data-sort=top]")).click();
    waitFor(page, 5).until(d -> feed(d).equals(List.of(popular, liked, quiet)));
    assertTrue(page.getCurrentUrl().endsWith("/?sort=top&period=week"), page.getCurrentUrl());
    assertEquals("true", page.findElement(By.cssSelector("#sorts a[data-sort=top]")).getAttribute("aria-current"));
    assertEquals("3 points", page.findElement(By.cssSelector("#post-" + popular + " .score")).getText());

    new Select(page.findElement(By.id("period"))).selectByValue("all");
    waitFor(page, 5).until(ExpectedConditions.urlContains("period=all"));
    waitFor(page, 5).until(d -> feed(d).equals(List.of(popular, liked, quiet)));

    page.navigate().refresh();
    waitFor(page, 10).until(d -> feed(d).size() == 3);
    assertEquals(List.of(popular, liked, quiet), feed(page));
    // The plain address opens the remembered order, and says so.
    page.get(base + "/");
    waitFor(page, 10).until(d -> feed(d).size() == 3);
    assertEquals(List.of(popular, liked, quiet), feed(page));
    assertTrue(page.getCurrentUrl().endsWith("/?sort=top&period=all"), page.getCurrentUrl());
    assertEquals("all", new Select(page.findElement(By.id("period"))).getFirstSelectedOption().getAttribute("value"));

    // Back to newest first, and the browser's back button returns to top.
    page.findElement(By.cssSelector("#sorts a[data-sort=new]")).click();
    waitFor(page, 5).until(d -> feed(d).equals(List.of(liked, popular, quiet)));
    assertEquals(base + "/", page.getCurrentUrl());
    page.navigate().back();
    waitFor(page, 5).until(d -> feed(d).equals(List.of(popular, liked, quiet)));
  }

  @Test
  void theThreadSortOrdersTopLevelCommentsAndRepliesWithinTheirParent() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    Session erin = api.register("erin");
    long postId = api.createPost(alice, "Ordered thread");
    long c1 = api.comment(bob, postId, "c1, no votes", null);
    long c2 = api.comment(carol, postId, "c2, two votes", null);
    long c3 = api.comment(dave, postId, "c3, one vote", null);
    long r1 = api.comment(carol, postId, "r1, no votes", c1);
    long r2 = api.comment(dave, postId, "r2, one vote", c1);
    long r3 = api.comment(bob, postId, "r3, no votes", c1);
    upvote(bob, "comment", c2);
    upvote(dave, "comment", c2);
    upvote(bob, "comment", c3);
    upvote(bob, "comment", r2);

    WebDriver page = browsers.open("erin");
    signIn(page, base, erin);
    openPost(page, base, postId);
    String top = "#comments > li.comment";
    String replies = "#comment-" + c1 + " > ul.replies > li.comment";
    assertEquals(List.of(c1, c2, c3), ids(page, top), "oldest first by default");
    assertEquals(List.of(r1, r2, r3), ids(page, replies));
    assertEquals("true", page.findElement(By.cssSelector("#thread-sort button[data-sort=old]")).getAttribute("aria-pressed"));

    // A reply being written survives every re-ordering.
    page.findElement(By.cssSelector("#comment-" + r2 + " .actions .reply")).click();
    String draft = "Half a thought";
    page.findElement(By.id("reply-" + r2)).sendKeys(draft);

    page.findElement(By.cssSelector("#thread-sort button[data-sort=best]")).click();
    assertEquals(List.of(c2, c3, c1), ids(page, top));
    assertEquals(List.of(r2, r3, r1), ids(page, replies), "ties (no votes) newest first");
    List<Long> apiBest = api.get("/api/posts/" + postId + "/comments?sort=best").items().stream()
        .map(o -> (JsonObject) o).filter(c -> c.getValue("parentId") == null).map(c -> c.getLong("id")).toList();
    assertEquals(apiBest, ids(page, top), "the same order as the API's best");
    assertEquals("true", page.findElement(By.cssSelector("#thread-sort button[data-sort=best]")).getAttribute("aria-pressed"));
    assertEquals(draft, page.findElement(By.id("reply-" + r2)).getAttribute("value"));

    page.findElement(By.cssSelector("#thread-sort button[data-sort=new]")).click();
    assertEquals(List.of(c3, c2, c1), ids(page, top));
    assertEquals(List.of(r3, r2, r1), ids(page, replies));
    assertEquals(draft, page.findElement(By.id("reply-" + r2)).getAttribute("value"));

    // Remembered for the next visit; a comment arriving live (behind "1 new comment", as the reader is at the top of
    // the page) takes its place in the order: newest first.
    openPost(page, base, postId);
    assertEquals(List.of(c3, c2, c1), ids(page, top));
    assertEquals("true", page.findElement(By.cssSelector("#thread-sort button[data-sort=new]")).getAttribute("aria-pressed"));
    long r4 = api.comment(alice, postId, "r4, just now", c1);
    waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.id("new-comments"))).click();
    waitFor(page, 5).until(d -> ids(d, replies).equals(List.of(r4, r3, r2, r1)));

    // Loaded in the remembered "best" order (the thread is placed in that order at once, parents first).
    page.findElement(By.cssSelector("#thread-sort button[data-sort=best]")).click();
    openPost(page, base, postId);
    assertEquals(List.of(c2, c3, c1), ids(page, top));
    assertEquals(List.of(r2, r4, r3, r1), ids(page, replies), "ties (no votes) newest first");
  }

  // ---------- tags ----------

  @Test
  void aTagChipLeadsToTheTagViewWithOnlyThatTagsPosts() {
    Session alice = api.register("alice");
    long rustOnly = postWithTags(alice, "Borrowing", "rust");
    long goOnly = postWithTags(alice, "Goroutines", "go");
    long both = postWithTags(alice, "Show: a Rust tool", "rust", "show-hn");

    WebDriver page = browsers.open("reader");
    page.get(base + "/");
    waitFor(page, 10).until(d -> feed(d).size() == 3);
    assertEquals(List.of("rust", "show-hn"), texts(page, "#post-" + both + " .tags a.tag"));

    page.findElement(By.cssSelector("#post-" + rustOnly + " .tags a.tag")).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("feed-title"), "Posts tagged rust"));
    assertTrue(page.getCurrentUrl().endsWith("/?tag=rust"), page.getCurrentUrl());
    waitFor(page, 10).until(d -> feed(d).equals(List.of(both, rustOnly)));
    assertFalse(feed(page).contains(goOnly));

    // The post page's chips lead there too, and the tag view has a way back.
    openPost(page, base, goOnly);
    page.findElement(By.cssSelector("#post-tags a.tag")).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("feed-title"), "Posts tagged go"));
    waitFor(page, 10).until(d -> feed(d).equals(List.of(goOnly)));
    page.findElement(By.id("all-posts-link")).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("feed-title"), "Community"));
    waitFor(page, 10).until(d -> feed(d).size() == 3);
  }

  @Test
  void theNewPostFormTakesTagsAndShowsABadOneNextToTheField() {
    Session alice = api.register("alice");
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/");
    page.findElement(By.cssSelector("details#new-post summary")).click();
    page.findElement(By.id("post-title")).sendKeys("Tagged from the form");
    page.findElement(By.id("post-body")).sendKeys("With tags.");
    page.findElement(By.id("post-tags")).sendKeys("Rust, c++");
    page.findElement(By.cssSelector("#post-form button[type=submit]")).click();
    WebElement error = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("post-tags-error")));
    assertTrue(error.getText().startsWith("Tags \"c++\" must be"), error.getText());
    assertEquals("true", page.findElement(By.id("post-tags")).getAttribute("aria-invalid"));

    page.findElement(By.id("post-tags")).clear();
    page.findElement(By.id("post-tags")).sendKeys("Rust #show-hn rust");
    page.findElement(By.cssSelector("#post-form button[type=submit]")).click();
    waitFor(page, 10).until(ExpectedConditions.urlMatches("/posts/\\d+$"));
    waitFor(page, 10).until(d -> texts(d, "#post-tags a.tag").equals(List.of("rust", "show-hn")));
    long postId = Long.parseLong(page.getCurrentUrl().replaceAll(".*/posts/", ""));
    assertEquals(new JsonArray(List.of("rust", "show-hn")), api.get("/api/posts/" + postId).json().getJsonArray("tags"));

    // The author changes them in the edit form.
    page.findElement(By.id("edit-post")).click();
    // A bad source in the edit form is quoted beside its field, as in the composer (it said only "Sources must be…").
    WebElement sources = page.findElement(By.id("edit-sources"));
    sources.sendKeys("https://example.org/fine\nftp://files.example/bad");
    page.findElement(By.cssSelector("#edit-post-form button[type=submit]")).click();
    assertEquals("Sources \"ftp://files.example/bad\" must be an http or https URL", waitFor(page, 5)
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-sources-error"))).getText());
    sources.clear();
    WebElement tags = page.findElement(By.id("edit-tags"));
    assertEquals("rust, show-hn", tags.getAttribute("value"));
    tags.clear();
    tags.sendKeys("go");
    page.findElement(By.cssSelector("#edit-post-form button[type=submit]")).click();
    waitFor(page, 5).until(d -> texts(d, "#post-tags a.tag").equals(List.of("go")));
    assertEquals(new JsonArray(List.of("go")), api.get("/api/posts/" + postId).json().getJsonArray("tags"));
  }
}
