package parley.live;

import io.vertx.core.Future;
import parley.access.Principal;
import parley.post.Posts;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a reader may follow a thread, looked up once for everyone who asks at the same moment: when thousands of
 * clients reconnect together (a deploy, a network blip), their registrations for one thread share a single query
 * instead of queueing thousands on the live side's small pool. Nothing is cached once the query answers, so a
 * change (a hide) is seen by the next registration; a registration that joins a query already under way starts
 * from that query's seq, so it still sees every event after it. One per event loop; no locks.
 */
final class ThreadChecks {

  private final Posts posts;
  private final Map<Long, Future<Optional<Posts.ThreadState>>> inFlight = new HashMap<>();

  ThreadChecks(Posts posts) {
    this.posts = posts;
  }

  /** The thread's seq if this reader may follow it now, empty if not (see {@link Posts.ThreadState#readableAt}). */
  Future<Optional<Long>> readableAt(long postId, Principal reader) {
    Future<Optional<Posts.ThreadState>> state = inFlight.get(postId);
    if (state == null) {
      state = posts.thread(postId);
      if (!state.isComplete()) {
        inFlight.put(postId, state);
        state.onComplete(ar -> inFlight.remove(postId));
      }
    }
    return state.map(found -> found.flatMap(thread -> thread.readableAt(reader)));
  }
}
