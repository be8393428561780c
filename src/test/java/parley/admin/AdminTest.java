package parley.admin;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.Api.Session;
import parley.ModerationCast;
import parley.TestParley;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bans and roles end to end, over real HTTP against the real database: a ban refuses every write at once (until a
 * time or for good) and leaves reading alone, unbanning and expiry lift it, who may ban whom, what a ban request
 * must carry; and role changes, which take effect on the target's next request, with the rules on who may make them.
 */
@ExtendWith(TestParley.class)
class AdminTest extends ModerationCast {

  /** Every test here starts with the same four accounts (the tables were emptied just before). */
  @BeforeEach
  void meetTheCast() throws Exception {
    cast();
  }

  // ==== 1. bans ====

  @Test
  void banRefusesEveryWriteAtOnceWithReasonAndUntilButReadingStillWorks() throws Exception {
    Session carol = api.register("carol");
    long mine = api.createPost(alice, "Alice's");
    long myComment = api.comment(alice, mine, "alice's comment", null);
    long bobs = api.createPost(bob, "Bob's");
    ok(api.put("/api/me/blocks/carol", alice, null), "block before the ban");
    Instant until = Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    ban(mod, "alice", reason("flame wars").put("until", until.toString()));
    String before = snapshot();

    List<Response> writes = List.of(
        api.post("/api/posts", alice, new JsonObject().put("title", "New").put("body", "b")),
        api.post("/api/posts/" + bobs + "/comments", alice, new JsonObject().put("body", "hi")),
        api.patch("/api/posts/" + mine, alice, new JsonObject().put("title", "Edited")),
        api.delete("/api/posts/" + mine, alice),
        api.patch("/api/comments/" + myComment, alice, new JsonObject().put("body", "edited")),
        api.delete("/api/comments/" + myComment, alice),
        api.post("/api/reports", alice, report("post", bobs, "spam")),
        api.put("/api/me/blocks/bob", alice, null),
        api.delete("/api/me/blocks/carol", alice));
    for (Response r : writes) {
      assertProblem(r, 403, "write while banned");
      JsonObject problem = r.json();
      assertEquals("flame wars", problem.getString("reason"), r.toString());
      assertNotNull(problem.getString("until"), r.toString());
      assertEquals(until, Instant.parse(problem.getString("until")), r.toString());
    }
    assertEquals(before, snapshot(), "a banned user's writes change nothing");

    assertEquals(200, api.get("/api/posts", alice).status());
    assertEquals(200, api.get("/api/posts/" + bobs, alice).status());
    assertEquals(200, api.get("/api/posts/" + mine + "/comments", alice).status());
    assertEquals(200, api.get("/api/me", alice).status());
    assertEquals(200, api.get("/api/me/reports", alice).status());
    assertEquals(200, api.get("/api/me/blocks", alice).status());
  }

  @Test
  void permanentBanHasNullUntil() throws Exception {
    ban(mod, "alice", reason("for good"));
    Response r = api.post("/api/posts", alice, new JsonObject().put("title", "T").put("body", "b"));
    assertProblem(r, 403, "permanently banned");
    assertEquals("for good", r.json().getString("reason"));
    assertTrue(r.json().containsKey("until"), r.toString());
    assertNull(r.json().getValue("until"), r.toString());
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts"));
  }

  @Test
  void unbanRestoresWritingAtOnce() throws Exception {
    long post = api.createPost(bob, "Topic");
    ban(mod, "alice", reason("cool down"));
    assertProblem(api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "x")), 403, "banned");
    ok(api.delete("/api/mod/users/alice/ban", mod), "unban");
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE banned_until IS NOT NULL"));
    Response comment = api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "x"));
    assertEquals(201, comment.status(), comment.toString());
    assertEquals(201, api.post("/api/posts", alice, new JsonObject().put("title", "T").put("body", "b")).status());
  }

  @Test
  void expiredBanNoLongerRefusesWrites() throws Exception {
    Instant until = Instant.now().plus(1, ChronoUnit.HOURS);
    ban(mod, "alice", reason("short break").put("until", until.toString()));
    assertProblem(api.post("/api/posts", alice, new JsonObject().put("title", "T").put("body", "b")), 403, "banned");
    // Time passes: the ban's end moves into the past (no sleeping in tests).
    TestParley.sql("UPDATE users SET banned_until = now() - interval '1 second' WHERE id = " + alice.id());
    Response r = api.post("/api/posts", alice, new JsonObject().put("title", "T").put("body", "b"));
    assertEquals(201, r.status(), r.toString());
  }

  @Test
  void moderatorsCannotBanModeratorsOrAdminsAndNobodyBansAnAdmin() throws Exception {
    Session mod2 = api.registerWithRole("mod2", "moderator");
    api.registerWithRole("boss2", "admin");
    String before = snapshot();
    assertProblem(api.post("/api/mod/users/mod2/ban", mod, reason("x")), 403, "moderator bans moderator");
    assertProblem(api.post("/api/mod/users/boss/ban", mod, reason("x")), 403, "moderator bans admin");
    assertProblem(api.post("/api/mod/users/boss2/ban", boss, reason("x")), 403, "admin bans admin");
    assertEquals(before, snapshot());

    ban(boss, "mod2", reason("abuse of power"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM users WHERE banned_until IS NOT NULL AND id = " + mod2.id()));
    assertEquals("boss user.banned user " + mod2.id(), newestLog());
  }

  @Test
  void banValidation() throws Exception {
    String before = snapshot();
    assertProblem(api.post("/api/mod/users/mod/ban", mod, reason("x")), 400, "moderator bans self");
    assertProblem(api.post("/api/mod/users/boss/ban", boss, reason("x")), 400, "admin bans self");
    Response past = api.post("/api/mod/users/alice/ban", mod, reason("x").put("until", "2020-01-01T00:00:00Z"));
    assertProblem(past, 400, "until in the past");
    assertEquals(List.of("until"), past.errorFields());
    Response notATime = api.post("/api/mod/users/alice/ban", mod, reason("x").put("until", "next tuesday"));
    assertProblem(notATime, 400, "until not a time");
    assertEquals(List.of("until"), notATime.errorFields());
    // Past what the database keeps, an end read back as none: a ban for a while must not become one for good.
    for (String far : List.of("+999999999-12-31T23:59:59Z", "+10000-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00")) {
      Response tooFar = api.post("/api/mod/users/alice/ban", mod, reason("x").put("until", far));
      assertProblem(tooFar, 400, "until " + far);
      assertEquals(List.of("until"), tooFar.errorFields());
    }
    Response noReason = api.post("/api/mod/users/alice/ban", mod, new JsonObject());
    assertProblem(noReason, 400, "no reason");
    assertEquals(List.of("reason"), noReason.errorFields());
    assertProblem(api.post("/api/mod/users/nobody/ban", mod, reason("x")), 404, "unknown user");
    assertEquals(before, snapshot());
    // The last moment a timed ban may end at is a ban until then, read back with its date (not as one for good).
    ok(api.post("/api/mod/users/alice/ban", mod, reason("x").put("until", "9999-12-31T23:59:59Z")), "ban to 9999");
    JsonObject ban = api.get("/api/me", alice).json().getJsonObject("ban");
    assertEquals("9999-12-31T23:59:59.000Z", ban.getString("until"), ban.encode());
  }

  /**
   * A spammer's wave: banned with {@code removeContent}, everything they have on the site goes with the ban, each
   * piece as its own hide or decline would (its reason, its audit entry, its reports settled, readers' counts), and
   * nothing else: what they deleted, what another moderator hid, and others' words stay as they were.
   */
  @Test
  void aBanThatRemovesContentTakesDownEverythingTheMemberHasAndNothingElse() throws Exception {
    long spam1 = api.createPost(alice, "Cheap pills");
    long spam2 = api.createPost(alice, "More cheap pills");
    long bobs = api.createPost(bob, "Bob's thread");
    long bobsComment = api.comment(bob, bobs, "bob's words stay", null);
    long c1 = api.comment(alice, bobs, "buy pills", null);
    long c2 = api.comment(alice, bobs, "buy more pills", bobsComment);
    long c3 = api.comment(alice, spam1, "pills in my own thread", null);
    long deleted = api.comment(alice, bobs, "deleted before", null);
    ok(api.delete("/api/comments/" + deleted, alice), "her own delete");
    long hiddenBefore = api.comment(alice, bobs, "hidden before", null);
    ok(api.post("/api/mod/comments/" + hiddenBefore + "/hide", mod, reason("earlier")), "an earlier hide");
    long held = pendingComment(alice, bobs);
    long reported = reportId(bob, "comment", c1, "spam");
    assertEquals(3, api.get("/api/posts/" + bobs).json().getInteger("commentCount"));

    // Refusals change nothing: a flag that is not a boolean, a member a moderator may not ban.
    api.registerWithRole("mod2", "moderator");
    String before = snapshot();
    Response notAFlag = api.post("/api/mod/users/alice/ban", mod, reason("spam").put("removeContent", "yes"));
    assertProblem(notAFlag, 400, "removeContent must be a boolean");
    assertEquals(List.of("removeContent"), notAFlag.errorFields());
    assertProblem(api.post("/api/mod/users/mod2/ban", mod, reason("spam").put("removeContent", true)), 403,
        "a moderator bans a moderator");
    assertEquals(before, snapshot());

    Response banned = api.post("/api/mod/users/alice/ban", mod, reason("Spam wave").put("removeContent", true));
    assertEquals(200, banned.status(), banned.toString());
    assertEquals(new JsonObject().put("hidden", new JsonObject().put("posts", 2).put("comments", 3))
        .put("rejected", new JsonObject().put("posts", 0).put("comments", 1)), banned.json());

    assertEquals("Spam wave", text("SELECT string_agg(DISTINCT hidden_reason, ',') FROM posts WHERE id IN ("
        + spam1 + "," + spam2 + ")"));
    assertEquals(3, TestParley.count("SELECT count(*) FROM comments WHERE hidden_reason = 'Spam wave' AND id IN ("
        + c1 + "," + c2 + "," + c3 + ")"));
    assertEquals("earlier", text("SELECT hidden_reason FROM comments WHERE id = " + hiddenBefore), "left as it was");
    assertEquals(1, TestParley.count("SELECT count(*) FROM comments WHERE id = " + deleted
        + " AND deleted_at IS NOT NULL AND hidden_at IS NULL"), "her own delete stays hers");
    assertEquals("Spam wave", text("SELECT rejected_reason FROM comments WHERE id = " + held));
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments WHERE id = " + bobsComment
        + " AND hidden_at IS NOT NULL"), "bob's words stay");
    assertEquals(1, api.get("/api/posts/" + bobs).json().getInteger("commentCount"), "readers count only bob's");
    assertProblem(api.get("/api/posts/" + spam1), 404, "her post is gone for readers");
    assertEquals("actioned", text("SELECT status FROM reports WHERE id = " + reported), "the report is settled");
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.banned' "
        + "AND (details ->> 'removeContent')::boolean AND target_id = " + alice.id()));
    assertEquals(2, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'post.hidden' AND reason = 'Spam wave'"));
    assertEquals(3, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'comment.hidden' "
        + "AND reason = 'Spam wave'"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'comment.rejected'"));
    assertProblem(api.post("/api/posts/" + bobs + "/comments", alice, new JsonObject().put("body", "again")), 403,
        "and she is banned");

    // Again (a second wave after a restore, or a retry after a failure): only what is up now.
    ok(api.post("/api/mod/comments/" + c1 + "/restore", mod, null), "restore one");
    Response again = api.post("/api/mod/users/alice/ban", mod, reason("Spam wave").put("removeContent", true));
    assertEquals(1, again.json().getJsonObject("hidden").getInteger("comments"), again.toString());
    // Without the flag a ban takes nothing down, as before.
    ok(api.post("/api/mod/comments/" + c1 + "/restore", mod, null), "restore it again");
    ok(api.post("/api/mod/users/alice/ban", mod, reason("Spam wave").put("removeContent", false)), "a plain ban");
    assertEquals(0, TestParley.count("SELECT count(*) FROM comments WHERE id = " + c1 + " AND hidden_at IS NOT NULL"));
  }

  /**
   * A takedown lasts a while, and every piece of it is done in the moderator's name: one demoted meanwhile stops
   * acting at the next piece (a probe saw 2,272 hides entered after the demotion), and the request says so.
   */
  @Test
  void aTakedownStopsAtTheNextPieceOnceItsModeratorIsDemoted() throws Exception {
    long post = api.createPost(bob, "Bob's thread");
    int many = 400;
    for (int i = 0; i < many; i++) api.comment(alice, post, "spam " + i, null);
    @SuppressWarnings("unchecked")
    java.net.http.HttpResponse<String>[] answer = new java.net.http.HttpResponse[1];
    java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>> banning =
        java.net.http.HttpClient.newHttpClient().sendAsync(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(TestParley.baseUrl() + "/api/mod/users/alice/ban"))
            .header("Authorization", "Bearer " + mod.token()).header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(reason("Spam").put("removeContent", true).encode()))
            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    TestParley.awaitUntil(() -> banning.isDone()
        || TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'comment.hidden'") > 0, "the takedown runs");
    ok(api.put("/api/admin/users/mod/role", boss, new JsonObject().put("role", "user")), "demoted meanwhile");
    long demoted = TestParley.count("SELECT max(id) FROM mod_log WHERE action = 'user.role_changed'");
    answer[0] = banning.get(60, java.util.concurrent.TimeUnit.SECONDS);
    // 400 pieces take a second or more; the demotion, milliseconds.
    assertEquals(403, answer[0].statusCode(), answer[0].body());
    long hidden = TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'comment.hidden'");
    assertTrue(hidden < many, "stopped short: " + hidden);
    assertEquals(0, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'comment.hidden' AND id > "
        + demoted), "nothing entered in the demoted moderator's name after the demotion");
    assertTrue(answer[0].body().contains("no longer"), answer[0].body());
  }

  // ==== 2. roles ====

  @Test
  void roleChangeTakesEffectOnTheTargetsNextRequestWithTheSameToken() throws Exception {
    assertProblem(api.get("/api/mod/queue", bob), 403, "before promotion");
    ok(api.put("/api/admin/users/bob/role", boss, new JsonObject().put("role", "moderator")), "promote");
    assertEquals("moderator", text("SELECT role FROM users WHERE id = " + bob.id()));
    Response promoted = api.get("/api/mod/queue", bob);
    assertEquals(200, promoted.status(), promoted.toString());
    long post = api.createPost(alice, "Topic");
    ok(api.post("/api/mod/posts/" + post + "/lock", bob, null), "the promoted user moderates");

    ok(api.put("/api/admin/users/mod/role", boss, new JsonObject().put("role", "user")), "demote");
    assertProblem(api.get("/api/mod/queue", mod), 403, "after demotion");

    ok(api.put("/api/admin/users/bob/role", boss, new JsonObject().put("role", "admin")), "make admin");
    ok(api.put("/api/admin/users/alice/role", bob, new JsonObject().put("role", "moderator")), "new admin acts");
    assertEquals("moderator", text("SELECT role FROM users WHERE id = " + alice.id()));
  }

  @Test
  void roleChangeRules() throws Exception {
    String before = snapshot();
    assertProblem(api.put("/api/admin/users/boss/role", boss, new JsonObject().put("role", "user")), 400, "own role");
    Response invalid = api.put("/api/admin/users/alice/role", boss, new JsonObject().put("role", "king"));
    assertProblem(invalid, 400, "invalid role");
    assertEquals(List.of("role"), invalid.errorFields());
    assertProblem(api.put("/api/admin/users/alice/role", mod, new JsonObject().put("role", "moderator")), 403,
        "moderator");
    assertProblem(api.put("/api/admin/users/alice/role", bob, new JsonObject().put("role", "moderator")), 403, "user");
    assertProblem(api.put("/api/admin/users/alice/role", alice, new JsonObject().put("role", "admin")), 403,
        "user promoting self");
    assertProblem(api.put("/api/admin/users/alice/role", null, new JsonObject().put("role", "moderator")), 401,
        "anonymous");
    assertProblem(api.put("/api/admin/users/nobody/role", boss, new JsonObject().put("role", "moderator")), 404,
        "unknown user");
    assertEquals(before, snapshot());
    // Nobody bans an admin, so a banned account is not made one (it could then neither act nor be unbanned).
    ok(api.post("/api/mod/users/alice/ban", mod, reason("spam")), "ban");
    String banned = snapshot();
    Response promoted = api.put("/api/admin/users/alice/role", boss, new JsonObject().put("role", "admin"));
    assertProblem(promoted, 409, "a banned account made an admin");
    assertEquals("alice is banned, and admins cannot be: lift the ban first.", promoted.json().getString("detail"));
    assertEquals(banned, snapshot(), "no role, no audit entry");
    ok(api.delete("/api/mod/users/alice/ban", mod), "unban");
    ok(api.put("/api/admin/users/alice/role", boss, new JsonObject().put("role", "admin")), "then promoted");
  }

  // ==== 3. at once ====

  /**
   * A probe: two admins giving one account the same role at once both logged "from user to moderator", and a
   * moderator's ban landed on a user promoted to moderator meanwhile; each had decided on a role read before its
   * transaction. Made certain here by holding the account's row while the requests arrive and wait for it.
   */
  @Test
  void changesToOneAccountAtOnceDecideOnItsStateWhenTheirTurnComes() throws Exception {
    Session boss2 = api.registerWithRole("boss2", "admin");
    List<Response> twice = whileTheRowIsHeld(alice.id(), null,
        () -> api.put("/api/admin/users/alice/role", boss, new JsonObject().put("role", "moderator")),
        () -> api.put("/api/admin/users/alice/role", boss2, new JsonObject().put("role", "moderator")));
    twice.forEach(r -> ok(r, "the same role, twice at once"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.role_changed' AND target_id = "
        + alice.id()), "one change, one entry");

    // The ban was asked of a user; by its turn the account is a moderator, whom only admins ban.
    List<Response> ban = whileTheRowIsHeld(bob.id(), "UPDATE users SET role = 'moderator' WHERE id = " + bob.id(),
        () -> api.post("/api/mod/users/bob/ban", mod, reason("spam")));
    assertProblem(ban.get(0), 403, "a moderator's ban of one made a moderator meanwhile");
    assertEquals("Only admins may ban moderators.", ban.get(0).json().getString("detail"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE banned_until IS NOT NULL AND id = " + bob.id()));
  }

  /**
   * A probe: two admins demoting each other at once both succeeded, leaving no admin, and an admin demoted a moment
   * before made another account an admin; each acted on the role its request was signed in with. The acting
   * account's row is now locked and read again in the change's transaction (in id order with the target's).
   */
  @Test
  void anAccountDemotedWhileItsRequestWaitsMayNoLongerAct() throws Exception {
    Session boss2 = api.registerWithRole("boss2", "admin");
    String demoteBoss2 = "UPDATE users SET role = 'user' WHERE id = " + boss2.id();
    List<Response> promote = whileTheRowIsHeld(boss2.id(), demoteBoss2,
        () -> api.put("/api/admin/users/alice/role", boss2, new JsonObject().put("role", "admin")));
    assertProblem(promote.get(0), 403, "a demoted admin's promotion");
    assertEquals("Your account may no longer do this: its role or standing changed.",
        promote.get(0).json().getString("detail"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE role <> 'user' AND id = " + alice.id()));

    update("UPDATE users SET role = 'admin' WHERE id = " + boss2.id());
    List<Response> reset = whileTheRowIsHeld(boss2.id(), demoteBoss2,
        () -> api.post("/api/admin/users/alice/password-reset", boss2, null));
    assertProblem(reset.get(0), 403, "a demoted admin's password reset link");
    assertEquals("Your account may no longer do this: its role or standing changed.",
        reset.get(0).json().getString("detail"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM password_resets WHERE user_id = " + alice.id()));

    List<Response> ban = whileTheRowIsHeld(mod.id(), "UPDATE users SET role = 'user' WHERE id = " + mod.id(),
        () -> api.post("/api/mod/users/bob/ban", mod, reason("spam")));
    assertProblem(ban.get(0), 403, "a demoted moderator's ban");
    assertEquals("Your account may no longer do this: its role or standing changed.",
        ban.get(0).json().getString("detail"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE banned_until IS NOT NULL AND id = " + bob.id()));

    // Two admins demoting each other at once: the second to get both rows finds itself demoted.
    update("UPDATE users SET role = 'admin' WHERE id = " + boss2.id());
    List<Response> mutual = whileTheRowIsHeld(Math.min(boss.id(), boss2.id()), null,
        () -> api.put("/api/admin/users/boss2/role", boss, new JsonObject().put("role", "user")),
        () -> api.put("/api/admin/users/boss/role", boss2, new JsonObject().put("role", "user")));
    assertEquals(List.of(204, 403), mutual.stream().map(Response::status).toList(), "the first wins, the second may not");
    assertEquals(1, TestParley.count("SELECT count(*) FROM users WHERE role = 'admin' AND id IN (" + boss.id() + ", "
        + boss2.id() + ")"), "one admin is left");
    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.role_changed' AND target_id IN ("
        + boss.id() + ", " + boss2.id() + ")"), "one change, one entry");
  }

  private static void update(String sql) throws Exception {
    try (java.sql.Connection c = TestParley.db().getConnection(); java.sql.Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    }
  }

  /**
   * The requests, sent one after another while a transaction holds the account's row (each waiting for it before
   * the next is sent), which then runs {@code change} (if any) and lets the row go. Their answers, in order.
   */
  @SafeVarargs
  private List<Response> whileTheRowIsHeld(long userId, String change,
      java.util.function.Supplier<Response>... requests) throws Exception {
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(requests.length);
    try (java.sql.Connection c = TestParley.db().getConnection(); java.sql.Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT id FROM users WHERE id = " + userId + " FOR NO KEY UPDATE");
      List<java.util.concurrent.Future<Response>> sent = new java.util.ArrayList<>();
      for (int i = 0; i < requests.length; i++) {
        sent.add(threads.submit(requests[i]::get));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            + "AND query LIKE '%users%'") < i + 1) {
          if (System.nanoTime() > deadline) throw new AssertionError("request " + i + " never waited for the row");
          Thread.sleep(5);
        }
      }
      if (change != null) s.execute(change);
      c.commit();
      List<Response> answers = new java.util.ArrayList<>();
      for (java.util.concurrent.Future<Response> r : sent) answers.add(r.get(30, java.util.concurrent.TimeUnit.SECONDS));
      return answers;
    } finally {
      threads.shutdownNow();
    }
  }
}
