package parley.live;

import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs a hub's delivery work a slice at a time and gives the event loop back to its I/O between slices, so the REST
 * requests and database replies that share the loop wait at most one slice, however far delivery is behind.
 *
 * <p>A task queued with {@code runOnContext} would not do that: Netty runs queued tasks for up to a second before it
 * polls I/O again, and a thread with thousands of readers queues a task per event. Under more events than the
 * loop could write, that once kept each step of a comment's POST waiting a second, and the POST tens of seconds.
 * The next slice is scheduled on the loop's timer queue instead, which Netty reads only after its next I/O poll.
 *
 * <p>Work is done in the order it was added (so one topic's events reach a reader in order). Idle, the first
 * slice runs at once, in the caller: a small thread is written to with no delay added.
 */
final class Pump {

  private static final Logger log = LoggerFactory.getLogger(Pump.class);

  /** One piece of delivery work, done a step at a time. */
  interface Work {
    /** Does one step (one reader's write, or one reader's page of replay); false once nothing is left. */
    boolean step();
  }

  /**
   * Once the oldest waiting work is this late, the loop is writing more than it can: while a REST write is in flight
   * on the loop, each slice is followed by a pause of {@link #PAUSE_NANOS}, so the database and the write get the
   * CPU they need (the machine's cores are shared with PostgreSQL). With no write waiting, delivery takes the whole
   * loop, so a loop that fell behind for a moment (a pause for garbage collection) catches up at full speed.
   *
   * <p>The pause is 1 ms after each 5 ms slice (docs/BENCHMARKS.md, P2 and P9). It was 2 ms: that kept delivery to 5/7
   * of a loop whenever a write was in flight, which at 10,000 readers is nearly always, so a loop near its capacity
   * that fell a second behind never caught up (68,000 deliveries/s at any rate from 100,000/s offered). At 1 ms the
   * comment POSTs' p99 under four times the deliverable fan-out stayed at 74 ms (68 ms at 2 ms), and delivery ran
   * at 90,571/s instead of 75,000. Pausing only for a write that had waited over 50 ms was tried too: the POSTs' p99
   * under overload was then 870 ms.
   */
  private static final long BEHIND_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final ArrayDeque<Work> queue = new ArrayDeque<>();
  /** When each queued piece of work was added, in the same order. */
  private final ArrayDeque<Long> added = new ArrayDeque<>();
  private final Context context;
  private final EventLoop loop;
  private final long sliceNanos;
  private final long behindNanos;
  private final BooleanSupplier writing;
  private boolean running;
  private boolean scheduled;
  private long pauses;

  /**
   * Created on the event loop it will run on.
   *
   * @param writing whether a REST write is in flight on this loop
   */
  Pump(Context context, long sliceNanos, BooleanSupplier writing) {
    this(context, sliceNanos, BEHIND_NANOS, writing);
  }

  /** With how late the oldest work must be before a write in flight pauses delivery (for the tests). */
  Pump(Context context, long sliceNanos, long behindNanos, BooleanSupplier writing) {
    this.context = context;
    this.writing = writing;
    this.loop = ((ContextInternal) context).nettyEventLoop();
    this.sliceNanos = sliceNanos;
    this.behindNanos = behindNanos;
  }

  void add(Work work) {
    queue.addLast(work);
    added.addLast(System.nanoTime());
    if (!running && !scheduled) run();
  }

  /** Pieces of work waiting (a gauge of how far delivery is behind). */
  int backlog() {
    return queue.size();
  }

  /** How many times a slice was followed by a pause for a starved write. */
  long pauses() {
    return pauses;
  }

  private void run() {
    running = true;
    long deadline = System.nanoTime() + sliceNanos;
    try {
      int steps = 0;
      while (!queue.isEmpty()) {
        Work work = queue.peekFirst();
        boolean more;
        try {
          more = work.step();
        } catch (RuntimeException e) {
          // A broken piece of work must not stop the deliveries queued behind it.
          log.warn("Dropping a piece of live delivery work after a failure", e);
          more = false;
        }
        if (!more) {
          queue.pollFirst();
          added.pollFirst();
        }
        long now;
        if ((++steps & 15) == 0 && (now = System.nanoTime()) - deadline > 0 && !queue.isEmpty()) {
          scheduled = true;
          boolean yieldToWrites = now - added.peekFirst() > behindNanos && writing.getAsBoolean();
          if (yieldToWrites) pauses++;
          loop.schedule(() -> context.runOnContext(v -> {
            scheduled = false;
            run();
          }), yieldToWrites ? PAUSE_NANOS : 0, TimeUnit.NANOSECONDS);
          return;
        }
      }
    } finally {
      running = false;
    }
  }
}
