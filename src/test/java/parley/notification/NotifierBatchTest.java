package parley.notification;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;
import parley.events.LiveEvent;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The notifier makes many writes' notifications in one transaction: each reader is told of each write once, in the
 * order of the writes, with the unread count they would have had if each write had been handled alone; a write in
 * the batch that cannot be notified costs only its own notifications; and two notifiers (two nodes, or the live
 * path and the catch-up) going over the same writes at once make them once.
 */
@ExtendWith(TestParley.class)
class NotifierBatchTest {

  private final Api api = Api.local();

  private static Notifier notifier() throws Exception {
    return TestParley.server().running().notifier();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** One column of a query's rows, in order, as text. */
  private static List<String> column(String query) throws Exception {
    List<String> values = new ArrayList<>();
    try (Connection c = TestParley.db().getConnection(); PreparedStatement s = c.prepareStatement(query);
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) values.add(rs.getString(1));
    }
    return values;
  }

  /** The thread's comment.created events from the log, oldest first, as the catch-up would read them. */
  private static List<LiveEvent> commentEvents(long post) throws Exception {
    List<LiveEvent> events = new ArrayList<>();
    try (Connection c = TestParley.db().getConnection(); PreparedStatement s = c.prepareStatement(
        "SELECT topic, seq, type, to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at, data::text, author_id "
            + "FROM events WHERE topic = ? AND type = 'comment.created' ORDER BY seq")) {
      s.setString(1, "parley.post." + post);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          events.add(LiveEvent.of(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getLong(6),
              rs.getString(5)));
        }
      }
    }
    return events;
  }

  /** As if no notifier had reached any write yet (a crash between the writes' commits and their notifications). */
  private static void forgetNotifications() throws Exception {
    TestParley.sql("DELETE FROM notifications");
    TestParley.sql("DELETE FROM notification_sources");
  }

  /** What every reader was told, one line per notification: reader, kind, comment. */
  private static List<String> told() throws Exception {
    return column("SELECT user_id || ' ' || kind || ' ' || comment_id FROM notifications ORDER BY user_id, comment_id");
  }

  /**
   * The notifications announced on a reader's topic after a seq, in seq order: each notification.created's data, or
   * each of its items when it announced several made in one batch (the event's own fields are the newest's).
   */
  private static List<JsonObject> announced(Session user, long after) throws Exception {
    List<JsonObject> told = new ArrayList<>();
    for (String data : column("SELECT data::text FROM events WHERE topic = 'parley.user." + user.id() + "' AND seq > "
        + after + " AND type = 'notification.created' ORDER BY seq")) {
      JsonObject event = new JsonObject(data);
      if (event.containsKey("items")) {
        JsonArray items = event.getJsonArray("items");
        JsonObject newest = event.copy();
        newest.remove("items");
        assertEquals(items.getJsonObject(items.size() - 1), newest, "the event says the newest, as one alone: " + data);
        assertTrue(items.size() > 1, data);
        items.forEach(item -> told.add((JsonObject) item));
      } else {
        told.add(event);
      }
    }
    return told;
  }

  /** How many announcements of new notifications a reader's topic has after a seq. */
  private static String announcements(Session user, long after) throws Exception {
    return column("SELECT count(*) FROM events WHERE topic = 'parley.user." + user.id() + "' AND seq > " + after
        + " AND type = 'notification.created'").get(0);
  }

  private static long head(Session user) throws Exception {
    return TestParley.count("SELECT COALESCE(max(seq), 0) FROM events WHERE topic = 'parley.user." + user.id() + "'");
  }

  /** Comments on the post, one after the other, by the writers in turn; their ids in order. */
  private List<Long> comments(long post, List<Session> writers, int n) {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) ids.add(api.comment(writers.get(i % writers.size()), post, "comment " + i, null));
    return ids;
  }

  @Test
  void aBatchOfManyWritesNotifiesEachReaderOnceInTheirOrderWithTheCountsEachWriteAloneWouldGive() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    long post = api.createPost(alice, "A long thread");
    List<Long> ids = comments(post, List.of(bob, carol, dave), 40);
    await(notifier().idle());
    List<String> oneAtATime = told();
    // Alice hears of all 40; bob (comments 0, 3, ..., 39) of the 26 after his first that are not his, carol
    // (1, 4, ..., 37) of 26, dave (2, 5, ..., 38) of 25.
    assertEquals(40 + 26 + 26 + 25, oneAtATime.size(), oneAtATime.toString());

    forgetNotifications();
    long aliceHead = head(alice);
    long bobHead = head(bob);
    // All 40 comments in one batch (fewer than Notifier.MAX_BATCH).
    assertEquals(40, commentEvents(post).size());
    await(notifier().handle(commentEvents(post)));
    assertEquals(oneAtATime, told(), "the batch made exactly what the writes made one at a time");

    List<String> toAlice = column("SELECT comment_id FROM notifications WHERE user_id = " + alice.id() + " ORDER BY id");
    assertEquals(ids.stream().map(String::valueOf).toList(), toAlice, "alice's notifications in the order written");
    List<JsonObject> aliceHeard = announced(alice, aliceHead);
    assertEquals(40, aliceHeard.size(), "each announced once");
    for (int i = 0; i < 40; i++) {
      assertEquals(ids.get(i), aliceHeard.get(i).getLong("commentId"), "announced in the order written");
      assertEquals(i + 1, aliceHeard.get(i).getLong("unread"), "the count right after this notification");
      assertEquals("comment", aliceHeard.get(i).getString("kind"));
      assertEquals(post, aliceHeard.get(i).getLong("postId"));
    }
    List<JsonObject> bobHeard = announced(bob, bobHead);
    assertEquals(26, bobHeard.size(), "bob: every comment after his first, but his own");
    for (int i = 0; i < bobHeard.size(); i++) {
      assertEquals(i + 1, bobHeard.get(i).getLong("unread"));
      assertEquals("followed", bobHeard.get(i).getString("kind"));
    }
    List<Long> bobsComments = bobHeard.stream().map(data -> data.getLong("commentId")).toList();
    assertEquals(bobsComments.stream().sorted().toList(), bobsComments, "bob's in the order written");
    assertEquals("1", announcements(bob, bobHead), "one batch, one announcement for each reader: bob's 26 together");
    assertEquals("1", announcements(alice, aliceHead));

    assertEquals(List.of("40"), column("SELECT count(*) FROM notification_sources WHERE source LIKE 'parley.post.%'"),
        "every write of the batch is marked handled");
    await(notifier().catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO));
    assertEquals(oneAtATime, told(), "so the catch-up makes nothing twice");
  }

  /** Unread notifications for the reader, made as if by earlier writes (a reader who never opens the inbox). */
  private static void unreadBacklog(Session reader, long post, Session actor, int n) throws Exception {
    TestParley.sql("INSERT INTO notifications (user_id, kind, source, post_id, actor_id) SELECT " + reader.id()
        + ", 'comment', 'backlog:' || " + reader.id() + " || ':' || g, " + post + ", " + actor.id()
        + " FROM generate_series(1, " + n + ") g");
  }

  @Test
  void unreadCountsStopAtTheCapAndAreExactBelowItInABatchToo() throws Exception {
    int cap = Notifications.UNREAD_COUNTED;
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(alice, "A thread for a busy inbox");
    assertEquals(200, api.put("/api/posts/" + post + "/follow", carol, null).status());
    List<Long> ids = comments(post, List.of(bob), 40);
    await(notifier().idle());
    forgetNotifications();
    // Alice is 20 short of the cap before the batch; carol is past it already.
    unreadBacklog(alice, post, bob, cap - 20);
    unreadBacklog(carol, post, bob, cap + 5);
    assertEquals(cap - 20, api.get("/api/me/notifications/unread", alice).json().getLong("unread"));
    assertEquals(cap, api.get("/api/me/notifications/unread", carol).json().getLong("unread"), "counted up to the cap");
    long aliceHead = head(alice);
    long carolHead = head(carol);

    await(notifier().handle(commentEvents(post)));
    List<JsonObject> aliceHeard = announced(alice, aliceHead);
    assertEquals(40, aliceHeard.size());
    for (int i = 0; i < 40; i++) {
      assertEquals(ids.get(i), aliceHeard.get(i).getLong("commentId"));
      assertEquals(Math.min(cap, cap - 20 + i + 1), aliceHeard.get(i).getLong("unread"),
          "exact below the cap, the cap from there on: notification " + i);
    }
    List<JsonObject> carolHeard = announced(carol, carolHead);
    assertEquals(40, carolHeard.size());
    carolHeard.forEach(data -> assertEquals(cap, data.getLong("unread"), "past the cap all along"));

    // Alice has cap + 20 unread: reading 21 of them brings her to one below the cap, counted exactly again.
    Response listed = api.get("/api/me/notifications", alice);
    assertEquals(cap, listed.json().getLong("unread"));
    List<Long> oldest = column("SELECT id FROM notifications WHERE user_id = " + alice.id() + " ORDER BY id LIMIT 21")
        .stream().map(Long::valueOf).toList();
    Response read = api.post("/api/me/notifications/read", alice,
        new JsonObject().put("ids", new io.vertx.core.json.JsonArray(new ArrayList<>(oldest))));
    assertEquals(200, read.status(), read.toString());
    assertEquals(cap - 1, read.json().getLong("unread"));
    assertEquals(cap - 1, api.get("/api/me/notifications/unread", alice).json().getLong("unread"));
  }

  @Test
  void manyConcurrentWritesAreEachAnnouncedOnceWithRisingCounts() throws Exception {
    Session alice = api.register("alice");
    List<Session> writers = List.of(api.register("bob"), api.register("carol"), api.register("dave"));
    long post = api.createPost(alice, "Busy thread");
    int comments = 60;
    ExecutorService pool = Executors.newFixedThreadPool(12);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<Response>> sent = new ArrayList<>();
      for (int i = 0; i < comments; i++) {
        Session as = writers.get(i % writers.size());
        String body = "comment " + i;
        sent.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
            return api.post("/api/posts/" + post + "/comments", as, new JsonObject().put("body", body));
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        }, pool));
      }
      go.countDown();
      for (CompletableFuture<Response> f : sent) assertEquals(201, f.get(60, TimeUnit.SECONDS).status());
    } finally {
      pool.shutdownNow();
    }
    await(notifier().idle());

    assertEquals(List.of(String.valueOf(comments)), column("SELECT count(*) FROM notifications WHERE user_id = "
        + alice.id()), "alice heard of every comment once");
    List<JsonObject> heard = announced(alice, 0);
    assertEquals(comments, heard.size(), "and each was announced once");
    List<Long> ids = column("SELECT id FROM notifications WHERE user_id = " + alice.id() + " ORDER BY id").stream()
        .map(Long::valueOf).toList();
    for (int i = 0; i < comments; i++) {
      assertEquals(ids.get(i), heard.get(i).getLong("id"), "announced in the order made");
      assertEquals(i + 1, heard.get(i).getLong("unread"), "each with the count right after it");
    }
    assertEquals(List.of("0"), column("SELECT count(*) FROM (SELECT user_id, source FROM notifications "
        + "GROUP BY 1, 2 HAVING count(*) > 1) twice"));
  }

  @Test
  void aWriteThatCannotBeNotifiedCostsOnlyItsOwnNotificationsNotItsBatchs() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    List<Long> ids = comments(post, List.of(bob), 4);
    await(notifier().idle());
    forgetNotifications();

    List<LiveEvent> batch = new ArrayList<>(commentEvents(post));
    // Moderation of content by an account that no longer exists: its notification breaks a foreign key.
    JsonObject hidden = new JsonObject().put("id", ids.get(0)).put("postId", post);
    LiveEvent broken = LiveEvent.of("parley.user.999999", 1, "comment.hidden", "2026-01-01T00:00:00.000Z", null,
        hidden.encode());
    batch.add(2, broken);
    await(notifier().handle(batch));

    assertEquals(ids.stream().map(String::valueOf).toList(),
        column("SELECT comment_id FROM notifications WHERE user_id = " + alice.id() + " ORDER BY id"),
        "the other writes of the batch were notified, in order");
    assertEquals(List.of("4"), column("SELECT count(*) FROM notification_sources"));
    assertEquals(List.of("0"), column("SELECT count(*) FROM notification_sources WHERE source = 'parley.user.999999:1'"),
        "the broken write is left for the catch-up to try again");
  }

  /**
   * A node killed between its comments' commits and their notifications, and down for half an hour: the catch-up
   * reads from where its last run reached, not from ten minutes before now, so the comments it acknowledged before
   * it went down are notified when it comes back; and it moves that mark on.
   */
  @Test
  void theCatchUpReadsFromWhereItLastReachedHoweverLongTheNodeWasDown() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    List<Long> ids = comments(post, List.of(bob), 3);
    await(notifier().idle());
    forgetNotifications();
    // As the crash left them: committed half an hour ago, never notified; the last run reached a little before.
    TestParley.sql("UPDATE events SET at = now() - interval '30 minutes' WHERE topic = 'parley.post." + post + "'");
    TestParley.sql("INSERT INTO notification_catch_up (id, through) VALUES (true, now() - interval '31 minutes') "
        + "ON CONFLICT (id) DO UPDATE SET through = EXCLUDED.through");

    // (The thread's post.created is read again too: its source went with the others; it notifies no one.)
    assertTrue(await(notifier().catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO)) >= 3);
    assertEquals(ids.stream().map(String::valueOf).toList(),
        column("SELECT comment_id FROM notifications WHERE user_id = " + alice.id() + " ORDER BY id"));
    assertEquals(List.of("t"), column("SELECT through > now() - interval '1 minute' FROM notification_catch_up"),
        "the mark moved on to where this run read");
    // The handled sources behind the mark are kept while the catch-up may read them, then go with the retention.
    List<String> sources = column("SELECT count(*) FROM notification_sources");
    TestParley.sql("UPDATE notification_sources SET handled_at = now() - interval '2 days'");
    await(Notifier.prune(TestParley.server().running().database().pool(), java.time.Duration.ofDays(1)));
    assertEquals(List.of("0"), column("SELECT count(*) FROM notification_sources"), "older than the retention");
    TestParley.sql("UPDATE notification_catch_up SET through = now() - interval '3 days'");
    assertEquals(sources.get(0), String.valueOf(await(notifier().catchUp(java.time.Duration.ofMinutes(10),
        java.time.Duration.ZERO))), "(read again: no source tells they were handled)");
    // A catch-up that has not run for three days (its node down): what it will read keeps its sources.
    TestParley.sql("UPDATE notification_sources SET handled_at = now() - interval '2 days'");
    TestParley.sql("UPDATE notification_catch_up SET through = now() - interval '3 days'");
    await(Notifier.prune(TestParley.server().running().database().pool(), java.time.Duration.ofDays(1)));
    assertEquals(sources, column("SELECT count(*) FROM notification_sources"),
        "but not while the catch-up's mark is behind them");
    assertEquals(ids.stream().map(String::valueOf).toList(),
        column("SELECT comment_id FROM notifications WHERE user_id = " + alice.id() + " ORDER BY id"),
        "and a write read again makes nothing twice");
    TestParley.sql("UPDATE notification_catch_up SET through = now()");
  }

  /** An event whose notifications fail holds the catch-up's mark before it, so the next runs try it again. */
  @Test
  void theCatchUpsMarkStaysBeforeAnEventItCouldNotNotify() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    await(notifier().idle());
    // Moderation of content by an account that no longer exists: its notification breaks a foreign key, every time.
    TestParley.sql("INSERT INTO events (topic, seq, type, at, data) VALUES ('parley.user.999999', 1, 'comment.hidden', "
        + "now() - interval '20 minutes', '{\"id\": 1, \"postId\": " + post + "}')");
    TestParley.sql("INSERT INTO notification_catch_up (id, through) VALUES (true, now() - interval '25 minutes') "
        + "ON CONFLICT (id) DO UPDATE SET through = EXCLUDED.through");
    await(notifier().catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO));
    assertEquals(List.of("t"), column("SELECT through = (SELECT at FROM events WHERE topic = 'parley.user.999999') "
        + "FROM notification_catch_up"), "the mark stops at the event that failed");
    await(notifier().catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO));
    assertEquals(List.of("t"), column("SELECT through < now() - interval '19 minutes' FROM notification_catch_up"),
        "and stays while it fails");
    // Once it can be handled (here: it goes), the mark moves on.
    TestParley.sql("DELETE FROM events WHERE topic = 'parley.user.999999'");
    await(notifier().catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO));
    assertEquals(List.of("t"), column("SELECT through > now() - interval '1 minute' FROM notification_catch_up"));
  }

  @Test
  void anEventWhoseDataIsNotWhatItsTypePromisesDoesNotStopTheNotifier() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    // Heard as if committed: a comment event whose data is not an object.
    notifier().committed(List.of(LiveEvent.of("parley.post." + post, 999, "comment.created",
        "2026-01-01T00:00:00.000Z", bob.id(), "[1]")));
    long later = api.comment(bob, post, "after it", null);
    await(notifier().idle());
    assertEquals(List.of(String.valueOf(later)),
        column("SELECT comment_id FROM notifications WHERE user_id = " + alice.id()), "the next write is notified");
  }

  @Test
  void twoNotifiersGoingOverTheSameWritesAtOnceMakeThemOnce() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Thread");
    comments(post, List.of(bob, carol), 12);
    await(notifier().idle());
    List<String> expected = told();
    forgetNotifications();
    // One of the writes was handled before (by another node, or before a restart): it is not made again.
    List<LiveEvent> events = commentEvents(post);
    await(notifier().handle(events.subList(5, 6)));
    long aliceHead = head(alice);

    Future<Void> one = notifier().handle(events);
    Future<Void> other = notifier().handle(events);
    await(Future.all(one, other));

    assertEquals(expected, told(), "every reader told of every write once");
    assertEquals(List.of("12"), column("SELECT count(*) FROM notification_sources"));
    List<JsonObject> heard = announced(alice, aliceHead);
    assertEquals(11, heard.size(), "alice's announcements once each, but the write handled before");
    assertTrue(heard.stream().noneMatch(data -> data.getLong("commentId").equals(
        new JsonObject(events.get(5).envelope()).getJsonObject("data").getLong("id"))));
  }
}
