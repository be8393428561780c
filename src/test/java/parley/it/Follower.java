package parley.it;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reader following one thread over the event-bus bridge the way a careful client does: it resumes with
 * {@code since} (its last seq) whenever its socket closes, on the next of its nodes when it has several (as behind a
 * load balancer), and keeps every event by seq, so a duplicate delivery
 * is counted and then dropped and a gap would show as a missing seq.
 */
final class Follower {

  private final Vertx vertx;
  private final WebSocketClient client;
  /** The nodes it may use: it starts on the first and moves to the next whenever its socket closes. */
  private final int[] ports;
  private int current;
  private final String topic;
  /** seq -> envelope, everything received (duplicates collapse here and are counted below). */
  final Map<Long, JsonObject> events = new ConcurrentSkipListMap<>();
  final AtomicInteger duplicates = new AtomicInteger();
  final AtomicInteger reconnects = new AtomicInteger();
  /** What happened to this reader's sockets besides deliveries, for a failure report. */
  final java.util.List<String> history = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
  private volatile long last;
  private volatile boolean stopped;
  private volatile CompletableFuture<Void> awaited;
  private volatile Set<Long> awaitedIds;
  private WebSocket ws;

  Follower(Vertx vertx, WebSocketClient client, String topic, long since, int... ports) {
    this.vertx = vertx;
    this.client = client;
    this.ports = ports.clone();
    this.topic = topic;
    this.last = since;
  }

  /** Connects and registers; completes once the socket is open (the register is on its way). */
  CompletableFuture<Void> connect() {
    CompletableFuture<Void> open = new CompletableFuture<>();
    vertx.runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(ports[current])
            .setURI("/eventbus/websocket"))
        .onSuccess(socket -> {
          history.add("open");
          ws = socket;
          socket.textMessageHandler(this::frame);
          socket.binaryMessageHandler(bytes -> frame(bytes.toString()));
          long pinger = vertx.setPeriodic(5_000, id -> socket.writeTextMessage("{\"type\":\"ping\"}"));
          socket.closeHandler(x -> {
            history.add("closed " + socket.closeStatusCode() + " " + socket.closeReason());
            vertx.cancelTimer(pinger);
            if (!stopped) reconnect();
          });
          socket.writeTextMessage(new JsonObject().put("type", "register").put("address", topic)
              .put("headers", new JsonObject().put("since", last)).encode());
          open.complete(null);
        })
        .onFailure(e -> {
          history.add("connect failed " + e);
          if (!stopped) reconnect();
          open.completeExceptionally(e);
        }));
    return open;
  }

  /** Reconnects after a pause that doubles with each attempt in a row (jittered), as a polite client does. */
  private void reconnect() {
    reconnects.incrementAndGet();
    current = (current + 1) % ports.length;
    long delay = Math.min(5_000, 100L << Math.min(6, attempts++));
    vertx.setTimer(delay / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(delay / 2 + 1), id -> connect());
  }

  private int attempts;

  private void frame(String text) {
    JsonObject frame = new JsonObject(text);
    if (!"rec".equals(frame.getString("type"))) {
      history.add(text);
      // A refused or revoked registration: try again from where we are.
      if ("err".equals(frame.getString("type")) && ws != null) ws.close();
      return;
    }
    attempts = 0;
    JsonObject envelope = frame.getJsonObject("body");
    if ("resync".equals(envelope.getString("type"))) return;
    long seq = envelope.getLong("seq");
    if (events.putIfAbsent(seq, envelope) != null) duplicates.incrementAndGet();
    while (events.containsKey(last + 1)) last++;
    checkAwaited();
  }

  /** The ids of the comments this reader was told were created, in seq order. */
  Map<Long, Long> commentsBySeq() {
    Map<Long, Long> out = new TreeMap<>();
    events.forEach((seq, e) -> {
      if ("comment.created".equals(e.getString("type"))) out.put(seq, e.getJsonObject("data").getLong("id"));
    });
    return out;
  }

  /** Completes once this reader holds a comment.created event for each of these ids. */
  CompletableFuture<Void> awaitComments(Set<Long> ids) {
    awaitedIds = ids;
    awaited = new CompletableFuture<>();
    vertx.runOnContext(v -> checkAwaited());
    return awaited;
  }

  private void checkAwaited() {
    CompletableFuture<Void> f = awaited;
    if (f != null && !f.isDone() && commentsBySeq().values().containsAll(awaitedIds)) f.complete(null);
  }

  long lastContiguousSeq() {
    return last;
  }

  void stop() {
    stopped = true;
    if (ws != null) vertx.runOnContext(v -> ws.close());
  }
}
