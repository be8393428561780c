package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A connection's drain, for the replays it carries: one drain handler per connection completes every wait, and its
 * replay turns (see {@link Sink#replayTurn}) go out one at a time, each once the connection has room.
 */
final class Drain {

  private final BooleanSupplier full;
  private final List<Promise<Void>> waiters = new ArrayList<>();
  private final ArrayDeque<Promise<Void>> turns = new ArrayDeque<>();
  private boolean turnTaken;

  /** {@code full}: the connection's own answer to whether it holds its bound (asking it arms its drain handler). */
  Drain(WriteStream<?> stream, BooleanSupplier full) {
    this.full = full;
    stream.drainHandler(v -> {
      List<Promise<Void>> ready = List.copyOf(waiters);
      waiters.clear();
      ready.forEach(Promise::tryComplete);
      nextTurn();
    });
  }

  /** Completes at once when the transport has room, otherwise at its next drain. */
  Future<Void> await() {
    if (!full.getAsBoolean()) return Future.succeededFuture();
    Promise<Void> promise = Promise.promise();
    waiters.add(promise);
    return promise.future();
  }

  /** Completes when every turn asked for before has ended and the transport has room. */
  Future<Void> turn() {
    Promise<Void> promise = Promise.promise();
    turns.addLast(promise);
    nextTurn();
    return promise.future();
  }

  void endTurn() {
    turnTaken = false;
    nextTurn();
  }

  private void nextTurn() {
    if (turnTaken || turns.isEmpty() || full.getAsBoolean()) return;
    turnTaken = true;
    turns.pollFirst().complete();
  }

  /** The connection is gone: nothing waiting is ever completed. */
  void clear() {
    waiters.clear();
    turns.clear();
  }
}
