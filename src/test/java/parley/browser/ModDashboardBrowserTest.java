package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;
import static parley.browser.BrowserSupport.waitUntilLive;

/**
 * The moderators' dashboard (/mod) in a real browser: report cards that show what the reporters said and link to
 * the content, hide with undo, a ban that is asked for and confirmed, the pending queue live, the audit log as
 * sentences, the filter list, user cards with notes, and a phone-width layout. The server's state is checked over
 * REST after each action.
 */
@ExtendWith(TestParley.class)
class ModDashboardBrowserTest {

  /** The undo window in mod.js is 5 s; a hide is on the server shortly after it. */
  private static final double AFTER_UNDO_WINDOW = 12;

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  // ---------- helpers ----------

  private void report(Session reporter, String targetType, long targetId, String reason, String details) {
    JsonObject body = new JsonObject().put("targetType", targetType).put("targetId", targetId).put("reason", reason);
    if (details != null) body.put("details", details);
    Api.Response r = api.post("/api/reports", reporter, body);
    assertEquals(201, r.status(), r::toString);
  }

  private ChromeDriver dashboard(Session mod) {
    ChromeDriver page = browsers.open("moderator");
    signIn(page, base, mod);
    page.get(base + "/mod");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-panels")));
    waitUntilLive(page);
    return page;
  }

  private JsonObject comment(Session as, long id) {
    Api.Response r = api.get("/api/comments/" + id, as);
    assertEquals(200, r.status(), r::toString);
    return r.json();
  }

  private boolean hidden(Session mod, long commentId) {
    return comment(mod, commentId).getBoolean("hidden", false);
  }

  private static WebElement card(WebDriver page, long commentId) {
    return waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("target-comment-" + commentId)));
  }

  /** A filter entry (straight in the database) that holds content saying "heldword" for review. */
  private static void holdHeldword(Session mod) throws Exception {
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word','heldword','hold', "
        + mod.id() + ")");
  }

  private static WebElement button(WebElement within, String text) {
    return within.findElement(By.xpath(".//button[normalize-space()=\"" + text + "\"]"));
  }

  // ---------- tests ----------

  /**
   * A burst is said in a few counted announcements, not one each: every report and every held comment was announced
   * as it came, so a wave of 600 reports was 600 polite announcements, read out one after another (a review). The
   * counts add up to everything that came.
   */
  @Test
  void aBurstOfReportsAndHeldCommentsIsAnnouncedCountedNotOneByOne() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session author = api.register("author");
    Session reader = api.register("reader");
    holdHeldword(mod);
    long post = api.createPost(author, "A busy thread");
    List<Long> comments = new java.util.ArrayList<>();
    for (int i = 0; i < 30; i++) comments.add(api.comment(author, post, "Comment number " + i, null));
    ChromeDriver page = dashboard(mod);
    // Every change of the announcer's words, as a screen reader would hear them.
    js(page, "window.said = []; let last = null; new MutationObserver(() => {"
        + " const t = document.getElementById('announcer')?.textContent;"
        + " if (t && t !== last) window.said.push(last = t); })"
        + ".observe(document.body, { subtree: true, childList: true, characterData: true });");

    for (long comment : comments) report(reader, "comment", comment, "spam", null);
    for (int i = 0; i < 3; i++) api.comment(reader, post, "Some heldword " + i, null);

    java.util.regex.Pattern reports = java.util.regex.Pattern.compile("(\\d+) new reports\\.|New report: ");
    java.util.regex.Pattern held = java.util.regex.Pattern.compile(
        "(\\d+) new posts or comments are waiting for approval\\.|A new comment by reader is waiting for approval\\.");
    java.util.function.BiFunction<List<String>, java.util.regex.Pattern, Integer> count = (said, pattern) -> {
      int n = 0;
      for (String words : said) {
        java.util.regex.Matcher m = pattern.matcher(words);
        while (m.find()) n += m.group(1) == null ? 1 : Integer.parseInt(m.group(1));
      }
      return n;
    };
    @SuppressWarnings("unchecked")
    List<String> said = waitFor(page, 20).until(d -> {
      List<String> now = (List<String>) js(d, "return window.said;");
      return count.apply(now, reports) >= 30 && count.apply(now, held) >= 3 ? now : null;
    });
    assertEquals(30, count.apply(said, reports), said::toString);
    assertEquals(3, count.apply(said, held), said::toString);
    assertTrue(said.size() < 10, "announced " + said.size() + " times: " + said);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("target-comment-" + comments.get(29))));
  }

  /**
   * A card offers a ban only where the server takes it: not of oneself, nor of a moderator unless one is an admin (it
   * offered both, and the server refused them); and when a decision's undo window ends with focus on Undo, focus goes
   * to the next card itself, not its Hide button, which a keyboard moderator pressing Enter again pressed (a page
   * review).
   */
  @Test
  void banIsOfferedOnlyWhereTheServerTakesItAndFocusLandsOnTheNextCardNotItsHide() throws Exception {
    Session reader = api.register("alice");
    Session troll = api.register("troll");
    Session sam = api.registerWithRole("sam_mod", "moderator");
    Session kim = api.registerWithRole("kim_mod", "moderator");
    Session boss = api.registerWithRole("the_boss", "admin");
    long postId = api.createPost(reader, "Who may be banned");
    long bySam = api.comment(sam, postId, "A moderator's reported comment", null);
    long byKim = api.comment(kim, postId, "Another moderator's", null);
    long byTroll = api.comment(troll, postId, "A member's", null);
    for (long id : new long[] {bySam, byKim, byTroll}) report(reader, "comment", id, "spam", null);

    ChromeDriver page = dashboard(sam);
    assertTrue(card(page, bySam).findElements(By.cssSelector(".ban-toggle")).isEmpty(), "not oneself");
    assertTrue(card(page, byKim).findElements(By.cssSelector(".ban-toggle")).isEmpty(), "not a moderator, as one");
    assertFalse(card(page, byTroll).findElements(By.cssSelector(".ban-toggle")).isEmpty(), "a member, yes");
    ChromeDriver admin = dashboard(boss);
    assertFalse(card(admin, byKim).findElements(By.cssSelector(".ban-toggle")).isEmpty(), "a moderator, as an admin");

    button(card(page, bySam), "Dismiss").click();
    WebElement undo = waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#toasts .undo")));
    js(page, "arguments[0].focus();", undo);
    waitFor(page, 15).until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("#toasts .undo")));
    assertEquals("target-comment-" + byKim, page.switchTo().activeElement().getDomAttribute("id"),
        "the next card itself has the focus");
  }

  /**
   * A keyboard moderator works the queue with one key per decision on the card that has focus (it took five Tabs to
   * reach Approve, a moderator's probe): j and k move between the cards, a approves, r opens the reject form (Escape
   * closes it), h hides and moves on to the next card at once (u undoes it, back on the card itself), d dismisses;
   * a card just reached, and a key's repeats, decide nothing (holding a approved the whole held queue: a keyboard
   * probe); letters typed in a form are words, not decisions; and the keys can be turned off, which this browser
   * remembers.
   */
  @Test
  void cardKeysDecideTheFocusedCardAndNothingElse() throws Exception {
    Session author = api.register("author");
    Session newbie = api.register("newbie");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Keys");
    holdHeldword(mod);
    long heldOne = api.comment(newbie, postId, "heldword one", null);
    long heldTwo = api.comment(newbie, postId, "heldword two", null);
    long rude = api.comment(troll, postId, "Rude", null);
    long ruder = api.comment(troll, postId, "Ruder", null);
    report(reader, "comment", rude, "spam", null);
    report(reader, "comment", ruder, "spam", null);

    ChromeDriver page = dashboard(mod);
    card(page, rude);
    card(page, ruder);
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("pending-comment-" + heldTwo)));
    List<String> order = page.findElements(By.cssSelector("#pending > .mod-card, #queue > .mod-card")).stream()
        .map(el -> el.getDomAttribute("id")).toList();
    assertEquals(4, order.size(), order::toString);
    assertTrue(order.get(0).startsWith("pending-") && order.get(1).startsWith("pending-"), order::toString);
    assertEquals("B", button(card(page, rude), "Ban troll…").getDomAttribute("aria-keyshortcuts"));

    press(page, "j");
    assertEquals(order.get(0), active(page), "j from the page: the first card");
    long first = Long.parseLong(order.get(0).replace("pending-comment-", ""));
    long second = first == heldOne ? heldTwo : heldOne;
    // Focus to the next card and back, and a at once, in one script: the page's own speed, not the test's.
    assertEquals("true", js(page, "const card = document.activeElement, next = document.getElementById(arguments[0]);"
        + " next.tabIndex = -1; next.focus(); card.focus();"
        + " card.dispatchEvent(new KeyboardEvent('keydown', {key: 'a', bubbles: true}));"
        + " return String(card.querySelector('[data-action=approve]').getAttribute('aria-disabled') === null);",
        order.get(1)), "a card only just reached is not decided (a key held down decided a card after each decision)");
    readTheCard();
    assertEquals("true", js(page, "const card = document.activeElement;"
        + " card.dispatchEvent(new KeyboardEvent('keydown', {key: 'a', repeat: true, bubbles: true}));"
        + " return String(card.querySelector('[data-action=approve]').getAttribute('aria-disabled') === null);"),
        "a key's repeats decide nothing");
    press(page, "a");
    waitFor(page, 5).withMessage("a approves the focused card").until(d -> !comment(mod, first).getBoolean("pending"));
    waitFor(page, 5).until(d -> order.get(1).equals(active(page)));
    assertTrue(comment(mod, second).getBoolean("pending"), "only the focused card");

    readTheCard();
    press(page, "r");
    WebElement reason = page.findElement(By.cssSelector("#" + order.get(1) + " .reject-form [name=reason]"));
    assertTrue(reason.isDisplayed());
    assertEquals(reason, page.switchTo().activeElement(), "r opens the reject form, at its reason");
    reason.sendKeys("a dud");
    assertEquals("a dud", reason.getDomProperty("value"), "letters in a field are words");
    assertTrue(comment(mod, second).getBoolean("pending"), "and decide nothing");
    reason.sendKeys(org.openqa.selenium.Keys.ESCAPE);
    assertFalse(reason.isDisplayed(), "Escape closes the form");
    assertEquals("Reject…", page.switchTo().activeElement().getText(), "back on its Reject button");

    press(page, "j");
    assertEquals(order.get(2), active(page));
    long hid = Long.parseLong(order.get(2).replace("target-comment-", ""));
    long other = hid == rude ? ruder : rude;
    readTheCard();
    press(page, "h");
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id(order.get(2))));
    assertTrue(page.findElement(By.id("toasts")).getText().contains("Hiding troll's comment."));
    assertEquals(order.get(3), active(page), "a hide made with a key moves on to the next card, not onto Undo");
    press(page, "u");
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id(order.get(2))));
    assertTrue(page.findElements(By.cssSelector("#toasts .undo")).isEmpty(), "undone");
    assertEquals(order.get(2), active(page), "back on the card itself, not on its Hide");
    press(page, "u");
    assertEquals("Nothing to undo.", js(page, "return document.getElementById('announcer').textContent;"));
    press(page, "j");
    assertEquals("target-comment-" + other, active(page), "j: the next card");
    readTheCard();
    press(page, "d");
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("target-comment-" + other)));
    waitFor(page, AFTER_UNDO_WINDOW).withMessage("d dismisses once its undo window is over")
        .until(d -> api.get("/api/mod/queue?status=dismissed", mod).json().getJsonArray("items").size() == 1);
    assertFalse(hidden(mod, other), "dismissed, not hidden");
    assertFalse(hidden(mod, hid), "the undone hide was never sent");

    page.findElement(By.id("mod-keys-toggle")).click();
    assertEquals("Turn card keys on", page.findElement(By.id("mod-keys-toggle")).getText());
    assertTrue(page.findElement(By.id("mod-keys-off")).isDisplayed());
    focus(page, hid);
    readTheCard();
    press(page, "h");
    assertTrue(page.findElements(By.cssSelector("#toasts .undo")).isEmpty(), "keys off: h does nothing");
    assertTrue(card(page, hid).isDisplayed());
    assertNull(button(card(page, hid), "Hide").getDomAttribute("aria-keyshortcuts"));
    page.navigate().refresh();
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-panels")));
    assertEquals("Turn card keys on", page.findElement(By.id("mod-keys-toggle")).getText(), "remembered");
    assertFalse(hidden(mod, hid));
  }

  /**
   * An approval that answers after the moderator has moved on leaves focus where they now are: it pulled focus out
   * of the next card's reject reason being typed, onto that card, and the next letter typed ("a" of "account")
   * approved it (a keyboard probe, on a slow network).
   */
  @Test
  void anApprovalAnsweringLateLeavesTheModeratorsTypingAlone() throws Exception {
    Session author = api.register("author");
    Session newbie = api.register("newbie");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Slow network");
    holdHeldword(mod);
    long one = api.comment(newbie, postId, "heldword one", null);
    long two = api.comment(newbie, postId, "heldword two", null);

    ChromeDriver page = dashboard(mod);
    WebElement first = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#pending > .mod-card")));
    long firstId = Long.parseLong(first.getDomAttribute("id").replace("pending-comment-", ""));
    long secondId = firstId == one ? two : one;
    page.executeCdpCommand("Network.enable", Map.of());
    page.executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", false, "latency", 1500,
        "downloadThroughput", -1, "uploadThroughput", -1));
    press(page, "j");
    readTheCard();
    press(page, "a");
    press(page, "j");
    readTheCard();
    press(page, "r");
    WebElement reason = page.findElement(By.cssSelector("#pending-comment-" + secondId + " [name=reason]"));
    assertEquals(reason, page.switchTo().activeElement());
    waitFor(page, 10).withMessage("the first approval answers").until(d -> !comment(mod, firstId).getBoolean("pending"));
    waitFor(page, 10).until(ExpectedConditions.invisibilityOfElementLocated(By.id("pending-comment-" + firstId)));
    assertEquals(reason, page.switchTo().activeElement(), "focus stays in the reason being typed");
    page.switchTo().activeElement().sendKeys("spam bot account");
    assertEquals("spam bot account", reason.getDomProperty("value"));
    page.executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", false, "latency", 0,
        "downloadThroughput", -1, "uploadThroughput", -1));
    assertTrue(comment(mod, secondId).getBoolean("pending"), "the letters typed decided nothing");
  }

  /**
   * A card must have had focus a moment (mod.js's READ_FIRST_MS, 600 ms) before a key decides it: not async work to
   * await, a pause the page asks of a reader on purpose.
   */
  private static void readTheCard() throws InterruptedException {
    Thread.sleep(700);
  }

  private static void press(WebDriver page, String key) {
    page.switchTo().activeElement().sendKeys(key);
  }

  private static String active(WebDriver page) {
    return page.switchTo().activeElement().getDomAttribute("id");
  }

  private static void focus(WebDriver page, long commentId) {
    js(page, "const c = arguments[0]; c.tabIndex = -1; c.focus();", card(page, commentId));
  }

  /**
   * Two moderators on one queue: one says "I'm on it", the other's card says who, live, and their Hide asks for a
   * second press instead of acting at once; taking it over tells the first; letting go frees it for both; and the
   * held queue's cards carry the same line.
   */
  @Test
  void aModeratorOnACardIsShownLiveToTheOtherWhoseHideThenAsksTwiceAndWhoCanTakeItOver() throws Exception {
    Session reader = api.register("alice");
    Session troll = api.register("troll");
    Session newbie = api.register("newbie");
    Session sam = api.registerWithRole("sam_mod", "moderator");
    Session kim = api.registerWithRole("kim_mod", "moderator");
    long postId = api.createPost(reader, "Shared queue");
    long commentId = api.comment(troll, postId, "Something to review", null);
    report(reader, "comment", commentId, "harassment", null);
    holdHeldword(sam);
    long heldId = api.comment(newbie, postId, "A heldword to decide.", null);

    ChromeDriver samPage = dashboard(sam);
    ChromeDriver kimPage = dashboard(kim);
    By samsLine = By.cssSelector("#target-comment-" + commentId + " .claim-line");
    button(card(samPage, commentId), "I'm on it").click();
    waitFor(samPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(samsLine, "You are on this until"));
    By kimsLine = By.cssSelector("#target-comment-" + commentId + " .claim-line");
    waitFor(kimPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(kimsLine, "sam_mod is on this since"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_claims WHERE moderator_id = " + sam.id()));

    // Kim's Hide: a word first, nothing sent, the card stays.
    button(card(kimPage, commentId), "Hide").click();
    By kimsError = By.cssSelector("#target-comment-" + commentId + " .card-error");
    waitFor(kimPage, 5).until(ExpectedConditions.textToBe(kimsError,
        "sam_mod is on this. Press Hide again to act anyway."));
    assertTrue(kimPage.findElements(By.cssSelector("#toasts .undo")).isEmpty(), "no hide waiting to be sent");
    assertTrue(card(kimPage, commentId).isDisplayed());

    // Sam lets go: Kim's question about Sam's claim goes with it (it stayed, a page probe); Sam takes it again, and
    // Kim's Hide asks again, for the new claim, rather than acting on the confirmation of the old one.
    button(card(samPage, commentId), "Let go").click();
    waitFor(kimPage, 10).until(ExpectedConditions.textToBe(kimsError, ""));
    waitFor(samPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(samsLine, "I'm on it"));
    button(card(samPage, commentId), "I'm on it").click();
    waitFor(kimPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(kimsLine, "sam_mod is on this since"));
    button(card(kimPage, commentId), "Hide").click();
    waitFor(kimPage, 5).until(ExpectedConditions.textToBe(kimsError,
        "sam_mod is on this. Press Hide again to act anyway."));
    assertTrue(kimPage.findElements(By.cssSelector("#toasts .undo")).isEmpty(), "asked again, nothing sent");

    // Kim takes it over: Sam's card says so.
    button(card(kimPage, commentId), "Take over").click();
    waitFor(kimPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(kimsLine, "You are on this until"));
    waitFor(samPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(samsLine, "kim_mod is on this since"));

    // Kim lets it go: free on both.
    button(card(kimPage, commentId), "Let go").click();
    waitFor(kimPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(kimsLine, "I'm on it"));
    waitFor(samPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(samsLine, "I'm on it"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM mod_claims"));

    // The held queue: Kim is about to press "I'm on it" when Sam takes it; Kim's focus stays on the line, not on
    // Sam's name or Take over, where Enter would have opened a card or taken it (a page probe).
    By samsHeld = By.id("pending-comment-" + heldId);
    By kimsClaim = By.cssSelector("#pending-comment-" + heldId + " .claim-line button[data-action='claim']");
    js(kimPage, "arguments[0].focus();", waitFor(kimPage, 10).until(ExpectedConditions.elementToBeClickable(kimsClaim)));
    button(waitFor(samPage, 10).until(ExpectedConditions.visibilityOfElementLocated(samsHeld)), "I'm on it").click();
    waitFor(kimPage, 10).until(d -> Boolean.TRUE.equals(js(d, "const a = document.activeElement;"
        + " return !!a && a.classList.contains('claim-line') && a.textContent.includes('sam_mod is on this');")));
    By kimsHeldLine = By.cssSelector("#pending-comment-" + heldId + " .claim-line");
    waitFor(kimPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(kimsHeldLine,
        "sam_mod is on this since"));
    WebElement kimsHeld = kimPage.findElement(By.id("pending-comment-" + heldId));
    button(kimsHeld, "Approve").click();
    waitFor(kimPage, 5).until(ExpectedConditions.textToBe(By.cssSelector("#pending-comment-" + heldId + " .card-error"),
        "sam_mod is on this. Press Approve again to act anyway."));
    assertTrue(comment(kim, heldId).getBoolean("pending"), "not approved on the first press");
    button(kimsHeld, "Approve").click();
    waitFor(kimPage, 10).until(ExpectedConditions.invisibilityOfElementLocated(By.id("pending-comment-" + heldId)));
    assertFalse(comment(kim, heldId).getBoolean("pending", false), "approved on the second");
    assertEquals(0, TestParley.count("SELECT count(*) FROM mod_claims"), "the decision ended Sam's claim");
    waitFor(samPage, 10).until(ExpectedConditions.invisibilityOfElementLocated(samsHeld));
  }

  /**
   * More open reports and held items than the dashboard shows (its 100 oldest cards of each): the counts and the
   * tab title are of all of them, and a line under each queue's cards says how many wait behind (the report queue's
   * count said 100 when 102 waited).
   */
  @Test
  void queuesLongerThanTheirCardsCountThemAllAndSayHowManyWaitBehind() throws Exception {
    Session author = api.register("spammer");
    Session reader = api.register("alice");
    Session sam = api.registerWithRole("sam_mod", "moderator");
    TestParley.sql("INSERT INTO posts (author_id, title, body, body_html, excerpt) SELECT " + author.id()
        + ", 'Wave ' || i, 'Buy now', '<p>Buy now</p>', 'Buy now' FROM generate_series(1, 102) i");
    TestParley.sql("INSERT INTO reports (reporter_id, target_type, target_id, reason) SELECT " + reader.id()
        + ", 'post', id, 'spam' FROM posts ORDER BY id");
    long postId = api.createPost(sam, "Held back");
    holdHeldword(sam);
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html, pending_at, pending_reason) SELECT "
        + postId + ", " + author.id() + ", 'a heldword ' || i, '<p>a heldword ' || i || '</p>', now(), 'held' "
        + "FROM generate_series(1, 101) i");
    ChromeDriver page = dashboard(sam);
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("queue-count"), "102"));
    assertEquals(100, page.findElements(By.cssSelector("#queue > li")).size());
    assertEquals("2 more behind these, oldest first: each one settled brings the next.",
        page.findElement(By.id("queue-more")).getText());
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("pending-count"), "101"));
    assertEquals(100, page.findElements(By.cssSelector("#pending > li")).size());
    assertEquals("1 more behind these, oldest first: each one decided brings the next.",
        page.findElement(By.id("pending-more")).getText());
    waitFor(page, 10).until(ExpectedConditions.titleIs("(203) Parley moderation"));

    long oldest = api.get("/api/mod/queue?limit=1", sam).items().getJsonObject(0).getLong("firstReportId");
    assertEquals(204, api.post("/api/mod/reports/" + oldest + "/resolve", sam,
        new JsonObject().put("action", "dismiss")).status());
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("queue-count"), "101"));
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("queue-more"),
        "1 more behind these, oldest first: each one settled brings the next."));
    assertEquals(100, page.findElements(By.cssSelector("#queue > li")).size(), "the next one came up");
  }

  @Test
  void aReportedCommentItsAuthorDeletesIsMarkedDeletedOnItsCardLive() throws Exception {
    Session author = api.register("grumpy_gus");
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(author, "A thread");
    long commentId = api.comment(author, postId, "Something I will regret", null);
    report(alice, "comment", commentId, "harassment", null);
    ChromeDriver page = dashboard(mod);
    By card = By.id("target-comment-" + commentId);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(card));
    assertTrue(page.findElements(By.cssSelector("#target-comment-" + commentId + " .badge-deleted")).isEmpty());

    assertEquals(204, api.delete("/api/comments/" + commentId, author).status());
    // The moderators heard nothing of a deletion: the card went on showing live content to hide (a page probe).
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#target-comment-" + commentId + " .badge-deleted")));
  }

  @Test
  void aWaitingItemAnotherModeratorDecidesSaysWhoDidWhatBeforeItGoes() throws Exception {
    Session author = api.register("maria_k");
    Session newbie = api.register("newbie");
    Session sam = api.registerWithRole("sam_mod", "moderator");
    Session kim = api.registerWithRole("kim_mod", "moderator");
    long postId = api.createPost(author, "Held back");
    holdHeldword(sam);
    long commentId = api.comment(newbie, postId, "A heldword to decide.", null);
    ChromeDriver page = dashboard(sam);
    By card = By.id("pending-comment-" + commentId);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(card));

    assertEquals(204, api.post("/api/mod/comments/" + commentId + "/approve", kim, null).status());
    // It said nothing: the card, and anything typed into it, just went (a page probe).
    By handled = By.cssSelector("#pending-comment-" + commentId + " .handled");
    waitFor(page, 10).until(ExpectedConditions.textToBe(handled, "Handled by kim_mod: published."));
    // What was handled stays named: "Handled by kim_mod" alone left the moderator to guess which card had gone.
    String said = page.findElement(card).getText();
    assertTrue(said.contains("Comment by newbie") && said.contains("Held back"), said);
    assertTrue(page.findElements(By.cssSelector("#pending-comment-" + commentId + " .actions")).isEmpty(),
        "no Approve or Reject left to press: " + said);
    waitFor(page, 10).until(ExpectedConditions.invisibilityOfElementLocated(card));
    By streamed = By.cssSelector("#stream-comment-" + commentId + " .badge-pending");
    assertTrue(page.findElements(streamed).isEmpty(), "no longer marked pending in the stream");
  }

  @Test
  void aReportCardShowsEachReportersReasonAndWordsGroupsThemAndLinksToTheComment() throws Exception {
    Session author = api.register("maria_k");
    Session troll = api.register("grumpy_gus");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(author, "Harbour footbridge");
    long commentId = api.comment(troll, postId, "Nobody asked for a bridge.", null);
    report(alice, "comment", commentId, "harassment", "Second time this week.");
    report(bob, "comment", commentId, "off_topic", "Not about the bridge design at all.");

    ChromeDriver page = dashboard(mod);
    WebElement card = card(page, commentId);
    assertEquals(1, page.findElements(By.cssSelector("#queue > li")).size(), "two reports on one comment, one card");
    String text = card.getText();
    for (String expected : List.of("Nobody asked for a bridge.", "2 reports", "Harassment from alice",
        "Second time this week.", "Off topic from bob", "Not about the bridge design at all.", "grumpy_gus")) {
      assertTrue(text.contains(expected), "\"" + expected + "\" in: " + text);
    }
    String href = card.findElement(By.cssSelector("a.permalink")).getAttribute("href");
    assertEquals(base + "/posts/" + postId + "#comment-" + commentId, href);
    assertEquals("(1) Parley moderation", page.getTitle());
  }

  /** A reported member's rename shows at once on the open dashboard: on their card, and as a sentence in the log. */
  @Test
  void aRenameShowsLiveOnTheCardsAndInTheLog() throws Exception {
    Session author = api.register("maria_k");
    Session troll = api.register("grumpy_gus");
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(author, "Harbour footbridge");
    long commentId = api.comment(troll, postId, "Nobody asked for a bridge.", null);
    report(alice, "comment", commentId, "harassment", "Second time this week.");
    // And a comment of theirs held for review, whose card's reject form is labelled with their name.
    holdHeldword(mod);
    long heldId = api.comment(troll, postId, "Buy heldword now", null);

    ChromeDriver page = dashboard(mod);
    assertTrue(card(page, commentId).getText().contains("grumpy_gus"));
    String labelsWithOldName = "return [...document.querySelectorAll('[aria-label]')]"
        + ".map(e => e.getAttribute('aria-label')).filter(l => l.includes('grumpy_gus'))";
    waitFor(page, 5).until(ExpectedConditions.presenceOfElementLocated(By.id("pending-comment-" + heldId)));
    assertTrue(((List<?>) js(page, labelsWithOldName)).contains("Reject grumpy_gus's comment"));
    // The moderator is half-way through a ban when the member renames: what they typed stays, and so does the focus.
    card(page, commentId).findElement(By.cssSelector(".ban-toggle")).click();
    WebElement reason = card(page, commentId).findElement(By.cssSelector(".ban-form input[name=reason]"));
    reason.sendKeys("Trolling");
    assertEquals(200, api.patch("/api/me", troll, new JsonObject().put("username", "gentle_gus")
        .put("currentPassword", "correct horse")).status());
    waitFor(page, 5).until(d -> d.findElement(By.cssSelector("#log > li")).getText()
        .startsWith("gentle_gus changed their username from grumpy_gus to gentle_gus"));
    waitFor(page, 5).until(d -> card(d, commentId).getText().contains("Ban gentle_gus"));
    assertFalse(card(page, commentId).getText().contains("grumpy_gus"), card(page, commentId).getText());
    assertEquals("Trolling", reason.getDomProperty("value"), "the half-typed reason is kept");
    assertEquals(reason, page.switchTo().activeElement(), "and the focus");
    assertEquals(List.of(), js(page, "return [...document.querySelectorAll('button.person')]"
        + ".map(b => b.textContent).filter(t => t === 'grumpy_gus')"), "nobody on the page has the old name");
    assertEquals(0L, js(page, "return document.querySelectorAll('a[href=\"/u/grumpy_gus\"]').length"),
        "no link leads to the old name");
    assertEquals(List.of(), js(page, labelsWithOldName), "no label names the old name");
    assertEquals("Reject gentle_gus's comment", page.findElement(By.cssSelector("#pending-comment-" + heldId
        + " .reject-form")).getDomAttribute("aria-label"));
    assertEquals(Boolean.TRUE, js(page, "return [...document.querySelectorAll('#stream button.person')]"
        + ".some(b => b.textContent === 'gentle_gus')"), "the stream names the member anew");
  }

  /** Parley's own report (an edit brought in a held word) arrives live, from Parley, saying what matched. */
  @Test
  void anEditThatBringsInAHeldWordArrivesLiveAsParleysReport() throws Exception {
    Session author = api.register("maria_k");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    holdHeldword(mod);
    long postId = api.createPost(author, "Harbour footbridge");
    long commentId = api.comment(author, postId, "A fine bridge.", null);
    ChromeDriver page = dashboard(mod);
    assertEquals(0, page.findElements(By.cssSelector("#queue > li")).size());
    // A comment arriving live reads as the history's excerpts do: its words, not its Markdown.
    long marked = api.comment(author, postId, "A **bold** claim with `code`", null);
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.cssSelector("#stream-comment-" + marked + " .excerpt"),
        "A bold claim with code"));

    assertEquals(200, api.patch("/api/comments/" + commentId, author,
        new JsonObject().put("body", "A fine bridge. Buy heldword now")).status());
    WebElement card = card(page, commentId);
    String text = card.getText();
    long filterId = TestParley.count("SELECT id FROM mod_filters WHERE pattern = 'heldword'");
    for (String expected : List.of("A fine bridge. Buy heldword now", "1 report", "Held words or links, edited in from Parley",
        "Edited to match the word \"heldword\" (filter " + filterId + ")", "— Parley")) {
      assertTrue(text.contains(expected), "\"" + expected + "\" in: " + text);
    }
    assertFalse(text.contains("null") || text.contains("someone"), text);
    assertEquals("(1) Parley moderation", page.getTitle());

    // The new-content stream lists the comment as it is now, not as it was first written, and says it was edited:
    // live, and in the history a reload reads.
    By streamed = By.cssSelector("#stream-comment-" + commentId + " .excerpt");
    By streamedMeta = By.cssSelector("#stream-comment-" + commentId + " .meta");
    for (int load = 0; load < 2; load++) {
      if (load == 1) page.navigate().refresh();
      waitFor(page, 10).until(ExpectedConditions.textToBe(streamed, "A fine bridge. Buy heldword now"));
      // The item may be drawn twice (the live edit, then the history read on open): read its line when it is there.
      waitFor(page, 5).withMessage(load == 0 ? "live" : "history")
          .until(ExpectedConditions.textToBePresentInElementLocated(streamedMeta, "· edited just now"));
    }

    // Hidden from the card: the author is told it is against the rules, not which of the holds it matched (the
    // hide goes at once as the page is left).
    button(card(page, commentId), "Hide").click();
    waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#toasts .undo")));
    page.get(base + "/");
    waitFor(page, 10).until(d -> hidden(mod, commentId));
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE id = " + commentId
        + " AND hidden_reason = 'Against this site''s rules'"), "the hide's reason, as the author reads it");
  }

  @Test
  void aCommentEditedAfterItWasReportedShowsWhatWasReportedOnTheCardAndOnTheThread() throws Exception {
    Session author = api.register("maria_k");
    Session troll = api.register("grumpy_gus");
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(author, "Harbour footbridge");
    long commentId = api.comment(troll, postId, "You are all *idiots*.\nEvery one of you.", null);
    report(alice, "comment", commentId, "harassment", null);
    ChromeDriver page = dashboard(mod);
    assertEquals(0, card(page, commentId).findElements(By.cssSelector(".as-reported")).size(), "not edited yet");

    // Edited while the card is open: the card changes live to the comment as it is now, and keeps what the report
    // was about, as written (the Markdown, its lines kept).
    Api.Response edit = api.patch("/api/comments/" + commentId, troll, new JsonObject().put("body", "Lovely bridge."));
    assertEquals(200, edit.status(), edit::toString);
    waitFor(page, 10).until(ExpectedConditions.textToBe(
        By.cssSelector("#target-comment-" + commentId + " .card-main > .body"), "Lovely bridge."));
    WebElement card = card(page, commentId);
    assertTrue(card.findElement(By.cssSelector(".as-reported-label")).getText()
        .startsWith("Edited after it was reported."), card.getText());
    assertEquals("You are all *idiots*.\nEvery one of you.",
        card.findElement(By.cssSelector(".as-reported-body")).getText());

    // The thread: "edited" opens the earlier versions for the moderator, and closes them again.
    page.get(base + "/posts/" + postId);
    By editedButton = By.cssSelector("#comment-" + commentId + " button.edited");
    By versions = By.cssSelector("#comment-" + commentId + " .versions");
    WebElement edited = waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(editedButton));
    edited.click();
    WebElement shown = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(versions));
    assertEquals("You are all *idiots*.\nEvery one of you.", shown.findElement(By.cssSelector(".version-body")).getText());
    assertEquals("true", edited.getAttribute("aria-expanded"));
    edited.click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(versions));
    assertEquals("false", edited.getAttribute("aria-expanded"));

    // A reader who is neither the author nor a moderator sees that it was edited, not what it said.
    ChromeDriver reader = browsers.open("reader");
    signIn(reader, base, alice);
    reader.get(base + "/posts/" + postId);
    WebElement meta = waitFor(reader, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#comment-" + commentId + " .meta")));
    assertTrue(meta.getText().contains("· edited just now"), meta.getText());
    assertEquals(edit.json().getString("editedAt"), meta.findElements(By.tagName("time")).get(1).getAttribute("datetime"),
        "when it was edited, exactly, in the time element");
    assertEquals(0, reader.findElements(editedButton).size());
  }

  @Test
  void theViewBarFiltersByKindReasonAndStatus() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Mixed");
    long spam = api.comment(troll, postId, "Cheap pills", null);
    long rude = api.comment(troll, postId, "You are all fools", null);
    long settled = api.comment(troll, postId, "Old news", null);
    report(reader, "comment", spam, "spam", null);
    report(reader, "comment", rude, "harassment", null);
    report(reader, "comment", settled, "other", null);
    long settledReport = api.get("/api/mod/queue?status=open", mod).items().stream()
        .map(JsonObject.class::cast).filter(i -> i.getLong("targetId") == settled).findFirst().orElseThrow()
        .getLong("firstReportId");
    assertEquals(204, api.post("/api/mod/reports/" + settledReport + "/resolve", mod,
        new JsonObject().put("action", "dismiss")).status());

    ChromeDriver page = dashboard(mod);
    card(page, spam);
    card(page, rude);
    new Select(page.findElement(By.id("view-reason"))).selectByValue("spam");
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("target-comment-" + rude)));
    assertTrue(card(page, spam).isDisplayed());
    assertEquals("(2) Parley moderation", page.getTitle(), "the title counts every open card, whatever is shown");

    new Select(page.findElement(By.id("view-reason"))).selectByValue("");
    new Select(page.findElement(By.id("view-status"))).selectByValue("dismissed");
    WebElement old = card(page, settled);
    assertEquals("Dismissed reports", page.findElement(By.id("queue-name")).getText());
    assertTrue(old.findElements(By.xpath(".//button[normalize-space()='Hide']")).isEmpty(), "nothing to decide");
    assertTrue(old.findElement(By.cssSelector(".settled")).getText().startsWith("Dismissed by mod · just now"),
        "who settled it, and when: " + old.getText());
    assertTrue(page.findElements(By.id("target-comment-" + spam)).isEmpty());

    // The author banned (here, from elsewhere): their open cards say so, live, and no longer offer to ban them.
    new Select(page.findElement(By.id("view-status"))).selectByValue("open");
    assertFalse(card(page, spam).findElements(By.cssSelector(".ban-toggle")).isEmpty());
    assertEquals(204, api.post("/api/mod/users/troll/ban", mod, new JsonObject().put("reason", "Spam")).status());
    waitFor(page, 10).until(d -> card(d, spam).getText().contains("author banned"));
    assertTrue(card(page, spam).findElements(By.cssSelector(".ban-toggle")).isEmpty(), "not offered again");

    new Select(page.findElement(By.id("view-show"))).selectByValue("pending");
    assertFalse(page.findElement(By.id("queue-section")).isDisplayed());
    assertTrue(page.findElement(By.id("pending-section")).isDisplayed());
  }

  @Test
  void lockingTheThreadFromACardTurnsItsButtonIntoUnlockAndKeepsFocus() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Heated");
    long commentId = api.comment(troll, postId, "Flame", null);
    report(reader, "comment", commentId, "harassment", null);

    ChromeDriver page = dashboard(mod);
    // The whole thread, its author told: asked first; declined, nothing is locked.
    button(card(page, commentId), "Lock thread…").click();
    org.openqa.selenium.Alert asked = waitFor(page, 5).until(ExpectedConditions.alertIsPresent());
    assertEquals("Lock the whole thread \u201cHeated\u201d to new comments? Its author is told.", asked.getText());
    asked.dismiss();
    assertFalse(api.get("/api/posts/" + postId).json().getBoolean("locked"), "declined: not locked");
    button(card(page, commentId), "Lock thread…").click();
    waitFor(page, 5).until(ExpectedConditions.alertIsPresent()).accept();
    waitFor(page, 5).withMessage("the card shows the thread is locked")
        .until(d -> !d.findElements(By.cssSelector("#target-comment-" + commentId + " .badge-locked")).isEmpty());
    assertTrue(api.get("/api/posts/" + postId).json().getBoolean("locked"));
    WebElement unlock = button(card(page, commentId), "Unlock thread");
    assertEquals(unlock, page.switchTo().activeElement(), "focus stays on the button, now Unlock");
    unlock.click();
    waitFor(page, 5).until(d -> !button(card(d, commentId), "Lock thread…").getText().isEmpty());
    assertFalse(api.get("/api/posts/" + postId).json().getBoolean("locked"));
  }

  /**
   * A report filed while a dismissal waits out its undo window is not dismissed with it: the card is out of every
   * refresh meanwhile, so that report was dismissed unread, its reporter told so (a review). The dismissal closes
   * the reports its card showed, and the card comes back with the new one.
   */
  @Test
  void aReportFiledWhileADismissalWaitsForUndoStaysOpenAndItsCardComesBack() throws Exception {
    Session author = api.register("author");
    Session reader = api.register("reader");
    Session other = api.register("other");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "A thread");
    long comment = api.comment(author, postId, "Borderline", null);
    report(reader, "comment", comment, "off_topic", null);

    ChromeDriver page = dashboard(mod);
    button(card(page, comment), "Dismiss").click();
    waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#toasts .undo")));
    report(other, "comment", comment, "harassment", "he threatened me in messages too");
    assertTrue(page.findElements(By.id("target-comment-" + comment)).isEmpty(), "still waiting out its window");

    waitFor(page, AFTER_UNDO_WINDOW).withMessage("the dismissal is sent after the undo window").until(d -> {
      try {
        return TestParley.count("SELECT count(*) FROM reports WHERE status = 'dismissed'") == 1;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    assertEquals(1, TestParley.count("SELECT count(*) FROM reports WHERE status = 'open' AND details IS NOT NULL"),
        "the report filed in the window is open");
    WebElement back = waitFor(page, 10).until(d -> {
      java.util.List<WebElement> cards = d.findElements(By.id("target-comment-" + comment));
      return cards.isEmpty() || !cards.get(0).getText().contains("threatened me") ? null : cards.get(0);
    });
    assertFalse(back.getText().contains("Off topic"), "the dismissed report is off the card: " + back.getText());
    assertEquals("1", page.findElement(By.id("queue-count")).getText());
  }

  /**
   * Another moderator dismissed the reports they were shown while a newer one is open: this dashboard's card is read
   * again with the open one, not "Handled by" and taken away (the event says a report is still open).
   */
  @Test
  void aCardAnotherModeratorDismissedInPartStaysWithTheReportStillOpen() throws Exception {
    Session author = api.register("author");
    Session reader = api.register("reader");
    Session other = api.register("other");
    Session sam = api.registerWithRole("sam_mod", "moderator");
    Session kim = api.registerWithRole("kim_mod", "moderator");
    long postId = api.createPost(author, "A thread");
    long comment = api.comment(author, postId, "Borderline", null);
    report(reader, "comment", comment, "off_topic", null);
    long shown = TestParley.count("SELECT max(id) FROM reports");
    report(other, "comment", comment, "harassment", "he threatened me in messages too");

    ChromeDriver page = dashboard(sam);
    waitFor(page, 10).until(d -> card(d, comment).getText().contains("threatened me"));
    assertEquals(204, api.post("/api/mod/reports/" + shown + "/resolve", kim,
        new JsonObject().put("action", "dismiss").put("upTo", shown)).status());
    WebElement still = waitFor(page, 10).withMessage("read again with the open report only").until(d -> {
      WebElement c = card(d, comment);
      return c.getText().contains("Off topic") ? null : c;
    });
    assertTrue(still.getText().contains("threatened me"), still.getText());
    assertTrue(page.findElements(By.cssSelector("#target-comment-" + comment + " .actions")).size() == 1,
        "its Hide and Dismiss are still there: " + still.getText());
    assertFalse(still.getText().contains("Handled by"), still.getText());
    assertEquals("1", page.findElement(By.id("queue-count")).getText());
  }

  @Test
  void hideWaitsForUndoAndOnlyAHideLetGoReachesTheServer() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Two rude comments");
    long undone = api.comment(troll, postId, "Rude one", null);
    long letGo = api.comment(troll, postId, "Rude two", null);
    report(reader, "comment", undone, "spam", null);
    report(reader, "comment", letGo, "spam", null);

    ChromeDriver page = dashboard(mod);
    assertEquals("(2) Parley moderation", page.getTitle());
    button(card(page, undone), "Hide").click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("target-comment-" + undone)));
    WebElement undo = waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#toasts .undo")));
    assertTrue(page.findElement(By.id("toasts")).getText().contains("Hiding troll's comment."));
    assertEquals("(1) Parley moderation", page.getTitle(), "the card being hidden no longer counts");
    assertEquals("1", page.findElement(By.id("queue-count")).getText(), "nor in the queue's heading");
    undo.click();
    assertEquals("2", page.findElement(By.id("queue-count")).getText());
    WebElement back = card(page, undone);
    assertEquals("target-comment-" + undone, page.switchTo().activeElement().getDomAttribute("id"),
        "focus returns to the card itself, not to its Hide, one Enter from hiding it again");
    assertTrue(back.getText().contains("Rude one"));
    assertFalse(hidden(mod, undone));

    // The second one is let go: the hide is sent once its window is over. The first hide, had Undo not cancelled
    // it, would have been sent before this one.
    button(card(page, letGo), "Hide").click();
    waitFor(page, AFTER_UNDO_WINDOW).withMessage("the hide reaches the server after the undo window")
        .until(d -> hidden(mod, letGo));
    assertFalse(hidden(mod, undone), "an undone hide is never sent");
    assertTrue(page.findElements(By.id("target-comment-" + letGo)).isEmpty());
    assertTrue(card(page, undone).isDisplayed());
    waitFor(page, 5).until(d -> d.findElements(By.cssSelector("#toasts .undo")).isEmpty());
    // The last card hidden: the heading says 0 and the empty line shows at once, not after the undo window.
    button(card(page, undone), "Hide").click();
    assertEquals("0", page.findElement(By.id("queue-count")).getText());
    assertTrue(page.findElement(By.id("queue-empty")).isDisplayed(), "the queue says it is empty");
    page.findElement(By.cssSelector("#toasts .undo")).click();
    assertEquals("1", page.findElement(By.id("queue-count")).getText());
    assertFalse(page.findElement(By.id("queue-empty")).isDisplayed());
    assertEquals("(1) Parley moderation", page.getTitle());
    // The reporters' reason went with it, and the log says so.
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"),
        "mod hid troll's comment on \"Two rude comments\": Spam"));
  }

  @Test
  void aHideStillWaitingForUndoIsSentWhenTheModeratorLeavesThePage() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Leaving early");
    long commentId = api.comment(troll, postId, "Rude", null);
    report(reader, "comment", commentId, "harassment", null);
    report(author, "comment", commentId, "other", null);

    ChromeDriver page = dashboard(mod);
    button(card(page, commentId), "Hide").click();
    waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#toasts .undo")));
    page.get(base + "/");
    // The page's timers are gone with it: only the keepalive request sent on pagehide can have done this.
    waitFor(page, 10).withMessage("the waiting hide is sent as the page goes").until(d -> hidden(mod, commentId));
    // The author is told the reporters' reasons, "Other" left out: it told them nothing (a moderator's probe).
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE id = " + commentId
        + " AND hidden_reason = 'Harassment'"));
  }

  /** The audit log reaches its older entries (it showed the newest 30 and nothing before them: a probe). */
  @Test
  void theAuditLogLoadsItsOlderEntriesAPageAtATime() throws Exception {
    api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    for (int i = 1; i <= 33; i++) {
      assertEquals(201, api.post("/api/mod/users/alice/notes", mod, new JsonObject().put("body", "Note " + i)).status());
    }
    ChromeDriver page = dashboard(mod);
    By entries = By.cssSelector("#log > li");
    waitFor(page, 10).until(d -> d.findElements(entries).size() == 30);
    WebElement more = page.findElement(By.id("log-more"));
    assertTrue(more.isDisplayed(), "there is more");
    // One arriving live meanwhile goes on top; none is taken from the end, so the older page skips nothing.
    assertEquals(201, api.post("/api/mod/users/alice/notes", mod, new JsonObject().put("body", "Note 34")).status());
    waitFor(page, 10).until(d -> d.findElements(entries).size() == 31);
    more.click();
    waitFor(page, 10).until(d -> d.findElements(entries).size() == 34);
    assertFalse(page.findElement(By.id("log-more")).isDisplayed(), "the oldest is shown");
    java.util.List<String> ids = page.findElements(entries).stream().map(e -> e.getAttribute("id")).toList();
    assertEquals(34, new java.util.HashSet<>(ids).size(), "each entry once: " + ids);
    assertEquals(ids.get(31), BrowserSupport.js(page, "return document.activeElement.id"),
        "focus on the first entry it brought");
  }

  @Test
  void theBanFormOpensOnlyOnRequestAndBansOnlyAfterConfirming() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Ban me");
    long commentId = api.comment(troll, postId, "Buy pills", null);
    report(reader, "comment", commentId, "spam", null);

    ChromeDriver page = dashboard(mod);
    WebElement card = card(page, commentId);
    WebElement form = card.findElement(By.cssSelector(".ban-form"));
    assertFalse(form.isDisplayed(), "no ban form until asked for");
    WebElement toggle = card.findElement(By.cssSelector(".ban-toggle"));
    assertEquals("Ban troll…", toggle.getText());
    toggle.click();
    assertTrue(form.isDisplayed());
    assertEquals("true", toggle.getAttribute("aria-expanded"));
    assertEquals(form.findElement(By.name("reason")), page.switchTo().activeElement());

    // A ban without a reason is refused in place.
    button(form, "Ban…").click();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElement(form, "Reason is required"));
    assertFalse(form.findElement(By.cssSelector(".ban-confirm")).isDisplayed());

    form.findElement(By.name("reason")).sendKeys("Spam everywhere");
    new Select(form.findElement(By.name("duration"))).selectByVisibleText("30 days");
    button(form, "Ban…").click();
    WebElement confirm = waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(
        card.findElement(By.cssSelector(".confirm-ban"))));
    assertTrue(form.getText().contains("Ban troll for 30 days?"), form.getText());
    assertNull(api.get("/api/mod/users/troll", mod).json().getJsonObject("ban"), "not banned before confirming");

    confirm.click();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElement(form, "troll is banned until"));
    JsonObject ban = api.get("/api/mod/users/troll", mod).json().getJsonObject("ban");
    assertNotNull(ban, "banned after confirming");
    assertEquals("Spam everywhere", ban.getString("reason"));
    assertNotNull(ban.getString("until"));
  }

  /** A spammer's wave: the ban's box takes down everything of theirs with it, and the form says how much. */
  @Test
  void aBanCanTakeDownEverythingTheMemberPostedAndSaysHowMuch() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Ban me");
    long reported = api.comment(troll, postId, "Buy pills", null);
    long other = api.comment(troll, api.createPost(author, "Elsewhere"), "Buy more pills", null);
    long own = api.createPost(troll, "Pills for sale");
    report(reader, "comment", reported, "spam", null);

    ChromeDriver page = dashboard(mod);
    WebElement card = card(page, reported);
    card.findElement(By.cssSelector(".ban-toggle")).click();
    WebElement form = card.findElement(By.cssSelector(".ban-form"));
    form.findElement(By.name("reason")).sendKeys("Spam wave");
    new Select(form.findElement(By.name("duration"))).selectByVisibleText("For good");
    WebElement box = form.findElement(By.name("removeContent"));
    assertFalse(box.isSelected(), "off unless asked for");
    // Its label is the box's own: a click on the words ticks it.
    form.findElement(By.xpath(".//label[contains(., 'Also hide everything they posted')]")).click();
    assertTrue(box.isSelected());
    button(form, "Ban…").click();
    WebElement confirm = waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(
        card.findElement(By.cssSelector(".confirm-ban"))));
    assertTrue(form.getText().contains("Ban troll for good, and hide every post and comment of theirs?"),
        form.getText());
    assertFalse(hidden(mod, other), "nothing taken down before confirming");

    confirm.click();
    // The card goes with its reports, settled by the hide; what was taken down is said aloud, and the audit log
    // lists each piece.
    waitFor(page, 10).until(d -> "troll is banned. Hidden: 1 post, 2 comments.".equals(
        BrowserSupport.js(page, "return document.getElementById('announcer')?.textContent")));
    waitFor(page, 10).until(ExpectedConditions.invisibilityOfElementLocated(By.id("target-comment-" + reported)));
    // Said where it stays in sight, the card having gone (the words were inside it), and focus moved on from it
    // (it fell to the page: a moderator's probe).
    assertTrue(page.findElement(By.id("toasts")).getText().contains("troll is banned. Hidden: 1 post, 2 comments."),
        page.findElement(By.id("toasts")).getText());
    assertFalse("BODY".equals(BrowserSupport.js(page, "return document.activeElement.tagName")), "focus kept");
    waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"),
        "mod hid troll's comment on \"Elsewhere\": Spam wave"));
    assertTrue(hidden(mod, reported));
    assertTrue(hidden(mod, other));
    assertEquals(404, api.get("/api/posts/" + own).status(), "their post is gone for readers");
    assertEquals("Spam wave", api.get("/api/mod/users/troll", mod).json().getJsonObject("ban").getString("reason"));
  }

  @Test
  void approvingAHeldCommentItsAuthorEditedSinceTheCardWasShownIsRefusedAndTheCardShowsTheNewText() throws Exception {
    Session author = api.register("author");
    Session newbie = api.register("newbie");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Held back");
    holdHeldword(mod);
    long commentId = api.comment(newbie, postId, "A harmless heldword.", null);

    ChromeDriver page = dashboard(mod);
    By cardId = By.id("pending-comment-" + commentId);
    By body = By.cssSelector("#pending-comment-" + commentId + " .body");
    WebElement card = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(cardId));
    assertTrue(card.getText().contains("A harmless heldword."), card.getText());

    // An edit the card has not heard of (made here in the database, as if its event were still on its way):
    // approving the text shown is refused, and the card then shows the text as it is.
    TestParley.sql("UPDATE comments SET body = 'Something else, heldword.', body_html = '<p>Something else, "
        + "heldword.</p>', edited_at = now() WHERE id = " + commentId);
    button(card, "Approve").click();
    waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#pending-comment-"
        + commentId + " .card-error"), "It was edited after you read it"));
    assertTrue(comment(mod, commentId).getBoolean("pending"), "not approved");
    waitFor(page, 10).until(ExpectedConditions.textToBe(body, "Something else, heldword."));
    assertTrue(page.findElement(By.cssSelector("#pending-comment-" + commentId + " .meta")).getText()
        .contains("edited"), "the card says it was edited");

    // An edit through the API reaches the open card live.
    Api.Response edit = api.patch("/api/comments/" + commentId, newbie,
        new JsonObject().put("body", "Something else entirely, heldword."));
    assertEquals(200, edit.status(), edit::toString);
    waitFor(page, 10).until(ExpectedConditions.textToBe(body, "Something else entirely, heldword."));

    // What the card shows is what is approved.
    button(page.findElement(cardId), "Approve").click();
    waitFor(page, 10).until(ExpectedConditions.invisibilityOfElementLocated(cardId));
    assertFalse(comment(mod, commentId).getBoolean("pending"));
    assertEquals("Something else entirely, heldword.", comment(mod, commentId).getString("body"));
  }

  @Test
  void aHeldCommentAppearsLiveAndApprovingPublishesIt() throws Exception {
    Session author = api.register("author");
    Session newbie = api.register("newbie");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Held back");

    ChromeDriver page = dashboard(mod);
    assertTrue(page.findElement(By.id("pending-empty")).isDisplayed());
    assertEquals("Parley moderation", page.getTitle());

    holdHeldword(mod);
    long commentId = api.comment(newbie, postId, "This one says heldword, so it waits.", null);
    assertTrue(comment(mod, commentId).getBoolean("pending"));

    WebElement card = waitFor(page, 5).withMessage("the held comment arrives live")
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("pending-comment-" + commentId)));
    assertTrue(card.getText().contains("This one says heldword, so it waits."), card.getText());
    assertTrue(card.getText().contains("Held"), card.getText());
    assertTrue(card.getText().contains("\"Held back\""), card.getText());
    assertFalse(page.findElement(By.id("pending-empty")).isDisplayed());
    waitFor(page, 5).until(ExpectedConditions.titleIs("(1) Parley moderation"));

    button(card, "Approve").click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("pending-comment-" + commentId)));
    assertFalse(comment(mod, commentId).getBoolean("pending"));
    assertEquals(200, api.get("/api/comments/" + commentId).status(), "published: everyone reads it");
    waitFor(page, 5).until(ExpectedConditions.titleIs("Parley moderation"));
    assertTrue(page.findElement(By.id("pending-empty")).isDisplayed());
  }

  @Test
  void rejectingAsksForAReasonAndRemovesTheComment() throws Exception {
    Session author = api.register("author");
    Session newbie = api.register("newbie");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Held back");
    holdHeldword(mod);
    long commentId = api.comment(newbie, postId, "heldword again", null);

    ChromeDriver page = dashboard(mod);
    WebElement card = waitFor(page, 5)
        .until(ExpectedConditions.visibilityOfElementLocated(By.id("pending-comment-" + commentId)));
    WebElement form = card.findElement(By.cssSelector(".reject-form"));
    assertFalse(form.isDisplayed());
    button(card, "Reject…").click();
    button(form, "Reject comment for good").click();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElement(form, "Reason is required"));
    assertTrue(comment(mod, commentId).getBoolean("pending"), "nothing sent without a reason");

    form.findElement(By.name("reason")).sendKeys("Advertising");
    button(form, "Reject comment for good").click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOfElementLocated(By.id("pending-comment-" + commentId)));
    // Removed: no longer waiting, and in no one's thread, a moderator's included (404).
    assertEquals(0L, api.get("/api/mod/pending", mod).json().getLong("total"));
    assertEquals(404, api.get("/api/comments/" + commentId, mod).status());
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"),
        "mod rejected newbie's comment on \"Held back\": Advertising"));
  }

  @Test
  void theAuditLogReadsAsSentencesWithLinks() throws Exception {
    Session author = api.register("maria_k");
    Session troll = api.register("grumpy_gus");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long postId = api.createPost(author, "Harbour footbridge");
    long commentId = api.comment(troll, postId, "Spam spam spam", null);
    assertEquals(204, api.post("/api/mod/comments/" + commentId + "/hide", mod,
        new JsonObject().put("reason", "Spam")).status());

    ChromeDriver page = dashboard(mod);
    WebElement entry = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#log > li")));
    assertTrue(entry.getText().startsWith("sam_mod hid grumpy_gus's comment on \"Harbour footbridge\": Spam"),
        entry.getText());
    assertEquals(base + "/posts/" + postId + "#comment-" + commentId,
        entry.findElement(By.xpath(".//a[normalize-space()='comment']")).getAttribute("href"));
    assertEquals(base + "/posts/" + postId,
        entry.findElement(By.xpath(".//a[normalize-space()='Harbour footbridge']")).getAttribute("href"));

    // New entries arrive live, as sentences too.
    assertEquals(204, api.post("/api/mod/posts/" + postId + "/lock", mod, null).status());
    waitFor(page, 5).until(d -> d.findElement(By.cssSelector("#log > li")).getText()
        .startsWith("sam_mod locked the thread \"Harbour footbridge\""));

    // The log sits below the stream: a link at the top of the page goes to it.
    long other = api.createPost(author, "Another thread");
    for (int i = 0; i < 25; i++) api.comment(author, other, "Filler " + i + "\n\nwith a second paragraph", null);
    page.navigate().refresh();
    waitFor(page, 10).until(d -> d.findElements(By.cssSelector("#stream > li")).size() == 20);
    // The panels show once every section has loaded (five reads at once, one more than an address's read turns), which
    // may come after the stream's items are in.
    waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.cssSelector(".mod-jump a[href='#log-title']")))
        .click();
    waitFor(page, 5).until(d -> (Boolean) js(d, "const r = document.getElementById('log-title').getBoundingClientRect();"
        + "return r.top >= 0 && r.top < innerHeight;"));
  }

  @Test
  void filtersAreAddedWithTheServersMessagesShownInPlaceAndRemoved() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    ChromeDriver page = dashboard(mod);
    assertTrue(page.findElement(By.id("filters-empty")).isDisplayed());

    new Select(page.findElement(By.id("filter-kind"))).selectByValue("pattern");
    page.findElement(By.id("filter-pattern")).sendKeys("(unclosed");
    button(page.findElement(By.id("filter-form")), "Add filter").click();
    WebElement error = waitFor(page, 5)
        .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#filter-form .field-error")));
    assertTrue(error.getText().contains("is not a valid regular expression"), error.getText());
    assertEquals("true", page.findElement(By.id("filter-pattern")).getAttribute("aria-invalid"));
    assertEquals(0, api.get("/api/mod/filters", mod).items().size());

    new Select(page.findElement(By.id("filter-kind"))).selectByValue("word");
    page.findElement(By.id("filter-pattern")).clear();
    page.findElement(By.id("filter-pattern")).sendKeys("casino");
    new Select(page.findElement(By.id("filter-action"))).selectByValue("refuse");
    button(page.findElement(By.id("filter-form")), "Add filter").click();
    WebElement item = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#filters > li")));
    assertTrue(item.getText().contains("casino"), item.getText());
    assertTrue(item.getText().contains("refused"), item.getText());
    assertTrue(page.findElements(By.cssSelector("#filter-form .field-error")).isEmpty(), "the old error is gone");
    JsonObject stored = api.get("/api/mod/filters", mod).items().getJsonObject(0);
    assertEquals("casino", stored.getString("pattern"));
    assertEquals("refuse", stored.getString("action"));

    // The same word again: the server's message, in the form.
    page.findElement(By.id("filter-pattern")).sendKeys("Casino");
    button(page.findElement(By.id("filter-form")), "Add filter").click();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("#filter-form .form-error"), "already on the list"));

    item.findElement(By.cssSelector("button.remove-filter")).click();
    waitFor(page, 5).until(d -> d.findElements(By.cssSelector("#filters > li")).isEmpty());
    assertTrue(page.findElement(By.id("filters-empty")).isDisplayed());
    assertEquals(0, api.get("/api/mod/filters", mod).items().size());
  }

  @Test
  void theUserCardShowsCountsAndTakesANote() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("troll_before");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    // A rename does not hide who someone was: it is on their record.
    assertEquals(200, api.patch("/api/me", troll, new JsonObject().put("username", "troll")
        .put("currentPassword", "correct horse")).status());
    long postId = api.createPost(author, "Cards");
    api.createPost(troll, "Troll's own post");
    long commentId = api.comment(troll, postId, "One", null);
    api.comment(troll, postId, "Two", null);
    report(reader, "comment", commentId, "spam", null);

    ChromeDriver page = dashboard(mod);
    WebElement card = card(page, commentId);
    card.findElement(By.xpath(".//button[contains(@class,'person') and normalize-space()='troll']")).click();
    WebElement dialog = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("user-card")));
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#user-card .counts")));
    assertEquals("troll", dialog.findElement(By.id("user-card-title")).getText());
    @SuppressWarnings("unchecked")
    Map<String, String> counts = (Map<String, String>) js(page, "return Object.fromEntries([...document.querySelectorAll("
        + "'#user-card .counts > div')].map(d => [d.querySelector('dt').textContent, d.querySelector('dd').textContent]));");
    assertEquals(Map.of("Posts", "1", "Comments", "2", "Waiting for approval", "0", "Hidden", "0", "Reports against", "1",
        "Bans", "0"), counts);
    assertTrue(dialog.getText().contains("Not banned."), dialog.getText());
    assertTrue(dialog.findElement(By.cssSelector(".history")).getText()
        .contains("troll changed their username from troll_before to troll"), dialog.getText());

    WebElement body = dialog.findElement(By.cssSelector(".note-form textarea"));
    body.sendKeys("Warned by DM about tone.");
    button(dialog, "Add note").click();
    waitFor(page, 5).until(ExpectedConditions.textToBePresentInElement(
        dialog.findElement(By.cssSelector(".notes")), "Warned by DM about tone."));
    assertEquals("", body.getAttribute("value"));
    JsonObject stored = api.get("/api/mod/users/troll", mod).json();
    assertEquals("Warned by DM about tone.", stored.getJsonArray("notes").getJsonObject(0).getString("body"));

    button(dialog, "Close").click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOf(dialog));
    assertEquals("troll", page.switchTo().activeElement().getText(), "focus goes back to the name");
  }

  /**
   * On a phone the toasts span the window's width at its foot: after a decision, the card focus moves to is scrolled
   * clear of them (a page review, 320 px wide: the next card's Approve and Reject sat under the toast).
   */
  @Test
  void onAPhoneTheCardFocusMovesToAfterADecisionIsClearOfTheToast() throws Exception {
    Session author = api.register("author");
    Session newbie = api.register("newbie");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "Held back");
    holdHeldword(mod);
    List<Long> held = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(api.comment(newbie, postId, "Comment " + i + " says heldword. " + "A few words to give it height. ".repeat(6),
          null));
    }
    ChromeDriver page = browsers.open("phone");
    page.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", 320, "height", 640, "deviceScaleFactor", 2, "mobile", true));
    signIn(page, base, mod);
    page.get(base + "/mod");
    waitUntilLive(page);
    for (int round = 0; round < 2; round++) {
      WebElement first = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
          By.cssSelector("#pending > li:first-child")));
      WebElement next = page.findElement(By.cssSelector("#pending > li:nth-child(2)"));
      // The next card begins just above the window's foot, where the toast will be.
      js(page, "window.scrollBy({top: arguments[0].getBoundingClientRect().top - (innerHeight - 70), behavior: 'instant'});",
          next);
      button(first, "Approve").click();
      waitFor(page, 5).until(ExpectedConditions.stalenessOf(first));
      waitFor(page, 5).until(d -> next.equals(d.switchTo().activeElement()));
      // Each decision's toast stays 4 s: the second round's is stacked on the first's.
      int toasts = round + 1;
      waitFor(page, 5).until(d -> d.findElements(By.cssSelector("#toasts .toast")).size() == toasts);
      WebElement toast = page.findElement(By.id("toasts"));
      String overlap = (String) js(page, "const a = arguments[0].getBoundingClientRect();"
          + " const b = arguments[1].getBoundingClientRect();"
          + " return a.bottom > b.top && a.top < b.bottom ? `card ${a.top}-${a.bottom}, toast ${b.top}-${b.bottom}` : '';",
          next, toast);
      assertEquals("", overlap, "the focused card is clear of the toasts");
    }
  }

  @Test
  void atPhoneWidthNothingScrollsSideways() throws Exception {
    Session author = api.register("author");
    Session troll = api.register("a_rather_long_username_x");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod", "moderator");
    long postId = api.createPost(author, "A post with a long title that has to wrap somewhere on a phone screen");
    long commentId = api.comment(troll, postId,
        "https://example.org/a/very/long/link/that/never/breaks/anywhere/at/all/unless/we/let/it/" + "x".repeat(80), null);
    report(reader, "comment", commentId, "spam", "A long explanation: " + "y".repeat(120));
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('pattern','"
        + "z".repeat(150) + "|heldword','hold', " + mod.id() + ")");
    long held = api.comment(troll, postId, "heldword", null);
    assertEquals(204, api.post("/api/mod/posts/" + postId + "/lock", mod, null).status());
    String longTitle = "A title of two hundred characters " + "that goes on and on ".repeat(9);
    longTitle = longTitle.substring(0, 200);
    long longPost = api.createPost(author, longTitle);
    report(reader, "post", longPost, "off_topic", null);

    ChromeDriver page = browsers.open("phone");
    page.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
    signIn(page, base, mod);
    page.get(base + "/mod");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("pending-comment-" + held)));
    WebElement card = card(page, commentId);
    // The member's record: Close keeps its word whole beside a long name (it read "Cl/os/e": a page review).
    card.findElement(By.cssSelector("button.person")).click();
    WebElement record = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("user-card")));
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("user-card-title"), "a_rather_long_username_x"));
    assertEquals(Boolean.TRUE, js(page, "const b = document.getElementById('user-card-close');"
        + " return b.getClientRects().length === 1 && b.scrollWidth <= b.clientWidth"
        + " && b.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(b).lineHeight);"),
        "Close on one line: " + js(page, "return document.getElementById('user-card-close').getBoundingClientRect().height;"));
    record.findElement(By.id("user-card-close")).click();
    waitFor(page, 5).until(ExpectedConditions.invisibilityOf(record));
    card.findElement(By.cssSelector(".ban-toggle")).click();
    waitUntilLive(page);

    assertEquals(390L, ((Number) js(page, "return document.documentElement.clientWidth;")).longValue());
    assertTrue((Boolean) js(page, "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;"),
        "scrollWidth " + js(page, "return document.documentElement.scrollWidth;"));
    assertEquals(0L, js(page, "return [...document.querySelectorAll('header.site, .mod-card, .filter-item, .log-item, "
        + ".stream-item, #filter-form')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth"
        + " || e.getBoundingClientRect().left < 0).length;"), "every card fits");
    double headerHeight = ((Number) js(page,
        "return document.querySelector('header.site').getBoundingClientRect().height;")).doubleValue();
    assertTrue(headerHeight < 85, "the header takes at most two rows: " + headerHeight + " px");
    double search = ((Number) js(page,
        "return document.getElementById('site-search-q').getBoundingClientRect().width;")).doubleValue();
    assertTrue(search > 200, "the search box has the first row beside the brand (it once showed 'Sear'): " + search);
    // A long title takes two lines of its card at most (a page review: eight), the whole of it in its tooltip; a long
    // username is never broken across lines.
    WebElement title = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("#target-post-" + longPost + " .post-line .post-title")));
    assertEquals(longTitle, title.getDomAttribute("title"));
    double lines = ((Number) js(page, "const e = arguments[0]; return e.getBoundingClientRect().height"
        + " / parseFloat(getComputedStyle(e).lineHeight);", title)).doubleValue();
    assertTrue(lines <= 2.05, "the title takes " + lines + " lines");
    assertEquals(0L, js(page, "return [...document.querySelectorAll('button.person')].filter(b => b.getClientRects()"
        + ".length > 1 || b.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(b).lineHeight)).length;"),
        "every name on one line");
    // A long title quoted in a sentence ("on "…"") is cut at a word by the script, so the stylesheet's own ellipsis
    // (which left a gap before the closing quote) has nothing left to cut; the whole title is its tooltip and what a
    // screen reader reads.
    String quotedTitle = "A post with a long title that has to wrap somewhere on a phone screen";
    WebElement quoted = card(page, commentId).findElement(By.cssSelector(".quoted-title a"));
    assertEquals("A post with a long title that has to…", quoted.getText());
    assertEquals(quotedTitle, quoted.getDomAttribute("title"));
    assertEquals(quotedTitle, quoted.getDomAttribute("aria-label"));
    assertTrue((Boolean) js(page, "return arguments[0].scrollWidth <= arguments[0].clientWidth;", quoted),
        "the cut title fits its box: " + js(page, "return arguments[0].scrollWidth + ' > ' + arguments[0].clientWidth;",
        quoted));
  }
}
