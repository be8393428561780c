package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
 * The reader's side in a real browser: the notifications badge and inbox, permalinks, the settings page, the 404
 * page, profile paging, where focus goes after replying, and how fast a page is live again after a restart.
 */
@ExtendWith(TestParley.class)
class ReaderBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  private static String badge(WebDriver page) {
    WebElement count = page.findElement(By.id("inbox-count"));
    return count.isDisplayed() ? count.getText() : "0";
  }

  @Test
  void aReplyLightsTheBadgeOnEveryTabAndTheInboxLeadsToTheHighlightedComment() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(bob, "Bob asks");
    long aliceComment = api.comment(alice, postId, "Alice answers", null);

    WebDriver a = browsers.open("alice");
    signIn(a, base, alice);
    a.get(base + "/");
    waitUntilLive(a);
    String firstTab = a.getWindowHandle();
    a.switchTo().newWindow(WindowType.TAB);
    a.get(base + "/u/alice");
    waitFor(a, 10).until(ExpectedConditions.textToBe(By.id("profile-name"), "alice"));
    String secondTab = a.getWindowHandle();
    assertEquals("0", badge(a));

    // Bob replies to alice's comment from his own browser.
    WebDriver b = browsers.open("bob");
    signIn(b, base, bob);
    openPost(b, base, postId);
    b.findElement(By.cssSelector("#comment-" + aliceComment + " .actions .reply")).click();
    b.findElement(By.id("reply-" + aliceComment)).sendKeys("Bob replies to alice");
    b.findElement(By.cssSelector("#comment-" + aliceComment + " .reply-form button[type=submit]")).click();
    waitFor(b, 5).until(d -> ((Number) js(d, "return document.querySelectorAll('#comments .comment').length;"))
        .intValue() == 2);

    // Live, on the tab alice has in front, without a reload; and in the tab's title. (How soon is a benchmark's
    // question, not a test's: a CI machine under load may take longer than a user would wait.)
    waitFor(a, 5).withMessage("the badge shows 1 without a reload").until(d -> badge(d).equals("1"));
    assertTrue(a.getTitle().startsWith("(1) "), a.getTitle());
    a.switchTo().window(firstTab);
    waitFor(a, 5).until(d -> badge(d).equals("1"));

    // The inbox, then the notification's link: the thread, scrolled to the reply and marked.
    a.findElement(By.id("inbox-link")).click();
    WebElement item = waitFor(a, 10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".inbox-item.unread a")));
    assertTrue(item.getText().contains("bob replied to your comment"), item.getText());
    item.click();
    WebElement target = waitFor(a, 10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".comment.target")));
    assertTrue(target.getText().contains("Bob replies to alice"), target.getText());
    assertEquals(Boolean.TRUE, js(a, "const r = document.querySelector('.comment.target').getBoundingClientRect();"
        + "return r.top >= 0 && r.top < innerHeight;"), "scrolled into view");
    assertTrue(a.getCurrentUrl().matches(".*/posts/" + postId + "#comment-\\d+"), a.getCurrentUrl());
    waitFor(a, 5).until(d -> badge(d).equals("0"));
    a.switchTo().window(secondTab);
    waitFor(a, 5).withMessage("the other tab hears it was read").until(d -> badge(d).equals("0"));
  }

  /**
   * What one notifier batch makes for a reader (writes that queued up while it was busy) reaches them in one event,
   * one notification.created with all of them in items: the badge counts all of it, the open inbox lists it and says
   * how many arrived.
   */
  @Test
  void notificationsMadeTogetherArriveTogetherOnTheBadgeAndInTheInbox() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "Alice asks");
    for (int i = 0; i < 3; i++) api.comment(bob, postId, "Bob answers " + i, null);
    parley.notification.Notifier notifier = TestParley.server().running().notifier();
    notifier.idle().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    // As if the notifier had not reached the three comments yet: the catch-up below makes them in one batch.
    TestParley.sql("DELETE FROM notifications");
    TestParley.sql("DELETE FROM notification_sources");

    WebDriver a = browsers.open("alice");
    signIn(a, base, alice);
    a.get(base + "/notifications");
    waitFor(a, 10).until(d -> d.findElement(By.id("inbox-empty")).isDisplayed());
    assertEquals("0", badge(a));
    // One more comment, notified on its own: once the badge shows it, the page hears alice's topic.
    api.comment(bob, postId, "Bob answers again", null);
    waitFor(a, 10).withMessage("one notification, alone").until(d -> badge(d).equals("1"));
    waitFor(a, 5).until(d -> "1 new notification".equals(
        js(d, "return document.getElementById('announcer')?.textContent;")));

    // (The live notifier may have made the first three together too, under load: only what the catch-up wrote counts.)
    long announcedBefore = TestParley.count("SELECT coalesce(max(seq), 0) FROM events WHERE topic = 'parley.user."
        + alice.id() + "'");
    notifier.catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(1, TestParley.count("SELECT count(*) FROM events WHERE topic = 'parley.user." + alice.id()
        + "' AND seq > " + announcedBefore + " AND type = 'notification.created' AND data->'items' IS NOT NULL"),
        "the three announced together");
    waitFor(a, 5).withMessage("the badge counts all four").until(d -> badge(d).equals("4"));
    waitFor(a, 5).withMessage("the inbox says how many arrived").until(d -> "3 new notifications".equals(
        js(d, "return document.getElementById('announcer')?.textContent;")));
    waitFor(a, 5).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> d.findElement(By.cssSelector(".inbox-item.unread a")).getText()
        .startsWith("4 new comments on Alice asks"));

    // A comment on another thread in between does not split the first thread's group.
    long other = api.createPost(alice, "Alice again");
    api.comment(bob, other, "Elsewhere", null);
    waitFor(a, 5).until(d -> badge(d).equals("5"));
    api.comment(bob, postId, "Back to the first", null);
    waitFor(a, 5).until(d -> badge(d).equals("6"));
    // (The list is drawn anew as each notification arrives: an entry found may be replaced before it is read.)
    waitFor(a, 5).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .withMessage("two entries: the first thread's five, then the other thread's one").until(d -> {
      java.util.List<WebElement> entries = d.findElements(By.cssSelector(".inbox-item.unread a"));
      return entries.size() == 2 && entries.get(0).getText().startsWith("5 new comments on Alice asks")
          && entries.get(1).getText().equals("bob commented on your post Alice again");
    });
  }

  /** A long title is cut at a word in the inbox, the whole of it the tooltip: on a phone it took four or five lines. */
  @Test
  void theInboxCutsALongTitleAtAWord() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    String title = "A title long enough to take several lines of every notification entry on a phone screen";
    long postId = api.createPost(alice, title);
    api.comment(bob, postId, "An answer", null);
    WebDriver a = browsers.open("alice");
    signIn(a, base, alice);
    a.get(base + "/notifications");
    WebElement em = waitFor(a, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector(".inbox-item a em")));
    assertEquals("A title long enough to take several lines of every notification entry…", em.getText());
    assertEquals(title, em.getDomAttribute("title"));
  }

  /** A report's outcome is one sentence with its thread inside it; one Parley closed says why, not "reviewed". */
  @Test
  void aReportParleyClosedSaysWhyInOneSentence() throws Exception {
    Session alice = api.register("alice");
    Session troll = api.register("troll");
    Session carol = api.register("carol");
    long rude = api.comment(troll, api.createPost(alice, "Alice's thread"), "rude", null);
    assertEquals(201, api.post("/api/reports", carol, new JsonObject().put("targetType", "comment")
        .put("targetId", rude).put("reason", "spam")).status());
    assertEquals(204, api.post("/api/me/delete", troll, new JsonObject().put("currentPassword", "correct horse"))
        .status());
    TestParley.notificationsMade();
    WebDriver page = browsers.open("carol");
    signIn(page, base, carol);
    page.get(base + "/notifications");
    WebElement entry = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector(".inbox-item a")));
    assertEquals("Your report on Alice's thread was closed: its author deleted their account.", entry.getText());
  }

  @Test
  void loadingTheInboxsLastPageLeavesFocusOnTheFirstNewEntry() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    // 31 threads, one comment each: 31 entries, one more than a page.
    for (int i = 0; i < 31; i++) api.comment(bob, api.createPost(alice, "Thread " + i), "Hello " + i, null);
    TestParley.notificationsMade();
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/notifications");
    waitFor(page, 10).until(d -> d.findElements(By.cssSelector("#inbox > li")).size() == 30);
    page.findElement(By.id("more")).click();
    waitFor(page, 10).until(d -> d.findElements(By.cssSelector("#inbox > li")).size() == 31);
    assertFalse(page.findElement(By.id("more")).isDisplayed(), "no more pages");
    assertEquals(page.findElement(By.cssSelector("#inbox > li:last-child a")), page.switchTo().activeElement(),
        "focus on the entry that came, not the top of the page");
    waitFor(page, 5).until(d -> "1 more notification.".equals(
        js(d, "return document.getElementById('announcer')?.textContent;")));
  }

  @Test
  void aPermalinkOpensTheThreadAtTheCommentEvenPastTheDepthLimit() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Deep");
    Long parent = null;
    long deepest = 0;
    for (int i = 0; i < 9; i++) {
      deepest = api.comment(alice, postId, "level " + i, parent);
      parent = deepest;
    }
    Api.Response shortLink = api.raw("GET", "/c/" + deepest, null, null, null);
    // java.net.http follows no redirects by default: the short link answers with where the comment is.
    assertEquals(302, shortLink.status());
    assertEquals("/posts/" + postId + "#comment-" + deepest, shortLink.header("location"));
    assertEquals(404, api.raw("GET", "/c/99999999", null, null, null).status());

    WebDriver page = browsers.open("reader");
    page.get(base + "/c/" + deepest);
    WebElement target = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".comment.target")));
    assertEquals("comment-" + deepest, target.getAttribute("id"));
    assertTrue(target.getText().contains("level 8"));
    assertEquals(Boolean.TRUE, js(page, "const r = document.querySelector('.comment.target').getBoundingClientRect();"
        + "return r.top >= 0 && r.top < innerHeight;"));
    // From the top, the chain past six levels waits behind "Continue this thread".
    page.get(base + "/posts/" + postId);
    WebElement more = waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.cssSelector("button.continue")));
    assertEquals(Boolean.FALSE, js(page, "return document.getElementById('comment-" + deepest + "').checkVisibility();"));
    // It says how much waits behind it (levels 6, 7 and 8), counting replies that arrive there live.
    assertEquals("Continue this thread (3 replies)", more.getText());
    waitUntilLive(page);
    js(page, "window.scrollTo(0, document.documentElement.scrollHeight);"); // at the end: a reply goes in at once
    long nine = api.comment(alice, postId, "level 9", deepest);
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.cssSelector("button.continue"),
        "Continue this thread (4 replies)"));
    // One that waits behind "1 new comment" (the reader is away from the end) is shown when asked for, the way to
    // it opened.
    js(page, "window.scrollTo(0, 0);");
    long ten = api.comment(alice, postId, "level 10", nine);
    waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.id("new-comments"))).click();
    assertEquals(Boolean.TRUE, js(page, "return document.getElementById('comment-" + ten + "').checkVisibility();"));
    assertTrue(page.findElements(By.cssSelector("button.continue")).isEmpty(), "the way open");
    page.navigate().refresh();
    more = waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.cssSelector("button.continue")));
    assertEquals("Continue this thread (5 replies)", more.getText(), "counted on a fresh load too");
    more.click();
    assertEquals(Boolean.TRUE, js(page, "return document.getElementById('comment-" + deepest + "').checkVisibility();"));
    // Past the limit the chain keeps the column it reached, each reply saying whom it answers, so a long chain stays
    // readable on a phone.
    page.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    String left = "return document.querySelector('#comment-%d > .content').getBoundingClientRect().left;";
    java.util.List<Long> levels = api.get("/api/posts/" + postId + "/comments?sort=old", alice).ids();
    double atLimit = ((Number) js(page, left.formatted(levels.get(6)))).doubleValue();
    double beforeIt = ((Number) js(page, left.formatted(levels.get(5)))).doubleValue();
    assertTrue(atLimit > beforeIt, "the first level past the limit still steps in once");
    assertEquals(atLimit, ((Number) js(page, left.formatted(deepest))).doubleValue(), 0.5, "then no further");
    assertTrue(page.findElement(By.cssSelector("#comment-" + deepest + " > .content > .meta")).getText()
        .contains("replying to alice"));
    assertTrue(((Number) js(page, "return document.querySelector('#comment-%d > .content').getBoundingClientRect().width;"
        .formatted(deepest))).doubleValue() > 250, "a readable column on a phone");
  }

  /**
   * A table pasted into a comment (GitHub's Markdown) shows as one, on a phone too: wider than the column, it scrolls
   * sideways inside a box of its own, which takes focus so a keyboard can scroll it, fades out at an edge with more
   * beyond it, and the page does not scroll.
   */
  @Test
  void aWideTableInACommentScrollsInItsOwnBoxOnAPhone() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Timetables");
    StringBuilder table = new StringBuilder("| Station | Monday | Tuesday | Wednesday | Thursday | Friday | Sunday |\n");
    table.append("|---|--:|--:|--:|--:|--:|--:|\n");
    for (String station : List.of("Northgate interchange", "Southbank riverside")) {
      table.append("| ").append(station).append(" | 06:15 | 06:45 | 07:15 | 07:45 | 08:15 | 09:15 |\n");
    }
    long comment = api.comment(alice, postId, "The times:\n\n" + table + "\n~~Saturday~~ has none.", null);

    WebDriver page = browsers.open("reader");
    page.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    openPost(page, base, postId);
    String box = "#comment-" + comment + " .body .table-scroll";
    WebElement scroller = waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(box)));
    assertEquals(3L, js(page, "return document.querySelectorAll(arguments[0] + ' > table tr').length;", box));
    assertEquals("right", js(page, "return getComputedStyle(document.querySelector(arguments[0] + ' td:nth-child(2)'))"
        + ".textAlign;", box), "the delimiter row's colon aligns the column");
    assertEquals("Saturday", page.findElement(By.cssSelector("#comment-" + comment + " .body del")).getText());
    assertTrue(((Number) js(page, "const b = document.querySelector(arguments[0]); return b.scrollWidth - b.clientWidth;",
        box)).doubleValue() > 50, "the table is wider than its box, which scrolls");
    assertEquals(0L, ((Number) js(page, "return document.documentElement.scrollWidth - "
        + "document.documentElement.clientWidth;")).longValue(), "the page does not scroll sideways");
    assertEquals("0", scroller.getDomAttribute("tabindex"), "the box takes focus");
    // A phone shows no scroll bar until the box is touched: the table fades out at an edge with more beyond it.
    String more = "const b = document.querySelector(arguments[0]); return [b.dataset.more, "
        + "getComputedStyle(b).maskImage !== 'none'].join(' ');";
    assertEquals("end true", js(page, more, box), "more to the right at first");
    js(page, "document.querySelector(arguments[0]).scrollLeft = 40;", box);
    waitFor(page, 5).until(d -> "start end true".equals(js(page, more, box)));
    js(page, "document.querySelector(arguments[0]).scrollLeft = 100000;", box);
    waitFor(page, 5).until(d -> "start true".equals(js(page, more, box)));
    page.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
    waitFor(page, 5).withMessage("wide enough, nothing beyond either edge, no fade")
        .until(d -> " false".equals(js(page, more, box)));
  }

  @Test
  void badgesSayWhoWroteThePostAndWhoIsStaffEvenOnCommentsThatArriveLive() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mona = api.registerWithRole("mona", "moderator");
    long postId = api.createPost(alice, "Badges");
    long byAlice = api.comment(alice, postId, "the author answers", null);
    long byBob = api.comment(bob, postId, "a member asks", byAlice);

    WebDriver page = browsers.open("reader");
    openPost(page, base, postId);
    String badges = "return [...document.querySelectorAll('#comment-%d > .content > .meta .badge')]"
        + ".map(b => b.className + ':' + b.textContent).join(',');";
    assertEquals("badge op:OP", js(page, badges.formatted(byAlice)));
    assertEquals("", js(page, badges.formatted(byBob)));
    // The post's own line names its author without an OP badge: it is theirs already.
    assertEquals(0L, js(page, "return document.querySelectorAll('#post-meta .badge').length;"));
    long byMona = api.comment(mona, postId, "a moderator steps in", byBob);
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.id("comment-" + byMona)));
    assertEquals("badge staff:Moderator", js(page, badges.formatted(byMona)));
  }

  /**
   * A list in a comment reads as a list: the thread's rule for its reply lists (no bullets, a grey rule, an indent)
   * hit every list inside the comments, so a bulleted summary looked like a chain of replies (a page review).
   */
  @Test
  void aListInACommentHasItsBulletsAndNoThreadRule() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Lists");
    long listed = api.comment(alice, postId, "Summary:\n\n- first point\n- second point\n  - a detail", null);
    api.comment(alice, postId, "A reply", listed);
    WebDriver page = browsers.open("reader");
    openPost(page, base, postId);
    String style = "const el = document.querySelector(arguments[0]); const s = getComputedStyle(el);"
        + "return s.listStyleType + '|' + s.borderLeftStyle;";
    assertEquals("disc|none", js(page, style, "#comment-" + listed + " .body > ul"));
    assertEquals("circle|none", js(page, style, "#comment-" + listed + " .body ul ul"));
    assertEquals("none|solid", js(page, style, "#comment-" + listed + " ul.replies"), "the replies keep the rule");
  }

  @Test
  void foldingACommentHidesItsRepliesCountsArrivalsAndIsRememberedUntilALinkOpensIt() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Folding");
    long top = api.comment(alice, postId, "Top of a long subthread", null);
    long reply = api.comment(alice, postId, "First reply", top);
    long deeper = api.comment(alice, postId, "Deeper reply", reply);
    long other = api.comment(alice, postId, "Another top-level comment", null);
    WebDriver page = browsers.open("reader");
    openPost(page, base, postId);
    By topFold = By.cssSelector("#comment-" + top + " > .content .fold");
    assertEquals("true", page.findElement(topFold).getAttribute("aria-expanded"));
    // Big enough to tap: at least 24 × 24 px (WCAG 2.5.8; "[−]" was 30 × 21).
    assertEquals(Boolean.TRUE, js(page, "const r = arguments[0].getBoundingClientRect(); return r.width >= 24 "
        + "&& r.height >= 24;", page.findElement(topFold)));

    // From the keyboard: the control is the first stop of the comment's line.
    page.findElement(topFold).sendKeys(Keys.ENTER);
    WebElement control = page.findElement(topFold);
    assertEquals("false", control.getAttribute("aria-expanded"));
    assertEquals("[+] 2 replies", control.getText());
    assertEquals("Unfold the comment by alice and its 2 replies", control.getAttribute("aria-label"));
    assertEquals(control, page.switchTo().activeElement(), "focus stays on the control");
    assertTrue(page.findElement(By.cssSelector("#comment-" + top + " > .content > .meta")).isDisplayed(),
        "the folded comment keeps its first line");
    assertFalse(page.findElement(By.cssSelector("#comment-" + top + " > .content > .body")).isDisplayed());
    assertFalse(visible(page, reply));
    assertFalse(visible(page, deeper));
    assertTrue(visible(page, other), "a fold hides nothing outside its subthread");

    // A reply arriving live goes in out of sight and is counted.
    long late = api.comment(alice, postId, "Late reply", deeper);
    waitFor(page, 5).until(ExpectedConditions.textToBe(topFold, "[+] 3 replies"));
    assertFalse(visible(page, late));
    assertEquals("Comments (5)", page.findElement(By.id("comments-title")).getText());

    // The fold is remembered in this browser...
    openPost(page, base, postId);
    waitFor(page, 5).until(ExpectedConditions.textToBe(topFold, "[+] 3 replies"));
    assertFalse(visible(page, late));
    // ...until a link to a comment inside it opens the way, which is remembered too.
    page.get(base + "/c/" + late);
    WebElement target = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".comment.target")));
    assertEquals("comment-" + late, target.getAttribute("id"));
    assertEquals("true", page.findElement(topFold).getAttribute("aria-expanded"));
    assertEquals("[−]", page.findElement(topFold).getText());
    openPost(page, base, postId);
    assertTrue(visible(page, late));
    assertEquals("true", page.findElement(topFold).getAttribute("aria-expanded"));
  }

  private static boolean visible(WebDriver page, long commentId) {
    return Boolean.TRUE.equals(js(page, "return document.getElementById('comment-" + commentId + "').checkVisibility();"));
  }

  @Test
  void changingThePasswordInSettingsEndsTheOtherSessions() {
    Session alice = api.register("alice");
    WebDriver laptop = browsers.open("laptop");
    WebDriver phone = browsers.open("phone");
    signIn(laptop, base, alice);
    signIn(phone, base, alice);
    phone.get(base + "/settings");
    waitFor(phone, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("password-form")));

    // A second tab of the same browser, on the feed: it shares the sign-in, hears the old token's end too, and signs
    // the browser out before the change's answer comes; the change's tab is not signed out by it, and both end
    // signed in with the new session (the change's tab said "You signed out in another tab": a review).
    laptop.get(base + "/");
    waitFor(laptop, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#nav .who a"), "alice"));
    String feedTab = laptop.getWindowHandle();
    laptop.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
    String settingsTab = laptop.getWindowHandle();
    laptop.get(base + "/settings");
    waitFor(laptop, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("password-form")));
    // The change's answer held back 1.5 s, so the old token's end reaches the laptop's live socket first: that end
    // is the change's own doing, and the page stays signed in (it said "Your session has ended" under "Password
    // changed" and signed itself out, a page review).
    js(laptop, "const fetched = window.fetch; window.fetch = async (...args) => { const answer = await fetched(...args);"
        + " if (String(args[0]).includes('/api/me/password')) await new Promise((r) => setTimeout(r, 1500));"
        + " return answer; };");
    laptop.findElement(By.id("current-password")).sendKeys("correct horse");
    laptop.findElement(By.id("new-password")).sendKeys("a much better password");
    laptop.findElement(By.cssSelector("#password-form button[type=submit]")).click();
    waitFor(phone, 10).withMessage("the phone hears its session end, live")
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("session-notice")));
    waitFor(laptop, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("password-done"), "Password changed"));
    assertTrue(laptop.findElements(By.id("session-notice")).isEmpty(), "the laptop was not told its session ended");
    assertTrue(laptop.findElements(By.id("sign-in")).isEmpty(), "the laptop's header is still signed in");
    assertNotNull(js(laptop, "return localStorage.getItem('parley.session');"), "the new session is kept");
    waitFor(laptop, 10).withMessage("the header drawn again with the new session")
        .until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#nav .who a"), "alice"));
    laptop.switchTo().window(feedTab);
    waitFor(laptop, 10).withMessage("the feed's tab takes up the new session")
        .until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#nav .who a"), "alice"));
    assertEquals(200, ((Number) js(laptop, "return fetch('/api/me', {headers: {Authorization: 'Bearer ' "
        + "+ JSON.parse(localStorage.getItem('parley.session')).token}}).then((r) => r.status);")).intValue(),
        "the browser's saved session is the new one");
    laptop.switchTo().window(settingsTab);

    assertEquals(401, api.get("/api/me", alice).status(), "the old token is dead");
    phone.navigate().refresh();
    waitFor(phone, 10).withMessage("the phone is signed out")
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("signed-out")));
    laptop.navigate().refresh();
    waitFor(laptop, 10).withMessage("the laptop stays signed in with its new session")
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("settings")));
    Api.Response login = api.post("/api/auth/login", null, new JsonObject().put("login", "alice")
        .put("password", "a much better password"));
    assertEquals(200, login.status());
  }

  @Test
  void theSettingsPageListsBlocksToUnblockAndReportsWithTheirOutcome() {
    Session alice = api.register("alice");
    Session troll = api.register("troll");
    long postId = api.createPost(troll, "Bait");
    assertEquals(204, api.put("/api/me/blocks/troll", alice, null).status());
    assertEquals(201, api.post("/api/reports", alice, new JsonObject().put("targetType", "post").put("targetId", postId)
        .put("reason", "spam")).status());
    Session carol = api.register("carol");
    long copied = api.comment(carol, api.createPost(carol, "Harbour footbridge"), "Copied words", null);
    assertEquals(201, api.post("/api/reports", alice, new JsonObject().put("targetType", "comment")
        .put("targetId", copied).put("reason", "other").put("details", "Copied from a newspaper")).status());

    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/settings");
    waitFor(page, 10).until(d -> d.findElements(By.cssSelector("#reports li")).size() == 2);
    // Newest first: each says which it is, with the reporter's own words; a blocked author's post has no title.
    String newest = page.findElements(By.cssSelector("#reports li")).get(0).getText();
    assertTrue(newest.startsWith("carol’s comment “Copied words” on “Harbour footbridge” reported for another reason")
        && newest.endsWith("waiting for a moderator · you wrote: Copied from a newspaper"), newest);
    WebElement report = page.findElements(By.cssSelector("#reports li")).get(1);
    assertTrue(report.getText().contains("reported as spam"), report.getText());
    assertTrue(report.getText().startsWith("A post reported"), "its author blocked, no title: " + report.getText());
    assertTrue(report.getText().contains("waiting for a moderator"), report.getText());
    // The block list loads on its own request, maybe after the reports: wait for it, then click.
    waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[data-unblock='troll']")))
        .click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("blocks-empty")));
    assertEquals(0, api.get("/api/me/blocks", alice).json().getJsonArray("items").size());
    // Turning a kind of notification off is saved as it is clicked.
    page.findElement(By.cssSelector("#prefs-form input[name=replies]")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("prefs-done"), "Saved."));
    assertEquals(false, api.get("/api/me/notification-settings", alice).json().getBoolean("replies"));
  }

  /** A member writes the bio their profile shows in Settings (a page review: nothing in the web app could set it). */
  @Test
  void theBioIsWrittenInSettingsAndShownOnTheProfile() {
    Session alice = api.register("alice");
    assertEquals(200, api.patch("/api/me", alice, new JsonObject().put("bio", "Old words")).status());
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/settings");
    WebElement bio = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("profile-bio")));
    waitFor(page, 5).until(d -> "Old words".equals(bio.getDomProperty("value")));
    assertEquals("/u/alice", page.findElement(By.id("profile-link")).getDomAttribute("href"));
    bio.clear();
    bio.sendKeys("Bridges, rivers and the odd ferry.");
    page.findElement(By.cssSelector("#profile-form button[type=submit]")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("profile-done"), "Saved."));
    assertEquals("Bridges, rivers and the odd ferry.", api.get("/api/users/alice").json().getString("bio"));
    // A refusal in another form below: the profile's "Saved." goes, so it does not read as that being saved.
    page.findElement(By.id("current-password")).sendKeys("not my password");
    page.findElement(By.id("new-password")).sendKeys("a much better password");
    page.findElement(By.cssSelector("#password-form button[type=submit]")).click();
    waitFor(page, 5).withMessage("the password form says it was refused").until(d -> !d.findElements(
        By.cssSelector("#password-form .field-error")).isEmpty()
        || !d.findElement(By.cssSelector("#password-form .form-error")).getText().isEmpty());
    assertEquals("", page.findElement(By.id("profile-done")).getText());
    page.get(base + "/u/alice");
    waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("p.bio"),
        "Bridges, rivers and the odd ferry."));
  }

  /**
   * The username and the email are changed in Settings too (a page review: only the API could): only what changed is
   * sent, a name someone has is refused in the form with nothing changed, and the header follows a new name at once.
   */
  @Test
  void theUsernameAndEmailAreChangedInSettingsAndATakenNameIsRefusedInTheForm() {
    Session alice = api.register("alice");
    api.register("bob");
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/settings");
    WebElement username = waitFor(page, 10).until(
        ExpectedConditions.visibilityOfElementLocated(By.id("profile-username")));
    waitFor(page, 5).until(d -> "alice".equals(username.getDomProperty("value")));
    WebElement email = page.findElement(By.id("profile-email"));
    assertEquals(api.get("/api/me", alice).json().getString("email"), email.getDomProperty("value"));
    WebElement save = page.findElement(By.cssSelector("#profile-form button[type=submit]"));

    WebElement current = page.findElement(By.id("profile-current-password"));
    current.sendKeys("correct horse");
    username.clear();
    username.sendKeys("bob");
    save.click();
    // Next to the field it concerns, as every form's field errors are.
    WebElement error = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.id("profile-username-error")));
    assertEquals("The username is already taken", error.getText());
    assertEquals("true", username.getDomAttribute("aria-invalid"));
    assertEquals("alice", api.get("/api/me", alice).json().getString("username"), "nothing changed");

    // What signs the account in changes only with its password: without it, the form says so and nothing changes.
    current.clear();
    username.clear();
    username.sendKeys("alice_rivers");
    email.clear();
    email.sendKeys("alice.rivers@example.org");
    save.click();
    WebElement needed = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.id("profile-current-password-error")));
    assertEquals("Your password is required to change your username or email", needed.getText());
    assertEquals("alice", api.get("/api/me", alice).json().getString("username"), "nothing changed");
    current.sendKeys("correct horse");
    save.click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("profile-done"), "Saved."));
    assertEquals("", current.getDomProperty("value"), "the password is not kept in the form");
    JsonObject now = api.get("/api/me", alice).json();
    assertEquals("alice_rivers", now.getString("username"));
    assertEquals("alice.rivers@example.org", now.getString("email"));
    assertEquals("/u/alice_rivers", page.findElement(By.id("profile-link")).getDomAttribute("href"));
    assertEquals("alice_rivers", page.findElement(By.cssSelector("#nav .who a")).getText());
    page.navigate().refresh();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("nav"),
        "Signed in as alice_rivers"));
  }

  /**
   * A rename made elsewhere (another device, the API) reaches a browser signed in before it: its stored session named
   * the old name, so its pages offered Block rather than Edit on the member's own post, and its header linked to a
   * profile name anyone could take (a review).
   */
  @Test
  void aRenameMadeElsewhereIsFollowedByAPageSignedInBeforeIt() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Mine, whatever my name");
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    assertEquals(200, api.patch("/api/me", alice, new JsonObject().put("username", "alice_elsewhere")
        .put("currentPassword", "correct horse")).status());

    openPost(page, base, postId);
    waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("nav"),
        "Signed in as alice_elsewhere"));
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-post")));
    assertTrue(page.findElements(By.cssSelector("#post-actions [data-block]")).isEmpty(), "no Block on one's own post");
    assertEquals("alice_elsewhere", ((String) js(page,
        "return JSON.parse(localStorage.getItem('parley.session')).user.username;")));
  }

  /**
   * Text in a right-to-left script reads right to left: a Hebrew comment starts at the right edge, its question mark
   * at its end (on the left), beside an English one that starts at the left (a review: all of it was laid out left to
   * right).
   */
  @Test
  void aHebrewCommentReadsRightToLeftBesideAnEnglishOne() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "Languages");
    long hebrew = api.comment(alice, postId, "שלום! מה דעתכם על הקומפוסט בחורף?", null);
    long english = api.comment(alice, postId, "Hello! What do you think?", null);
    WebDriver page = browsers.open("reader");
    openPost(page, base, postId);
    String edges = "const p = document.querySelector('#comment-' + arguments[0] + ' .body p');"
        + "const r = document.createRange(); r.selectNodeContents(p); const t = r.getBoundingClientRect();"
        + "const b = p.getBoundingClientRect(); return [t.left - b.left, b.right - t.right];";
    @SuppressWarnings("unchecked")
    List<Number> he = (List<Number>) js(page, edges, hebrew);
    @SuppressWarnings("unchecked")
    List<Number> en = (List<Number>) js(page, edges, english);
    assertTrue(he.get(1).doubleValue() < 2 && he.get(0).doubleValue() > 50, "Hebrew starts at the right: " + he);
    assertTrue(en.get(0).doubleValue() < 2 && en.get(1).doubleValue() > 50, "English starts at the left: " + en);
  }

  /**
   * A page whose data does not come says so and offers to try again, rather than reading as an empty community or
   * inbox (a page review, with the API's requests blocked in the browser); "Mark all as read", which goes away with
   * nothing left unread, leaves the focus on the first notification, not on the page.
   */
  @Test
  void aLostConnectionIsNotAnEmptyPageAndMarkAllReadKeepsTheFocus() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "Still here");
    api.comment(bob, postId, "A reply for alice", null);
    ChromeDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.executeCdpCommand("Network.enable", Map.of());
    page.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of("*/api/posts?*", "*/api/feed*",
        "*/api/me/notifications?order*")));
    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#empty h2"),
        "The posts could not be loaded"));
    page.get(base + "/notifications");
    WebElement failed = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("inbox-failed")));
    assertTrue(failed.getText().startsWith("Your notifications could not be loaded."), failed.getText());
    assertFalse(page.findElement(By.id("inbox-empty")).isDisplayed(), "not 'nothing yet'");

    page.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of()));
    page.findElement(By.id("inbox-retry")).click();
    waitFor(page, 10).until(ExpectedConditions.invisibilityOfElementLocated(By.id("inbox-failed")));
    waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("mark-all"))).click();
    waitFor(page, 10).until(ExpectedConditions.invisibilityOfElementLocated(By.id("mark-all")));
    waitFor(page, 5).until(d -> "inbox-link".equals(d.switchTo().activeElement().getDomAttribute("class")));

    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("post-" + postId)));
    assertFalse(page.findElement(By.id("empty")).isDisplayed());
  }

  @Test
  void anUnknownPageIsAnHtmlPageWhileTheApiKeepsItsProblems() {
    WebDriver page = browsers.open("reader");
    page.get(base + "/no/such/page");
    assertEquals("This page is not here", page.findElement(By.tagName("h1")).getText());
    assertEquals("Not found · Parley", page.getTitle());
    // Its header is every page's: signed out, sign in and sign up and the search box; signed in, the reader's own.
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-up")));
    assertTrue(page.findElement(By.id("site-search-q")).isDisplayed());
    Session alice = api.register("alice");
    signIn(page, base, alice);
    page.get(base + "/no/such/page");
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("nav"), "Signed in as alice"));
    assertTrue(page.findElements(By.id("sign-in")).isEmpty());
    Api.Response html = api.raw("GET", "/no/such/page", null, null, null);
    assertEquals(404, html.status());
    Api.Response problem = api.raw("GET", "/api/no/such/thing", null, null, null);
    assertEquals(404, problem.status());
    assertEquals("application/problem+json", problem.contentType());
    long shown = api.createPost(alice, "Shown to HEAD");
    for (String path : new String[] {"/", "/posts/" + shown, "/u/alice", "/css/parley.css", "/favicon.ico",
        "/notifications"}) {
      assertEquals(200, api.raw("HEAD", path, null, null, null).status(), "HEAD " + path);
    }
    assertEquals(404, api.page("HEAD", "/posts/999999999").status(), "HEAD of a post that is not there");
    // A post that is not there says so, and only that: no empty "Comments" under it.
    page.get(base + "/posts/999999999");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("not-found")));
    assertEquals("Post not found · Parley", page.getTitle(), "the tab says so too");
    assertEquals("Post not found", page.findElement(By.cssSelector("#not-found h1")).getText(),
        "headed as the other missing pages are");
    assertFalse(page.findElement(By.id("comments-section")).isDisplayed(), "no comments section for a missing post");
  }

  @Test
  void signUpOpensOnTheRegisterFormEvenOnAPhone() {
    WebDriver page = browsers.open("phone");
    page.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("sign-up"))).click();
    waitFor(page, 10).until(d -> "register-username".equals(d.switchTo().activeElement().getDomAttribute("id")));
    // The whole form in view, its button included (it sits below the sign-in form there).
    assertEquals(Boolean.TRUE, js(page, "const r = document.getElementById('register-form').getBoundingClientRect();"
        + "return r.top >= 0 && r.bottom <= innerHeight;"), "the register form is on the screen, whole");
  }

  /**
   * A post deleted, or removed by a moderator, while a reader has it open takes its words off the page (they stayed
   * under a small line, a page review) and keeps its thread.
   */
  @Test
  void aPostDeletedOrRemovedWhileOpenLeavesOnlyItsTombstoneAndItsThread() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    long deleted = api.createPost(alice, "Words to take back");
    api.comment(bob, deleted, "A reply that stays", null);
    long removed = api.createPost(alice, "Words a moderator removes");

    WebDriver page = browsers.open("reader");
    signIn(page, base, bob);
    openPost(page, base, deleted);
    waitUntilLive(page);
    assertEquals(204, api.delete("/api/posts/" + deleted, alice).status());
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("post-title"), "[deleted]"));
    assertEquals("This post was deleted.", page.findElement(By.id("post-notice")).getText());
    assertEquals("", page.findElement(By.id("post-body")).getText());
    assertFalse(page.findElement(By.tagName("main")).getText().contains("Words to take back"));
    assertFalse(page.getTitle().contains("Words to take back"), page.getTitle());
    assertTrue(page.findElement(By.id("comments")).getText().contains("A reply that stays"));

    openPost(page, base, removed);
    waitUntilLive(page);
    assertEquals(204, api.post("/api/mod/posts/" + removed + "/hide", mod, new JsonObject().put("reason", "Spam"))
        .status());
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("post-title"), "[removed by a moderator]"));
    assertEquals("A moderator removed this post.", page.findElement(By.id("post-notice")).getText());
    assertFalse(page.findElement(By.tagName("main")).getText().contains("Words a moderator removes"));
    assertFalse(page.getTitle().contains("Words a moderator removes"), page.getTitle());
  }

  /**
   * On a phone a comment's exact date is never broken inside ("(Dec / 4, 2026", a page review) and leaves out this
   * year, so the header fits one line more often; the full date is its tooltip.
   */
  @Test
  void onAPhoneACommentsExactDateIsWholeAndThisYearsLeavesOutTheYear() {
    Session alice = api.register("a_long_enough_name");
    long post = api.createPost(alice, "Dates on a phone");
    api.comment(alice, post, "When was this?", null);
    WebDriver page = browsers.open("phone");
    page.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    openPost(page, base, post);
    WebElement date = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#comments .exact")));
    String year = String.valueOf(java.time.Year.now().getValue());
    assertFalse(date.getText().contains(year), date.getText());
    assertTrue(date.getDomAttribute("title").contains(year), date.getDomAttribute("title"));
    assertEquals(1L, js(page, "return arguments[0].getClientRects().length;", date), "the date on one line");
  }

  /** On a wide screen the two forms stand side by side as equals (a page review: 2:1 squeezed Register). */
  @Test
  void onAWideScreenSignInAndRegisterAreSideBySideAndAsWide() {
    WebDriver page = browsers.open("desktop");
    page.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
    page.get(base + "/login");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("register-form")));
    WebElement signIn = page.findElement(By.id("login-form"));
    WebElement register = page.findElement(By.id("register-form"));
    assertEquals(signIn.getRect().getY(), register.getRect().getY(), "side by side");
    assertEquals(signIn.getRect().getWidth(), register.getRect().getWidth(), 2, "as wide as each other");
  }

  /**
   * A source whose domain is written in another script to look like a known one (Cyrillic "раураl.com") shows its
   * domain in ASCII form on the post page, as the feed already did: it was shown as "https://paypal.com/login".
   */
  @Test
  void aLookAlikeSourceShowsItsDomainAsWhatItIs() {
    Session alice = api.register("alice");
    String lookAlike = "https://\u0440\u0430\u0443\u0440\u0430l.com/login";
    long id = api.post("/api/posts", alice, new JsonObject().put("title", "Log in here")
        .put("body", "Quick.").put("sources", new io.vertx.core.json.JsonArray().add(lookAlike)
            .add("https://example.org/plain"))).json().getLong("id");
    WebDriver page = browsers.open("reader");
    page.get(base + "/posts/" + id);
    waitFor(page, 10).until(d -> d.findElements(By.cssSelector("#post-sources a")).size() == 2);
    List<WebElement> links = page.findElements(By.cssSelector("#post-sources a"));
    assertEquals("https://xn--l-7sba6dbr.com/login", links.get(0).getText());
    assertEquals("https://example.org/plain", links.get(1).getText());
  }

  @Test
  void profileListsLoadMoreAndLinkToTheComment() {
    Session alice = api.register("alice");
    long first = 0;
    for (int i = 0; i < 23; i++) {
      long id = api.createPost(alice, "Post number " + i);
      if (i == 0) first = id;
    }
    long comment = api.comment(alice, first, "A comment on the first", null);
    WebDriver page = browsers.open("reader");
    page.get(base + "/u/alice");
    waitFor(page, 10).until(d -> d.findElements(By.cssSelector("#profile-posts li")).size() == 20);
    page.findElement(By.id("more-posts")).click();
    waitFor(page, 10).until(d -> d.findElements(By.cssSelector("#profile-posts li")).size() == 23);
    assertEquals(Boolean.FALSE, js(page, "return document.getElementById('more-posts').checkVisibility();"));
    assertEquals("/posts/" + first + "#comment-" + comment, page.findElement(By.cssSelector("#profile-comments li a"))
        .getDomAttribute("href"));
    String meta = page.findElement(By.id("profile-meta")).getText();
    assertTrue(meta.startsWith("Joined ") && meta.endsWith("· 23 posts · 1 comment"), "a member's role is not shown: " + meta);
    // On her own profile, whose lists also hold what waits for review, the counts say they are what is published.
    signIn(page, base, alice);
    page.get(base + "/u/alice");
    waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("profile-meta"),
        "· 23 posts · 1 comment published"));
  }

  @Test
  void typingAnAtNameSuggestsTheThreadsPeopleFirstThenAccountsAndTheKeyboardTakesOne() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    api.register("mona");
    api.register("monica");
    Session carol = api.register("carol");
    api.register("carolyn");
    long postId = api.createPost(alice, "Mentions");
    api.comment(bob, postId, "bob was here", null);
    // The newest commenter comes first in the list, but not before a name typed in full.
    api.comment(api.register("bobby"), postId, "bobby was here later", null);
    api.comment(carol, postId, "carol was here too", null);
    WebDriver page = browsers.open("carol");
    signIn(page, base, carol);
    openPost(page, base, postId);
    WebElement box = page.findElement(By.id("comment-body"));
    String options = "return [...document.querySelectorAll('#comment-form .mention-list:not([hidden]) li')]"
        + ".map(li => li.textContent + (li.getAttribute('aria-selected') === 'true' ? '*' : '')).join(',');";
    WebElement submit = page.findElement(By.cssSelector("#comment-form button[type=submit]"));
    org.openqa.selenium.Point closedAt = submit.getLocation();
    box.sendKeys("Thanks @b");
    waitFor(page, 5).until(d -> "@bobby*,@bob".equals(js(d, options)));
    box.sendKeys("ob");
    waitFor(page, 5).until(d -> "@bob*,@bobby".equals(js(d, options)));
    // The list lies over the page: the form's button stays where it was, so a click aimed at it as the list closes
    // (the field's blur) lands on it.
    assertEquals(closedAt, submit.getLocation());
    box.sendKeys(Keys.ENTER);
    assertEquals("Thanks @bob ", box.getDomProperty("value"), "Enter takes the choice, no new line");
    box.sendKeys("and @mo");
    waitFor(page, 5).until(d -> "@mona*,@monica".equals(js(d, options)));
    assertEquals(box.getDomAttribute("aria-activedescendant"),
        page.findElement(By.cssSelector("#comment-form .mention-list li[aria-selected=true]")).getDomAttribute("id"));
    box.sendKeys(Keys.ARROW_DOWN);
    assertEquals("@mona,@monica*", js(page, options));
    box.sendKeys(Keys.TAB);
    box.sendKeys("and @al");
    waitFor(page, 5).until(d -> "@alice*".equals(js(d, options)));
    box.sendKeys(Keys.ESCAPE);
    assertEquals("", js(page, options), "Escape closes the list and keeps the text");
    box.sendKeys(" too @caro");
    // The writer is never offered to themselves, from the thread or from the search.
    waitFor(page, 5).until(d -> "@carolyn*".equals(js(d, options)));
    box.sendKeys(Keys.ESCAPE);
    box.sendKeys(Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE);
    assertEquals("Thanks @bob and @monica and @al too", box.getDomProperty("value"));
    page.findElement(By.cssSelector("#comment-form button[type=submit]")).click();
    waitFor(page, 5).until(d -> d.findElements(By.cssSelector("#comments a[href='/u/monica']")).size() == 1);

    // In a reply form the list is a list, not a nested thread: no rail, no indent.
    long bobs = api.get("/api/posts/" + postId + "/comments?sort=old", carol).ids().get(0);
    page.findElement(By.cssSelector("#comment-" + bobs + " > .content .actions .reply")).click();
    WebElement reply = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + bobs)));
    reply.sendKeys("@al");
    waitFor(page, 5).until(d -> d.findElements(By.cssSelector("#comment-" + bobs + " .mention-list li")).size() == 1);
    assertEquals("1px 3.2px", js(page, "const s = getComputedStyle(document.querySelector('#comment-" + bobs
        + " .mention-list')); return s.borderLeftWidth + ' ' + s.paddingLeft;"), "its own border and padding");
  }

  @Test
  void quoteRepliesWithTheSelectionOrTheWholeComment() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long postId = api.createPost(alice, "Quotes");
    long comment = api.comment(bob, postId, "The first point.\n\nThe second point, which matters.", null);
    WebDriver page = browsers.open("carol");
    signIn(page, base, carol);
    openPost(page, base, postId);
    String card = "#comment-" + comment;
    // A selection inside the comment is what is quoted.
    js(page, "const p = document.querySelectorAll(arguments[0] + ' > .content .body p')[1];"
        + "const range = document.createRange(); range.setStart(p.firstChild, 4); range.setEnd(p.firstChild, 16);"
        + "getSelection().removeAllRanges(); getSelection().addRange(range);", card);
    page.findElement(By.cssSelector(card + " > .content .actions .quote")).click();
    WebElement box = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + comment)));
    assertEquals("> second point\n\n", box.getDomProperty("value"));
    assertEquals(box, page.switchTo().activeElement(), "the caret is in the reply, after the quote");
    box.sendKeys("Agreed.");
    page.findElement(By.cssSelector(card + " .reply-form button[type=submit]")).click();
    waitFor(page, 5).until(d -> d.findElements(By.cssSelector(card + " .comment blockquote")).size() == 1);
    assertEquals("second point", page.findElement(By.cssSelector(card + " .comment blockquote")).getText());
    // Nothing selected: the whole comment, paragraph breaks kept inside the quote.
    js(page, "getSelection().removeAllRanges();");
    page.findElement(By.cssSelector(card + " > .content .actions .quote")).click();
    WebElement again = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + comment)));
    assertEquals("> The first point.\n>\n> The second point, which matters.\n\n", again.getDomProperty("value"));
  }

  /** What the page's focus is on: the element's id, or its aria-label, or its tag. */
  private static String focused(WebDriver page) {
    return (String) js(page, "const f = document.activeElement; return f.id || f.getAttribute('aria-label') || f.tagName;");
  }

  /**
   * Editing, deleting, cancelling and blocking leave focus where the reader was (a page probe: each dropped it to the
   * top of the page), and a reply or edit with words in it is not thrown away by a slip of Cancel or Escape.
   */
  @Test
  void editingDeletingCancellingAndBlockingKeepTheReadersPlaceAndAskBeforeDroppingWords() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long postId = api.createPost(carol, "Keeping my place");
    long hers = api.comment(alice, postId, "Alice's point", null);
    long his = api.comment(bob, postId, "Bob's first words", null);
    long carols = api.comment(carol, postId, "Carol's aside", null);
    WebDriver page = browsers.open("bob");
    signIn(page, base, bob);
    openPost(page, base, postId);
    // The connection's state is a live region once the page settled: its first "Live" is no news to read out, what
    // follows it is.
    waitFor(page, 5).until(d -> "status".equals(d.findElement(By.id("live-status")).getDomAttribute("role")));

    // An edit saved: focus on the comment as saved.
    page.findElement(By.cssSelector("#comment-" + his + " .actions .edit")).click();
    WebElement edit = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-" + his)));
    edit.sendKeys(", and more");
    page.findElement(By.cssSelector("#comment-" + his + " .edit-form button[type=submit]")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("#comment-" + his + " > .content .body"), "and more"));
    waitFor(page, 5).withMessage("focus on the saved comment").until(d -> ("comment-" + his).equals(focused(d)));

    // A reply with words in it: Escape asks first, and a no keeps them; Cancel asks too, and a yes lets them go,
    // focus back on the Reply that opened it.
    page.findElement(By.cssSelector("#comment-" + hers + " .actions .reply")).click();
    WebElement reply = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + hers)));
    reply.sendKeys("Half a thought");
    reply.sendKeys(Keys.ESCAPE);
    assertEquals("Discard your reply?", waitFor(page, 5).until(ExpectedConditions.alertIsPresent()).getText());
    page.switchTo().alert().dismiss();
    assertEquals("Half a thought", page.findElement(By.id("reply-" + hers)).getDomProperty("value"));
    page.findElement(By.xpath("//li[@id='comment-" + hers + "']//form[contains(@class,'reply-form')]"
        + "//button[normalize-space()='Cancel']")).click();
    waitFor(page, 5).until(ExpectedConditions.alertIsPresent()).accept();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("reply-" + hers)));
    assertEquals("Reply to alice", focused(page));
    // An empty one closes on Escape without a question.
    page.findElement(By.cssSelector("#comment-" + hers + " .actions .reply")).click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + hers))).sendKeys(Keys.ESCAPE);
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("reply-" + hers)));
    assertEquals("Reply to alice", focused(page));
    assertEquals("Link to alice's comment", page.findElement(By.cssSelector("#comment-" + hers + " .permalink"))
        .getDomAttribute("aria-label"), "each Link says whose");

    // A deletion: the tombstone at once, focused.
    page.findElement(By.cssSelector("#comment-" + his + " .actions .danger")).click();
    waitFor(page, 5).until(ExpectedConditions.alertIsPresent()).accept();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.cssSelector("#comment-" + his + " .tombstone"), "[deleted]"));
    waitFor(page, 5).withMessage("focus on the tombstone").until(d -> ("comment-" + his).equals(focused(d)));

    // A block from a comment's menu: the thread read anew, focus on that comment's placeholder, and said; a reply
    // being written elsewhere in the thread stays as it was, words and all (comments known are updated in place).
    page.findElement(By.cssSelector("#comment-" + carols + " .actions .reply")).click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + carols)))
        .sendKeys("Words kept through a redraw");
    page.findElement(By.cssSelector("#comment-" + hers + " details.menu > summary")).click();
    page.findElement(By.cssSelector("#comment-" + hers + " [data-block=alice]")).click();
    waitFor(page, 5).until(ExpectedConditions.alertIsPresent()).accept();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.cssSelector("#comment-" + hers + " .tombstone"),
        "Comment from someone you blocked."));
    waitFor(page, 5).withMessage("focus on the comment the block was asked from").until(d -> ("comment-" + hers)
        .equals(focused(d)));
    assertTrue(page.findElement(By.id("post-notice")).getText().startsWith("You blocked alice."));
    assertEquals("Words kept through a redraw", page.findElement(By.id("reply-" + carols)).getDomProperty("value"));
  }

  /**
   * A reply being written to a comment its author deletes meanwhile: the form says so when the deletion arrives (it
   * said nothing until the reply was refused), and the words can go to the thread's own comment box.
   */
  @Test
  void aReplyToACommentDeletedMeanwhileSaysSoAndItsWordsCanGoToTheThread() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "Moving words");
    long hers = api.comment(alice, postId, "Soon gone", null);
    WebDriver page = browsers.open("bob");
    signIn(page, base, bob);
    openPost(page, base, postId);
    page.findElement(By.cssSelector("#comment-" + hers + " .actions .reply")).click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + hers)))
        .sendKeys("Words worth keeping");
    assertEquals(204, api.delete("/api/comments/" + hers, alice).status());
    WebElement note = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#comment-" + hers + " .orphan-note")));
    assertTrue(note.getText().startsWith("The comment you are replying to was removed"), note.getText());
    note.findElement(By.tagName("button")).click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("reply-" + hers)));
    assertEquals("Words worth keeping", page.findElement(By.id("comment-body")).getDomProperty("value"));
    assertEquals("comment-body", focused(page));
  }

  /** The author's own post: saved, focus on its title; deleted, the feed says so. */
  @Test
  void anAuthorsSavedPostKeepsFocusAndADeletedOneIsSaidOnTheFeed() {
    Session alice = api.register("alice");
    long postId = api.createPost(alice, "My own");
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    openPost(page, base, postId);
    page.findElement(By.id("edit-post")).click();
    WebElement title = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("edit-title")));
    title.sendKeys(Keys.END, ", edited");
    title.sendKeys(Keys.ESCAPE);
    waitFor(page, 5).until(ExpectedConditions.alertIsPresent()).dismiss();
    page.findElement(By.cssSelector("#edit-post-form button[type=submit]")).click();
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("post-title"), "My own, edited"));
    waitFor(page, 5).withMessage("focus on the saved post's title").until(d -> "post-title".equals(focused(d)));

    page.findElement(By.id("delete-post")).click();
    waitFor(page, 5).until(ExpectedConditions.alertIsPresent()).accept();
    waitFor(page, 10).until(ExpectedConditions.urlToBe(base + "/"));
    WebElement said = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("carried-notice")));
    assertEquals("Your post was deleted.", said.getText());
    assertEquals("carried-notice", focused(page));
  }

  @Test
  void afterAReplyFromTheKeyboardFocusIsOnTheNewReply() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "Keyboard");
    long parent = api.comment(alice, postId, "Reply to me", null);
    WebDriver page = browsers.open("bob");
    signIn(page, base, bob);
    openPost(page, base, postId);
    page.findElement(By.cssSelector("#comment-" + parent + " .actions .reply")).sendKeys(Keys.ENTER);
    WebElement box = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("reply-" + parent)));
    box.sendKeys("From the keyboard");
    page.findElement(By.cssSelector("#comment-" + parent + " .reply-form button[type=submit]")).sendKeys(Keys.ENTER);
    waitFor(page, 5).until(d -> ((Number) js(d, "return document.querySelectorAll('#comments .comment').length;"))
        .intValue() == 2);
    waitFor(page, 5).withMessage("focus on the new reply, not the top of the page").until(d -> Boolean.TRUE.equals(
        js(d, "const f = document.activeElement; return f.classList.contains('comment') && f.textContent.includes('From the keyboard');")));
    assertTrue(page.findElement(By.id("comments-title")).getText().equals("Comments (2)"));

    // The "⋯" menu opens from the keyboard and Escape closes it, focus back on its button.
    WebElement more = page.findElement(By.cssSelector("#comment-" + parent + " details.menu > summary"));
    more.sendKeys(Keys.ENTER);
    By open = By.cssSelector("#comment-" + parent + " details.menu[open]");
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#comment-" + parent
        + " details.menu[open] .menu-items button")));
    page.switchTo().activeElement().sendKeys(Keys.ESCAPE);
    waitFor(page, 5).withMessage("Escape closes the menu").until(d -> d.findElements(open).isEmpty());
    assertEquals(more, page.switchTo().activeElement());
    // And a click anywhere else closes it too.
    more.click();
    waitFor(page, 5).until(d -> !d.findElements(open).isEmpty());
    page.findElement(By.id("comments-title")).click();
    waitFor(page, 5).withMessage("a click outside closes the menu").until(d -> d.findElements(open).isEmpty());
    // So does Tab, past its last item: it stayed open over the next comment (a page review).
    more.sendKeys(Keys.ENTER);
    waitFor(page, 5).until(d -> !d.findElements(open).isEmpty());
    for (int i = 0; i < 6 && !page.findElements(open).isEmpty(); i++) {
      page.switchTo().activeElement().sendKeys(Keys.TAB);
    }
    waitFor(page, 5).withMessage("Tab out of the menu closes it").until(d -> d.findElements(open).isEmpty());
    assertFalse(page.findElement(By.cssSelector("#comment-" + parent + " details.menu"))
        .equals(page.switchTo().activeElement()), "focus went on");

    // A top-level comment from the keyboard: an empty one is refused in words about it, a written one takes focus.
    WebElement topLevel = page.findElement(By.id("comment-body"));
    WebElement send = page.findElement(By.cssSelector("#comment-form button[type=submit]"));
    send.sendKeys(Keys.ENTER);
    waitFor(page, 5).until(d -> d.findElements(By.cssSelector("#comment-form .field-error")).size() == 1);
    assertEquals("Your comment must not be empty",
        page.findElement(By.cssSelector("#comment-form .field-error")).getText());
    topLevel.sendKeys("A top-level one");
    send.sendKeys(Keys.ENTER);
    waitFor(page, 5).withMessage("focus on the new comment, as after a reply").until(d -> Boolean.TRUE.equals(
        js(d, "const f = document.activeElement; return f.classList.contains('comment') && f.textContent.includes('A top-level one');")));
  }

  @Test
  void aPageIsLiveAgainWithinTwoSecondsOfTheServerComingBack() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Map<String, String> fixed = Map.of(AppConfig.PORT, Integer.toString(port));
    Main.Running server = TestParley.startServer(fixed);
    String url = "http://localhost:" + port;
    Api own = new Api(url);
    Session alice = own.register("alice");
    long postId = own.createPost(alice, "Restarts");
    WebDriver page = browsers.open("reader");
    openPost(page, url, postId);

    server.stop();
    waitFor(page, 15).until(ExpectedConditions.textToBe(By.id("live-status"), "Reconnecting…"));
    // Down for a while, so the page's back-off has grown as far as it goes.
    TimeUnit.SECONDS.sleep(6);
    server = TestParley.startServer(fixed);
    long back = System.nanoTime();
    try {
      waitFor(page, 2.5).withMessage("live again within about 2 s of the server").until(
          ExpectedConditions.textToBe(By.id("live-status"), "Live"));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
      assertTrue(millis <= 2500, "live after " + millis + " ms");
      long comment = own.comment(alice, postId, "After the restart", null);
      waitFor(page, 5).until(ExpectedConditions.presenceOfElementLocated(By.id("comment-" + comment)));
    } finally {
      server.stop();
    }
  }
}
