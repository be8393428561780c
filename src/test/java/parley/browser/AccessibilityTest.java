package parley.browser;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;

/**
 * axe-core (the engine browser accessibility checkers use) on every page, signed out and in, in the light and the
 * dark theme: no violation of any rule it runs by default (WCAG 2.0/2.1 A and AA, and best practices). axe-core
 * comes from src/test/node (npm ci); without it the test is skipped, unless PARLEY_REQUIRE_NODE is set (.ci/run).
 */
@ExtendWith(TestParley.class)
class AccessibilityTest {

  private static final Path AXE = Path.of("src", "test", "node", "node_modules", "axe-core", "axe.min.js");
  private static String axe;

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  @BeforeAll
  static void loadAxe() throws Exception {
    if (!Files.exists(AXE)) {
      String why = AXE + " is missing: run npm ci in src/test/node";
      if (System.getenv("PARLEY_REQUIRE_NODE") != null) fail(why);
      Assumptions.abort(why);
    }
    axe = Files.readString(AXE);
  }

  /** Runs axe on the page as it is; returns each violation as "rule: target (impact)". */
  private static List<String> violations(ChromeDriver page) {
    // Injected by evaluation (the pages' Content-Security-Policy refuses script elements that are not Parley's), once
    // a page: half a megabyte of script to read.
    if (!Boolean.TRUE.equals(js(page, "return window.__axeLoaded === true;"))) {
      js(page, axe + "\n;window.__axeLoaded = true;");
    }
    Object raw = page.executeAsyncScript("const done = arguments[arguments.length - 1];"
        + "axe.run(document, { resultTypes: ['violations'] }).then(r => done(JSON.stringify(r.violations)))"
        + ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: String(e), nodes: []}])));");
    List<String> out = new ArrayList<>();
    for (Object v : new JsonArray((String) raw)) {
      JsonObject violation = (JsonObject) v;
      StringBuilder where = new StringBuilder();
      for (Object n : violation.getJsonArray("nodes")) where.append(((JsonObject) n).getJsonArray("target")).append(' ');
      out.add(violation.getString("id") + ": " + where.toString().strip() + " (" + violation.getString("impact") + ")");
    }
    return out;
  }

  private static void theme(ChromeDriver page, String scheme) {
    page.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
        List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
  }

  /** Every page in both themes: 131 s of a CI run when each was loaded once per theme. */
  @Test
  @org.junit.jupiter.api.Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
  void everyPageInBothThemesHasNoViolations() {
    Session mod = registerWithRole("mod", "admin");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long postId = api.createPost(alice, "Accessible threads");
    long comment = api.comment(bob, postId, "A first comment with a [link](https://example.org) and `code`.", null);
    long reply = api.comment(alice, postId, "A reply, mentioning @bob", comment);
    // Votes and tags: bob's own up votes show pressed, mod's make the scores differ.
    for (String item : List.of("/api/posts/" + postId, "/api/comments/" + reply)) {
      assertEquals(200, api.put(item + "/vote", bob, new JsonObject().put("value", 1)).status());
      assertEquals(200, api.put(item + "/vote", mod, new JsonObject().put("value", 1)).status());
    }
    assertEquals(200, api.patch("/api/posts/" + postId, alice, new JsonObject()
        .put("tags", new JsonArray(List.of("accessibility", "show-hn")))).status());
    assertEquals(201, api.post("/api/reports", alice, new JsonObject().put("targetType", "comment")
        .put("targetId", comment).put("reason", "spam").put("details", "Looks automated.")).status());
    // What moderators see on a thread: a comment waiting for review and one they hid.
    try {
      parley.TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', "
          + "'hold', " + alice.id() + ")");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    api.comment(bob, postId, "A heldword comment, waiting for review", null);
    long hidden = api.comment(bob, postId, "A comment a moderator hid", null);
    assertEquals(204, api.post("/api/mod/comments/" + hidden + "/hide", mod, new JsonObject().put("reason", "Rude"))
        .status());

    assertEquals(200, api.put("/api/users/alice/follow", bob, new JsonObject()).status());
    // A reset link (opening it uses nothing up): its form names the account.
    String resetToken = api.post("/api/admin/users/bob/password-reset", mod, null).json().getString("token");

    ChromeDriver page = browsers.open("axe");
    Map<String, List<String>> found = new java.util.LinkedHashMap<>();
    // Each page in both themes as it stands, one after the other (the themes are the stylesheets' alone): loading
    // every page once per theme took 131 s of a CI run.
    page.manage().deleteAllCookies();
    page.get(base + "/login");
    js(page, "localStorage.clear();");
    check(page, found, "feed, signed out", "/", By.cssSelector("#feed li"));
    check(page, found, "post, signed out", "/posts/" + postId, By.cssSelector("#comments .comment"));
    check(page, found, "login", "/login", By.id("login-form"));
    check(page, found, "password reset", "/reset#token=" + resetToken,
        By.cssSelector("#reset-account-field:not([hidden])"));
    check(page, found, "password reset, dead link", "/reset#token=abc",
        By.cssSelector("#reset-dead:not([hidden])"));
    check(page, found, "profile", "/u/alice", By.cssSelector("#profile-posts li"));
    check(page, found, "404", "/no/such/page", By.tagName("h1"));
    check(page, found, "notifications, signed out", "/notifications", By.id("signed-out"));
    check(page, found, "search, signed out", "/search?q=accessible", By.cssSelector("#results .result mark"));
    check(page, found, "problem types", "/problems", By.id("not-found"));

    signIn(page, base, bob);
    check(page, found, "feed, signed in", "/", By.cssSelector("#feed li"));
    check(page, found, "feed, top of the week", "/?sort=top&period=week", By.cssSelector("#feed li .tags"));
    check(page, found, "feed, tag view", "/?tag=accessibility", By.cssSelector("#feed li"));
    check(page, found, "feed, following", "/?sort=following", By.cssSelector("#feed li"));
    check(page, found, "profile, signed in", "/u/alice", By.id("follow-toggle"));
    check(page, found, "post, signed in", "/posts/" + postId, By.cssSelector("#comments .comment .actions"));
    check(page, found, "post, voted on", "/posts/" + postId,
        By.cssSelector("#comments button.vote[aria-pressed=true]"));
    assertEquals("true", page.findElement(By.cssSelector("#post-vote button.vote")).getAttribute("aria-pressed"));
    page.findElement(By.cssSelector("#thread-sort button[data-sort=best]")).click();
    record(page, found, "post, comments sorted by best");
    page.findElement(By.cssSelector("#comments .comment .actions .menu > summary")).click();
    record(page, found, "post, comment menu open");
    check(page, found, "notifications", "/notifications", By.cssSelector(".inbox-item"));
    check(page, found, "settings", "/settings", By.cssSelector("#prefs-form input[name=replies]"));
    check(page, found, "search, comments", "/search?q=comment&type=comments", By.cssSelector("#results .result"));

    signIn(page, base, mod);
    check(page, found, "moderation", "/mod", By.cssSelector("#queue .report-card"));
    page.findElement(By.cssSelector("#queue .report-card .ban-toggle")).click();
    record(page, found, "moderation, ban form open");
    page.findElement(By.cssSelector("#queue .report-card button.person")).click();
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#user-card .counts")));
    record(page, found, "moderation, user card open");
    check(page, found, "post, as a moderator", "/posts/" + postId,
        By.cssSelector("#comment-" + hidden + " .mod-facts"));
    page.findElement(By.cssSelector("#comment-" + hidden + " .mod-menu > summary")).click();
    record(page, found, "post, Moderate menu open");
    page.findElement(By.cssSelector("#comment-" + hidden + " .mod-menu > summary")).click();
    page.findElement(By.cssSelector("#post-actions .mod-menu > summary")).click();
    page.findElements(By.cssSelector("#post-actions .mod-menu .menu-items button")).stream()
        .filter(b -> b.getText().startsWith("Ban ")).findFirst().orElseThrow().click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-duration")));
    record(page, found, "post, ban dialog");
    page.findElement(By.cssSelector("#mod-dialog button[value=cancel]")).click();
    page.findElement(By.cssSelector("#comment-" + hidden + " .mod-menu > summary")).click();
    page.findElements(By.cssSelector("#comment-" + hidden + " .mod-menu .menu-items button")).stream()
        .filter(b -> b.getText().endsWith("record")).findFirst().orElseThrow().click();
    waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#user-card .note-form textarea")));
    record(page, found, "post, author's record");
    found.values().removeIf(List::isEmpty);
    assertEquals(Map.of(), found, "axe-core violations by page");
    assertTrue(axe.length() > 100_000, "axe-core itself was loaded");
  }

  private void check(ChromeDriver page, Map<String, List<String>> found, String name, String path, By ready) {
    page.get(base + path);
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(ready));
    record(page, found, name);
  }

  /** The page as it stands, in the dark theme and in the light one; left in the light one. */
  private static void record(ChromeDriver page, Map<String, List<String>> found, String name) {
    for (String scheme : List.of("dark", "light")) {
      theme(page, scheme);
      found.put(name + " (" + scheme + ")", violations(page));
    }
  }

  private Session registerWithRole(String username, String role) {
    try {
      return api.registerWithRole(username, role);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
