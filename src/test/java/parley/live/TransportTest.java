package parley.live;

import ch.qos.logback.classic.Level;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.CapturedLog;
import parley.TestParley;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The WebSocket handshake's rules (Origin, compression) and what happens to a reader that stops reading. */
@ExtendWith(TestParley.class)
class TransportTest {

  private final Api api = Api.local();

  /**
   * A client that sends WebSocket pings and never reads the pongs is closed as a slow consumer once the socket's queue
   * is full, however high the frame limits (here lifted): the pongs it does not read are not held without bound.
   */
  @Test
  void aClientThatPingsAndReadsNoPongsIsClosedAsASlowConsumer() throws Exception {
    try (RawSocket pinger = new RawSocket(4096)) {
      assertEquals(101, pinger.status(), pinger.handshake);
      pinger.socket.setSendBufferSize(4096);
      byte[] payload = new byte[125];
      int sent = 0;
      try {
        // Far more pongs than the kernel's buffers and the socket's queue hold between them.
        for (; sent < 200_000; sent++) pinger.sendPing(payload);
      } catch (IOException closedMeanwhile) {
        // the server stopped reading them and closed: what the drain below finds
      }
      assertEquals(BridgeSink.SLOW_CONSUMER, pinger.drainUntilClose(), "after " + sent + " pings");
      assertTrue(pinger.pongs < sent, pinger.pongs + " pongs for " + sent + " pings");
    }
  }

  @Test
  void aSocketFromAForeignOriginIsRefused() throws Exception {
    try (RawSocket foreign = new RawSocket("Origin: http://evil.example")) {
      assertEquals(403, foreign.status(), foreign.handshake);
    }
    try (RawSocket own = new RawSocket("Origin: http://localhost:" + RawSocket.port())) {
      assertEquals(101, own.status(), own.handshake);
    }
    try (RawSocket listed = new RawSocket("Origin: http://allowed.example")) {
      assertEquals(101, listed.status(), "PARLEY_ALLOWED_ORIGINS is honoured");
    }
    // Parley's own origin only as a browser writes it (a probe: these were taken for it); no browser sends them.
    int port = RawSocket.port();
    for (String loose : List.of("http://user@localhost:" + port, "http://localhost:" + port + "/",
        "http://localhost:0" + port, "ftp://localhost:" + port, "http://localhost:" + port + "/x?y")) {
      try (RawSocket odd = new RawSocket("Origin: " + loose)) {
        assertEquals(403, odd.status(), loose);
      }
    }
    try (RawSocket noBrowser = new RawSocket()) {
      assertEquals(101, noBrowser.status(), "clients that are not browsers send no Origin");
    }
  }

  /**
   * The raw bridge address takes WebSocket upgrades only: anything else gets a problem (vertx-web's transport
   * answered these in plain text).
   */
  @Test
  void theWebSocketAddressesRefuseWhatIsNotAWebSocketUpgrade() throws Exception {
    // The raw address, and SockJS's WebSocket transport (the official client's).
    for (String address : List.of("/eventbus/websocket", "/eventbus/000/refused/websocket")) {
      Api.Response plain = api.get(address);
      assertEquals(400, plain.status(), address + " " + plain.body());
      assertEquals("application/problem+json", plain.headers().firstValue("content-type").orElse(""), address);
      assertTrue(plain.body().contains("WebSocket upgrades only"), plain.body());
      for (Api.Response other : List.of(api.post(address, null, new JsonObject()), api.delete(address, null))) {
        assertEquals(405, other.status(), address + " " + other.body());
        assertEquals("application/problem+json", other.headers().firstValue("content-type").orElse(""), other.body());
        assertEquals("GET", other.headers().firstValue("allow").orElse(""));
      }
      String upgrade = "GET " + address + " HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n"
          + "Upgrade: websocket\r\n";
      // HEAD is answered as GET elsewhere, but HTTP cannot upgrade it: a probe's reached the handshake, which
      // failed and logged an ERROR with its stack trace, one per request.
      try (parley.CapturedLog problems = new parley.CapturedLog(parley.http.ProblemHandler.class)) {
        parley.RawHttp.Reply head = parley.RawHttp.send(RawSocket.port(), upgrade.replaceFirst("GET", "HEAD")
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16])
            + "\r\nConnection: close\r\n\r\n");
        assertEquals(405, head.status(), head.toString());
        assertEquals("GET", head.header("allow"), head.toString());
        assertEquals(List.of(), problems.messages(), "nothing logged for a client's HEAD");
      }
      parley.RawHttp.Reply noKey = parley.RawHttp.send(RawSocket.port(),
          upgrade + "Sec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n");
      assertEquals(400, noKey.status(), noKey.toString());
      assertEquals("application/problem+json", noKey.header("content-type"), noKey.toString());
      parley.RawHttp.Reply badKey = parley.RawHttp.send(RawSocket.port(),
          upgrade + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %zz\u0000\r\nConnection: close\r\n\r\n");
      assertEquals(400, badKey.status(), badKey.toString());
      assertEquals("application/problem+json", badKey.header("content-type"), badKey.toString());
      parley.RawHttp.Reply oldDraft = parley.RawHttp.send(RawSocket.port(),
          upgrade + "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(new byte[16])
              + "\r\nConnection: close\r\n\r\n");
      assertEquals(426, oldDraft.status(), oldDraft.toString());
      assertEquals("application/problem+json", oldDraft.header("content-type"), oldDraft.toString());
      assertEquals("13", oldDraft.header("sec-websocket-version"), oldDraft.toString());
      assertTrue(oldDraft.body().contains("\"status\":426") && oldDraft.body().contains("version 13"), oldDraft.body());
      // An upgrade that announces a body and sends none of it is refused at once and closed, not held open for a
      // body that never comes (the read below ends only when the server closes; held open, it would time out).
      try (RawSocket withBody = new RawSocket(RawSocket.port(), address, 0, "Content-Length: 5")) {
        assertEquals(400, withBody.status(), withBody.handshake);
        withBody.socket.setSoTimeout(5_000); // under the 10 s body timeout that once closed it
        assertTrue(new String(withBody.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
            .contains("GET takes no request body."));
      }
    }
    // SockJS's iframe page, for transports that are off, and one that could not run here (CSP, X-Frame-Options).
    for (String page : List.of("/eventbus/iframe.html", "/eventbus/iframe-0.4.0.html")) {
      Api.Response iframe = api.get(page);
      assertEquals(404, iframe.status(), page + " " + iframe.body());
      assertEquals("application/problem+json", iframe.headers().firstValue("content-type").orElse(""), page);
    }
    try (RawSocket sockJs = new RawSocket("/eventbus/000/accepted/websocket", 65536)) {
      assertEquals(101, sockJs.status(), "a SockJS upgrade still opens: " + sockJs.handshake);
    }
    try (RawSocket socket = new RawSocket()) {
      assertEquals(101, socket.status(), "an upgrade still opens: " + socket.handshake);
    }
  }

  @Test
  void compressionIsNotNegotiatedEvenWhenTheClientAsks() throws Exception {
    try (RawSocket socket = new RawSocket("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")) {
      assertEquals(101, socket.status(), socket.handshake);
      assertFalse(socket.handshake.toLowerCase(Locale.ROOT).contains("sec-websocket-extensions"), socket.handshake);
    }
  }

  @Test
  void aReaderThatStopsReadingIsClosedWhileOthersGetEverything() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Big thread");
    String topic = "parley.post." + post;
    long seq = api.get("/api/posts/" + post).json().getLong("seq");
    String big = "x".repeat(9_000);
    // Counted from before the slow reader exists: on a loaded machine the healthy reader's replay below can take
    // long enough for the slow one to be closed before its ping (a pong its client sends to the server's
    // WebSocket ping is a frame too), and a count taken after that waited for a second close (CI, 2026-12-05).
    double closes = slowSocketCloses();
    try (RawSocket slow = new RawSocket(4096); LiveClient healthy = LiveClient.connect()) {
      slow.sendText(new JsonObject().put("type", "register").put("address", topic)
          .put("headers", new JsonObject().put("since", seq)).encode());
      healthy.register(topic, null, seq);
      // Each event carries the body twice (Markdown and HTML): about 18 KB. The slow socket never reads, so once
      // the kernel's buffers are full its bounded queue (64 KiB in the test server) overflows.
      // 400 events are about 7 MB, more than the kernel buffers between the two ends can hold. Posting stops once
      // the server has closed it: its close frame waits behind the full buffers for the close grace (5 s), and
      // posting on for seconds past that on a loaded machine let the cut come first (3 forks, 2026-12-06).
      for (int i = 0; i < 400 && slowSocketCloses() == closes; i++) {
        long id = api.comment(alice, post, big, null);
        assertEquals(id, healthy.nextEvent(topic).getJsonObject("data").getLong("id"), "the healthy reader keeps up");
      }
      assertEquals(closes + 1, slowSocketCloses(), "the reader that stopped reading was closed");
      // Reading now finds what the buffers held, then the server's close frame (a socket still open would time out).
      assertEquals(4001, slow.drainUntilClose(), "closed with the slow-consumer code");
      long after = api.comment(alice, post, "after the cut", null);
      assertEquals(after, healthy.nextEvent(topic).getJsonObject("data").getLong("id"));
    }
  }

  /**
   * A reader that stops reading but goes on pinging, as a stuck tab's client does: closed as a slow consumer, its
   * close frame waits behind the full queue and is never answered. Its connection is cut after the close grace (a
   * probe, 2026-12-04: 200 such readers still held their connections and subscriptions 100 s later, Vert.x's own close
   * timeout failing with a stack trace at WARN for each).
   */
  @Test
  void aSlowConsumerThatKeepsPingingIsCutAfterTheCloseGrace() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Big thread, a reader that pings and never reads");
    String topic = "parley.post." + post;
    long seq = api.get("/api/posts/" + post).json().getLong("seq");
    String big = "y".repeat(9_000);
    double before = liveSockets();
    long racesBefore = CloseTimeoutRace.seen();
    try (CapturedLog netty = new CapturedLog(CloseTimeoutRace.NETTY_PROMISE_LOGGER);
         RawSocket slow = new RawSocket(4096)) {
      slow.sendText(new JsonObject().put("type", "register").put("address", topic)
          .put("headers", new JsonObject().put("since", seq)).encode());
      for (int i = 0; i < 400; i++) api.comment(alice, post, big, null);
      // Never reading, pinging every 2 s (well within the frame limit), until the server holds no socket for it.
      long deadline = System.nanoTime() + GuardedSocket.CLOSE_GRACE.plusSeconds(20).toNanos();
      long nextPing = 0;
      while (liveSockets() > before) {
        long now = System.nanoTime();
        if (now > deadline) {
          throw new AssertionError("the slow consumer's connection is still open: sockets " + liveSockets()
              + " against " + before);
        }
        if (now >= nextPing) {
          try {
            slow.sendText(new JsonObject().put("type", "ping").encode());
          } catch (java.io.IOException cut) {
            // the server has cut the connection: what is awaited
          }
          nextPing = now + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        }
        Thread.sleep(5);
      }
      // The close frame was still in Vert.x's queue when the connection went: Vert.x's closing timeout (10 s) then
      // closes it again and Netty would warn with a stack trace (docs/upstream): counted and kept out of the log.
      long raceDeadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      while (CloseTimeoutRace.seen() == racesBefore && System.nanoTime() < raceDeadline) Thread.sleep(5);
      assertTrue(CloseTimeoutRace.seen() > racesBefore, "Vert.x's second close was met and counted");
      assertEquals(List.of(), netty.messages(), "and Netty logged nothing of it");
    }
  }

  @Test
  void anEventStreamThatStopsReadingIsCutAtOnce() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Big thread, an event stream that never reads");
    String big = "w".repeat(9_000);
    double before = liveStreams();
    try (java.net.Socket slow = new java.net.Socket()) {
      slow.setReceiveBufferSize(4096);
      slow.connect(new java.net.InetSocketAddress("localhost", java.net.URI.create(TestParley.baseUrl()).getPort()));
      slow.getOutputStream().write(("GET /api/posts/" + post + "/events HTTP/1.1\r\nHost: localhost\r\n"
          + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      long opened = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (liveStreams() == before && System.nanoTime() < opened) Thread.sleep(5);
      assertEquals(before + 1, liveStreams(), "the stream is open");
      for (int i = 0; i < 400; i++) api.comment(alice, post, big, null);
      // Never reading. Closed through Vert.x, the stream waited for its queue to drain, that is until the idle
      // timeout (60 s); cut below it, it goes as soon as its queue is full.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      while (liveStreams() > before) {
        if (System.nanoTime() > deadline) throw new AssertionError("the slow stream is still open");
        Thread.sleep(5);
      }
    }
  }

  private static double liveStreams() throws Exception {
    return TestParley.gauge("parley_live_sse_streams");
  }

  /** Bridge sockets the server closed as slow consumers, so far. */
  private static double slowSocketCloses() throws Exception {
    return TestParley.server().running().meters().find("parley_live_slow_consumer_closes").tag("transport", "bridge")
        .counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private static double liveSockets() throws Exception {
    return TestParley.gauge("parley_live_sockets");
  }

  @Test
  void aReaderOnTheOfficialClientsSockJsTransportThatStopsReadingIsClosedToo() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Big thread, read through SockJS");
    String topic = "parley.post." + post;
    long seq = api.get("/api/posts/" + post).json().getLong("seq");
    String big = "z".repeat(9_000);
    // The official vertx3-eventbus-client speaks SockJS: /eventbus/<server>/<session>/websocket, an "o" frame to
    // open, and client frames as JSON arrays of strings. Its session reports no queue of its own.
    try (RawSocket slow = new RawSocket("/eventbus/000/slowsockjs/websocket", 4096);
         LiveClient healthy = LiveClient.connect()) {
      assertEquals("o", slow.readText(), "the SockJS session opened");
      slow.sendText(new io.vertx.core.json.JsonArray().add(new JsonObject().put("type", "register")
          .put("address", topic).put("headers", new JsonObject().put("since", seq)).encode()).encode());
      healthy.register(topic, null, seq);
      for (int i = 0; i < 400; i++) {
        long id = api.comment(alice, post, big, null);
        assertEquals(id, healthy.nextEvent(topic).getJsonObject("data").getLong("id"), "the healthy reader keeps up");
      }
      // Closed, not buffered without end. Vert.x's SockJS session closes with SockJS's own 3000 whatever code it is
      // given (only a raw WebSocket carries 4001); the official client reconnects either way.
      assertEquals(3000, slow.drainUntilSockJsClose(), "closed by the server");
      long after = api.comment(alice, post, "after the cut", null);
      assertEquals(after, healthy.nextEvent(topic).getJsonObject("data").getLong("id"));
    }
  }

  @Test
  void aReplayBurstLargerThanTheQueueReachesAReaderWholeAndAReaderThatStopsReadingIsStillClosed() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Big thread, missed");
    String topic = "parley.post." + post;
    // 400 events of about 18 KB: one replay page of about 7 MB, far past the 64 KiB queue and the kernel's buffers.
    String big = "y".repeat(9_000);
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 400; i++) ids.add(api.comment(alice, post, big, null));
    // Counted from before the slow reader exists: on a loaded machine the healthy reader's replay below can take
    // long enough for the slow one to be closed before its ping (a pong its client sends to the server's
    // WebSocket ping is a frame too), and a count taken after that waited for a second close (CI, 2026-12-05).
    double closes = slowSocketCloses();
    try (RawSocket slow = new RawSocket(4096); LiveClient healthy = LiveClient.connect()) {
      slow.sendText(new JsonObject().put("type", "register").put("address", topic)
          .put("headers", new JsonObject().put("since", 0)).encode());
      // The page is written in one turn of the socket's event loop: once its first frame is here, all of it is
      // queued, and the ping below is read after that.
      JsonObject first = new JsonObject(slow.readText());
      assertEquals(1, first.getJsonObject("body").getLong("seq"));
      healthy.register(topic, null, 0L);
      List<JsonObject> replay = healthy.nextEvents(topic, 400);
      assertEquals(LongStream.rangeClosed(1, 400).boxed().toList(),
          replay.stream().map(e -> e.getLong("seq")).toList(), "the whole page, in order, once");
      assertEquals(ids, replay.stream().map(e -> e.getJsonObject("data").getLong("id")).toList());
      // The slow reader's queue is still full: its next frame closes it with the slow-consumer code. Its reading
      // waits until the server has read that frame: a reader that drained its queue first would no longer be slow
      // (CI lost that race once, on a loaded machine, and waited for a close that was rightly never sent).
      // Pinged again every 2 s until it is closed: any frame read while its queue is full closes it, so a second
      // one changes nothing the first did not, and a first the server read too early (or not yet) is not the last.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
      long nextPing = 0;
      while (slowSocketCloses() == closes) {
        if (System.nanoTime() > deadline) throw new AssertionError("the slow reader was not closed");
        if (System.nanoTime() >= nextPing) {
          slow.sendText("{\"type\":\"ping\"}");
          nextPing = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        }
        Thread.sleep(5);
      }
      assertEquals(4001, slow.drainUntilClose(), "closed with the slow-consumer code");
      long after = api.comment(alice, post, "after the cut", null);
      assertEquals(after, healthy.nextEvent(topic).getJsonObject("data").getLong("id"));
    }
  }

  /**
   * A socket that stops reading is given one page of replay at a time, whatever number of topics it follows: each
   * topic took its page at once, so a socket following 64 threads and reading nothing held 64 pages (16 MiB) where
   * its bound is 64 KiB here (a review's suspicion). Once it reads again, every topic's history comes whole, in order.
   */
  @Test
  void aSocketThatStopsReadingIsGivenOneReplayPageAtATimeAndEveryTopicOnceItReads() throws Exception {
    Session alice = api.register("alice");
    // Sixteen threads of 30 comments of 9,000 characters, about 4 MB of replay in all: the kernel's buffers on
    // loopback take some 700 KB of it from a socket whose client reads nothing, whatever the server does.
    String big = "r".repeat(9_000);
    java.util.Map<String, List<Long>> threads = new java.util.LinkedHashMap<>();
    for (int t = 0; t < 16; t++) {
      threads.put("parley.post." + api.createPost(alice, "Thread " + t + " to replay"), new ArrayList<>());
    }
    // Each thread's comments one after another, the threads side by side (grouped into fewer commits).
    threads.entrySet().parallelStream().forEach(thread -> {
      long post = Long.parseLong(thread.getKey().substring("parley.post.".length()));
      for (int i = 0; i < 30; i++) thread.getValue().add(api.comment(alice, post, i + " " + big, null));
    });
    int total = threads.values().stream().mapToInt(List::size).sum();
    long watched = api.createPost(alice, "A thread a healthy reader replays");
    for (int i = 0; i < 5; i++) api.comment(alice, watched, "short " + i, null);
    double before = replayedPostEvents();
    try (RawSocket slow = new RawSocket(4096); LiveClient healthy = LiveClient.connect()) {
      for (String topic : threads.keySet()) {
        slow.sendText(new JsonObject().put("type", "register").put("address", topic)
            .put("headers", new JsonObject().put("since", 0)).encode());
      }
      // Once its first frame is here, the slow socket's first page has been written whole (in one turn of its loop).
      JsonObject first = new JsonObject(slow.readText());
      assertEquals(1, first.getJsonObject("body").getLong("seq"));
      // The healthy reader registers after the slow socket's sixteen (whose pages, unturned, were all read first).
      healthy.register("parley.post." + watched, null, 0L);
      assertEquals(5, healthy.nextEvents("parley.post." + watched, 5).size());
      double slowGiven = replayedPostEvents() - before - 5;
      // Given what the kernel took and a page more, not every page of every thread (all 480 events, before).
      assertTrue(slowGiven < total / 2, "a socket that reads nothing was given " + slowGiven + " events of replay");

      // It reads again: every thread's history, whole and in order, each once.
      java.util.Map<String, List<Long>> got = new java.util.HashMap<>();
      for (int n = 0; n < total; n++) {
        JsonObject frame = n == 0 ? first : new JsonObject(slow.readText());
        List<Long> ids = got.computeIfAbsent(frame.getString("address"), k -> new ArrayList<>());
        assertEquals(ids.size() + 1, frame.getJsonObject("body").getLong("seq"), "in order: " + frame.getString("address"));
        ids.add(frame.getJsonObject("body").getJsonObject("data").getLong("id"));
      }
      assertEquals(threads, got);
    }
  }

  /**
   * Live events that arrive while a reader replays are kept only up to a bound, then let go and read from the log
   * again: a review's reader, stalled on its replay's last page while 2,000 long comments arrived, held 244 MB of them,
   * and was then given them all in one write, 160 MB into a socket whose bound is 1 MiB. Once it reads, every event
   * arrives, the history's and the live ones, in order, once.
   */
  @Test
  void liveEventsThatArriveWhileAReaderStallsInItsReplayAreLetGoAndReadFromTheLogThen() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "A long history, and more while it is read");
    String topic = "parley.post." + post;
    String big = "h".repeat(9_000);
    // About 5 MB of history: more than the kernel's buffers and the socket's queue take, so the replay is still
    // under way, waiting for room, when the live events come.
    java.util.stream.IntStream.range(0, 3).parallel().forEach(t -> {
      for (int i = 0; i < 100; i++) api.comment(alice, post, "history " + t + "." + i + " " + big, null);
    });
    double letGo = counter("parley_live_events_let_go");
    try (RawSocket slow = new RawSocket(4096); LiveClient healthy = LiveClient.connect()) {
      slow.sendText(new JsonObject().put("type", "register").put("address", topic)
          .put("headers", new JsonObject().put("since", 0)).encode());
      JsonObject first = new JsonObject(slow.readText());
      healthy.register(topic, null, (long) 300);
      // 150 more, about 2.7 million characters of events, while the slow reader's replay waits for room: more than
      // a subscription keeps (a million).
      java.util.stream.IntStream.range(0, 3).parallel().forEach(t -> {
        for (int i = 0; i < 50; i++) api.comment(alice, post, "live " + t + "." + i + " " + big, null);
      });
      // Once the healthy reader has all of them, each was offered to the slow reader too (the same pass).
      assertEquals(150, healthy.nextEvents(topic, 150).size());
      assertTrue(counter("parley_live_events_let_go") > letGo, "past its bound, what waited was let go");

      List<Long> seqs = new ArrayList<>(List.of(first.getJsonObject("body").getLong("seq")));
      while (seqs.size() < 450) seqs.add(new JsonObject(slow.readText()).getJsonObject("body").getLong("seq"));
      assertEquals(LongStream.rangeClosed(1, 450).boxed().toList(), seqs, "every event, in order, once");
    }
  }

  private static double counter(String name) throws Exception {
    return TestParley.server().running().meters().find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private static double replayedPostEvents() throws Exception {
    return TestParley.server().running().meters().find("parley_live_events_replayed").tag("kind", "post")
        .counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /**
   * Frames the bridge refuses are answered with its error frames, and nothing a client sends is written to the log
   * at ERROR: the bridge logged every unknown type, the client's own words, a line break included, and every frame
   * too large for the WebSocket.
   */
  @Test
  void framesTheBridgeRefusesAreAnsweredAndNotLogged() throws Exception {
    String forged = "nope\n12:00:00.000 ERROR [main] parley.Main - a line the client wrote";
    try (CapturedLog bridge = new CapturedLog("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl");
         LiveClient socket = LiveClient.connect()) {
      socket.send(new JsonObject().put("type", "nope").put("address", "x"));
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_type"), socket.next());
      socket.send(new JsonObject().put("type", forged).put("address", "x"));
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_type"), socket.next());
      socket.send(new JsonObject().put("type", 5).put("address", "x"));
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_type"), socket.next());
      socket.send(new JsonObject().put("type", true));
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_type"), socket.next(), "not missing_address");
      socket.send(new JsonObject().put("type", "send").put("address", "parley.feed").put("replyAddress", "r".repeat(37)));
      assertEquals(new JsonObject().put("type", "err").put("body", "rejected"), socket.next());
      // What the bridge answers quietly itself is still its own to answer.
      socket.sendText("not json");
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_json"), socket.next());
      // A name given twice: refused, whichever one the bridge would have read (a probe, 2026-12-03).
      socket.sendText("{\"type\":\"register\",\"address\":\"parley.mod\",\"address\":\"parley.feed\"}");
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_json"), socket.next());
      socket.sendText("{\"type\":\"register\",\"address\":\"parley.feed\",\"headers\":{\"since\":1,\"since\":2}}");
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_json"), socket.next());
      // With a comment between them, which the bridge's reading allows (a review found it let the pair through).
      socket.sendText("{\"type\":\"register\",/**/\"address\":\"parley.mod\",\"address\":\"parley.feed\"}");
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_json"), socket.next());
      socket.send(new JsonObject().put("type", "nope"));
      assertEquals(new JsonObject().put("type", "err").put("body", "missing_address"), socket.next());
      socket.send(new JsonObject().put("type", "send").put("address", "parley.feed").put("body", "hi"));
      assertEquals(new JsonObject().put("type", "err").put("body", "rejected"), socket.next());
      // The socket still works after all that.
      Session alice = api.register("alice");
      long post = api.createPost(alice, "Still live");
      socket.register("parley.post." + post, null, api.get("/api/posts/" + post).json().getLong("seq"));
      long comment = api.comment(alice, post, "heard", null);
      assertEquals(comment, socket.nextEvent("parley.post." + post).getJsonObject("data").getLong("id"));
      // Registering it again is answered, as often as it is sent, and the bridge's warning for it is not logged.
      for (int i = 0; i < 3; i++) {
        socket.register("parley.post." + post, null, null);
        assertEquals(new JsonObject().put("type", "err").put("body", "address_already_registered"), socket.next());
      }
      long another = api.comment(alice, post, "heard once", null);
      assertEquals(another, socket.nextEvent("parley.post." + post).getJsonObject("data").getLong("id"));
      // The same as bytes with a broken UTF-8 sequence in them: the bridge reads them with the bad bytes replaced.
      byte[] binary = new JsonObject().put("type", forged).put("address", "x").put("z", "\u00ff").encode()
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      byte[] broken = java.util.Arrays.copyOf(binary, binary.length);
      for (int i = 0; i + 1 < broken.length; i++) {
        if (broken[i] == (byte) 0xc3 && broken[i + 1] == (byte) 0xbf) broken[i + 1] = (byte) 0x28;
      }
      socket.sendBinary(broken);
      assertEquals(new JsonObject().put("type", "err").put("body", "invalid_type"), socket.next());
      // A frame over the WebSocket's 16 KiB limit ends that connection, and is not Parley's error either; nor is a
      // message over it sent in pieces of 4 KiB, which Vert.x refuses without closing: Parley closes it (1009).
      try (LiveClient oversized = LiveClient.connect()) {
        oversized.sendText("x".repeat(20_000));
        oversized.awaitClose();
      }
      try (LiveClient inPieces = LiveClient.connect()) {
        inPieces.sendInPieces("x".repeat(20_000), 4_096);
        assertEquals(GuardedSocket.MESSAGE_TOO_BIG, inPieces.awaitClose());
      }
      assertFalse(bridge.levels().contains(Level.ERROR), bridge.messages().toString());
      assertFalse(bridge.levels().contains(Level.WARN), bridge.messages().toString());
      assertTrue(bridge.messages().stream().noneMatch(m -> m.contains("a line the client wrote")), bridge.messages().toString());
    }
  }
}
