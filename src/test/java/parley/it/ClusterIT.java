package parley.it;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import parley.Api;
import parley.config.AppConfig;
import parley.db.EmbeddedDatabase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parley as several processes in cluster mode on loopback, sharing one PostgreSQL, the way docs/SCALING.md runs
 * three nodes on a laptop: every committed event reaches every subscriber on every node exactly once and in order,
 * on every kind of topic, as nodes join; a node killed mid-stream costs its readers nothing once they resume on
 * another; a node that joins late serves the whole history from the log.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ClusterIT {

  private static final String SECRET = "cluster-it-signing-key-" + UUID.randomUUID();
  private static EmbeddedDatabase database;
  private static Vertx vertx;
  private static WebSocketClient sockets;

  @BeforeAll
  static void sharedDatabase() throws Exception {
    Path dir = Path.of("target", "it-data", "cluster-db-" + UUID.randomUUID().toString().substring(0, 8))
        .toAbsolutePath();
    Files.createDirectories(dir.getParent());
    database = EmbeddedDatabase.start(EmbeddedDatabase.Options.in(dir));
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(1_000)
        .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 24));
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    if (vertx != null) vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    if (database != null) database.close();
  }

  /** A node of the cluster named {@code cluster}, with JSON logs (which the tests read back). */
  private static ParleyProcess node(String name, String cluster, int hazelcastPort) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put(AppConfig.DATABASE_URL, "postgresql://" + EmbeddedDatabase.SUPERUSER + ":" + database.password() + "@"
        + database.host() + ":" + database.port() + "/" + EmbeddedDatabase.DATABASE);
    env.put(AppConfig.JWT_SECRET, SECRET);
    env.put(AppConfig.CLUSTER, "true");
    env.put(AppConfig.CLUSTER_NAME, cluster);
    env.put(AppConfig.CLUSTER_PORT, Integer.toString(hazelcastPort));
    env.put("PARLEY_LOG_FORMAT", "json");
    return ParleyProcess.create(name, env).start();
  }

  /** Waits (polling each node's metrics: another process has no completion to await) until all see each other. */
  private static void awaitMembers(List<ParleyProcess> nodes) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String expected = "parley_cluster_members " + nodes.size() + ".0";
    for (ParleyProcess node : nodes) {
      Api api = new Api(node.baseUrl());
      while (!api.get("/metrics").body().contains(expected)) {
        if (System.nanoTime() > deadline) throw new AssertionError(node.baseUrl() + " never saw " + expected);
        Thread.sleep(100);
      }
    }
  }

  private static void sql(String statement) throws Exception {
    try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  /** Every event of a topic in the log after a seq, as "seq type", in seq order: what a subscriber must have. */
  private static List<String> logged(String topic, long after) throws Exception {
    try (Connection c = database.dataSource().getConnection();
         PreparedStatement s = c.prepareStatement("SELECT seq, type FROM events WHERE topic = ? AND seq > ? ORDER BY seq")) {
      s.setString(1, topic);
      s.setLong(2, after);
      List<String> out = new ArrayList<>();
      try (ResultSet rows = s.executeQuery()) {
        while (rows.next()) out.add(rows.getLong(1) + " " + rows.getString(2));
      }
      return out;
    }
  }

  private static long maxSeq(String topic) throws Exception {
    List<String> all = logged(topic, 0);
    return all.isEmpty() ? 0 : Long.parseLong(all.get(all.size() - 1).split(" ")[0]);
  }

  /**
   * A node serving from the cluster's database outside the cluster (started without PARLEY_CLUSTER) never reaches the
   * cluster's invalidations, nor they its: once a node sees it, its read and account caches stand aside, so a comment hidden and a
   * member banned there are honoured here at once, not up to a minute (30 s for the ban) late; when it stops, the
   * caches come back by themselves.
   */
  @Test
  void whileANodeOutsideTheClusterServesItsWritesAreNeverServedStaleFromTheCaches() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put(AppConfig.DATABASE_URL, "postgresql://" + EmbeddedDatabase.SUPERUSER + ":" + database.password() + "@"
        + database.host() + ":" + database.port() + "/" + EmbeddedDatabase.DATABASE);
    env.put(AppConfig.JWT_SECRET, SECRET);
    // Neither clustered (a Hazelcast start is seconds of the run): each is outside the other's cluster, and the
    // roster's judgement of a clustered node's members is NodeRosterTest's.
    ParleyProcess inside = ParleyProcess.create("roster-inside", env).start();
    ParleyProcess outside = ParleyProcess.create("roster-outside", env).start();
    try {
      Api here = new Api(inside.baseUrl());
      Api there = new Api(outside.baseUrl());
      Api.Session author = here.register("roster_author");
      Api.Session member = here.register("roster_member");
      Api.Session mod = here.register("roster_mod");
      sql("UPDATE users SET role = 'moderator' WHERE id = " + mod.id());
      long postId = here.createPost(author, "Two nodes, one database");
      long commentId = here.comment(member, postId, "Soon hidden elsewhere", null);
      awaitMetric(inside, "parley_caches_bypassed 1.0");
      assertTrue(inside.log().contains("The read and account caches stand aside: a node outside this one's cluster"),
          inside.log());

      String page = "/api/posts/" + postId + "/comments";
      assertEquals(200, here.get("/api/me/notifications", member).status(), "signed in here: the account read");
      assertTrue(here.get(page).body().contains("Soon hidden elsewhere"));
      assertTrue(here.get(page).body().contains("Soon hidden elsewhere"), "read twice: kept, were the cache on");
      assertEquals(204, there.post("/api/mod/comments/" + commentId + "/hide", mod,
          new JsonObject().put("reason", "spam")).status());
      assertEquals(204, there.post("/api/mod/users/roster_member/ban", mod,
          new JsonObject().put("reason", "spam")).status());
      assertFalse(here.get(page).body().contains("Soon hidden elsewhere"), "hidden there: gone here at once");
      assertEquals(403, here.post("/api/posts/" + postId + "/comments", member,
          new JsonObject().put("body", "Banned there")).status(), "banned there: refused here at once");
      assertTrue(here.get("/metrics").body().contains("parley_read_cache_entries 0.0"), "nothing kept meanwhile");

      assertTrue(outside.terminate(java.time.Duration.ofSeconds(30)));
      awaitMetric(inside, "parley_caches_bypassed 0.0");
      assertTrue(inside.log().contains("The read and account caches are back"), inside.log());
      here.get(page);
      here.get(page);
      assertFalse(here.get("/metrics").body().contains("parley_read_cache_entries 0.0"), "the cache keeps pages again");
    } finally {
      outside.close();
      inside.close();
    }
  }

  /** Waits (polling: another process has no completion to await) until a node's metrics have this line. */
  private static void awaitMetric(ParleyProcess node, String line) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Api api = new Api(node.baseUrl());
    while (!api.get("/metrics").body().contains(line)) {
      if (System.nanoTime() > deadline) throw new AssertionError(node.baseUrl() + " never had " + line);
      Thread.sleep(200);
    }
  }

  /**
   * One cluster's life, so that its nodes start once (a node's start, Hazelcast's join included, is 8-9 s of the
   * CI machine's two cores): two nodes, a third joining, one of them killed, a late one joining.
   */
  @Test
  void aClusterThatGrowsLosesANodeAndTakesALateOneDeliversEveryEventOnceAndInOrder() throws Exception {
    String cluster = "it-" + UUID.randomUUID().toString().substring(0, 8);
    List<ParleyProcess> nodes = new ArrayList<>();
    try {
      nodes.add(node("cluster-a", cluster, 5911));
      nodes.add(node("cluster-b", cluster, 5911));
      awaitMembers(nodes);
      aModeratorBannedOnOneNodeIsSentNothingOfItOnAnother(nodes);
      everyEventReachesEverySubscriberOnEveryNodeOnceAndInOrderAsNodesJoin(cluster, nodes);
      aNodeKilledMidStreamCostsItsReadersNothingAndALateNodeServesTheWholeHistory(cluster, nodes);
      // All of them share one cluster, for a minute and more of beats: none says another serves from the database
      // outside it (the roster's ids are the cluster's own), nor counts the killed node's row, which stopped moving.
      for (ParleyProcess node : nodes) {
        assertFalse(node.log().contains("outside this node's cluster"), node.log());
        // Nor did a survivor's caches stand aside for the killed node's row, fresh after the cluster dropped it.
        assertFalse(node.log().contains("caches stand aside"), node.log());
      }
      try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
           ResultSet rows = s.executeQuery("SELECT count(*) FROM node_roster WHERE cluster = '" + cluster
               + "' AND seen_at > started_at")) {
        rows.next();
        assertTrue(rows.getLong(1) >= 2, "the nodes beat, and looked: " + rows.getLong(1));
      }
    } finally {
      for (ParleyProcess node : nodes) node.close();
    }
  }

  /**
   * A moderator banned through one node, following the moderators' topic on another: the ban's own entry on that
   * topic reached them there before their subscription was revoked (a review of two nodes, 3 runs of 4), because the
   * account change went out after the events. Three rounds, the ban lifted between them.
   */
  private void aModeratorBannedOnOneNodeIsSentNothingOfItOnAnother(List<ParleyProcess> nodes) throws Exception {
    Api a = new Api(nodes.get(0).baseUrl());
    Api.Session admin = a.register("ban_admin");
    Api.Session mod = a.register("ban_mod");
    sql("UPDATE users SET role = 'admin' WHERE id = " + admin.id());
    sql("UPDATE users SET role = 'moderator' WHERE id = " + mod.id());
    for (int round = 0; round < 3; round++) {
      try (Recorder r = Recorder.open("banned-" + round, nodes.get(1).port())) {
        r.register("parley.mod", mod.token(), 0L);
        r.awaitResync("parley.mod", 30);
        assertEquals(204, a.post("/api/mod/users/ban_mod/ban", admin, new JsonObject().put("reason", "round " + round))
            .status());
        r.awaitError("access_revoked", 30);
        assertFalse(r.received("parley.mod").stream().anyMatch(e -> e.endsWith(" user.banned")),
            "round " + round + ": the ban's entry reached the banned moderator: " + r.received("parley.mod"));
      }
      assertEquals(204, a.delete("/api/mod/users/ban_mod/ban", admin).status());
    }
  }

  /** With two nodes up, in {@code nodes}: adds a third. */
  private void everyEventReachesEverySubscriberOnEveryNodeOnceAndInOrderAsNodesJoin(String cluster,
      List<ParleyProcess> nodes) throws Exception {
    List<Recorder> recorders = new ArrayList<>();
    try {
      List<Api> apis = new ArrayList<>(List.of(new Api(nodes.get(0).baseUrl()), new Api(nodes.get(1).baseUrl())));

      Api.Session alice = apis.get(0).register("alice");
      Api.Session bob = apis.get(1).register("bob");
      Api.Session mod = apis.get(0).register("mod");
      sql("UPDATE users SET role = 'moderator' WHERE id = " + mod.id());
      long post = apis.get(0).createPost(alice, "Across the cluster");
      apis.get(1).comment(bob, post, "first", null);
      String thread = "parley.post." + post;
      String mine = "parley.user." + alice.id();

      // One reader per node on each kind of topic: the thread and alice's own topic replayed from the start, the
      // feed and the moderators' topic live from the resync that acknowledges them.
      // A live subscription starts somewhere between the heads before it was asked for and the heads once it is
      // acknowledged: an event committed just before may still be on its way to the node and arrive.
      Map<String, Long> earliest = Map.of("parley.feed", maxSeq("parley.feed"), "parley.mod", maxSeq("parley.mod"));
      Map<String, Long> from = new LinkedHashMap<>();
      for (ParleyProcess node : nodes) recorders.add(subscribe(node, post, alice, mod));
      from.put(thread, 0L);
      from.put(mine, 0L);
      from.put("parley.feed", maxSeq("parley.feed"));
      from.put("parley.mod", maxSeq("parley.mod"));

      // Writes through every node in turn, each waiting only for its own acknowledgement.
      List<Long> comments = writeRound(apis, post, alice, bob, 24);

      // A third node joins; its readers start live (since the heads now), and the writes go on through all three.
      nodes.add(node("cluster-c", cluster, 5911));
      awaitMembers(nodes);
      apis.add(new Api(nodes.get(2).baseUrl()));
      Map<String, Long> lateEarliest = Map.of("parley.feed", maxSeq("parley.feed"), "parley.mod",
          maxSeq("parley.mod"));
      Recorder late = subscribe(nodes.get(2), post, alice, mod);
      recorders.add(late);
      // Its thread and user readers replay from 0 like the others; its feed and moderators' readers are live from now.
      Map<String, Long> lateFrom = Map.of(thread, 0L, mine, 0L,
          "parley.feed", maxSeq("parley.feed"), "parley.mod", maxSeq("parley.mod"));
      List<Long> lateComments = writeRound(apis, post, alice, bob, 36);
      comments.addAll(lateComments);

      for (Recorder r : recorders) {
        Map<String, Long> start = r == late ? lateFrom : from;
        Map<String, Long> floor = r == late ? lateEarliest : earliest;
        for (String topic : List.of(thread, mine, "parley.feed", "parley.mod")) {
          long after = start.get(topic);
          if (floor.containsKey(topic)) {
            // Live topics: from what preceded the first event received, which must lie between the two heads.
            r.awaitCount(topic, logged(topic, after).size(), 30);
            List<String> got = r.received(topic);
            long first = got.isEmpty() ? Long.MAX_VALUE : Long.parseLong(got.get(0).split(" ")[0]);
            long preceding = floor.get(topic);
            for (String e : logged(topic, floor.get(topic))) {
              long seq = Long.parseLong(e.split(" ")[0]);
              if (seq < first) preceding = seq;
            }
            assertTrue(preceding <= after, r.name + " on " + topic + " missed events committed after it subscribed");
            after = preceding;
          }
          List<String> expected = logged(topic, after);
          if (topic.equals("parley.mod")) {
            // The log keeps all but the moderators' copies of new comments, which are numbered and published only.
            List<Long> written = r == late ? lateComments : comments;
            r.awaitCount(topic, expected.size() + written.size(), 30);
            List<String> got = r.received(topic);
            assertEquals(expected, got.stream().filter(e -> !e.endsWith(" comment.created")).toList(),
                r.name + " on " + topic + ": every stored event once, in order");
            assertEquals(written, r.commentIds(topic), r.name + " on " + topic + ": every new comment once, in order");
            List<Long> seqs = got.stream().map(e -> Long.parseLong(e.split(" ")[0])).toList();
            assertEquals(seqs.stream().sorted().distinct().toList(), seqs, r.name + " on " + topic + ": seqs rise");
            continue;
          }
          r.awaitCount(topic, expected.size(), 30);
          assertEquals(expected, r.received(topic), r.name + " on " + topic + ": every event once, in order");
        }
        assertTrue(r.errors.isEmpty(), r.name + " got errors: " + r.errors);
      }
      // The stream carried what was written: every comment is on the thread.
      List<Long> onThread = recorders.get(0).commentIds(thread);
      assertTrue(onThread.containsAll(comments), "all " + comments.size() + " comments on the thread");

      for (ParleyProcess node : nodes) assertJsonLogs(node);
    } finally {
      for (Recorder r : recorders) r.close();
    }
  }

  /** Posts, comments and replies through each node in turn; returns the comments' ids. */
  private static List<Long> writeRound(List<Api> apis, long post, Api.Session alice, Api.Session bob, int writes) {
    List<Long> comments = new ArrayList<>();
    for (int i = 0; i < writes; i++) {
      Api api = apis.get(i % apis.size());
      switch (i % 4) {
        // a comment on alice's post: thread, feed stats, moderators, and alice's own topic
        case 0, 1 -> comments.add(api.comment(bob, post, "bob " + i, null));
        case 2 -> comments.add(api.comment(alice, post, "alice " + i, null));
        // a new post: the feed and the moderators
        default -> api.createPost(alice, "Post " + i);
      }
    }
    return comments;
  }

  private Recorder subscribe(ParleyProcess node, long post, Api.Session alice, Api.Session mod) throws Exception {
    Recorder r = Recorder.open(node.baseUrl().replace("http://127.0.0.1:", "node:"), node.port());
    r.register("parley.post." + post, null, 0L);
    r.register("parley.user." + alice.id(), alice.token(), 0L);
    r.register("parley.feed", null, 0L);
    r.register("parley.mod", mod.token(), 0L);
    // Live once the feed and moderators' resyncs arrive and the replays have delivered what the log holds.
    r.awaitResync("parley.feed", 30);
    r.awaitResync("parley.mod", 30);
    r.awaitCount("parley.post." + post, logged("parley.post." + post, 0).size(), 30);
    r.awaitCount("parley.user." + alice.id(), logged("parley.user." + alice.id(), 0).size(), 30);
    return r;
  }

  /** With three nodes up, in {@code nodes}: kills the first and adds a late one. */
  private void aNodeKilledMidStreamCostsItsReadersNothingAndALateNodeServesTheWholeHistory(String cluster,
      List<ParleyProcess> nodes) throws Exception {
    List<Follower> followers = new ArrayList<>();
    try {
      assertEquals(3, nodes.size());
      ParleyProcess victim = nodes.get(0);
      Api b = new Api(nodes.get(1).baseUrl());
      Api c = new Api(nodes.get(2).baseUrl());
      Api.Session author = b.register("author");
      Api.Session writer = c.register("writer");
      long post = b.createPost(author, "A thread that outlives a node");
      String topic = "parley.post." + post;

      // Ten readers on each node; each moves on to the next node when its socket closes.
      int[] ports = nodes.stream().mapToInt(ParleyProcess::port).toArray();
      List<CompletableFuture<Void>> opened = new ArrayList<>();
      for (int n = 0; n < 3; n++) {
        for (int i = 0; i < 10; i++) {
          int[] order = {ports[n], ports[(n + 1) % 3], ports[(n + 2) % 3]};
          Follower f = new Follower(vertx, sockets, topic, 0, order);
          followers.add(f);
          opened.add(f.connect());
        }
      }
      CompletableFuture.allOf(opened.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

      // A steady stream of comments through all three nodes; the first node is killed a second in.
      Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger refused = new AtomicInteger();
      AtomicBoolean killed = new AtomicBoolean();
      List<Api> writeTo = List.of(new Api(victim.baseUrl()), b, c);
      for (int i = 0; i < 150; i++) {
        if (i == 40) {
          victim.kill();
          killed.set(true);
        }
        Api api = writeTo.get(i % 3);
        if (killed.get() && api == writeTo.get(0)) api = b;
        try {
          Api.Response r = api.post("/api/posts/" + post + "/comments", writer,
              new JsonObject().put("body", "comment " + i));
          if (r.status() == 201) acknowledged.add(r.json().getLong("id"));
          else refused.incrementAndGet();
        } catch (IllegalStateException e) {
          refused.incrementAndGet();  // the node died under this request: it may or may not have committed
        }
        Thread.sleep(20);  // pacing: about 40 comments a second, so the kill lands mid-stream
      }
      nodes.remove(victim);
      victim.close();

      // A node that joins late, after all that, serves the whole history from the log to a new reader.
      ParleyProcess late = node("cluster-late", cluster, 5911);
      nodes.add(late);
      awaitMembers(nodes);
      Follower newcomer = new Follower(vertx, sockets, topic, 0, late.port());
      followers.add(newcomer);
      newcomer.connect().get(30, TimeUnit.SECONDS);
      // And what is written through it reaches the readers on the older nodes.
      long last = new Api(late.baseUrl()).comment(writer, post, "written on the late node", null);
      acknowledged.add(last);

      List<String> log = logged(topic, 0);
      Set<Long> all = new java.util.HashSet<>();
      for (String line : log) all.add(Long.parseLong(line.split(" ")[0]));
      List<Long> committedComments = new ArrayList<>();
      try (Connection conn = database.dataSource().getConnection(); Statement s = conn.createStatement();
           ResultSet rows = s.executeQuery("SELECT id FROM comments WHERE post_id = " + post + " ORDER BY id")) {
        while (rows.next()) committedComments.add(rows.getLong(1));
      }
      assertTrue(committedComments.containsAll(acknowledged), "every acknowledged comment is stored");

      for (Follower f : followers) {
        f.awaitComments(Set.copyOf(committedComments)).get(60, TimeUnit.SECONDS);
        assertEquals(log.size(), f.events.size(), "every event of the thread, no more: " + f.history);
        assertEquals(all, f.events.keySet(), "no gap");
        assertEquals(0, f.duplicates.get(), "nothing twice");
        assertEquals(log.size(), f.lastContiguousSeq(), "contiguous from 1");
      }
      for (int i = 0; i < 10; i++) {
        assertTrue(followers.get(i).reconnects.get() >= 1, "the killed node's readers moved: " + followers.get(i).history);
      }
    } finally {
      for (Follower f : followers) f.stop();
    }
  }

  /** Every line a node logged is one JSON object (PARLEY_LOG_FORMAT=json), access lines carry the request id. */
  private static void assertJsonLogs(ParleyProcess node) throws Exception {
    List<String> lines = node.log().lines().filter(l -> !l.isBlank()).toList();
    assertTrue(lines.size() > 10, "the node logged");
    boolean accessLine = false;
    for (String line : lines) {
      JsonObject json;
      try {
        json = new JsonObject(line);
      } catch (RuntimeException e) {
        throw new AssertionError("not a JSON line: " + line, e);
      }
      assertTrue(json.containsKey("timestamp") && json.containsKey("level"), line);
      if ("parley.access".equals(json.getString("loggerName"))) {
        accessLine = true;
        assertTrue(json.encode().contains("\"requestId\""), "the request id is a field: " + line);
      }
    }
    assertTrue(accessLine, "access lines are JSON too");
  }

  /** One socket on one node with several registrations; every frame recorded by topic, in arrival order. */
  private static final class Recorder implements AutoCloseable {
    final String name;
    final List<String> errors = new ArrayList<>();
    private final Map<String, List<JsonObject>> frames = new HashMap<>();
    private final WebSocket ws;
    private final long pinger;

    private Recorder(String name, WebSocket ws) {
      this.name = name;
      this.ws = ws;
      ws.textMessageHandler(this::frame);
      ws.binaryMessageHandler(bytes -> frame(bytes.toString()));
      pinger = vertx.setPeriodic(5_000, id -> ws.writeTextMessage("{\"type\":\"ping\"}"));
    }

    static Recorder open(String name, int port) throws Exception {
      WebSocket ws = sockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
          .setURI("/eventbus/websocket")).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new Recorder(name, ws);
    }

    void register(String topic, String token, Long since) {
      JsonObject headers = new JsonObject().put("since", since);
      if (token != null) headers.put("token", token);
      ws.writeTextMessage(new JsonObject().put("type", "register").put("address", topic).put("headers", headers)
          .encode());
    }

    private synchronized void frame(String text) {
      JsonObject frame = new JsonObject(text);
      if (!"rec".equals(frame.getString("type"))) {
        errors.add(text);
      } else {
        frames.computeIfAbsent(frame.getString("address"), k -> new ArrayList<>()).add(frame.getJsonObject("body"));
      }
      notifyAll();
    }

    /** The events (not resyncs) received on a topic, as "seq type", in arrival order. */
    synchronized List<String> received(String topic) {
      return frames.getOrDefault(topic, List.of()).stream()
          .filter(e -> !"resync".equals(e.getString("type")))
          .map(e -> e.getLong("seq") + " " + e.getString("type")).toList();
    }

    synchronized List<Long> commentIds(String topic) {
      return frames.getOrDefault(topic, List.of()).stream()
          .filter(e -> "comment.created".equals(e.getString("type")))
          .map(e -> e.getJsonObject("data").getLong("id")).toList();
    }

    synchronized void awaitCount(String topic, int count, int seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (received(topic).size() < count) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError(name + " has " + received(topic).size() + " of " + count + " events on " + topic
              + "; errors " + errors);
        }
        wait(left);
      }
    }

    synchronized void awaitError(String text, int seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (errors.stream().noneMatch(e -> e.contains(text))) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) throw new AssertionError(name + " got no " + text + "; errors " + errors);
        wait(left);
      }
    }

    synchronized void awaitResync(String topic, int seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (frames.getOrDefault(topic, List.of()).stream().noneMatch(e -> "resync".equals(e.getString("type")))) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) throw new AssertionError(name + " got no resync on " + topic + "; errors " + errors);
        wait(left);
      }
    }

    @Override
    public void close() {
      vertx.cancelTimer(pinger);
      ws.close();
    }
  }
}
