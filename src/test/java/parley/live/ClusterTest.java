package parley.live;

import com.hazelcast.multimap.MultiMap;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;
import parley.events.Topics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two clustered nodes in this JVM on the shared test database: what was per node before clustering is the
 * cluster's now. A write or a change made through node A reaches sockets held by node B; limits are spent once for
 * both; and a topic is one cluster registration per node however many sockets follow it. (ClusterIT runs nodes as
 * separate processes, kills one, and checks every event on every topic.)
 */
@ExtendWith(TestParley.class)
class ClusterTest {

  private static final Map<String, String> CLUSTERED = OwnServer.clustered(Map.of(
      AppConfig.LIMIT_REPORTS, "2/1h",
      AppConfig.LOGIN_FREE_FAILURES, "2"));

  @RegisterExtension
  static final OwnServer A = new OwnServer(CLUSTERED);
  @RegisterExtension
  static final OwnServer B = new OwnServer(CLUSTERED);

  private final Api onA = new Api("http://localhost:" + A.port());
  private final Api onB = new Api("http://localhost:" + B.port());

  private static long commentIdOf(JsonObject event) {
    return event.getJsonObject("data").getLong("id");
  }

  private long seqOf(long post) {
    return onA.get("/api/posts/" + post).json().getLong("seq");
  }

  @Test
  void theNodesFormOneCluster() {
    assertEquals(2, A.running().cluster().hazelcast().getCluster().getMembers().size());
    assertEquals(2, B.running().cluster().hazelcast().getCluster().getMembers().size());
    Response metrics = onB.get("/metrics");
    assertEquals(200, metrics.status());
    assertTrue(metrics.body().contains("parley_cluster_members 2.0"), "members gauge:\n" + metrics.body());
  }

  @Test
  void aTopicIsOneClusterRegistrationPerNodeHoweverManySocketsFollowIt() throws Exception {
    Session alice = onA.register("alice");
    long post = onA.createPost(alice, "Followed from both nodes");
    long first = onA.comment(alice, post, "first", null);
    String topic = "parley.post." + post;
    List<LiveClient> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 24; i++) {
        LiveClient socket = LiveClient.connect(i < 20 ? A.port() : B.port());
        sockets.add(socket);
        socket.register(topic, null, 0L);
      }
      // Each socket is following once the log has replayed the first comment to it.
      for (LiveClient socket : sockets) assertEquals(first, commentIdOf(socket.nextEvent(topic)));

      MultiMap<String, Object> subs = A.running().cluster().hazelcast().getMultiMap("__vertx.subs");
      assertEquals(2, subs.valueCount(Topics.busAddress(topic)), "one registration per node for the topic's events");
      assertEquals(0, subs.valueCount(topic), "the bridge's own per-socket consumers stay on their node");

      // And the one registration per node carries each event to every socket on it.
      long second = onB.comment(alice, post, "second", null);
      for (LiveClient socket : sockets) assertEquals(second, commentIdOf(socket.nextEvent(topic)));
    } finally {
      sockets.forEach(LiveClient::close);
    }
  }

  @Test
  void aRateLimitSpentOnOneNodeIsSpentOnTheOther() throws Exception {
    Session alice = onA.register("alice");
    Session bob = onA.register("bob");
    long post = onA.createPost(alice, "Thread");
    List<Long> comments = new ArrayList<>();
    for (int i = 0; i < 3; i++) comments.add(onA.comment(alice, post, "comment " + i, null));

    // The limit is 2 an hour: both spent through A, the third report through B is refused.
    for (int i = 0; i < 2; i++) {
      Response report = onA.post("/api/reports", bob, new JsonObject()
          .put("targetType", "comment").put("targetId", comments.get(i)).put("reason", "spam"));
      assertEquals(201, report.status(), report.toString());
    }
    Response third = onB.post("/api/reports", bob, new JsonObject()
        .put("targetType", "comment").put("targetId", comments.get(2)).put("reason", "spam"));
    assertEquals(429, third.status(), third.toString());
    assertTrue(Long.parseLong(third.header("Retry-After")) > 0, third.toString());
    assertEquals(2, TestParley.count("SELECT count(*) FROM reports"), "the refused report changed nothing");

    // Another account's bucket is its own, on either node.
    Session carol = onB.register("carol");
    Response other = onB.post("/api/reports", carol, new JsonObject()
        .put("targetType", "comment").put("targetId", comments.get(2)).put("reason", "spam"));
    assertEquals(201, other.status(), other.toString());
    assertTrue(onB.get("/metrics").body().contains("parley_rate_limit_refusals_total{limit=\"PARLEY_LIMIT_REPORTS\"} 1.0"),
        "the refusal is counted where it happened");
  }

  @Test
  void guessesAtOnePasswordSpreadOverBothNodesCountAsOneSeries() {
    Session bob = onA.register("bob");
    JsonObject wrong = new JsonObject().put("login", "bob").put("password", "not bob's password");
    assertEquals(401, onA.post("/api/auth/login", null, wrong).status());
    assertEquals(401, onB.post("/api/auth/login", null, wrong).status());
    // Two failures in a row (the free ones) made the account wait, on both nodes, even with the right password.
    Response slowed = onA.post("/api/auth/login", null, wrong.copy().put("password", "correct horse"));
    assertEquals(429, slowed.status(), slowed.toString());
    assertEquals(429, onB.post("/api/auth/login", null, wrong).status());
    assertTrue(bob.id() > 0);
  }

  @Test
  void aBanIssuedOnOneNodeCutsTheUsersSocketOnTheOtherWithinASecond() throws Exception {
    Session mod = onA.registerWithRole("mod", "moderator");
    Session bob = onA.register("bob");
    Session carol = onA.register("carol");
    long post = onA.createPost(carol, "Carol's thread");
    long bobComment = onA.comment(bob, post, "bob's comment", null);
    String mine = "parley.user." + bob.id();

    try (LiveClient socket = LiveClient.connect(B.port())) {
      socket.register(mine, bob.token(), 0L);
      // A reply written on A reaches bob's socket on B: the subscription is live.
      long reply = onA.comment(carol, post, "reply to bob", bobComment);
      JsonObject event = socket.nextEvent(mine);
      assertEquals("reply.created", event.getString("type"));
      assertEquals(reply, commentIdOf(event));

      Response ban = onA.post("/api/mod/users/bob/ban", mod, new JsonObject().put("reason", "spam"));
      long bannedAt = System.nanoTime();
      assertEquals(204, ban.status(), ban.toString());
      JsonObject cut = socket.next();
      long cutAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - bannedAt);
      assertEquals("err", cut.getString("type"), cut.encode());
      assertEquals(mine, cut.getString("address"), cut.encode());
      assertEquals("access_revoked", cut.getString("body"), cut.encode());
      assertTrue(cutAfterMillis < 1000, "cut within a second of the ban on the other node, took " + cutAfterMillis + " ms");
      assertEquals(403, onB.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "hi")).status());
    }
  }

  @Test
  void aDemotionOnOneNodeTakesTheModeratorsTopicAwayOnTheOtherWithinASecond() throws Exception {
    Session admin = onA.registerWithRole("boss", "admin");
    Session mod = onA.registerWithRole("mod", "moderator");
    Session alice = onA.register("alice");
    long post = onA.createPost(alice, "Thread");
    String thread = "parley.post." + post;

    try (LiveClient socket = LiveClient.connect(B.port())) {
      socket.register("parley.mod", mod.token(), 0L);
      assertEquals("resync", socket.nextEvent("parley.mod").getString("type"), "the mod topic is live");
      socket.register(thread, null, seqOf(post));

      Response demote = onA.put("/api/admin/users/mod/role", admin, new JsonObject().put("role", "user"));
      long demotedAt = System.nanoTime();
      assertEquals(204, demote.status(), demote.toString());
      JsonObject cut = socket.next();
      // The role change itself is announced on parley.mod first, to moderators, and may arrive before the cut.
      while ("rec".equals(cut.getString("type")) && "parley.mod".equals(cut.getString("address"))) cut = socket.next();
      long cutAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - demotedAt);
      assertEquals("err", cut.getString("type"), cut.encode());
      assertEquals("parley.mod", cut.getString("address"), cut.encode());
      assertEquals("access_revoked", cut.getString("body"), cut.encode());
      assertTrue(cutAfterMillis < 1000, "cut within a second of the demotion, took " + cutAfterMillis + " ms");

      // Comments go to parley.mod after their thread event; none reach this socket any more.
      long one = onA.comment(alice, post, "one", null);
      long two = onA.comment(alice, post, "two", null);
      assertEquals(one, commentIdOf(socket.nextEvent(thread)));
      assertEquals(two, commentIdOf(socket.nextEvent(thread)), "parley.mod stays cut");
    }
  }

  @Test
  void aBlockMadeOnOneNodeFiltersDeliveriesOnTheOther() throws Exception {
    Session alice = onA.register("alice");
    Session bob = onA.register("bob");
    Session carol = onA.register("carol");
    long post = onA.createPost(carol, "Carol's thread");
    String topic = "parley.post." + post;

    try (LiveClient blocker = LiveClient.connect(B.port())) {
      blocker.register(topic, alice.token(), seqOf(post));
      long before = onA.comment(bob, post, "bob before the block", null);
      assertEquals(before, commentIdOf(blocker.nextEvent(topic)), "not blocked yet");

      assertEquals(204, onA.put("/api/me/blocks/bob", alice, null).status());
      long during = onA.comment(bob, post, "bob after the block", null);
      long sentinel = onA.comment(carol, post, "carol's sentinel", null);
      JsonObject next = blocker.nextEvent(topic);
      assertEquals(sentinel, commentIdOf(next), "bob's comment " + during + " was withheld on B: " + next.encode());

      assertEquals(204, onA.delete("/api/me/blocks/bob", alice).status());
      long after = onA.comment(bob, post, "bob after the unblock", null);
      assertEquals(after, commentIdOf(blocker.nextEvent(topic)), "unblocking on A lifts it on B");
    }
  }
}
