package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;

/** Search in a real browser: the header's box, the results page, snippets as text, paging, and a phone's header. */
@ExtendWith(TestParley.class)
class SearchBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  /**
   * A pasted control character becomes a space rather than the server's JSON refusal shown as a page; a refused
   * query says why below the box and its button (it squeezed between them), and not also "No posts found".
   */
  @Test
  void aPastedControlCharacterIsASpaceAndARefusedQuerySaysWhyBelowTheBox() {
    ChromeDriver page = browsers.open("reader");
    page.get(base + "/");
    WebElement box = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("site-search-q")));
    js(page, "arguments[0].value = 'harbour\u000bbridge';", box);
    box.sendKeys(Keys.ENTER);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("search-q")));
    assertEquals("harbour bridge", page.findElement(By.id("search-q")).getDomProperty("value"));
    // The box and its button share a row (the stylesheet's input width once pushed the button below, a review).
    WebElement field = page.findElement(By.id("search-q"));
    WebElement submit = page.findElement(By.cssSelector("#search-form button[type=submit]"));
    assertTrue(Math.abs(field.getRect().getY() - submit.getRect().getY()) < 8
        && submit.getRect().getX() > field.getRect().getX() + field.getRect().getWidth() - 2,
        "the button beside the box: " + field.getRect().getX() + "," + field.getRect().getY() + " "
            + field.getRect().getWidth() + " wide; the button at " + submit.getRect().getX() + ","
            + submit.getRect().getY());

    page.get(base + "/search?q=" + "x".repeat(201));
    WebElement error = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("search-q-error")));
    assertEquals("Your search must be 1 to 200 characters", error.getText());
    double errorTop = error.getRect().getY();
    WebElement button = page.findElement(By.cssSelector("#search-form button[type=submit]"));
    assertTrue(errorTop >= button.getRect().getY() + button.getRect().getHeight(), "below the box and its button");
    assertFalse(page.findElement(By.id("search-empty")).isDisplayed(), "no 'nothing found' after a refusal");
    assertFalse(String.valueOf(js(page, "return document.querySelector('[aria-live]')?.textContent ?? '';"))
        .contains("found"), "nor announced");
  }

  @Test
  void aSearchFromTheHeaderFindsACommentWhoseResultLeadsToIt() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "What to plant first");
    api.comment(alice, postId, "Anything but mint.", null);
    long commentId = api.comment(bob, postId, "Marigolds: they forgive every mistake.", null);

    ChromeDriver page = browsers.open("reader");
    page.get(base + "/");
    WebElement box = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("site-search-q")));
    box.sendKeys("marigold" + Keys.ENTER);
    waitFor(page, 10).until(ExpectedConditions.urlContains("/search?q=marigold"));
    assertEquals("marigold", page.findElement(By.id("search-q")).getAttribute("value"), "the query stays in the box");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("search-empty")));

    page.findElement(By.cssSelector(".search-tabs a[data-type=comments]")).click();
    WebElement result = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.id("result-comment-" + commentId)));
    assertEquals("page", page.findElement(By.cssSelector(".search-tabs a[data-type=comments]"))
        .getAttribute("aria-current"));
    assertEquals("marigold", page.findElement(By.id("search-q")).getAttribute("value"));
    assertTrue(result.getText().contains("What to plant first"), result.getText());
    // The passage is what was found: the thread's title heads it smaller than a post result's title.
    double heading = ((Number) js(page, "return parseFloat(getComputedStyle(arguments[0]).fontSize);",
        result.findElement(By.tagName("h2")))).doubleValue();
    double passage = ((Number) js(page, "return parseFloat(getComputedStyle(arguments[0]).fontSize);",
        result.findElement(By.cssSelector(".snippet")))).doubleValue();
    assertTrue(heading <= passage, "heading " + heading + " px, passage " + passage + " px");
    assertEquals("Marigolds", result.findElement(By.cssSelector(".snippet mark")).getText());

    result.findElement(By.cssSelector("a.permalink")).click();
    WebElement target = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector(".comment.target")));
    assertEquals("comment-" + commentId, target.getAttribute("id"));
    assertTrue(target.getText().contains("they forgive every mistake"), target.getText());
    assertEquals(base + "/posts/" + postId + "#comment-" + commentId, page.getCurrentUrl());
  }

  @Test
  void aSnippetShowsMarkupAsTextAndOnlyTheMatchMarked() {
    Session alice = api.register("alice");
    String body = "<img src=x onerror=\"document.title='pwned'\"> <b>bold</b> & 'quotes' then the needle";
    long postId = api.createPost(alice, "Escapes");
    assertEquals(200, api.patch("/api/posts/" + postId, alice, new JsonObject().put("body", body)).status());
    ChromeDriver page = browsers.open("reader");
    page.get(base + "/search?q=needle");
    WebElement result = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.id("result-post-" + postId)));
    WebElement snippet = result.findElement(By.cssSelector(".snippet"));
    assertEquals(1L, js(page, "return document.querySelectorAll('.snippet *').length;"), "one element: the mark");
    assertEquals("needle", snippet.findElement(By.tagName("mark")).getText());
    assertTrue(snippet.getText().endsWith("then the needle"), snippet.getText());
    assertTrue(snippet.getText().contains("& 'quotes'"), snippet.getText());
    assertTrue(page.getTitle().startsWith("needle · Search"), "nothing ran: " + page.getTitle());
  }

  /** A page review: a post found by its title alone showed no mark. Its title's words found are marked, as text. */
  @Test
  void aPostFoundByItsTitleShowsTheWordsFoundInItMarked() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Which <b>stone</b> bridges survived?");
    ChromeDriver page = browsers.open("reader");
    page.get(base + "/search?q=stone+bri");
    WebElement title = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#result-post-" + postId + " h2 a")));
    assertEquals("Which <b>stone</b> bridges survived?", title.getText(), "markup in a title is text");
    assertEquals(List.of("stone", "bridges"), title.findElements(By.tagName("mark")).stream()
        .map(WebElement::getText).toList());
    assertEquals(2L, js(page, "return arguments[0].querySelectorAll('*').length;", title), "only the marks");
  }

  @Test
  void loadMoreBringsTheNextPageAndTheEmptyStateSaysWhatWasSearched() {
    Session alice = api.register("alice");
    for (int i = 0; i < 23; i++) api.createPost(alice, "Seedling " + i);
    ChromeDriver page = browsers.open("reader");
    page.get(base + "/search?q=seedling");
    waitFor(page, 10).until(d -> page.findElements(By.cssSelector("#results .result")).size() == 20);
    page.findElement(By.id("more")).click();
    waitFor(page, 10).until(d -> page.findElements(By.cssSelector("#results .result")).size() == 23);
    assertEquals(23L, js(page, "return new Set([...document.querySelectorAll('#results .result')].map(e => e.id)).size;"));
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("more")));

    page.get(base + "/search?q=zzyzx&type=users");
    WebElement empty = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("search-empty")));
    assertTrue(empty.getText().contains("No people match “zzyzx”"), empty.getText());
    assertEquals("zzyzx", page.findElement(By.id("search-q")).getAttribute("value"));
    page.findElement(By.id("search-q")).sendKeys(Keys.chord(Keys.CONTROL, "a"), "alic", Keys.ENTER);
    WebElement person = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.id("result-user-alice")));
    assertTrue(page.getCurrentUrl().contains("type=users"), "a new search keeps the tab: " + page.getCurrentUrl());
    assertEquals(base + "/u/alice", person.findElement(By.tagName("a")).getAttribute("href"));
  }

  @Test
  void aCommonWordSaysItsResultsAreTheBestOfTheNewestMatchesAndARareWordDoesNot() throws Exception {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Thread");
    long rare = api.comment(alice, postId, "A lone marigold", null);
    // More matches than the default rank limit (1,000) among the newest comments: a common word.
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + postId + ", " + alice.id()
        + ", 'thimble number ' || g, '' FROM generate_series(1, 1100) g");
    ChromeDriver page = browsers.open("reader");
    page.get(base + "/search?q=thimble&type=comments");
    WebElement note = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("search-scope")));
    assertEquals("“thimble” matches many comments, so these are the best of the newest 1,000 that match. "
        + "Add a word to reach older ones.", note.getText());
    waitFor(page, 10).until(d -> page.findElements(By.cssSelector("#results .result")).size() == 20);
    page.findElement(By.id("more")).click();
    waitFor(page, 10).until(d -> page.findElements(By.cssSelector("#results .result")).size() == 40);
    assertTrue(note.isDisplayed(), "the note stays while more pages load");

    page.get(base + "/search?q=marigold&type=comments");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("result-comment-" + rare)));
    assertFalse(page.findElement(By.id("search-scope")).isDisplayed(), "every match of a rare word is ranked");
  }

  @Test
  void atPhoneWidthTheHeaderWithItsSearchBoxKeepsToTwoRows() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    ChromeDriver page = browsers.open("phone");
    page.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
    signIn(page, base, alice);
    for (String path : new String[] {"/", "/search?q=anything", "/notifications", "/settings"}) {
      assertHeaderFits(page, path);
    }
    WebElement box = page.findElement(By.id("site-search-q"));
    assertTrue(box.getRect().getWidth() >= 150, "a box one can type in: " + box.getRect().getWidth() + " px");
    // A moderator's links are one more; their dashboard (which ModDashboardBrowserTest measures too) still fits.
    signIn(page, base, mod);
    assertHeaderFits(page, "/mod");
    // And on every other page, where their "Moderation" link shows too.
    long post = api.createPost(alice, "A thread");
    for (String path : new String[] {"/", "/posts/" + post, "/notifications", "/settings"}) {
      assertHeaderFits(page, path);
    }
    // A member with the longest name there may be (30 characters): it took a third row on a phone (a web review),
    // and is cut now, its whole self still the link's words and its tooltip.
    Session longName = api.register("a_member_with_a_very_long_name");
    signIn(page, base, longName);
    for (String path : new String[] {"/", "/posts/" + post, "/notifications", "/settings", "/search?q=anything"}) {
      assertHeaderFits(page, path);
      WebElement name = page.findElement(By.cssSelector("header.site .who a"));
      assertEquals("a_member_with_a_very_long_name", js(page, "return arguments[0].textContent;", name), path);
      assertEquals("a_member_with_a_very_long_name", name.getAttribute("title"), path);
    }
    // The narrowest phones (320 px): even a cut name took a third row there; the name is left out, as a moderator's
    // is (Settings is theirs), for every member.
    page.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", 320, "height", 640, "deviceScaleFactor", 2, "mobile", true));
    for (Session who : List.of(longName, alice)) {
      signIn(page, base, who);
      for (String path : new String[] {"/", "/posts/" + post, "/notifications", "/settings"}) {
        assertHeaderFits(page, path, 320);
        assertFalse(page.findElement(By.cssSelector("header.site .who")).isDisplayed(), path);
      }
    }
  }

  private static void assertHeaderFits(ChromeDriver page, String path) {
    assertHeaderFits(page, path, 390);
  }

  private static void assertHeaderFits(ChromeDriver page, String path, long width) {
    page.get(TestParley.baseUrl() + path);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-out")));
    assertEquals(width, ((Number) js(page, "return document.documentElement.clientWidth;")).longValue());
    assertEquals(Boolean.TRUE, js(page, "return document.documentElement.scrollWidth <= "
        + "document.documentElement.clientWidth;"), path + " scrolls sideways");
    double height = ((Number) js(page,
        "return document.querySelector('header.site').getBoundingClientRect().height;")).doubleValue();
    assertTrue(height < 85, path + ": the header takes at most two rows: " + height + " px");
  }
}
