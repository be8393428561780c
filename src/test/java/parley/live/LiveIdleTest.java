package parley.live;

import ch.qos.logback.classic.Level;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Session;
import parley.CapturedLog;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a live WebSocket the idle timeout ({@code PARLEY_HTTP_IDLE_TIMEOUT}) counts what the client sends: a client
 * that pings is kept however long it runs, and one that stops sending is closed even while it is being sent events
 * (writes no longer reset the timeout, which spared a listener on every frame written).
 */
@ExtendWith(TestParley.class)
class LiveIdleTest {

  @RegisterExtension
  static final OwnServer server = new OwnServer(Map.of(AppConfig.HTTP_IDLE_TIMEOUT, "2s"));

  @Test
  void aClientThatPingsOutlivesTheIdleTimeoutAndOneThatOnlyListensDoesNot() throws Exception {
    Api api = new Api("http://localhost:" + server.port());
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Idle or not");
    String topic = "parley.post." + post;
    long seq = api.get("/api/posts/" + post).json().getLong("seq");
    // The listener's own pinger fires every 5 s: longer than the 2 s idle timeout.
    try (CapturedLog bridge = new CapturedLog("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl");
         LiveClient pinging = LiveClient.connect(server.port()); LiveClient listening = LiveClient.connect(server.port())) {
      pinging.register(topic, null, seq);
      listening.register(topic, null, seq);
      long id = api.comment(alice, post, "first", null);
      assertEquals(id, pinging.nextEvent(topic).getJsonObject("data").getLong("id"));
      assertEquals(id, listening.nextEvent(topic).getJsonObject("data").getLong("id"));
      // Both are sent an event every 250 ms for 4 s (twice the timeout); only one of them speaks, every 250 ms.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      while (System.nanoTime() < until) {
        pinging.send(new JsonObject().put("type", "ping"));
        id = api.comment(alice, post, "still here?", null);
        assertEquals(id, pinging.nextEvent(topic).getJsonObject("data").getLong("id"), "the pinging client is served");
        Thread.sleep(250); // the client's own pace, not a wait for the server
      }
      assertFalse(pinging.isClosed(), "a client that pings is never idle");
      // Silent for 4 s while sent an event every 250 ms: closed by now (before, each write kept it open).
      assertTrue(listening.isClosed(), "a client that only listens is closed once it was silent for the timeout");
      // The server closing an idle socket is routine: nothing at ERROR (the bridge logged "SockJSSocket exception"
      // for each).
      assertFalse(bridge.levels().contains(Level.ERROR), bridge.messages().toString());
    }
  }
}
