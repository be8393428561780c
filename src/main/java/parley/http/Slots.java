package parley.http;

import io.vertx.core.Future;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * How many of one kind of long read this node runs at once, shared by every HTTP verticle: searches
 * ({@code PARLEY_SEARCH_CONCURRENCY}) and account exports. Such a read holds a pool connection for as long as it
 * runs, so a cap below the pool's size leaves connections for everything else however many people ask; one beyond
 * the cap is answered 503 with Retry-After at once instead of waiting in the pool's queue. A slot is taken before the
 * work starts and given back when its future completes, whatever the outcome (an answer, a failure, a timeout, a
 * client that went away: the query runs to its end or its timeout either way).
 */
public final class Slots {

  private final int capacity;
  private final String refusal;
  private final long retryAfterSeconds;
  private final AtomicInteger inFlight = new AtomicInteger();

  /**
   * @param refusal           the 503's detail when every slot is taken
   * @param retryAfterSeconds how long a refused client is asked to wait: about as long as one such read takes
   */
  public Slots(int capacity, String refusal, long retryAfterSeconds) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1");
    this.capacity = capacity;
    this.refusal = refusal;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Runs the work in a slot, or fails with a 503 problem when every slot is taken. */
  public <T> Future<T> run(Supplier<Future<T>> work) {
    if (inFlight.incrementAndGet() > capacity) {
      inFlight.decrementAndGet();
      return Future.failedFuture(Problem.unavailable(refusal, retryAfterSeconds));
    }
    Future<T> running;
    try {
      running = work.get();
    } catch (RuntimeException e) {
      running = Future.failedFuture(e);
    }
    return running.andThen(done -> inFlight.decrementAndGet());
  }

  /** Reads running now. */
  public int inFlight() {
    return inFlight.get();
  }
}
