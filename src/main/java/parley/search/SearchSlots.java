package parley.search;

import io.vertx.core.Future;
import parley.http.Problem;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * How many searches this node runs at once ({@code PARLEY_SEARCH_CONCURRENCY}), shared by every HTTP verticle. A
 * search holds a pool connection for as long as PostgreSQL works on it, so a cap below the pool's size leaves
 * connections for everything else however many people search; a search beyond the cap is answered 503 with
 * Retry-After at once instead of waiting in the pool's queue. A slot is taken before the search starts and given
 * back when its future completes, whatever the outcome (an answer, a failure, a timeout, a client that went away:
 * the query runs to its end or its timeout either way).
 */
public final class SearchSlots {

  /** Seconds a refused search is asked to wait: searches are bounded by PARLEY_SEARCH_TIMEOUT, about this long. */
  static final long RETRY_AFTER_SECONDS = 2;

  private final int capacity;
  private final AtomicInteger inFlight = new AtomicInteger();

  public SearchSlots(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1");
    this.capacity = capacity;
  }

  /** Runs the search in a slot, or fails with a 503 problem when every slot is taken. */
  public <T> Future<T> run(Supplier<Future<T>> search) {
    if (inFlight.incrementAndGet() > capacity) {
      inFlight.decrementAndGet();
      return Future.failedFuture(Problem.unavailable(
          "Too many searches are running on this server; try again shortly.", RETRY_AFTER_SECONDS));
    }
    Future<T> running;
    try {
      running = search.get();
    } catch (RuntimeException e) {
      running = Future.failedFuture(e);
    }
    return running.andThen(done -> inFlight.decrementAndGet());
  }

  /** Searches running now. */
  public int inFlight() {
    return inFlight.get();
  }
}
