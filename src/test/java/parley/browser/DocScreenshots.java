package parley.browser;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.openPost;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;
import static parley.browser.BrowserSupport.waitUntilLive;

/**
 * Makes the README's screenshots (docs/screenshots/feed.png, post.png, dashboard.png, moderation-thread.png, search.png, notifications.png,
 * settings.png) from a real browser on a
 * small seeded community. Not part of the test suite (its name matches no surefire pattern); run it on purpose:
 * <pre>mvn -q -B test -Dtest=DocScreenshots -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@ExtendWith(TestParley.class)
class DocScreenshots {

  private static final Path OUT = Path.of("docs", "screenshots");

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  private long post(Session as, String title, String body, String... sources) {
    Api.Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", body)
        .put("sources", new JsonArray(java.util.List.of((Object[]) sources))));
    assertEquals(201, r.status(), r::toString);
    return r.json().getLong("id");
  }

  private void tag(Session as, long post, String... tags) {
    assertEquals(200, api.put("/api/posts/" + post + "/tags", as,
        new JsonObject().put("tags", new JsonArray(java.util.List.of((Object[]) tags)))).status());
  }

  private void vote(Session as, String item) {
    assertEquals(200, api.put(item + "/vote", as, new JsonObject().put("value", 1)).status());
  }

  @Test
  void capture() throws Exception {
    Files.createDirectories(OUT);
    Session ada = api.register("ada");
    Session grace = api.register("grace");
    Session linus = api.register("linus_t");
    Session spammer = api.register("cheap_pills");
    Session mod = api.registerWithRole("margaret", "moderator");

    long flags = post(grace, "Which compiler flags do you actually use?",
        "I keep a short list of flags for **every** build. What is on yours?", "https://gcc.gnu.org/onlinedocs/");
    long tabs = post(linus, "Tabs or spaces in 2026?", "Asking for a friend. Please keep it civil.");
    tag(grace, flags, "c", "tooling");
    tag(linus, tabs, "style");
    long thread = post(ada, "Notes on the Analytical Engine",
        "A few thoughts on *loops* and *conditional jumps*:\n\n"
            + "1. The engine can repeat a sequence of operations.\n"
            + "2. It can choose its next card by a result.\n\n"
            + "> The engine might compose elaborate pieces of music.",
        "https://en.wikipedia.org/wiki/Analytical_Engine", "https://www.fourmilab.ch/babbage/sketch.html");
    tag(ada, thread, "history", "computing");
    for (Session fan : new Session[] {grace, linus, mod}) vote(fan, "/api/posts/" + thread);
    vote(ada, "/api/posts/" + flags);
    long c1 = api.comment(grace, thread, "The conditional jump is the part people still underrate.", null);
    vote(ada, "/api/comments/" + c1);
    vote(linus, "/api/comments/" + c1);
    api.comment(linus, thread, "Agreed, and the loop cards made it a real programme rather than a calculation.", c1);
    api.comment(ada, thread, "Exactly: the cards are the programme, the mill only follows them.", null);
    long spam = api.comment(spammer, thread, "Buy cheap pills at totally-legit.example!!!", null);
    api.post("/api/reports", grace, new JsonObject().put("targetType", "comment").put("targetId", spam)
        .put("reason", "spam"));
    api.post("/api/reports", linus, new JsonObject().put("targetType", "comment").put("targetId", spam)
        .put("reason", "spam").put("details", "Same link in three threads."));

    WebDriver reader = browsers.open("reader");
    signIn(reader, base, grace);
    reader.get(base + "/");
    waitFor(reader, 10).until(d -> d.findElements(By.cssSelector("#feed > li")).size() == 3);
    Files.write(OUT.resolve("feed.png"), BrowserSupport.screenshot(reader));

    openPost(reader, base, thread);
    waitFor(reader, 10).until(d -> d.findElements(By.cssSelector("#comments li.comment")).size() == 4);
    Files.write(OUT.resolve("post.png"), BrowserSupport.screenshot(reader));

    reader.get(base + "/search?q=conditional+jump&type=comments");
    waitFor(reader, 10).until(d -> !d.findElements(By.cssSelector("#results .result")).isEmpty());
    Files.write(OUT.resolve("search.png"), BrowserSupport.screenshot(reader));

    // A word the moderators hold for review, and a comment it holds.
    api.post("/api/mod/filters", mod, new JsonObject().put("kind", "word").put("pattern", "crypto").put("action", "hold"));
    api.comment(spammer, thread, "Earn crypto while you sleep, DM me", null);

    // Another moderator is on the reported comment (a claim): the card and the thread say so.
    Session hedy = api.registerWithRole("hedy", "moderator");
    api.put("/api/mod/comments/" + spam + "/claim", hedy, null);

    WebDriver dashboard = browsers.open("moderator");
    signIn(dashboard, base, mod);
    dashboard.get(base + "/mod");
    waitFor(dashboard, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("target-comment-" + spam)));
    waitUntilLive(dashboard);
    api.comment(linus, thread, "Sorry for the noise above, reported it.", null);
    waitFor(dashboard, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#stream > li"),
        "Sorry for the noise above, reported it."));
    js(dashboard, "document.activeElement && document.activeElement.blur();");
    Files.write(OUT.resolve("dashboard.png"), BrowserSupport.screenshot(dashboard));

    // The same moderator on the thread: the Moderate menu on the reported comment.
    openPost(dashboard, base, thread);
    dashboard.findElement(By.cssSelector("#comment-" + spam + " .mod-menu > summary")).click();
    js(dashboard, "document.getElementById('comment-" + spam + "').scrollIntoView({block: 'center'});");
    Files.write(OUT.resolve("moderation-thread.png"), BrowserSupport.screenshot(dashboard));

    // Ada's inbox: a reply, a mention, a comment on her post, and the outcome of a report.
    WebDriver inbox = browsers.open("ada");
    signIn(inbox, base, ada);
    long adaComment = api.comment(ada, thread, "Thank you all; @grace, your point about jumps is in my next note.", null);
    api.comment(grace, thread, "Looking forward to it, @ada!", adaComment);
    api.comment(linus, thread, "Bookmarked this thread.", null);
    inbox.get(base + "/notifications");
    waitFor(inbox, 10).until(d -> d.findElements(By.cssSelector(".inbox-item")).size() >= 2);
    waitFor(inbox, 10).until(d -> d.findElement(By.id("inbox-count")).isDisplayed());
    Files.write(OUT.resolve("notifications.png"), BrowserSupport.screenshot(inbox));
    inbox.get(base + "/settings");
    waitFor(inbox, 10).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#prefs-form input[name=replies]")));
    Files.write(OUT.resolve("settings.png"), BrowserSupport.screenshot(inbox));
  }
}
