package parley.account;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import parley.config.PasswordHashingSettings;
import parley.http.Problem;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where this node hashes and checks passwords, shared by every HTTP verticle: a worker pool of its own
 * ({@code PARLEY_PASSWORD_HASHING_THREADS}), so a burst of sign-ins takes at most those cores and that many hashes'
 * memory, never Vert.x's shared workers, and a bounded wait for it ({@code PARLEY_PASSWORD_HASHING_QUEUE}). A request
 * beyond the wait is answered 503 with Retry-After at once, before anything is read or written: under a flood of
 * sign-ins, the writes of people already signed in come first.
 */
public final class PasswordHashing {

  /** Seconds a refused request is asked to wait: the queue drains in about that long at OWASP's cost. */
  static final long RETRY_AFTER_SECONDS = 1;
  static final String POOL_NAME = "parley-password-hashing";

  private final WorkerExecutor workers;
  private final Passwords.Cost cost;
  private final int capacity;
  private final AtomicInteger admitted = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();

  public PasswordHashing(Vertx vertx, PasswordHashingSettings settings) {
    this.workers = vertx.createSharedWorkerExecutor(POOL_NAME, settings.threads());
    this.cost = settings.weak() ? Passwords.Cost.WEAK : Passwords.Cost.STANDARD;
    this.capacity = settings.threads() + settings.queue();
  }

  /** The cost new passwords are hashed at. */
  Passwords.Cost cost() {
    return cost;
  }

  /** Runs one hash or check on the pool, or fails with a 503 problem at once when its threads and queue are full. */
  <T> Future<T> run(Callable<T> work) {
    if (admitted.incrementAndGet() > capacity) {
      admitted.decrementAndGet();
      refused.incrementAndGet();
      return Future.failedFuture(Problem.unavailable(
          "Too many people are signing in or registering on this server at once; try again shortly.",
          RETRY_AFTER_SECONDS));
    }
    return workers.executeBlocking(work, false).andThen(done -> admitted.decrementAndGet());
  }

  /** Hashes and checks running or waiting now. */
  public int admitted() {
    return admitted.get();
  }

  /** Requests refused so far because the threads and the queue were full. */
  public long refused() {
    return refused.get();
  }
}
