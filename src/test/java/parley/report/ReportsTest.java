package parley.report;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api.Response;
import parley.Api.Session;
import parley.ModerationCast;
import parley.TestParley;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reports end to end, over real HTTP against the real database: reporting a post or comment, a reporter's own list
 * of reports, the moderators' queue that groups them by target, and resolving a report by dismissing it or hiding
 * what it names.
 */
@ExtendWith(TestParley.class)
class ReportsTest extends ModerationCast {

  /** Every test here starts with the same four accounts (the tables were emptied just before). */
  @BeforeEach
  void meetTheCast() throws Exception {
    cast();
  }

  private JsonArray queue(String query) {
    Response r = api.get("/api/mod/queue" + query, mod);
    assertEquals(200, r.status(), r.toString());
    return r.items();
  }

  /** The queue's items as "targetType:targetId", in the queue's order. */
  private static List<String> targets(JsonArray queueItems) {
    List<String> targets = new ArrayList<>();
    for (int i = 0; i < queueItems.size(); i++) {
      JsonObject item = queueItems.getJsonObject(i);
      targets.add(item.getString("targetType") + ":" + item.getLong("targetId"));
    }
    return targets;
  }

  // ==== 1. reports ====

  @Test
  void reportingAPostAnswers201WithTheOpenReport() throws Exception {
    long post = api.createPost(alice, "Topic");
    Response r = api.post("/api/reports", bob, report("post", post, "spam").put("details", "buy my stuff"));
    assertEquals(201, r.status(), r.toString());
    JsonObject json = r.json();
    assertNotNull(json.getLong("id"));
    assertEquals("post", json.getString("targetType"));
    assertEquals(post, json.getLong("targetId"));
    assertEquals("spam", json.getString("reason"));
    assertEquals("buy my stuff", json.getString("details"));
    assertEquals("open", json.getString("status"));
    assertTrue(json.getString("createdAt").endsWith("Z"), json.getString("createdAt"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM reports WHERE id = " + json.getLong("id")
        + " AND reporter_id = " + bob.id() + " AND target_type = 'post' AND target_id = " + post
        + " AND reason = 'spam' AND status = 'open'"));
  }

  @Test
  void reportingACommentWorksAndDetailsAreOptional() throws Exception {
    long post = api.createPost(alice, "Topic");
    long comment = api.comment(alice, post, "mean words", null);
    Response r = api.post("/api/reports", bob, report("comment", comment, "harassment"));
    assertEquals(201, r.status(), r.toString());
    assertEquals("comment", r.json().getString("targetType"));
    assertNull(r.json().getValue("details"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM reports WHERE target_type = 'comment' AND target_id = "
        + comment));
  }

  /**
   * A report and a hide of its comment at once (a probe: reports filed while a moderator hid the comment stayed open
   * on hidden content, though a hide closes its reports). Made certain here: the hide is made as Moderation makes it
   * (the post row locked, the comment hidden, its open reports closed) and held uncommitted while the report
   * arrives. The report waits for it, and then finds nothing its reporter may see.
   */
  @Test
  void aReportThatWaitedForAHideOfItsCommentIs404AndLeavesNothingOpen() throws Exception {
    long post = api.createPost(alice, "Thread");
    long comment = api.comment(alice, post, "rude words", null);
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newSingleThreadExecutor();
    try (java.sql.Connection c = TestParley.db().getConnection(); java.sql.Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT id FROM posts WHERE id = " + post + " FOR NO KEY UPDATE");
      s.execute("UPDATE comments SET hidden_at = now(), hidden_reason = 'rude' WHERE id = " + comment);
      s.execute("UPDATE reports SET status = 'actioned', resolved_at = now() WHERE target_type = 'comment' "
          + "AND target_id = " + comment + " AND status = 'open'");
      java.util.concurrent.Future<Response> report = threads.submit(() -> api.post("/api/reports", bob,
          report("comment", comment, "harassment")));
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      while (!report.isDone() && TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
          + "'Lock' AND query LIKE '%FROM comments c JOIN p %'") == 0) {
        if (System.nanoTime() > deadline) throw new AssertionError("the report neither ended nor waited");
        Thread.sleep(5);
      }
      c.commit();
      assertProblem(report.get(30, java.util.concurrent.TimeUnit.SECONDS), 404, "a report on a comment hidden first");
    } finally {
      threads.shutdownNow();
    }
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports WHERE status = 'open' AND target_id = " + comment));
  }

  @Test
  void reportingAnonymouslyIs401() throws Exception {
    long post = api.createPost(alice, "Topic");
    assertProblem(api.post("/api/reports", null, report("post", post, "spam")), 401, "anonymous report");
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports"));
  }

  @Test
  void reportingYourOwnContentIs400() throws Exception {
    long post = api.createPost(alice, "Topic");
    long comment = api.comment(alice, post, "mine", null);
    assertProblem(api.post("/api/reports", alice, report("post", post, "spam")), 400, "own post");
    assertProblem(api.post("/api/reports", alice, report("comment", comment, "spam")), 400, "own comment");
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports"));
  }

  @Test
  void secondOpenReportOnTheSameTargetIs409AndStoresOneRow() throws Exception {
    long post = api.createPost(alice, "Topic");
    reportId(bob, "post", post, "spam");
    assertProblem(api.post("/api/reports", bob, report("post", post, "hate")), 409, "duplicate report");
    assertEquals(1, TestParley.count("SELECT count(*) FROM reports WHERE reporter_id = " + bob.id()));
    // Someone else may still report the same target.
    Session carol = api.register("carol");
    reportId(carol, "post", post, "spam");
    assertEquals(2, TestParley.count("SELECT count(*) FROM reports"));
  }

  @Test
  void afterResolutionTheSameUserMayReportTheTargetAgain() throws Exception {
    long post = api.createPost(alice, "Topic");
    long first = reportId(bob, "post", post, "spam");
    ok(api.post("/api/mod/reports/" + first + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");
    long second = reportId(bob, "post", post, "spam");
    assertTrue(second != first);
    assertEquals("dismissed", text("SELECT status FROM reports WHERE id = " + first));
    assertEquals("open", text("SELECT status FROM reports WHERE id = " + second));
  }

  @Test
  void invalidReportFieldsAre400() throws Exception {
    long post = api.createPost(alice, "Topic");
    Response badReason = api.post("/api/reports", bob, report("post", post, "boring"));
    assertProblem(badReason, 400, "invalid reason");
    assertEquals(List.of("reason"), badReason.errorFields());
    Response badType = api.post("/api/reports", bob, report("user", post, "spam"));
    assertProblem(badType, 400, "invalid targetType");
    assertEquals(List.of("targetType"), badType.errorFields());
    Response noTarget = api.post("/api/reports", bob, new JsonObject().put("targetType", "post").put("reason", "spam"));
    assertProblem(noTarget, 400, "missing targetId");
    assertEquals(List.of("targetId"), noTarget.errorFields());
    Response noReason = api.post("/api/reports", bob, new JsonObject().put("targetType", "post").put("targetId", post));
    assertProblem(noReason, 400, "missing reason");
    assertEquals(List.of("reason"), noReason.errorFields());
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports"));
  }

  @Test
  void reportDetailsOver1000CharactersAre400() throws Exception {
    long post = api.createPost(alice, "Topic");
    Response tooLong = api.post("/api/reports", bob, report("post", post, "other").put("details", "d".repeat(1001)));
    assertProblem(tooLong, 400, "1001 characters of details");
    assertEquals(List.of("details"), tooLong.errorFields());
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports"));
    Response max = api.post("/api/reports", bob, report("post", post, "other").put("details", "d".repeat(1000)));
    assertEquals(201, max.status(), max.toString());
  }

  @Test
  void reportingAnUnknownOrDeletedTargetIs404() throws Exception {
    long post = api.createPost(alice, "Topic");
    long comment = api.comment(alice, post, "soon gone", null);
    long gone = api.createPost(alice, "Gone");
    ok(api.delete("/api/comments/" + comment, alice), "delete comment");
    ok(api.delete("/api/posts/" + gone, alice), "delete post");
    assertProblem(api.post("/api/reports", bob, report("post", 424242, "spam")), 404, "unknown post");
    assertProblem(api.post("/api/reports", bob, report("comment", 424242, "spam")), 404, "unknown comment");
    assertProblem(api.post("/api/reports", bob, report("post", gone, "spam")), 404, "deleted post");
    assertProblem(api.post("/api/reports", bob, report("comment", comment, "spam")), 404, "deleted comment");
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports"));
  }

  @Test
  void bannedUserCannotReport() throws Exception {
    long post = api.createPost(alice, "Topic");
    ban(mod, "bob", reason("report spam"));
    Response r = api.post("/api/reports", bob, report("post", post, "spam"));
    assertProblem(r, 403, "banned reporter");
    assertEquals("report spam", r.json().getString("reason"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM reports"));
  }

  @Test
  void myReportsShowTheirStatusAsModeratorsResolveThem() throws Exception {
    long dismissedPost = api.createPost(alice, "Fine actually");
    long hiddenPost = api.createPost(alice, "Really spam");
    long openPost = api.createPost(alice, "Undecided");
    long r1 = reportId(bob, "post", dismissedPost, "spam");
    long r2 = reportId(bob, "post", hiddenPost, "spam");
    long r3 = reportId(bob, "post", openPost, "other");
    Session carol = api.register("carol");
    reportId(carol, "post", openPost, "spam");

    Response before = api.get("/api/me/reports", bob);
    assertEquals(200, before.status(), before.toString());
    assertEquals(List.of(r3, r2, r1), before.ids(), "bob's reports only, newest first");
    for (Object item : before.items()) assertEquals("open", ((JsonObject) item).getString("status"));
    assertEquals("Really spam", before.item(r2).getString("postTitle"), "which report is which");

    ok(api.post("/api/mod/reports/" + r1 + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");
    ok(api.post("/api/mod/reports/" + r2 + "/resolve", mod, new JsonObject().put("action", "hide")), "hide");

    Response after = api.get("/api/me/reports", bob);
    assertEquals("dismissed", after.item(r1).getString("status"));
    assertEquals("actioned", after.item(r2).getString("status"));
    assertEquals("open", after.item(r3).getString("status"));
    assertNotNull(after.item(r1).getString("resolvedAt"));
    assertNull(after.item(r3).getValue("resolvedAt"));
    // The title only while bob may read the post: not once it is hidden, nor after he blocked its author.
    assertNull(after.item(r2).getValue("postTitle"), "hidden since: " + after.item(r2));
    assertEquals("Undecided", after.item(r3).getString("postTitle"));
    long comment = api.comment(carol, openPost, "A **comment** to report", null);
    long r4 = reportId(bob, "comment", comment, "spam");
    // Two comments on one post told apart: by their author and first words (as prose), while bob may read them.
    long other = api.comment(alice, openPost, "Another one, " + "rather long ".repeat(10), null);
    long r5 = reportId(bob, "comment", other, "harassment");
    Response withComments = api.get("/api/me/reports", bob);
    assertEquals("Undecided", withComments.item(r4).getString("postTitle"), "a comment's post");
    assertEquals("carol", withComments.item(r4).getString("commentAuthor"));
    assertEquals("A comment to report", withComments.item(r4).getString("commentExcerpt"));
    assertEquals("alice", withComments.item(r5).getString("commentAuthor"));
    assertTrue(withComments.item(r5).getString("commentExcerpt").endsWith("rather…"),
        withComments.item(r5).getString("commentExcerpt"));
    assertTrue(withComments.item(r3).containsKey("commentAuthor") && withComments.item(r3).getValue("commentAuthor") == null);
    ok(api.post("/api/mod/comments/" + other + "/hide", mod, new JsonObject().put("reason", "rude")), "hide");
    Response hidden = api.get("/api/me/reports", bob);
    assertNull(hidden.item(r5).getValue("commentAuthor"), "hidden since: " + hidden.item(r5));
    assertNull(hidden.item(r5).getValue("commentExcerpt"), "hidden since: " + hidden.item(r5));
    assertEquals("carol", hidden.item(r4).getString("commentAuthor"));
    assertEquals(204, api.put("/api/me/blocks/carol", bob, null).status());
    assertNull(api.get("/api/me/reports", bob).item(r4).getValue("commentExcerpt"), "its author blocked");
    assertEquals(204, api.delete("/api/me/blocks/carol", bob).status());
    assertEquals(204, api.put("/api/me/blocks/alice", bob, null).status());
    Response blocked = api.get("/api/me/reports", bob);
    assertNull(blocked.item(r3).getValue("postTitle"), "its author blocked: " + blocked.item(r3));
    assertNull(blocked.item(r4).getValue("postTitle"), "on a post by someone blocked");
    assertNull(blocked.item(r4).getValue("commentExcerpt"), "on a post by someone blocked");
    assertEquals(401, api.get("/api/me/reports").status());
  }

  // ==== 2. the queue ====

  @Test
  void queueGroupsReportsOnOneTargetIntoOneItemWithCountAndDistinctReasons() throws Exception {
    long post = api.createPost(alice, "Spammy");
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    long first = reportId(bob, "post", post, "spam");
    reportId(carol, "post", post, "spam");
    reportId(dave, "post", post, "harassment");

    Response r = api.get("/api/mod/queue", mod);
    assertEquals(200, r.status(), r.toString());
    JsonArray items = r.items();
    assertEquals(1, items.size(), items.encode());
    JsonObject item = items.getJsonObject(0);
    assertEquals("post", item.getString("targetType"));
    assertEquals(post, item.getLong("targetId"));
    assertEquals(first, item.getLong("firstReportId"));
    assertEquals(3, item.getLong("reportCount"));
    assertEquals(Set.of("spam", "harassment"), new HashSet<>(item.getJsonArray("reasons").getList()));
    assertEquals(2, item.getJsonArray("reasons").size(), "reasons are distinct");
    assertEquals("alice", item.getJsonObject("author").getString("username"));
    JsonObject content = item.getJsonObject("content");
    assertEquals(post, content.getLong("id"));
    assertEquals(post, content.getLong("postId"));
    assertEquals("Spammy", content.getString("postTitle"));
    assertEquals("Body of Spammy", content.getString("body"));
    assertNotNull(content.getString("bodyHtml"));
    assertNotNull(content.getString("createdAt"));
    assertEquals(false, content.getBoolean("hidden"));
    assertEquals(false, content.getBoolean("deleted"));
    assertEquals(false, content.getBoolean("locked"));
    assertNotNull(item.getString("firstReportedAt"));
    assertNotNull(item.getString("lastReportedAt"));
    assertTrue(item.getString("firstReportedAt").compareTo(item.getString("lastReportedAt")) <= 0);
    assertNull(r.json().getValue("nextCursor"));
  }

  @Test
  void queueItemForACommentNamesItsPostAndParent() throws Exception {
    long post = api.createPost(bob, "Thread");
    long parent = api.comment(bob, post, "parent", null);
    long reply = api.comment(alice, post, "nasty reply", parent);
    reportId(bob, "comment", reply, "harassment");
    JsonObject item = queue("").getJsonObject(0);
    assertEquals("comment", item.getString("targetType"));
    assertEquals(reply, item.getLong("targetId"));
    assertEquals("alice", item.getJsonObject("author").getString("username"));
    JsonObject content = item.getJsonObject("content");
    assertEquals(reply, content.getLong("id"));
    assertEquals(post, content.getLong("postId"));
    assertEquals(parent, content.getLong("parentId"));
    assertEquals("Thread", content.getString("postTitle"));
    assertEquals("nasty reply", content.getString("body"));
  }

  @Test
  void queueListsTargetsOldestFirstAndPagesWithACursor() throws Exception {
    Session carol = api.register("carol");
    long p1 = api.createPost(alice, "One");
    long p2 = api.createPost(alice, "Two");
    long p3 = api.createPost(alice, "Three");
    long c1 = api.comment(alice, p1, "comment", null);
    // Reported in the order p2, c1, p3, p1; later reports on p2 do not move it.
    reportId(bob, "post", p2, "spam");
    reportId(bob, "comment", c1, "spam");
    reportId(bob, "post", p3, "spam");
    reportId(bob, "post", p1, "spam");
    reportId(carol, "post", p2, "hate");

    assertEquals(List.of("post:" + p2, "comment:" + c1, "post:" + p3, "post:" + p1), targets(queue("")));

    Response page1 = api.get("/api/mod/queue?limit=3", mod);
    assertEquals(200, page1.status(), page1.toString());
    assertEquals(List.of("post:" + p2, "comment:" + c1, "post:" + p3), targets(page1.items()));
    String cursor = page1.json().getString("nextCursor");
    assertNotNull(cursor, "a next page");
    Response page2 = api.get("/api/mod/queue?limit=3&cursor=" + cursor, mod);
    assertEquals(200, page2.status(), page2.toString());
    assertEquals(List.of("post:" + p1), targets(page2.items()));
    assertNull(page2.json().getValue("nextCursor"));
    // Every page says how many targets the queue holds in all (not reports: p2 has two), and so does a reason's.
    assertEquals(4, page1.json().getLong("total"), page1.toString());
    assertEquals(4, page2.json().getLong("total"), page2.toString());
    assertEquals(1, api.get("/api/mod/queue?reason=hate&limit=1", mod).json().getLong("total"));
    assertEquals(0, api.get("/api/mod/queue?status=dismissed", mod).json().getLong("total"));
  }

  /**
   * Each status's item is placed by the target's earliest report in that status, whatever the reason filter keeps,
   * and counts only that status's reports: the page walks the status's reports oldest first and keeps each target's
   * first, or for a reason starts from that reason's reports and places each target by its first (Reports.queue), so
   * a later report, a report for another reason or one in another status must neither add an item nor move one.
   */
  @Test
  void queueItemsStartAtTheTargetsEarliestReportInThatStatusWhateverTheReason() throws Exception {
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    long again = api.createPost(alice, "Reported again");
    long p1 = api.createPost(alice, "Spam then hate");
    long p2 = api.createPost(alice, "Hate");
    long p3 = api.createPost(alice, "Spam");
    long dismissed = reportId(bob, "post", again, "spam");
    ok(api.post("/api/mod/reports/" + dismissed + "/resolve", mod, new JsonObject().put("action", "dismiss")),
        "dismiss");
    long p1First = reportId(bob, "post", p1, "spam");
    long p2First = reportId(bob, "post", p2, "hate");
    long againOpen = reportId(carol, "post", again, "spam");
    reportId(carol, "post", p1, "hate");
    reportId(bob, "post", p3, "spam");
    reportId(dave, "post", p1, "spam");

    JsonArray open = queue("");
    assertEquals(List.of("post:" + p1, "post:" + p2, "post:" + again, "post:" + p3), targets(open));
    assertEquals(p1First, open.getJsonObject(0).getLong("firstReportId"));
    assertEquals(3, open.getJsonObject(0).getLong("reportCount"));
    assertEquals(List.of("hate", "spam"), open.getJsonObject(0).getJsonArray("reasons").getList());
    assertEquals(againOpen, open.getJsonObject(2).getLong("firstReportId"), "its dismissed report is not this tab's");
    assertEquals(1, open.getJsonObject(2).getLong("reportCount"));

    // For hate: p1 (its first report, a spam one, still places it and all three are listed) and p2.
    Response hate = api.get("/api/mod/queue?reason=hate&limit=1", mod);
    assertEquals(List.of("post:" + p1), targets(hate.items()));
    assertEquals(p1First, hate.items().getJsonObject(0).getLong("firstReportId"));
    assertEquals(3, hate.items().getJsonObject(0).getJsonArray("reports").size());
    assertEquals(2, hate.json().getLong("total"));
    Response hate2 = api.get("/api/mod/queue?reason=hate&limit=1&cursor=" + hate.json().getString("nextCursor"), mod);
    assertEquals(List.of("post:" + p2), targets(hate2.items()));
    assertEquals(p2First, hate2.items().getJsonObject(0).getLong("firstReportId"));
    assertNull(hate2.json().getValue("nextCursor"));

    // Pages of one: a target reported again after the cursor passed it is not listed a second time.
    List<String> paged = new ArrayList<>();
    String cursor = null;
    do {
      Response page = api.get("/api/mod/queue?limit=1" + (cursor == null ? "" : "&cursor=" + cursor), mod);
      assertEquals(200, page.status(), page.toString());
      paged.addAll(targets(page.items()));
      assertEquals(4, page.json().getLong("total"));
      cursor = page.json().getString("nextCursor");
    } while (cursor != null);
    assertEquals(targets(open), paged);

    JsonArray closed = queue("?status=dismissed");
    assertEquals(List.of("post:" + again), targets(closed));
    assertEquals(dismissed, closed.getJsonObject(0).getLong("firstReportId"));
    assertEquals(1, closed.getJsonObject(0).getLong("reportCount"));
    assertEquals(0, api.get("/api/mod/queue?status=dismissed&reason=hate", mod).json().getLong("total"));
  }

  @Test
  void queueWithAnInvalidStatusIs400() throws Exception {
    assertProblem(api.get("/api/mod/queue?status=closed", mod), 400, "bad status");
  }

  @Test
  void resolvedTargetsLeaveTheOpenQueueAndAppearUnderTheirStatus() throws Exception {
    long dismissed = api.createPost(alice, "Dismissed");
    long actioned = api.createPost(alice, "Actioned");
    long open = api.createPost(alice, "Open");
    long r1 = reportId(bob, "post", dismissed, "spam");
    long r2 = reportId(bob, "post", actioned, "spam");
    reportId(bob, "post", open, "spam");
    ok(api.post("/api/mod/reports/" + r1 + "/resolve", mod, new JsonObject().put("action", "dismiss")), "dismiss");
    ok(api.post("/api/mod/reports/" + r2 + "/resolve", mod, new JsonObject().put("action", "hide")), "hide");

    assertEquals(List.of("post:" + open), targets(queue("?status=open")));
    assertEquals(List.of("post:" + open), targets(queue("")), "open is the default");
    assertEquals(List.of("post:" + dismissed), targets(queue("?status=dismissed")));
    JsonArray actionedItems = queue("?status=actioned");
    assertEquals(List.of("post:" + actioned), targets(actionedItems));
    JsonObject content = actionedItems.getJsonObject(0).getJsonObject("content");
    assertEquals(true, content.getBoolean("hidden"), "hidden content is still shown to moderators");
    assertEquals("Body of Actioned", content.getString("body"));
  }

  // ==== 3. resolving ====

  @Test
  void resolveWithHideHidesThePostAndActionsEveryReportOnIt() throws Exception {
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Spam");
    long r1 = reportId(bob, "post", post, "spam");
    long r2 = reportId(carol, "post", post, "misinformation");

    ok(api.post("/api/mod/reports/" + r2 + "/resolve", mod,
        new JsonObject().put("action", "hide").put("note", "clear spam")), "resolve with hide");

    assertEquals(2, TestParley.count("SELECT count(*) FROM reports WHERE status = 'actioned' AND resolved_by = "
        + mod.id() + " AND id IN (" + r1 + "," + r2 + ")"));
    assertEquals(1, TestParley.count("SELECT count(*) FROM posts WHERE hidden_at IS NOT NULL AND id = " + post));
    assertProblem(api.get("/api/posts/" + post), 404, "anonymous reader");
    assertProblem(api.get("/api/posts/" + post, bob), 404, "reporter");
    Response author = api.get("/api/posts/" + post, alice);
    assertEquals(200, author.status(), author.toString());
    assertEquals(true, author.json().getBoolean("hidden"));
    Response moderator = api.get("/api/posts/" + post, mod);
    assertEquals(200, moderator.status(), moderator.toString());
    assertEquals(true, moderator.json().getBoolean("hidden"));
    assertFalse(api.get("/api/posts").ids().contains(post), "hidden post leaves the feed");
    assertEquals("actioned", api.get("/api/me/reports", carol).item(r2).getString("status"));

    assertProblem(api.post("/api/mod/reports/" + r1 + "/resolve", mod, new JsonObject().put("action", "hide")),
        409, "resolving again");
  }

  @Test
  void resolveWithHideOnACommentLeavesATombstoneForReaders() throws Exception {
    long post = api.createPost(bob, "Thread");
    long comment = api.comment(alice, post, "insult", null);
    long report = reportId(bob, "comment", comment, "harassment");
    ok(api.post("/api/mod/reports/" + report + "/resolve", mod, new JsonObject().put("action", "hide")), "resolve");

    JsonObject seen = commentAsSeenBy(bob, post, comment);
    assertEquals(true, seen.getBoolean("hidden"));
    assertNull(seen.getValue("body"));
    assertNull(seen.getValue("bodyHtml"));
    assertNull(seen.getValue("author"));
    assertEquals("actioned", text("SELECT status FROM reports WHERE id = " + report));
    assertEquals(0, api.get("/api/posts/" + post).json().getInteger("commentCount"));
  }

  @Test
  void resolveWithDismissLeavesTheContentVisible() throws Exception {
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Fine");
    long r1 = reportId(bob, "post", post, "spam");
    long r2 = reportId(carol, "post", post, "other");

    ok(api.post("/api/mod/reports/" + r1 + "/resolve", mod,
        new JsonObject().put("action", "dismiss").put("note", "not spam")), "dismiss");

    assertEquals(2, TestParley.count("SELECT count(*) FROM reports WHERE status = 'dismissed' AND id IN ("
        + r1 + "," + r2 + ")"));
    Response r = api.get("/api/posts/" + post);
    assertEquals(200, r.status(), r.toString());
    assertEquals(false, r.json().getBoolean("hidden"));
    assertTrue(api.get("/api/posts").ids().contains(post));
    assertEquals(0, TestParley.count("SELECT count(*) FROM posts WHERE hidden_at IS NOT NULL"));
    assertProblem(api.post("/api/mod/reports/" + r2 + "/resolve", mod, new JsonObject().put("action", "dismiss")),
        409, "resolving again");
  }

  /**
   * A dismissal closes the reports the moderator was shown (up to {@code upTo}), not one filed since: the dashboard
   * sends it when its five-second undo window ends, the card out of every refresh meanwhile, and a report filed in
   * that window was dismissed unread, its reporter told so (a review). A hide, which takes the content down, settles
   * every open report on it.
   */
  @Test
  void aDismissalClosesTheReportsUpToTheNewestTheModeratorWasShown() throws Exception {
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    long post = api.createPost(alice, "Fine");
    long seen = reportId(bob, "post", post, "spam");
    long queued = api.get("/api/mod/queue", mod).json().getJsonArray("items").getJsonObject(0)
        .getJsonArray("reports").getJsonObject(0).getLong("id");
    assertEquals(seen, queued, "the queue shows the report");
    long since = reportId(carol, "post", post, "harassment");
    assertEquals(200, api.put("/api/mod/posts/" + post + "/claim", mod, new JsonObject()).status(), "on it");

    ok(api.post("/api/mod/reports/" + seen + "/resolve", mod,
        new JsonObject().put("action", "dismiss").put("upTo", seen)), "dismiss what was shown");
    assertEquals(1, api.get("/api/mod/claims", mod).json().getJsonArray("items").size(),
        "a report is still open: the item is not decided, and its claim stays");
    assertEquals("dismissed", text("SELECT status FROM reports WHERE id = " + seen));
    assertEquals("open", text("SELECT status FROM reports WHERE id = " + since), "filed after what was shown");
    assertEquals("[" + seen + "]",
        text("SELECT details -> 'reportIds' FROM mod_log WHERE action = 'report.dismissed'"));
    JsonObject item = api.get("/api/mod/queue", mod).json().getJsonArray("items").getJsonObject(0);
    assertEquals(1, item.getLong("reportCount"), "its card is back with the one report");
    assertEquals(since, item.getJsonArray("reports").getJsonObject(0).getLong("id"));
    // Nothing up to it is open any more: another moderator's dismissal of the same card is refused.
    assertProblem(api.post("/api/mod/reports/" + seen + "/resolve", mod,
        new JsonObject().put("action", "dismiss").put("upTo", seen)), 409, "nothing shown is open");

    // Refused bounds change nothing.
    for (Object bad : new Object[] {0, -1, 1.5, "7", true}) {
      Response refused = api.post("/api/mod/reports/" + since + "/resolve", mod,
          new JsonObject().put("action", "dismiss").put("upTo", bad));
      assertProblem(refused, 400, "upTo " + bad);
      assertEquals(List.of("upTo"), refused.errorFields());
    }
    assertEquals("open", text("SELECT status FROM reports WHERE id = " + since));

    // A hide settles them all, the one filed after the newest shown too: the content is down.
    long another = reportId(dave, "post", post, "spam");
    ok(api.post("/api/mod/reports/" + since + "/resolve", mod,
        new JsonObject().put("action", "hide").put("upTo", since)), "hide");
    assertEquals(2, TestParley.count("SELECT count(*) FROM reports WHERE status = 'actioned' AND id IN ("
        + since + "," + another + ")"));
  }

  @Test
  void resolvingAnUnknownReportIs404AndAnInvalidActionIs400() throws Exception {
    long post = api.createPost(alice, "Topic");
    long report = reportId(bob, "post", post, "spam");
    assertProblem(api.post("/api/mod/reports/424242/resolve", mod, new JsonObject().put("action", "dismiss")),
        404, "unknown report");
    Response bad = api.post("/api/mod/reports/" + report + "/resolve", mod, new JsonObject().put("action", "ban"));
    assertProblem(bad, 400, "invalid action");
    assertEquals(List.of("action"), bad.errorFields());
    assertEquals("open", text("SELECT status FROM reports WHERE id = " + report));
    assertEquals(0, logRows());
  }
}
