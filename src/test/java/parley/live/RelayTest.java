package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.TestParley;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The node's relay: however many event loops and sockets follow a thread, the node holds one event-bus
 * subscription for it (on a clustered bus, one cluster registration per node), and every socket still gets every
 * event. Written with vertx-junit5: sockets on the test's own Vert.x, checkpoints for the deliveries.
 */
@ExtendWith({TestParley.class, VertxExtension.class})
class RelayTest {

  private final Api api = Api.local();
  /** A field, not a local: a client that is garbage-collected mid-test closes its connections. */
  private WebSocketClient client;

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void manySocketsOnEveryEventLoopShareOneSubscriptionPerThread(Vertx vertx, VertxTestContext test) throws Exception {
    Api.Session alice = api.register("alice");
    long post = api.createPost(alice, "Followed from everywhere");
    String topic = "parley.post." + post;
    long seq = api.get("/api/posts/" + post).json().getLong("seq");
    Relay relay = TestParley.server().running().relay();
    int sockets = 6;  // the server runs two HTTP verticles, so these land on both of its event loops
    client = vertx.createWebSocketClient();
    Checkpoint everyoneGotIt = test.checkpoint();
    AtomicInteger delivered = new AtomicInteger();
    List<WebSocket> open = new ArrayList<>();
    int port = TestParley.server().running().port();
    List<Future<Void>> registered = new ArrayList<>();
    for (int i = 0; i < sockets; i++) {
      registered.add(client.connect(new WebSocketConnectOptions().setHost("localhost").setPort(port)
              .setURI("/eventbus/websocket"))
          .map(ws -> {
            open.add(ws);
            ws.textMessageHandler(text -> test.verify(() -> {
              JsonObject frame = new JsonObject(text);
              assertEquals("rec", frame.getString("type"), text);
              assertEquals("comment.created", frame.getJsonObject("body").getString("type"));
              assertEquals(3, relay.topics(),
                  "one subscription for the thread on this node, besides the feed's and the moderators' it keeps");
              if (delivered.incrementAndGet() == sockets) {
                // Close them here: a Vert.x closing with sockets still open waits for them.
                Future.all(open.stream().map(WebSocket::close).toList())
                    .onComplete(test.succeeding(closed -> everyoneGotIt.flag()));
              }
            }));
            // From the thread's seq: whenever the subscription is ready, the comment reaches it (live or replayed).
            ws.writeTextMessage(new JsonObject().put("type", "register").put("address", topic)
                .put("headers", new JsonObject().put("since", seq)).encode());
            return null;
          }));
    }
    Future.all(registered)
        .compose(all -> vertx.executeBlocking(() -> api.comment(alice, post, "to everyone", null)))
        .onComplete(test.succeeding(comment -> { }));  // the deliveries complete the test
  }

  /**
   * A topic's bus consumer is registered from its first follower's event loop. A hub on another loop that follows it
   * while that registration is under way must still continue on its own loop, or it would run its set-up on the
   * first loop's thread, racing its own (seen as an ArrayIndexOutOfBoundsException in a hub's sweep under load).
   */
  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void eachFollowerContinuesOnItsOwnEventLoop(Vertx vertx, VertxTestContext test) {
    Relay relay = new Relay(vertx);
    io.vertx.core.internal.VertxInternal internal = (io.vertx.core.internal.VertxInternal) vertx;
    io.vertx.core.Context first = internal.createEventLoopContext();
    io.vertx.core.Context second = internal.createEventLoopContext();
    int topics = 200;
    Checkpoint allOnTheirOwnLoop = test.checkpoint(topics);
    second.runOnContext(v -> {
      Thread own = Thread.currentThread();
      for (int i = 1; i <= topics; i++) {
        String topic = "parley.post." + i;
        // The first loop starts following each topic just before the second does.
        java.util.concurrent.CompletableFuture<Void> started = new java.util.concurrent.CompletableFuture<>();
        first.runOnContext(x -> {
          relay.follow(topic, event -> { });
          started.complete(null);
        });
        started.join();
        relay.follow(topic, event -> { }).onComplete(test.succeeding(done -> test.verify(() -> {
          assertEquals(own, Thread.currentThread(), "the follower's set-up continues on its own event loop");
          allOnTheirOwnLoop.flag();
        })));
      }
    });
  }
}
