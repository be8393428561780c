package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;

import java.util.ArrayList;
import java.util.List;

/** Replays waiting for a transport to drain: one drain handler per connection completes them all. */
final class Drain {

  private final List<Promise<Void>> waiters = new ArrayList<>();

  Drain(WriteStream<?> stream) {
    stream.drainHandler(v -> {
      List<Promise<Void>> ready = List.copyOf(waiters);
      waiters.clear();
      ready.forEach(Promise::tryComplete);
    });
  }

  /** Completes at once when the transport has room, otherwise at its next drain. */
  Future<Void> await(boolean full) {
    if (!full) return Future.succeededFuture();
    Promise<Void> promise = Promise.promise();
    waiters.add(promise);
    return promise.future();
  }

  void clear() {
    waiters.clear();
  }
}
