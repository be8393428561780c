package parley.live;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import parley.TestParley;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A real WebSocket client speaking the event-bus bridge's JSON frames at /eventbus/websocket, as any integrator
 * would. Frames are queued as they arrive; tests wait for them with a timeout (never a sleep).
 */
public final class LiveClient implements AutoCloseable {

  private static final Vertx VERTX = Vertx.vertx();
  private static final WebSocketClient CLIENT = VERTX.createWebSocketClient(new WebSocketClientOptions()
      .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 24));
  static final long WAIT_SECONDS = 15;

  private final WebSocket ws;
  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final long pinger;
  volatile Short closeCode;
  volatile String closeReason;

  /** Whether notification events on user topics are kept (most tests are about other events and skip them). */
  private volatile boolean notifications;

  private LiveClient(WebSocket ws) {
    this.ws = ws;
    ws.textMessageHandler(text -> arrived(new JsonObject(text)));
    ws.binaryMessageHandler(bytes -> arrived(new JsonObject(bytes.toString())));
    ws.closeHandler(v -> {
      closeReason = ws.closeReason();
      closeCode = ws.closeStatusCode();
    });
    pinger = VERTX.setPeriodic(5000, id -> ws.writeTextMessage("{\"type\":\"ping\"}"));
  }

  private void arrived(JsonObject frame) {
    if (!notifications && "rec".equals(frame.getString("type")) && frame.getValue("body") instanceof JsonObject body
        && body.getString("type", "").startsWith("notification")) {
      return;
    }
    frames.add(frame);
  }

  /** Keeps notification.created and notifications.read deliveries too (they are skipped otherwise). */
  public LiveClient withNotifications() {
    notifications = true;
    return this;
  }

  public static LiveClient connect() throws Exception {
    return connect(TestParley.server().running().port());
  }

  /** A socket to another server (one a test started with its own settings). */
  public static LiveClient connect(int port) throws Exception {
    WebSocket ws = CLIENT.connect(new WebSocketConnectOptions().setHost("localhost").setPort(port)
            .setURI("/eventbus/websocket"))
        .toCompletionStage().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
    return new LiveClient(ws);
  }

  public void register(String topic, String token, Long since) {
    JsonObject headers = new JsonObject();
    if (token != null) headers.put("token", token);
    if (since != null) headers.put("since", since);
    send(new JsonObject().put("type", "register").put("address", topic).put("headers", headers));
  }

  public void unregister(String topic) {
    send(new JsonObject().put("type", "unregister").put("address", topic));
  }

  public void send(JsonObject frame) {
    sendText(frame.encode());
  }

  /** A text frame as it is, JSON or not. */
  public void sendText(String text) {
    ws.writeTextMessage(text);
  }

  /** A binary frame of these bytes. */
  public void sendBinary(byte[] bytes) {
    ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(bytes));
  }

  /** One text message sent as a first frame and continuation frames of at most {@code piece} characters each. */
  public void sendInPieces(String text, int piece) {
    for (int at = 0; at < text.length(); at += piece) {
      String part = text.substring(at, Math.min(text.length(), at + piece));
      boolean last = at + piece >= text.length();
      ws.writeFrame(at == 0 ? io.vertx.core.http.WebSocketFrame.textFrame(part, last)
          : io.vertx.core.http.WebSocketFrame.continuationFrame(io.vertx.core.buffer.Buffer.buffer(part), last));
    }
  }

  /** The next frame, whatever it is. */
  public JsonObject next() throws InterruptedException {
    JsonObject frame = frames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(frame, "no frame within " + WAIT_SECONDS + " s");
    return frame;
  }

  /** The body (envelope) of the next frame, which must be a delivery on the topic. */
  public JsonObject nextEvent(String topic) throws InterruptedException {
    JsonObject frame = next();
    assertEquals("rec", frame.getString("type"), frame.encode());
    assertEquals(topic, frame.getString("address"), frame.encode());
    return frame.getJsonObject("body");
  }

  /** The next n envelopes on a topic. */
  public List<JsonObject> nextEvents(String topic, int n) throws InterruptedException {
    List<JsonObject> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(nextEvent(topic));
    return out;
  }

  public boolean isClosed() {
    return ws.isClosed();
  }

  /** Waits for the server to close this socket and returns the close code. */
  public short awaitClose() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (closeCode == null && System.nanoTime() < deadline) {
      JsonObject ignored = frames.poll(100, TimeUnit.MILLISECONDS);
    }
    assertNotNull(closeCode, "the server did not close the socket");
    return closeCode;
  }

  /** The reason the server gave with its close frame, once {@link #awaitClose} has returned. */
  public String closeReason() {
    return closeReason;
  }

  public int queued() {
    return frames.size();
  }

  @Override
  public void close() {
    VERTX.cancelTimer(pinger);
    if (!ws.isClosed()) ws.close();
  }
}
