package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;

import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * A connection's replay turns (see {@link Sink#replayTurn}): given one at a time, each once the connection has room,
 * the next at its drain when it has none.
 */
final class Drain {

  private final BooleanSupplier full;
  private final ArrayDeque<Promise<Void>> turns = new ArrayDeque<>();
  private boolean turnTaken;

  /** {@code full}: the connection's own answer to whether it holds its bound (asking it arms its drain handler). */
  Drain(WriteStream<?> stream, BooleanSupplier full) {
    this.full = full;
    stream.drainHandler(v -> nextTurn());
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
    turns.clear();
  }
}
