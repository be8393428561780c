package parley.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.OwnServer;
import parley.RawHttp;
import parley.TestParley;
import parley.config.AppConfig;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one client's connections can hold: a capped number per address, and only as long as it takes to send a
 * request. The attacker connects from 127.0.0.2, everyone else from 127.0.0.1 (both are this machine's loopback).
 */
@ExtendWith(TestParley.class)
class ConnectionGuardTest {

  private static final String ATTACKER = "127.0.0.2";
  @RegisterExtension
  static final OwnServer server = new OwnServer(Map.of(
      AppConfig.HTTP_INSTANCES, "2",
      AppConfig.MAX_CONNECTIONS_PER_IP, "10",
      AppConfig.HTTP_HEADER_TIMEOUT, "1s"));

  private static Socket open(String from) throws Exception {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(from, 0));
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** Reads until the server closes the connection; returns how long that took. */
  private static long millisUntilClosed(Socket socket) throws Exception {
    long start = System.nanoTime();
    InputStream in = socket.getInputStream();
    try {
      while (in.read() != -1) {
        // drain whatever the server says before closing
      }
    } catch (java.net.SocketException e) {
      // closed with a reset (see RawHttp.read)
      if (!"Connection reset".equals(e.getMessage())) throw e;
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  private static int status(String from) throws Exception {
    return RawHttp.send(from, server.port(),
        "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).status();
  }

  /** Within 10 s, the address holds no counted connection: the server sees a client's close a moment later. */
  private static void assertUncounted(String ip, String message) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.running().connectionGuard().connections(ip) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);  // nothing to await from here
    }
    assertEquals(0, server.running().connectionGuard().connections(ip), message);
  }

  /**
   * A connection upgraded to a WebSocket is counted while it is open and let go when it closes, whoever closes it:
   * the count (and the connection's state) must not outlive it, or an address that has reconnected a live socket
   * as often as the cap could never connect again, and the node would keep every socket it ever had.
   */
  @Test
  void closedWebSocketsNoLongerCountAgainstTheirAddress() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
    io.vertx.core.http.WebSocketClient client = vertx.createWebSocketClient(
        new io.vertx.core.http.WebSocketClientOptions().setLocalAddress(ATTACKER));
    for (int i = 0; i < 25; i++) {
      io.vertx.core.http.WebSocket ws = client.connect(server.port(), "127.0.0.1", "/eventbus/websocket")
          .await(10, TimeUnit.SECONDS);
      ws.close().await(10, TimeUnit.SECONDS);
      assertUncounted(ATTACKER, "socket " + (i + 1) + " still counted after it closed");
    }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    assertEquals(200, status(ATTACKER), "25 closed sockets later, the address is served (the cap is 10)");
  }

  /**
   * A connection upgraded to a bridge WebSocket counts against its address until it closes, and the header timeout
   * (1 s here), which closes idle HTTP connections, must not close a socket that is quiet for longer.
   */
  @Test
  void anOpenWebSocketOutlivesTheHeaderTimeoutAndStaysCountedUntilItCloses() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      io.vertx.core.http.WebSocketClient client = vertx.createWebSocketClient(
          new io.vertx.core.http.WebSocketClientOptions().setLocalAddress(ATTACKER));
      io.vertx.core.http.WebSocket ws = client.connect(server.port(), "127.0.0.1", "/eventbus/websocket")
          .await(10, TimeUnit.SECONDS);
      io.vertx.core.Promise<Short> closedWith = io.vertx.core.Promise.promise();
      ws.closeHandler(v -> closedWith.tryComplete(ws.closeStatusCode()));
      // Quiet for three header timeouts: a timer left running would have closed it by then (nothing to await).
      Thread.sleep(3_000);
      assertTrue(!closedWith.future().isComplete(), "closed while quiet: " + closedWith.future().result());
      assertEquals(1, server.running().connectionGuard().connections(ATTACKER), "counted while open");
      io.vertx.core.Promise<String> reply = io.vertx.core.Promise.promise();
      ws.textMessageHandler(reply::tryComplete);
      ws.writeTextMessage("{\"type\":\"send\"}");
      String answer = reply.future().await(10, TimeUnit.SECONDS);
      assertTrue(answer.contains("missing_address"), "still served after the quiet: " + answer);
      ws.close().await(10, TimeUnit.SECONDS);
      assertUncounted(ATTACKER, "let go once closed");
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void connectionsPastTheCapFromOneAddressAreClosedWhileOthersAreServed() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      // Ten connections that each send half a request head hold the address's whole allowance.
      for (int i = 0; i < 10; i++) {
        Socket s = open(ATTACKER);
        s.getOutputStream().write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
        held.add(s);
      }
      assertEquals(200, status("127.0.0.1"), "served from the first connection of another address");
      try (Socket eleventh = open(ATTACKER)) {
        eleventh.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(-1, RawHttp.read(eleventh.getInputStream()).status(), "the eleventh is closed unanswered");
      }
      assertEquals(200, status("127.0.0.1"));
    } finally {
      for (Socket s : held) s.close();
    }
  }

  @Test
  void aConnectionThatDoesNotFinishItsHeadIsClosedAfterTheHeaderTimeout() throws Exception {
    try (Socket slow = open(ATTACKER)) {
      slow.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
      long took = millisUntilClosed(slow);
      assertTrue(took >= 500 && took < 5_000, "closed after about a second, took " + took + " ms");
    }
  }

  @Test
  void anIdleConnectionIsClosedAfterTheHeaderTimeout() throws Exception {
    try (Socket idle = open(ATTACKER)) {
      long took = millisUntilClosed(idle);
      assertTrue(took < 5_000, "closed, took " + took + " ms");
    }
  }

  @Test
  void aBodyThatDoesNotArriveInTimeIs408() throws Exception {
    try (Socket slow = open(ATTACKER)) {
      slow.getOutputStream().write(("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"login\":").getBytes(StandardCharsets.US_ASCII));
      RawHttp.Reply reply = RawHttp.read(slow.getInputStream());
      assertEquals(408, reply.status(), reply.toString());
      assertEquals("application/problem+json", reply.header("content-type"));
      // And closed then, not a header timeout later while the body goes on trickling in (a review: cut at 20.5 s
      // with a 10 s timeout).
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      Thread trickle = new Thread(() -> {
        try {
          while (!stop.get()) {
            slow.getOutputStream().write('x');
            Thread.sleep(100);
          }
        } catch (Exception closed) {
          // the server closed it
        }
      });
      trickle.start();
      long took = millisUntilClosed(slow);
      stop.set(true);
      trickle.join(5_000);
      assertTrue(took < 700, "closed after the 408, took " + took + " ms (the header timeout is 1 s)");
    }
  }
}
