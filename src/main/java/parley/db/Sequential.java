package parley.db;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.Iterator;
import java.util.function.Function;

/**
 * Work on many rows one at a time: each piece is started when the one before has ended, and the first failure ends
 * the walk. Not a chain of composed futures built up front: for thousands of pieces a failure ran down all of them
 * at once, overflowed the stack and never completed (a review, deleting an account of 3,000 comments).
 */
public final class Sequential {

  private Sequential() {
  }

  /** Applies {@code each} to every item in turn; completes after the last, or fails with the first failure. */
  public static <T> Future<Void> each(Iterable<T> items, Function<T, Future<Void>> each) {
    Promise<Void> walked = Promise.promise();
    next(items.iterator(), each, walked);
    return walked.future();
  }

  private static <T> void next(Iterator<T> items, Function<T, Future<Void>> each, Promise<Void> walked) {
    if (!items.hasNext()) {
      walked.complete();
      return;
    }
    Future<Void> one;
    try {
      one = each.apply(items.next());
    } catch (RuntimeException e) {
      walked.fail(e);
      return;
    }
    one.onComplete(done -> {
      if (done.failed()) walked.fail(done.cause());
      else next(items, each, walked);
    });
  }
}
