package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.openPost;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;
import static parley.browser.BrowserSupport.waitUntilLive;

/**
 * Moderation on the thread itself, in real browsers: a moderator acts from the post page's "Moderate" menus and
 * every reader's open page follows at once; the author's record is one click away; pending content is marked for
 * its author and the moderators.
 */
@ExtendWith(TestParley.class)
class ModerationInPlaceBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  /** Opens a Moderate menu and picks one of its items. */
  private static void moderate(WebDriver page, String menu, String item) {
    // Again if a click missed: a line the page adds a moment after an action (the moderators' facts) moves the menu.
    waitFor(page, 5).ignoring(StaleElementReferenceException.class)
        .ignoring(ElementClickInterceptedException.class).withMessage("no " + item + " in " + menu).until(d -> {
      WebElement details = d.findElement(By.cssSelector(menu + " details.mod-menu"));
      if (details.getAttribute("open") == null) details.findElement(By.tagName("summary")).click();
      WebElement button = details.findElements(By.cssSelector(".menu-items button")).stream()
          .filter(b -> b.getText().equals(item)).findFirst().orElse(null);
      if (button == null) return false;
      button.click();
      return true;
    });
  }

  /** Opens a comment's Moderate menu on its post page, signed in as {@code as}, and then its author's record. */
  private WebElement openRecord(WebDriver page, Session as, long postId, long comment, String author) {
    signIn(page, base, as);
    openPost(page, base, postId);
    moderate(page, "#comment-" + comment, author + "'s record");
    WebElement card = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("user-card")));
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElement(card, "joined"));
    return card;
  }

  /** A filter entry, made by {@code by} straight in the database, that holds content with "heldword" for review. */
  private static void holdWord(Session by) throws Exception {
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + by.id() + ")");
  }

  /** Answers the reason dialog and confirms. */
  private static void confirmWithReason(WebDriver page, String reason) {
    WebElement dialog = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-dialog")));
    dialog.findElement(By.id("mod-reason")).sendKeys(reason);
    dialog.findElement(By.id("mod-confirm")).click();
  }

  private static long replyButtons(WebDriver page) {
    return ((Number) js(page, "return document.querySelectorAll('#comments .actions .reply').length;")).longValue();
  }

  /**
   * On a phone, the Moderate menu of a comment deep in a thread opens on the screen: aligned to its button's right
   * edge, it ran past the left edge and cut its first item, Hide (a page review).
   */
  @Test
  void aDeepCommentsModerateMenuOpensOnAPhonesScreen() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Deep thread");
    long parent = 0;
    Long at = null;
    for (int depth = 0; depth < 7; depth++) {
      parent = api.comment(alice, postId, "Level " + depth, at);
      at = parent;
    }
    WebDriver page = browsers.open("phone");
    page.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    signIn(page, base, mod);
    openPost(page, base, postId);
    String deepest = "#comment-" + parent;
    WebElement summary = waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector(deepest + " > .content .mod-menu > summary, " + deepest + " .mod-menu > summary")));
    js(page, "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", summary);
    String box = "const m = arguments[0].closest('details').querySelector('.menu-items').getBoundingClientRect();"
        + "return m.left >= 0 && m.right <= document.documentElement.clientWidth;";
    waitFor(page, 5).until(d -> Boolean.TRUE.equals(js(d, box, summary)));
    // Where it wraps to the start of its line at the screen's edge (how deep that takes depends on the words
    // around it), it opens rightwards.
    WebElement atEdge = (WebElement) js(page, "const d = document.createElement('details'); d.className = 'menu';"
        + "d.style.position = 'absolute'; d.style.left = '0'; d.style.top = '0';"
        + "d.innerHTML = '<summary>Moderate</summary><div class=\"menu-items\"><button>Hide…</button></div>';"
        + "document.body.append(d); d.open = true; return d.querySelector('summary');");
    waitFor(page, 5).until(d -> Boolean.TRUE.equals(js(d, box, atEdge)));
  }

  /**
   * The notice an action leaves at the window's foot moves to the top when it would cover the comment focus is on (a
   * page review: the thread's notice covered the next comment's "⋯" after a decision).
   */
  @Test
  void theNoticeAfterAnActionDoesNotCoverTheCommentFocusIsOn() throws Exception {
    Session alice = api.register("alice");
    Session troll = api.register("troll");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "A thread with a long opening");
    assertEquals(200, api.patch("/api/posts/" + postId, alice, new io.vertx.core.json.JsonObject()
        .put("body", "A long opening paragraph. ".repeat(120))).status());
    long rude = api.comment(troll, postId, "Something rude", null);
    api.comment(alice, postId, "A reply below it. ".repeat(40), null);
    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);
    WebElement content = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#comment-" + rude + " > .content")));
    // The comment sits at the window's foot, where the notice shows.
    js(modPage, "window.scrollBy({top: arguments[0].getBoundingClientRect().bottom - innerHeight + 8, behavior: 'instant'});",
        content);
    moderate(modPage, "#comment-" + rude, "Hide…");
    WebElement dialog = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-dialog")));
    dialog.findElement(By.id("mod-reason")).sendKeys("Insults");
    dialog.findElement(By.id("mod-confirm")).click();
    waitFor(modPage, 5).until(d -> ("comment-" + rude).equals(js(d, "return document.activeElement.id;")));
    WebElement notice = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#post-notice.flash")));
    String overlap = (String) js(modPage, "const a = document.querySelector('#comment-" + rude + " > .content')"
        + ".getBoundingClientRect(); const b = arguments[0].getBoundingClientRect();"
        + " return a.bottom > b.top && a.top < b.bottom ? `comment ${a.top}-${a.bottom}, notice ${b.top}-${b.bottom}` : '';",
        notice);
    assertEquals("", overlap, "the notice is clear of the comment focus is on");
  }

  @Test
  void aModeratorHidesACommentFromTheThreadAndAReadersOpenPageDropsItLive() throws Exception {
    Session alice = api.register("alice");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Harbour footbridge");
    long rude = api.comment(troll, postId, "Something rude", null);

    WebDriver readerPage = browsers.open("reader");
    signIn(readerPage, base, reader);
    openPost(readerPage, base, postId);
    WebDriver authorPage = browsers.open("author");
    signIn(authorPage, base, troll);
    openPost(authorPage, base, postId);
    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);

    // Without a reason nothing happens: the dialog says why and stays open.
    moderate(modPage, "#comment-" + rude, "Hide…");
    WebElement dialog = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-dialog")));
    dialog.findElement(By.id("mod-confirm")).click();
    assertTrue(dialog.isDisplayed(), "a hide needs a reason");
    assertFalse(api.get("/api/comments/" + rude, mod).json().getBoolean("hidden"));
    dialog.findElement(By.id("mod-reason")).sendKeys("Insults");
    dialog.findElement(By.id("mod-confirm")).click();

    By readerTombstone = By.cssSelector("#comment-" + rude + " > .content .tombstone");
    waitFor(readerPage, 5).withMessage("the reader's open page shows the comment removed, without a reload")
        .until(ExpectedConditions.textToBe(readerTombstone, "[removed by a moderator]"));
    assertFalse(readerPage.getPageSource().contains("Something rude"));
    // The moderator still sees it, marked, and can restore it from the same menu.
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("#comment-" + rude + " .meta"), "removed by a moderator"));
    assertTrue(modPage.findElement(By.id("comment-" + rude)).getText().contains("Something rude"));
    // Set apart from the conversation, not read as part of it (a page review: it kept its full-strength text).
    assertTrue(Double.parseDouble(String.valueOf(js(modPage, "return getComputedStyle(document.querySelector("
        + "'#comment-" + rude + " > .content > .body')).opacity;"))) < 1, "the hidden words are dimmed");
    assertEquals(0L, replyButtonsOf(modPage, rude), "nobody replies to a hidden comment (the server would refuse it)");
    // Focus stays with the comment the moderator acted on, not thrown to the top of the page when it re-renders.
    assertEquals("comment-" + rude, js(modPage, "return document.activeElement.id;"));
    // The heading counts what readers count (the feed's number), the hidden one apart.
    assertEquals("Comments · 1 hidden", modPage.findElement(By.id("comments-title")).getText());
    assertEquals("Comments", readerPage.findElement(By.id("comments-title")).getText());
    assertEquals("Insults", api.get("/api/mod/log", mod).items().getJsonObject(0).getString("reason"));
    // Its author reads on it, live, that it was removed and why (they had a badge, and the reason in a notification);
    // the moderators read it on their own line instead.
    By authorsNote = By.cssSelector("#comment-" + rude + " > .content > .hidden-note");
    waitFor(authorPage, 5).until(ExpectedConditions.textToBe(authorsNote,
        "A moderator removed this comment; only you and the moderators can see it. Reason: \u201cInsults\u201d"));
    assertTrue(modPage.findElements(authorsNote).isEmpty());
    assertTrue(readerPage.findElements(authorsNote).isEmpty());
    // They may delete it, not edit it (the server refuses the edit; Edit was offered, a page review).
    By authorsButtons = By.cssSelector("#comment-" + rude + " > .content > .actions button");
    assertEquals(java.util.List.of("Delete"), authorPage.findElements(authorsButtons).stream().map(WebElement::getText).toList());

    moderate(modPage, "#comment-" + rude, "Restore");
    waitFor(readerPage, 5).withMessage("restored live")
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("comment-" + rude), "Something rude"));
    waitFor(modPage, 5).withMessage("and open to replies again").until(d -> replyButtonsOf(d, rude) == 1);
    assertEquals("Comments (1)", modPage.findElement(By.id("comments-title")).getText());
    waitFor(authorPage, 5).until(ExpectedConditions.invisibilityOfElementLocated(authorsNote));
  }

  @Test
  void aModeratorSeesOnTheThreadWhoHidWhatAndWhyAndItsOpenReportsAndTheyFollowLive() throws Exception {
    Session alice = api.register("alice");
    Session troll = api.register("troll");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session kim = api.registerWithRole("kim_mod", "moderator");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Harbour footbridge");
    long rude = api.comment(troll, postId, "Something rude", null);
    long spammy = api.comment(troll, postId, "Cheap pills", null);
    long fine = api.comment(bob, postId, "A fine comment", null);
    assertEquals(201, api.post("/api/mod/filters", kim, new JsonObject().put("kind", "word").put("pattern", "pillz")
        .put("action", "hold")).status());
    long held = api.post("/api/posts/" + postId + "/comments", troll, new JsonObject().put("body", "More pillz"))
        .json().getLong("id");
    String payload = "Insults <img src=x onerror=alert(1)>";
    assertEquals(204, api.post("/api/mod/comments/" + rude + "/hide", kim, new JsonObject().put("reason", payload)).status());
    assertEquals(201, api.post("/api/reports", bob, new JsonObject().put("targetType", "comment").put("targetId", spammy)
        .put("reason", "spam")).status());

    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);
    WebElement hidden = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#comment-" + rude + " .mod-facts")));
    assertTrue(hidden.getText().contains("Hidden by kim_mod "), hidden.getText());
    assertTrue(hidden.getText().endsWith(": " + payload), "the reason, as text: " + hidden.getText());
    assertTrue(hidden.findElements(By.tagName("img")).isEmpty(), "never markup");
    By spamLine = By.cssSelector("#comment-" + spammy + " .mod-facts");
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(spamLine, "1 open report: Spam"));
    assertTrue(modPage.findElements(By.cssSelector("#comment-" + fine + " .mod-facts")).isEmpty(), "nothing to say");
    assertTrue(modPage.findElements(By.id("post-mod-facts")).isEmpty(), "nor of the post");
    assertEquals(base + "/mod#target-comment-" + spammy,
        modPage.findElement(spamLine).findElement(By.tagName("a")).getAttribute("href"));
    By heldLine = By.cssSelector("#comment-" + held + " .mod-facts");
    assertTrue(modPage.findElement(heldLine).getText().contains("Held "), modPage.findElement(heldLine).getText());
    assertTrue(modPage.findElement(heldLine).getText().contains("pillz"), "why: " + modPage.findElement(heldLine).getText());
    moderate(modPage, "#comment-" + held, "Approve");
    waitFor(modPage, 5).withMessage("approved: nothing left to say").until(d -> d.findElements(heldLine).isEmpty());

    // What others do arrives without a reload: a report, a lock, a dismissal.
    String words = "Names <b>me</b> again";
    assertEquals(201, api.post("/api/reports", carol, new JsonObject().put("targetType", "comment").put("targetId", spammy)
        .put("reason", "harassment").put("details", words)).status());
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(spamLine, "2 open reports: "));
    assertTrue(modPage.findElement(spamLine).getText().contains("Harassment"), modPage.findElement(spamLine).getText());
    // The reporter's own words are on the thread too, as text, with who wrote them.
    WebElement note = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#comment-" + spammy + " .mod-facts q.report-note")));
    assertEquals(words, note.getText());
    assertTrue(modPage.findElement(spamLine).getText().contains(" (carol)"), modPage.findElement(spamLine).getText());
    assertTrue(modPage.findElement(spamLine).findElements(By.tagName("b")).isEmpty(), "never markup");
    // Another moderator takes it in the queue: the thread says who is on it, live, and no longer once let go.
    assertEquals(200, api.put("/api/mod/comments/" + spammy + "/claim", kim, null).status());
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(spamLine, "kim_mod is on this since"));
    assertEquals(204, api.delete("/api/mod/comments/" + spammy + "/claim", kim).status());
    // The line is drawn anew as the moderation is read again: a line replaced between finding and reading it is read
    // again (seen once in CI as a StaleElementReferenceException).
    waitFor(modPage, 5).withMessage("let go").ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> !d.findElement(spamLine).getText().contains("is on this"));
    // And taken, and let go, from the thread itself.
    waitFor(modPage, 5).until(ExpectedConditions.elementToBeClickable(
        By.cssSelector("#comment-" + spammy + " .mod-facts button[data-action='claim']"))).click();
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(spamLine, "You are on this until"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_claims WHERE moderator_id = " + mod.id()));
    // The line was drawn anew and focus is on it still, not lost to the page (a page probe).
    waitFor(modPage, 5).until(d -> "keep".equals(js(d,
        "return document.activeElement && document.activeElement.dataset.action;")));
    waitFor(modPage, 5).until(ExpectedConditions.elementToBeClickable(
        By.cssSelector("#comment-" + spammy + " .mod-facts button[data-action='let-go']"))).click();
    waitFor(modPage, 5).withMessage("let go from the thread").until(d -> d.findElements(
        By.cssSelector("#comment-" + spammy + " .mod-facts button[data-action='claim']")).size() == 1);
    waitFor(modPage, 5).until(d -> "claim".equals(js(d,
        "return document.activeElement && document.activeElement.dataset.action;")));
    assertEquals(0, TestParley.count("SELECT count(*) FROM mod_claims"));
    // The post's Moderate menu, open here while another moderator locks the thread, stays open, now offering Unlock
    // (it closed under the moderator when the actions were drawn again: a page probe).
    modPage.findElement(By.cssSelector("#post-actions details.mod-menu summary")).click();
    assertEquals(204, api.post("/api/mod/posts/" + postId + "/lock", kim,
        new io.vertx.core.json.JsonObject().put("reason", "Cooling off")).status());
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-mod-facts"), "Locked by kim_mod"));
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-mod-facts"), ": Cooling off"));
    waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.xpath(
        "//*[@id='post-actions']//details[contains(@class,'mod-menu')]//button[normalize-space()='Unlock thread']")));
    modPage.findElement(By.cssSelector("#post-actions details.mod-menu summary")).click();
    long report = api.get("/api/mod/queue", kim).items().getJsonObject(0).getJsonArray("reports").getJsonObject(0).getLong("id");
    assertEquals(204, api.post("/api/mod/reports/" + report + "/resolve", kim, new JsonObject().put("action", "dismiss")).status());
    waitFor(modPage, 5).withMessage("settled reports leave the line").until(d -> d.findElements(spamLine).isEmpty());

    // Dismissed where they are read: only the dashboard could (a page review).
    assertEquals(201, api.post("/api/reports", api.register("dave"), new JsonObject().put("targetType", "comment")
        .put("targetId", spammy).put("reason", "spam")).status());
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(spamLine, "1 open report: Spam"));
    // Settled for good by one small link: asked first (a page review); declined, nothing changes.
    modPage.findElement(By.cssSelector("#comment-" + spammy + " .mod-facts button.dismiss-reports")).click();
    org.openqa.selenium.Alert asked = waitFor(modPage, 5).until(ExpectedConditions.alertIsPresent());
    assertEquals("Dismiss 1 open report on this comment? They are settled for good and the comment stays up.",
        asked.getText());
    asked.dismiss();
    assertEquals(1, api.get("/api/mod/queue", kim).items().size(), "declined: still open");
    modPage.findElement(By.cssSelector("#comment-" + spammy + " .mod-facts button.dismiss-reports")).click();
    waitFor(modPage, 5).until(ExpectedConditions.alertIsPresent()).accept();
    waitFor(modPage, 5).withMessage("dismissed from the thread").until(d -> d.findElements(spamLine).isEmpty());
    assertEquals(0, api.get("/api/mod/queue", kim).items().size(), "nothing left open");
    // Focus on the comment the line was about, not fallen to the page with the button (a moderator's probe).
    waitFor(modPage, 5).until(d -> ("comment-" + spammy).equals(
        js(d, "return document.activeElement && document.activeElement.id;")));

    // A report's link lands on its card on the dashboard.
    assertEquals(201, api.post("/api/reports", bob, new JsonObject().put("targetType", "post").put("targetId", postId)
        .put("reason", "off_topic")).status());
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-mod-facts"),
        "1 open report: Off topic"));
    modPage.findElement(By.cssSelector("#post-mod-facts a")).click();
    waitFor(modPage, 10).withMessage("the post's card, focused").until(d -> ("target-post-" + postId)
        .equals(js(d, "return document.activeElement && document.activeElement.id;")));
    assertTrue(modPage.findElement(By.id("target-post-" + postId)).getAttribute("class").contains("target"));

    // Readers, the hidden comment's author included, see none of it.
    WebDriver trollPage = browsers.open("troll");
    signIn(trollPage, base, troll);
    openPost(trollPage, base, postId);
    waitFor(trollPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("comment-" + rude), "Something rude"));
    assertEquals(0L, ((Number) js(trollPage, "return document.querySelectorAll('.mod-facts').length;")).longValue());
  }

  @Test
  void lockingAndUnlockingFromThePostPageTakesReplyButtonsAwayAndBackOnAReadersOpenPage() throws Exception {
    Session alice = api.register("alice");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Heated thread");
    api.comment(alice, postId, "first", null);
    api.comment(alice, postId, "second", null);

    WebDriver readerPage = browsers.open("reader");
    signIn(readerPage, base, reader);
    openPost(readerPage, base, postId);
    assertEquals(2, replyButtons(readerPage));
    assertTrue(readerPage.findElement(By.id("comment-form")).isDisplayed());
    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);

    // The whole thread, its author told: asked first, as on the dashboard.
    moderate(modPage, "#post-actions", "Lock thread…");
    org.openqa.selenium.Alert asked = waitFor(modPage, 5).until(ExpectedConditions.alertIsPresent());
    assertEquals("Lock this whole thread to new comments? Its author is told.", asked.getText());
    asked.accept();
    waitFor(readerPage, 5).withMessage("Reply buttons go at once").until(d -> replyButtons(d) == 0);
    assertFalse(readerPage.findElement(By.id("comment-form")).isDisplayed());
    assertTrue(readerPage.findElement(By.id("locked-note")).isDisplayed());
    // Following a locked thread promises nothing it cannot keep.
    waitFor(readerPage, 5).until(ExpectedConditions.textToBe(By.id("follow-thread-state"),
        "It is locked: no new comments for now."));

    waitFor(modPage, 5).until(d -> d.findElement(By.cssSelector("#post-meta")).getText().contains("locked"));
    // The moderators' line comes a moment later and moves the menu down: wait for it before the next click.
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-mod-facts"),
        "Locked by sam_mod"));
    moderate(modPage, "#post-actions", "Unlock thread");
    waitFor(readerPage, 5).withMessage("and come back at once").until(d -> replyButtons(d) == 2);
    assertTrue(readerPage.findElement(By.id("comment-form")).isDisplayed());
    waitFor(readerPage, 5).until(ExpectedConditions.textToBe(By.id("follow-thread-state"),
        "New comments here do not notify you."));
  }

  /**
   * A hidden post still shows to its author and the moderators, but takes no comments (the server answers 409): the
   * comment form and the Reply buttons go from their open pages at once, and come back when it is restored.
   */
  @Test
  void hidingAPostTakesTheCommentFormAwayFromTheAuthorsOpenPageAndRestoringBringsItBack() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Borderline post");
    api.comment(alice, postId, "a note of my own", null);

    WebDriver authorPage = browsers.open("author");
    signIn(authorPage, base, alice);
    openPost(authorPage, base, postId);
    assertEquals(1, replyButtons(authorPage));
    assertTrue(authorPage.findElement(By.id("comment-form")).isDisplayed());
    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);

    moderate(modPage, "#post-actions", "Hide…");
    confirmWithReason(modPage, "Off topic");
    waitFor(authorPage, 5).withMessage("the author's page marks the post hidden at once")
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-meta"), "hidden by a moderator"));
    assertFalse(authorPage.findElement(By.id("comment-form")).isDisplayed());
    assertEquals(0, replyButtons(authorPage));
    assertEquals("This post is hidden: it takes no new comments.",
        authorPage.findElement(By.id("locked-note")).getText());
    // Its author is told why on the post, as in the notification, live (the event itself names no reason).
    waitFor(authorPage, 5).until(ExpectedConditions.textToBe(By.id("post-hidden-note"),
        "A moderator removed this post; only you and the moderators can see it. Reason: \u201cOff topic\u201d"));
    waitFor(modPage, 5).withMessage("the moderator's page reloads with the post hidden")
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-meta"), "hidden by a moderator"));
    assertFalse(modPage.findElement(By.id("comment-form")).isDisplayed());
    // Nothing to report to the moderators and no comments to follow: neither is offered on a held post.
    assertTrue(modPage.findElements(By.id("report-post")).isEmpty(), "no Report on a hidden post");
    assertTrue(modPage.findElements(By.id("follow-thread")).isEmpty(), "no Follow on a hidden post");
    assertFalse(modPage.findElements(By.cssSelector("#post-actions [data-block='alice']")).isEmpty());
    // Its author still chooses whether its comments notify them once it is back, and may delete it, not edit it.
    assertFalse(authorPage.findElements(By.id("follow-thread")).isEmpty());
    assertTrue(authorPage.findElements(By.id("edit-post")).isEmpty(), "no Edit on a hidden post (the server refuses it)");
    assertFalse(authorPage.findElements(By.id("delete-post")).isEmpty());
    // The moderators' line comes a moment after the reload and moves the menu down: wait for it before the next click
    // (CI once saw a Restore click land beside the button while the line arrived).
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-mod-facts"),
        "Hidden by sam_mod"));

    moderate(modPage, "#post-actions", "Restore");
    waitFor(modPage, 5).withMessage("the moderator's page shows the post restored")
        .until(d -> !d.findElement(By.id("post-meta")).getText().contains("hidden by a moderator"));
    waitFor(authorPage, 5).withMessage("and come back when it is restored")
        .until(d -> d.findElement(By.id("comment-form")).isDisplayed());
    assertEquals(1, replyButtons(authorPage));
    assertFalse(authorPage.findElement(By.id("locked-note")).isDisplayed());
    assertFalse(authorPage.findElement(By.id("post-hidden-note")).isDisplayed());
    authorPage.navigate().refresh();
    waitFor(authorPage, 5).until(d -> d.findElement(By.id("comment-form")).isDisplayed());
    assertFalse(authorPage.findElement(By.id("post-hidden-note")).isDisplayed(), "nor after a reload");
    assertFalse(authorPage.findElements(By.id("edit-post")).isEmpty(), "Edit is back");
    waitFor(modPage, 5).withMessage("the moderator's page offers Report and Follow again")
        .until(d -> !d.findElements(By.id("report-post")).isEmpty() && !d.findElements(By.id("follow-thread")).isEmpty());

    // The inbox says it in one sentence, the title inside it ("removed your post on Borderline post (Off topic)" read
    // as another thread: a moderator's probe).
    authorPage.get(base + "/notifications");
    waitFor(authorPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("inbox"),
        "A moderator removed your post Borderline post (Off topic)"));
    assertTrue(authorPage.findElement(By.id("inbox")).getText().contains("A moderator restored your post Borderline post"),
        authorPage.findElement(By.id("inbox")).getText());
  }

  /** A takedown's pieces are one entry in the member's inbox, not one line each (a moderator's probe: 25 lines). */
  @Test
  void aTakedownsPiecesAreOneEntryInTheMembersInbox() throws Exception {
    Session alice = api.register("alice");
    Session spammer = api.register("spammer");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Thread");
    for (int i = 0; i < 3; i++) api.comment(spammer, postId, "Buy " + i, null);
    api.createPost(spammer, "Pills for sale");
    assertEquals(200, api.post("/api/mod/users/spammer/ban", mod, new JsonObject().put("reason", "Spam wave")
        .put("removeContent", true)).status());
    TestParley.notificationsMade();
    assertEquals(4, api.get("/api/me/notifications", spammer).items().size(), "one notification a piece, as before");

    WebDriver page = browsers.open("spammer");
    signIn(page, base, spammer);
    page.get(base + "/notifications");
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("inbox"),
        "A moderator removed 3 of your comments (Spam wave)"));
    assertTrue(page.findElement(By.id("inbox")).getText().contains("A moderator removed your post Pills for sale (Spam wave)"),
        page.findElement(By.id("inbox")).getText());
    assertEquals(2, page.findElements(By.cssSelector("#inbox > li")).size(), "the comments in one entry, the post its own");
  }

  /** From the thread too, a ban can take a spammer's wave down with it (only their record offered it: a probe). */
  @Test
  void aBanFromTheThreadCanHideEverythingTheyPosted() throws Exception {
    Session alice = api.register("alice");
    Session spammer = api.register("spammer");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Thread");
    long first = api.comment(spammer, postId, "Buy now", null);
    api.comment(spammer, api.createPost(alice, "Elsewhere"), "Buy here too", null);

    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);
    moderate(modPage, "#comment-" + first, "Ban spammer…");
    WebElement dialog = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-dialog")));
    dialog.findElement(By.id("mod-reason")).sendKeys("Spam wave");
    WebElement everything = dialog.findElement(By.id("mod-remove-content"));
    assertFalse(everything.isSelected(), "not unless asked");
    everything.click();
    assertEquals("Ban spammer and hide everything", dialog.findElement(By.id("mod-confirm")).getText());
    dialog.findElement(By.id("mod-confirm")).click();
    waitFor(modPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-notice"),
        "Banned spammer, and hid everything they posted."));
    assertEquals(2, TestParley.count("SELECT count(*) FROM comments WHERE author_id = " + spammer.id()
        + " AND hidden_at IS NOT NULL"), "both comments, this thread's and the other's");
    assertEquals("Spam wave", api.get("/api/mod/users/spammer", mod).json().getJsonObject("ban").getString("reason"));
  }

  @Test
  void banningFromTheThreadAsksHowLongAndWhyAndTheRecordShowsItWithANote() throws Exception {
    Session alice = api.register("alice");
    Session troll = api.register("troll");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Thread");
    long rude = api.comment(troll, postId, "Spam spam", null);

    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);

    moderate(modPage, "#comment-" + rude, "Ban troll…");
    WebElement dialog = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-dialog")));
    assertTrue(dialog.findElement(By.id("mod-duration")).isDisplayed(), "a ban asks how long");
    dialog.findElement(By.id("mod-reason")).sendKeys("Spamming");
    dialog.findElements(By.cssSelector("button[value=cancel]")).get(0).click();
    waitFor(modPage, 5).until(ExpectedConditions.invisibilityOf(dialog));
    assertNull(api.get("/api/mod/users/troll", mod).json().getValue("ban"), "Cancel bans nobody");

    // The member has the thread open when the ban comes.
    WebDriver banned = browsers.open("troll");
    signIn(banned, base, troll);
    openPost(banned, base, postId);
    waitUntilLive(banned);
    assertTrue(banned.findElements(By.id("ban-notice")).isEmpty());
    assertTrue(banned.findElement(By.cssSelector("#comment-" + rude + " button.edit")).isDisplayed());
    assertTrue(banned.findElement(By.id("post-menu")).isDisplayed());

    moderate(modPage, "#comment-" + rude, "Ban troll…");
    confirmWithReason(modPage, "Spamming");
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-notice"), "Banned troll"));
    JsonObject ban = api.get("/api/mod/users/troll", mod).json().getJsonObject("ban");
    assertEquals("Spamming", ban.getString("reason"));
    assertTrue(ban.getString("until") != null, "seven days by default, not for good: " + ban);
    // Told at the foot of the window, where the moderator is: the status line is shown there for a while.
    assertEquals("fixed", modPage.findElement(By.id("post-notice")).getCssValue("position"));
    // It covers what is under it, so a click puts it away before its time (its button, on a touch screen).
    modPage.findElement(By.cssSelector("#post-notice button.dismiss")).click();
    assertEquals("", modPage.findElement(By.id("post-notice")).getText());
    assertEquals("static", modPage.findElement(By.id("post-notice")).getCssValue("position"));

    // The banned member is told at the top of the page, at once, when the ban ends in their own time (not as an ISO
    // timestamp) and why, and is no longer offered what the ban refuses: commenting, replying, quoting, reporting,
    // voting (a page review: every button stayed, to be refused once pressed).
    String said = waitFor(banned, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("ban-notice"))).getText();
    assertTrue(said.startsWith("You are banned until ") && said.contains(": Spamming. Until then you can read"), said);
    assertFalse(said.matches(".*\\d{4}-\\d{2}-\\d{2}T.*"), "no ISO time: " + said);
    waitFor(banned, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("comment-form")));
    // Reporting and blocking are writes the ban refuses: the post's "⋯" (which holds only those) goes; so do Edit and
    // Delete on their own comment (a page review: every save was refused).
    assertFalse(banned.findElement(By.id("post-menu")).isDisplayed(), "no Report post or Block");
    for (String offered : new String[] {"button.reply", "button.quote", "button.report", "button.edit",
        "button.delete-own", "[data-block]"}) {
      assertTrue(banned.findElements(By.cssSelector(offered)).stream().noneMatch(WebElement::isDisplayed), offered);
    }
    WebElement score = banned.findElement(By.cssSelector("#comments button.vote, #post-vote button.vote"));
    assertEquals("hidden", score.findElement(By.cssSelector(".arrow")).getCssValue("visibility"), "a score, not a button");
    js(banned, "arguments[0].click();", score);
    assertEquals(403, api.post("/api/posts/" + postId + "/comments", troll, new JsonObject().put("body", "Let me back in"))
        .status(), "what the page no longer offers, the server refuses");
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + postId), "nothing written");
    assertEquals(0, TestParley.count("SELECT count(*) FROM post_votes") + TestParley.count("SELECT count(*) FROM comment_votes"),
        "the score's button, reached anyway, sent nothing");

    // Banning again says the ban in force first (a page review: it was replaced unseen); declined, nothing changes.
    moderate(modPage, "#comment-" + rude, "Ban troll…");
    org.openqa.selenium.Alert again = waitFor(modPage, 5).until(ExpectedConditions.alertIsPresent());
    assertTrue(again.getText().startsWith("troll is already banned until ") && again.getText().contains(": Spamming")
        && again.getText().endsWith("Replace that ban?"), again.getText());
    again.dismiss();
    assertTrue(modPage.findElements(By.cssSelector("#mod-dialog[open]")).isEmpty(), "no ban form after declining");
    assertEquals(ban.getString("until"), api.get("/api/mod/users/troll", mod).json().getJsonObject("ban")
        .getString("until"), "the ban in force is the same");

    // The record is the dashboard's card: counts, the ban, the latest moderation as sentences, the notes.
    moderate(modPage, "#comment-" + rude, "troll's record");
    WebElement card = waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("user-card")));
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElement(card, "sam_mod banned troll until "));
    assertTrue(card.getText().contains(": Spamming"), card.getText());
    assertTrue(card.findElement(By.cssSelector(".ban-state.banned")).getText().startsWith("Banned until "), card.getText());
    assertEquals("1", card.findElements(By.cssSelector(".counts > div")).stream()
        .filter(d -> d.findElement(By.tagName("dt")).getText().equals("Bans")).findFirst().orElseThrow()
        .findElement(By.tagName("dd")).getText(), "one ban on the record");
    card.findElement(By.cssSelector(".note-form textarea")).sendKeys("Third spam account this month.");
    card.findElement(By.cssSelector(".note-form button[type=submit]")).click();
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElement(card, "Third spam account this month."));
    assertEquals("Third spam account this month.",
        api.get("/api/mod/users/troll", mod).json().getJsonArray("notes").getJsonObject(0).getString("body"));

    // The ban is lifted from the same card, which then says so.
    card.findElement(By.id("lift-ban")).click();
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#user-card .ban-state"),
        "Not banned."));
    assertNull(api.get("/api/mod/users/troll", mod).json().getValue("ban"), "lifted");
    // Nothing live reaches a banned member (the ban ended the page's topics): their page looks again when they come
    // back to the tab, says the ban is over, and offers a reload for a live page again.
    js(banned, "document.dispatchEvent(new Event('visibilitychange'));");
    waitFor(banned, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("ban-notice"), "Your ban is over."));
    api.comment(alice, postId, "Welcome back", rude);
    banned.findElement(By.id("ban-lifted-reload")).click();
    waitFor(banned, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("comments"), "Welcome back"));
    assertTrue(banned.findElements(By.id("ban-notice")).isEmpty(), "no ban line after the reload");
    waitFor(banned, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("inbox-link"), "1"));
  }

  /** The ban and record items of one Moderate menu, in order. */
  private static java.util.List<String> banItems(WebDriver page, String menu) {
    WebElement details = waitFor(page, 5).until(d -> d.findElement(By.cssSelector(menu + " details.mod-menu")));
    details.findElement(By.tagName("summary")).click();
    java.util.List<String> items = details.findElements(By.cssSelector(".menu-items button")).stream()
        .map(WebElement::getText).filter(t -> t.startsWith("Ban ") || t.endsWith("'s record")).toList();
    details.findElement(By.tagName("summary")).click();
    return items;
  }

  /**
   * The thread's Moderate menu offers a ban only where the server would take it, as the dashboard's cards do: not on
   * an admin's content, not on the moderator's own, not on another moderator's unless an admin (it offered "Ban
   * the_admin…", whose whole form then ended in "Admins cannot be banned.": a page review).
   */
  @Test
  void theModerateMenuOffersABanOnlyWhereTheServerWouldTakeIt() throws Exception {
    Session admin = api.registerWithRole("the_admin", "admin");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    Session other = api.registerWithRole("other_mod", "moderator");
    Session alice = api.register("alice");
    long adminPost = api.createPost(admin, "Announcements");
    long aliceComment = api.comment(alice, adminPost, "Thanks", null);
    long modComment = api.comment(other, adminPost, "Noted", null);
    long ownPost = api.createPost(mod, "House rules");

    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, adminPost);
    assertEquals(java.util.List.of("the_admin's record"), banItems(modPage, "#post-actions"), "not an admin");
    assertEquals(java.util.List.of("Ban alice…", "alice's record"), banItems(modPage, "#comment-" + aliceComment));
    assertEquals(java.util.List.of("other_mod's record"), banItems(modPage, "#comment-" + modComment),
        "another moderator only by an admin");
    openPost(modPage, base, ownPost);
    assertEquals(java.util.List.of("sam_mod's record"), banItems(modPage, "#post-actions"), "not oneself");

    WebDriver adminPage = browsers.open("admin");
    signIn(adminPage, base, admin);
    openPost(adminPage, base, adminPost);
    assertEquals(java.util.List.of("Ban other_mod…", "other_mod's record"), banItems(adminPage, "#comment-" + modComment),
        "an admin may ban a moderator");
  }

  /**
   * What just happened is said at the foot of the window, except over the form the reader is in: there it covered
   * the comment box's Comment and Preview, and the first click on them only put it away (a page review).
   */
  @Test
  void theNoticeOfAHeldCommentDoesNotCoverTheCommentBox() throws Exception {
    Session alice = api.register("alice");
    holdWord(alice);
    Session newbie = api.register("newbie");
    long postId = api.createPost(alice, "Thread");
    WebDriver page = browsers.open("newbie");
    signIn(page, base, newbie);
    openPost(page, base, postId);
    page.findElement(By.id("comment-body")).sendKeys("My heldword comment");
    page.findElement(By.cssSelector("#comment-form button[type=submit]")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-notice"),
        "waiting for a moderator"));
    // While it shows, the reader goes on to write another: the box's buttons at the foot of the window, where the
    // notice is, and focus in the box.
    js(page, "document.querySelector('#comment-form button[type=submit]').scrollIntoView({block: 'end'});");
    page.findElement(By.id("comment-body")).click();
    Object overlap = js(page, "const a = document.getElementById('post-notice').getBoundingClientRect();"
        + " const b = document.querySelector('#comment-form button[type=submit]').getBoundingClientRect();"
        + " return a.bottom > b.top && a.top < b.bottom && a.right > b.left && a.left < b.right;");
    assertEquals(Boolean.FALSE, overlap, "the notice is clear of the Comment button");
    assertTrue(page.findElement(By.id("post-notice")).isDisplayed());
  }

  /**
   * A post waiting for review says why it has no comment box, and offers its author no "Mute thread" for a discussion
   * that cannot start yet (both were on the page: a page review).
   */
  @Test
  void aPostWaitingForReviewSaysWhenItTakesCommentsAndOffersNoFollow() throws Exception {
    Session alice = api.register("alice");
    holdWord(alice);
    Session newbie = api.register("newbie");
    Api.Response held = api.post("/api/posts", newbie, new JsonObject().put("title", "My first post")
        .put("body", "A heldword post"));
    assertEquals(201, held.status(), held.toString());
    assertTrue(held.json().getBoolean("pending"), held.toString());
    long postId = held.json().getLong("id");
    long published = api.createPost(newbie, "Another post");
    TestParley.sql("UPDATE posts SET pending_at = NULL, pending_reason = NULL WHERE id = " + published);

    WebDriver page = browsers.open("newbie");
    signIn(page, base, newbie);
    openPost(page, base, postId);
    WebElement note = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("locked-note")));
    assertEquals("Comments open once a moderator approves this post.", note.getText());
    assertTrue(page.findElement(By.id("comment-form")).getAttribute("hidden") != null, "no comment box");
    assertTrue(page.findElements(By.id("follow-thread")).isEmpty(), "nothing to follow or mute yet");

    // A published post of theirs has both, as before.
    openPost(page, base, published);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("follow-thread")));
    assertFalse(page.findElement(By.id("locked-note")).isDisplayed());
  }

  /**
   * A page review's faults on the thread: Approve published a text its author had changed since the moderator read
   * it (the page kept the old words); a refused Approve drew the comment as published and a refused Reject took it
   * away; a rejection or the author's deletion made elsewhere never reached open pages; a held comment arriving live
   * lacked its moderators' line.
   */
  @Test
  void heldCommentsOnTheThreadFollowEditsDecisionsAndDeletionsMadeElsewhere() throws Exception {
    Session alice = api.register("alice");
    holdWord(alice);
    Session gina = api.register("gina");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    Session kim = api.registerWithRole("kim_mod", "moderator");
    long postId = api.createPost(alice, "Thread");

    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);
    waitUntilLive(modPage);
    WebDriver author = browsers.open("gina");
    signIn(author, base, gina);
    openPost(author, base, postId);
    waitUntilLive(author);

    // Held as it arrives, with why, on the moderator's open page.
    long first = api.comment(gina, postId, "See you on the bridge, heldword", null);
    By firstFacts = By.cssSelector("#comment-" + first + " .mod-facts");
    waitFor(modPage, 5).withMessage("its moderators' line, live").until(ExpectedConditions.textToBePresentInElementLocated(
        firstFacts, "Held"));
    waitFor(author, 5).withMessage("on its author's other tab too").until(ExpectedConditions.textToBePresentInElementLocated(
        By.id("comment-" + first), "waiting for review"));

    // Edited while the moderator looks: the page shows the new words, and an Approve of the old ones is refused.
    assertEquals(200, api.patch("/api/comments/" + first, gina, new JsonObject().put("body", "BUY PILLS heldword"))
        .status());
    waitFor(modPage, 5).withMessage("the edit reaches the page").until(ExpectedConditions.textToBePresentInElementLocated(
        By.id("comment-" + first), "BUY PILLS"));
    // The edit's event is on its way to a page that has not drawn it yet: held back here by editing in the database,
    // as the API's edit would be seen a moment later.
    TestParley.sql("UPDATE comments SET body = 'WORSE heldword', body_html = '<p>WORSE heldword</p>', "
        + "edited_at = now() WHERE id = " + first);
    modPage.findElement(By.cssSelector("#comment-" + first + " .actions > button.approve")).click();
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-notice"),
        "It was edited after you read it"));
    assertTrue(api.get("/api/comments/" + first, mod).json().getBoolean("pending"), "nothing was published");
    waitFor(modPage, 5).withMessage("read again: the words an approval would publish").until(
        ExpectedConditions.textToBePresentInElementLocated(By.id("comment-" + first), "WORSE"));
    assertTrue(modPage.findElement(By.id("comment-" + first)).getText().contains("waiting for review"));

    // Declined by another moderator: gone from both open pages, the author told why.
    assertEquals(204, api.post("/api/mod/comments/" + first + "/reject", kim, new JsonObject().put("reason", "Spam"))
        .status());
    waitFor(modPage, 5).withMessage("rejected elsewhere: off the moderator's page").until(
        ExpectedConditions.numberOfElementsToBe(By.id("comment-" + first), 0));
    waitFor(author, 5).withMessage("and off its author's").until(
        ExpectedConditions.numberOfElementsToBe(By.id("comment-" + first), 0));
    waitFor(author, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-notice"),
        "A moderator declined to publish your comment: Spam"));

    // Decided elsewhere before this moderator's press: the refusal is said and the comment is shown as it is.
    long second = api.comment(gina, postId, "Second heldword", null);
    waitFor(modPage, 5).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(
        "#comment-" + second + " .actions > button.approve")));
    TestParley.sql("UPDATE comments SET pending_at = NULL WHERE id = " + second);
    modPage.findElement(By.cssSelector("#comment-" + second + " .actions > button.approve")).click();
    waitFor(modPage, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("post-notice"),
        "not waiting for review"));

    // Deleted by its author: gone from the moderator's page, as a rejection is.
    long third = api.comment(gina, postId, "Third heldword", null);
    waitFor(modPage, 5).until(ExpectedConditions.presenceOfElementLocated(By.id("comment-" + third)));
    waitFor(author, 5).until(ExpectedConditions.presenceOfElementLocated(By.id("comment-" + third)));
    assertEquals(204, api.delete("/api/comments/" + third, gina).status());
    waitFor(modPage, 5).withMessage("withdrawn: off the moderator's page").until(
        ExpectedConditions.numberOfElementsToBe(By.id("comment-" + third), 0));
    waitFor(author, 5).withMessage("and off the author's other tab").until(
        ExpectedConditions.numberOfElementsToBe(By.id("comment-" + third), 0));
    waitFor(modPage, 5).until(ExpectedConditions.textToBe(By.id("comments-title"), "Comments (1)"));

    // One that arrives while the moderator writes waits behind "1 new comment"; withdrawn, it never appears there.
    modPage.findElement(By.id("comment-body")).sendKeys("A draft of mine");
    long fourth = api.comment(gina, postId, "Fourth heldword", null);
    waitFor(modPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("new-comments")));
    assertEquals(204, api.delete("/api/comments/" + fourth, gina).status());
    waitFor(modPage, 5).withMessage("withdrawn while waiting to be shown").until(
        ExpectedConditions.invisibilityOfElementLocated(By.id("new-comments")));

    // A held post deleted while a moderator has it open: the page says so, its Approve gone.
    long heldPost = api.createPost(gina, "A heldword post");
    openPost(modPage, base, heldPost);
    waitFor(modPage, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#post-actions button.approve")));
    waitUntilLive(modPage);
    assertEquals(204, api.delete("/api/posts/" + heldPost, gina).status());
    waitFor(modPage, 5).until(ExpectedConditions.textToBe(By.id("post-title"), "[deleted]"));
    assertTrue(modPage.findElements(By.cssSelector("#post-actions button.approve")).isEmpty());
  }

  @Test
  void pendingContentIsMarkedForItsAuthorAndApprovedFromTheThreadByAModerator() throws Exception {
    Session alice = api.register("alice");
    holdWord(alice);
    Session newbie = api.register("newbie");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Thread");

    WebDriver readerPage = browsers.open("reader");
    signIn(readerPage, base, reader);
    openPost(readerPage, base, postId);
    WebDriver author = browsers.open("newbie");
    signIn(author, base, newbie);
    openPost(author, base, postId);
    author.findElement(By.id("comment-body")).sendKeys("My heldword comment");
    author.findElement(By.cssSelector("#comment-form button[type=submit]")).click();
    waitFor(author, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("comments"), "waiting for review"));
    assertTrue(author.findElement(By.id("post-notice")).getText().contains("waiting for a moderator"));
    // The heading says whose the held one is (it read as someone else's: a page review).
    assertEquals("Comments · 1 of yours waiting for review", author.findElement(By.id("comments-title")).getText());
    long held = api.get("/api/posts/" + postId + "/comments", newbie).ids().get(0);
    assertEquals(0, replyButtonsOf(author, held), "nobody replies to a pending comment");
    // Once the notice has gone (a reload), the comment itself still says who sees it.
    author.navigate().refresh();
    waitFor(author, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("comment-" + held),
        "only you can see it until then"));
    // The author finds it again on their own profile, marked (in another tab: the thread stays open in the first).
    String thread = author.getWindowHandle();
    author.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
    author.get(base + "/u/newbie");
    waitFor(author, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("profile-comments"),
        "waiting for review"));
    author.close();
    author.switchTo().window(thread);

    WebDriver modPage = browsers.open("mod");
    signIn(modPage, base, mod);
    openPost(modPage, base, postId);
    assertTrue(modPage.findElement(By.id("comment-" + held)).getText().contains("waiting for review"));
    assertEquals("Comments · 1 waiting for review", modPage.findElement(By.id("comments-title")).getText());
    assertFalse(modPage.findElement(By.id("comment-" + held)).getText().contains("only you can see it"),
        "said to its author only");
    assertEquals(0, readerPage.findElements(By.id("comment-" + held)).size(), "the reader never saw it");
    // Approve in sight, beside the Moderate menu (it was only inside it: a page review).
    modPage.findElement(By.cssSelector("#comment-" + held + " .actions > button.approve")).click();

    waitFor(readerPage, 5).withMessage("approved: it arrives on the reader's open page")
        .until(ExpectedConditions.textToBePresentInElementLocated(By.id("comments"), "My heldword comment"));
    waitFor(author, 5).withMessage("and the author's badge goes")
        .until(d -> !d.findElement(By.id("comment-" + held)).getText().contains("waiting for review"));
    // The author's inbox says what happened in words, not "changed".
    author.get(base + "/notifications");
    waitFor(author, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("inbox"),
        "A moderator published your comment on"));
  }

  /**
   * The whole path on a server with Parley's default holds: a new account's first comment is held, reaches /mod
   * live, is approved there, and arrives on a reader's open thread.
   */
  @Test
  void aNewAccountsFirstCommentIsHeldReachesTheDashboardLiveAndOnceApprovedTheReadersThread() throws Exception {
    parley.Main.Running server = TestParley.startServer(java.util.Map.of(parley.config.Holds.NEW_COMMENTS, "2",
        parley.config.Holds.NEW_POSTS, "1", parley.config.Holds.NEW_ACCOUNT_AGE, "1d"));
    try {
      String site = "http://localhost:" + server.port();
      Api own = new Api(site);
      Session alice = own.register("alice");
      Session reader = own.register("reader");
      Session mod = own.registerWithRole("sam_mod", "moderator");
      TestParley.sql("UPDATE users SET created_at = now() - interval '30 days' WHERE id IN (" + alice.id() + ", "
          + reader.id() + ")");
      long postId = own.createPost(alice, "Harbour footbridge");
      Session newbie = own.register("newbie");

      WebDriver dashboard = browsers.open("mod");
      signIn(dashboard, site, mod);
      dashboard.get(site + "/mod");
      BrowserSupport.waitUntilLive(dashboard);
      WebDriver readerPage = browsers.open("reader");
      signIn(readerPage, site, reader);
      openPost(readerPage, site, postId);

      Api.Response created = own.post("/api/posts/" + postId + "/comments", newbie,
          new JsonObject().put("body", "Hello from a brand-new account"));
      assertTrue(created.json().getBoolean("pending"), created.toString());
      long held = created.json().getLong("id");

      WebElement card = waitFor(dashboard, 5).withMessage("the held comment reaches /mod live")
          .until(ExpectedConditions.visibilityOfElementLocated(By.id("pending-comment-" + held)));
      assertTrue(card.getText().contains("new account"), card.getText());
      assertEquals(0, readerPage.findElements(By.id("comment-" + held)).size(), "readers do not see it yet");
      card.findElement(By.xpath(".//button[normalize-space()='Approve']")).click();

      waitFor(readerPage, 5).withMessage("approved: it arrives on the reader's open thread")
          .until(ExpectedConditions.textToBePresentInElementLocated(By.id("comments"), "Hello from a brand-new account"));
      assertFalse(readerPage.findElement(By.id("comment-" + held)).getText().contains("waiting for review"));
    } finally {
      server.stop();
    }
  }

  private static long replyButtonsOf(WebDriver page, long commentId) {
    return page.findElements(By.cssSelector("#comment-" + commentId + " > .content .reply")).size();
  }

  @Test
  void anAdminMakesAResetLinkOnTheRecordAndItsUserSetsANewPasswordWithIt() throws Exception {
    Session alice = api.register("alice");
    Session troll = api.register("forgetful");
    Session boss = api.registerWithRole("boss", "admin");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(alice, "Thread");
    long comment = api.comment(troll, postId, "I forget things", null);

    // A moderator's card has no such button; an admin's has.
    WebElement modCard = openRecord(browsers.open("mod"), mod, postId, comment, "forgetful");
    assertTrue(modCard.findElements(By.id("reset-link-make")).isEmpty(), "moderators make no reset links");
    // Only what applies is shown (an unbanned user's card once read "null" where a ban would be).
    assertFalse(modCard.getText().contains("null"), modCard.getText());

    WebDriver adminPage = browsers.open("admin");
    WebElement card = openRecord(adminPage, boss, postId, comment, "forgetful");
    waitFor(adminPage, 5).until(ExpectedConditions.elementToBeClickable(By.id("reset-link-make"))).click();
    WebElement field = waitFor(adminPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reset-link-url")));
    String link = field.getAttribute("value");
    assertTrue(link.startsWith(base + "/reset#token="), link);
    assertTrue(card.getText().contains("Give it to forgetful yourself"), card.getText());

    // The dashboard's card has the same button for an admin (the name in the new-content stream opens it).
    adminPage.get(base + "/mod");
    // The stream's item may be drawn twice (the live event, then the history read on open): click the one there is.
    // (Or not yet laid out when first found: a run saw "element not interactable" here once.)
    waitFor(adminPage, 10).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .ignoring(org.openqa.selenium.ElementNotInteractableException.class).until(d -> {
      d.findElement(By.cssSelector("#stream-comment-" + comment + " .meta button.person")).click();
      return true;
    });
    waitFor(adminPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#user-card #reset-link-make")));
    adminPage.navigate().back();

    // The user opens it, is told what it does and for which account, sets a password and is signed in, and told so;
    // the link is gone from the address.
    // The browser it is opened in is signed in as someone else (a shared computer): it ends up as the account the
    // link is for, with one header (two, each with its live count, once froze the tab).
    WebDriver userPage = browsers.open("forgetful");
    signIn(userPage, base, alice);
    userPage.get(link);
    WebElement form = waitFor(userPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reset-form")));
    waitFor(userPage, 5).until(d -> d.getCurrentUrl().equals(base + "/reset"));
    WebElement account = waitFor(userPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reset-account")));
    assertEquals("forgetful", account.getDomProperty("value"));
    assertEquals("username", account.getDomAttribute("autocomplete"), "a password manager files the new one under it");
    assertEquals("This browser is signed in as alice: setting the password signs it in as forgetful instead.",
        userPage.findElement(By.id("reset-switch")).getText(), "told before, not only after");
    form.findElement(By.id("reset-password")).sendKeys("short");
    form.findElement(By.cssSelector("button[type=submit]")).click();
    waitFor(userPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reset-password-error")));
    form.findElement(By.id("reset-password")).clear();
    form.findElement(By.id("reset-password")).sendKeys("remembered at last");
    form.findElement(By.cssSelector("button[type=submit]")).click();
    waitFor(userPage, 10).until(ExpectedConditions.textToBe(By.id("reset-done-text"),
        "Your new password is set, and you are signed in as forgetful."));
    assertFalse(userPage.findElement(By.id("reset-form")).isDisplayed(), "the form has done its work");
    assertEquals(1, userPage.findElements(By.id("inbox-link")).size(), "one header");
    assertTrue(userPage.findElements(By.cssSelector("#nav a[href='/u/alice']")).isEmpty(), "alice is signed out");
    waitFor(userPage, 5).until(d -> "reset-done-text".equals(d.switchTo().activeElement().getDomAttribute("id")));
    waitFor(userPage, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#nav a[href='/u/forgetful']")));
    assertEquals(200, api.post("/api/auth/login", null, new JsonObject().put("login", "forgetful")
        .put("password", "remembered at last")).status());
    assertEquals(401, api.get("/api/me", troll).status(), "the old session ended");

    // Used once: the same link again says so as it opens and takes its form away; opening it signed nobody out
    // (opening any link used to, so anyone could sign a member out with a made-up one).
    userPage.get(link);
    waitFor(userPage, 5).until(ExpectedConditions.textToBe(By.id("reset-dead"),
        "This link was mistyped, has been used or has expired: ask an admin for a new one, or sign in."));
    assertEquals("/login", userPage.findElement(By.cssSelector("#reset-dead a")).getDomAttribute("href"));
    assertFalse(userPage.findElement(By.id("reset-form")).isDisplayed(), "no more tries of a dead link");
    assertNotNull(userPage.findElement(By.cssSelector("#nav a[href='/u/forgetful']")), "still signed in");
    userPage.get(base + "/reset");
    waitFor(userPage, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reset-missing")));
    assertFalse(userPage.findElement(By.id("reset-form")).isDisplayed());
    // Signed in, the page says so and where a password is changed instead (a page review: a reload after the reset
    // told the member, signed in, to ask an admin or sign in).
    assertEquals("This address has no reset link in it. You are signed in as forgetful: change your password in your "
        + "settings.", userPage.findElement(By.id("reset-missing")).getText());
    assertEquals("/settings#password-title",
        userPage.findElement(By.cssSelector("#reset-missing a")).getDomAttribute("href"));
    // The link lands on the settings' password form, which the page shows only once it has read the account.
    userPage.findElement(By.cssSelector("#reset-missing a")).click();
    waitFor(userPage, 5).until(d -> ((Number) ((org.openqa.selenium.JavascriptExecutor) d).executeScript(
        "const r = document.getElementById('password-title').getBoundingClientRect();"
            + "return r.top > -2 && r.bottom <= innerHeight && scrollY > 0 ? 1 : 0")).intValue() == 1);
  }
}
