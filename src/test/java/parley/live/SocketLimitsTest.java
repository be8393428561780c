package parley.live;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one bridge socket may make the server do: frames and registrations are rate limited, and a socket past a
 * limit is closed with 4002 rather than answered frame by frame. A server of its own, with tight limits whose
 * windows are long enough that nothing refills while a test runs.
 */
@ExtendWith(TestParley.class)
class SocketLimitsTest {

  @RegisterExtension
  static final OwnServer server = new OwnServer(Map.of(
      AppConfig.HTTP_INSTANCES, "1",
      AppConfig.LIMIT_LIVE_FRAMES, "20/1h",
      AppConfig.LIMIT_LIVE_REGISTERS, "10/1h"));

  private final Api setup = Api.local();

  @Test
  void aClientSendingFramesTheBridgeRefusesIsClosedWith4002() throws Exception {
    try (LiveClient socket = LiveClient.connect(server.port())) {
      for (int i = 0; i < 200; i++) socket.send(new JsonObject().put("type", "nope").put("address", "x"));
      assertEquals(GuardedSocket.RATE_LIMITED, socket.awaitClose());
      assertTrue(socket.queued() <= 20, "at most one reply per admitted frame, got " + socket.queued());
    }
  }

  /**
   * The WebSocket protocol's own pings, which Vert.x answers with pongs without the bridge seeing them, count as
   * frames too: a client flooding them is closed with 4002 at the limit, on the raw address and on SockJS's WebSocket
   * transport (the official client's), and is answered no further. Unchecked, a client that sent pings and read no
   * pongs ran the server's heap out in seconds.
   */
  @Test
  void webSocketPingsCountAsFramesOnBothWebSocketAddresses() throws Exception {
    try (RawSocket raw = new RawSocket(server.port(), "/eventbus/websocket", 0)) {
      assertEquals(101, raw.status(), raw.handshake);
      for (int i = 0; i < 60; i++) raw.sendPing(new byte[125]);
      assertEquals(GuardedSocket.RATE_LIMITED, raw.drainUntilClose());
      assertTrue(raw.pongs <= 20, "at most one pong per admitted ping, got " + raw.pongs);
    }
    try (RawSocket sockJs = new RawSocket(server.port(), "/eventbus/123/pings/websocket", 0)) {
      assertEquals(101, sockJs.status(), sockJs.handshake);
      for (int i = 0; i < 60; i++) sockJs.sendPing(new byte[125]);
      // Vert.x's SockJS session closes with SockJS's own 3000 whatever code it is given (TransportTest).
      assertEquals(3000, sockJs.drainUntilSockJsClose());
      assertTrue(sockJs.pongs <= 20, "at most one pong per admitted ping, got " + sockJs.pongs);
    }
  }

  /**
   * A text message that is not UTF-8 fails the WebSocket with 1007, as RFC 6455 requires, on both WebSocket
   * addresses and when only a later fragment is broken; before 2026-12-03 Vert.x read it with replacement characters
   * and the bridge acted on it.
   */
  @Test
  void aTextMessageThatIsNotUtf8ClosesTheSocketWith1007() throws Exception {
    byte[] broken = "{\"type\":\"ping\",\"x\":\"\u0000\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    broken[broken.length - 3] = (byte) 0xff;
    try (RawSocket raw = new RawSocket(server.port(), "/eventbus/websocket", 0)) {
      assertEquals(101, raw.status(), raw.handshake);
      raw.sendFrame(0x81, broken);
      assertEquals(1007, raw.drainUntilClose());
    }
    try (RawSocket sockJs = new RawSocket(server.port(), "/eventbus/123/utf8/websocket", 0)) {
      assertEquals(101, sockJs.status(), sockJs.handshake);
      sockJs.sendFrame(0x81, broken);
      assertEquals(1007, sockJs.drainUntilClose());
    }
    try (RawSocket fragmented = new RawSocket(server.port(), "/eventbus/websocket", 0)) {
      fragmented.sendFrame(0x01, "{\"type\":\"pi".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      fragmented.sendFrame(0x80, new byte[] {'n', 'g', (byte) 0xc3, '"', '}'});
      assertEquals(1007, fragmented.drainUntilClose());
    }
  }

  /**
   * A socket the server closes itself (here for sending too much) is let go: its bridge state, its sink and its
   * subscriptions, or a node churning through reconnects keeps every socket it ever closed.
   */
  @Test
  void aSocketTheServerClosesIsLetGo() throws Exception {
    long post = setup.createPost(setup.register("alice"), "Thread");
    Api api = new Api("http://localhost:" + server.port());
    for (int round = 0; round < 3; round++) {
      try (LiveClient socket = LiveClient.connect(server.port())) {
        socket.register("parley.post." + post, null, null);
        for (int i = 0; i < 200; i++) socket.send(new JsonObject().put("type", "nope").put("address", "x"));
        assertEquals(GuardedSocket.RATE_LIMITED, socket.awaitClose());
      }
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    String metrics = "";
    while (System.nanoTime() < deadline) {
      metrics = api.get("/metrics").body();
      if (metrics.contains("\nparley_live_sockets 0.0") && metrics.contains("parley_live_subscriptions{kind=\"post\"} 0.0")) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("closed sockets are still counted as open:\n" + metrics.lines()
        .filter(l -> l.startsWith("parley_live_s")).collect(java.util.stream.Collectors.joining("\n")));
  }

  @Test
  void churningRegistrationsIsClosedWith4002() throws Exception {
    long post = setup.createPost(setup.register("alice"), "Thread");
    try (LiveClient socket = LiveClient.connect(server.port())) {
      for (int i = 0; i < 15; i++) {
        socket.register("parley.post." + post, null, null);
        socket.unregister("parley.post." + post);
      }
      assertEquals(GuardedSocket.RATE_LIMITED, socket.awaitClose());
    }
  }

  @Test
  void aTopicWithAnIdTooLargeForALongIsRefusedWithAnAnswer() throws Exception {
    try (LiveClient socket = LiveClient.connect(server.port())) {
      socket.register("parley.user.9999999999999999999", null, null);
      JsonObject answer = socket.next();
      assertEquals("err", answer.getString("type"), answer.encode());
      socket.register("parley.post.9999999999999999999", null, null);
      assertEquals("err", socket.next().getString("type"));
    }
  }
}
