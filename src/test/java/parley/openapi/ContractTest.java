package parley.openapi;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The OpenAPI document (src/main/resources/openapi.yaml) against the running server, so neither can drift: every
 * route of the router is documented and every documented path is routed; and a conversation that calls every
 * documented operation, with its success and its main refusals, has each of its real requests and responses
 * validated against the document.
 */
@ExtendWith(TestParley.class)
class ContractTest {

  /**
   * The web app's pages: HTML for browsers, not the REST API, so not in the document. Everything else the router
   * serves must be documented.
   */
  private static final Set<String> WEB_PAGES = Set.of("GET /posts/{postId}", "GET /c/{commentId}",
      "GET /u/{username}", "GET /login", "GET /reset", "GET /mod", "GET /notifications", "GET /settings", "GET /search",
      "GET /favicon.ico", "GET /problems", "GET /problems/{code}");

  /**
   * The RealWorld ("Conduit") surface: a separate API with its own token scheme and error shape, specified by the
   * RealWorld project and checked by its Postman collection run with newman (docs/REALWORLD.md,
   * src/test/realworld/run-newman.sh), not by this document. Its routes are left out of the coverage check.
   */
  private static final String REALWORLD = parley.realworld.RealWorldRoutes.PREFIX + "/";

  private static Contract contract;
  private final Api api = Api.local();

  @BeforeAll
  static void load() throws Exception {
    contract = Contract.load();
  }

  @AfterAll
  static void close() {
    if (contract != null) contract.close();
  }

  @Test
  void everyRouteOfTheServerIsDocumentedAndEveryDocumentedRouteIsServed() throws Exception {
    Set<String> served = new TreeSet<>();
    for (String route : TestParley.server().running().routes().routes()) {
      served.add(route.replaceAll(":(\\w+)", "{$1}"));
    }
    served.removeAll(WEB_PAGES);
    assertTrue(served.stream().anyMatch(route -> route.contains(" " + REALWORLD)),
        "the RealWorld routes are in the route table, so leaving them out below is not a no-op: " + served);
    served.removeIf(route -> route.substring(route.indexOf(' ') + 1).startsWith(REALWORLD));
    Set<String> documented = contract.documentedRoutes();
    Set<String> undocumented = new TreeSet<>(served);
    undocumented.removeAll(documented);
    Set<String> unserved = new TreeSet<>(documented);
    unserved.removeAll(served);
    if (!undocumented.isEmpty() || !unserved.isEmpty()) {
      fail("routes the server has that src/main/resources/openapi.yaml does not document (add a path or method "
          + "there, with its parameters, bodies and responses; or, for an HTML page, to WEB_PAGES; RealWorld routes "
          + "are left out): " + undocumented
          + "\ndocumented routes the server does not have: " + unserved);
    }
    assertTrue(served.size() > 50, "the router's routes were read: " + served);
  }

  @Test
  void theDocumentIsServedAsYamlAndMayBeCached() throws Exception {
    Api.Response document = api.get("/api/openapi.yaml");
    assertEquals(200, document.status());
    assertEquals("application/yaml", Contract.essence(document.contentType()));
    assertTrue(document.header("cache-control").contains("max-age="), document.header("cache-control"));
    assertEquals(java.nio.file.Files.readString(Contract.DOCUMENT), document.body());
    String etag = document.header("etag");
    java.net.http.HttpResponse<String> conditional = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.baseUrl() + "/api/openapi.yaml"))
            .header("If-None-Match", etag).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(304, conditional.statusCode(), "a client that has the document revalidates it by its ETag");
  }

  @Test
  void everyOperationAnswersAsTheDocumentSays() throws Exception {
    Api.drainExchanges();
    converse();
    List<Api.Exchange> exchanges = Api.drainExchanges();
    List<String> violations = new ArrayList<>();
    Set<String> exercised = new TreeSet<>();
    for (Api.Exchange exchange : exchanges) {
      String violation = contract.violation(exchange);
      if (violation != null) violations.add(violation);
      String route = contract.routeOf(exchange);
      if (route != null) exercised.add(route);
    }
    Set<String> unexercised = new TreeSet<>(contract.documentedRoutes());
    unexercised.removeAll(exercised);
    if (!violations.isEmpty() || !unexercised.isEmpty()) {
      fail(violations.size() + " of " + exchanges.size() + " exchanges break the contract:\n  "
          + String.join("\n  ", violations)
          + "\ndocumented operations this test never calls (add them to converse()): " + unexercised);
    }
  }

  /** A conversation that calls every documented operation, succeeding and being refused. */
  private void converse() throws Exception {
    // health, metrics, the document itself
    api.get("/health");
    api.get("/health/live");
    api.get("/health/ready");
    api.raw("GET", "/metrics", null, null, null);
    api.get("/api/openapi.yaml");

    // accounts
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session mia = api.registerWithRole("mia", "admin");
    Session sam = api.registerWithRole("sam", "moderator");
    api.post("/api/auth/register", null, new JsonObject().put("username", "x").put("email", "nope").put("password", "short"));
    api.post("/api/auth/register", null, new JsonObject().put("username", "ALICE").put("email", "a2@example.org").put("password", "correct horse"));
    api.raw("POST", "/api/auth/register", null, "username=dave", "text/plain");
    api.raw("POST", "/api/auth/register", null, "[1]", "application/json");
    api.post("/api/auth/login", null, new JsonObject().put("login", "alice").put("password", "correct horse"));
    api.post("/api/auth/login", null, new JsonObject().put("login", "alice").put("password", "wrong password"));
    Session leaving = api.register("leaving");
    api.put("/api/me/password", leaving, new JsonObject().put("currentPassword", "wrong one").put("newPassword", "battery staple"));
    Api.Response changed = api.put("/api/me/password", leaving, new JsonObject().put("currentPassword", "correct horse").put("newPassword", "battery staple"));
    leaving = new Session(changed.json().getString("token"), leaving.id(), leaving.username());
    api.post("/api/auth/logout-all", leaving, null);
    api.post("/api/auth/logout-all", null, null);
    Session deleting = api.register("deleting");
    api.post("/api/me/delete", deleting, new JsonObject().put("currentPassword", "wrong one"));
    api.post("/api/me/delete", deleting, new JsonObject());
    api.post("/api/me/delete", mia, new JsonObject().put("currentPassword", "correct horse"));
    api.post("/api/me/delete", deleting, new JsonObject().put("currentPassword", "correct horse"));
    api.post("/api/me/delete", deleting, new JsonObject().put("currentPassword", "correct horse"));
    Session erased = api.register("erased");
    api.post("/api/admin/users/erased/delete", mia, new JsonObject());
    api.post("/api/admin/users/erased/delete", sam, new JsonObject().put("reason", "asked by mail"));
    api.post("/api/admin/users/mia/delete", mia, new JsonObject().put("reason", "asked by mail"));
    api.post("/api/admin/users/erased/delete", mia, new JsonObject().put("reason", "asked by mail"));
    api.post("/api/admin/users/erased/delete", mia, new JsonObject().put("reason", "asked by mail"));
    api.get("/api/me", alice);
    api.get("/api/me");
    api.raw("GET", "/api/me", "Basic abc", null, null);

    // posts
    api.post("/api/markdown/preview", alice, new JsonObject().put("body", "**bold** @bob <b>raw</b>"));
    api.post("/api/markdown/preview", null, new JsonObject().put("body", "x"));
    Api.Response created = api.post("/api/posts", alice, new JsonObject().put("title", "Compost in winter")
        .put("body", "Keep the heap *covered*, @bob.").put("sources", new JsonArray().add("https://example.org/compost"))
        .put("tags", new JsonArray().add("gardening")));
    long post = created.json().getLong("id");
    api.post("/api/posts", alice, new JsonObject().put("title", "").put("body", "").put("sources", new JsonArray().add(1)));
    api.post("/api/posts", null, new JsonObject().put("title", "t").put("body", "b"));
    long doomed = api.createPost(alice, "Soon deleted");
    api.get("/api/posts");
    api.get("/api/posts?sort=top&period=week&limit=1", bob);
    api.get("/api/posts?tag=gardening&sort=hot");
    api.get("/api/posts?limit=0");
    api.get("/api/posts/" + post);
    api.get("/api/posts/" + post, alice);
    api.get("/api/posts/99999999");
    api.get("/api/posts/abc");
    api.patch("/api/posts/" + post, alice, new JsonObject().put("title", "Compost in winter, again"));
    api.patch("/api/posts/" + post, alice, new JsonObject());
    api.patch("/api/posts/" + post, bob, new JsonObject().put("title", "Mine now"));
    api.put("/api/posts/" + post + "/tags", alice, new JsonObject().put("tags", new JsonArray().add("gardening").add("winter")));
    api.put("/api/posts/" + post + "/tags", bob, new JsonObject().put("tags", new JsonArray()));
    api.put("/api/posts/" + post + "/tags", alice, new JsonObject().put("tags", new JsonArray().add("Not A Tag!")));
    api.get("/api/tags");
    api.get("/api/tags?limit=500");
    api.delete("/api/posts/" + doomed, bob);
    api.delete("/api/posts/" + doomed, alice);
    api.delete("/api/posts/" + doomed, alice);

    // comments
    long first = api.comment(bob, post, "Mine froze solid in January.", null);
    long reply = api.comment(alice, post, "Did it thaw?", first);
    api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "").put("parentId", "x"));
    api.post("/api/posts/99999999/comments", bob, new JsonObject().put("body", "Anyone?"));
    api.get("/api/posts/" + post + "/comments");
    api.get("/api/posts/" + post + "/comments?sort=best&limit=1", alice);
    api.get("/api/posts/" + post + "/comments?limit=201");
    api.get("/api/comments/" + first);
    api.get("/api/comments/99999999");
    api.patch("/api/comments/" + reply, alice, new JsonObject().put("body", "Did it thaw by April?"));
    api.patch("/api/comments/" + reply, bob, new JsonObject().put("body", "No."));
    api.patch("/api/comments/" + reply, alice, new JsonObject().put("body", ""));
    long gone = api.comment(bob, post, "Never mind.", null);
    api.delete("/api/comments/" + gone, alice);
    api.delete("/api/comments/" + gone, bob);
    api.get("/api/comments/" + gone);
    api.patch("/api/comments/" + gone, bob, new JsonObject().put("body", "Back"));
    // earlier versions: the author's and a moderator's, refused to others, malformed
    api.get("/api/posts/" + post + "/revisions", alice);
    api.get("/api/posts/" + post + "/revisions?limit=1", sam);
    api.get("/api/posts/" + post + "/revisions", bob);
    api.get("/api/posts/" + post + "/revisions");
    api.get("/api/posts/" + post + "/revisions?limit=0", alice);
    api.get("/api/posts/999999/revisions", alice);
    api.get("/api/comments/" + reply + "/revisions", alice);
    api.get("/api/comments/" + reply + "/revisions", sam);
    api.get("/api/comments/" + reply + "/revisions", carol);
    api.get("/api/comments/" + reply + "/revisions");
    api.get("/api/comments/" + reply + "/revisions?cursor=nonsense", alice);
    api.get("/api/comments/999999/revisions", alice);
    api.get("/api/users/alice");
    api.get("/api/users/nobody");
    api.get("/api/users/alice/posts");
    api.get("/api/users/alice/posts?limit=0");
    api.get("/api/users/bob/comments", alice);
    api.get("/api/users/nobody/comments");

    // votes
    api.put("/api/posts/" + post + "/vote", bob, new JsonObject().put("value", 1));
    api.put("/api/posts/" + post + "/vote", alice, new JsonObject().put("value", 1));
    api.put("/api/posts/" + post + "/vote", bob, new JsonObject().put("value", 5));
    api.delete("/api/posts/" + post + "/vote", bob);
    api.delete("/api/posts/" + post + "/vote", null);
    api.put("/api/comments/" + first + "/vote", alice, new JsonObject().put("value", 1));
    api.put("/api/comments/99999999/vote", alice, new JsonObject().put("value", 1));
    api.delete("/api/comments/" + first + "/vote", alice);
    api.get("/api/posts/" + post + "/comments", alice);

    // following threads, notifications
    api.get("/api/posts/" + post + "/follow", carol);
    api.put("/api/posts/" + post + "/follow", carol, null);
    api.delete("/api/posts/" + post + "/follow", carol);
    api.get("/api/posts/99999999/follow", carol);
    api.get("/api/posts/" + post + "/follow");
    api.get("/api/me/notifications", bob);
    api.get("/api/me/notifications?order=unread&limit=5", alice);
    api.get("/api/me/notifications?order=oldest", alice);
    api.get("/api/me/notifications/unread", alice);
    api.get("/api/me/notifications/unread");
    api.post("/api/me/notifications/read", alice, new JsonObject().put("upTo", 1_000_000));
    api.post("/api/me/notifications/read", alice, new JsonObject().put("ids", new JsonArray().add(1).add(2)));
    api.post("/api/me/notifications/read", alice, new JsonObject());
    api.get("/api/me/notification-settings", alice);
    api.put("/api/me/notification-settings", alice, new JsonObject().put("mentions", false));
    api.put("/api/me/notification-settings", alice, new JsonObject().put("mentions", "no"));

    // search
    api.get("/api/search?q=compost");
    api.get("/api/search?q=%22froze+solid%22&type=comments", alice);
    api.get("/api/search?q=bo&type=users&limit=1");
    api.get("/api/search");
    api.get("/api/search?q=x&type=everything");

    // live: the event stream of a thread that is not there (a stream that opens never ends, so not here)
    api.get("/api/posts/99999999/events");

    // blocks
    api.put("/api/me/blocks/alice", carol, null);
    api.get("/api/posts/" + post, carol);
    api.get("/api/posts/" + post + "/comments", carol);
    api.get("/api/comments/" + reply, carol);
    api.get("/api/me/blocks", carol);
    api.put("/api/me/blocks/carol", carol, null);
    api.put("/api/me/blocks/nobody", carol, null);
    api.delete("/api/me/blocks/alice", carol);
    api.delete("/api/me/blocks/alice", null);

    // reports and the queue
    Api.Response report = api.post("/api/reports", carol, new JsonObject().put("targetType", "comment")
        .put("targetId", first).put("reason", "harassment").put("details", "Second time this week."));
    long reportId = report.json().getLong("id");
    api.post("/api/reports", carol, new JsonObject().put("targetType", "comment").put("targetId", first).put("reason", "spam"));
    api.post("/api/reports", bob, new JsonObject().put("targetType", "comment").put("targetId", first).put("reason", "spam"));
    api.post("/api/reports", carol, new JsonObject().put("targetType", "post").put("targetId", post).put("reason", "rude"));
    api.post("/api/reports", carol, new JsonObject().put("targetType", "post").put("targetId", 99999999).put("reason", "spam"));
    api.get("/api/me/reports", carol);
    api.get("/api/mod/queue", sam);
    api.get("/api/mod/queue?status=open&reason=harassment&limit=10", mia);
    api.get("/api/mod/queue?status=closed", sam);
    api.get("/api/mod/queue", bob);
    api.get("/api/mod/queue");
    api.post("/api/mod/reports/" + reportId + "/resolve", sam, new JsonObject().put("action", "dismiss").put("note", "Fine."));
    api.post("/api/mod/reports/" + reportId + "/resolve", sam, new JsonObject().put("action", "dismiss"));
    api.post("/api/mod/reports/" + reportId + "/resolve", sam, new JsonObject().put("action", "shrug"));
    JsonObject settled = api.get("/api/mod/queue?status=dismissed", sam).items().getJsonObject(0).getJsonArray("reports")
        .getJsonObject(0).getJsonObject("resolution");
    assertEquals("sam", settled.getJsonObject("by").getString("username"), settled.encode());
    assertEquals("Fine.", settled.getString("note"), settled.encode());
    api.post("/api/mod/reports/99999999/resolve", sam, new JsonObject().put("action", "hide"));
    api.get("/api/me/reports", carol);

    // claims: who is on what
    api.put("/api/mod/comments/" + first + "/claim", sam, null);
    api.put("/api/mod/comments/" + first + "/claim", mia, new JsonObject());
    api.delete("/api/mod/comments/" + first + "/claim", mia);
    api.put("/api/mod/comments/" + first + "/claim", mia, new JsonObject().put("takeOver", "yes"));
    api.put("/api/mod/comments/" + first + "/claim", mia, new JsonObject().put("takeOver", true));
    api.get("/api/mod/claims", sam);
    api.get("/api/mod/claims", bob);
    api.put("/api/mod/posts/" + post + "/claim", sam, null);
    api.put("/api/mod/posts/99999999/claim", sam, null);
    api.delete("/api/mod/posts/" + post + "/claim", sam);
    api.delete("/api/mod/posts/99999999/claim", sam);
    api.delete("/api/mod/comments/" + first + "/claim", mia);

    // moderators' actions on content
    api.post("/api/mod/posts/" + post + "/hide", sam, new JsonObject().put("reason", "Off topic"));
    api.post("/api/mod/posts/" + post + "/hide", sam, new JsonObject().put("reason", "Again"));
    api.post("/api/mod/posts/" + post + "/hide", sam, null);
    api.get("/api/posts/" + post, alice);
    api.post("/api/mod/posts/" + post + "/restore", sam, null);
    api.post("/api/mod/posts/" + post + "/restore", sam, new JsonObject().put("reason", "Not hidden"));
    api.post("/api/mod/posts/" + post + "/lock", sam, new JsonObject().put("reason", "Cooling off"));
    api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "Locked?"));
    api.post("/api/mod/comments/" + first + "/hide", sam, new JsonObject().put("reason", "Rude"));
    JsonObject onThread = api.get("/api/mod/posts/" + post + "/moderation", sam).json();
    assertEquals("sam", onThread.getJsonObject("post").getJsonObject("locked").getJsonObject("by").getString("username"),
        onThread.encode());
    assertEquals("Rude", onThread.getJsonArray("comments").getJsonObject(0).getJsonObject("hidden").getString("reason"),
        onThread.encode());
    api.get("/api/mod/posts/" + post + "/moderation", bob);
    api.get("/api/mod/posts/99999999/moderation", sam);
    api.post("/api/mod/comments/" + first + "/restore", sam, null);
    api.post("/api/mod/posts/" + post + "/unlock", sam, null);
    api.post("/api/mod/posts/" + post + "/unlock", sam, null);
    api.post("/api/mod/comments/" + first + "/hide", sam, new JsonObject().put("reason", "Rude"));
    api.get("/api/posts/" + post + "/comments");
    api.post("/api/mod/comments/" + first + "/restore", sam, null);
    api.post("/api/mod/comments/99999999/restore", sam, null);
    api.post("/api/mod/posts/99999999/lock", bob, null);

    // filters and pre-moderation
    Api.Response hold = api.post("/api/mod/filters", sam, new JsonObject().put("kind", "word").put("pattern", "casino").put("action", "hold"));
    api.post("/api/mod/filters", sam, new JsonObject().put("kind", "word").put("pattern", "CASINO").put("action", "hold"));
    api.post("/api/mod/filters", sam, new JsonObject().put("kind", "regex").put("pattern", "(").put("action", "drop"));
    Api.Response refuse = api.post("/api/mod/filters", sam, new JsonObject().put("kind", "pattern").put("pattern", "cheap\\s+pills").put("action", "refuse"));
    api.get("/api/mod/filters", sam);
    api.post("/api/posts", alice, new JsonObject().put("title", "Offer").put("body", "cheap   pills here"));
    api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "cheap pills"));
    long pendingPost = api.post("/api/posts", bob, new JsonObject().put("title", "Casino night").put("body", "At the casino")).json().getLong("id");
    long rejectedPost = api.post("/api/posts", bob, new JsonObject().put("title", "Casino again").put("body", "casino")).json().getLong("id");
    long pendingComment = api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "casino?")).json().getLong("id");
    long rejectedComment = api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "casino!")).json().getLong("id");
    api.get("/api/posts/" + pendingPost, bob);
    api.get("/api/mod/pending", sam);
    api.get("/api/mod/pending?limit=1000", sam);
    api.post("/api/mod/posts/" + pendingPost + "/approve", sam, null);
    api.post("/api/mod/posts/" + pendingPost + "/approve", sam, null);
    api.post("/api/mod/posts/" + rejectedPost + "/reject", sam, new JsonObject().put("reason", "Gambling"));
    api.post("/api/mod/posts/" + rejectedPost + "/reject", sam, new JsonObject());
    api.post("/api/mod/comments/" + pendingComment + "/approve", sam, new JsonObject()
        .put("editedAt", "2020-01-01T00:00:00Z"));
    api.post("/api/mod/comments/" + pendingComment + "/approve", sam, new JsonObject().put("editedAt", "soon"));
    api.post("/api/mod/comments/" + pendingComment + "/approve", sam, new JsonObject().put("reason", "Fine")
        .putNull("editedAt"));
    api.post("/api/mod/comments/" + rejectedComment + "/reject", sam, new JsonObject().put("reason", "Gambling"));
    api.post("/api/mod/comments/" + rejectedComment + "/reject", sam, new JsonObject().put("reason", "Again"));
    api.get("/api/mod/recent", sam);
    api.get("/api/mod/recent?limit=0", sam);
    api.delete("/api/mod/filters/" + hold.json().getLong("id"), sam);
    api.delete("/api/mod/filters/" + refuse.json().getLong("id"), sam);
    api.delete("/api/mod/filters/" + refuse.json().getLong("id"), sam);

    // users: cards, notes, bans, roles
    api.post("/api/mod/users/bob/notes", sam, new JsonObject().put("body", "Warned about tone."));
    api.post("/api/mod/users/bob/notes", sam, new JsonObject().put("body", ""));
    api.post("/api/mod/users/nobody/notes", sam, new JsonObject().put("body", "Who?"));
    api.post("/api/mod/users/bob/ban", sam, new JsonObject().put("reason", "Spam").put("until", "2999-12-31T00:00:00Z"));
    api.post("/api/mod/users/bob/ban", sam, new JsonObject().put("reason", "Spam").put("until", "1999-12-31T00:00:00Z"));
    api.post("/api/mod/users/mia/ban", sam, new JsonObject().put("reason", "Coup"));
    api.post("/api/mod/users/sam/ban", sam, new JsonObject().put("reason", "Me"));
    Session spammer = api.register("spammer");
    api.comment(spammer, api.createPost(spammer, "Cheap pills"), "Buy now", null);
    api.post("/api/mod/users/spammer/ban", sam, new JsonObject().put("reason", "Spam").put("removeContent", "yes"));
    api.post("/api/mod/users/spammer/ban", sam, new JsonObject().put("reason", "Spam").put("removeContent", true));
    api.post("/api/posts", bob, new JsonObject().put("title", "Still here").put("body", "Am I?"));
    JsonObject bobsBan = api.get("/api/me", bob).json().getJsonObject("ban");
    assertEquals(new JsonObject().put("until", "2999-12-31T00:00:00.000Z").put("reason", "Spam"), bobsBan, "told of the ban");
    api.get("/api/mod/users/bob", sam);
    api.get("/api/mod/users/nobody", sam);
    api.delete("/api/mod/users/bob/ban", sam);
    api.delete("/api/mod/users/nobody/ban", sam);
    api.get("/api/mod/log", sam);
    api.get("/api/mod/log?limit=1", mia);
    api.get("/api/mod/log?cursor=nonsense", mia);
    api.put("/api/admin/users/carol/role", mia, new JsonObject().put("role", "moderator"));
    api.put("/api/admin/users/carol/role", mia, new JsonObject().put("role", "king"));
    api.put("/api/admin/users/mia/role", mia, new JsonObject().put("role", "user"));
    api.put("/api/admin/users/nobody/role", mia, new JsonObject().put("role", "user"));
    api.put("/api/admin/users/carol/role", sam, new JsonObject().put("role", "admin"));
    // a password reset link, used once, then refused
    api.register("dora");
    String resetToken = api.post("/api/admin/users/dora/password-reset", mia, null).json().getString("token");
    api.post("/api/admin/users/dora/password-reset", sam, null);
    api.post("/api/admin/users/mia/password-reset", mia, null);
    api.post("/api/admin/users/nobody/password-reset", mia, null);
    api.post("/api/auth/reset/account", null, new JsonObject().put("token", resetToken));
    api.post("/api/auth/reset", null, new JsonObject().put("token", resetToken).put("newPassword", "correct horse"));
    api.post("/api/auth/reset", null, new JsonObject().put("token", resetToken).put("newPassword", "correct horse"));
    api.post("/api/auth/reset/account", null, new JsonObject().put("token", resetToken));
    api.post("/api/auth/reset/account", null, new JsonObject().put("token", "t".repeat(201)));
    api.post("/api/auth/reset", null, new JsonObject().put("token", "x").put("newPassword", "short"));

    // webhooks (admins). The shared server sends nothing and refuses non-public addresses (documentation ranges
    // such as 203.0.113.0/24 included), so the endpoints are on a public address literal and never sent to.
    String hookUrl = "https://8.8.8.8/parley";
    String webhooks = "/api/admin/webhooks";
    Api.Response hook = api.post(webhooks, mia, new JsonObject().put("url", hookUrl)
        .put("events", new JsonArray().add("post.created").add("comment.created").add("post.created"))
        .put("description", "Search indexer"));
    long hookId = hook.json().getLong("id");
    String hookPath = webhooks + "/" + hookId;
    long chosen = api.post(webhooks, mia, new JsonObject().put("url", hookUrl + "?chosen=1")
        .put("events", new JsonArray().add("post.stats"))
        .put("secret", "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]))).json().getLong("id");
    api.post(webhooks, mia, new JsonObject().put("url", "ftp://8.8.8.8/x").put("events", new JsonArray().add("user.banned"))
        .put("secret", "hunter2").put("description", 5));
    api.post(webhooks, mia, new JsonObject().put("url", "http://127.0.0.1:8080/hook").put("events", new JsonArray().add("post.created")));
    api.post(webhooks, mia, new JsonObject().put("url", hookUrl).put("events", new JsonArray()));
    api.post(webhooks, sam, new JsonObject().put("url", hookUrl).put("events", new JsonArray().add("post.created")));
    api.post(webhooks, null, new JsonObject().put("url", hookUrl).put("events", new JsonArray().add("post.created")));
    api.raw("POST", webhooks, "Bearer " + mia.token(), "url=" + hookUrl, "text/plain");
    api.raw("POST", webhooks, "Bearer " + mia.token(), "{\"description\":\"" + "x".repeat(70_000) + "\"}", "application/json");
    api.get(webhooks, mia);
    api.get(webhooks, sam);
    api.get(webhooks);
    api.get(hookPath, mia);
    api.get(webhooks + "/99999999", mia);
    api.get(webhooks + "/abc", mia);
    api.get(hookPath, sam);
    api.post(hookPath + "/replay", mia, new JsonObject().put("from", 1));
    api.post(hookPath + "/replay", mia, new JsonObject().put("from", 0));
    api.post(hookPath + "/replay", mia, new JsonObject());
    api.post(webhooks + "/99999999/replay", mia, new JsonObject().put("from", 1));
    api.post(hookPath + "/replay", sam, new JsonObject().put("from", 1));
    api.post(hookPath + "/skip", mia, new JsonObject().put("to", Long.MAX_VALUE));
    api.post(hookPath + "/skip", mia, new JsonObject().put("to", 1));
    api.post(hookPath + "/skip", mia, new JsonObject());
    api.post(webhooks + "/99999999/skip", mia, new JsonObject().put("to", 2));
    api.post(hookPath + "/skip", sam, new JsonObject().put("to", 2));
    api.post(hookPath + "/resume", mia, null);
    api.post(webhooks + "/99999999/resume", mia, null);
    api.post(hookPath + "/resume", null, null);
    api.get(hookPath + "/deliveries", mia);
    // Nothing is delivered here, so the log gets two attempts at the thread's first comment written directly, and
    // the endpoint a loopback address, which a redelivery refuses at once (without a request leaving the machine).
    long position = TestParley.count("INSERT INTO webhook_positions (position, topic, seq) SELECT nextval('webhook_position_seq'), "
        + "topic, seq FROM events WHERE topic = 'parley.post." + post + "' AND type = 'comment.created' ORDER BY seq LIMIT 1 "
        + "RETURNING position");
    String attempt = "INSERT INTO webhook_deliveries (webhook_id, position, message_id, event_type, topic, seq, attempt, outcome, "
        + "status_code, latency_ms, error) SELECT " + hookId + ", position, 'evt_' || position, 'comment.created', topic, seq, %d, "
        + "'%s', %s, 35, %s FROM webhook_positions WHERE position = " + position + " RETURNING id";
    TestParley.count(attempt.formatted(1, "failed", "503", "'HTTP 503'"));
    long delivery = TestParley.count(attempt.formatted(2, "delivered", "200", "NULL"));
    TestParley.sql("UPDATE webhooks SET url = 'http://127.0.0.1:9/hook' WHERE id = " + hookId);
    api.get(hookPath + "/deliveries", mia);
    api.get(hookPath + "/deliveries?limit=1&before=" + delivery, mia);
    api.get(hookPath + "/deliveries?limit=0", mia);
    api.get(hookPath + "/deliveries?before=latest", mia);
    api.get(webhooks + "/99999999/deliveries", mia);
    api.get(hookPath + "/deliveries", sam);
    api.post(hookPath + "/deliveries/" + delivery + "/redeliver", mia, null);
    api.post(hookPath + "/deliveries/99999999/redeliver", mia, null);
    api.post(webhooks + "/" + chosen + "/deliveries/" + delivery + "/redeliver", mia, null);
    api.post(hookPath + "/deliveries/" + delivery + "/redeliver", sam, null);
    api.post(hookPath + "/deliveries/" + delivery + "/redeliver", null, null);
    api.get(hookPath + "/deliveries?limit=5", mia);
    api.get("/api/mod/log?limit=20", mia);
    api.delete(hookPath, mia);
    api.delete(hookPath, mia);
    api.delete(webhooks + "/" + chosen, sam);
    api.delete(webhooks + "/" + chosen, null);

    profilesAndFollows(alice, sam, post);

    // feeds
    api.raw("GET", "/feed.atom", null, null, null);
    api.raw("GET", "/tags/gardening/feed.atom", null, null, null);
    api.raw("GET", "/tags/Not_A_Tag/feed.atom", null, null, null);

    // one's own data, after all of the above (posts, comments, versions, votes, follows, blocks, reports)
    api.get("/api/me/export", alice);
    api.get("/api/me/export", bob);
    api.get("/api/me/export");
    api.post("/api/admin/users/alice/export", mia, new JsonObject().put("reason", "asked by mail"));
    api.post("/api/admin/users/alice/export", mia, new JsonObject());
    api.post("/api/admin/users/alice/export", sam, new JsonObject().put("reason", "asked by mail"));
    api.post("/api/admin/users/alice/export", null, new JsonObject().put("reason", "asked by mail"));
    api.post("/api/admin/users/nobody/export", mia, new JsonObject().put("reason", "asked by mail"));

    // no such route or method
    api.get("/api/nothing-here");
    api.put("/api/posts/" + post, alice, new JsonObject().put("title", "PUT is not PATCH"));
  }

  /**
   * Profiles (bio, image) and following people: PATCH /api/me, the follow routes and the following feed, plus a
   * post with a description in every representation (full, list item, profile list, following feed).
   */
  private void profilesAndFollows(Session alice, Session sam, long post) throws Exception {
    Session fern = api.register("fern");
    Session gus = api.register("gus");
    Session hal = api.register("hal");
    // own account: bio and image set, cleared, refused
    Api.Response updated = expect(200, api.patch("/api/me", fern, new JsonObject().put("bio", "I grow ferns.")
        .put("image", "https://example.org/fern.png")));
    assertEquals("I grow ferns.", updated.json().getString("bio"));
    api.get("/api/me", fern);
    expect(200, api.get("/api/users/fern"));
    Api.Response cleared = expect(200, api.patch("/api/me", fern, new JsonObject().put("bio", "").putNull("image")));
    assertTrue(cleared.json().containsKey("image") && cleared.json().getValue("image") == null, cleared.body());
    // A new username or email needs the current password; the ones it has already do not.
    expect(400, api.patch("/api/me", fern, new JsonObject().put("username", "Fern_2")));
    expect(400, api.patch("/api/me", fern, new JsonObject().put("email", "fern2@example.org")
        .put("currentPassword", "not it")));
    expect(200, api.patch("/api/me", fern, new JsonObject().put("username", "FERN")
        .put("email", "Fern@Example.org")));
    expect(200, api.patch("/api/me", fern, new JsonObject().put("username", "Fern_2").put("email", "fern2@example.org")
        .put("currentPassword", "correct horse")));
    expect(200, api.patch("/api/me", fern, new JsonObject()));
    expect(400, api.patch("/api/me", fern, new JsonObject().put("image", "ftp://example.org/x").put("bio", "x".repeat(1001))));
    expect(400, api.patch("/api/me", fern, new JsonObject().put("username", "no spaces here")));
    expect(400, api.patch("/api/me", fern, new JsonObject().put("password", "a new password")));
    expect(409, api.patch("/api/me", fern, new JsonObject().put("username", "gus").put("currentPassword", "correct horse")));
    expect(409, api.patch("/api/me", fern, new JsonObject().put("email", "alice@example.org")
        .put("currentPassword", "correct horse")));
    expect(401, api.patch("/api/me", null, new JsonObject().put("bio", "Anyone?")));
    expect(415, api.raw("PATCH", "/api/me", "Bearer " + fern.token(), "bio=x", "text/plain"));
    expect(400, api.raw("PATCH", "/api/me", "Bearer " + fern.token(), "[1]", "application/json"));

    // posts with a description, in each representation
    long described = expect(201, api.post("/api/posts", gus, new JsonObject().put("title", "Ferns in shade")
        .put("description", "Which ones like it dark").put("body", "Most of them."))).json().getLong("id");
    expect(400, api.post("/api/posts", gus, new JsonObject().put("title", "t").put("description", "d".repeat(301)).put("body", "b")));
    expect(400, api.post("/api/posts", gus, new JsonObject().put("title", "t").put("description", 5).put("body", "b")));
    expect(200, api.patch("/api/posts/" + described, gus, new JsonObject().put("description", "Which ones like the dark")));
    expect(400, api.patch("/api/posts/" + described, gus, new JsonObject().putNull("description")));
    api.get("/api/posts/" + described);
    api.get("/api/users/gus/posts");

    // following people and the following feed
    expect(200, api.put("/api/users/gus/follow", fern, null));
    expect(200, api.put("/api/users/gus/follow", fern, null));
    expect(200, api.put("/api/users/alice/follow", fern, null));
    assertTrue(expect(200, api.get("/api/users/gus/follow", fern)).json().getBoolean("following"));
    api.get("/api/users/GUS/follow", fern);
    assertEquals(false, expect(200, api.get("/api/users/nobody/follow", fern)).json().getBoolean("following"));
    expect(401, api.get("/api/users/gus/follow"));
    Api.Response feed = expect(200, api.get("/api/feed/following", fern));
    assertEquals("Which ones like the dark", feed.json().getJsonArray("items").getJsonObject(0).getString("description"));
    api.get("/api/feed/following?limit=1", fern);
    expect(400, api.get("/api/feed/following?limit=0", fern));
    api.get("/api/feed/following?cursor=nonsense", fern);
    expect(401, api.get("/api/feed/following"));
    expect(404, api.put("/api/users/nobody/follow", fern, null));
    expect(400, api.put("/api/users/Fern_2/follow", fern, null));
    expect(401, api.put("/api/users/gus/follow", null, null));
    expect(200, api.delete("/api/users/alice/follow", fern));
    expect(200, api.delete("/api/users/alice/follow", fern));
    expect(404, api.delete("/api/users/nobody/follow", fern));
    expect(400, api.delete("/api/users/Fern_2/follow", fern));
    expect(401, api.delete("/api/users/gus/follow", null));
    api.get("/api/users/alice/follow", fern);
    // a banned user may still ask, but not follow, unfollow or change their profile
    expect(204, api.post("/api/mod/users/hal/ban", sam, new JsonObject().put("reason", "Spam")));
    expect(200, api.get("/api/users/gus/follow", hal));
    assertEquals(new JsonObject().put("until", null).put("reason", "Spam"),
        expect(200, api.get("/api/me", hal)).json().getJsonObject("ban"), "for good: no end");
    assertEquals(new JsonObject().put("until", null).put("reason", "Spam"),
        expect(200, api.get("/api/mod/users/hal", sam)).json().getJsonObject("ban"), "the record: for good, no end");
    JsonObject unbanned = expect(200, api.get("/api/me", gus)).json();
    assertTrue(unbanned.containsKey("ban") && unbanned.getValue("ban") == null, "not banned: null, " + unbanned);
    expect(403, api.put("/api/users/gus/follow", hal, null));
    expect(403, api.delete("/api/users/gus/follow", hal));
    expect(403, api.patch("/api/me", hal, new JsonObject().put("bio", "Not banned")));
    // A ban that has run out is not a ban on the record (its history still has it).
    parley.TestParley.sql("UPDATE users SET banned_until = now() - interval '1 minute' WHERE username = 'hal'");
    JsonObject record = expect(200, api.get("/api/mod/users/hal", sam)).json();
    assertTrue(record.containsKey("ban") && record.getValue("ban") == null, record.encode());
  }

  /** The response, after checking its status (so the conversation reaches the branch it means to). */
  private static Api.Response expect(int status, Api.Response response) {
    assertEquals(status, response.status(), response.body());
    return response;
  }

}
