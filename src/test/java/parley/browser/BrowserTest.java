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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.openPost;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;
import static parley.browser.BrowserSupport.waitUntilLive;

/**
 * The web app in real browsers (headless Chromium): what a reader does and sees, and what arrives live.
 * One behaviour per test; each test starts from empty tables and fresh browsers.
 */
@ExtendWith(TestParley.class)
class BrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  // ---------- helpers ----------

  private long createPost(Session as, String title, String body) {
    Api.Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", body));
    assertEquals(201, r.status(), r::toString);
    return r.json().getLong("id");
  }

  /** The texts of the comment bodies on a post page, in page order. */
  @SuppressWarnings("unchecked")
  private static List<String> commentTexts(WebDriver driver) {
    return (List<String>) js(driver, "return [...document.querySelectorAll('#comments li.comment .content .body')]"
        + ".map(b => b.textContent.trim());");
  }

  private static long countComments(WebDriver driver, String text) {
    return commentTexts(driver).stream().filter(text::equals).count();
  }

  private static void waitForComment(WebDriver driver, String text, double seconds) {
    waitFor(driver, seconds).withMessage("comment \"" + text + "\" on the page")
        .until(d -> countComments(d, text) > 0);
  }

  private static String draft(WebDriver driver) {
    return (String) js(driver, "return document.getElementById('comment-body').value;");
  }

  // ---------- tests ----------

  @Test
  void registerPostAndCommentThroughTheUi() {
    WebDriver browser = browsers.open("author");
    browser.get(base + "/login");
    browser.findElement(By.id("register-username")).sendKeys("ui_author");
    // An empty field is "empty", in a sentence: it was "Email must be at least 3 characters".
    browser.findElement(By.cssSelector("#register-form button[type=submit]")).click();
    assertEquals("The email must not be empty", waitFor(browser, 10).until(
        ExpectedConditions.visibilityOfElementLocated(By.id("register-email-error"))).getText());
    browser.findElement(By.id("register-email")).sendKeys("ui_author@example.org");
    // Too short first: the error names the field briefly ("Password (8 characters or more) must be at least 8
    // characters" once), and nothing is registered.
    browser.findElement(By.id("register-password")).sendKeys("short");
    browser.findElement(By.cssSelector("#register-form button[type=submit]")).click();
    String error = waitFor(browser, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#register-form .field-error"))).getText();
    assertTrue(error.startsWith("The password ") && !error.contains("(8 characters or more)"), error);
    browser.findElement(By.id("register-password")).clear();
    browser.findElement(By.id("register-password")).sendKeys("correct horse battery");
    browser.findElement(By.cssSelector("#register-form button[type=submit]")).click();

    // Registered and signed in: back on the feed, with the composer and the account in the header.
    waitFor(browser, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("new-post")));
    assertTrue(browser.findElement(By.id("nav")).getText().contains("ui_author"));

    browser.findElement(By.cssSelector("details#new-post summary")).click();
    waitFor(browser, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("post-title")));
    // Nothing written: each field says so in a sentence ("Body (Markdown) must not be empty" before).
    browser.findElement(By.cssSelector("#post-form button[type=submit]")).click();
    assertEquals("The title must not be empty", waitFor(browser, 10).until(
        ExpectedConditions.visibilityOfElementLocated(By.id("post-title-error"))).getText());
    assertEquals("The body must not be empty", browser.findElement(By.id("post-body-error")).getText());
    assertEquals(browser.findElement(By.id("post-title")), browser.switchTo().activeElement(), "focus on the first");
    browser.findElement(By.id("post-title")).sendKeys("Rivers of the north");
    browser.findElement(By.id("post-body")).sendKeys("Which rivers freeze **first**?");
    // A bad source is named in the error, not just its field (a page review: it did not say which line).
    browser.findElement(By.id("post-sources")).sendKeys("https://example.org/rivers\nftp://files.example/ice");
    browser.findElement(By.cssSelector("#post-form button[type=submit]")).click();
    assertEquals("Sources \"ftp://files.example/ice\" must be an http or https URL", waitFor(browser, 10).until(
        ExpectedConditions.visibilityOfElementLocated(By.id("post-sources-error"))).getText());
    browser.findElement(By.id("post-sources")).clear();
    browser.findElement(By.id("post-sources")).sendKeys("https://example.org/rivers");
    browser.findElement(By.cssSelector("#post-form button[type=submit]")).click();

    waitFor(browser, 10).until(ExpectedConditions.urlMatches("/posts/\\d+$"));
    waitFor(browser, 10).until(ExpectedConditions.textToBe(By.id("post-title"), "Rivers of the north"));
    assertEquals("Which rivers freeze first?", browser.findElement(By.id("post-body")).getText());
    assertEquals("first", browser.findElement(By.cssSelector("#post-body strong")).getText());
    assertEquals("https://example.org/rivers", browser.findElement(By.cssSelector("#post-sources a")).getText());

    WebElement body = waitFor(browser, 10)
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("comment-body")));
    body.sendKeys("The small ones, in my experience.");
    browser.findElement(By.cssSelector("#comment-form button[type=submit]")).click();

    waitForComment(browser, "The small ones, in my experience.", 10);
    WebElement comment = browser.findElement(By.cssSelector("#comments li.comment"));
    assertTrue(comment.getText().contains("ui_author"), comment.getText());
    waitFor(browser, 5).until(d -> draft(d).isEmpty());

    // It was stored: the REST API has it too.
    long postId = Long.parseLong(browser.getCurrentUrl().replaceAll(".*/posts/", ""));
    JsonArray items = api.get("/api/posts/" + postId + "/comments").items();
    assertEquals(1, items.size());
    assertEquals("The small ones, in my experience.", items.getJsonObject(0).getString("body"));
  }

  @Test
  void aDoubleClickOnPostCreatesOnePost() {
    Session writer = api.register("writer");
    WebDriver browser = browsers.open("writer");
    signIn(browser, base, writer);
    browser.get(base + "/");
    browser.findElement(By.cssSelector("details#new-post summary")).click();
    waitFor(browser, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("post-title")));
    browser.findElement(By.id("post-title")).sendKeys("Sent once, clicked twice");
    browser.findElement(By.id("post-body")).sendKeys("A double click is one post.");
    // Real mouse events: two submits before the first answer comes (a probe: two posts, before the form sent a key).
    new org.openqa.selenium.interactions.Actions(browser)
        .doubleClick(browser.findElement(By.cssSelector("#post-form button[type=submit]"))).perform();
    waitFor(browser, 10).until(ExpectedConditions.urlMatches("/posts/\\d+$"));
    waitFor(browser, 10).until(ExpectedConditions.textToBe(By.id("post-title"), "Sent once, clicked twice"));
    JsonArray posts = api.get("/api/users/" + writer.username() + "/posts").json().getJsonArray("items");
    assertEquals(1, posts.size(), "one post: " + posts.encode());
  }

  @Test
  void aCommentPostedInOneBrowserAppearsInAnotherWithinTwoSeconds() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = createPost(alice, "Two windows", "One thread, two readers.");

    WebDriver a = browsers.open("alice");
    WebDriver b = browsers.open("bob");
    signIn(a, base, alice);
    signIn(b, base, bob);
    openPost(a, base, postId);
    openPost(b, base, postId);

    a.findElement(By.id("comment-body")).sendKeys("Hello from window A");
    a.findElement(By.cssSelector("#comment-form button[type=submit]")).click();
    waitForComment(a, "Hello from window A", 5);

    // B is at the end of a short page and not typing: the comment goes straight in, no reload, no button.
    waitForComment(b, "Hello from window A", 2);
    assertFalse(b.findElement(By.id("new-comments")).isDisplayed());
    assertEquals(1, countComments(b, "Hello from window A"));
  }

  @Test
  void theCommentBoxSaysMarkdownWorksPreviewsItAndSendsOnCtrlEnter() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = createPost(alice, "Markdown in comments", "Write something.");
    long first = api.comment(alice, postId, "Reply to me", null);

    WebDriver page = browsers.open("bob");
    signIn(page, base, bob);
    openPost(page, base, postId);
    WebElement box = page.findElement(By.id("comment-body"));
    WebElement hint = page.findElement(By.cssSelector("#comment-form .markdown-hint"));
    assertTrue(hint.getText().startsWith("Markdown works"), hint.getText());
    assertTrue(box.getAttribute("aria-describedby").contains(hint.getAttribute("id")), "the hint is the box's description");

    box.sendKeys("Rivers **freeze** from the _edges_");
    page.findElement(By.cssSelector("#comment-form .preview-button")).click();
    WebElement preview = page.findElement(By.cssSelector("#comment-form .preview"));
    waitFor(page, 5).until(ExpectedConditions.visibilityOf(preview));
    assertEquals("freeze", preview.findElement(By.tagName("strong")).getText(), "the server's rendering");
    assertEquals("edges", preview.findElement(By.tagName("em")).getText());
    // A preview of a text that changed since is not shown.
    box.sendKeys(" inward.");
    assertFalse(preview.isDisplayed(), "the preview goes when the text changes");

    box.sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, org.openqa.selenium.Keys.ENTER));
    waitForComment(page, "Rivers freeze from the edges inward.", 5);
    assertEquals("", draft(page), "sent, and the box emptied");
    assertEquals(1, countComments(page, "Rivers freeze from the edges inward."));

    // A reply's box has the same, and a plain Enter is a new line, not a send.
    page.findElement(By.cssSelector("#comment-" + first + " .actions .reply")).click();
    WebElement reply = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + first)));
    assertNotNull(page.findElement(By.cssSelector("#comment-" + first + " .forms .markdown-hint")));
    reply.sendKeys("Two lines:" + org.openqa.selenium.Keys.ENTER + "the second");
    assertTrue(reply.isDisplayed(), "Enter alone wrote a new line");
    reply.sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, org.openqa.selenium.Keys.ENTER));
    waitFor(page, 5).until(d -> api.get("/api/posts/" + postId + "/comments").items().stream()
        .anyMatch(c -> "Two lines:\nthe second".equals(((JsonObject) c).getString("body"))));
    assertEquals(3, api.get("/api/posts/" + postId + "/comments").items().size(), "each sent once");
  }

  /** The waiting comments' twin above the form goes with the form when a lock arrives live (a review). */
  @Test
  void theWaitingCommentsTwinGoesWithTheFormWhenTheThreadIsLocked() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = createPost(alice, "Locked while typing", "Type slowly.");
    WebDriver b = browsers.open("bob");
    signIn(b, base, bob);
    openPost(b, base, postId);
    b.findElement(By.id("comment-body")).sendKeys("Half a thought");
    api.comment(alice, postId, "An arrival", null);
    waitFor(b, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("new-comments-end")));
    assertEquals(204, api.post("/api/mod/posts/" + postId + "/lock", mod, new JsonObject()).status());
    waitFor(b, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("comment-form")));
    assertFalse(b.findElement(By.id("new-comments-end")).isDisplayed(), "no form, no twin above it");
    assertTrue(b.findElement(By.id("new-comments")).isDisplayed(), "the top one still shows them");
  }

  @Test
  void aHalfWrittenDraftSurvivesIncomingComments() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = createPost(alice, "Drafts", "Type slowly.");

    WebDriver b = browsers.open("bob");
    signIn(b, base, bob);
    openPost(b, base, postId);
    String draft = "I was just about to say that";
    b.findElement(By.id("comment-body")).sendKeys(draft);

    api.comment(alice, postId, "First arrival", null);
    api.comment(alice, postId, "Second arrival", null);

    WebElement button = waitFor(b, 5)
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("new-comments")));
    waitFor(b, 5).until(ExpectedConditions.textToBe(By.id("new-comments"), "2 new comments"));
    assertEquals(draft, draft(b), "the draft is untouched while comments wait");
    assertEquals(List.of(), commentTexts(b), "waiting comments are not inserted under a typing reader");

    // The typing reader's way to them is just above the form, not back through the whole thread to the top.
    WebElement end = b.findElement(By.cssSelector("#new-comments-end button"));
    assertEquals("Show 2 new comments", end.getText());
    b.findElement(By.id("comment-body")).sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.SHIFT,
        org.openqa.selenium.Keys.TAB));
    assertEquals(end, b.switchTo().activeElement(), "one Shift+Tab from the form");
    end.sendKeys(org.openqa.selenium.Keys.ENTER);
    waitFor(b, 5).until(d -> commentTexts(d).equals(List.of("First arrival", "Second arrival")));
    assertFalse(button.isDisplayed());
    assertFalse(b.findElement(By.id("new-comments-end")).isDisplayed());
    assertTrue(b.switchTo().activeElement().getText().contains("First arrival"), "focus on the first of them");
    assertEquals(draft, draft(b), "the draft survives inserting the comments");
  }

  @Test
  void aReportAppearsLiveOnTheDashboardAndHidingItRemovesTheCommentLive() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = createPost(author, "Reported thread", "Be nice.");
    long commentId = api.comment(troll, postId, "Something rude", null);

    WebDriver dashboard = browsers.open("moderator");
    signIn(dashboard, base, mod);
    dashboard.get(base + "/mod");
    waitFor(dashboard, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-panels")));
    waitUntilLive(dashboard);
    assertTrue(dashboard.findElements(By.id("target-comment-" + commentId)).isEmpty());

    WebDriver page = browsers.open("reader");
    signIn(page, base, reader);
    openPost(page, base, postId);
    waitForComment(page, "Something rude", 5);
    // Report and block sit in the comment's "⋯" menu.
    page.findElement(By.cssSelector("#comment-" + commentId + " .actions .menu > summary")).click();
    page.findElement(By.cssSelector("#comment-" + commentId + " .actions"))
        .findElement(By.xpath(".//button[normalize-space()='Report']")).click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("report-dialog")));
    new Select(page.findElement(By.id("report-reason"))).selectByValue("harassment");
    page.findElement(By.id("report-send")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("post-notice"),
        "Thank you: the moderators have your report."));
    // The menu closed when the dialog opened, and focus came back to its button, not to an item out of sight.
    assertTrue(page.findElements(By.cssSelector("#comment-" + commentId + " details.menu[open]")).isEmpty());
    assertEquals(page.findElement(By.cssSelector("#comment-" + commentId + " .actions .menu > summary")),
        page.switchTo().activeElement());

    // The dashboard gets it live, without a reload.
    WebElement item = waitFor(dashboard, 5)
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("target-comment-" + commentId)));
    assertTrue(item.getText().contains("Something rude"), item.getText());
    assertTrue(item.getText().contains("Harassment from reader"), item.getText());
    item.findElement(By.xpath(".//button[normalize-space()='Hide']")).click();

    // The reader's page swaps the comment for a tombstone, without a reload. The dashboard sends a hide once its
    // 5 s undo window is over, so this waits for that as well.
    By comment = By.id("comment-" + commentId);
    waitFor(page, 12).until(ExpectedConditions.textToBePresentInElementLocated(comment, "[removed by a moderator]"));
    assertFalse(page.findElement(comment).getText().contains("Something rude"));
    assertEquals(0, countComments(page, "Something rude"));
  }

  /** Past a thread's comments in one step: "Add a comment" by the heading, there while the form is offered. */
  @Test
  void addACommentJumpsPastTheThreadToTheForm() throws Exception {
    Session author = api.register("jump_author");
    Session reader = api.register("jump_reader");
    Session mod = api.registerWithRole("jump_mod", "moderator");
    long postId = createPost(author, "A long thread", "Many comments.");
    for (int i = 0; i < 3; i++) api.comment(author, postId, "Comment " + i, null);
    long empty = createPost(author, "Nothing yet", "No comments.");

    WebDriver page = browsers.open("reader");
    signIn(page, base, reader);
    openPost(page, base, postId);
    waitForComment(page, "Comment 2", 5);
    WebElement jump = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("jump-to-form")));
    jump.click();
    assertEquals(page.findElement(By.id("comment-body")), page.switchTo().activeElement());
    // A lock takes the form away, and the way to it.
    assertEquals(204, api.post("/api/mod/posts/" + postId + "/lock", mod, null).status());
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("jump-to-form")));

    openPost(page, base, empty);
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("comment-form")));
    assertFalse(page.findElement(By.id("jump-to-form")).isDisplayed(), "no comments to go past");
  }

  /** The post's report and block sit in its own "⋯", as each comment's do; its author's page has none. */
  @Test
  void aPostIsReportedFromItsMenu() throws Exception {
    Session author = api.register("menu_author");
    Session reader = api.register("menu_reader");
    long postId = createPost(author, "Reported post", "Buy cheap watches.");

    WebDriver page = browsers.open("reader");
    signIn(page, base, reader);
    openPost(page, base, postId);
    WebElement report = waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.id("report-post")));
    assertFalse(report.isDisplayed(), "inside the closed menu");
    page.findElement(By.cssSelector("#post-menu > summary")).click();
    assertTrue(page.findElement(By.cssSelector("#post-menu [data-block='menu_author']")).isDisplayed());
    report.click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("report-dialog")));
    assertEquals("Report the post “Reported post”", page.findElement(By.id("report-title")).getText());
    new Select(page.findElement(By.id("report-reason"))).selectByValue("spam");
    page.findElement(By.id("report-send")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("post-notice"),
        "Thank you: the moderators have your report."));
    assertTrue(page.findElements(By.cssSelector("#post-menu[open]")).isEmpty(), "the menu closed");
    assertEquals(page.findElement(By.cssSelector("#post-menu > summary")), page.switchTo().activeElement());
    JsonArray mine = api.get("/api/me/reports", reader).items();
    assertEquals(1, mine.size(), mine.encodePrettily());
    assertEquals("post", mine.getJsonObject(0).getString("targetType"), mine.encodePrettily());

    WebDriver own = browsers.open("author");
    signIn(own, base, author);
    openPost(own, base, postId);
    waitFor(own, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-post")));
    assertTrue(own.findElements(By.id("post-menu")).isEmpty(), "nothing to report or block on one's own post");
  }

  @Test
  void aReportNeedsAReasonChosenAndOneCancelledWithEscapeSendsNothing() throws Exception {
    Session author = api.register("author");
    Session reader = api.register("reader");
    long postId = createPost(author, "Reasons", "Why report?");
    long first = api.comment(author, postId, "First comment", null);
    long second = api.comment(author, postId, "Second comment", null);
    long third = api.comment(author, postId, "Third comment", null);

    WebDriver page = browsers.open("reader");
    signIn(page, base, reader);
    openPost(page, base, postId);
    waitForComment(page, "Third comment", 5);
    openReport(page, first);
    // A modal dialog dims the page behind it.
    assertEquals("rgba(0, 0, 0, 0.35)", js(page,
        "return getComputedStyle(document.getElementById('report-dialog'), '::backdrop').backgroundColor;"));
    // No reason is chosen for the reporter: "Send report" at once is refused by the field, and nothing is sent.
    assertEquals("Choose a reason", new Select(page.findElement(By.id("report-reason")))
        .getFirstSelectedOption().getText());
    page.findElement(By.id("report-send")).click();
    WebElement error = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("report-reason-error")));
    assertEquals("Reason is required: choose the one that fits best.", error.getText());
    assertTrue(page.findElement(By.id("report-dialog")).isDisplayed());
    assertEquals(page.findElement(By.id("report-reason")), page.switchTo().activeElement());
    assertEquals(0, api.get("/api/me/reports", reader).items().size());

    new Select(page.findElement(By.id("report-reason"))).selectByValue("off_topic");
    page.findElement(By.id("report-send")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("post-notice"),
        "Thank you: the moderators have your report."));
    assertEquals(1, api.get("/api/me/reports", reader).items().size());

    // A report cancelled with Escape, after one was sent from the same dialog, sends nothing.
    openReport(page, second);
    new Select(page.findElement(By.id("report-reason"))).selectByValue("spam");
    page.findElement(By.id("report-details")).sendKeys(org.openqa.selenium.Keys.ESCAPE);
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("report-dialog")));
    // A report goes, if it does, when the dialog closes: one sent after it, and answered, shows that nothing went.
    js(page, "document.getElementById('post-notice').textContent = '';");
    openReport(page, third);
    new Select(page.findElement(By.id("report-reason"))).selectByValue("other");
    page.findElement(By.id("report-send")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("post-notice"),
        "Thank you: the moderators have your report."));
    JsonArray mine = api.get("/api/me/reports", reader).items();
    assertEquals(2, mine.size(), mine.encodePrettily());
    assertTrue(mine.stream().map(JsonObject.class::cast).noneMatch(r -> "spam".equals(r.getString("reason"))),
        mine.encodePrettily());
  }

  @Test
  void aReplyToACommentRemovedMeanwhileSaysSoInASentenceAndKeepsItsText() throws Exception {
    Session author = api.register("author");
    Session mod = api.registerWithRole("lock_mod", "moderator");
    Session reader = api.register("reader");
    long postId = createPost(author, "Second thoughts", "Say something.");
    long comment = api.comment(author, postId, "A remark I will take back", null);
    WebDriver page = browsers.open("reader");
    signIn(page, base, reader);
    openPost(page, base, postId);
    page.findElement(By.cssSelector("#comment-" + comment + " .actions .reply")).click();
    page.findElement(By.id("reply-" + comment)).sendKeys("A reply to nothing");
    // A lock while it is written says so in the form (which stays, with its text), and an unlock takes that back.
    By formError = By.cssSelector("#comment-" + comment + " .reply-form .form-error");
    assertEquals(204, api.post("/api/mod/posts/" + postId + "/lock", mod, null).status());
    waitFor(page, 10).until(ExpectedConditions.textToBe(formError, "This thread is locked: it takes no new comments."));
    assertEquals(204, api.post("/api/mod/posts/" + postId + "/unlock", mod, null).status());
    waitFor(page, 10).until(ExpectedConditions.textToBe(formError, ""));
    assertEquals(204, api.delete("/api/comments/" + comment, author).status());
    page.findElement(By.cssSelector("#comment-" + comment + " .reply-form button[type=submit]")).click();
    // Once the raw words of a field the form does not have ("the comment you are replying to was removed…").
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.cssSelector("#comment-" + comment + " .reply-form .form-error"),
        "The comment you are replying to was removed or is not published."));
    assertEquals("A reply to nothing", js(page, "return document.getElementById('reply-" + comment + "').value;"));
  }

  @Test
  void aCommentTheServerRefusesPutsTheFocusOnItsField() {
    Session author = api.register("author");
    Session reader = api.register("reader");
    long postId = createPost(author, "Empty words", "Say something.");
    WebDriver page = browsers.open("reader");
    signIn(page, base, reader);
    openPost(page, base, postId);
    WebElement form = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("comment-form")));
    // Its empty alert line takes no room (it opened the form with a blank line above its label).
    assertEquals("0px 0px", js(page, "const e = arguments[0].querySelector('.form-error'); const s = getComputedStyle(e);"
        + " return e.getBoundingClientRect().height + 'px ' + s.marginTop;", form));
    WebElement send = form.findElement(By.cssSelector("button[type=submit]"));
    send.click();
    WebElement error = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#comment-form .field-error")));
    assertTrue(error.getText().contains("empty"), error.getText());
    // A keyboard or screen-reader user goes on where the correction is, not on the button they pressed.
    assertEquals(page.findElement(By.id("comment-body")), page.switchTo().activeElement());
  }

  /** Opens the report dialog of a comment from its "⋯" menu. */
  /**
   * On a small phone the report dialog's buttons are in view without scrolling inside it: the heading quoted a long
   * post title whole, in heading type, and pushed "Send report" past the dialog's foot (a page review, 320 x 640). The
   * title is cut at a word, whole in its tooltip.
   */
  @Test
  void onASmallPhoneTheReportDialogOfALongTitledPostShowsItsButtons() {
    Session author = api.register("author");
    Session reader = api.register("reader");
    String title = "A title of a hundred and fifty characters, which people do write when they have a lot to say "
        + "about a thing and want it all in the title itself, yes";
    long postId = api.createPost(author, title);
    org.openqa.selenium.chrome.ChromeDriver page = (org.openqa.selenium.chrome.ChromeDriver) browsers.open("reader");
    page.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        java.util.Map.of("width", 320, "height", 640, "deviceScaleFactor", 2, "mobile", true));
    signIn(page, base, reader);
    openPost(page, base, postId);
    page.findElement(By.cssSelector("#post-menu > summary")).click();
    page.findElement(By.xpath("//details[@id='post-menu']//button[normalize-space()='Report post']")).click();
    WebElement dialog = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("report-dialog")));
    WebElement heading = page.findElement(By.id("report-title"));
    assertEquals("Report the post \u201cA title of a hundred and fifty characters, which people do\u2026\u201d",
        heading.getText());
    assertEquals(title, heading.getDomAttribute("title"));
    assertEquals(Boolean.TRUE, js(page, "const d = arguments[0].getBoundingClientRect();"
        + " const b = document.getElementById('report-send').getBoundingClientRect();"
        + " return b.bottom <= Math.min(d.bottom, innerHeight) && b.top >= d.top;", dialog),
        "Send report is in view: " + js(page, "return JSON.stringify([arguments[0].getBoundingClientRect(),"
            + " document.getElementById('report-send').getBoundingClientRect(), innerHeight]);", dialog));
  }

  private static void openReport(WebDriver page, long commentId) {
    page.findElement(By.cssSelector("#comment-" + commentId + " .actions .menu > summary")).click();
    page.findElement(By.cssSelector("#comment-" + commentId + " .actions"))
        .findElement(By.xpath(".//button[normalize-space()='Report']")).click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("report-dialog")));
  }

  @Test
  void aBlockedUsersCommentsVanishForTheBlocker() {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session blocker = api.register("blocker");
    long postId = createPost(author, "Blocking", "Some people.");
    long trollComment = api.comment(troll, postId, "Troll says hi", null);
    api.comment(author, postId, "Author says hi", null);

    WebDriver page = browsers.open("blocker");
    signIn(page, base, blocker);
    openPost(page, base, postId);
    waitForComment(page, "Troll says hi", 5);

    page.findElement(By.cssSelector("#comment-" + trollComment + " .actions .menu > summary")).click();
    page.findElement(By.cssSelector("#comment-" + trollComment + " button[data-block='troll']")).click();
    waitFor(page, 5).until(ExpectedConditions.alertIsPresent());
    page.switchTo().alert().accept();

    By tombstone = By.cssSelector("#comment-" + trollComment + " .tombstone");
    waitFor(page, 5).until(ExpectedConditions.textToBe(tombstone, "Comment from someone you blocked."));
    assertEquals(0, countComments(page, "Troll says hi"));
    assertFalse(page.findElement(By.id("comments")).getText().contains("Troll says hi"));
    assertEquals(1, countComments(page, "Author says hi"));

    // Afterwards: the troll's new comment never shows; the sentinel posted after it does (events arrive in order).
    api.comment(troll, postId, "Troll is back", null);
    api.comment(author, postId, "Sentinel after the troll", null);
    waitForComment(page, "Sentinel after the troll", 5);
    assertFalse(page.findElement(By.id("comments")).getText().contains("Troll is back"),
        "a blocked user's new comment reached the blocker's page live");
    assertFalse(page.findElement(By.id("new-comments")).isDisplayed());
  }

  @Test
  void aPostBySomeoneYouBlockedShowsNoneOfItsWordsNotEvenInTheTabTitle() {
    Session author = api.register("author");
    Session blocker = api.register("blocker");
    long postId = createPost(author, "Words you chose not to see", "Their body.");
    assertEquals(204, api.put("/api/me/blocks/author", blocker, new JsonObject()).status());

    WebDriver page = browsers.open("blocker");
    signIn(page, base, blocker);
    page.get(base + "/posts/" + postId);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("not-found")));
    assertEquals("A post by someone you blocked", page.findElement(By.id("not-found-title")).getText());
    WebElement notice = page.findElement(By.id("not-found-text"));
    assertEquals("This post is by someone you blocked. Unblock people in Settings.", notice.getText());
    assertTrue(notice.findElement(By.tagName("a")).getDomAttribute("href").startsWith("/settings"));
    // The server's page carries the title for link previews; the script takes it out of the tab.
    waitFor(page, 5).until(ExpectedConditions.titleContains("someone you blocked"));
    assertFalse(page.getTitle().contains("Words you chose"), page.getTitle());
    assertFalse(page.findElement(By.tagName("body")).getText().contains("Words you chose"));
    // Nothing is followed live on this page, so no status says it is connecting.
    assertFalse(page.findElement(By.id("live-status")).isDisplayed());
  }

  /** A thread a moderator locks is marked on the feed at once, and the mark goes when it is unlocked (a page review). */
  @Test
  void theFeedMarksALockedThreadLive() throws Exception {
    Session author = api.register("lock_author");
    Session mod = api.registerWithRole("lock_mod", "moderator");
    long locked = createPost(author, "Locked before the page opened", "Old news.");
    long open = createPost(author, "Open thread", "Say something.");
    assertEquals(204, api.post("/api/mod/posts/" + locked + "/lock", mod, null).status());

    WebDriver browser = browsers.open("reader");
    browser.get(base + "/");
    waitFor(browser, 10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#post-" + open + " .post-link")));
    waitUntilLive(browser);
    assertEquals("locked", browser.findElement(By.cssSelector("#post-" + locked + " .locked-mark .badge")).getText());
    assertTrue(browser.findElements(By.cssSelector("#post-" + open + " .locked-mark")).isEmpty());
    // Its " · " goes to the next line with it, never left to end a line on a phone.
    assertEquals("nowrap", js(browser, "return getComputedStyle(document.querySelector('#post-" + locked
        + " .locked-mark')).whiteSpace;"));

    assertEquals(204, api.post("/api/mod/posts/" + open + "/lock", mod, null).status());
    waitFor(browser, 5).withMessage("the lock marked live").until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#post-" + open + " .locked-mark")));
    assertEquals(204, api.post("/api/mod/posts/" + locked + "/unlock", mod, null).status());
    waitFor(browser, 5).withMessage("the unlock unmarked live").until(ExpectedConditions.numberOfElementsToBe(
        By.cssSelector("#post-" + locked + " .locked-mark"), 0));
    assertEquals(1, browser.findElements(By.cssSelector("#post-" + open + " .locked-mark")).size(), "marked once");

    // An edited body shows its new start (the post has no summary of its own): it kept its old words (a page probe).
    assertEquals(200, api.patch("/api/posts/" + open, author, new JsonObject().put("body", "Say something new."))
        .status());
    waitFor(browser, 5).withMessage("the excerpt edited live").until(ExpectedConditions.textToBe(
        By.cssSelector("#post-" + open + " .excerpt"), "Say something new."));
  }

  @Test
  void scriptPayloadsShowAsTextAndNeverRun() {
    Session author = api.register("x_script");
    String title = "<img src=x onerror=\"window.__pwned=1\">";
    String body = "<script>window.__pwned=1</script>\n\n[x](javascript:window.__pwned=1)";
    String comment = "<img src=x onerror=window.__pwned=1>";
    long postId = createPost(author, title, body);
    api.comment(author, postId, comment, null);

    WebDriver browser = browsers.open("reader");
    browser.get(base + "/");
    WebElement link = waitFor(browser, 10)
        .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#post-" + postId + " .post-link")));
    assertEquals(title, link.getText());
    assertTrue(browser.findElement(By.cssSelector("#post-" + postId + " .meta a")).getText().equals("x_script"));
    assertNeverRan(browser);

    openPost(browser, base, postId);
    assertEquals(title, browser.findElement(By.id("post-title")).getText());
    WebElement postBody = browser.findElement(By.id("post-body"));
    assertTrue(postBody.getText().contains("<script>window.__pwned=1</script>"), postBody.getText());
    assertEquals(0L, js(browser, "return document.querySelectorAll('#post-body script').length;"));
    assertEquals(0L, js(browser, "return [...document.querySelectorAll('#post-body a')]"
        + ".filter(a => (a.getAttribute('href') || '').toLowerCase().includes('javascript')).length;"));
    waitForComment(browser, comment, 5);
    assertEquals("x_script", browser.findElement(By.cssSelector("#comments li.comment .meta a")).getText());
    assertNeverRan(browser);
  }

  /** No payload ran, and none became markup: no element carries an onerror attribute, no script came in. */
  private static void assertNeverRan(WebDriver browser) {
    // A failing image of our own: once its error has fired, any payload image's error would have fired too.
    Object fired = ((org.openqa.selenium.JavascriptExecutor) browser).executeAsyncScript(
        "const done = arguments[arguments.length - 1]; const img = new Image();"
            + "img.onerror = () => done(true); img.onload = () => done(false); img.src = '/no-such-image-' + Date.now();");
    assertEquals(Boolean.TRUE, fired);
    assertEquals(Boolean.TRUE, js(browser, "return window.__pwned === undefined;"), "a payload ran");
    assertEquals(0L, js(browser, "return document.querySelectorAll('[onerror]').length;"));
    assertEquals(0L, js(browser, "return document.querySelectorAll('main script').length;"));
  }

  @Test
  void afterTheSocketDropsThePageCatchesUp() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = createPost(alice, "Flaky network", "Tunnels everywhere.");

    WebDriver page = browsers.open("reader");
    signIn(page, base, bob);
    openPost(page, base, postId);
    // Record every status the page shows from here on.
    js(page, "window.__statuses = []; const s = document.getElementById('live-status');"
        + "new MutationObserver(() => window.__statuses.push(s.textContent))"
        + ".observe(s, {childList: true, characterData: true, subtree: true});");

    js(page, "window.parleyLive.ws.close();");
    waitFor(page, 5).withMessage("the page shows it is reconnecting")
        .until(d -> ((List<?>) js(d, "return window.__statuses;")).contains("Reconnecting…"));
    api.comment(alice, postId, "Said while you were away", null);
    api.comment(alice, postId, "Said again while you were away", null);

    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("live-status"), "Live"));
    waitForComment(page, "Said while you were away", 10);
    waitForComment(page, "Said again while you were away", 10);
    // Once each, even though the resume may overlap with what the old socket had in flight.
    api.comment(alice, postId, "Sentinel after the reconnect", null);
    waitForComment(page, "Sentinel after the reconnect", 5);
    assertEquals(List.of("Said while you were away", "Said again while you were away", "Sentinel after the reconnect"),
        commentTexts(page));
    assertEquals(1, countComments(page, "Said while you were away"));
    assertEquals(1, countComments(page, "Said again while you were away"));
    assertEquals(Boolean.TRUE, js(page, "return document.querySelectorAll('#comments li.comment').length === 3;"));
    assertEquals("Live", page.findElement(By.id("live-status")).getText());
  }

  @Test
  void pagesCarryAContentSecurityPolicy() {
    Api.Response home = api.raw("GET", "/", null, null, null);
    assertEquals(200, home.status());
    String csp = home.header("content-security-policy");
    assertNotNull(csp, "Content-Security-Policy on /");
    assertTrue(csp.contains("script-src 'self'"), csp);
    assertFalse(csp.contains("unsafe-inline"), csp);
  }
}
