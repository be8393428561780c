package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import parley.events.LiveEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One bridge socket and the topics it follows. Frames are written as text (on /eventbus/websocket, one WebSocket
 * text message per frame), in the bridge's own format: {"type":"rec","address":topic,"body":envelope}.
 */
final class BridgeSink implements Sink {

  /** Close code for a reader that stopped reading: its client should reconnect and resume with since. */
  static final int SLOW_CONSUMER = 4001;

  final SockJSSocket socket;
  /** Topic to its subscription (null while the subscription is being set up). */
  final Map<String, LiveHub.Subscription> subscriptions = new HashMap<>();
  private final List<Promise<Void>> drainWaiters = new ArrayList<>();
  private boolean closed;

  BridgeSink(SockJSSocket socket, int maxQueueBytes) {
    this.socket = socket;
    socket.setWriteQueueMaxSize(maxQueueBytes);
    socket.drainHandler(v -> {
      List<Promise<Void>> waiters = List.copyOf(drainWaiters);
      drainWaiters.clear();
      waiters.forEach(Promise::tryComplete);
    });
  }

  @Override
  public void send(String topic, LiveEvent event) {
    if (!closed) socket.write(event.bridgeFrame());
  }

  @Override
  public void resync(String topic, Long headSeq) {
    if (!closed) socket.write(LiveEvent.bridgeFrame(topic, LiveEvent.resyncEnvelope(topic, headSeq)));
  }

  @Override
  public boolean writeQueueFull() {
    return socket.writeQueueFull();
  }

  @Override
  public Future<Void> drained() {
    if (!socket.writeQueueFull()) return Future.succeededFuture();
    Promise<Void> promise = Promise.promise();
    drainWaiters.add(promise);
    return promise.future();
  }

  @Override
  public void overflow() {
    if (closed) return;
    closed = true;
    socket.close(SLOW_CONSUMER, "slow consumer: reconnect and resume with since");
  }

  @Override
  public void revoke(String topic, String reason) {
    subscriptions.remove(topic);
    if (!closed) {
      socket.write(new JsonObject().put("type", "err").put("address", topic).put("body", reason).encode());
    }
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  void markClosed() {
    closed = true;
    drainWaiters.clear();
  }
}
