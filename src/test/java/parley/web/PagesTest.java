package parley.web;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pages the server fills in: a post's link preview, escaped; nothing of a post anyone may not read. */
@ExtendWith(TestParley.class)
class PagesTest {

  private final Api api = Api.local();

  @Test
  void aPostPageCarriesItsTitleAndDescriptionForLinkPreviewsEscaped() {
    Session alice = api.register("alice");
    Api.Response created = api.post("/api/posts", alice, new JsonObject().put("title", "Tom & \"Jerry\" <script>")
        .put("body", "A *short* body with <b>tags</b>."));
    long id = created.json().getLong("id");
    Api.Response page = api.raw("GET", "/posts/" + id, null, null, null);
    assertEquals(200, page.status());
    assertTrue(page.contentType().startsWith("text/html"), page.contentType());
    String html = page.body();
    assertTrue(html.contains("<title>Tom &amp; &quot;Jerry&quot; &lt;script&gt; · Parley</title>"), html);
    assertTrue(html.contains("<meta property=\"og:title\" content=\"Tom &amp; &quot;Jerry&quot; &lt;script&gt;\">"), html);
    // The body shows HTML as written, so its description does too (escaped), as its excerpt does.
    assertTrue(html.contains("<meta name=\"description\" content=\"A short body with &lt;b&gt;tags&lt;/b&gt;.\">"),
        html);
    assertFalse(html.contains("<script>"), "no markup from the post in the head");
    assertTrue(html.contains("/js/post.js"), "the page itself is the post page");
    // A post with its author's summary is previewed by it, as the feed shows it, not by its body's first words.
    long summarized = api.post("/api/posts", alice, new JsonObject().put("title", "Summed up")
        .put("description", "The gist, <in> a line").put("body", "The body's own first words.")).json().getLong("id");
    String withSummary = api.raw("GET", "/posts/" + summarized, null, null, null).body();
    assertTrue(withSummary.contains("<meta property=\"og:description\" content=\"The gist, &lt;in&gt; a line\">"),
        withSummary);
  }

  /** A hidden, missing or malformed post is a 404 (a soft 200 said to crawlers that it was there; a probe). */
  @Test
  void aHiddenOrMissingPostGivesThePlainPageWith404() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    long id = api.createPost(alice, "Soon hidden");
    assertEquals(204, api.post("/api/mod/posts/" + id + "/hide", mod, new JsonObject().put("reason", "spam")).status());
    for (String path : new String[] {"/posts/" + id, "/posts/99999999", "/posts/abc"}) {
      assertEquals("application/problem+json", api.raw("GET", path, null, null, null).contentType(),
          "a client that does not ask for HTML gets a problem, as from any other path: " + path);
      Api.Response page = api.page("GET", path);
      assertEquals(404, page.status(), path);
      assertTrue(page.body().contains("/js/post.js"), "its script shows it to its author and the moderators: " + path);
      assertFalse(page.body().contains("og:title"), path);
      assertFalse(page.body().contains("Soon hidden"), path);
      assertTrue(page.body().contains("<title>Parley: post</title>"), path);
    }
  }

  /** A profile page is a 404 when there is no such user, and the profile page itself either way. */
  @Test
  void aProfileOfNobodyIs404() {
    api.register("alice");
    for (String path : new String[] {"/u/alice", "/u/ALICE"}) {
      Api.Response page = api.page("GET", path);
      assertEquals(200, page.status(), path);
      assertTrue(page.body().contains("/js/user.js"), path);
    }
    for (String path : new String[] {"/u/nobody", "/u/al", "/u/%E2%98%83", "/u/" + "a".repeat(300)}) {
      assertEquals(404, api.raw("GET", path, null, null, null).status(), path);
      Api.Response page = api.page("GET", path);
      assertEquals(404, page.status(), path);
      assertTrue(page.body().contains("/js/user.js"), path);
    }
  }

  /** A short comment link to nothing is the 404 page to a browser, and problem+json to any other client. */
  @Test
  void aCommentLinkToNothingIs404AsEveryOtherPathIs() {
    for (String path : new String[] {"/c/0", "/c/abc", "/c/99999999"}) {
      assertNotFoundEitherWay(path);
    }
  }

  /** Every page with the site's header styles it the same way: the header's search box looked foreign on the 404. */
  /**
   * The static files (scripts, stylesheets, plain pages) are asked again before each use, and a copy still current
   * costs a 304 without a body: every page once fetched all of them whole. Never kept unasked: after an upgrade a
   * page's modules must not run beside an older copy of one of them.
   */
  @Test
  void staticFilesAreAskedAgainAndACurrentCopyIsA304WithoutABody() throws Exception {
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    for (String path : new String[] {"/js/ui.js", "/css/parley.css", "/", "/login", "/favicon.svg"}) {
      java.net.http.HttpResponse<String> first = client.send(request(path, null), ofString());
      assertEquals(200, first.statusCode(), path);
      assertEquals("no-cache", first.headers().firstValue("cache-control").orElse(null), path);
      String modified = first.headers().firstValue("last-modified").orElseThrow();
      java.net.http.HttpResponse<String> current = client.send(request(path, modified), ofString());
      assertEquals(304, current.statusCode(), path);
      assertEquals("", current.body(), path);
      java.net.http.HttpResponse<String> stale = client.send(request(path, "Mon, 01 Jan 2001 00:00:00 GMT"), ofString());
      assertEquals(200, stale.statusCode(), path);
      assertEquals(first.body(), stale.body(), path);
      assertEquals(200, client.send(request(path, "not a date"), ofString()).statusCode(), path);
    }
  }

  /** The 404 page to a browser, and problem+json to any other client. */
  private void assertNotFoundEitherWay(String path) {
    Api.Response json = api.raw("GET", path, null, null, null);
    assertEquals(404, json.status(), path);
    assertTrue(json.contentType().startsWith("application/problem+json"), path + " " + json.contentType());
    Api.Response page = api.page("GET", path);
    assertEquals(404, page.status(), path);
    assertTrue(page.contentType().startsWith("text/html"), path + " " + page.contentType());
  }

  /** A file's name with a slash after it is no file: it was the file again, typed application/octet-stream. */
  @Test
  void aFilesNameWithASlashAfterItIs404() {
    for (String path : new String[] {"/js/mod.js/", "/css/parley.css/", "/favicon.svg/", "/login.html/", "/js/",
        "/js/mod.js//", "/index.html/", "/js/mod.js/.", "/js/mod.js/%2E",
        // the slash written as the static handler decodes it (a review found these past a check of the raw path)
        "/js/mod.js%2F", "/js/mod.js%2f", "/js/mod.js%5C", "/js/mod.js%5c", "/js/mod.js%2F%2E", "/login.html%2F"}) {
      assertNotFoundEitherWay(path);
    }
    for (String path : new String[] {"/", "/?x=1", "/index.html", "/js/./mod.js", "/%6Cogin.html", "/login",
        "/search/"}) {
      assertEquals(200, api.page("GET", path).status(), path);
    }
  }

  private java.net.http.HttpRequest request(String path, String ifModifiedSince) {
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.baseUrl() + path));
    if (ifModifiedSince != null) request.header("If-Modified-Since", ifModifiedSince);
    return request.build();
  }

  private static java.net.http.HttpResponse.BodyHandler<String> ofString() {
    return java.net.http.HttpResponse.BodyHandlers.ofString();
  }

  @Test
  void everyPageWithTheSiteHeaderHasItsStyles() {
    for (String path : new String[] {"/", "/posts/1", "/login", "/mod", "/notifications", "/settings", "/search",
        "/u/nobody", "/reset", "/problems", "/no/such/page"}) {
      String html = api.raw("GET", path, null, null, null).body();
      if (!html.contains("<header class=\"site\"")) continue;
      for (String sheet : new String[] {"/css/parley.css", "/css/search.css"}) {
        assertTrue(html.contains("<link rel=\"stylesheet\" href=\"" + sheet + "\">"), path + " lacks " + sheet);
      }
    }
  }

  @Test
  void aProblemsTypeLeadsToItsSectionOfTheProblemTypesPage() {
    Api.Response problem = api.get("/api/posts/99999999");
    assertEquals(404, problem.status());
    String type = problem.json().getString("type");
    assertEquals("/problems/not-found", type);
    Api.Response redirect = api.raw("GET", type, null, null, null);
    assertEquals(302, redirect.status());
    assertEquals("/problems#not-found", redirect.header("location"));
    Api.Response page = api.raw("GET", "/problems", null, null, null);
    assertEquals(200, page.status());
    assertTrue(page.contentType().startsWith("text/html"), page.contentType());
    assertTrue(page.body().contains("<section id=\"not-found\">"), page.body());
    assertEquals(404, api.raw("GET", "/problems/no-such-code", null, null, null).status());
  }
}
