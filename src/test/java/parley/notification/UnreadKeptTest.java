package parley.notification;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The notifier keeps each reader's unread count from one batch to the next (V18) and counts it again only when it
 * may have changed behind its back: the reader marked something read, or something changed what readers may see
 * (a hide, a delete, a block). Every count it announces is the count the inbox gives at that moment.
 */
@ExtendWith(TestParley.class)
class UnreadKeptTest {

  private final Api api = Api.local();

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static void idle() throws Exception {
    await(TestParley.server().running().notifier().idle());
  }

  /** The unread count the last notification announced to the reader. */
  private static long lastAnnounced(Session reader) throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT (data->>'unread')::bigint FROM events WHERE topic = 'parley.user."
            + reader.id() + "' AND type = 'notification.created' ORDER BY seq DESC LIMIT 1")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private long inbox(Session reader) {
    return api.get("/api/me/notifications/unread", reader).json().getLong("unread");
  }

  /** A comment by the writer on the post, its notifications made; the count announced to the reader for it. */
  private long comment(Session writer, long post, Session reader) throws Exception {
    api.comment(writer, post, "a comment", null);
    idle();
    return lastAnnounced(reader);
  }

  @Test
  void theKeptCountIsUsedWhileItHoldsAndCountedAgainAfterAReadAHideOrABlock() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session mod = api.registerWithRole("mod", "moderator");
    long post = api.createPost(alice, "Alice's thread");
    assertEquals(1, comment(bob, post, alice));
    assertEquals(2, comment(bob, post, alice));
    assertEquals(List.of(2L), kept(alice), "kept as announced");

    // Used while it holds: a kept count that were wrong would show (the inbox has 2, not 50).
    TestParley.sql("UPDATE unread_counts SET unread = 50 WHERE user_id = " + alice.id());
    assertEquals(51, comment(bob, post, alice), "not counted again: nothing changed what alice may see");
    TestParley.sql("UPDATE unread_counts SET unread = 3 WHERE user_id = " + alice.id());

    // Alice reads one: her count is counted again.
    long oldest = TestParley.count("SELECT min(id) FROM notifications WHERE user_id = " + alice.id());
    assertEquals(200, api.post("/api/me/notifications/read", alice,
        new JsonObject().put("ids", new JsonArray().add(oldest))).status());
    assertEquals(3, comment(carol, post, alice));
    assertEquals(3, inbox(alice));

    // A moderator hides one of bob's comments that alice has unread: counted again, without it.
    long bobs = TestParley.count("SELECT max(id) FROM comments WHERE author_id = " + bob.id());
    assertEquals(204, api.post("/api/mod/comments/" + bobs + "/hide", mod, new JsonObject().put("reason", "rude"))
        .status());
    assertEquals(3, comment(carol, post, alice), "3 unread, less the hidden one, and the new one");
    assertEquals(3, inbox(alice));
    // Restored: counted again, with it.
    assertEquals(204, api.post("/api/mod/comments/" + bobs + "/restore", mod, new JsonObject()).status());
    assertEquals(5, comment(carol, post, alice), "3, the restored one, and the new one");
    assertEquals(5, inbox(alice));

    // Alice blocks carol: carol's comments leave her count, and the next (bob's) is counted with them gone.
    assertEquals(204, api.put("/api/me/blocks/carol", alice, null).status());
    assertEquals(3, comment(bob, post, alice), "bob's two and the new one");
    assertEquals(3, inbox(alice));
    assertEquals(List.of(3L), kept(alice));

    // Bob deletes his comment: counted again.
    long last = TestParley.count("SELECT max(id) FROM comments WHERE author_id = " + bob.id());
    assertEquals(204, api.delete("/api/comments/" + last, bob).status());
    assertEquals(3, comment(bob, post, alice));
    assertEquals(3, inbox(alice));
  }

  @Test
  void aBlockMakesTheBlockersCountStaleAndNobodyElses() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    long post = api.createPost(alice, "Alice's thread");
    assertEquals(200, api.put("/api/posts/" + post + "/follow", dave, null).status());
    comment(carol, post, alice);
    assertEquals(1, lastAnnounced(dave));
    TestParley.sql("UPDATE unread_counts SET unread = 50 WHERE user_id = " + dave.id());
    assertEquals(204, api.put("/api/me/blocks/carol", alice, null).status());
    assertEquals(1, comment(bob, post, alice), "alice's counted again: carol's comment left it");
    assertEquals(51, lastAnnounced(dave), "dave's kept count still used: alice's block changes nothing for him");
  }

  @Test
  void aNotificationMadeOutsideTheNotifierMakesItsReadersCountStale() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Alice's thread");
    assertEquals(1, comment(bob, post, alice));
    // As a node of the version before this one would make it (or an operator), without keeping the count.
    TestParley.sql("INSERT INTO notifications (user_id, kind, source, post_id, actor_id) VALUES (" + alice.id()
        + ", 'comment', 'elsewhere:1', " + post + ", " + bob.id() + ")");
    assertEquals(3, comment(bob, post, alice), "counted again: the one from elsewhere included");
    assertEquals(3, inbox(alice));
  }

  @Test
  void pruningReadNotificationsLeavesKeptCountsAloneButDeletingAnUnreadOneDoesNot() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Alice's thread");
    comment(bob, post, alice);
    assertEquals(2, comment(bob, post, alice));
    long oldest = TestParley.count("SELECT min(id) FROM notifications WHERE user_id = " + alice.id());
    assertEquals(200, api.post("/api/me/notifications/read", alice,
        new JsonObject().put("ids", new JsonArray().add(oldest))).status());
    assertEquals(2, comment(bob, post, alice));
    long epoch = TestParley.count("SELECT epoch FROM unread_epoch");
    TestParley.sql("DELETE FROM notifications WHERE read_at IS NOT NULL");
    assertEquals(epoch, TestParley.count("SELECT epoch FROM unread_epoch"), "read ones never counted");
    assertEquals(List.of(2L), kept(alice));
    TestParley.sql("DELETE FROM notifications WHERE id = (SELECT max(id) FROM notifications WHERE user_id = "
        + alice.id() + ")");
    assertEquals(epoch + 1, TestParley.count("SELECT epoch FROM unread_epoch"));
    assertEquals(2, comment(bob, post, alice));
    assertEquals(2, inbox(alice));
  }

  private static List<Long> kept(Session reader) throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT k.unread FROM unread_counts k JOIN unread_epoch e ON k.epoch = e.epoch "
            + "WHERE k.user_id = " + reader.id())) {
      List<Long> out = new java.util.ArrayList<>();
      while (rs.next()) out.add(rs.getLong(1));
      return out;
    }
  }

  /**
   * A mark read not yet committed when the notifier comes to count: the notifier waits for it (both take the
   * reader's kept row) and counts with it, rather than adding to a kept count the mark is about to make wrong.
   */
  @Test
  void aReadCommittingWhileTheNotifierCountsIsNeverLost() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Alice's thread");
    assertEquals(1, comment(bob, post, alice));
    assertEquals(2, comment(bob, post, alice));
    long oldest = TestParley.count("SELECT min(id) FROM notifications WHERE user_id = " + alice.id());

    try (Connection reading = TestParley.db().getConnection()) {
      reading.setAutoCommit(false);
      try (Statement s = reading.createStatement()) {
        s.executeUpdate("UPDATE notifications SET read_at = now() WHERE id = " + oldest);
      }
      api.comment(bob, post, "while alice reads", null);
      awaitNotifierWaitingForTheRead();
      reading.commit();
    }
    idle();
    assertEquals(2, lastAnnounced(alice), "two unread before, one read, one new");
    assertEquals(2, inbox(alice));
    assertEquals(3, comment(bob, post, alice), "and the count kept after it holds");
    assertEquals(3, inbox(alice));
  }

  /** Until a session of the server waits for a row lock on the kept counts (nothing to await otherwise). */
  private static void awaitNotifierWaitingForTheRead() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Connection c = TestParley.db().getConnection(); ResultSet rs = c.createStatement().executeQuery(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%unread_counts%'")) {
        rs.next();
        if (rs.getLong(1) > 0) return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the notifier never waited for the read's row");
  }
}
