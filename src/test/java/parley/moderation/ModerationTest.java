package parley.moderation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.Api.Session;
import parley.ModerationCast;
import parley.TestParley;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Moderators acting on content, over real HTTP against the real database: the permission matrix over every route
 * behind the /api/mod and /api/admin guards, hiding and restoring posts and comments, the append-only audit log,
 * locked threads, and comment counts and deleted posts under moderation. Reports are in ReportsTest; bans and roles
 * in AdminTest.
 */
@ExtendWith(TestParley.class)
class ModerationTest extends ModerationCast {

  /** Every test here starts with the same four accounts (the tables were emptied just before). */
  @BeforeEach
  void meetTheCast() throws Exception {
    cast();
  }

  // ==== 1. the permission matrix ====

  private record Call(String method, String path, JsonObject body) {
    @Override
    public String toString() {
      return method + " " + path;
    }
  }

  @FunctionalInterface
  private interface Prepare {
    /** Sets up fresh state for one call of the endpoint, and returns the call. */
    Call call() throws Exception;
  }

  /**
   * One /api/mod or /api/admin endpoint: the status it answers a permitted caller, the audit action it writes (null
   * for reads), and whether only admins may call it.
   */
  private record Endpoint(String name, int success, String audit, boolean adminOnly, Prepare prepare) {
  }

  private Response send(Call call, Session as) {
    return api.raw(call.method(), call.path(), as == null ? null : "Bearer " + as.token(),
        call.body() == null ? null : call.body().encode(), "application/json");
  }

  /** Every moderation endpoint. Alice is "the content's author" (or the account acted on) throughout. */
  private List<Endpoint> endpoints() {
    return List.of(
        new Endpoint("queue", 200, null, false, () -> {
          reportId(bob, "post", api.createPost(alice, "Queued"), "spam");
          return new Call("GET", "/api/mod/queue", null);
        }),
        new Endpoint("resolve a report", 204, "report.dismissed", false, () -> {
          long report = reportId(bob, "post", api.createPost(alice, "Reported"), "spam");
          return new Call("POST", "/api/mod/reports/" + report + "/resolve", new JsonObject().put("action", "dismiss"));
        }),
        new Endpoint("hide a post", 204, "post.hidden", false, () ->
            new Call("POST", "/api/mod/posts/" + api.createPost(alice, "To hide") + "/hide", reason("spam"))),
        new Endpoint("restore a post", 204, "post.restored", false, () -> {
          long post = api.createPost(alice, "To restore");
          ok(api.post("/api/mod/posts/" + post + "/hide", mod, reason("spam")), "hide post");
          return new Call("POST", "/api/mod/posts/" + post + "/restore", reason("appeal upheld"));
        }),
        new Endpoint("hide a comment", 204, "comment.hidden", false, () -> {
          long post = api.createPost(alice, "Thread");
          return new Call("POST", "/api/mod/comments/" + api.comment(alice, post, "rude", null) + "/hide",
              reason("rude"));
        }),
        new Endpoint("restore a comment", 204, "comment.restored", false, () -> {
          long post = api.createPost(alice, "Thread");
          long comment = api.comment(alice, post, "rude?", null);
          ok(api.post("/api/mod/comments/" + comment + "/hide", mod, reason("rude")), "hide comment");
          return new Call("POST", "/api/mod/comments/" + comment + "/restore", reason("not rude after all"));
        }),
        new Endpoint("lock a post", 204, "post.locked", false, () ->
            new Call("POST", "/api/mod/posts/" + api.createPost(alice, "To lock") + "/lock", null)),
        new Endpoint("unlock a post", 204, "post.unlocked", false, () -> {
          long post = api.createPost(alice, "To unlock");
          ok(api.post("/api/mod/posts/" + post + "/lock", mod, null), "lock");
          return new Call("POST", "/api/mod/posts/" + post + "/unlock", null);
        }),
        new Endpoint("ban a user", 204, "user.banned", false, () -> {
          ok(api.delete("/api/mod/users/alice/ban", mod), "unban first");
          return new Call("POST", "/api/mod/users/alice/ban", reason("trolling"));
        }),
        new Endpoint("unban a user", 204, "user.unbanned", false, () -> {
          ban(mod, "alice", reason("trolling"));
          return new Call("DELETE", "/api/mod/users/alice/ban", null);
        }),
        new Endpoint("audit log", 200, null, false, () -> new Call("GET", "/api/mod/log", null)),
        new Endpoint("approve a post", 204, "post.approved", false, () ->
            new Call("POST", "/api/mod/posts/" + pendingPost(unbanned(alice), "Held") + "/approve", null)),
        new Endpoint("reject a post", 204, "post.rejected", false, () ->
            new Call("POST", "/api/mod/posts/" + pendingPost(unbanned(alice), "Held") + "/reject", reason("spam"))),
        new Endpoint("approve a comment", 204, "comment.approved", false, () -> new Call("POST",
            "/api/mod/comments/" + pendingComment(unbanned(alice), api.createPost(bob, "Thread")) + "/approve",
            null)),
        new Endpoint("reject a comment", 204, "comment.rejected", false, () -> new Call("POST",
            "/api/mod/comments/" + pendingComment(unbanned(alice), api.createPost(bob, "Thread")) + "/reject",
            reason("spam"))),
        new Endpoint("pending queue", 200, null, false, () -> {
          pendingComment(unbanned(alice), api.createPost(bob, "Thread"));
          return new Call("GET", "/api/mod/pending", null);
        }),
        new Endpoint("recent content", 200, null, false, () -> new Call("GET", "/api/mod/recent", null)),
        new Endpoint("filter list", 200, null, false, () -> {
          holdWord();
          return new Call("GET", "/api/mod/filters", null);
        }),
        new Endpoint("add a filter", 201, "filter.added", false, () -> new Call("POST", "/api/mod/filters",
            new JsonObject().put("kind", "word").put("pattern", "w" + System.nanoTime()).put("action", "refuse"))),
        new Endpoint("remove a filter", 204, "filter.removed", false, () -> {
          holdWord();
          return new Call("DELETE", "/api/mod/filters/" + TestParley.count("SELECT max(id) FROM mod_filters"), null);
        }),
        new Endpoint("claims", 200, null, false, () -> new Call("GET", "/api/mod/claims", null)),
        new Endpoint("claim a post", 200, NO_AUDIT, false, () -> {
          long post = api.createPost(alice, "To review");
          reportId(bob, "post", post, "spam");
          return new Call("PUT", "/api/mod/posts/" + post + "/claim", null);
        }),
        new Endpoint("claim a comment", 200, NO_AUDIT, false, () -> new Call("PUT", "/api/mod/comments/"
            + pendingComment(unbanned(alice), api.createPost(bob, "Thread")) + "/claim",
            new JsonObject().put("takeOver", true))),
        new Endpoint("let a post go", 204, NO_AUDIT, false, () ->
            new Call("DELETE", "/api/mod/posts/" + expiredClaim("post", api.createPost(alice, "Claimed")) + "/claim",
                null)),
        new Endpoint("let a comment go", 204, NO_AUDIT, false, () -> new Call("DELETE", "/api/mod/comments/"
            + expiredClaim("comment", api.comment(alice, api.createPost(bob, "Thread"), "claimed", null)) + "/claim",
            null)),
        new Endpoint("a thread's moderation", 200, null, false, () ->
            new Call("GET", "/api/mod/posts/" + api.createPost(alice, "Thread") + "/moderation", null)),
        new Endpoint("user card", 200, null, false, () -> new Call("GET", "/api/mod/users/alice", null)),
        new Endpoint("note on a user", 201, "user.noted", false, () -> new Call("POST", "/api/mod/users/alice/notes",
            new JsonObject().put("body", "Warned in private about tone."))),
        new Endpoint("list webhooks", 200, null, true, () -> new Call("GET", "/api/admin/webhooks", null)),
        new Endpoint("register a webhook", 201, "webhook.created", true, () -> new Call("POST", "/api/admin/webhooks",
            new JsonObject().put("url", "https://93.184.216.34/hook").put("events", List.of("post.created")))),
        new Endpoint("show a webhook", 200, null, true, () ->
            new Call("GET", "/api/admin/webhooks/" + hookWithDelivery()[0], null)),
        new Endpoint("delete a webhook", 204, "webhook.deleted", true, () ->
            new Call("DELETE", "/api/admin/webhooks/" + hookWithDelivery()[0], null)),
        new Endpoint("resume a webhook", 200, "webhook.resumed", true, () ->
            new Call("POST", "/api/admin/webhooks/" + hookWithDelivery()[0] + "/resume", null)),
        new Endpoint("replay a webhook", 200, "webhook.replayed", true, () -> new Call("POST",
            "/api/admin/webhooks/" + hookWithDelivery()[0] + "/replay", new JsonObject().put("from", 1))),
        // Its cursor at 0, and at least its one delivered position in the log: the first passed over.
        new Endpoint("skip a webhook's events", 200, "webhook.skipped", true, () -> new Call("POST",
            "/api/admin/webhooks/" + hookWithDelivery()[0] + "/skip", new JsonObject().put("to", 2))),
        new Endpoint("webhook deliveries", 200, null, true, () ->
            new Call("GET", "/api/admin/webhooks/" + hookWithDelivery()[0] + "/deliveries", null)),
        new Endpoint("redeliver", 201, "webhook.redelivered", true, () -> {
          long[] hook = hookWithDelivery();
          return new Call("POST", "/api/admin/webhooks/" + hook[0] + "/deliveries/" + hook[1] + "/redeliver", null);
        }),
        new Endpoint("change a role", 204, "user.role_changed", true, () -> {
          ok(api.put("/api/admin/users/alice/role", boss, new JsonObject().put("role", "user")), "reset role");
          return new Call("PUT", "/api/admin/users/alice/role", new JsonObject().put("role", "moderator"));
        }),
        new Endpoint("issue a password reset link", 201, "user.password_reset", true,
            () -> new Call("POST", "/api/admin/users/alice/password-reset", null)),
        new Endpoint("download a member's data", 200, "user.exported", true, () -> new Call("POST",
            "/api/admin/users/alice/export", new JsonObject().put("reason", "asked by mail"))),
        // Last: the account it deletes is alice's, whom every endpoint above acts on.
        new Endpoint("delete an account", 204, "user.deleted", true,
            () -> new Call("POST", "/api/admin/users/alice/delete", new JsonObject().put("reason", "asked by mail"))));
  }

  /**
   * A webhook (to 127.0.0.1, which the shared server never sends to) with one logged delivery of a new post's
   * event: its id and the delivery's.
   */
  private long[] hookWithDelivery() throws Exception {
    api.createPost(alice, "Hooked");
    TestParley.sql("INSERT INTO webhooks (url, event_types, secret, cursor) VALUES ('http://127.0.0.1:1/hook', "
        + "'{post.created}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr', 0)");
    TestParley.sql("INSERT INTO webhook_positions (position, topic, seq) SELECT nextval('webhook_position_seq'), "
        + "topic, seq FROM events WHERE topic = 'parley.feed' AND type = 'post.created' ORDER BY seq DESC LIMIT 1");
    TestParley.sql("INSERT INTO webhook_deliveries (webhook_id, position, message_id, event_type, topic, seq, "
        + "attempt, outcome) SELECT (SELECT max(id) FROM webhooks), position, 'evt_' || position, 'post.created', "
        + "topic, seq, 1, 'failed' FROM webhook_positions ORDER BY position DESC LIMIT 1");
    return new long[] {TestParley.count("SELECT max(id) FROM webhooks"),
        TestParley.count("SELECT max(id) FROM webhook_deliveries")};
  }

  /** An Endpoint's audit for a write that keeps no audit entry (a claim): it changes the database, not the log. */
  private static final String NO_AUDIT = "";

  /**
   * A claim of the moderator's on a post or comment that has just run out (written straight to the database): anyone
   * may let it go, and doing so deletes it. Returns the id.
   */
  private long expiredClaim(String type, long id) throws Exception {
    TestParley.sql("INSERT INTO mod_claims (target_type, target_id, moderator_id, expires_at) VALUES ('" + type
        + "', " + id + ", " + mod.id() + ", now() - interval '1 second')");
    return id;
  }

  /** The author, with any ban an earlier endpoint of the matrix left lifted (so they can write the content). */
  private Session unbanned(Session author) {
    ok(api.delete("/api/mod/users/" + author.username() + "/ban", mod), "unban " + author.username());
    return author;
  }

  private void assertRefused(String name, Call call, Session as, String who, int status) throws Exception {
    String before = snapshot();
    Response r = send(call, as);
    assertProblem(r, status, name + " (" + call + ") as " + who);
    assertEquals(before, snapshot(), name + " (" + call + ") as " + who + " must change nothing");
  }

  private void assertAllowed(Endpoint e, Call call, Session as) throws Exception {
    String who = as.username();
    long logBefore = logRows();
    String before = snapshot();
    Response r = send(call, as);
    assertEquals(e.success(), r.status(), e.name() + " (" + call + ") as " + who + ": " + r);
    if (e.audit() == null) {
      assertEquals(before, snapshot(), e.name() + " as " + who + " is a read and must change nothing");
    } else if (e.audit().equals(NO_AUDIT)) {
      assertEquals(logBefore, logRows(), e.name() + " as " + who + " writes no audit row");
      assertNotEquals(before, snapshot(), e.name() + " as " + who + " is a write");
    } else {
      assertEquals(logBefore + 1, logRows(), e.name() + " as " + who + " writes one audit row");
      assertTrue(newestLog().startsWith(who + " " + e.audit() + " "),
          e.name() + " as " + who + ": audit row " + newestLog());
    }
  }

  @Test
  void everyModerationEndpointRefusesAnonymousUsersAndAuthorsAndAdmitsModeratorsAndAdmins() throws Exception {
    for (Endpoint e : endpoints()) {
      Call call = e.prepare().call();
      assertRefused(e.name(), call, null, "anonymous", 401);
      assertRefused(e.name(), call, bob, "an ordinary user", 403);
      assertRefused(e.name(), call, alice, "the content's author", 403);
      if (e.adminOnly()) {
        assertRefused(e.name(), call, mod, "a moderator", 403);
      } else {
        assertAllowed(e, call, mod);
        call = e.prepare().call();
      }
      assertAllowed(e, call, boss);
    }
  }

  @Test
  void refusedModerationCallsLeaveTheContentAndTheLogUntouched() throws Exception {
    long post = api.createPost(alice, "Topic");
    long comment = api.comment(alice, post, "text", null);
    for (Session who : new Session[] {null, bob, alice}) {
      api.post("/api/mod/posts/" + post + "/hide", who, reason("x"));
      api.post("/api/mod/posts/" + post + "/lock", who, null);
      api.post("/api/mod/comments/" + comment + "/hide", who, reason("x"));
      api.post("/api/mod/users/bob/ban", who, reason("x"));
    }
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts WHERE hidden_at IS NOT NULL OR locked_at IS NOT NULL"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments WHERE hidden_at IS NOT NULL"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE banned_until IS NOT NULL"));
    assertEquals(0, logRows());
  }

  /**
   * The routes behind the /api/mod and /api/admin guards, as the server's own routers list them, with their path
   * parameters written the way {@link #theMatrixCoversEveryModerationRoute} writes the matrix's calls.
   */
  private static Set<String> guardedRoutes() throws Exception {
    Set<String> routes = new TreeSet<>();
    for (String route : TestParley.server().running().restrictedRoutes().routes()) {
      routes.add(route.replaceAll(":(postId|commentId|reportId|filterId|webhookId|deliveryId)\\b", "{id}")
          .replace(":username", "{username}"));
    }
    return routes;
  }

  /**
   * Guards against a loop that silently checks nothing, and against a route added behind a guard that the matrix
   * never calls: the list comes from the router, so such a route fails here until the matrix covers it.
   */
  @Test
  void theMatrixCoversEveryModerationRoute() throws Exception {
    Set<String> covered = new TreeSet<>();
    for (Endpoint e : endpoints()) {
      Call call = e.prepare().call();
      covered.add(call.method() + " " + call.path().replaceAll("/\\d+", "/{id}")
          .replaceAll("/alice(/|$)", "/{username}$1"));
    }
    Set<String> guarded = guardedRoutes();
    Set<String> untested = new TreeSet<>(guarded);
    untested.removeAll(covered);
    Set<String> unrouted = new TreeSet<>(covered);
    unrouted.removeAll(guarded);
    if (!untested.isEmpty() || !unrouted.isEmpty()) {
      fail("guarded routes the matrix never calls (add an Endpoint to endpoints()): " + untested
          + "; matrix calls that match no guarded route: " + unrouted
          + "\nmatrix covers " + covered + "\nthe routers guard " + guarded);
    }
  }

  /**
   * The guards themselves, route by route as the router lists them, so a new guarded route is checked even before
   * the matrix knows what it does. Its ids and names match nothing: the guard must answer before any lookup could
   * answer 404.
   */
  @Test
  void everyGuardedRouteTurnsAwayAnonymousCallersAndOrdinaryUsersBeforeLookingAtTheRequest() throws Exception {
    List<String> routes = TestParley.server().running().restrictedRoutes().routes();
    assertFalse(routes.isEmpty(), "the server recorded no guarded routes");
    for (String route : routes) {
      String[] methodAndPath = route.split(" ", 2);
      Call call = new Call(methodAndPath[0], methodAndPath[1].replaceAll(":\\w+", "424242"), null);
      assertRefused(route, call, null, "anonymous", 401);
      assertRefused(route, call, bob, "an ordinary user", 403);
      if (methodAndPath[1].startsWith("/api/admin/")) assertRefused(route, call, mod, "a moderator", 403);
    }
  }

  // ==== 2. ordinary users acting on other people's content by id ====

  @Test
  void ordinaryUserCannotHideLockRestoreEditOrDeleteSomeoneElsesContent() throws Exception {
    long post = api.createPost(alice, "Alice's");
    long comment = api.comment(alice, post, "alice's comment", null);
    long hiddenPost = api.createPost(alice, "Hidden");
    ok(api.post("/api/mod/posts/" + hiddenPost + "/hide", mod, reason("spam")), "hide");
    String before = snapshot();

    assertProblem(api.post("/api/mod/posts/" + post + "/hide", bob, reason("mine now")), 403, "hide post");
    assertProblem(api.post("/api/mod/posts/" + post + "/lock", bob, null), 403, "lock post");
    assertProblem(api.post("/api/mod/posts/" + hiddenPost + "/restore", bob, null), 403, "restore post");
    assertProblem(api.post("/api/mod/comments/" + comment + "/hide", bob, reason("x")), 403, "hide comment");
    assertProblem(api.patch("/api/posts/" + post, bob, new JsonObject().put("title", "Bob's")), 403, "edit post");
    assertProblem(api.delete("/api/posts/" + post, bob), 403, "delete post");
    assertProblem(api.patch("/api/comments/" + comment, bob, new JsonObject().put("body", "bob's")), 403,
        "edit comment");
    assertProblem(api.delete("/api/comments/" + comment, bob), 403, "delete comment");

    assertEquals(before, snapshot(), "nothing changed");
  }

  // ==== 3. hiding and restoring ====

  /** A lock is said on the feed (whose items show it), except for a post the feed may not name: hidden or pending. */
  @Test
  void aLockIsSaidOnTheFeedOnlyForAPostTheFeedShows() throws Exception {
    long listed = api.createPost(alice, "Listed");
    long hidden = api.createPost(alice, "Hidden");
    ok(api.post("/api/mod/posts/" + hidden + "/hide", mod, reason("spam")), "hide");
    for (long post : new long[] {listed, hidden}) {
      ok(api.post("/api/mod/posts/" + post + "/lock", mod, null), "lock");
      ok(api.post("/api/mod/posts/" + post + "/unlock", mod, null), "unlock");
    }
    String onFeed = "SELECT string_agg(type, ',' ORDER BY seq) FROM events WHERE topic = 'parley.feed'"
        + " AND type IN ('post.locked', 'post.unlocked') AND (data->>'id')::bigint = ";
    assertEquals("post.locked,post.unlocked", text(onFeed + listed));
    assertNull(text(onFeed + hidden), "the feed never names a hidden post");
    assertEquals(2, TestParley.count("SELECT count(*) FROM events WHERE topic = 'parley.post." + hidden
        + "' AND type IN ('post.locked', 'post.unlocked')"), "its thread's readers (author, moderators) are told");
  }

  @Test
  void hiddenPostIs404ForReadersButVisibleToItsAuthorAndModeratorsAndLeavesTheFeed() throws Exception {
    long post = api.createPost(alice, "Hide me");
    long other = api.createPost(bob, "Stay");
    ok(api.post("/api/mod/posts/" + post + "/hide", mod, reason("off topic")), "hide");

    assertProblem(api.get("/api/posts/" + post), 404, "anonymous");
    assertProblem(api.get("/api/posts/" + post, bob), 404, "other user");
    for (Session sees : new Session[] {alice, boss}) {
      JsonObject seen = api.get("/api/posts/" + post, sees).json();
      assertEquals(true, seen.getBoolean("hidden"), sees.username());
      assertEquals("off topic", seen.getString("hiddenReason"), sees.username() + ": its author reads why");
    }
    assertEquals(List.of(other), api.get("/api/posts").ids());
    assertEquals("off topic", text("SELECT hidden_reason FROM posts WHERE id = " + post));
    // A hidden thread takes no comments: those who cannot see it are not told it exists; its author and moderators,
    // who can, are told why (a 404 would contradict the post in front of them).
    JsonObject comment = new JsonObject().put("body", "still here?");
    assertProblem(api.post("/api/posts/" + post + "/comments", bob, comment), 404, "other user comments");
    Response byAuthor = api.post("/api/posts/" + post + "/comments", alice, comment);
    assertProblem(byAuthor, 409, "its author comments");
    assertEquals("This post is hidden or waiting for review: it takes no comments.",
        byAuthor.json().getString("detail"));
    assertProblem(api.post("/api/posts/" + post + "/comments", mod, comment), 409, "a moderator comments");
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));

    ok(api.post("/api/mod/posts/" + post + "/restore", mod, null), "restore without a body");
    Response back = api.get("/api/posts/" + post);
    assertEquals(200, back.status(), back.toString());
    assertEquals(false, back.json().getBoolean("hidden"));
    assertTrue(back.json().containsKey("hiddenReason") && back.json().getValue("hiddenReason") == null,
        "the reason goes with the hiding: " + back.body());
    assertEquals(List.of(other, post), api.get("/api/posts").ids(), "back in the feed, newest first");
  }

  /** The stream's history shows a comment's words as the live stream does, not its Markdown (a page review). */
  @Test
  void theRecentContentShowsACommentsWordsNotItsMarkdown() throws Exception {
    long post = api.createPost(alice, "Buggies");
    api.comment(bob, post, "**Prams** and _buggies_: see [the list](https://example.org/list)\n\n- one\n- two", null);
    JsonObject newest = api.get("/api/mod/recent", mod).json().getJsonArray("items").getJsonObject(0);
    assertEquals("comment", newest.getString("targetType"));
    assertEquals("Prams and buggies: see the list one · two", newest.getString("excerpt"));
  }

  @Test
  void hidingAPostNeedsAReason() throws Exception {
    long post = api.createPost(alice, "Topic");
    assertProblem(api.post("/api/mod/posts/" + post + "/hide", mod, null), 400, "no body");
    Response empty = api.post("/api/mod/posts/" + post + "/hide", mod, new JsonObject());
    assertProblem(empty, 400, "no reason");
    assertEquals(List.of("reason"), empty.errorFields());
    assertProblem(api.post("/api/mod/comments/" + api.comment(alice, post, "c", null) + "/hide", mod,
        new JsonObject()), 400, "comment without a reason");
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts WHERE hidden_at IS NOT NULL"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments WHERE hidden_at IS NOT NULL"));
    assertEquals(0, logRows());
  }

  @Test
  void hidingTwiceRestoringWhatIsNotHiddenAndUnknownContentAreRefused() throws Exception {
    long post = api.createPost(alice, "Topic");
    long comment = api.comment(alice, post, "c", null);
    assertProblem(api.post("/api/mod/posts/" + post + "/restore", mod, null), 409, "restore visible post");
    assertProblem(api.post("/api/mod/comments/" + comment + "/restore", mod, null), 409, "restore visible comment");
    ok(api.post("/api/mod/posts/" + post + "/hide", mod, reason("a")), "hide post");
    ok(api.post("/api/mod/comments/" + comment + "/hide", mod, reason("a")), "hide comment");
    long logged = logRows();
    assertProblem(api.post("/api/mod/posts/" + post + "/hide", mod, reason("again")), 409, "hide post twice");
    assertProblem(api.post("/api/mod/comments/" + comment + "/hide", mod, reason("again")), 409, "hide comment twice");
    assertProblem(api.post("/api/mod/posts/424242/hide", mod, reason("a")), 404, "unknown post");
    assertProblem(api.post("/api/mod/posts/424242/restore", mod, null), 404, "restore unknown post");
    // A comment its author deleted has nothing left to hide (and its restore would be refused): no audit row, no
    // notification to its author.
    long deleted = api.comment(alice, api.createPost(alice, "Another topic"), "soon gone", null);
    assertEquals(204, api.delete("/api/comments/" + deleted, alice).status());
    assertProblem(api.post("/api/mod/comments/" + deleted + "/hide", mod, reason("late")), 409, "hide a deleted comment");
    assertProblem(api.post("/api/mod/comments/424242/hide", mod, reason("a")), 404, "unknown comment");
    assertProblem(api.post("/api/mod/comments/424242/restore", mod, null), 404, "restore unknown comment");
    assertProblem(api.post("/api/mod/posts/424242/lock", mod, null), 404, "lock unknown post");
    // A post its author deleted is gone for moderators too (its moderation view is a 404): every action on it is.
    long gone = api.createPost(alice, "Deleted by its author");
    assertEquals(204, api.delete("/api/posts/" + gone, alice).status());
    for (String action : List.of("hide", "restore", "lock", "unlock")) {
      assertProblem(api.post("/api/mod/posts/" + gone + "/" + action, mod, reason("late")), 404, action + " a deleted post");
    }
    assertEquals(logged, logRows(), "refused actions write no audit rows");
  }

  @Test
  void hiddenCommentIsATombstoneForReadersButNotForItsAuthorOrModerators() throws Exception {
    long post = api.createPost(bob, "Thread");
    long comment = api.comment(alice, post, "**loud**", null);
    ok(api.post("/api/mod/comments/" + comment + "/hide", mod, reason("shouting")), "hide");

    for (Session reader : new Session[] {null, bob}) {
      JsonObject seen = commentAsSeenBy(reader, post, comment);
      String who = reader == null ? "anonymous" : reader.username();
      assertEquals(true, seen.getBoolean("hidden"), who);
      assertTrue(seen.containsKey("body") && seen.getValue("body") == null, who + ": " + seen.encode());
      assertTrue(seen.containsKey("bodyHtml") && seen.getValue("bodyHtml") == null, who + ": " + seen.encode());
      assertTrue(seen.containsKey("author") && seen.getValue("author") == null, who + ": " + seen.encode());
      assertTrue(seen.containsKey("hiddenReason") && seen.getValue("hiddenReason") == null,
          who + " is not told why: " + seen.encode());
    }
    for (Session privileged : new Session[] {alice, mod, boss}) {
      JsonObject seen = commentAsSeenBy(privileged, post, comment);
      assertEquals(true, seen.getBoolean("hidden"), privileged.username());
      assertEquals("shouting", seen.getString("hiddenReason"), privileged.username());
      assertEquals("**loud**", seen.getString("body"), privileged.username());
      assertNotNull(seen.getString("bodyHtml"), privileged.username());
      assertEquals("alice", seen.getJsonObject("author").getString("username"), privileged.username());
    }
  }

  @Test
  void hidingACommentLowersThePostsCommentCountAndRestoringRaisesIt() throws Exception {
    long post = api.createPost(bob, "Thread");
    long comment = api.comment(alice, post, "one", null);
    api.comment(bob, post, "two", null);
    assertEquals(2, api.get("/api/posts/" + post).json().getInteger("commentCount"));

    ok(api.post("/api/mod/comments/" + comment + "/hide", mod, reason("rude")), "hide");
    assertEquals(1, api.get("/api/posts/" + post).json().getInteger("commentCount"));
    assertEquals(1, TestParley.count("SELECT comment_count FROM post_activity WHERE post_id = " + post));

    ok(api.post("/api/mod/comments/" + comment + "/restore", mod, reason("fine")), "restore");
    assertEquals(2, api.get("/api/posts/" + post).json().getInteger("commentCount"));
    JsonObject seen = commentAsSeenBy(bob, post, comment);
    assertEquals(false, seen.getBoolean("hidden"));
    assertEquals("one", seen.getString("body"));
  }

  // ==== 4. the audit log ====

  @Test
  void everyModeratorActionWritesAnAuditRowWithTheActor() throws Exception {
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Topic");
    long comment = api.comment(alice, post, "text", null);
    long report = reportId(bob, "post", post, "spam");

    ok(api.post("/api/mod/reports/" + report + "/resolve", mod,
        new JsonObject().put("action", "dismiss").put("note", "fine")), "dismiss");
    ok(api.post("/api/mod/comments/" + comment + "/hide", mod, reason("rude")), "hide comment");
    ok(api.post("/api/mod/comments/" + comment + "/restore", mod, reason("appeal")), "restore comment");
    ok(api.post("/api/mod/posts/" + post + "/hide", mod, reason("spam")), "hide post");
    ok(api.post("/api/mod/posts/" + post + "/restore", boss, reason("not spam")), "restore post");
    ok(api.post("/api/mod/posts/" + post + "/lock", mod, reason("heated")), "lock");
    ok(api.post("/api/mod/posts/" + post + "/unlock", mod, null), "unlock");
    ban(mod, "carol", reason("trolling"));
    ok(api.delete("/api/mod/users/carol/ban", mod), "unban");
    ok(api.put("/api/admin/users/carol/role", boss, new JsonObject().put("role", "moderator")), "role");

    Response r = api.get("/api/mod/log", mod);
    assertEquals(200, r.status(), r.toString());
    JsonArray items = r.items();
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonObject e = items.getJsonObject(i);
      seen.add(e.getJsonObject("actor").getString("username") + " " + e.getString("action") + " "
          + e.getString("targetType") + ":" + e.getLong("targetId") + " " + e.getString("reason"));
      assertNotNull(e.getLong("id"));
      assertTrue(e.getString("createdAt").endsWith("Z"), e.encode());
      assertNotNull(e.getJsonObject("details"), e.encode());
    }
    assertEquals(List.of(
        "boss user.role_changed user:" + carol.id() + " null",
        "mod user.unbanned user:" + carol.id() + " null",
        "mod user.banned user:" + carol.id() + " trolling",
        "mod post.unlocked post:" + post + " null",
        "mod post.locked post:" + post + " heated",
        "boss post.restored post:" + post + " not spam",
        "mod post.hidden post:" + post + " spam",
        "mod comment.restored comment:" + comment + " appeal",
        "mod comment.hidden comment:" + comment + " rude",
        "mod report.dismissed post:" + post + " fine"), seen, "newest first");
    JsonObject roleChange = items.getJsonObject(0).getJsonObject("details");
    assertEquals("user", roleChange.getString("from"));
    assertEquals("moderator", roleChange.getString("to"));
    assertEquals(10, logRows());
    List<Long> logIds = r.ids();
    for (int i = 1; i < logIds.size(); i++) assertTrue(logIds.get(i - 1) > logIds.get(i), "ids descend: " + logIds);
  }

  @Test
  void auditLogPagesNewestFirstWithACursor() throws Exception {
    for (int i = 0; i < 5; i++) {
      long post = api.createPost(alice, "Post " + i);
      ok(api.post("/api/mod/posts/" + post + "/lock", mod, null), "lock " + i);
    }
    Response page1 = api.get("/api/mod/log?limit=3", mod);
    assertEquals(200, page1.status(), page1.toString());
    List<Long> first = page1.ids();
    assertEquals(3, first.size());
    String cursor = page1.json().getString("nextCursor");
    assertNotNull(cursor);
    Response page2 = api.get("/api/mod/log?limit=3&cursor=" + cursor, mod);
    assertEquals(200, page2.status(), page2.toString());
    List<Long> second = page2.ids();
    assertEquals(2, second.size());
    assertNull(page2.json().getValue("nextCursor"));
    List<Long> all = new ArrayList<>(first);
    all.addAll(second);
    assertEquals(List.of(5L, 4L, 3L, 2L, 1L), all);
  }

  @Test
  void theApiHasNoWayToChangeTheAuditLog() throws Exception {
    long post = api.createPost(alice, "Topic");
    ok(api.post("/api/mod/posts/" + post + "/lock", mod, reason("heated")), "lock");
    long id = TestParley.count("SELECT max(id) FROM mod_log");
    String before = text("SELECT string_agg(id::text || action || coalesce(reason, '') || details::text, ';') FROM mod_log");
    JsonObject change = new JsonObject().put("action", "post.unlocked").put("reason", "rewritten");
    for (Session who : new Session[] {mod, boss}) {
      for (String method : List.of("PUT", "PATCH", "DELETE", "POST")) {
        for (String path : List.of("/api/mod/log/" + id, "/api/mod/log")) {
          if (method.equals("POST") && path.equals("/api/mod/log")) continue; // checked below without a body
          Response r = api.raw(method, path, "Bearer " + who.token(), change.encode(), "application/json");
          // A DELETE with a body is refused before routing (400); the others find no such route.
          boolean refused = method.equals("DELETE") ? r.status() == 400 : r.status() == 404 || r.status() == 405;
          assertTrue(refused, method + " " + path + " as " + who.username() + ": " + r);
        }
      }
      Response post2 = api.raw("POST", "/api/mod/log", "Bearer " + who.token(), change.encode(), "application/json");
      assertTrue(post2.status() == 404 || post2.status() == 405, "POST /api/mod/log: " + post2);
    }
    assertEquals(before,
        text("SELECT string_agg(id::text || action || coalesce(reason, '') || details::text, ';') FROM mod_log"));
    assertEquals(1, logRows());
  }

  @Test
  void theDatabaseRefusesToUpdateOrDeleteAuditRows() throws Exception {
    long post = api.createPost(alice, "Topic");
    ok(api.post("/api/mod/posts/" + post + "/lock", mod, reason("heated")), "lock");
    assertThrows(SQLException.class, () -> TestParley.sql("UPDATE mod_log SET reason = 'rewritten'"), "UPDATE");
    assertThrows(SQLException.class, () -> TestParley.sql("UPDATE mod_log SET actor_id = " + bob.id()), "UPDATE actor");
    assertThrows(SQLException.class, () -> TestParley.sql("DELETE FROM mod_log"), "DELETE");
    assertThrows(SQLException.class, () -> TestParley.sql("TRUNCATE mod_log"), "TRUNCATE");
    assertEquals(1, logRows());
    assertEquals("heated", text("SELECT reason FROM mod_log"));
    assertEquals("mod post.locked post " + post, newestLog());
  }

  // ==== 5. locked threads ====

  @Test
  void lockedThreadRefusesCommentsUntilUnlocked() throws Exception {
    long post = api.createPost(alice, "Heated");
    long earlier = api.comment(bob, post, "before the lock", null);
    ok(api.post("/api/mod/posts/" + post + "/lock", mod, reason("cooling off")), "lock");
    assertEquals(true, api.get("/api/posts/" + post).json().getBoolean("locked"));

    for (Session who : new Session[] {bob, alice}) {
      Response r = api.post("/api/posts/" + post + "/comments", who, new JsonObject().put("body", "more"));
      assertProblem(r, 409, "comment on a locked thread by " + who.username());
      assertTrue(r.json().getString("detail").toLowerCase().contains("locked"), r.toString());
    }
    Response reply = api.post("/api/posts/" + post + "/comments", bob,
        new JsonObject().put("body", "reply").put("parentId", earlier));
    assertProblem(reply, 409, "reply on a locked thread");
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post));
    assertEquals(1, TestParley.count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
    assertEquals(200, api.get("/api/posts/" + post + "/comments").status(), "still readable");

    assertProblem(api.post("/api/mod/posts/" + post + "/lock", mod, null), 409, "lock twice");
    ok(api.post("/api/mod/posts/" + post + "/unlock", mod, null), "unlock");
    assertProblem(api.post("/api/mod/posts/" + post + "/unlock", mod, null), 409, "unlock twice");
    assertEquals(false, api.get("/api/posts/" + post).json().getBoolean("locked"));
    Response after = api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "calm now"));
    assertEquals(201, after.status(), after.toString());
  }

  // ==== 6. counts and deleted content under moderation ====

  @Test
  void deletingAHiddenCommentKeepsTheCountExact() throws Exception {
    long post = api.createPost(alice, "Thread");
    long only = api.comment(alice, post, "the only comment", null);
    assertEquals(204, api.post("/api/mod/comments/" + only + "/hide", mod, new JsonObject().put("reason", "rude")).status());
    assertEquals(0, api.get("/api/posts/" + post).json().getInteger("commentCount"));
    assertEquals(204, api.delete("/api/comments/" + only, alice).status(), "a hidden comment can still be deleted");
    assertEquals(0, api.get("/api/posts/" + post).json().getInteger("commentCount"), "and it is not counted twice");
    assertEquals(409, api.post("/api/mod/comments/" + only + "/restore", mod, new JsonObject()).status(),
        "a deleted comment stays deleted");
  }

  @Test
  void commentsOnADeletedPostCannotBeHiddenOrRestored() throws Exception {
    long post = api.createPost(alice, "Thread");
    long comment = api.comment(alice, post, "a comment", null);
    assertEquals(204, api.post("/api/mod/comments/" + comment + "/hide", mod, new JsonObject().put("reason", "x")).status());
    assertEquals(204, api.delete("/api/posts/" + post, alice).status());
    assertEquals(404, api.post("/api/mod/comments/" + comment + "/restore", mod, new JsonObject()).status());
    assertEquals(404, api.post("/api/mod/posts/" + post + "/lock", mod, new JsonObject()).status());
  }

  /**
   * Reports on a post, and on a comment in it, that its author then deleted: resolving them with a hide closes them
   * as actioned (as for content already hidden; MODERATION.md), instead of a 404 that left them open in the queue
   * for good unless dismissed (a probe, 2026-12-03).
   */
  @Test
  void reportsOnContentWhosePostWasDeletedAreClosedByAHide() throws Exception {
    long post = api.createPost(alice, "Soon gone");
    long comment = api.comment(alice, post, "soon gone too", null);
    long onPost = reportId(bob, "post", post, "spam");
    long onComment = reportId(bob, "comment", comment, "spam");
    assertEquals(204, api.delete("/api/posts/" + post, alice).status());
    for (long report : new long[] {onPost, onComment}) {
      ok(api.post("/api/mod/reports/" + report + "/resolve", mod, new JsonObject().put("action", "hide")),
          "hide of report " + report);
      assertEquals(1, TestParley.count("SELECT count(*) FROM reports WHERE status = 'actioned' AND id = " + report));
      assertEquals(409, api.post("/api/mod/reports/" + report + "/resolve", mod,
          new JsonObject().put("action", "hide")).status(), "resolved once");
    }
  }

  // ==== 7. the thread as its moderators see it ====

  @Test
  void aThreadsModerationSaysWhoHidAndLockedWhatWhyAndWhatIsReported() throws Exception {
    long post = api.createPost(alice, "Thread");
    long rude = api.comment(bob, post, "rude", null);
    long reported = api.comment(bob, post, "maybe spam", null);
    long quiet = api.comment(alice, post, "nothing to see", null);
    long gone = api.comment(bob, post, "reported, then deleted", null);
    long elsewhere = api.comment(bob, api.createPost(alice, "Another thread"), "reported elsewhere", null);
    JsonObject clean = api.get("/api/mod/posts/" + post + "/moderation", mod).json();
    assertEquals(new JsonObject().put("post", new JsonObject().put("id", post).putNull("hidden").putNull("pending")
        .put("reports", new JsonObject()).putNull("openReport").putNull("newestReport")
        .put("reportNotes", new JsonArray()).putNull("claim").putNull("locked"))
        .put("comments", new JsonArray()), clean, "nothing yet");

    ok(api.post("/api/mod/comments/" + rude + "/hide", mod, reason("Rude to alice")), "hide");
    long held = pendingComment(bob, post);
    long oldest = reportId(alice, "comment", reported, "spam");
    reportId(boss, "comment", reported, "spam");
    long newest = reportId(mod, "comment", reported, "harassment");
    long dismissed = reportId(bob, "post", post, "off_topic");
    ok(api.post("/api/mod/reports/" + dismissed + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");
    reportId(bob, "post", post, "other");
    reportId(alice, "comment", gone, "spam");
    assertEquals(204, api.delete("/api/comments/" + gone, bob).status(), "its author deletes it");
    reportId(alice, "comment", elsewhere, "spam");
    ok(api.post("/api/mod/posts/" + post + "/lock", boss, reason("Turning into insults")), "lock");

    JsonObject thread = api.get("/api/mod/posts/" + post + "/moderation", mod).json();
    JsonObject p = thread.getJsonObject("post");
    assertEquals(post, p.getLong("id"));
    assertNull(p.getValue("hidden"));
    assertEquals(new JsonObject().put("other", 1), p.getJsonObject("reports"), "the open report only, not the dismissed");
    assertEquals("boss", p.getJsonObject("locked").getJsonObject("by").getString("username"), "who locked it");
    assertNotNull(p.getJsonObject("locked").getString("at"));
    // Why, on the thread too: it was only in the audit log (a page review).
    assertEquals("Turning into insults", p.getJsonObject("locked").getString("reason"));
    JsonArray comments = thread.getJsonArray("comments");
    assertEquals(List.of(rude, reported, held), comments.stream().map(c -> ((JsonObject) c).getLong("id")).toList(),
        "the hidden, the reported and the held, oldest first: not the quiet one (" + quiet + "), not the deleted one, "
            + "not another thread's");
    JsonObject pending = comments.getJsonObject(2).getJsonObject("pending");
    assertTrue(pending.getString("reason").contains(HELD_WORD), "why it was held: " + pending);
    assertNotNull(pending.getString("at"));
    assertNull(comments.getJsonObject(0).getValue("pending"));
    JsonObject hidden = comments.getJsonObject(0).getJsonObject("hidden");
    assertEquals("mod", hidden.getJsonObject("by").getString("username"));
    assertEquals("Rude to alice", hidden.getString("reason"));
    assertNotNull(hidden.getString("at"));
    assertEquals(new JsonObject().put("spam", 2).put("harassment", 1), comments.getJsonObject(1).getJsonObject("reports"));
    // The oldest, to resolve them by; the newest, so that a dismissal from the thread closes none filed since.
    assertEquals(oldest, comments.getJsonObject(1).getLong("openReport"));
    assertEquals(newest, comments.getJsonObject(1).getLong("newestReport"));
    assertNull(comments.getJsonObject(1).getValue("hidden"));

    // Restored and hidden again by someone else: the hide in force is named, not the first.
    ok(api.post("/api/mod/comments/" + rude + "/restore", mod, null), "restore");
    ok(api.post("/api/mod/comments/" + held + "/approve", mod, null), "approve");
    assertEquals(List.of(reported), api.get("/api/mod/posts/" + post + "/moderation", mod).json()
        .getJsonArray("comments").stream().map(c -> ((JsonObject) c).getLong("id")).toList(), "restored and approved: no longer listed");
    ok(api.post("/api/mod/comments/" + rude + "/hide", boss, reason("Rude again")), "hide again");
    // A report closed by hiding its comment is no longer open.
    ok(api.post("/api/mod/reports/" + reportId(mod, "post", post, "spam") + "/resolve", boss,
        new JsonObject().put("action", "hide").put("note", "Spam thread")), "hide the post through a report");
    thread = api.get("/api/mod/posts/" + post + "/moderation", boss).json();
    JsonObject again = thread.getJsonArray("comments").getJsonObject(0).getJsonObject("hidden");
    assertEquals("boss", again.getJsonObject("by").getString("username"));
    assertEquals("Rude again", again.getString("reason"));
    JsonObject hiddenPost = thread.getJsonObject("post").getJsonObject("hidden");
    assertEquals("boss", hiddenPost.getJsonObject("by").getString("username"), "hidden through a report: by its resolver");
    assertEquals("Spam thread", hiddenPost.getString("reason"));
    assertEquals(new JsonObject(), thread.getJsonObject("post").getJsonObject("reports"), "every open report settled");
  }

  /**
   * A dismissal from the thread is for the reports its line showed ({@code upTo}): if another moderator settled them
   * meanwhile it is refused (409) and changes nothing, and the refusal says whether a report filed since is open,
   * one this moderator has not read (it said "already resolved" either way, while the line drew a new report).
   */
  @Test
  void aDismissalOfReportsSettledMeanwhileSaysWhetherOneFiledSinceIsOpen() throws Exception {
    long post = api.createPost(alice, "Thread");
    long comment = api.comment(alice, post, "a claim", null);
    long shown = reportId(bob, "comment", comment, "spam");
    JsonObject dismissShown = new JsonObject().put("action", "dismiss").put("upTo", shown);
    ok(api.post("/api/mod/reports/" + shown + "/resolve", boss, dismissShown), "another moderator's dismissal");
    long since = reportId(api.register("carol"), "comment", comment, "harassment");

    Response late = api.post("/api/mod/reports/" + shown + "/resolve", mod, dismissShown);
    assertEquals(409, late.status(), late.toString());
    assertEquals("The reports you saw are no longer open (another moderator settled them). A report filed since "
        + "is still open: read it before you settle it.", late.json().getString("detail"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM reports WHERE status = 'open' AND id = " + since),
        "the report filed since stays open");

    ok(api.post("/api/mod/reports/" + since + "/resolve", boss, new JsonObject().put("action", "dismiss")),
        "that one settled too");
    Response again = api.post("/api/mod/reports/" + shown + "/resolve", mod, dismissShown);
    assertEquals(409, again.status(), again.toString());
    assertEquals("The reports on this content are already resolved.", again.json().getString("detail"));
  }

  /**
   * On the thread itself a moderator reads what the reporters wrote, not only their reasons: the newest three open
   * reports that give details, with who and when; a report without details, or no longer open, is not among them.
   */
  @Test
  void aThreadsModerationGivesTheReportersOwnWordsNewestFirst() throws Exception {
    long post = api.createPost(alice, "Thread");
    long comment = api.comment(alice, post, "a claim", null);
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    Session erin = api.register("erin");
    // Dismissing settles every open report of the comment: this one is done before the rest are made.
    long settled = api.post("/api/reports", erin, report("comment", comment, "spam").put("details", "Link farm"))
        .json().getLong("id");
    ok(api.post("/api/mod/reports/" + settled + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");
    reportId(bob, "comment", comment, "spam");
    assertEquals(201, api.post("/api/reports", carol, report("comment", comment, "misinformation")
        .put("details", "The study it cites says the opposite.")).status());
    assertEquals(201, api.post("/api/reports", dave, report("comment", comment, "other")
        .put("details", "Second account of a banned user")).status());
    assertEquals(201, api.post("/api/reports", boss, report("comment", comment, "harassment")
        .put("details", "<b>Names</b> a member's employer")).status());

    JsonObject item = api.get("/api/mod/posts/" + post + "/moderation", mod).json().getJsonArray("comments")
        .getJsonObject(0);
    assertEquals(comment, item.getLong("id"));
    JsonArray notes = item.getJsonArray("reportNotes");
    assertEquals(List.of("boss", "dave", "carol"),
        notes.stream().map(n -> ((JsonObject) n).getJsonObject("by").getString("username")).toList(),
        "the open reports with details, newest first: not bob's (no details), not erin's (dismissed): " + notes);
    JsonObject newest = notes.getJsonObject(0);
    assertEquals("harassment", newest.getString("reason"));
    assertEquals("<b>Names</b> a member's employer", newest.getString("details"), "as written: the page escapes it");
    assertTrue(newest.getString("at").endsWith("Z"), newest.encode());
    assertEquals(new JsonObject().put("spam", 1).put("misinformation", 1).put("other", 1).put("harassment", 1),
        item.getJsonObject("reports"), "the counts still count every open report");

    // Three at most: a fourth with details pushes the oldest out.
    assertEquals(201, api.post("/api/reports", erin, report("comment", comment, "other").put("details", "Again"))
        .status());
    JsonArray latest = api.get("/api/mod/posts/" + post + "/moderation", mod).json().getJsonArray("comments")
        .getJsonObject(0).getJsonArray("reportNotes");
    assertEquals(List.of("erin", "boss", "dave"),
        latest.stream().map(n -> ((JsonObject) n).getJsonObject("by").getString("username")).toList());
    // Members who are not moderators get nothing of it.
    assertEquals(403, api.get("/api/mod/posts/" + post + "/moderation", carol).status());
  }

  @Test
  void aThreadsModerationIsForModeratorsOnlyAndAnswersOnlyForAThreadThatExists() throws Exception {
    long post = api.createPost(alice, "Thread");
    ok(api.post("/api/mod/comments/" + api.comment(bob, post, "rude", null) + "/hide", mod, reason("Rude")), "hide");
    assertProblem(api.get("/api/mod/posts/" + post + "/moderation"), 401, "anonymous");
    assertProblem(api.get("/api/mod/posts/" + post + "/moderation", alice), 403, "the thread's own author");
    assertProblem(api.get("/api/mod/posts/" + post + "/moderation", bob), 403, "a member");
    assertProblem(api.get("/api/mod/posts/99999999/moderation", mod), 404, "no such post");
    for (String bad : List.of("0", "-1", "abc", "1e3", "99999999999999999999", "%00", "%25ZZ")) {
      Response r = api.get("/api/mod/posts/" + bad + "/moderation", mod);
      assertTrue(r.status() == 400 || r.status() == 404, bad + ": " + r);
      assertTrue(r.header("Content-Type").startsWith("application/problem+json"), bad + ": " + r);
    }
    assertEquals(204, api.delete("/api/posts/" + post, alice).status());
    assertProblem(api.get("/api/mod/posts/" + post + "/moderation", mod), 404, "a deleted post");
  }
}
