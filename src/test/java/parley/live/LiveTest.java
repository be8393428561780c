package parley.live;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;
import parley.TestTokens;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live push over real WebSockets speaking the bridge protocol, against the real server and PostgreSQL. */
@ExtendWith(TestParley.class)
class LiveTest {

  private final Api api = Api.local();

  private long seqOf(long postId) {
    return api.get("/api/posts/" + postId).json().getLong("seq");
  }

  /** Follows a thread from its current seq, the way a page does after loading it. */
  private LiveClient follow(long postId) throws Exception {
    LiveClient client = LiveClient.connect();
    client.register("parley.post." + postId, null, seqOf(postId));
    return client;
  }

  @Test
  void aCommentReachesEverySubscriberOfItsThreadAndNobodyElse() throws Exception {
    Session alice = api.register("alice");
    long a = api.createPost(alice, "A");
    long b = api.createPost(alice, "B");
    try (LiveClient r1 = follow(a); LiveClient r2 = follow(a); LiveClient r3 = follow(a); LiveClient other = follow(b)) {
      Api.Response posted = api.post("/api/posts/" + a + "/comments", alice, new JsonObject().put("body", "hello"));
      for (LiveClient reader : List.of(r1, r2, r3)) {
        JsonObject event = reader.nextEvent("parley.post." + a);
        assertEquals("comment.created", event.getString("type"));
        assertEquals("parley.post." + a, event.getString("topic"));
        assertEquals(1, event.getLong("seq"));
        assertTrue(event.getString("at").endsWith("Z"));
        assertEquals(posted.json(), event.getJsonObject("data"), "the data is exactly what the REST API returned");
      }
      long onB = api.comment(alice, b, "on b", null);
      JsonObject first = other.nextEvent("parley.post." + b);
      assertEquals(onB, first.getJsonObject("data").getLong("id"), "the B reader got nothing from thread A");
    }
  }

  @Test
  void editsAndDeletesArriveInOrder() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    try (LiveClient reader = follow(post)) {
      String topic = "parley.post." + post;
      long comment = api.comment(alice, post, "first", null);
      // The first delivery shows the subscription was accepted: a register the server reads only after the post's
      // deletion is refused (as it should be), which is not what this test is about.
      List<JsonObject> events = new java.util.ArrayList<>(List.of(reader.nextEvent(topic)));
      api.patch("/api/comments/" + comment, alice, new JsonObject().put("body", "first, edited"));
      api.delete("/api/comments/" + comment, alice);
      api.patch("/api/posts/" + post, alice, new JsonObject().put("title", "Renamed"));
      api.delete("/api/posts/" + post, alice);
      events.addAll(reader.nextEvents(topic, 4));
      assertEquals(List.of("comment.created", "comment.edited", "comment.deleted", "post.edited", "post.deleted"),
          events.stream().map(e -> e.getString("type")).toList());
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), events.stream().map(e -> e.getLong("seq")).toList());
      assertEquals("first, edited", events.get(1).getJsonObject("data").getString("body"));
      assertEquals(new JsonObject().put("id", comment).put("postId", post), events.get(2).getJsonObject("data"));
      assertEquals("Renamed", events.get(3).getJsonObject("data").getString("title"));
      assertEquals(new JsonObject().put("id", post), events.get(4).getJsonObject("data"));
    }
  }

  @Test
  void theFeedCarriesNewPostsAndCommentCounts() throws Exception {
    Session alice = api.register("alice");
    try (LiveClient feed = LiveClient.connect()) {
      feed.register("parley.feed", null, 0L);
      assertEquals("resync", feed.nextEvent("parley.feed").getString("type"), "since on the feed means refetch");
      long post = api.createPost(alice, "Fresh");
      JsonObject created = feed.nextEvent("parley.feed");
      assertEquals("post.created", created.getString("type"));
      assertEquals(api.get("/api/posts").items().getJsonObject(0), created.getJsonObject("data"));
      api.comment(alice, post, "one", null);
      JsonObject stats = feed.nextEvent("parley.feed");
      assertEquals("post.stats", stats.getString("type"));
      assertEquals(new JsonObject().put("postId", post).put("commentCount", 1), stats.getJsonObject("data"));
    }
  }

  @Test
  void anonymousAndOrdinarySocketsCannotRegisterOnModOrSomeoneElsesTopic() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    try (LiveClient socket = LiveClient.connect()) {
      socket.register("parley.mod", null, null);
      assertRefused(socket.next());
      socket.register("parley.mod", alice.token(), null);
      assertRefused(socket.next());
      socket.register("parley.user." + bob.id(), alice.token(), null);
      assertRefused(socket.next());
      socket.register("parley.user." + bob.id(), null, null);
      assertRefused(socket.next());
      socket.register("parley.user." + alice.id(), "not-a-token", null);
      assertRefused(socket.next());
      socket.register("parley.secret", null, null);
      assertRefused(socket.next());
      socket.send(new JsonObject().put("type", "register").put("address", "parley.post.1")
          .put("headers", new JsonObject().put("since", "yesterday")));
      assertRefused(socket.next());
    }
  }

  @Test
  void aUserFollowsTheirOwnTopicAndGetsReplies() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Alice's post");
    long aliceComment = api.comment(alice, post, "mine", null);
    try (LiveClient socket = LiveClient.connect()) {
      socket.register("parley.user." + alice.id(), alice.token(), 0L);
      long reply = api.comment(bob, post, "a reply", aliceComment);
      JsonObject event = socket.nextEvent("parley.user." + alice.id());
      assertEquals("reply.created", event.getString("type"));
      assertEquals(reply, event.getJsonObject("data").getLong("id"));
      assertEquals(1, event.getLong("seq"), "alice's own comment notified nobody");
    }
  }

  @Test
  void moderatorsFollowNewContentOnTheModTopic() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    try (LiveClient socket = LiveClient.connect()) {
      socket.register("parley.mod", mod.token(), 0L);
      assertEquals("resync", socket.nextEvent("parley.mod").getString("type"));
      long post = api.createPost(alice, "Review me");
      JsonObject created = socket.nextEvent("parley.mod");
      assertEquals("post.created", created.getString("type"));
      assertEquals(post, created.getJsonObject("data").getLong("id"));
      api.comment(alice, post, "and me", null);
      assertEquals("comment.created", socket.nextEvent("parley.mod").getString("type"));
    }
  }

  @Test
  void clientsCannotSendOrPublish() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    try (LiveClient attacker = LiveClient.connect(); LiveClient reader = follow(post)) {
      String topic = "parley.post." + post;
      attacker.send(new JsonObject().put("type", "publish").put("address", topic)
          .put("body", new JsonObject().put("type", "comment.created")));
      assertEquals("err", attacker.next().getString("type"));
      attacker.send(new JsonObject().put("type", "send").put("address", topic).put("body", "x"));
      assertEquals("err", attacker.next().getString("type"));
      long real = api.comment(alice, post, "real", null);
      assertEquals(real, reader.nextEvent(topic).getJsonObject("data").getLong("id"), "the forged event never arrived");
    }
  }

  @Test
  void aMessagePublishedOnATopicsOwnAddressReachesNoSocket() throws Exception {
    // Only the hub writes to sockets, after its checks: the bridge's per-socket consumers must hold nothing that
    // could deliver what somebody publishes on the address a client registered (BridgeBus).
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    try (LiveClient reader = follow(post)) {
      String topic = "parley.post." + post;
      long before = api.comment(alice, post, "before", null);
      assertEquals(before, reader.nextEvent(topic).getJsonObject("data").getLong("id"), "registered and live");
      io.vertx.core.eventbus.EventBus bus = TestParley.server().running().vertx().eventBus();
      bus.publish(topic, new JsonObject().put("type", "comment.created").put("forged", true));
      bus.send(topic, new JsonObject().put("type", "comment.created").put("forged", true));
      long real = api.comment(alice, post, "real", null);
      JsonObject first = reader.next();
      assertEquals("rec", first.getString("type"), first.encode());
      assertEquals(real, first.getJsonObject("body").getJsonObject("data").getLong("id"),
          "the first frame is the real comment, not the message published on the bare address");
    }
  }

  @Test
  void aRolledBackWritePublishesNothing() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    // Fail the second comment's transaction after its thread event was written, when it writes the feed's stats.
    TestParley.sql("""
        CREATE FUNCTION fail_second_comment() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.type = 'post.stats' AND NEW.data::text LIKE '%"commentCount":2%' THEN
            RAISE EXCEPTION 'injected failure';
          END IF;
          RETURN NEW;
        END $$""");
    TestParley.sql("CREATE TRIGGER fail_second_comment BEFORE INSERT ON events "
        + "FOR EACH ROW EXECUTE FUNCTION fail_second_comment()");
    try (LiveClient reader = follow(post)) {
      String topic = "parley.post." + post;
      long first = api.comment(alice, post, "first", null);
      Api.Response failed = api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", "doomed"));
      assertEquals(500, failed.status());
      TestParley.sql("DROP TRIGGER fail_second_comment ON events");
      long third = api.comment(alice, post, "third", null);
      JsonObject e1 = reader.nextEvent(topic);
      JsonObject e2 = reader.nextEvent(topic);
      assertEquals(first, e1.getJsonObject("data").getLong("id"));
      assertEquals(third, e2.getJsonObject("data").getLong("id"), "nothing was published for the rolled-back comment");
      assertEquals(2, e2.getLong("seq"), "and it used no sequence number");
      assertEquals(0, TestParley.count("SELECT count(*) FROM comments WHERE body = 'doomed'"));
    } finally {
      TestParley.sql("DROP TRIGGER IF EXISTS fail_second_comment ON events");
      TestParley.sql("DROP FUNCTION IF EXISTS fail_second_comment()");
    }
  }

  @Test
  void anExpiredTokenStopsRestrictedTopicsWithinASecond() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    long expiresAt = TestTokens.now() + 2;
    try (LiveClient socket = LiveClient.connect()) {
      String mine = "parley.user." + alice.id();
      socket.register(mine, TestTokens.expiringAt(alice.id(), expiresAt), 0L);
      socket.register("parley.post." + post, null, seqOf(post));
      JsonObject cut = socket.next();
      long cutAt = TestTokens.now();
      assertEquals("err", cut.getString("type"), cut.encode());
      assertEquals(mine, cut.getString("address"));
      assertEquals("token_expired", cut.getString("body"));
      assertTrue(cutAt <= expiresAt + 1, "cut within a second of expiry: expired " + expiresAt + ", cut " + cutAt);
      Session bob = api.register("bob");
      long aliceComment = api.comment(alice, post, "mine", null);
      api.comment(bob, post, "reply to alice", aliceComment);
      // The reply would reach alice's topic between these two thread events; the socket gets only the thread's.
      assertEquals("comment.created", socket.nextEvent("parley.post." + post).getString("type"));
      assertEquals("comment.created", socket.nextEvent("parley.post." + post).getString("type"));
    }
  }

  @Test
  void aRevokedTopicMustBeUnregisteredBeforeItCanBeFollowedAgain() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    long aliceComment = api.comment(alice, post, "mine", null);
    String mine = "parley.user." + alice.id();
    try (LiveClient socket = LiveClient.connect()) {
      socket.register(mine, TestTokens.expiringAt(alice.id(), TestTokens.now() + 1), 0L);
      JsonObject cut = socket.next();
      assertEquals("token_expired", cut.getString("body"), cut.encode());
      assertEquals("token_expired", cut.getString("message"), "the official client reads message");
      socket.register(mine, alice.token(), 0L);
      JsonObject again = socket.next();
      assertEquals("err", again.getString("type"), again.encode());
      socket.unregister(mine);
      socket.register(mine, alice.token(), 0L);
      long reply = api.comment(bob, post, "reply", aliceComment);
      assertEquals(reply, socket.nextEvent(mine).getJsonObject("data").getLong("id"));
    }
  }

  @Test
  void aHiddenPostsThreadIsFollowedOnlyByItsAuthorAndModerators() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mod", "moderator");
    long post = api.createPost(alice, "Soon hidden");
    assertEquals(204, api.post("/api/mod/posts/" + post + "/hide", mod, new JsonObject().put("reason", "spam")).status());
    String topic = "parley.post." + post;
    try (LiveClient socket = LiveClient.connect()) {
      socket.register(topic, null, 0L);
      assertRefused(socket.next());
      socket.register(topic, bob.token(), 0L);
      assertRefused(socket.next());
    }
    try (LiveClient author = LiveClient.connect(); LiveClient moderator = LiveClient.connect()) {
      author.register(topic, alice.token(), 0L);
      moderator.register(topic, mod.token(), 0L);
      assertEquals("post.hidden", author.nextEvent(topic).getString("type"));
      assertEquals("post.hidden", moderator.nextEvent(topic).getString("type"));
    }
    assertEquals(404, api.get("/api/posts/" + post + "/events").status(), "SSE refuses it to readers too");
  }

  @Test
  void aSocketHoldsAtMost64TopicsEvenWhenItRegistersThemAllAtOnce() throws Exception {
    Session alice = api.register("alice");
    long first = api.createPost(alice, "First");
    TestParley.sql("INSERT INTO posts (author_id, title, body, body_html, excerpt) "
        + "SELECT " + alice.id() + ", 't' || g, 'b', '<p>b</p>', 'b' FROM generate_series(1, 70) g");
    try (LiveClient socket = LiveClient.connect()) {
      for (long id = first; id < first + 70; id++) socket.register("parley.post." + id, alice.token(), 0L);
      int refused = 0;
      for (int i = 0; i < 6; i++) {
        JsonObject frame = socket.next();
        assertEquals("err", frame.getString("type"), frame.encode());
        refused++;
      }
      assertEquals(6, refused, "70 registrations, 64 held");
      long comment = api.comment(alice, first, "still live", null);
      assertEquals(comment, socket.nextEvent("parley.post." + first).getJsonObject("data").getLong("id"));
      // Once all 64 are held, another is answered with the bridge's own error, and nothing is logged for it.
      try (parley.CapturedLog bridge = new parley.CapturedLog("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl")) {
        for (int i = 0; i < 3; i++) {
          socket.register("parley.post." + (first + 69), alice.token(), 0L);
          assertEquals(new JsonObject().put("type", "err").put("body", "max_handlers_reached"), socket.next());
        }
        assertTrue(bridge.messages().isEmpty(), bridge.messages().toString());
      }
    }
  }

  /** A register whose headers are not an object, whose token is not a string, or whose since is not digits is refused. */
  @Test
  void aRegisterWithHeadersOfTheWrongShapeIsRejectedNotReadAsNone() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Shapes");
    String topic = "parley.post." + post;
    try (LiveClient socket = LiveClient.connect()) {
      for (Object headers : List.of("since=0", new io.vertx.core.json.JsonArray().add(0),
          new JsonObject().put("token", 123), new JsonObject().put("token", new JsonObject()),
          new JsonObject().put("since", "+1"), new JsonObject().put("since", " 1"), new JsonObject().put("since", "١"),
          new JsonObject().put("since", 1.5), new JsonObject().put("since", -1.0), new JsonObject().put("since", 1e30))) {
        socket.send(new JsonObject().put("type", "register").put("address", topic).put("headers", headers));
        assertRefused(socket.next());
      }
      // The socket registers the same topic well afterwards: none of those held it. A whole number written as a
      // float (0.0, as Python's json writes a float seq) is a whole number.
      socket.send(new JsonObject().put("type", "register").put("address", topic)
          .put("headers", new JsonObject().put("since", 0.0)));
      long comment = api.comment(alice, post, "heard", null);
      assertEquals(comment, socket.nextEvent(topic).getJsonObject("data").getLong("id"));
    }
  }

  private static void assertRefused(JsonObject frame) {
    assertEquals("err", frame.getString("type"), frame.encode());
    assertEquals("rejected", frame.getString("body"), frame.encode());
  }
}
