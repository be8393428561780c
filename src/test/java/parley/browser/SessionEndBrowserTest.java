package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;
import parley.TestTokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.openPost;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;
import static parley.browser.BrowserSupport.waitUntilLive;

/**
 * A page open while its session ends, or while its thread is taken away and given back: it says so and recovers,
 * where it used to go on saying "Live" and hear nothing (a page probe, 2026-12-04: a moderator's dashboard left open
 * past the token's end stopped getting reports; a reader's page stayed on "[removed by a moderator]" after the
 * post was restored; a comment sent after a sign-out everywhere was answered with the API's own 401 text).
 */
@ExtendWith(TestParley.class)
class SessionEndBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  private static String text(WebDriver page, String id) {
    return page.findElement(By.id(id)).getText();
  }

  @Test
  void aDashboardSaysWhenItsSessionExpiresAndIsLiveAgainOnceSignedInInAnotherTab() throws Exception {
    Session mod = api.registerWithRole("kim_mod", "moderator");
    Session author = api.register("maria_k");
    Session reporter = api.register("alice");
    long post = api.createPost(author, "A thread to report");
    // A token that ends in a few seconds, as every token ends (PARLEY_TOKEN_TTL).
    Session shortLived = new Session(TestTokens.expiringAt(mod.id(), TestTokens.now() + 15), mod.id(), mod.username());
    WebDriver page = browsers.open("moderator");
    signIn(page, base, shortLived);
    page.get(base + "/mod");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-panels")));
    waitUntilLive(page);

    waitFor(page, 30).until(ExpectedConditions.visibilityOfElementLocated(By.id("session-notice")));
    assertTrue(text(page, "session-notice").startsWith("Your session has expired. Sign in again"),
        text(page, "session-notice"));
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("live-status"), "Not live"));
    assertTrue(page.findElement(By.id("sign-in")).isDisplayed(), "the header is signed out");
    assertEquals("_blank", page.findElement(By.id("sign-in-again")).getAttribute("target"),
        "signing in again leaves this page where it is");

    // Signed in again in another tab: this one hears of it through the shared storage and follows the queue again.
    String dashboard = page.getWindowHandle();
    page.switchTo().newWindow(WindowType.TAB);
    signIn(page, base, mod);
    page.close();
    page.switchTo().window(dashboard);
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("session-notice"), "You are signed in again as kim_mod."));
    waitUntilLive(page);
    assertEquals(201, api.post("/api/reports", reporter, new JsonObject().put("targetType", "post")
        .put("targetId", post).put("reason", "spam")).status());
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.id("target-post-" + post)));
  }

  @Test
  void aReaderSignedOutEverywhereKeepsTheThreadLiveAndIsToldSoWhenSending() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(bob, "Bob's thread");
    long mine = api.comment(alice, post, "Alice said this before", null);
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    openPost(page, base, post);

    assertEquals(204, api.post("/api/auth/logout-all", alice, null).status());
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("session-notice")));
    assertTrue(text(page, "session-notice").startsWith("Your session has ended"), text(page, "session-notice"));
    // The thread is anyone's to follow: it goes on without the token, from where it was.
    api.comment(bob, post, "Still live after the sign-out", null);
    waitFor(page, 10).until(d -> ((String) js(d, "return document.getElementById('comments').textContent;"))
        .contains("Still live after the sign-out"));
    assertEquals("Live", text(page, "live-status"));

    page.findElement(By.id("comment-body")).sendKeys("A comment written before I knew");
    page.findElement(By.cssSelector("#comment-form button[type=submit]")).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.cssSelector("#comment-form .form-error"),
        "Your session has ended: sign in again to send this. Your text is kept."));
    assertEquals("A comment written before I knew",
        ((JavascriptExecutor) page).executeScript("return document.getElementById('comment-body').value;"));
    // A delete refused for the same reason says so (it did nothing at all, not even an error).
    page.findElement(By.xpath("//li[@id='comment-" + mine + "']//button[normalize-space()='Delete']")).click();
    page.switchTo().alert().accept();
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("post-notice"),
        "Your session has ended: sign in again to do that."));
  }

  @Test
  void aPostApprovedElsewhereIsPublishedOnItsAuthorsAndAModeratorsOpenPages() throws Exception {
    Session mod = api.registerWithRole("sam_mod", "moderator");
    Session other = api.registerWithRole("kim_mod", "moderator");
    Session author = api.register("writer");
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word','reviewme','hold', "
        + mod.id() + ") ON CONFLICT DO NOTHING");
    long post = api.createPost(author, "Please reviewme first");
    assertTrue(api.get("/api/posts/" + post, author).json().getBoolean("pending"), "held for review");
    WebDriver mine = browsers.open("author");
    signIn(mine, base, author);
    openPost(mine, base, post);
    WebDriver modPage = browsers.open("moderator");
    signIn(modPage, base, mod);
    openPost(modPage, base, post);
    assertTrue(text(mine, "post-notice").startsWith("Your post is waiting for a moderator"), text(mine, "post-notice"));
    assertFalse(mine.findElement(By.id("comment-form")).isDisplayed(), "a post waiting for review takes no comments");

    // Another moderator approves it from the dashboard.
    assertEquals(204, api.post("/api/mod/posts/" + post + "/approve", other, null).status());
    waitFor(mine, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("comment-form")));
    waitFor(mine, 10).until(d -> !text(d, "post-meta").contains("waiting for review"));
    assertFalse(text(mine, "post-notice").contains("waiting"), text(mine, "post-notice"));
    waitFor(modPage, 10).until(d -> !text(d, "post-meta").contains("waiting for review"));

    // A comment held on the thread reaches the moderators on it as it arrives, marked, as it does the dashboard.
    long held = api.comment(author, post, "A comment to reviewme as well", null);
    waitFor(modPage, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("comment-" + held),
        "waiting for review"));
  }

  @Test
  void aPostHiddenAndRestoredComesBackOnAReadersOpenPage() throws Exception {
    Session mod = api.registerWithRole("sam_mod", "moderator");
    Session bob = api.register("bob");
    long post = api.createPost(bob, "Hidden by mistake");
    WebDriver page = browsers.open("reader");
    openPost(page, base, post);
    assertTrue(page.findElement(By.id("signed-out-comment")).isDisplayed(), "a reader signed out is asked to sign in");

    assertEquals(204, api.post("/api/mod/posts/" + post + "/hide", mod, new JsonObject().put("reason", "Spam"))
        .status());
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("post-title"), "[removed by a moderator]"));
    waitFor(page, 5).until(ExpectedConditions.textToBe(By.id("live-status"), "Not live"));
    // Not to comment on, or manage, a post that is gone.
    assertFalse(page.findElement(By.id("signed-out-comment")).isDisplayed());
    assertFalse(page.findElement(By.id("signed-out-manage")).isDisplayed());

    assertEquals(204, api.post("/api/mod/posts/" + post + "/restore", mod, null).status());
    api.comment(bob, post, "Said after the restore", null);
    // The page asks for the thread again 15 s after it was taken, and the replay brings the restore and what followed.
    waitFor(page, 30).until(ExpectedConditions.textToBe(By.id("post-title"), "Hidden by mistake"));
    waitUntilLive(page);
    waitFor(page, 10).until(d -> ((String) js(d, "return document.getElementById('comments').textContent;"))
        .contains("Said after the restore"));
    assertTrue(page.findElement(By.id("signed-out-comment")).isDisplayed(), "asked again once it is back");
  }
}
