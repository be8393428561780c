package parley.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rate limits against real servers. The shared test server runs with every limit at 100000/1s, so each test
 * starts its own server on the same database with tight limits (and a fresh limiter, so no test inherits another's
 * buckets). Accounts and content a test merely needs are set up through the shared server, which spends nothing
 * from the tight server's buckets. Every limit's window is long, so nothing refills while a test runs: no sleeps.
 */
@ExtendWith(TestParley.class)
class RateLimitTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  /** Setup traffic: the shared server, with limits too loose to matter. */
  private final Api setup = Api.local();

  /** A server on the shared database with the given limits; every limit not named stays loose. */
  private static Main.Running start(Map<String, String> overrides) throws Exception {
    // One instance, so every request meets the same counters. The shared settings trust no proxy, so only a test
    // that names one in its overrides has one.
    Map<String, String> changes = new HashMap<>();
    changes.put(AppConfig.HTTP_INSTANCES, "1");
    changes.putAll(overrides);
    return TestParley.startServer(changes);
  }

  /** 127.0.0.1 rather than localhost, so the peer address the server sees is the one PARLEY_TRUSTED_PROXIES names. */
  private static Api api(Main.Running running) {
    return new Api("http://127.0.0.1:" + running.port());
  }

  private static void assertRateLimited(Api.Response r) {
    assertEquals(429, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    String retryAfter = r.header("Retry-After");
    assertNotNull(retryAfter, "a 429 says when to retry");
    assertTrue(retryAfter.matches("[1-9][0-9]*"), "Retry-After is a positive number of seconds: " + retryAfter);
    JsonObject problem = r.json();
    assertTrue(problem.getString("type").endsWith("/rate-limited"), problem.encode());
    assertEquals(429, problem.getInteger("status"));
    assertEquals(Long.parseLong(retryAfter), problem.getLong("retryAfter"));
  }

  private static JsonObject comment(String body) {
    return new JsonObject().put("body", body);
  }

  private static long count(String query) throws Exception {
    return TestParley.count(query);
  }

  @Test
  void commentsBeyondTheLimitGet429WithRetryAfterAndAreNotStored() throws Exception {
    Api.Session author = setup.register("poster");
    long postId = setup.createPost(author, "Busy thread");
    Api.Session chatty = setup.register("chatty");
    Main.Running running = start(Map.of(
        AppConfig.LIMIT_COMMENTS, "3/1m",
        AppConfig.LIMIT_COMMENTS_NEW, "2/1m",
        AppConfig.LIMIT_COMMENTS_IP, "100/1m"));
    try {
      Api api = api(running);
      // chatty registered a moment ago, so the tighter _NEW limit (2/1m) applies, not the normal one (3/1m).
      for (int i = 1; i <= 2; i++) {
        assertEquals(201, api.post("/api/posts/" + postId + "/comments", chatty, comment("Comment " + i)).status());
      }
      Api.Response refused = api.post("/api/posts/" + postId + "/comments", chatty, comment("One too many"));
      assertRateLimited(refused);
      assertTrue(refused.json().getLong("retryAfter") <= 60, "within the window: " + refused);
      assertEquals(2, count("SELECT count(*) FROM comments WHERE author_id = " + chatty.id()));
      assertEquals(0, count("SELECT count(*) FROM comments WHERE body = 'One too many'"), "the refused comment is not stored");
      assertEquals(2, setup.get("/api/posts/" + postId).json().getInteger("commentCount"));

      // The limit is per account: someone else on the same IP still comments.
      assertEquals(201, api.post("/api/posts/" + postId + "/comments", author, comment("Still open")).status());
    } finally {
      running.stop();
    }
  }

  @Test
  void accountsOlderThanADayGetTheNormalLimitAndNewOnesTheTighterOne() throws Exception {
    Api.Session author = setup.register("poster");
    long postId = setup.createPost(author, "Thread");
    Api.Session fresh = setup.register("fresh");
    Api.Session veteran = setup.register("veteran");
    // Every test account is brand new; age this one past a day. The server reads the user's row on every
    // request, so the next request already counts it as an established account.
    TestParley.sql("UPDATE users SET created_at = now() - interval '2 days' WHERE id = " + veteran.id());
    Main.Running running = start(Map.of(
        AppConfig.LIMIT_COMMENTS, "3/1m",
        AppConfig.LIMIT_COMMENTS_NEW, "1/1m",
        AppConfig.LIMIT_COMMENTS_IP, "100/1m"));
    try {
      Api api = api(running);
      assertEquals(201, api.post("/api/posts/" + postId + "/comments", fresh, comment("Fresh 1")).status());
      assertRateLimited(api.post("/api/posts/" + postId + "/comments", fresh, comment("Fresh 2")));

      for (int i = 1; i <= 3; i++) {
        assertEquals(201, api.post("/api/posts/" + postId + "/comments", veteran, comment("Veteran " + i)).status());
      }
      assertRateLimited(api.post("/api/posts/" + postId + "/comments", veteran, comment("Veteran 4")));
      assertEquals(1, count("SELECT count(*) FROM comments WHERE author_id = " + fresh.id()));
      assertEquals(3, count("SELECT count(*) FROM comments WHERE author_id = " + veteran.id()));
    } finally {
      running.stop();
    }
  }

  @Test
  void commentsPerIpAreLimitedAcrossAccounts() throws Exception {
    Api.Session author = setup.register("poster");
    long postId = setup.createPost(author, "Thread");
    Api.Session a = setup.register("first");
    Api.Session b = setup.register("second");
    Main.Running running = start(Map.of(
        AppConfig.LIMIT_COMMENTS_NEW, "100/1m",
        AppConfig.LIMIT_COMMENTS_IP, "3/1m"));
    try {
      Api api = api(running);
      assertEquals(201, api.post("/api/posts/" + postId + "/comments", a, comment("client_a1")).status());
      assertEquals(201, api.post("/api/posts/" + postId + "/comments", a, comment("client_a2")).status());
      assertEquals(201, api.post("/api/posts/" + postId + "/comments", b, comment("client_b1")).status());
      assertRateLimited(api.post("/api/posts/" + postId + "/comments", b, comment("client_b2")));
      assertEquals(3, count("SELECT count(*) FROM comments"));
    } finally {
      running.stop();
    }
  }

  @Test
  void postsPerAccountUseTheNewLimitForYoungAccounts() throws Exception {
    Api.Session fresh = setup.register("fresh");
    Api.Session veteran = setup.register("veteran");
    TestParley.sql("UPDATE users SET created_at = now() - interval '2 days' WHERE id = " + veteran.id());
    Main.Running running = start(Map.of(
        AppConfig.LIMIT_POSTS, "2/10m",
        AppConfig.LIMIT_POSTS_NEW, "1/10m",
        AppConfig.LIMIT_POSTS_IP, "100/10m"));
    try {
      Api api = api(running);
      JsonObject post = new JsonObject().put("title", "Hello").put("body", "Body");
      assertEquals(201, api.post("/api/posts", fresh, post).status());
      assertRateLimited(api.post("/api/posts", fresh, post));
      assertEquals(201, api.post("/api/posts", veteran, post).status());
      assertEquals(201, api.post("/api/posts", veteran, post).status());
      assertRateLimited(api.post("/api/posts", veteran, post));
      assertEquals(3, count("SELECT count(*) FROM posts"));
    } finally {
      running.stop();
    }
  }

  @Test
  void registrationsPerIpAreLimited() throws Exception {
    Main.Running running = start(Map.of(AppConfig.LIMIT_REGISTRATIONS_IP, "2/1h"));
    try {
      Api api = api(running);
      assertEquals(201, register(api, "one", null).status());
      assertEquals(201, register(api, "two", null).status());
      assertRateLimited(register(api, "three", null));
      assertEquals(0, count("SELECT count(*) FROM users WHERE username = 'three'"));
    } finally {
      running.stop();
    }
  }

  @Test
  void failedLoginsPerIpAreLimitedEvenForTheRightPasswordButSuccessesCostNothing() throws Exception {
    setup.register("alice");
    Main.Running running = start(Map.of(AppConfig.LIMIT_FAILED_LOGINS_IP, "3/15m"));
    try {
      Api api = api(running);
      // Successful logins do not spend the failed-login budget.
      for (int i = 0; i < 6; i++) {
        assertEquals(200, login(api, "alice", "correct horse").status());
      }
      for (int i = 0; i < 3; i++) {
        Api.Response wrong = login(api, "alice", "wrong password " + i);
        assertEquals(401, wrong.status(), wrong.toString());
      }
      // The budget is spent: even the right password is refused now, and so is an unknown account.
      assertRateLimited(login(api, "alice", "correct horse"));
      assertRateLimited(login(api, "nobody", "whatever"));
    } finally {
      running.stop();
    }
  }

  /**
   * Guesses sent together from one address cannot pass its failed-login limit together: each takes from it before
   * its password is checked (which takes a while), and only a right one gives it back.
   */
  @Test
  void failedLoginsSentTogetherFromOneAddressMakeNoMoreThanTheLimit() throws Exception {
    for (int i = 0; i < 8; i++) setup.register("guessed" + i);
    Main.Running running = start(Map.of(AppConfig.LIMIT_FAILED_LOGINS_IP, "3/15m"));
    java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      Api api = api(running);
      assertEquals(200, login(api, "guessed0", "correct horse").status(), "a right one costs nothing");
      List<java.util.concurrent.Future<Api.Response>> sent = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String account = "guessed" + i;
        sent.add(senders.submit(() -> login(api, account, "a wrong guess")));
      }
      Map<Integer, Integer> statuses = new TreeMap<>();
      for (java.util.concurrent.Future<Api.Response> answer : sent) {
        statuses.merge(answer.get(60, TimeUnit.SECONDS).status(), 1, Integer::sum);
      }
      assertEquals(Map.of(401, 3, 429, 5), statuses, "three guesses checked, the rest refused before their check");
      assertRateLimited(login(api, "guessed0", "correct horse"));
    } finally {
      senders.shutdownNow();
      running.stop();
    }
  }

  @Test
  void wrongResetLinksSpendTheFailedLoginBudgetAndAreRefusedOnceItIsSpent() throws Exception {
    setup.register("alice");
    Main.Running running = start(Map.of(AppConfig.LIMIT_FAILED_LOGINS_IP, "2/15m"));
    try {
      Api api = api(running);
      Api.Response wrong = api.post("/api/auth/reset", null, new JsonObject().put("token", "guess-0")
          .put("newPassword", "long enough"));
      assertEquals(400, wrong.status(), wrong.toString());
      wrong = api.post("/api/auth/reset/account", null, new JsonObject().put("token", "guess-1"));
      assertEquals(400, wrong.status(), wrong.toString());
      // Guessing links costs what guessing passwords does: the address is refused both now, and asking whose a
      // link is, too.
      assertRateLimited(api.post("/api/auth/reset", null, new JsonObject().put("token", "guess-3")
          .put("newPassword", "long enough")));
      assertRateLimited(api.post("/api/auth/reset/account", null, new JsonObject().put("token", "guess-4")));
      assertRateLimited(login(api, "alice", "correct horse"));
    } finally {
      running.stop();
    }
  }

  /**
   * A token in hand (or many, of different accounts) is no faster way to guess passwords than signing in: a wrong
   * current password on any route that asks for one spends the address's failed-login budget, and once it is spent
   * the address is refused there and at sign-in, even with the right password, and nothing changes.
   */
  @Test
  void wrongCurrentPasswordsSpendTheAddresssFailedLoginBudgetOnEveryRoute() throws Exception {
    Api.Session one = setup.register("guessed_one");
    Api.Session two = setup.register("guessed_two");
    Api.Session three = setup.register("guessed_three");
    Main.Running running = start(Map.of(AppConfig.LIMIT_FAILED_LOGINS_IP, "3/15m"));
    try {
      Api api = api(running);
      // A right current password costs nothing.
      assertEquals(200, api.patch("/api/me", one, new JsonObject().put("email", "one@example.org")
          .put("currentPassword", "correct horse")).status());
      Api.Response wrong = api.put("/api/me/password", one, new JsonObject().put("currentPassword", "guess 1")
          .put("newPassword", "a new password"));
      assertEquals(400, wrong.status(), wrong.toString());
      wrong = api.patch("/api/me", two, new JsonObject().put("username", "taken_over")
          .put("currentPassword", "guess 2"));
      assertEquals(400, wrong.status(), wrong.toString());
      wrong = api.put("/realworld/api/user", three, new JsonObject().put("user", new JsonObject()
          .put("email", "taken@example.org").put("currentPassword", "guess 3")));
      assertEquals(422, wrong.status(), wrong.toString());

      assertRateLimited(api.patch("/api/me", three, new JsonObject().put("username", "renamed_three")
          .put("currentPassword", "correct horse")));
      assertRateLimited(api.put("/api/me/password", two, new JsonObject().put("currentPassword", "correct horse")
          .put("newPassword", "a new password")));
      assertEquals(429, api.put("/realworld/api/user", one, new JsonObject().put("user", new JsonObject()
          .put("email", "new@example.org").put("currentPassword", "correct horse"))).status());
      assertRateLimited(login(api, "guessed_one", "correct horse"));
      assertEquals(List.of("guessed_three", "guessed_two", "one@example.org"), List.of(
          setup.get("/api/me", three).json().getString("username"),
          setup.get("/api/me", two).json().getString("username"),
          setup.get("/api/me", one).json().getString("email")), "nothing changed past the limit");
      // Changes that ask for no password go on.
      assertEquals(200, api.patch("/api/me", one, new JsonObject().put("bio", "still here")).status());
    } finally {
      running.stop();
    }
  }

  @Test
  void editsPerAccountAreLimitedAcrossPostsAndCommentsAndKeepNothingPastIt() throws Exception {
    Api.Session author = setup.register("author");
    Api.Session other = setup.register("other");
    long post = setup.createPost(author, "Edited a lot");
    long comment = setup.comment(author, post, "version 0", null);
    long theirs = setup.comment(other, post, "theirs", null);
    Main.Running running = start(Map.of(AppConfig.LIMIT_EDITS, "3/1h"));
    try {
      Api api = api(running);
      assertEquals(200, api.patch("/api/comments/" + comment, author, comment("version 1")).status());
      assertEquals(200, api.patch("/api/posts/" + post, author, new JsonObject().put("body", "edited")).status());
      assertEquals(200, api.patch("/api/comments/" + comment, author, comment("version 2")).status());
      // The fourth edit, of either kind, is refused and changes nothing: no new text, no earlier version kept.
      assertRateLimited(api.patch("/api/comments/" + comment, author, comment("version 3")));
      assertRateLimited(api.patch("/api/posts/" + post, author, new JsonObject().put("title", "Renamed")));
      assertEquals("version 2", setup.get("/api/comments/" + comment).json().getString("body"));
      assertEquals("Edited a lot", setup.get("/api/posts/" + post).json().getString("title"));
      assertEquals(2, count("SELECT count(*) FROM comment_revisions WHERE comment_id = " + comment));
      assertEquals(1, count("SELECT count(*) FROM post_revisions WHERE post_id = " + post));
      // Per account: someone else edits on.
      assertEquals(200, api.patch("/api/comments/" + theirs, other, comment("theirs, edited")).status());
    } finally {
      running.stop();
    }
  }

  /**
   * Renames per account are limited (each retires every node's cached responses): the one past the limit is refused
   * and changes nothing, on either API; the name one already has is no rename, and other changes go on.
   */
  @Test
  void renamesPerAccountAreLimitedAndTheNameOneHasIsNoRename() throws Exception {
    Api.Session ren = setup.register("ren");
    setup.register("taken_name");
    Main.Running running = start(Map.of(AppConfig.LIMIT_RENAMES, "2/1d"));
    try {
      Api api = api(running);
      // Only a rename that was made counts: a name that is taken, or a wrong password, costs none (a probe).
      for (int i = 0; i < 3; i++) assertEquals(409, api.patch("/api/me", ren, rename("taken_name")).status());
      for (int i = 0; i < 3; i++) {
        assertEquals(409, api.patch("/api/me", ren, rename("ren_free").put("email", "taken_name@example.org"))
            .status(), "a free name with a taken address costs none either");
      }
      assertEquals(400, api.patch("/api/me", ren, new JsonObject().put("username", "ren_one")
          .put("currentPassword", "not it")).status());
      assertEquals(200, api.patch("/api/me", ren, rename("ren_one")).status());
      assertEquals(200, api.patch("/api/me", ren, rename("Ren_One")).status(), "letter case is a rename too");
      assertEquals(200, api.patch("/api/me", ren, rename("Ren_One")).status(), "the name one has is none");
      assertRateLimited(api.patch("/api/me", ren, rename("ren_three")));
      Api.Response realWorld = api.put("/realworld/api/user", ren, new JsonObject().put("user", rename("ren_three")));
      assertEquals(429, realWorld.status(), realWorld.toString());
      // The wait said as a person reads it, not as 28,800 seconds.
      assertTrue(api.patch("/api/me", ren, rename("ren_three")).json().getString("detail")
          .matches("Slow down: try again in \\d+ h( \\d+ min)?\\."), "hours and minutes");
      assertEquals("Ren_One", setup.get("/api/me", ren).json().getString("username"));
      assertEquals(200, api.patch("/api/me", ren, new JsonObject().put("bio", "still here")).status());
    } finally {
      running.stop();
    }
  }

  /**
   * Downloads of one's own data are limited per account (each reads everything the member ever wrote): past the limit
   * the refusal is a problem, not a file; asking what a download would be (HEAD) costs none, and another member's
   * downloads are their own.
   */
  @Test
  void exportsPerAccountAreLimited() throws Exception {
    Api.Session alice = setup.register("exporter");
    Api.Session bob = setup.register("other_exporter");
    Main.Running running = start(Map.of(AppConfig.LIMIT_EXPORTS, "2/1d"));
    try {
      Api api = api(running);
      assertEquals(200, api.raw("HEAD", "/api/me/export", "Bearer " + alice.token(), null, null).status());
      for (int i = 0; i < 2; i++) assertEquals(200, api.get("/api/me/export", alice).status());
      assertRateLimited(api.get("/api/me/export", alice));
      assertEquals(429, api.raw("HEAD", "/api/me/export", "Bearer " + alice.token(), null, null).status(),
          "a HEAD says what a GET would get");
      assertEquals(200, api.get("/api/me/export", bob).status());
    } finally {
      running.stop();
    }
  }

  /**
   * Renames sent all at once cannot pass the limit together: each takes from it as it is made, after its password
   * and name were checked, so exactly the limit's number are made and the others are refused with nothing changed.
   */
  @Test
  void renamesSentTogetherMakeNoMoreThanTheLimit() throws Exception {
    Api.Session ren = setup.register("burst");
    Main.Running running = start(Map.of(AppConfig.LIMIT_RENAMES, "2/1d"));
    java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      Api api = api(running);
      List<java.util.concurrent.Future<Api.Response>> sent = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String name = "burst_" + i;
        sent.add(senders.submit(() -> api.patch("/api/me", ren, rename(name))));
      }
      Map<Integer, Integer> statuses = new TreeMap<>();
      for (java.util.concurrent.Future<Api.Response> answer : sent) {
        statuses.merge(answer.get(60, TimeUnit.SECONDS).status(), 1, Integer::sum);
      }
      assertEquals(Map.of(200, 2, 429, 6), statuses);
      assertEquals(2, count("SELECT count(*) FROM mod_log WHERE action = 'user.renamed' AND target_id = " + ren.id()),
          "two renames made, each in the audit log");
      // Each logs the name the one before gave, so the chain is whole (and each old name held for its owner).
      assertEquals(1, count("SELECT count(*) FROM mod_log a JOIN mod_log b ON b.details->>'from' = a.details->>'to' "
          + "WHERE a.action = 'user.renamed' AND b.action = 'user.renamed' AND a.target_id = " + ren.id()
          + " AND b.target_id = " + ren.id() + " AND a.details->>'from' = 'burst'"), "burst → first → second");
    } finally {
      senders.shutdownNow();
      running.stop();
    }
  }

  /**
   * Whether an address has an account is private, and a new address's 409 said it to any member without a limit (a
   * review: 60 addresses checked in 0.7 s). Each new address is counted before it is looked up, taken or not.
   */
  @Test
  void newEmailAddressesAreLimitedWhetherOrNotTheyAreTaken() throws Exception {
    Api.Session prober = setup.register("prober");
    setup.register("known");
    Main.Running running = start(Map.of(AppConfig.LIMIT_EMAIL_CHANGES, "3/1d"));
    try {
      Api api = api(running);
      JsonObject known = new JsonObject().put("email", "known@example.org").put("currentPassword", "correct horse");
      assertEquals(409, api.patch("/api/me", prober, known).status());
      assertEquals(409, api.patch("/api/me", prober, known).status());
      assertEquals(200, api.patch("/api/me", prober, new JsonObject().put("email", "prober2@example.org")
          .put("currentPassword", "correct horse")).status());
      assertRateLimited(api.patch("/api/me", prober, known));
      assertRateLimited(api.patch("/api/me", prober, new JsonObject().put("email", "free3@example.org")
          .put("currentPassword", "correct horse")));
      assertEquals("prober2@example.org", setup.get("/api/me", prober).json().getString("email"));
      // Letter case is no new address, and other changes are not counted.
      assertEquals(200, api.patch("/api/me", prober, new JsonObject().put("email", "PROBER2@example.org")).status());
      assertEquals(200, api.patch("/api/me", prober, rename("prober_two")).status());
    } finally {
      running.stop();
    }
  }

  /** Blocks and unblocks are limited per account: each tells every node (a review toggled one 400 times in 5 s). */
  @Test
  void blocksAndUnblocksPerAccountAreLimited() throws Exception {
    Api.Session toggler = setup.register("toggler");
    setup.register("toggled");
    Main.Running running = start(Map.of(AppConfig.LIMIT_BLOCKS, "3/1d"));
    try {
      Api api = api(running);
      assertEquals(204, api.put("/api/me/blocks/toggled", toggler, null).status());
      assertEquals(204, api.delete("/api/me/blocks/toggled", toggler).status());
      assertEquals(204, api.put("/api/me/blocks/toggled", toggler, null).status());
      assertRateLimited(api.delete("/api/me/blocks/toggled", toggler));
      assertEquals(1, api.get("/api/me/blocks", toggler).json().getJsonArray("items").size(), "the block stands");
    } finally {
      running.stop();
    }
  }

  private static JsonObject rename(String username) {
    return new JsonObject().put("username", username).put("currentPassword", "correct horse");
  }

  @Test
  void reportsPerAccountAreLimited() throws Exception {
    Api.Session author = setup.register("author");
    long[] posts = {setup.createPost(author, "One"), setup.createPost(author, "Two"), setup.createPost(author, "Three")};
    Api.Session reporter = setup.register("reporter");
    Api.Session other = setup.register("other");
    Main.Running running = start(Map.of(AppConfig.LIMIT_REPORTS, "2/1h"));
    try {
      Api api = api(running);
      for (int i = 0; i < 2; i++) {
        assertEquals(201, api.post("/api/reports", reporter, report(posts[i])).status());
      }
      assertRateLimited(api.post("/api/reports", reporter, report(posts[2])));
      assertEquals(2, count("SELECT count(*) FROM reports WHERE reporter_id = " + reporter.id()));
      // Per account, not per IP: another reporter on the same address is unaffected.
      assertEquals(201, api.post("/api/reports", other, report(posts[2])).status());
    } finally {
      running.stop();
    }
  }

  @Test
  void aSpoofedForwardedForDoesNotGetAroundTheIpLimitWithoutATrustedProxy() throws Exception {
    setup.register("alice");
    Main.Running running = start(Map.of(
        AppConfig.LIMIT_REGISTRATIONS_IP, "2/1h",
        AppConfig.LIMIT_FAILED_LOGINS_IP, "2/15m"));
    try {
      Api api = api(running);
      assertEquals(201, register(api, "one", randomIp()).status());
      assertEquals(201, register(api, "two", randomIp()).status());
      for (int i = 0; i < 3; i++) {
        assertRateLimited(register(api, "spoof" + i, randomIp()));
      }
      assertEquals(0, count("SELECT count(*) FROM users WHERE username LIKE 'spoof%'"));

      assertEquals(401, login(api, "alice", "wrong", randomIp()).status());
      assertEquals(401, login(api, "alice", "wrong", randomIp()).status());
      assertRateLimited(login(api, "alice", "correct horse", randomIp()));
    } finally {
      running.stop();
    }
  }

  @Test
  void forwardedForFromATrustedProxyIsHonoured() throws Exception {
    Main.Running running = start(Map.of(
        AppConfig.LIMIT_REGISTRATIONS_IP, "2/1h",
        AppConfig.TRUSTED_PROXIES, "127.0.0.1"));
    try {
      Api api = api(running);
      // Two clients behind the proxy: each has its own budget.
      assertEquals(201, register(api, "client_a1", "203.0.113.7").status());
      assertEquals(201, register(api, "client_a2", "203.0.113.7").status());
      assertRateLimited(register(api, "client_a3", "203.0.113.7"));
      assertEquals(201, register(api, "client_b1", "198.51.100.9").status());
      assertEquals(201, register(api, "client_b2", "198.51.100.9").status());
      assertRateLimited(register(api, "client_b3", "198.51.100.9"));

      // The client is the rightmost hop that is not a trusted proxy: what the client itself wrote further left
      // is not believed, so prepending a fake address to a spent one does not help.
      assertRateLimited(register(api, "client_c1", "10.9.8.7, 203.0.113.7"));
      // Trusted proxies in the chain are skipped.
      assertRateLimited(register(api, "client_c2", "203.0.113.7, 127.0.0.1"));
      // Several lines are one list: a proxy that adds its own line below the client's (HAProxy's way) gives the
      // client's real address last, and the client's own line above it is not believed either.
      assertRateLimited(send(api, "/api/auth/register", new JsonObject().put("username", "client_c3")
          .put("email", "client_c3@example.org").put("password", "correct horse"), "10.9.8.6", "203.0.113.7"));
      assertEquals(0, count("SELECT count(*) FROM users WHERE username LIKE 'client_c%'"));

      // Without the header, the proxy itself is the client and has its own, unspent budget.
      assertEquals(201, register(api, "direct", null).status());
    } finally {
      running.stop();
    }
  }

  // ---- requests with an X-Forwarded-For header (Api has no way to add one) ----

  private static Api.Response register(Api api, String username, String forwardedFor) {
    return send(api, "/api/auth/register", new JsonObject().put("username", username)
        .put("email", username + "@example.org").put("password", "correct horse"), forwardedFor);
  }

  private static Api.Response login(Api api, String login, String password) {
    return login(api, login, password, null);
  }

  private static Api.Response login(Api api, String login, String password, String forwardedFor) {
    return send(api, "/api/auth/login", new JsonObject().put("login", login).put("password", password), forwardedFor);
  }

  private static JsonObject report(long postId) {
    return new JsonObject().put("targetType", "post").put("targetId", postId).put("reason", "spam");
  }

  private static String randomIp() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return r.nextInt(1, 224) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(1, 255)
        + (r.nextBoolean() ? "" : ", " + UUID.randomUUID().toString().substring(0, 8));
  }

  /** A POST with one X-Forwarded-For line per value (none for a null). */
  private static Api.Response send(Api api, String path, JsonObject body, String... forwardedFor) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.baseUrl() + path))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (forwardedFor != null) {
      for (String line : forwardedFor) {
        if (line != null) request.header("X-Forwarded-For", line);
      }
    }
    try {
      HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Api.Response(response.statusCode(), response.body(), response.headers());
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
