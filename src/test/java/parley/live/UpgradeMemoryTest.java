package parley.live;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an open bridge socket keeps of the HTTP request that opened it: nothing. Each open socket is a subscriber, so
 * what one keeps is kept 19,000 times (docs/BENCHMARKS.md, P1); three holders kept the upgraded HTTP connection, its
 * request and its 4 KiB write queue for the socket's life, about 9 KiB of a subscriber's 21: vertx-web's raw socket
 * (through the request's RoutingContext), Vert.x's pipeline handler (through the function that made the WebSocket's
 * connection) and Parley's connection guard. Counted in this JVM's heap, where the test server runs, after a full
 * collection (the class histogram {@code jcmd GC.class_histogram} prints).
 */
@ExtendWith(TestParley.class)
class UpgradeMemoryTest {

  private static final int SOCKETS = 40;
  private static final String WEB_SOCKET = "io.vertx.core.http.impl.WebSocketConnectionImpl";
  private static final List<String> UPGRADE_REQUEST = List.of("io.vertx.core.http.impl.Http1xServerConnection",
      "io.vertx.core.http.impl.Http1xServerRequest", "io.vertx.ext.web.impl.RoutingContextImpl");

  @Test
  void anOpenSocketKeepsNothingOfTheRequestThatOpenedIt() throws Exception {
    Map<String, Long> before = liveInstances();
    List<RawSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < SOCKETS; i++) {
        RawSocket socket = new RawSocket();
        sockets.add(socket);
        assertEquals(101, socket.status(), socket.handshake);
        // The bridge's answer to a register it refuses: the socket is the bridge's, Parley's guard around it.
        socket.sendText("{\"type\":\"register\",\"address\":\"not.a.topic\"}");
        assertTrue(socket.readText().contains("\"err\""));
      }
      Map<String, Long> open = liveInstances();
      // Counted whole, not as growth: sockets other tests left closing (a close handshake has CLOSE_GRACE to end)
      // may be collected between the two counts.
      assertTrue(open.getOrDefault(WEB_SOCKET, 0L) >= SOCKETS, "the sockets are in the heap to be counted: " + open);
      for (String kept : UPGRADE_REQUEST) {
        // Not zero: other tests' keep-alive connections may open or go meanwhile; 40 if every socket kept its own.
        assertTrue(grew(before, open, kept) < SOCKETS / 4, kept + " grew by " + grew(before, open, kept)
            + " with " + SOCKETS + " sockets open");
      }
    } finally {
      for (RawSocket socket : sockets) socket.close();
    }
  }

  private static long grew(Map<String, Long> before, Map<String, Long> after, String type) {
    return after.getOrDefault(type, 0L) - before.getOrDefault(type, 0L);
  }

  /** Live instances by class name, after a full collection. */
  private static Map<String, Long> liveInstances() throws Exception {
    String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    Map<String, Long> counts = new HashMap<>();
    for (String line : histogram.lines().toList()) {
      // "  11:          6000        1056000  io.vertx.core.http.impl.Http1xServerConnection"
      String[] cells = line.trim().split("\\s+");
      if (cells.length >= 4 && cells[0].endsWith(":")) counts.merge(cells[3], Long.parseLong(cells[1]), Long::sum);
    }
    return counts;
  }
}
