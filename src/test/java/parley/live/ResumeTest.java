package parley.live;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;
import parley.events.EventLog;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nothing is lost across a reconnect: replay from the log, resync past retention, SSE's Last-Event-ID. */
@ExtendWith(TestParley.class)
class ResumeTest {

  private final Api api = Api.local();

  private static List<Long> commentIdsInOrder(long postId) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT id FROM comments WHERE post_id = " + postId + " ORDER BY id")) {
      while (rs.next()) ids.add(rs.getLong(1));
    }
    return ids;
  }

  @Test
  void aSubscriberThatDropsDuringABurstOf1000CommentsResumesWithExactlyTheCommittedOnes() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Busy thread");
    String topic = "parley.post." + post;
    int total = 1000;
    int writers = 4;
    // seq -> comment id, as the reader saw them; a map de-duplicates by seq like any client must.
    Map<Long, Long> seen = new LinkedHashMap<>();
    int duplicates = 0;

    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<?>> writing = new ArrayList<>();
    try (LiveClient first = LiveClient.connect()) {
      first.register(topic, null, 0L);
      for (int w = 0; w < writers; w++) {
        int writer = w;
        writing.add(pool.submit(() -> {
          for (int i = 0; i < total / writers; i++) api.comment(alice, post, "w" + writer + " #" + i, null);
        }));
      }
      // Read a third of the burst, then drop the connection mid-stream.
      while (seen.size() < total / 3) {
        JsonObject event = first.nextEvent(topic);
        if (seen.put(event.getLong("seq"), event.getJsonObject("data").getLong("id")) != null) duplicates++;
      }
    }
    long resumeFrom = seen.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
    try (LiveClient second = LiveClient.connect()) {
      second.register(topic, null, resumeFrom);
      long expectedLast = total;
      long last = resumeFrom;
      while (last < expectedLast) {
        JsonObject event = second.nextEvent(topic);
        long seq = event.getLong("seq");
        assertEquals(last + 1, seq, "resumed stream is gap-free and in order");
        last = seq;
        if (seen.put(seq, event.getJsonObject("data").getLong("id")) != null) duplicates++;
      }
    }
    for (Future<?> f : writing) f.get(60, TimeUnit.SECONDS);
    pool.shutdown();

    List<Long> committed = commentIdsInOrder(post);
    assertEquals(total, committed.size());
    List<Long> received = new ArrayList<>();
    for (long seq = 1; seq <= total; seq++) received.add(seen.get(seq));
    assertEquals(committed, received, "exactly the committed comments, in commit order, none missing");
    assertEquals(0, duplicates, "the server sends each seq once per subscription");
  }

  /** Flushes of bridge sockets' writes to the network so far, on the test server (tests run one at a time). */
  private double socketFlushes() {
    String scrape = api.get("/metrics").body();
    Matcher m = Pattern.compile("^parley_live_socket_flushes_total\\{transport=\"bridge\"} (\\S+)$", Pattern.MULTILINE)
        .matcher(scrape);
    assertTrue(m.find(), "no flush counter in:\n" + scrape);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void aResumeOf100MissedEventsArrivesCompleteAndInOrderInOneWriteToTheNetwork() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Missed while away");
    String topic = "parley.post." + post;
    for (int i = 0; i < 100; i++) api.comment(alice, post, "missed " + i, null);
    try (LiveClient back = LiveClient.connect()) {
      double before = socketFlushes();
      back.register(topic, null, 0L);
      List<JsonObject> replay = back.nextEvents(topic, 100);
      double flushes = socketFlushes() - before;
      assertEquals(LongStream.rangeClosed(1, 100).boxed().toList(), replay.stream().map(e -> e.getLong("seq")).toList(),
          "every missed event, in order, once");
      assertEquals(commentIdsInOrder(post), replay.stream().map(e -> e.getJsonObject("data").getLong("id")).toList());
      // The page is written as one burst and flushed once (a flush per event made a storm of resumes CPU-bound); the
      // margin is for a socket of an earlier test whose close is still being answered.
      assertTrue(flushes <= 5, "the replay of 100 events took " + flushes + " flushes");
      long live = api.comment(alice, post, "back live", null);
      JsonObject next = back.nextEvent(topic);
      assertEquals(101, next.getLong("seq"), "live again after the replay, with no duplicate before it");
      assertEquals(live, next.getJsonObject("data").getLong("id"));
    }
  }

  /**
   * A page of the log is bounded in bytes as well as in events, so a reader replaying a thread of long comments
   * holds a page of about {@link EventLog#PAGE_BYTES}, not 500 long events; the replay still brings every event, in
   * order, page after page, and then the live ones.
   */
  @Test
  void aReplayOfLongCommentsComesInPagesBoundedInBytesAndLosesNothing() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Long comments");
    String topic = "parley.post." + post;
    String longBody = "\u0436".repeat(9_000);  // two bytes each in UTF-8, in the event's body and again in its HTML
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) ids.add(api.comment(alice, post, i + " " + longBody, null));

    EventLog log = new EventLog(TestParley.server().running().vertx(), TestParley.server().running().database().pool());
    EventLog.Page page = log.readAfter(topic, 0, 500).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    int bytes = page.events().stream().mapToInt(e -> e.envelope().getBytes(StandardCharsets.UTF_8).length).sum();
    int largest = page.events().stream().mapToInt(e -> e.envelope().getBytes(StandardCharsets.UTF_8).length).max()
        .orElseThrow();
    assertTrue(page.events().size() < 12, "a page of " + page.events().size() + " long events, " + bytes + " bytes");
    assertTrue(bytes <= EventLog.PAGE_BYTES + 2 * largest, bytes + " bytes in one page");
    assertTrue(page.more(), "a page cut by its size says the log may hold more");
    EventLog.Page rest = log.readAfter(topic, 12, 500).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertFalse(rest.more(), "the end of the log is not cut");

    try (LiveClient back = LiveClient.connect()) {
      back.register(topic, null, 0L);
      List<JsonObject> replay = back.nextEvents(topic, 12);
      assertEquals(LongStream.rangeClosed(1, 12).boxed().toList(), replay.stream().map(e -> e.getLong("seq")).toList(),
          "every event, in order, once, over several pages");
      assertEquals(ids, replay.stream().map(e -> e.getJsonObject("data").getLong("id")).toList());
      long live = api.comment(alice, post, "short and live", null);
      JsonObject next = back.nextEvent(topic);
      assertEquals(13, next.getLong("seq"), "live after the last page, with no duplicate before it");
      assertEquals(live, next.getJsonObject("data").getLong("id"));
    }
  }

  @Test
  void resumingFromBeforeTheRetainedLogGetsAResyncThenTheNewEvents() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Old thread");
    String topic = "parley.post." + post;
    for (int i = 0; i < 10; i++) api.comment(alice, post, "c" + i, null);
    EventLog log = new EventLog(TestParley.server().running().vertx(), TestParley.server().running().database().pool());
    long pruned = log.prune(Duration.ZERO, 3).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(pruned >= 7, "pruned " + pruned);

    try (LiveClient stale = LiveClient.connect(); LiveClient recent = LiveClient.connect()) {
      stale.register(topic, null, 2L);
      JsonObject resync = stale.nextEvent(topic);
      assertEquals("resync", resync.getString("type"));
      assertEquals(10, resync.getLong("seq"), "the resync says where the log stands");

      recent.register(topic, null, 8L);
      assertEquals(List.of(9L, 10L), recent.nextEvents(topic, 2).stream().map(e -> e.getLong("seq")).toList(),
          "a resume point still in the log is replayed");

      long fresh = api.comment(alice, post, "after the resync", null);
      JsonObject next = stale.nextEvent(topic);
      assertEquals(11, next.getLong("seq"));
      assertEquals(fresh, next.getJsonObject("data").getLong("id"));
    }
  }

  @Test
  void aResumePointFromTheFutureGetsAResync() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    api.comment(alice, post, "one", null);
    try (LiveClient client = LiveClient.connect()) {
      client.register("parley.post." + post, null, 99L);
      JsonObject resync = client.nextEvent("parley.post." + post);
      assertEquals("resync", resync.getString("type"));
      assertEquals(1, resync.getLong("seq"));
    }
  }

  @Test
  void sseResumesAfterLastEventIdWithTheSameEvents() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) ids.add(api.comment(alice, post, "c" + i, null));

    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create(api.baseUrl() + "/api/posts/" + post + "/events"))
        .header("Last-Event-ID", "2").build();
    HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      List<JsonObject> events = new ArrayList<>();
      List<String> idLines = new ArrayList<>();
      boolean heartbeat = false;
      long live = -1;
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("id: ")) idLines.add(line.substring(4));
        if (line.startsWith(": heartbeat")) heartbeat = true;
        if (line.startsWith("data: ")) {
          events.add(new JsonObject(line.substring(6)));
          if (events.size() == 3) live = api.comment(alice, post, "live one", null);
        }
        if (events.size() == 4 && heartbeat) break;
      }
      assertEquals(List.of("3", "4", "5", "6"), idLines, "the event id is the seq, resuming right after 2");
      assertEquals(List.of(ids.get(2), ids.get(3), ids.get(4), live),
          events.stream().map(e -> e.getJsonObject("data").getLong("id")).toList());
      assertEquals("comment.created", events.get(0).getString("type"));
      assertTrue(heartbeat, "heartbeats keep idle streams open");
    }
  }

  @Test
  void aReplayNeverBringsBackADeletedOrHiddenCommentsWords() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    long post = api.createPost(alice, "Thread");
    long deleted = api.comment(alice, post, "words I took back", null);
    long hidden = api.comment(alice, post, "words first written", null);
    // Edited: the moderators' copy of the edit (their copy of a new comment is published, never stored) is kept.
    assertEquals(200, api.patch("/api/comments/" + hidden, alice,
        new JsonObject().put("body", "words a moderator removed")).status());
    api.delete("/api/comments/" + deleted, alice);
    assertEquals(204, api.post("/api/mod/comments/" + hidden + "/hide", mod, new JsonObject().put("reason", "rude")).status());
    String topic = "parley.post." + post;
    try (LiveClient late = LiveClient.connect()) {
      late.register(topic, null, 0L);
      List<JsonObject> replay = late.nextEvents(topic, 5);
      String all = replay.toString();
      assertTrue(!all.contains("words I took back") && !all.contains("words a moderator removed")
          && !all.contains("words first written"), all);
      assertEquals(List.of("comment.created", "comment.created", "comment.edited", "comment.deleted", "comment.hidden"),
          replay.stream().map(e -> e.getString("type")).toList(), "every event keeps its place and seq");
      assertEquals(Boolean.TRUE, replay.get(0).getJsonObject("data").getBoolean("removed"));
    }
    assertEquals(0, TestParley.count("SELECT count(*) FROM events WHERE topic <> 'parley.mod' "
        + "AND (data::text LIKE '%took back%' OR data::text LIKE '%moderator removed%')"), "readers' copies are erased");
    assertEquals(0, TestParley.count("SELECT count(*) FROM events WHERE data::text LIKE '%took back%'"),
        "a deleted comment is erased from the moderators' copies too");
    assertEquals(1, TestParley.count("SELECT count(*) FROM events WHERE topic = 'parley.mod' "
        + "AND data::text LIKE '%moderator removed%'"), "moderators keep seeing what they hid");
    assertEquals(0, TestParley.count("SELECT count(*) FROM events WHERE type = 'comment.created' "
        + "AND topic = 'parley.mod'"), "the moderators' copy of a new comment is never stored");
  }

  /**
   * A member's own topic stays open to them when a thread is hidden or deleted: the replies they were sent there from
   * it are erased as the thread's own copies are (a probe, 2026-12-05: a replay from 0 brought back a reply in a
   * thread that was a 404 to them over REST).
   */
  @Test
  void aReplayOnAMembersOwnTopicNeverBringsBackRepliesFromAThreadHiddenOrDeleted() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session mod = api.registerWithRole("mod", "moderator");
    long hiddenPost = api.createPost(carol, "Soon hidden");
    long deletedPost = api.createPost(carol, "Soon deleted");
    long keptPost = api.createPost(carol, "Kept");
    for (long post : new long[] {hiddenPost, deletedPost, keptPost}) {
      long mine = api.comment(alice, post, "alice's comment", null);
      api.comment(bob, post, "SECRET reply on " + post, mine);
    }
    TestParley.notificationsMade();
    assertEquals(204, api.post("/api/mod/posts/" + hiddenPost + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    assertEquals(204, api.delete("/api/posts/" + deletedPost, carol).status());
    String topic = "parley.user." + alice.id();
    try (LiveClient late = LiveClient.connect()) {
      late.register(topic, alice.token(), 0L);
      // (Their notifications' events carry only ids, and those of a thread they may not read are not delivered.)
      List<JsonObject> replay = new java.util.ArrayList<>();
      while (replay.stream().filter(e -> "reply.created".equals(e.getString("type"))).count() < 3) {
        replay.add(late.nextEvent(topic));
      }
      List<JsonObject> replies = replay.stream().filter(e -> "reply.created".equals(e.getString("type"))).toList();
      assertEquals(3, replies.size(), replay.toString());
      String all = replay.toString();
      assertFalse(all.contains("SECRET reply on " + hiddenPost) || all.contains("SECRET reply on " + deletedPost), all);
      assertTrue(all.contains("SECRET reply on " + keptPost), "a reply in a thread still there is kept: " + all);
      for (int i = 0; i < 2; i++) {
        JsonObject data = replies.get(i).getJsonObject("data");
        assertEquals(Boolean.TRUE, data.getBoolean("removed"), data.encode());
        assertNotNull(data.getLong("id"), "keeps its ids: " + data.encode());
        assertNotNull(data.getLong("postId"), "keeps its ids: " + data.encode());
      }
    }
    // Their author and the moderators may still read a hidden thread, on its own topic: those copies stay.
    assertEquals(1, TestParley.count("SELECT count(*) FROM events WHERE topic = 'parley.post." + hiddenPost
        + "' AND data::text LIKE '%SECRET reply%'"));
  }

  /**
   * Earlier versions of a post or comment are shown only to its author and the moderators; a replay from before an
   * edit brought the words its author took out back to anyone (a probe, 2026-12-05). Each earlier copy now carries
   * the latest version, in its place.
   */
  @Test
  void aReplayFromBeforeAnEditBringsOnlyTheEditedWords() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Title with MY HOME ADDRESS");
    long parent = api.comment(alice, post, "a comment to reply to", null);
    long comment = api.comment(bob, post, "SECRET first version", parent);
    assertEquals(200, api.patch("/api/comments/" + comment, bob, new JsonObject().put("body", "second version"))
        .status());
    assertEquals(200, api.patch("/api/comments/" + comment, bob, new JsonObject().put("body", "third version"))
        .status());
    assertEquals(200, api.patch("/api/posts/" + post, alice, new JsonObject().put("title", "A better title")
        .put("body", "Body without it")).status());
    TestParley.notificationsMade();
    for (String topic : List.of("parley.post." + post, "parley.user." + alice.id())) {
      try (LiveClient late = LiveClient.connect()) {
        late.register(topic, topic.startsWith("parley.user.") ? alice.token() : null, 0L);
        int stored = (int) TestParley.count("SELECT count(*) FROM events WHERE topic = '" + topic
            + "' AND type NOT LIKE 'notification%'");
        List<JsonObject> replay = new java.util.ArrayList<>();
        while (replay.size() < stored) {
          JsonObject event = late.nextEvent(topic);
          if (!event.getString("type").startsWith("notification")) replay.add(event);
        }
        String all = replay.toString();
        assertFalse(all.contains("SECRET first version") || all.contains("second version")
            || all.contains("MY HOME ADDRESS"), topic + ": " + all);
        assertTrue(all.contains("third version"), topic + ": " + all);
        if (!topic.startsWith("parley.user.")) assertTrue(all.contains("A better title"), topic + ": " + all);
      }
    }
    // The feed is not replayed (a resume there is a resync), but its stored copies feed the webhooks: renewed too, in
    // the feed's shape (an excerpt, no body).
    assertEquals(0, TestParley.count("SELECT count(*) FROM events WHERE topic = 'parley.feed' "
        + "AND (data::text LIKE '%MY HOME ADDRESS%' OR data::text LIKE '%\"body\"%')"));
    assertEquals(2, TestParley.count("SELECT count(*) FROM events WHERE topic = 'parley.feed' "
        + "AND data::text LIKE '%A better title%'"), "post.created and post.edited");
    // The moderators read every version, as they do over REST.
    assertTrue(TestParley.count("SELECT count(*) FROM events WHERE topic = 'parley.mod' "
        + "AND data::text LIKE '%second version%'") > 0);
  }

  @Test
  void sseAcceptsSinceInTheQueryAndRefusesNonsense() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    assertEquals(400, api.get("/api/posts/" + post + "/events?since=soon").status());
    // A string of ASCII digits and nothing else: no sign, no spaces, no other script's digits.
    for (String lenient : List.of("%2B1", "%201", "%D9%A1", "%EF%BC%90", "1.0", "99999999999999999999")) {
      assertEquals(400, api.get("/api/posts/" + post + "/events?since=" + lenient).status(), lenient);
    }
    // A number too large is told so, not that it is no whole number (a probe found the old wording).
    Api.Response huge = api.get("/api/posts/" + post + "/events?since=9223372036854775808");
    assertEquals(400, huge.status());
    assertEquals("must be a whole number from 0 to 9223372036854775807",
        huge.json().getJsonArray("errors").getJsonObject(0).getString("message"), huge.toString());
    assertEquals(200, api.raw("HEAD", "/api/posts/" + post + "/events?since=0", null, null, null).status());
    assertEquals(404, api.get("/api/posts/999999/events").status());
    assertEquals("application/problem+json", api.get("/api/posts/999999/events").contentType());
    // HEAD answers as GET would, the checks included, without opening a stream.
    double streams = openStreams();
    Api.Response head = api.raw("HEAD", "/api/posts/" + post + "/events", null, null, null);
    assertEquals(200, head.status());
    assertEquals("text/event-stream; charset=utf-8", head.contentType());
    assertTrue(openStreams() <= streams, "no stream was opened by a HEAD");
    for (String refused : List.of("/api/posts/999999/events", "/api/posts/" + post + "/events?since=soon",
        "/api/posts/0x1/events", "/api/posts/" + post + "/events?since=-1")) {
      assertEquals(api.get(refused).status(), api.raw("HEAD", refused, null, null, null).status(), "HEAD " + refused);
    }
    assertEquals(404, api.raw("HEAD", "/api/posts/999999/events", null, null, null).status());
  }

  /**
   * A stream the server ends (its token revoked) is counted closed and stops its heartbeat at once, though the
   * client keeps the connection for its next request: before, only the connection's close ended it, and the next
   * request on the connection took that handler, so each such stream was kept for good.
   */
  @Test
  void aStreamTheServerEndsIsClosedThoughTheConnectionStaysForTheNextRequest() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Kept alive");
    double before = openStreams();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", URI.create(api.baseUrl()).getPort())) {
      socket.setSoTimeout(10_000);
      String request = "GET /api/posts/" + post + "/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
          + alice.token() + "\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      java.io.InputStream in = socket.getInputStream();
      StringBuilder read = new StringBuilder();
      // The retry line is written once the stream is admitted (from the thread's seq then): a comment after it is
      // the stream's first event, which shows it is set up (the retry line is written before it is counted).
      readUntil(in, read, "retry: 2000");
      api.comment(alice, post, "first", null);
      readUntil(in, read, "comment.created");
      assertEquals(before + 1, openStreams());
      assertEquals(204, api.post("/api/auth/logout-all", alice, null).status());
      // The chunked body's last chunk: the server ended the response (and kept the connection).
      readUntil(in, read, "\r\n0\r\n\r\n");
      assertTrue(read.toString().contains("data: token_revoked"), read.toString());
      // Counted closed while the connection stays (before, only its close ended the stream: never, on a connection a
      // client keeps). The gauge has no completion to wait on: it is read until it drops, for at most 10 s.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (openStreams() > before && System.nanoTime() < deadline) Thread.sleep(5);
      assertEquals(before, openStreams(), "closed when the server ended it, not when the connection goes");
      assertFalse(socket.isClosed());
    }
  }

  /**
   * A node shutting down sends its live readers away at once with 1001 ("going away"), so they reconnect elsewhere
   * and resume with since, instead of holding a silent socket for the shutdown's grace and then a plain 1000.
   */
  @Test
  void aNodeShuttingDownSendsItsReadersAwayAtOnce() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    parley.Main.Running server = TestParley.startServer(Map.of(parley.config.AppConfig.PORT, Integer.toString(port)));
    Api own = new Api("http://localhost:" + port);
    Session alice = own.register("alice");
    long post = own.createPost(alice, "Going away");
    LiveClient reader = LiveClient.connect(port);
    try (java.net.Socket stream = new java.net.Socket("127.0.0.1", port)) {
      stream.setSoTimeout(20_000);
      stream.getOutputStream().write(("GET /api/posts/" + post + "/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      StringBuilder streamed = new StringBuilder();
      readUntil(stream.getInputStream(), streamed, "retry: 2000");
      reader.register("parley.post." + post, null, own.get("/api/posts/" + post).json().getLong("seq"));
      own.comment(alice, post, "before the stop", null);
      assertEquals("comment.created", reader.nextEvent("parley.post." + post).getString("type"), "following");
      readUntil(stream.getInputStream(), streamed, "comment.created");
      server.stop();
      assertEquals(1001, reader.awaitClose());
      // The event stream ends as a whole response, with its last chunk: it was cut, which curl and proxies report as
      // a truncated response (a rolling-restart probe).
      readUntil(stream.getInputStream(), streamed, "\r\n0\r\n\r\n");
    } finally {
      reader.close();
    }
  }

  /** Reads until {@code text} has come, for at most 20 s (heartbeats would keep a socket timeout from firing). */
  private static void readUntil(java.io.InputStream in, StringBuilder read, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!read.toString().contains(text)) {
      if (System.nanoTime() > deadline) throw new AssertionError("no \"" + text + "\" in: " + read);
      int c = in.read();
      if (c < 0) throw new AssertionError("closed before \"" + text + "\": " + read);
      read.append((char) c);
    }
  }

  private static double openStreams() throws Exception {
    return TestParley.gauge("parley_live_sse_streams");
  }
}
