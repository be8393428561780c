package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import parley.events.Topics;

import java.util.ArrayList;
import java.util.List;

/**
 * A reader's transport for tests that drive the hub directly: records the seqs it was sent, never full, never asked
 * to resync; sent away quietly when its hub closes. Subclasses say what a slow-consumer close and a revocation mean
 * for their test.
 */
abstract class RecordingSink implements Sink {

  final List<Long> seqs = new ArrayList<>();
  Runnable onSend = () -> { };

  /** Publishes an event on a topic's bus address, as a committing node does. */
  static void publish(Vertx vertx, String topic, String type, long seq) {
    vertx.eventBus().publish(Topics.busAddress(topic), "{\"seq\":" + seq + "}", new DeliveryOptions()
        .addHeader("seq", Long.toString(seq)).addHeader("type", type)
        .addHeader("published", Long.toString(System.currentTimeMillis())));
  }

  /** Runs after the seq is recorded, before {@link #onSend}. */
  void recorded() {
  }

  @Override
  public String transport() {
    return BRIDGE;
  }

  @Override
  public void send(String topic, Delivery delivery) {
    seqs.add(delivery.event.seq());
    recorded();
    onSend.run();
  }

  @Override
  public void resync(String topic, Long headSeq) {
    throw new AssertionError("nothing to resync from now on");
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public Future<Void> replayTurn() {
    return Future.succeededFuture();
  }

  @Override
  public void endReplayTurn() {
  }

  @Override
  public void goingAway() {
    // The hub closing at the end of the test sends every reader away: not a slow consumer.
  }
}
