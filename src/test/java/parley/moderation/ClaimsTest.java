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
import parley.report.Claims;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Claims on the moderators' queues (docs/MODERATION.md, "Who is on what"): one moderator takes an item, the others
 * see it and are refused unless they take it over; a decision on the item, letting go, time, or the moderator losing
 * their role ends it; every refusal changes nothing.
 */
@ExtendWith(TestParley.class)
class ClaimsTest extends ModerationCast {

  @BeforeEach
  void meetTheCast() throws Exception {
    cast();
  }

  private Response claim(Session as, String type, long id, JsonObject body) {
    return api.put("/api/mod/" + type + "s/" + id + "/claim", as, body);
  }

  private JsonArray claims(Session as) {
    Response r = api.get("/api/mod/claims", as);
    assertEquals(200, r.status(), r.toString());
    return r.json().getJsonArray("items");
  }

  /** The moderators' topic's claim events, oldest first. */
  private static List<JsonObject> claimEvents() throws Exception {
    List<JsonObject> out = new ArrayList<>();
    try (var c = TestParley.db().getConnection(); var s = c.createStatement(); var rs = s.executeQuery(
        "SELECT type, data FROM events WHERE topic = 'parley.mod' AND type LIKE 'claim.%' ORDER BY seq")) {
      while (rs.next()) out.add(new JsonObject(rs.getString("data")).put("@type", rs.getString("type")));
    }
    return out;
  }

  /** A post or comment with an open report (written straight to the database: no rate limit in the way). */
  private long reported(String type, long id) throws Exception {
    TestParley.sql("INSERT INTO reports (reporter_id, target_type, target_id, reason) VALUES (" + bob.id() + ", '"
        + type + "', " + id + ", 'spam')");
    return id;
  }

  private static long claimRows() throws Exception {
    return TestParley.count("SELECT count(*) FROM mod_claims");
  }

  @Test
  void aModeratorTakesAReportedPostAndEveryModeratorSeesWhoIsOnItUntilWhen() throws Exception {
    long post = api.createPost(alice, "Reported");
    reportId(bob, "post", post, "spam");
    Instant before = Instant.now();
    Response r = claim(mod, "post", post, null);
    assertEquals(200, r.status(), r.toString());
    JsonObject taken = r.json();
    assertEquals("post", taken.getString("targetType"));
    assertEquals(post, taken.getLong("targetId"));
    assertEquals("mod", taken.getJsonObject("moderator").getString("username"));
    Instant until = Instant.parse(taken.getString("until"));
    Duration held = Duration.between(Instant.parse(taken.getString("since")), until);
    assertEquals(Claims.HOLD, held, "a claim lasts " + Claims.HOLD);
    assertTrue(!until.isBefore(before.plus(Claims.HOLD).minusSeconds(5)), "until " + until);

    JsonArray listed = claims(boss);
    assertEquals(1, listed.size(), listed.encode());
    assertEquals(taken, listed.getJsonObject(0), "the list says what the claim said");

    List<JsonObject> events = claimEvents();
    assertEquals(1, events.size(), events.toString());
    assertEquals("claim.taken", events.get(0).getString("@type"));
    assertEquals("mod", events.get(0).getJsonObject("moderator").getString("username"));
    assertNull(events.get(0).getJsonObject("from"), "taken from nobody");
    assertEquals(0, logRows(), "a claim writes no audit entry");
  }

  @Test
  void takingAgainRenewsTheClaimAndKeepsWhenItStarted() throws Exception {
    long post = reported("post", api.createPost(alice, "Reported"));
    JsonObject first = claim(mod, "post", post, null).json();
    TestParley.sql("UPDATE mod_claims SET claimed_at = claimed_at - interval '10 minutes', "
        + "expires_at = expires_at - interval '10 minutes'");
    Response again = claim(mod, "post", post, new JsonObject());
    assertEquals(200, again.status(), again.toString());
    Instant since = Instant.parse(again.json().getString("since"));
    Instant until = Instant.parse(again.json().getString("until"));
    assertTrue(since.isBefore(Instant.parse(first.getString("since")).minusSeconds(500)), "kept its start: " + since);
    assertTrue(until.isAfter(Instant.now().plus(Claims.HOLD).minusSeconds(30)), "renewed: " + until);
    assertEquals(1, claimRows());
  }

  @Test
  void anotherModeratorIsRefusedWithTheHolderNamedAndChangesNothingUnlessTheyTakeItOver() throws Exception {
    long post = api.createPost(alice, "Thread");
    long comment = api.comment(alice, post, "rude", null);
    reportId(bob, "comment", comment, "harassment");
    assertEquals(200, claim(mod, "comment", comment, null).status());
    String before = snapshot();
    String rows = text("SELECT string_agg(concat_ws(',', target_type, target_id, moderator_id, claimed_at, expires_at), ';') "
        + "FROM mod_claims");

    Response refused = claim(boss, "comment", comment, new JsonObject().put("takeOver", false));
    assertProblem(refused, 409, "someone else's claim");
    assertTrue(refused.json().getString("detail").startsWith("mod is on this"), refused.toString());
    assertEquals("mod", refused.json().getJsonObject("claim").getJsonObject("moderator").getString("username"));
    assertProblem(api.delete("/api/mod/comments/" + comment + "/claim", boss), 409, "letting go of someone else's");
    assertEquals(before, snapshot());
    assertEquals(rows, text("SELECT string_agg(concat_ws(',', target_type, target_id, moderator_id, claimed_at, "
        + "expires_at), ';') FROM mod_claims"), "the claim is untouched");
    assertEquals(1, claimEvents().size(), "no event for a refusal");

    Response over = claim(boss, "comment", comment, new JsonObject().put("takeOver", true));
    assertEquals(200, over.status(), over.toString());
    assertEquals("boss", over.json().getJsonObject("moderator").getString("username"));
    JsonObject event = claimEvents().get(1);
    assertEquals("claim.taken", event.getString("@type"));
    assertEquals("mod", event.getJsonObject("from").getString("username"), "the event says whose it was");
    assertEquals("boss", claims(mod).getJsonObject(0).getJsonObject("moderator").getString("username"));
    assertProblem(claim(mod, "comment", comment, null), 409, "the first holder, now that it is taken over");
  }

  @Test
  void lettingGoFreesTheItemAndSaysSoAndNothingToLetGoIsNoError() throws Exception {
    long post = reported("post", api.createPost(alice, "Reported"));
    assertEquals(200, claim(mod, "post", post, null).status());
    ok(api.delete("/api/mod/posts/" + post + "/claim", mod), "let go");
    assertEquals(0, claimRows());
    JsonObject released = claimEvents().get(1);
    assertEquals("claim.released", released.getString("@type"));
    assertEquals("released", released.getString("ended"));
    assertEquals("mod", released.getJsonObject("by").getString("username"));
    ok(api.delete("/api/mod/posts/" + post + "/claim", mod), "again: nothing to let go");
    assertEquals(2, claimEvents().size(), "nothing let go, nothing said");
    assertTrue(claims(mod).isEmpty());
    assertEquals(200, claim(boss, "post", post, null).status(), "free for anyone");
  }

  @Test
  void aDecisionOnTheItemEndsItsClaimInTheSameTransaction() throws Exception {
    // hide through the report, dismiss, a direct hide, approve and reject of held content
    long hidden = api.createPost(alice, "Spam");
    long hideReport = reportId(bob, "post", hidden, "spam");
    long dismissed = api.createPost(alice, "Fine");
    long dismissReport = reportId(bob, "post", dismissed, "other");
    long thread = api.createPost(bob, "Thread");
    long direct = reported("comment", api.comment(alice, thread, "rude", null));
    long approved = pendingComment(alice, thread);
    long rejected = pendingPost(alice, "Held");
    for (Object[] item : new Object[][] {{"post", hidden}, {"post", dismissed}, {"comment", direct},
        {"comment", approved}, {"post", rejected}}) {
      assertEquals(200, claim(mod, (String) item[0], (Long) item[1], null).status(), "claim " + item[0] + item[1]);
    }
    assertEquals(5, claimRows());
    ok(api.post("/api/mod/reports/" + hideReport + "/resolve", boss, new JsonObject().put("action", "hide")), "hide");
    ok(api.post("/api/mod/reports/" + dismissReport + "/resolve", boss, new JsonObject().put("action", "dismiss")),
        "dismiss");
    ok(api.post("/api/mod/comments/" + direct + "/hide", mod, reason("rude")), "hide directly");
    ok(api.post("/api/mod/comments/" + approved + "/approve", boss, null), "approve");
    ok(api.post("/api/mod/posts/" + rejected + "/reject", boss, reason("spam")), "reject");
    assertEquals(0, claimRows(), "every decided item's claim ended");
    List<JsonObject> ended = claimEvents().stream().filter(e -> e.getString("@type").equals("claim.released")).toList();
    assertEquals(5, ended.size(), ended.toString());
    for (JsonObject e : ended) {
      assertEquals("decided", e.getString("ended"), e.encode());
      assertEquals("mod", e.getJsonObject("moderator").getString("username"), e.encode());
    }
    assertEquals("boss", ended.get(0).getJsonObject("by").getString("username"));
  }

  @Test
  void aThreadsModerationSaysWhoIsOnEachItemWhileTheirClaimLasts() throws Exception {
    long post = api.createPost(alice, "Thread");
    long comment = api.comment(alice, post, "reported", null);
    reportId(bob, "comment", comment, "spam");
    JsonObject claim = claim(mod, "comment", comment, null).json();
    JsonObject thread = api.get("/api/mod/posts/" + post + "/moderation", boss).json();
    assertEquals(claim, thread.getJsonArray("comments").getJsonObject(0).getJsonObject("claim"), thread.encode());
    assertNull(thread.getJsonObject("post").getValue("claim"), "nobody is on the post");
    TestParley.sql("UPDATE mod_claims SET expires_at = now() - interval '1 second'");
    thread = api.get("/api/mod/posts/" + post + "/moderation", boss).json();
    assertNull(thread.getJsonArray("comments").getJsonObject(0).getValue("claim"), "an expired claim is nobody's");
  }

  @Test
  void lockingAThreadIsNoDecisionOnItsReportsAndKeepsTheClaim() throws Exception {
    long post = api.createPost(alice, "Heated");
    reportId(bob, "post", post, "harassment");
    assertEquals(200, claim(mod, "post", post, null).status());
    ok(api.post("/api/mod/posts/" + post + "/lock", boss, null), "lock");
    assertEquals(1, claimRows());
  }

  @Test
  void anExpiredClaimOrOneWhoseModeratorLostTheRoleIsNobodys() throws Exception {
    long first = reported("post", api.createPost(alice, "One"));
    long second = reported("post", api.createPost(alice, "Two"));
    assertEquals(200, claim(mod, "post", first, null).status());
    TestParley.sql("UPDATE mod_claims SET expires_at = now() - interval '1 second'");
    assertTrue(claims(boss).isEmpty(), "an expired claim is not listed");
    Response taken = claim(boss, "post", first, null);
    assertEquals(200, taken.status(), "no takeOver needed: " + taken);
    assertNull(claimEvents().get(1).getJsonObject("from"), "taken from nobody: the claim had ended");

    assertEquals(200, claim(mod, "post", second, null).status());
    ok(api.put("/api/admin/users/mod/role", boss, new JsonObject().put("role", "user")), "demote mod");
    assertEquals(List.of(first), claims(boss).stream().map(c -> ((JsonObject) c).getLong("targetId")).toList(),
        "a demoted moderator's claims are not listed");
    assertEquals(200, claim(boss, "post", second, null).status(), "nor do they hold anything");
  }

  @Test
  void aModeratorHoldsAtMostFiftyAndLetsExpiredOnesGoWhenTakingMore() throws Exception {
    List<Long> posts = new ArrayList<>();
    for (int i = 0; i <= Claims.MAX_HELD; i++) posts.add(reported("post", api.createPost(alice, "Post " + i)));
    for (int i = 0; i < Claims.MAX_HELD; i++) {
      assertEquals(200, claim(mod, "post", posts.get(i), null).status(), "claim " + i);
    }
    assertEquals(200, claim(mod, "post", posts.get(0), null).status(), "renewing one held is not one more");
    Response refused = claim(mod, "post", posts.get(Claims.MAX_HELD), null);
    assertProblem(refused, 409, "the fifty-first");
    assertEquals(Claims.MAX_HELD, claimRows());
    TestParley.sql("UPDATE mod_claims SET expires_at = now() - interval '1 second'");
    assertEquals(200, claim(mod, "post", posts.get(Claims.MAX_HELD), null).status(), "once the others expired");
    assertEquals(1, claimRows(), "the expired ones are gone from the table");
  }

  @Test
  void badRequestsAreRefusedClearlyAndChangeNothing() throws Exception {
    long post = api.createPost(alice, "Post");
    long comment = api.comment(alice, post, "words", null);
    String before = snapshot();
    assertProblem(claim(mod, "post", 999_999, null), 404, "no such post");
    assertProblem(claim(mod, "comment", 999_999, null), 404, "no such comment");
    assertProblem(api.delete("/api/mod/posts/999999/claim", mod), 404, "letting go of no such post");
    assertProblem(api.raw("PUT", "/api/mod/posts/abc/claim", "Bearer " + mod.token(), null, null), 404, "not an id");
    assertProblem(api.raw("PUT", "/api/mod/posts/0/claim", "Bearer " + mod.token(), null, null), 404, "id 0");
    assertProblem(claim(mod, "post", post, new JsonObject().put("takeOver", "yes")), 400, "takeOver not a boolean");
    assertProblem(claim(mod, "post", post, new JsonObject().put("take", true)), 400, "an unknown field");
    assertProblem(api.raw("PUT", "/api/mod/posts/" + post + "/claim", "Bearer " + mod.token(), "{", "application/json"),
        400, "broken JSON");
    assertProblem(claim(bob, "post", post, null), 403, "a member");
    assertProblem(claim(alice, "comment", comment, null), 403, "the author");
    assertProblem(claim(null, "post", post, null), 401, "anonymous");
    assertProblem(api.get("/api/mod/claims", bob), 403, "a member reads the claims");
    Response idle = claim(mod, "post", post, null);
    assertProblem(idle, 409, "nothing about it waits for a decision");
    assertEquals("Nothing about this post waits for a decision: it has no open report and is not held for review.",
        idle.json().getString("detail"));
    assertEquals(before, snapshot());
    reported("post", post);
    reported("comment", comment);
    ok(api.delete("/api/posts/" + post, alice), "the author deletes the post");
    assertProblem(claim(mod, "post", post, null), 404, "a deleted post");
    assertProblem(claim(mod, "comment", comment, null), 404, "a comment of a deleted post");
    assertEquals(0, claimRows());
    assertTrue(claimEvents().isEmpty());
  }

  @Test
  void aDecidedItemCannotBeTakenAgainAndADecisionThatCameFirstIsSeen() throws Exception {
    long post = api.createPost(alice, "Thread");
    long comment = reported("comment", api.comment(alice, post, "rude", null));
    ok(api.post("/api/mod/comments/" + comment + "/hide", boss, reason("rude")), "hide");
    assertProblem(claim(mod, "comment", comment, null), 409, "hidden, its reports settled");
    assertEquals(0, claimRows());
  }

  @Test
  void anAuthorsDeletionEndsTheClaimsOnWhatTheyDeletedAndSaysSo() throws Exception {
    long post = reported("post", api.createPost(alice, "Thread"));
    long onIt = reported("comment", api.comment(bob, post, "reported", null));
    long own = reported("comment", api.comment(alice, post, "mine, reported", null));
    assertEquals(200, claim(mod, "comment", own, null).status());
    assertEquals(200, claim(mod, "comment", onIt, null).status());
    assertEquals(200, claim(boss, "post", post, null).status());
    ok(api.delete("/api/comments/" + own, alice), "alice deletes her comment");
    assertEquals(2, claimRows(), "only that comment's claim ended");
    ok(api.delete("/api/posts/" + post, alice), "then her post");
    assertEquals(0, claimRows(), "the post's claim, and its comments'");
    List<JsonObject> ended = claimEvents().stream().filter(e -> e.getString("@type").equals("claim.released")).toList();
    assertEquals(3, ended.size(), ended.toString());
    assertTrue(ended.stream().allMatch(e -> e.getString("ended").equals("deleted")
        && e.getJsonObject("by").getString("username").equals("alice")), ended.toString());
  }

  /** An account's erasure deletes what it wrote as its author would, naming no one: the deleted account has no name. */
  @Test
  void aDeletedAccountsErasureEndsTheClaimsOnWhatItWroteNamingNoOne() throws Exception {
    Session troll = api.register("troll");
    long post = reported("post", api.createPost(troll, "Troll's thread"));
    long comment = reported("comment", api.comment(troll, api.createPost(alice, "Alice's"), "rude", null));
    assertEquals(200, claim(mod, "post", post, null).status());
    assertEquals(200, claim(boss, "comment", comment, null).status());
    assertEquals(204, api.post("/api/me/delete", troll, new JsonObject().put("currentPassword", "correct horse"))
        .status());
    assertEquals(0, claimRows());
    List<JsonObject> ended = claimEvents().stream().filter(e -> e.getString("@type").equals("claim.released")).toList();
    assertEquals(2, ended.size(), ended.toString());
    for (JsonObject e : ended) {
      assertEquals("deleted", e.getString("ended"), e.encode());
      assertTrue(e.containsKey("by") && e.getValue("by") == null, e.encode());
    }
    assertEquals(List.of(), claims(mod).getList(), "nothing left to be on");
  }

  @Test
  void aBanOrADemotionEndsEveryClaimOfTheModeratorForGood() throws Exception {
    Session kim = api.registerWithRole("kim", "moderator");
    long first = reported("post", api.createPost(alice, "One"));
    long second = reported("post", api.createPost(alice, "Two"));
    assertEquals(200, claim(mod, "post", first, null).status());
    assertEquals(200, claim(kim, "post", second, null).status());
    ban(boss, "mod", reason("rogue"));
    assertEquals(List.of(second), claims(boss).stream().map(c -> ((JsonObject) c).getLong("targetId")).toList());
    ok(api.delete("/api/mod/users/mod/ban", boss), "unban");
    assertEquals(1, claims(boss).size(), "a lifted ban does not bring them back");
    ok(api.put("/api/admin/users/kim/role", boss, new JsonObject().put("role", "user")), "demote kim");
    assertTrue(claims(boss).isEmpty());
    assertEquals(0, claimRows());
    List<JsonObject> ended = claimEvents().stream().filter(e -> e.getString("@type").equals("claim.released")).toList();
    assertEquals(List.of("mod", "kim"), ended.stream().map(e -> e.getJsonObject("moderator").getString("username"))
        .toList());
    assertTrue(ended.stream().allMatch(e -> e.getString("ended").equals("revoked")
        && e.getJsonObject("by").getString("username").equals("boss")), ended.toString());
  }

  /**
   * One moderator's takes at once: none deadlocks over another's expired row (two cards taken at once after a break
   * did, 6 times in 10: a 503), and together they never pass the limit (a probe: 53 held).
   */
  @Test
  void aModeratorsTakesAtOnceNeitherCollideNorPassTheLimit() throws Exception {
    List<Long> posts = new ArrayList<>();
    for (int i = 0; i < 60; i++) posts.add(reported("post", api.createPost(alice, "Post " + i)));
    for (long post : posts.subList(0, 10)) assertEquals(200, claim(mod, "post", post, null).status());
    TestParley.sql("UPDATE mod_claims SET expires_at = now() - interval '1 second'");
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      List<java.util.concurrent.Future<Response>> answers = new ArrayList<>();
      // The ten expired ones taken again, and fifty more: at most fifty of the sixty can be held.
      for (long post : posts) answers.add(pool.submit(() -> claim(mod, "post", post, null)));
      int taken = 0;
      for (var answer : answers) {
        Response r = answer.get();
        if (r.status() == 200) taken++;
        else assertProblem(r, 409, "refused: " + r);
      }
      assertEquals(Claims.MAX_HELD, taken, "exactly the limit");
      assertEquals(Claims.MAX_HELD, TestParley.count("SELECT count(*) FROM mod_claims WHERE expires_at > now()"));
    } finally {
      pool.shutdownNow();
    }
  }
}
