package parley.db;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * PostgreSQL did not answer a request's statements within their deadline (see {@link BoundedPool}): it is frozen,
 * partitioned away, or stalled. The request is answered 503 at once, like an outage, instead of waiting as long as
 * the database does.
 *
 * <p>{@link #maybeSaved()} says whether a write's COMMIT had already been sent when the deadline passed: then the
 * write may yet be saved, and only a retry with the same Idempotency-Key can say so safely. Otherwise nothing of it
 * is saved: its transaction is rolled back once the database answers again.
 */
public final class DatabaseDeadline extends TimeoutException {

  private final boolean maybeSaved;

  DatabaseDeadline(Duration deadline, boolean maybeSaved) {
    super("PostgreSQL did not answer within " + deadline.toMillis() + " ms"
        + (maybeSaved ? " of a COMMIT being sent" : ""));
    this.maybeSaved = maybeSaved;
  }

  public boolean maybeSaved() {
    return maybeSaved;
  }

  /** No stack trace: the deadline's timer is all it would show. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
