package parley.browser;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;
import parley.browser.Payloads.Payload;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.openPost;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;
import static parley.browser.BrowserSupport.waitUntilLive;

/**
 * Script injection, end to end: 60 classic payloads ({@link Payloads}) go through every text field a user or
 * moderator can write (post title, body and sources, comment body, report details, the reasons of hide, restore,
 * lock, unlock and ban, the note that resolves a report, and the email and login the sign-in page takes), and every
 * page of the web app (feed, post page, profiles, sign-in page, moderators' dashboard) is loaded in a real Chromium,
 * with content both fetched over REST and arriving live over the event bus.
 *
 * <p>On every page, once it has rendered (waited for on the DOM, never on the clock), this proves that no payload
 * ran and none even became active markup: {@code window.__xss} was never called or assigned, no alert, confirm or
 * prompt was attempted, the Content-Security-Policy reported no violation (a violation means markup got in and only
 * the CSP stopped it, which counts as a failure), and no element carries an event-handler attribute, a script URL,
 * or is a script, frame, object, embed or base element that the app did not ship. The recorders are installed
 * through DevTools before any page script runs, since the pages' CSP would refuse an inline script of ours. Each
 * payload must also be seen on the page as text, so the content was rendered and escaped, not merely dropped.
 *
 * <p>What cannot carry a payload is refused: usernames allow only {@code [A-Za-z0-9_-]}, and no field takes NUL.
 * Report details are stored but no page shows them (the dashboard's queue lists reasons and counts, not details);
 * they still travel to the open dashboard in {@code report.created} events, which this test delivers.
 */
@ExtendWith(TestParley.class)
class ScriptInjectionTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  // ---------- what runs in the browser ----------

  /**
   * Installed in every new document before its own scripts: records any call or assignment of window.__xss, any
   * attempt at a dialog (which it swallows, so a failure is reported rather than stuck behind a prompt), and every
   * CSP violation.
   */
  private static final String RECORDER = """
      (() => {
        const log = { calls: [], dialogs: [], violations: [] };
        const spy = (...args) => { log.calls.push('window.__xss(' + args.map(String).join(', ') + ')'); };
        Object.defineProperty(window, '__xss', { configurable: false,
          get: () => spy, set: (value) => { log.calls.push('window.__xss = ' + String(value)); } });
        Object.defineProperty(window, '__xssLog', { value: log });
        for (const name of ['alert', 'confirm', 'prompt', 'print']) {
          window[name] = (...args) => {
            log.dialogs.push(name + '(' + args.map(String).join(', ') + ')');
            return name === 'confirm' ? false : null;
          };
        }
        document.addEventListener('securitypolicyviolation', (e) => {
          log.violations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
        }, true);
      })();
      """;

  /** A failing image of our own: once its error has fired, the error of any payload image would have fired too. */
  private static final String SETTLE = """
      const done = arguments[arguments.length - 1];
      const img = new Image();
      img.onerror = () => done(true);
      img.onload = () => done(false);
      img.src = '/no-such-image-' + Date.now() + '-' + Math.random();
      """;

  /** Everything the recorders saw, and every element that is or carries active markup the app never ships. */
  private static final String SCAN = """
      const log = window.__xssLog || { calls: ['the recorder is missing'], dialogs: [], violations: [] };
      const active = [];
      const show = (el) => el.outerHTML.slice(0, 160);
      const urlAttributes = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background',
        'srcset', 'ping', 'codebase', 'cite'];
      for (const el of document.querySelectorAll('*')) {
        const tag = el.localName;
        if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'style', 'portal'].includes(tag)) {
          active.push('<' + tag + '> element: ' + show(el));
        }
        if (tag === 'script' && !(el.getAttribute('type') === 'module'
            && /^\\/js\\/[a-z]+\\.js$/.test(el.getAttribute('src') || ''))) {
          active.push('a script the app did not ship: ' + show(el));
        }
        if (tag === 'meta' && el.hasAttribute('http-equiv')) active.push('<meta http-equiv>: ' + show(el));
        const shipped = (el.getAttribute('rel') === 'stylesheet' && /^\\/css\\//.test(el.getAttribute('href') || ''))
            || (el.getAttribute('rel') === 'icon' && el.getAttribute('href') === '/favicon.svg')
            || (el.getAttribute('rel') === 'alternate' && el.getAttribute('type') === 'application/atom+xml'
                && el.getAttribute('href') === '/feed.atom');
        if (tag === 'link' && !shipped) {
          active.push('a <link> the app did not ship: ' + show(el));
        }
        for (const attribute of el.attributes) {
          const name = attribute.name.toLowerCase();
          if (name.startsWith('on')) active.push('event-handler attribute ' + name + ': ' + show(el));
          if (name === 'srcdoc') active.push('srcdoc attribute: ' + show(el));
          // Browsers ignore whitespace and control characters in a URL's scheme, so the check does too.
          const url = attribute.value.replace(/[\\u0000-\\u0020\\u007f]/g, '').toLowerCase();
          if (urlAttributes.includes(name) && /^(javascript|vbscript|data):/.test(url)) {
            active.push('script URL in ' + name + ': ' + show(el));
          }
        }
      }
      return { calls: [...log.calls], dialogs: [...log.dialogs], violations: [...log.violations], active,
        title: document.title };
      """;

  /** A title as a sentence quotes it ("on "…""): cut at a word after about 40 characters, as usercard.js cuts it. */
  private static String quoted(String title) {
    if (title.length() <= 40) return title;
    int cut = title.lastIndexOf(' ', 40);
    return title.substring(0, cut > 20 ? cut : 40).stripTrailing().replaceAll("[,;:\\-–—]+$", "") + "…";
  }

  /**
   * Checks [selector, mode, expected] triples against the page and returns what does not hold. Modes: "is how"
   * (the first match equals expected), "has how" (contains it), "all how" (the matches, in any order, are exactly
   * the expected list), "count" (how many match). how: text (textContent, exact), value, attr:name, or seen (the
   * words a reader sees, image alt text included, whitespace collapsed).
   */
  private static final String EXPECT = """
      const norm = (s) => s.replace(/\\s+/g, ' ').trim();
      const seen = (root) => {
        let out = '';
        const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
        for (let n = walk.currentNode; n; n = walk.nextNode()) {
          if (n.nodeType === Node.TEXT_NODE) out += n.data;
          else if (n.localName === 'img') out += ' ' + (n.getAttribute('alt') || '') + ' ';
        }
        return norm(out);
      };
      const read = (el, how) => how === 'text' ? el.textContent : how === 'value' ? el.value
        : how.startsWith('attr:') ? el.getAttribute(how.slice(5)) : seen(el);
      const want = (value, how) => how === 'seen' ? norm(value) : value;
      const failures = [];
      for (const [selector, mode, expected] of arguments[0]) {
        const [kind, how] = mode.split(' ');
        const matches = [...document.querySelectorAll(selector)];
        if (kind === 'count') {
          if (matches.length !== Number(expected)) failures.push(selector + ': ' + matches.length + ' elements, not ' + expected);
          continue;
        }
        if (kind === 'all') {
          const actual = matches.map((el) => read(el, how)).sort();
          const wanted = expected.map((v) => want(v, how)).sort();
          if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
            failures.push(selector + ' ' + how + ': missing ' + JSON.stringify(wanted.filter((v) => !actual.includes(v)))
              + ', unexpected ' + JSON.stringify(actual.filter((v) => !wanted.includes(v))) + ', counts '
              + actual.length + '/' + wanted.length);
          }
          continue;
        }
        if (!matches.length) { failures.push(selector + ': no such element'); continue; }
        const actual = read(matches[0], how);
        const wanted = want(expected, how);
        const ok = kind === 'has' ? actual !== null && actual.includes(wanted) : actual === wanted;
        if (!ok) failures.push(selector + ' ' + mode + ': expected ' + JSON.stringify(wanted) + ', was ' + JSON.stringify(actual));
      }
      return failures;
      """;

  // ---------- tests ----------

  @Test
  void thereAreAtLeastFiftyDistinctPayloadsAndEachNamesItself() {
    List<Payload> all = new ArrayList<>(Payloads.ALL);
    all.addAll(Payloads.WITH_NUL);
    all.add(Payloads.EMAIL);
    assertTrue(Payloads.ALL.size() >= 50, "rendered payloads: " + Payloads.ALL.size());
    assertEquals(all.size(), all.stream().map(Payload::text).distinct().count(), "distinct payloads");
    for (int i = 0; i < all.size(); i++) {
      Payload p = all.get(i);
      assertEquals(i + 1, p.n(), "numbered in order");
      assertTrue(p.text().contains("__xss(" + p.n() + ")") || p.text().contains("__xss=" + p.n())
          || p.text().contains("'xss " + p.n() + "'"), () -> p + " does not report its own number");
    }
  }

  @Test
  void aUsernameCannotCarryAPayload() {
    for (String username : List.of("<script>", "x\"onmouseover=\"y", "javascript:x", "a'><b", "${x}")) {
      Api.Response r = api.post("/api/auth/register", null, new JsonObject()
          .put("username", username).put("email", "someone@example.org").put("password", "correct horse"));
      assertEquals(400, r.status(), () -> username + ": " + r);
      assertEquals(List.of("username"), r.errorFields(), r::toString);
    }
  }

  @Test
  void textWithANulCharacterIsRefusedByEveryField() throws Exception {
    Session writer = api.register("writer");
    Session reporter = api.register("reporter");
    Session mod = api.registerWithRole("mod", "moderator");
    long post = createPost(writer, "A thread", "A body.", List.of());
    long comment = api.comment(writer, post, "A comment.", null);
    long report = created(api.post("/api/reports", reporter, report("post", post, null))).getLong("id");

    for (Payload p : Payloads.WITH_NUL) {
      String nul = p.text();
      refused("username", api.post("/api/auth/register", null, new JsonObject()
          .put("username", nul).put("email", "nul@example.org").put("password", "correct horse")));
      refused("email", api.post("/api/auth/register", null, new JsonObject()
          .put("username", "nul_user").put("email", nul + "@example.org").put("password", "correct horse")));
      refused("title", api.post("/api/posts", writer, new JsonObject().put("title", nul).put("body", "b")));
      refused("body", api.post("/api/posts", writer, new JsonObject().put("title", "t").put("body", nul)));
      refused("sources[0]", api.post("/api/posts", writer, new JsonObject().put("title", "t").put("body", "b")
          .put("sources", new JsonArray().add("https://example.org/" + nul))));
      refused("title", api.patch("/api/posts/" + post, writer, new JsonObject().put("title", nul)));
      refused("body", api.patch("/api/posts/" + post, writer, new JsonObject().put("body", nul)));
      refused("body", api.post("/api/posts/" + post + "/comments", writer, new JsonObject().put("body", nul)));
      refused("body", api.patch("/api/comments/" + comment, writer, new JsonObject().put("body", nul)));
      refused("details", api.post("/api/reports", reporter, report("comment", comment, nul)));
      refused("note", api.post("/api/mod/reports/" + report + "/resolve", mod,
          new JsonObject().put("action", "dismiss").put("note", nul)));
      for (String action : List.of("posts/" + post + "/hide", "posts/" + post + "/restore", "posts/" + post + "/lock",
          "posts/" + post + "/unlock", "comments/" + comment + "/hide", "comments/" + comment + "/restore")) {
        refused("reason", api.post("/api/mod/" + action, mod, new JsonObject().put("reason", nul)));
      }
      refused("reason", api.post("/api/mod/users/writer/ban", mod, new JsonObject().put("reason", nul)));
    }
  }

  @Test
  void payloadsInPostsAndCommentsShowAsTextOnTheFeedThePostPageAndProfiles() throws Exception {
    Session writer = api.register("writer");
    List<Session> authors = List.of(api.register("author_a"), api.register("author_b"), api.register("author_c"));
    Session mod = api.registerWithRole("mod", "moderator");
    List<List<Payload>> groups = Payloads.groups(20);
    long probe = createPost(mod, "Live probe", "Its comment count shows that the feed is live.", List.of());
    // The main thread: every payload in its body, every http(s) payload as a source, a </title> breakout as title.
    Payload mainTitle = payload(14);
    long main = createPost(writer, mainTitle.text(), Payloads.asOneMarkdownBody(), webUrls());
    // Each author writes 20 posts (title, body and, where valid, source: one payload) and 20 comments: a profile
    // shows 20 of each. The third author writes later, while the pages are open.
    Map<Long, Payload> posts = new LinkedHashMap<>();
    Map<Long, Payload> comments = new LinkedHashMap<>();
    for (int g = 0; g < 2; g++) {
      for (Payload p : groups.get(g)) {
        posts.put(payloadPost(authors.get(g), p), p);
        comments.put(api.comment(authors.get(g), main, p.text(), null), p);
      }
    }

    ChromeDriver page = browser("writer");
    signIn(page, base, writer);

    // The feed: three pages through "Load more", then 20 posts that arrive live behind the "new posts" button.
    page.get(base + "/");
    expect(page, "the feed's first page", List.of(check("#feed > li", "count", 20)));
    page.findElement(By.id("more")).click();
    expect(page, "the feed's second page", List.of(check("#feed > li", "count", 40)));
    page.findElement(By.id("more")).click();
    expect(page, "the feed's last page", List.of(check("#feed > li", "count", 42),
        check("#more:not([hidden])", "count", 0)));
    untilLive(page, attempt -> api.comment(mod, probe, "Probe " + attempt, null), attempt -> ExpectedConditions
        .textToBe(By.cssSelector("#post-" + probe + " .comment-count"), attempt + (attempt == 1 ? " comment" : " comments")));
    for (Payload p : groups.get(2)) posts.put(payloadPost(authors.get(2), p), p);
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("new-posts"), "20 new posts"));
    page.findElement(By.id("new-posts")).click();
    List<Check> feed = new ArrayList<>(List.of(check("#feed > li", "count", 62),
        check("#post-" + main + " .post-link", "is text", mainTitle.plain())));
    posts.forEach((id, p) -> {
      feed.add(check("#post-" + id + " .post-link", "is text", p.plain()));
      if (p.isWebUrl()) feed.add(check("#post-" + id + " .meta", "has text", " · example.org"));
    });
    // Excerpts are plain text made by the server; a body that is only an image has none.
    for (Object o : api.get("/api/posts?limit=100").items()) {
      JsonObject item = (JsonObject) o;
      String excerpt = item.getString("excerpt");
      String selector = "#post-" + item.getLong("id") + " .excerpt";
      feed.add(excerpt.isEmpty() ? check(selector, "count", 0) : check(selector, "is text", excerpt));
    }
    expect(page, "the feed", feed);
    assertNothingRan(page, "the feed", Pattern.quote("Parley: community"));

    // The post page: the body with every payload, the sources, 40 comments, then 20 more arriving live.
    openPost(page, base, main);
    List<Check> thread = new ArrayList<>(List.of(check("#post-title", "is text", mainTitle.plain()),
        check("#post-sources a", "all attr:href", webUrls()), check("#post-sources a", "all text", webUrls())));
    for (Payload p : Payloads.ALL) thread.add(check("#post-body", "has seen", p.markdown()));
    comments.forEach((id, p) -> thread.add(check("#comment-" + id + " > .content .body", "is seen", p.markdown())));
    expect(page, "the post page", thread);
    for (Payload p : groups.get(2)) comments.put(api.comment(authors.get(2), main, p.text(), null), p);
    // A reader scrolled away from the end gets a button; one at the end gets the comments at once.
    waitFor(page, 10).until(d -> "20 new comments".equals(d.findElement(By.id("new-comments")).getText())
        || d.findElements(By.cssSelector("#comments li.comment")).size() == 60);
    if (page.findElement(By.id("new-comments")).isDisplayed()) page.findElement(By.id("new-comments")).click();
    thread.add(check("#comments li.comment", "count", 60));
    comments.forEach((id, p) -> thread.add(check("#comment-" + id + " > .content .body", "is seen", p.markdown())));
    expect(page, "the post page with its live comments", thread);
    assertNothingRan(page, "the post page", postPageTitle(mainTitle.plain()));

    // The author's edit form holds the payloads as form values.
    page.findElement(By.id("edit-post")).click();
    expect(page, "the edit form", List.of(check("#edit-title", "is value", mainTitle.plain()),
        check("#edit-body", "is value", Payloads.asOneMarkdownBody()),
        check("#edit-sources", "is value", String.join("\n", webUrls()))));
    assertNothingRan(page, "the post page's edit form", postPageTitle(mainTitle.plain()));
    page.findElement(By.cssSelector("#edit-post-form button[type=button]")).click();

    // Edits arrive live: each payload in turn becomes the title, the whole body and (if valid) the source.
    for (Payload p : Payloads.ALL) {
      List<String> sources = p.isWebUrl() ? List.of(p.plain()) : List.of();
      assertEquals(200, api.patch("/api/posts/" + main, writer, new JsonObject().put("title", p.text())
          .put("body", p.text()).put("sources", new JsonArray(sources))).status());
      expect(page, "the post page after a live edit to " + p, List.of(check("#post-title", "is text", p.plain()),
          check("#post-body", "is seen", p.markdown()), check("#post-sources a", "all attr:href", sources),
          check("#post-sources a", "all text", sources)));
      assertNothingRan(page, "the post page after a live edit to " + p, postPageTitle(p.plain()));
    }
    String lastTitle = Payloads.ALL.get(Payloads.ALL.size() - 1).plain();

    // A ban reason reaches its user in the line at the top of the page, as the ban comes (the page then no longer
    // offers the comment form whose refusal said it before).
    String reason = Payloads.packed(1000);
    assertEquals(204, api.post("/api/mod/users/writer/ban", mod, new JsonObject().put("reason", reason)).status());
    expect(page, "the ban line as the ban comes", List.of(check("#ban-notice", "has text",
        "You are banned for good: " + reason)));
    assertNothingRan(page, "the post page showing the ban reason", postPageTitle(lastTitle));
    // And at the top of the page, once it is loaded again.
    page.navigate().refresh();
    expect(page, "the ban line", List.of(check("#ban-notice", "has text", "You are banned for good: " + reason)));
    assertNothingRan(page, "the post page with the ban line", postPageTitle(lastTitle));

    // Profiles: each author's 20 posts and 20 comments (on the main thread, under its latest title).
    for (int g = 0; g < 3; g++) {
      String username = authors.get(g).username();
      page.get(base + "/u/" + username);
      List<Payload> group = groups.get(g);
      expect(page, "the profile of " + username, List.of(check("#profile-name", "is text", username),
          check("#profile-posts a", "all text", group.stream().map(Payload::plain).toList()),
          check("#profile-comments .body", "all seen", group.stream().map(Payload::markdown).toList()),
          check("#profile-comments .meta a", "all text", group.stream().map(p -> lastTitle).toList())));
      assertNothingRan(page, "the profile of " + username, Pattern.quote(username + " · Parley"));
    }
  }

  @Test
  void payloadsArrivingOnTheModeratorDashboardShowAsTextInTheStreamTheQueueAndTheAuditLog() throws Exception {
    Session writer = api.register("writer");
    List<Session> authors = List.of(api.register("author_a"), api.register("author_b"), api.register("author_c"));
    Session reporter = api.register("reporter");
    api.register("banned_user");
    Session mod = api.registerWithRole("mod", "moderator");
    List<List<Payload>> groups = Payloads.groups(20);
    // The thread and comment the moderator acts on again and again, once per payload.
    long acted = createPost(writer, "Moderated thread", "Acted on again and again.", List.of());
    long actedComment = api.comment(writer, acted, "A comment to hide and restore.", null);

    ChromeDriver dashboard = browser("moderator");
    signIn(dashboard, base, mod);
    dashboard.get(base + "/mod");
    waitFor(dashboard, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-panels")));
    waitUntilLive(dashboard);
    Pattern title = Pattern.compile("(\\(\\d+\\) )?Parley moderation");
    // "Live" means the socket is open; the probe shows the subscription behind it is in place too.
    untilLive(dashboard, attempt -> api.comment(mod, acted, "Live probe " + attempt, null), attempt -> ExpectedConditions
        .textToBe(By.cssSelector("#stream > li:first-child > .excerpt"), "Live probe " + attempt));

    // The live stream of new content (it keeps the latest 50): the main thread, then batches of 20. A live item shows
    // the title and the text of its rendered body (its words, as the history's excerpts give them; clamped to a few
    // lines by the stylesheet), as text: the server's HTML parsed inert, nothing of it run.
    Payload mainTitle = payload(14);
    long main = createPost(writer, mainTitle.text(), Payloads.asOneMarkdownBody(), webUrls());
    expect(dashboard, "the stream with the main thread", List.of(
        check("#stream > li:first-child > .post-line > .post-title", "is text", mainTitle.plain()),
        check("#stream > li:first-child > .excerpt", "is text",
            prose(dashboard, api.get("/api/posts/" + main).json().getString("bodyHtml")))));
    assertNothingRan(dashboard, "the stream with the main thread", title.pattern());
    for (int g = 0; g < 3; g++) {
      List<Payload> group = groups.get(g);
      List<String> bodies = new ArrayList<>();
      for (Payload p : group) {
        // (A body with no words once rendered, an image alone, has no excerpt line.)
        String words = prose(dashboard, api.get("/api/posts/" + payloadPost(authors.get(g), p)).json()
            .getString("bodyHtml"));
        if (!words.isEmpty()) bodies.add(words);
      }
      expect(dashboard, "the stream with the posts of group " + g, List.of(
          check("#stream > li:nth-child(-n+20) > .post-line > .post-title", "all text",
              group.stream().map(Payload::plain).toList()),
          check("#stream > li:nth-child(-n+20) > .excerpt", "all text", bodies)));
      assertNothingRan(dashboard, "the stream with the posts of group " + g, title.pattern());
    }
    Map<Long, Payload> comments = new LinkedHashMap<>();
    for (int g = 0; g < 3; g++) {
      List<Payload> group = groups.get(g);
      List<String> bodies = new ArrayList<>();
      for (Payload p : group) {
        long id = api.comment(authors.get(g), main, p.text(), null);
        comments.put(id, p);
        String words = prose(dashboard, api.get("/api/comments/" + id).json().getString("bodyHtml"));
        if (!words.isEmpty()) bodies.add(words);
      }
      expect(dashboard, "the stream with the comments of group " + g, List.of(
          check("#stream > li:nth-child(-n+20) > .post-line", "count", 0),
          check("#stream > li:nth-child(-n+20) .meta .post-title", "all text",
              group.stream().map(p -> quoted(mainTitle.plain())).toList()),
          check("#stream > li:nth-child(-n+20) .meta .post-title", "all attr:aria-label",
              group.stream().map(p -> mainTitle.plain()).toList()),
          check("#stream > li:nth-child(-n+20) > .excerpt", "all text", bodies)));
      assertNothingRan(dashboard, "the stream with the comments of group " + g, title.pattern());
    }

    // The queue: every comment, and the main thread, reported with payload details. The reports reach the open
    // dashboard live; then a reload reads the queue afresh, since a burst of reports can leave the live queue
    // behind (mod.js coalesces refreshes, and one already in flight may predate the last report).
    created(api.post("/api/reports", reporter, report("post", main, Payloads.packed(1000))));
    comments.forEach((id, p) -> created(api.post("/api/reports", reporter, report("comment", id, p.text()))));
    assertNothingRan(dashboard, "the dashboard as the reports arrived", title.pattern());
    dashboard.navigate().refresh();
    // Each card shows the content rendered, its thread's title and the reporter's own words.
    List<Check> queue = new ArrayList<>(List.of(check("#queue > li", "count", 61), check("#queue-count", "is text", "61"),
        check("#target-post-" + main + " .post-line > .post-title", "is text", mainTitle.plain()),
        check("#target-post-" + main + " .details > p:first-child", "is text", Payloads.packed(1000))));
    for (Payload p : Payloads.ALL) queue.add(check("#target-post-" + main + " .card-main > .body", "has seen", p.markdown()));
    comments.forEach((id, p) -> {
      queue.add(check("#target-comment-" + id + " .meta .post-title", "is text", quoted(mainTitle.plain())));
      queue.add(check("#target-comment-" + id + " .meta .post-title", "is attr:title", mainTitle.plain()));
      queue.add(check("#target-comment-" + id + " .card-main > .body", "is seen", p.markdown()));
      queue.add(check("#target-comment-" + id + " .details > p:first-child", "is text", p.plain()));
    });
    expect(dashboard, "the queue", queue);
    assertNothingRan(dashboard, "the queue", Pattern.quote("(61) Parley moderation"));

    // Every moderator reason, once per payload, in the audit log: eight entries a payload, arriving live on the open
    // dashboard; then a reload reads the log afresh (a burst of events sends a burst of log requests whose answers
    // may arrive out of order), and its "Older entries" button pages back to the first of them.
    List<String[]> entries = new ArrayList<>();
    for (Payload p : Payloads.ALL) {
      JsonObject why = new JsonObject().put("reason", p.text());
      long report = created(api.post("/api/reports", reporter, report("post", acted, p.text()))).getLong("id");
      done(api.post("/api/mod/reports/" + report + "/resolve", mod,
          new JsonObject().put("action", "dismiss").put("note", p.text())));
      entries.add(new String[] {"mod dismissed the reports on writer's post \"Moderated thread\"", p.plain()});
      done(api.post("/api/mod/posts/" + acted + "/hide", mod, why));
      entries.add(new String[] {"mod hid writer's post \"Moderated thread\"", p.plain()});
      done(api.post("/api/mod/posts/" + acted + "/restore", mod, why));
      entries.add(new String[] {"mod restored writer's post \"Moderated thread\"", p.plain()});
      done(api.post("/api/mod/comments/" + actedComment + "/hide", mod, why));
      entries.add(new String[] {"mod hid writer's comment on \"Moderated thread\"", p.plain()});
      done(api.post("/api/mod/comments/" + actedComment + "/restore", mod, why));
      entries.add(new String[] {"mod restored writer's comment on \"Moderated thread\"", p.plain()});
      done(api.post("/api/mod/posts/" + acted + "/lock", mod, why));
      entries.add(new String[] {"mod locked the thread \"Moderated thread\"", p.plain()});
      done(api.post("/api/mod/posts/" + acted + "/unlock", mod, why));
      entries.add(new String[] {"mod unlocked the thread \"Moderated thread\"", p.plain()});
      done(api.post("/api/mod/users/banned_user/ban", mod, why));
      entries.add(new String[] {"mod banned banned_user for good", p.plain()});
    }
    assertNothingRan(dashboard, "the audit log, live", title.pattern());
    dashboard.navigate().refresh();
    waitFor(dashboard, 10).until(d -> d.findElements(By.cssSelector("#log > li")).size() == 30);
    for (int shown = 30; shown < entries.size(); shown += 30) {
      int before = shown;
      dashboard.findElement(By.id("log-more")).click();
      waitFor(dashboard, 10).until(d -> d.findElements(By.cssSelector("#log > li")).size() > before);
    }
    List<Check> log = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      String[] entry = entries.get(entries.size() - 1 - i); // newest first
      String item = "#log > li:nth-child(" + (i + 1) + ")";
      // Each entry is a sentence (who did what to whose content, where) followed by the reason.
      log.add(check(item + " > p", "has text", entry[0] + ": " + entry[1] + " · "));
    }
    log.add(check("#log > li", "count", entries.size()));
    log.add(check("#queue > li", "count", 61));
    expect(dashboard, "the audit log with every payload's reasons", log);
    assertNothingRan(dashboard, "the audit log", Pattern.quote("(61) Parley moderation"));

    // The filter list: every payload short enough to be a word filter, listed as text.
    List<Payload> words = Payloads.ALL.stream().filter(p -> p.plain().length() <= 200).toList();
    for (Payload p : words) {
      created(api.post("/api/mod/filters", mod, new JsonObject().put("kind", "word").put("pattern", p.text())
          .put("action", "hold")));
    }
    created(api.post("/api/mod/filters", mod, new JsonObject().put("kind", "word").put("pattern", "heldword")
        .put("action", "hold")));
    List<String> listed = new ArrayList<>(words.stream().map(Payload::plain).toList());
    listed.add("heldword");
    expect(dashboard, "the filter list", List.of(check("#filters code", "all text", listed)));
    assertNothingRan(dashboard, "the filter list", title.pattern());

    // A held post arrives live in the pending queue, rendered; its author's card shows a note full of payloads.
    long held = created(api.post("/api/posts", authors.get(0), new JsonObject().put("title", mainTitle.text())
        .put("body", Payloads.asOneMarkdownBody() + "\n\nheldword"))).getLong("id");
    String note = Payloads.packed(2000);
    created(api.post("/api/mod/users/" + authors.get(0).username() + "/notes", mod, new JsonObject().put("body", note)));
    List<Check> pending = new ArrayList<>(List.of(
        check("#pending-post-" + held + " .post-line > .post-title", "is text", mainTitle.plain())));
    for (Payload p : Payloads.ALL) pending.add(check("#pending-post-" + held + " > .body", "has seen", p.markdown()));
    expect(dashboard, "the pending queue", pending);
    assertNothingRan(dashboard, "the pending queue", title.pattern());
    dashboard.findElement(By.cssSelector("#pending-post-" + held + " .meta button.person")).click();
    expect(dashboard, "the user card", List.of(check("#user-card-title", "is text", authors.get(0).username()),
        check("#user-card .notes > li > p:first-child", "is text", note)));
    assertNothingRan(dashboard, "the user card", title.pattern());
  }

  @Test
  void theSignInPageAndAnUnknownProfileKeepPayloadsFromFormsAndAddressesAsText() {
    assertEquals(400, api.post("/api/auth/register", null, new JsonObject().put("username", "login_user")
        .put("email", Payloads.REFUSED_EMAIL).put("password", "correct horse")).status());
    String email = Payloads.EMAIL.text();
    Api.Response registered = api.post("/api/auth/register", null, new JsonObject()
        .put("username", "login_user").put("email", email).put("password", "correct horse"));
    assertEquals(201, registered.status(), registered::toString);

    ChromeDriver page = browser("visitor");
    // The address names where to go after signing in: a script URL must send the reader home instead.
    String next = payload(46).text();
    page.get(base + "/login?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8));

    // A refused registration and a failed sign-in echo nothing of what was typed as markup.
    page.findElement(By.id("register-username")).sendKeys(payload(4).text());
    page.findElement(By.id("register-email")).sendKeys(email);
    page.findElement(By.id("register-password")).sendKeys("correct horse");
    page.findElement(By.cssSelector("#register-form button[type=submit]")).click();
    page.findElement(By.id("login-login")).sendKeys(payload(11).text());
    page.findElement(By.id("login-password")).sendKeys(payload(1).text());
    page.findElement(By.cssSelector("#login-form button[type=submit]")).click();
    expect(page, "the sign-in page", List.of(
        check("#register-username-error", "is text", "The username must be 3 to 30 letters, digits, '_' or '-'"),
        check("#register-username", "is value", payload(4).text()),
        check("#login-form .form-error", "is text", "The login or password is wrong."),
        check("#login-login", "is value", payload(11).text())));
    assertNothingRan(page, "the sign-in page", Pattern.quote("Parley: sign in"));

    // Signing in with the payload address lands on the feed, not on the script URL.
    page.findElement(By.id("login-login")).clear();
    page.findElement(By.id("login-login")).sendKeys(email);
    page.findElement(By.id("login-password")).clear();
    page.findElement(By.id("login-password")).sendKeys("correct horse");
    page.findElement(By.cssSelector("#login-form button[type=submit]")).click();
    waitFor(page, 10).until(ExpectedConditions.urlToBe(base + "/"));
    expect(page, "the feed after signing in", List.of(check("#nav a[href='/u/login_user']", "is text", "login_user"),
        check("#empty:not([hidden])", "count", 1)));
    assertNothingRan(page, "the feed after signing in", Pattern.quote("Parley: community"));

    // A profile address is echoed nowhere: an unknown one says so.
    page.get(base + "/u/" + URLEncoder.encode(payload(3).text(), StandardCharsets.UTF_8).replace("+", "%20"));
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("profile-missing")));
    expect(page, "an unknown profile", List.of(check("#profile-name", "is text", "Profile not found")));
    assertNothingRan(page, "an unknown profile", Pattern.quote("Profile not found · Parley"));
  }

  @Test
  void payloadsInSearchResultsAndInTheSearchedTextShowAsText() throws Exception {
    Session writer = api.register("writer");
    long thread = createPost(writer, "Thread", "Comments with payloads.", List.of());
    Map<Long, String> titles = new LinkedHashMap<>();
    for (Payload p : Payloads.ALL) {
      // First, so that no payload's unclosed markup swallows the word (PostgreSQL's parser skips what it takes for tags).
      String text = "needle " + p.text();
      titles.put(createPost(writer, text, text, List.of()), text.strip());
      api.comment(writer, thread, text, null);
    }
    ChromeDriver page = browser("searcher");
    // Every result through "Load more": titles as text, snippets taken apart into text and marks.
    for (String type : List.of("posts", "comments")) {
      page.get(base + "/search?type=" + type + "&q=needle");
      for (int shown = 20; shown <= 60; shown += 20) {
        expect(page, type + ", " + shown + " results", List.of(check("#results > li", "count", shown),
            check("#results .snippet mark", "count", shown)));
        if (shown < 60) page.findElement(By.id("more")).click();
      }
      if (type.equals("posts")) {
        List<Check> results = new ArrayList<>();
        titles.forEach((id, title) -> results.add(check("#result-post-" + id + " h2 a", "is text", title)));
        expect(page, "the post results' titles", results);
      }
      assertNothingRan(page, "search results: " + type, Pattern.quote("needle · Search · Parley"));
    }
    // The searched text comes from the address: in the box, the title and the empty state, as text.
    for (Payload p : Payloads.ALL) {
      String q = p.text().strip();
      if (q.isEmpty() || q.codePointCount(0, q.length()) > 200 || q.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        continue; // refused at the door or by the search itself, before any page shows it
      }
      page.get(base + "/search?type=users&q=" + URLEncoder.encode(q, StandardCharsets.UTF_8));
      expect(page, "the search for payload " + p.n(), List.of(check("#search-empty-title", "is text",
          "No people match “" + q + "”")));
      assertEquals(q, page.findElement(By.id("search-q")).getAttribute("value"), "payload " + p.n());
      assertNothingRan(page, "the search for payload " + p.n(),
          Pattern.quote(q.replaceAll("[\\t\\n\\f\\r ]+", " ") + " · Search · Parley"));
    }
  }

  // ---------- seeding ----------

  private static Payload payload(int n) {
    return Payloads.ALL.get(n - 1);
  }

  /** The http(s) payloads, trimmed as the server stores sources: a post takes at most 10. */
  private static List<String> webUrls() {
    return Payloads.ALL.stream().filter(Payload::isWebUrl).map(Payload::plain).toList();
  }

  private long createPost(Session as, String title, String body, List<String> sources) {
    return created(api.post("/api/posts", as, new JsonObject().put("title", title).put("body", body)
        .put("sources", new JsonArray(sources)))).getLong("id");
  }

  /**
   * A post whose title and body are the payload, offered as its source too: the server keeps it only if it is an
   * http(s) URL and must refuse it otherwise, and then the post goes in without it.
   */
  private long payloadPost(Session as, Payload p) {
    JsonObject post = new JsonObject().put("title", p.text()).put("body", p.text());
    Api.Response r = api.post("/api/posts", as, post.copy().put("sources", new JsonArray().add(p.text())));
    if (p.isWebUrl()) return created(r).getLong("id");
    refused("sources[0]", r);
    return created(api.post("/api/posts", as, post)).getLong("id");
  }

  private static JsonObject report(String type, long id, String details) {
    JsonObject report = new JsonObject().put("targetType", type).put("targetId", id).put("reason", "other");
    return details == null ? report : report.put("details", details);
  }

  private static JsonObject created(Api.Response r) {
    assertEquals(201, r.status(), r::toString);
    return r.json();
  }

  private static void done(Api.Response r) {
    assertEquals(204, r.status(), r::toString);
  }

  private static void refused(String field, Api.Response r) {
    assertEquals(400, r.status(), () -> field + ": " + r);
    assertEquals(List.of(field), r.errorFields(), r::toString);
  }

  // ---------- checking pages ----------

  /** One expectation on the page: see {@link #EXPECT}. */
  private record Check(String selector, String mode, Object expected) {
    List<Object> asArguments() {
      return List.of(selector, mode, expected instanceof Integer n ? String.valueOf(n) : expected);
    }
  }

  private static Check check(String selector, String mode, Object expected) {
    return new Check(selector, mode, expected);
  }

  /** A browser with the recorders installed in every document it opens. */
  private ChromeDriver browser(String name) {
    ChromeDriver driver = browsers.open(name);
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", RECORDER));
    return driver;
  }

  /** The words of the server's rendered HTML, as the dashboard's stream shows a live item's (mod.js, prose). */
  private static String prose(WebDriver page, String bodyHtml) {
    return (String) js(page, "return new DOMParser().parseFromString(arguments[0], 'text/html').body.textContent"
        + ".replace(/\\s+/g, ' ').trim();", bodyHtml);
  }

  /** Waits until every check holds; on a timeout, says which did not. */
  @SuppressWarnings("unchecked")
  private static void expect(WebDriver driver, String where, List<Check> checks) {
    List<List<Object>> arguments = checks.stream().map(Check::asArguments).toList();
    AtomicReference<List<String>> failures = new AtomicReference<>(List.of());
    waitFor(driver, 15).withMessage(() -> where + ":\n  " + String.join("\n  ", failures.get()))
        .until(d -> {
          failures.set((List<String>) js(d, EXPECT, arguments));
          return failures.get().isEmpty();
        });
  }

  /**
   * The feed and the dashboard follow topics that do not replay, and show no sign of when their subscription is in
   * place: so write a probe, wait for it on the page, and write another if it did not come.
   */
  private static void untilLive(WebDriver page, IntConsumer probe, IntFunction<ExpectedCondition<?>> arrived) {
    for (int attempt = 1; ; attempt++) {
      probe.accept(attempt);
      try {
        waitFor(page, 2).until(arrived.apply(attempt));
        return;
      } catch (TimeoutException e) {
        if (attempt == 5) throw e;
      }
    }
  }

  private static String postPageTitle(String title) {
    // document.title collapses ASCII whitespace, as the HTML standard says.
    return Pattern.quote(title.replaceAll("[\\t\\n\\f\\r ]+", " ").replaceAll("^ | $", "") + " · Parley");
  }

  /**
   * No payload ran or became active markup on this page: nothing called or assigned window.__xss, no dialog was
   * attempted, the CSP saw no violation, no element is active markup the app never ships, and the document title is
   * the app's own.
   */
  @SuppressWarnings("unchecked")
  private static void assertNothingRan(ChromeDriver driver, String where, String titlePattern) {
    try {
      driver.switchTo().alert();
      fail(where + ": a dialog is open");
    } catch (NoAlertPresentException expected) {
      // no dialog: good
    }
    assertEquals(Boolean.TRUE, ((JavascriptExecutor) driver).executeAsyncScript(SETTLE), where + ": settle image");
    Map<String, Object> scan = (Map<String, Object>) js(driver, SCAN);
    // Each problem once, with how often it was seen: one payload can show up on a page many times.
    Map<String, Integer> problems = new LinkedHashMap<>();
    for (String kind : List.of("calls", "dialogs", "violations", "active")) {
      for (Object problem : (List<Object>) scan.get(kind)) problems.merge(kind + ": " + problem, 1, Integer::sum);
    }
    assertEquals(Map.of(), problems, where);
    String title = (String) scan.get("title");
    // A signed-in reader's unread notifications may stand in front of the title: "(3) ...".
    assertTrue(Pattern.matches("(\\(\\d+\\+?\\) )?" + titlePattern, title), () -> where + ": the document title is " + title);
  }
}
