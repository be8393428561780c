package parley.http;

import org.slf4j.Logger;

/**
 * A warning that repeats with every failed attempt while something outside is down (the database during an outage:
 * each voted item's score every 250 ms, each write's notifications), written at most once per interval: the first
 * at once, the rest counted and told with the next one written ("and 81 more like it"), so an outage of a minute is
 * a few lines in the operators' log, not thousands, and still says how much failed. Thread-safe.
 */
public final class ThrottledWarning {

  private final Logger log;
  private final long intervalNanos;
  private final java.util.function.LongSupplier clock;
  private long lastWritten;
  private boolean written;
  private long held;
  /** The latest warning held, told by {@link #recovered()} with the count when nothing comes after it. */
  private String heldFormat;
  private Object[] heldArgs;
  private volatile boolean holding;

  public ThrottledWarning(Logger log, java.time.Duration interval) {
    this(log, interval, System::nanoTime);
  }

  /** @param clock nanoseconds, as {@link System#nanoTime} (a test's own clock) */
  ThrottledWarning(Logger log, java.time.Duration interval, java.util.function.LongSupplier clock) {
    this.log = log;
    this.intervalNanos = interval.toNanos();
    this.clock = clock;
  }

  /** Writes the warning (with the count of those held since the last), or holds it if one was written lately. */
  public synchronized void warn(String format, Object... args) {
    long now = clock.getAsLong();
    if (written && now - lastWritten < intervalNanos) {
      held++;
      heldFormat = format;
      heldArgs = args;
      holding = true;
      return;
    }
    if (held > 0) {
      writeWithCount(format, args, " (and {} more like it since the last such line)");
    } else {
      log.warn(format, args);
    }
    written = true;
    lastWritten = now;
    held = 0;
    holding = false;
  }

  /**
   * The trouble is over (the attempt that warned now succeeds): warnings still held are told at once, the latest of
   * them with their count, instead of never (the next warning might not come for days, or at all).
   */
  public void recovered() {
    if (!holding) return;
    synchronized (this) {
      if (held == 0) return;
      writeWithCount(heldFormat, heldArgs, " (and {} like it since the last such line; the next attempt succeeded)");
      lastWritten = clock.getAsLong();
      held = 0;
      holding = false;
      heldFormat = null;
      heldArgs = null;
    }
  }

  private void writeWithCount(String format, Object[] args, String suffix) {
    Object[] more = java.util.Arrays.copyOf(args, args.length + 1);
    more[args.length] = held;
    log.warn(format + suffix, more);
  }
}
