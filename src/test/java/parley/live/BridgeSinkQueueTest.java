package parley.live;

import io.vertx.core.Future;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.junit.jupiter.api.Test;
import parley.config.Limit;

import java.lang.reflect.Proxy;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How often a live event asks a bridge socket's queue whether it is full when its frames go through Vert.x (a SockJS
 * session): once per a thirty-second of the bound written, so a reader who stopped reading is found with at most
 * that much more queued. (A raw WebSocket's frames bypass Vert.x and its channel is asked every time, see
 * FrameWriter. TransportTest shows the whole path: a reader who stops reading is closed with 4001 while the others
 * get everything.)
 */
class BridgeSinkQueueTest {

  private static final int BOUND = 32 * 1024;
  private static final int EVERY = BOUND / BridgeSink.QUEUE_CHECKS;

  /** A socket that only answers what the sink asks of it: its queue's state, and how often it was asked. */
  private static final class Socket {
    boolean full;
    int asked;

    SockJSSocket proxy() {
      return (SockJSSocket) Proxy.newProxyInstance(SockJSSocket.class.getClassLoader(),
          new Class<?>[] {SockJSSocket.class}, (self, method, args) -> switch (method.getName()) {
            case "writeQueueFull" -> {
              asked++;
              yield full;
            }
            case "write" -> Future.succeededFuture();
            default -> method.getReturnType() == boolean.class ? false : (method.getReturnType().isInstance(self) ? self : null);
          });
    }
  }

  private static BridgeSink sink(Socket socket) {
    return new BridgeSink(socket.proxy(), BOUND, new Limit(10, Duration.ofSeconds(1)), null, null);
  }

  @Test
  void aLiveEventAsksTheQueueOnlyOnceAFractionOfTheBoundWasWrittenSinceItLastHadRoom() {
    Socket socket = new Socket();
    BridgeSink sink = sink(socket);
    String frame = "f".repeat(EVERY / 4);
    for (int i = 0; i < 3; i++) {
      sink.resync("t", null);
      assertFalse(sink.liveQueueFull());
    }
    assertEquals(0, socket.asked, "not asked while less than a thirty-second of the bound was written");
    for (int i = 0; i < 4; i++) sink.send("t", delivery(frame));
    socket.full = true;
    assertTrue(sink.liveQueueFull(), "a full queue is found once enough was written");
    assertEquals(1, socket.asked);
    assertTrue(sink.liveQueueFull(), "and stays found: the count starts again only when the queue had room");
    assertEquals(2, socket.asked);
    socket.full = false;
    assertFalse(sink.liveQueueFull());
    assertEquals(3, socket.asked);
    assertFalse(sink.liveQueueFull());
    assertEquals(3, socket.asked, "room found: not asked again until as much is written again");
  }

  @Test
  void replaysAndTheBridgeStillAskTheQueueEveryTime() {
    Socket socket = new Socket();
    BridgeSink sink = sink(socket);
    socket.full = true;
    assertTrue(sink.writeQueueFull());
    assertTrue(sink.writeQueueFull());
    assertEquals(2, socket.asked);
  }

  private static Delivery delivery(String body) {
    return new Delivery(parley.events.LiveEvent.of("t", 1, "comment.created", "2026-12-01T00:00:00Z", null,
        "\"" + body + "\""));
  }
}
