package parley.deletion;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;
import parley.events.EventLog;
import parley.live.LiveClient;
import parley.post.Posts;
import parley.screening.Screening;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member deletes their account: from then on it signs no one in and names no one, what it wrote is gone from every
 * place it was kept (rows, earlier versions, the event log's copies, stored answers, search), readers see it go
 * live, and what belongs to others (their threads, the votes counted, the reports filed) stays. Every refusal
 * changes nothing.
 */
@ExtendWith(TestParley.class)
class AccountDeletionTest {

  private static final String PASSWORD = "correct horse";
  /** A word only the deleted member wrote, to look for everywhere afterwards. */
  private static final String MARK = "zanzibarish";

  private final Api api = Api.local();

  private Response deleteAccount(Session as, String password) {
    return api.post("/api/me/delete", as, password == null ? new JsonObject()
        : new JsonObject().put("currentPassword", password));
  }

  private static long count(String query) throws Exception {
    return TestParley.count(query);
  }

  /**
   * The deletion's own code on the shared server's node, as its routes and its job make it, on {@code pool}. Two of
   * them share nothing but the database, as two nodes' would.
   */
  private AccountDeletion deletionOn(Main.Running server, io.vertx.sqlclient.Pool pool) {
    return deletionOn(server, pool, AccountDeletion.LEASE);
  }

  private AccountDeletion deletionOn(Main.Running server, io.vertx.sqlclient.Pool pool, Duration lease) {
    EventLog events = new EventLog(server.vertx(), pool);
    return new AccountDeletion(server.vertx(), pool, events, new Posts(pool, events,
        new Screening(server.config().holds())), lease);
  }

  @Test
  void aDeletedAccountNamesNoOneAndWhatItWroteIsErasedEverywhere() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    // Alice's own thread, with bob's reply in it; a post she had deleted before; bob's thread, where she comments,
    // replies to bob and edits her reply (an earlier version kept); her follows, blocks, vote, report and a stored
    // answer (an Idempotency-Key).
    long hers = api.createPost(alice, "Alice on " + MARK);
    long bobsReplyToHer = api.comment(bob, hers, "bob answers alice", null);
    long deletedBefore = api.createPost(alice, "An old " + MARK + " post");
    assertEquals(204, api.delete("/api/posts/" + deletedBefore, alice).status());
    long bobs = api.createPost(bob, "Bob's thread");
    long bobsComment = api.comment(bob, bobs, "bob opens", null);
    long herComment = api.comment(alice, bobs, "alice says " + MARK, null);
    long herReply = api.comment(alice, bobs, "first draft " + MARK, bobsComment);
    assertEquals(200, api.patch("/api/comments/" + herReply, alice,
        new JsonObject().put("body", "second draft " + MARK)).status());
    Response keyed = api.rawWithKey("/api/posts/" + bobs + "/comments", alice,
        new JsonObject().put("body", "keyed " + MARK).encode(), "key-1");
    assertEquals(201, keyed.status(), keyed.toString());
    long herKeyed = keyed.json().getLong("id");
    assertEquals(200, api.put("/api/users/bob/follow", alice, null).status());
    assertEquals(200, api.put("/api/users/alice/follow", bob, null).status());
    assertEquals(204, api.put("/api/me/blocks/carol", alice, null).status());
    assertEquals(204, api.put("/api/me/blocks/alice", carol, null).status());
    assertEquals(200, api.put("/api/posts/" + bobs + "/vote", alice, new JsonObject().put("value", 1)).status());
    assertEquals(201, api.post("/api/reports", alice, new JsonObject().put("targetType", "comment")
        .put("targetId", bobsComment).put("reason", "other").put("details", "alice thinks " + MARK)).status());
    // What only the moderators' topic keeps, without saying whose words: held content as it arrived, her report as
    // filed, the audit entry of her post hidden (its title).
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    Response held = api.post("/api/posts/" + bobs + "/comments", alice,
        new JsonObject().put("body", "heldword " + MARK));
    assertEquals(true, held.json().getBoolean("pending"), held.toString());
    long hidden = api.createPost(alice, "Hidden " + MARK);
    assertEquals(204, api.post("/api/mod/posts/" + hidden + "/hide", mod, new JsonObject().put("reason", "spam"))
        .status());
    TestParley.notificationsMade();

    long seq = api.get("/api/posts/" + bobs).json().getLong("seq");
    try (LiveClient thread = LiveClient.connect(); LiveClient moderators = LiveClient.connect()) {
      thread.register("parley.post." + bobs, null, seq);
      moderators.register("parley.mod", mod.token(), 0L);
      assertEquals("resync", moderators.nextEvent("parley.mod").getString("type"), "the mod topic is live");

      Response deleted = deleteAccount(alice, PASSWORD);
      assertEquals(204, deleted.status(), deleted.toString());

      // Her comments in bob's thread become tombstones before every reader's eyes.
      List<Long> gone = new java.util.ArrayList<>();
      while (gone.size() < 3) {
        JsonObject event = thread.nextEvent("parley.post." + bobs);
        if ("comment.deleted".equals(event.getString("type"))) gone.add(event.getJsonObject("data").getLong("id"));
      }
      assertEquals(List.of(herComment, herReply, herKeyed), gone);
      // The moderators hear of it: the audit entry, with the name it had, as their log lists it.
      JsonObject entry = null;
      while (entry == null) {
        JsonObject event = moderators.nextEvent("parley.mod");
        if ("user.deleted".equals(event.getString("type"))) entry = event.getJsonObject("data");
      }
      assertEquals(new JsonObject().put("from", "alice").put("self", true), entry.getJsonObject("details"));
      assertNull(entry.getValue("actor"), "her own: the account names no one now");
      assertEquals(alice.id(), entry.getLong("targetId"));
      JsonObject logged = api.get("/api/mod/log?limit=1", mod).json().getJsonArray("items").getJsonObject(0);
      assertEquals(logged, entry, "the same entry as the log lists");
    }

    // No one signs in as her, by any token, name or address; her profile and her thread are gone.
    assertEquals(401, api.get("/api/me", alice).status());
    for (String login : List.of("alice", "alice@example.org")) {
      assertEquals(401, api.post("/api/auth/login", null, new JsonObject().put("login", login)
          .put("password", PASSWORD)).status(), login);
    }
    assertEquals(404, api.get("/api/users/alice").status());
    assertEquals(404, api.get("/api/posts/" + hers).status());
    assertEquals(404, api.page("GET", "/u/alice").status());
    for (long id : List.of(herComment, herReply, herKeyed)) {
      JsonObject tombstone = api.get("/api/comments/" + id).json();
      assertEquals(true, tombstone.getBoolean("deleted"), tombstone.encode());
      assertNull(tombstone.getValue("author"));
      assertNull(tombstone.getValue("body"));
    }
    // What is others' stays: bob's thread and comment, the vote she cast (counted, under no name), her report.
    assertEquals(1, api.get("/api/posts/" + bobs).json().getInteger("upvotes"));
    assertEquals(200, api.get("/api/comments/" + bobsComment).status());
    assertEquals(1, count("SELECT count(*) FROM reports WHERE target_id = " + bobsComment + " AND reason = 'other' "
        + "AND details IS NULL"), "her report stays, without her words");
    // Her name is held for 30 days, as a renamed one is; her address is free again.
    Response again = api.post("/api/auth/register", null, new JsonObject().put("username", "Alice")
        .put("email", "new@example.org").put("password", PASSWORD));
    assertEquals(409, again.status(), again.toString());
    assertEquals(List.of("username"), again.errorFields());
    assertEquals(201, api.post("/api/auth/register", null, new JsonObject().put("username", "alice_again")
        .put("email", "alice@example.org").put("password", PASSWORD)).status());
    // Nobody's lists name her: bob's followers, carol's blocks, the user search.
    assertEquals(0, api.get("/api/me/blocks", carol).json().getJsonArray("items").size());
    JsonArray users = api.get("/api/search?type=users&q=ali").json().getJsonArray("items");
    assertEquals(1, users.size(), users.encode());
    assertEquals("alice_again", users.getJsonObject(0).getString("username"));
    assertEquals(0, api.get("/api/search?type=comments&q=" + MARK).json().getJsonArray("items").size());
    assertEquals(0, api.get("/api/search?type=posts&q=" + MARK).json().getJsonArray("items").size());

    // And nothing of hers is left anywhere in the database: not a row, a version, a copy in the log, an answer.
    assertEquals(1, count("SELECT count(*) FROM users WHERE id = " + alice.id() + " AND username IS NULL "
        + "AND email IS NULL AND email_key IS NULL AND password_hash = '' AND bio IS NULL AND image IS NULL "
        + "AND deleted_at IS NOT NULL AND content_erased_at IS NOT NULL"));
    for (String table : List.of("posts", "comments", "post_revisions", "comment_revisions", "events",
        "idempotency_keys", "notifications")) {
      assertEquals(0, count("SELECT count(*) FROM " + table + " t WHERE t::text ILIKE '%" + MARK + "%'"), table);
    }
    for (String owned : List.of("user_follows WHERE follower_id = %1$d OR followee_id = %1$d",
        "blocks WHERE blocker_id = %1$d OR blocked_id = %1$d", "thread_follows WHERE user_id = %1$d",
        "notifications WHERE user_id = %1$d", "idempotency_keys WHERE user_id = %1$d",
        "thread_commenters WHERE user_id = %1$d")) {
      assertEquals(0, count("SELECT count(*) FROM " + owned.formatted(alice.id())), owned);
    }
    // Her name is in no copy of the log but the deletion's own entry (which holds it for 30 days).
    assertEquals(0, count("SELECT count(*) FROM events WHERE data::text LIKE '%\"alice\"%' AND type <> 'user.deleted'"));
    assertEquals(1, count("SELECT count(*) FROM mod_log WHERE action = 'user.deleted' AND actor_id = " + alice.id()
        + " AND details ->> 'from' = 'alice'"));
    assertEquals(1, count("SELECT count(*) FROM comments WHERE id = " + bobsReplyToHer + " AND author_id = " + bob.id()
        + " AND body = 'bob answers alice' AND deleted_at IS NULL"), "bob's reply in her deleted thread is bob's");
  }

  /**
   * Every refusal leaves the account as it was: no password, a wrong one, a field too many, no token, a banned
   * member, the community's only admin.
   */
  @Test
  void everyRefusalChangesNothing() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Still here");
    for (JsonObject bad : List.of(new JsonObject(), new JsonObject().put("currentPassword", "wrong password"),
        new JsonObject().put("currentPassword", PASSWORD).put("also", 1),
        new JsonObject().put("currentPassword", 7))) {
      Response refused = api.post("/api/me/delete", alice, bad);
      assertEquals(400, refused.status(), bad.encode() + " " + refused);
      assertTrue(refused.contentType().startsWith("application/problem+json"), refused.toString());
    }
    assertEquals(List.of("currentPassword"), deleteAccount(alice, "wrong again").errorFields());
    assertEquals(401, deleteAccount(null, PASSWORD).status());
    assertEquals(401, api.raw("POST", "/api/me/delete", "Bearer not-a-token",
        new JsonObject().put("currentPassword", PASSWORD).encode(), "application/json").status());

    TestParley.sql("UPDATE users SET banned_until = now() + interval '1 day' WHERE id = " + alice.id());
    assertEquals(403, deleteAccount(alice, PASSWORD).status(), "a ban does not go with the account");
    TestParley.sql("UPDATE users SET banned_until = NULL WHERE id = " + alice.id());

    Session boss = api.registerWithRole("boss", "admin");
    Response last = deleteAccount(boss, PASSWORD);
    assertEquals(409, last.status(), last.toString());
    assertTrue(last.json().getString("detail").contains("only admin"), last.toString());
    assertEquals(200, api.get("/api/me", boss).status());

    assertEquals(200, api.get("/api/me", alice).status(), "alice is still signed in");
    assertEquals(200, api.get("/api/posts/" + post).status());
    assertEquals(0, count("SELECT count(*) FROM users WHERE deleted_at IS NOT NULL"));
    assertEquals(0, count("SELECT count(*) FROM mod_log WHERE action = 'user.deleted'"));

    // With a second admin, the first may go; the second is then the last.
    Session deputy = api.registerWithRole("deputy", "admin");
    assertEquals(204, deleteAccount(boss, PASSWORD).status());
    assertEquals(409, deleteAccount(deputy, PASSWORD).status());
    // A deleted account's token deletes nothing again.
    assertEquals(401, deleteAccount(boss, PASSWORD).status());
  }

  /**
   * The open reports on what a deleted account wrote are closed with it: its words are erased and no ban reaches it,
   * so their cards waited in the queue with nothing on them. Closed by Parley (no moderator), with why, told live as
   * a moderator's dismissal is; reports on anyone else's content stay open.
   */
  @Test
  void theOpenReportsOnWhatADeletedAccountWroteAreClosedWithWhy() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session troll = api.register("troll");
    Session bob = api.register("bob");
    long post = api.createPost(troll, "Troll's " + MARK);
    long comment = api.comment(troll, api.createPost(bob, "Bob's thread"), "rude", null);
    long bobs = api.comment(bob, post, "bob's reply", null);
    Session carol = api.register("carol");
    for (Object[] target : new Object[][] {{"post", post}, {"comment", comment}, {"comment", bobs}}) {
      assertEquals(201, api.post("/api/reports", carol, new JsonObject().put("targetType", target[0])
          .put("targetId", target[1]).put("reason", "spam")).status(), "report " + target[0] + " " + target[1]);
    }
    assertEquals(3, api.get("/api/mod/queue", mod).json().getLong("total"));

    assertEquals(204, deleteAccount(troll, PASSWORD).status());
    JsonObject open = api.get("/api/mod/queue", mod).json();
    assertEquals(1, open.getLong("total"), open.encode());
    assertEquals(bobs, open.getJsonArray("items").getJsonObject(0).getLong("targetId"), "bob's reply stays open");
    JsonObject closed = api.get("/api/mod/queue?status=dismissed", mod).json();
    assertEquals(2, closed.getLong("total"), closed.encode());
    JsonObject resolution = closed.getJsonArray("items").getJsonObject(0).getJsonArray("reports").getJsonObject(0)
        .getJsonObject("resolution");
    assertNull(resolution.getValue("by"), resolution.encode());
    assertEquals(true, resolution.getBoolean("automatic"), resolution.encode());
    assertEquals("Its author deleted their account.", resolution.getString("note"));
    assertEquals(2, count("SELECT count(*) FROM events WHERE topic = 'parley.mod' AND type = 'report.resolved' "
        + "AND data::text LIKE '%Its author deleted their account.%'"), "each target's dismissal told live");
    // The reporter is told it was closed and why, not that it was reviewed and nothing was needed.
    TestParley.notificationsMade();
    JsonArray inbox = api.get("/api/me/notifications", carol).json().getJsonArray("items");
    assertEquals(2, inbox.size(), inbox.encode());
    for (Object n : inbox) {
      JsonObject detail = ((JsonObject) n).getJsonObject("detail");
      assertEquals("closed", detail.getString("outcome"), detail.encode());
      assertEquals("Its author deleted their account.", detail.getString("why"), detail.encode());
    }
  }

  /**
   * An admin deletes the account of a member who cannot (a banned one, here), with a reason the audit log keeps;
   * everything else as the member's own deletion. Only admins, never their own account, never a name that is no one.
   */
  @Test
  void anAdminDeletesAMembersAccountWithAReason() throws Exception {
    Session boss = api.registerWithRole("boss", "admin");
    Session mod = api.registerWithRole("mod", "moderator");
    Session troll = api.register("troll");
    long post = api.createPost(troll, "Troll's " + MARK);
    TestParley.sql("UPDATE users SET banned_until = now() + interval '1 day' WHERE id = " + troll.id());
    JsonObject why = new JsonObject().put("reason", "asked by mail to be forgotten");

    assertEquals(403, api.post("/api/admin/users/troll/delete", mod, why).status(), "moderators may not");
    assertEquals(403, api.post("/api/admin/users/troll/delete", troll, why).status());
    assertEquals(401, api.post("/api/admin/users/troll/delete", null, why).status());
    for (JsonObject bad : List.of(new JsonObject(), new JsonObject().put("reason", ""),
        new JsonObject().put("reason", "x".repeat(1001)), why.copy().put("also", 1))) {
      assertEquals(400, api.post("/api/admin/users/troll/delete", boss, bad).status(), bad.encode());
    }
    assertEquals(400, api.post("/api/admin/users/BOSS/delete", boss, why).status(), "one's own takes a password");
    assertEquals(404, api.post("/api/admin/users/nobody/delete", boss, why).status());
    assertEquals(200, api.get("/api/posts/" + post).status(), "every refusal changed nothing");

    assertEquals(204, api.post("/api/admin/users/TROLL/delete", boss, why).status());
    assertEquals(401, api.get("/api/me", troll).status());
    assertEquals(404, api.get("/api/users/troll").status());
    assertEquals(404, api.get("/api/posts/" + post).status());
    assertEquals(0, count("SELECT count(*) FROM posts t WHERE t::text ILIKE '%" + MARK + "%'"));
    JsonObject entry = api.get("/api/mod/log?limit=1", mod).json().getJsonArray("items").getJsonObject(0);
    assertEquals("user.deleted", entry.getString("action"));
    assertEquals("boss", entry.getJsonObject("actor").getString("username"));
    assertEquals("asked by mail to be forgotten", entry.getString("reason"));
    assertEquals(new JsonObject().put("from", "troll").put("self", false), entry.getJsonObject("details"));
    assertEquals(404, api.post("/api/admin/users/troll/delete", boss, why).status(), "the name is no one's now");
  }

  /**
   * An admin's deletion reads the admin's role again under its lock, as every admin action does: one demoted (or
   * deleted by another admin) after the request passed the door deletes no one.
   */
  @Test
  void anAdminNoLongerAnAdminDeletesNoOne() throws Exception {
    api.registerWithRole("root", "admin");
    Session deputy = api.registerWithRole("deputy", "admin");
    api.register("member");
    java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
    try (java.sql.Connection c = TestParley.db().getConnection(); java.sql.Statement s = c.createStatement()) {
      // The deputy's row held, as a demotion in its transaction holds it; the deletion passes the door meanwhile
      // (the deputy is an admin there) and waits for the row under its lock.
      c.setAutoCommit(false);
      s.execute("SELECT id FROM users WHERE id = " + deputy.id() + " FOR UPDATE");
      java.util.concurrent.Future<Response> sent = thread.submit(() -> api.post("/api/admin/users/member/delete",
          deputy, new JsonObject().put("reason", "race")));
      TestParley.awaitUntil(() -> count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
          + "AND query LIKE '%FOR UPDATE%' AND query LIKE '%users%'") == 1, "the deletion waits for the row");
      s.execute("UPDATE users SET role = 'user' WHERE id = " + deputy.id());
      c.commit();
      Response refused = sent.get(30, TimeUnit.SECONDS);
      assertEquals(403, refused.status(), refused.toString());
    } finally {
      thread.shutdownNow();
    }
    assertEquals(0, count("SELECT count(*) FROM users WHERE deleted_at IS NOT NULL"));
    assertEquals(200, api.get("/api/users/member").status());
  }

  /**
   * A change to the account sent just before it was deleted, and written just after, changes nothing: no bio on a
   * row that names no one, no 500 from an address the row may no longer have (a probe: 15 of 20 such races).
   */
  @Test
  void aChangeThatLandsAfterTheDeletionChangesNothing() throws Exception {
    Session alice = api.register("alice");
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
    try (java.sql.Connection c = TestParley.db().getConnection(); java.sql.Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT id FROM users WHERE id = " + alice.id() + " FOR UPDATE");
      java.util.concurrent.Future<Response> bio = threads.submit(() -> api.patch("/api/me", alice,
          new JsonObject().put("bio", "late " + MARK)));
      java.util.concurrent.Future<Response> email = threads.submit(() -> api.patch("/api/me", alice,
          new JsonObject().put("email", "late@example.org").put("currentPassword", PASSWORD)));
      TestParley.awaitUntil(() -> count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
          + "AND query LIKE '%UPDATE users%'") == 2, "both changes wait for the row");
      // The deletion's own statement, committed first.
      s.execute("UPDATE users SET deleted_at = now(), username = NULL, email = NULL, email_key = NULL, "
          + "password_hash = '', token_version = token_version + 1 WHERE id = " + alice.id());
      c.commit();
      for (java.util.concurrent.Future<Response> change : List.of(bio, email)) {
        Response answer = change.get(30, TimeUnit.SECONDS);
        assertEquals(401, answer.status(), answer.toString());
      }
    } finally {
      threads.shutdownNow();
    }
    assertEquals(1, count("SELECT count(*) FROM users WHERE id = " + alice.id() + " AND bio IS NULL AND email IS NULL"));
  }

  /**
   * A deletion cut off after the account went (the node stopped before erasing what it wrote), or a comment the
   * member sent just before it that was written just after: the cluster's job erases it, as the request would have.
   */
  @Test
  void theJobFinishesAnErasureTheRequestDidNotReach() throws Exception {
    Session dave = api.register("dave");
    Session erin = api.register("erin");
    long his = api.createPost(dave, "Dave's " + MARK);
    long erins = api.createPost(erin, "Erin's thread");
    long daves = api.comment(dave, erins, "dave on " + MARK, null);
    // A keyed comment, as a request that passed the door just before the deletion would have written it.
    Response late = api.rawWithKey("/api/posts/" + erins + "/comments", dave,
        new JsonObject().put("body", "late " + MARK).encode(), "late-key");
    assertEquals(201, late.status(), late.toString());
    // The account's own transaction only, as if the node had stopped right after it.
    TestParley.sql("UPDATE users SET deleted_at = now(), username = NULL, email = NULL, email_key = NULL, "
        + "password_hash = '', token_version = token_version + 1 WHERE id = " + dave.id());

    Main.Running server = TestParley.server().running();
    AccountDeletion job = deletionOn(server, server.database().background());
    // Its first seconds are its request's, which claims it a moment after the deletion commits (a job that took it
    // first let the member's answer come before anything was erased: a review).
    assertEquals(0, job.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    TestParley.sql("UPDATE users SET deleted_at = now() - interval '1 minute' WHERE id = " + dave.id());
    int looked = job.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(1, looked);

    assertEquals(404, api.get("/api/posts/" + his).status());
    assertEquals(true, api.get("/api/comments/" + daves).json().getBoolean("deleted"));
    assertEquals(0, api.get("/api/posts/" + erins).json().getInteger("commentCount"), "the count is kept exact");
    for (String table : List.of("posts", "comments", "events", "idempotency_keys")) {
      assertEquals(0, count("SELECT count(*) FROM " + table + " t WHERE t::text ILIKE '%" + MARK + "%'"), table);
    }
    assertEquals(0, count("SELECT count(*) FROM thread_commenters WHERE user_id = " + dave.id()));
    // Looked at again within the hour, an account with nothing left costs nothing and changes nothing.
    assertEquals(1, job.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    TestParley.sql("UPDATE users SET deleted_at = now() - interval '2 hours' WHERE id = " + dave.id());
    assertEquals(0, job.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
  }

  /**
   * From its author's deletion on, before the erasing reaches it, a comment is what the thread shows (a tombstone)
   * everywhere: its reply's notification shows no word of it (a review found the excerpt in the inbox), and it takes
   * no reply and no vote, as a tombstone takes none (a review found both taken).
   */
  @Test
  void aDeletedAccountsReplyIsToldWithoutItsWordsAndTakesNoReplyOrVote() throws Exception {
    Session bob = api.register("bob");
    Session dave = api.register("dave");
    long thread = api.createPost(bob, "Bob's thread");
    long bobs = api.comment(bob, thread, "bob opens", null);
    long daves = api.comment(dave, thread, "dave replies " + MARK, bobs);
    TestParley.notificationsMade();
    Response before = api.get("/api/me/notifications", bob);
    assertTrue(before.body().contains(MARK), "told with its words while its author is a member: " + before.body());

    deletedAfterComments(dave, thread, 0);
    Response after = api.get("/api/me/notifications", bob);
    assertEquals(200, after.status(), after.toString());
    assertFalse(after.body().contains(MARK), after.body());
    assertEquals(before.items().size(), after.items().size(), "still told, without the words: " + after.body());

    Response reply = api.post("/api/posts/" + thread + "/comments", bob,
        new JsonObject().put("body", "too late").put("parentId", daves));
    assertEquals(409, reply.status(), reply.toString());
    Response vote = api.put("/api/comments/" + daves + "/vote", bob, new JsonObject().put("value", 1));
    assertEquals(404, vote.status(), vote.toString());
    assertEquals(0, count("SELECT count(*) FROM comments WHERE body = 'too late'"));
    assertEquals(0, count("SELECT count(*) FROM comment_votes WHERE comment_id = " + daves));
  }

  /**
   * {@code count} comments by {@code author} in {@code thread}, then the author's account deleted by its own
   * transaction only, as the route makes it before it erases (or as a node that stopped right after it leaves it).
   */
  private void deletedAfterComments(Session author, long thread, int count) throws Exception {
    for (int i = 0; i < count; i++) api.comment(author, thread, "comment " + i + " " + MARK, null);
    TestParley.sql("UPDATE users SET deleted_at = now(), username = NULL, email = NULL, email_key = NULL, "
        + "password_hash = '', token_version = token_version + 1 WHERE id = " + author.id());
  }

  /**
   * An account with many comments: its deletion is answered once the erasing has taken {@link
   * AccountDeletion#ANSWER_WITHIN}, and the erasing goes on. Each piece goes as its own delete would, so 20,000
   * comments took minutes, and the request, answered only then, was cut off by the server's idle timeout with no
   * answer: the member was told the deletion had failed (a review). Here with 200 ms and 500 comments. The node's
   * job passes over it meanwhile, where it walked the same pieces beside it each minute (a review).
   */
  @Test
  void aBigAccountsDeletionIsAnsweredWhileItsErasingGoesOn() throws Exception {
    Session dave = api.register("dave");
    long thread = api.createPost(api.register("erin"), "Erin's thread");
    deletedAfterComments(dave, thread, 500);

    Main.Running server = TestParley.server().running();
    AccountDeletion deletion = deletionOn(server, server.database().pool());
    String live = "SELECT count(*) AS n FROM comments WHERE author_id = " + dave.id() + " AND deleted_at IS NULL";
    AccountDeletion job = deletionOn(server, server.database().background());
    java.util.concurrent.CompletableFuture<long[]> atAnswer = new java.util.concurrent.CompletableFuture<>();
    server.vertx().getOrCreateContext().runOnContext(v -> deletion.afterDeletion(dave.id(), Duration.ofMillis(200))
        .compose(done -> server.database().pool().query(live).execute())
        .compose(rows -> job.finishPending().map(looked -> new long[] {rows.iterator().next().getLong("n"), looked}))
        .onSuccess(atAnswer::complete)
        .onFailure(atAnswer::completeExceptionally));
    long[] answered = atAnswer.get(60, TimeUnit.SECONDS);
    assertTrue(answered[0] > 0, "answered before the erasing ended");
    assertEquals(0, answered[1], "the job passed over the account whose erasing was under way");
    // Meanwhile its words are shown nowhere, not under no name until they are erased: its comments are tombstones
    // in the thread, and search finds no word of them.
    // Newest first: the erasing goes oldest first, so these are the ones it has not reached yet.
    Response page = api.get("/api/posts/" + thread + "/comments?sort=new");
    assertEquals(200, page.status(), page.toString());
    JsonArray shown = page.items();
    assertFalse(shown.isEmpty(), page.toString());
    for (Object each : shown) {
      JsonObject comment = (JsonObject) each;
      assertTrue(comment.getBoolean("deleted") && comment.getValue("body") == null
          && comment.getValue("bodyHtml") == null && comment.getValue("author") == null, comment.encode());
    }
    Response found = api.get("/api/search?type=comments&q=" + MARK);
    assertEquals(200, found.status(), found.toString());
    assertFalse(found.body().toLowerCase(java.util.Locale.ROOT).contains(MARK), found.toString());
    // Nothing more is asked of it: the erasing goes on by itself.
    TestParley.awaitUntil(() -> count(live) == 0, "every comment erased after the answer");
    TestParley.awaitUntil(() -> job.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
        == 1, "once its erasing has ended, the job looks at it again within the hour");
    assertEquals(0, count("SELECT count(*) FROM comments WHERE body ILIKE '%" + MARK + "%'"));
    assertEquals(0, api.get("/api/posts/" + thread).json().getInteger("commentCount"), "the count is kept exact");
  }

  /**
   * Whoever erases a deleted account claims it in the database and moves the claim on while it works, so the job
   * passes over it on any node: a node's own set of its erasings left another node's job walking the same pieces
   * beside it, each minute (a review). A holder that stops lets its claim run out, and the job takes the account up
   * then. Here with claims of 900 ms, moved on every 300 ms, against an erasing of 500 comments (seconds).
   */
  @Test
  void anErasingIsClaimedForTheClusterMovedOnWhileItWorksAndTakenUpOnceAStoppedHoldersClaimRunsOut()
      throws Exception {
    Session dave = api.register("dave");
    long thread = api.createPost(api.register("erin"), "Erin's thread");
    deletedAfterComments(dave, thread, 500);

    Main.Running server = TestParley.server().running();
    // The server's own job would take the account up too, when a claim runs out below.
    Runnable resume = TestParley.pauseJobs(server);
    try {
      claimedForTheCluster(server, dave, thread);
    } finally {
      resume.run();
    }
  }

  private void claimedForTheCluster(Main.Running server, Session dave, long thread) throws Exception {
    Duration lease = Duration.ofMillis(900);
    AccountDeletion here = deletionOn(server, server.database().pool(), lease);
    AccountDeletion elsewhere = deletionOn(server, server.database().background(), lease);
    String live = "SELECT count(*) FROM comments WHERE author_id = " + dave.id() + " AND deleted_at IS NULL";
    java.util.concurrent.CompletableFuture<Boolean> erased = new java.util.concurrent.CompletableFuture<>();
    server.vertx().getOrCreateContext().runOnContext(v -> here.erase(dave.id())
        .onSuccess(erased::complete).onFailure(erased::completeExceptionally));
    TestParley.awaitUntil(() -> count("SELECT count(*) FROM users WHERE id = " + dave.id()
        + " AND erasing_until IS NOT NULL") == 1 || erased.isDone(), "claimed");
    // The first claim's time, in microseconds.
    long first = count("SELECT COALESCE((extract(epoch FROM erasing_until) * 1000000)::bigint, 0) FROM users "
        + "WHERE id = " + dave.id());
    assertTrue(first > 0 && count(live) > 0, "claimed, and working");
    // A move whose answer never came back (the pool's deadline passed) but which the database carried out: the time
    // moved without the holder knowing. Keyed by that time, every later move and the end matched nothing (a review).
    TestParley.sql("UPDATE users SET erasing_until = erasing_until + interval '1 millisecond' WHERE id = " + dave.id());
    // While it works: the other node's job passes over it, and the claim holds throughout (or the erasing has
    // ended: its end comes after the last piece is marked erased) and outlives its first lease. Sampled every 20 ms.
    int looked = elsewhere.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (!erased.isDone()) {
      assertEquals(0, looked, "the job passed over an account being erased, " + count(live) + " comments left");
    }
    boolean outlived = false;
    int samples = 0;
    long since = System.nanoTime();
    while (!erased.isDone()) {
      assertEquals(1, count("SELECT count(*) FROM users WHERE id = " + dave.id() + " AND (erasing_until > now() "
          + "OR content_erased_at IS NOT NULL)"), "the claim held while the erasing went on (" + count(live)
          + " comments left)");
      outlived |= count("SELECT count(*) FROM users WHERE id = " + dave.id() + " AND now() > to_timestamp(" + first
          + " / 1000000.0) AND erasing_until > now()") == 1;
      samples++;
      Thread.sleep(20);
    }
    assertTrue(erased.get(), "the erasing ran under its claim");
    // Here the erasing takes seconds; on a machine where it ended within two leases there is nothing to outlive.
    if (System.nanoTime() - since > 2 * lease.toNanos()) {
      assertTrue(outlived, "the claim was moved on past its first lease (" + samples + " samples)");
    }
    assertEquals(0, count(live));
    assertEquals(1, count("SELECT count(*) FROM users WHERE id = " + dave.id() + " AND erasing_until IS NULL"),
        "the claim ended with the erasing");
    assertEquals(1, elsewhere.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS),
        "once the erasing has ended, the job looks at it again within the hour");

    // A holder that stopped (its node gone) with its claim still running: passed over until the claim runs out.
    TestParley.sql("UPDATE users SET erasing_until = now() + interval '1 hour' WHERE id = " + dave.id());
    assertEquals(0, elsewhere.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    TestParley.sql("UPDATE users SET erasing_until = now() - interval '1 second' WHERE id = " + dave.id());
    assertEquals(1, elsewhere.finishPending().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertEquals(1, count("SELECT count(*) FROM users WHERE id = " + dave.id() + " AND erasing_until IS NULL"));
    assertEquals(0, count("SELECT count(*) FROM comments WHERE body ILIKE '%" + MARK + "%'"));
    assertEquals(0, api.get("/api/posts/" + thread).json().getInteger("commentCount"), "the count is kept exact");
  }

  /**
   * A piece that cannot be deleted ends the erasing, which the job takes up again, and the deletion's answer still
   * comes at once: a chain of thousands of deletes built up front overflowed the stack on such a failure and never
   * completed, so the answer waited out its bound and the look again never came (a review). Here the thread's count
   * was never raised for the rows inserted around it, so the first delete breaks its check.
   */
  @Test
  void aPieceThatCannotBeDeletedEndsTheErasingAndTheAnswerStillComesAtOnce() throws Exception {
    Session dave = api.register("dave");
    Session erin = api.register("erin");
    long thread = api.createPost(erin, "Erin's thread");
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + thread + ", " + dave.id()
        + ", 'raw " + MARK + "', '<p>raw</p>' FROM generate_series(1, 3000)");
    TestParley.sql("UPDATE users SET deleted_at = now(), username = NULL, email = NULL, email_key = NULL, "
        + "password_hash = '', token_version = token_version + 1 WHERE id = " + dave.id());

    Main.Running server = TestParley.server().running();
    AccountDeletion deletion = deletionOn(server, server.database().pool());
    java.util.concurrent.CompletableFuture<Void> answered = new java.util.concurrent.CompletableFuture<>();
    server.vertx().getOrCreateContext().runOnContext(v -> deletion.afterDeletion(dave.id(), Duration.ofSeconds(60))
        .onComplete(done -> answered.complete(null)));
    answered.get(30, TimeUnit.SECONDS);
    assertEquals(3000, count("SELECT count(*) FROM comments WHERE author_id = " + dave.id()
        + " AND deleted_at IS NULL"), "nothing erased past the piece that failed");
    assertTrue(count("SELECT count(*) FROM users WHERE id = " + dave.id() + " AND content_erased_at IS NULL") == 1,
        "left to the job");
  }

  /**
   * A comment sent just before its author deleted the account, and written just after the erasure, stayed in its
   * thread without its author's name until the job's next look (a members' review: up to two minutes). The deletion
   * looks again once every request that passed the door before it has ended (the pool's deadline and a second).
   * The comment is held at the database by a lock on its post's row while the account is deleted; the server's jobs
   * are paused, so only that second look can erase it.
   */
  @Test
  void aCommentWrittenJustAfterItsAuthorsDeletionIsErasedWithinTheDeadline() throws Exception {
    Main.Running server = TestParley.startServer(java.util.Map.of(parley.config.AppConfig.DATABASE_TIMEOUT, "2s",
        parley.config.AppConfig.DATABASE_DEADLINE, "4s"));
    Runnable resume = TestParley.pauseJobs(server);
    try {
      Api own = new Api("http://localhost:" + server.port());
      Session dave = own.register("dave");
      Session erin = own.register("erin");
      long thread = own.createPost(erin, "Erin's thread");
      java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
      java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>> late;
      try (java.sql.Connection c = TestParley.db().getConnection()) {
        c.setAutoCommit(false);
        long holder;
        try (java.sql.Statement st = c.createStatement()) {
          st.executeQuery("SELECT id FROM posts WHERE id = " + thread + " FOR UPDATE").close();
          try (java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            holder = rs.getLong(1);
          }
        }
        late = http.sendAsync(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://localhost:" + server.port() + "/api/posts/" + thread + "/comments"))
            .header("Authorization", "Bearer " + dave.token()).header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                new JsonObject().put("body", "sent just before " + MARK).encode())).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (count("SELECT count(*) FROM pg_stat_activity WHERE " + holder + " = ANY(pg_blocking_pids(pid))") == 0) {
          assertTrue(System.nanoTime() < deadline, "the comment never waited for its post's row");
          Thread.sleep(5);
        }
        Response gone = own.post("/api/me/delete", dave, new JsonObject().put("currentPassword", "correct horse"));
        assertEquals(204, gone.status(), gone.toString());
        c.commit();
      }
      java.net.http.HttpResponse<String> written = late.get(30, TimeUnit.SECONDS);
      assertEquals(201, written.statusCode(), "written after the erasure: " + written.body());
      long id = new JsonObject(written.body()).getLong("id");
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (count("SELECT count(*) FROM comments WHERE id = " + id + " AND deleted_at IS NULL") > 0) {
        assertTrue(System.nanoTime() < until, "the late comment was never erased");
        Thread.sleep(5);
      }
      assertEquals(0, count("SELECT count(*) FROM comments WHERE id = " + id + " AND body <> ''"), "its words too");
      assertEquals(0, own.get("/api/posts/" + thread).json().getInteger("commentCount"));
    } finally {
      resume.run();
      server.stop();
    }
  }
}
