package parley.account;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.map.IMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serial;
import java.io.Serializable;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Slows down guessing one account's password from any number of addresses, without letting an attacker lock its
 * owner out: after {@code free} failures in a row, each further failure makes the account wait twice as long before
 * the next attempt (1 s, 2 s, 4 s ... up to {@code maxDelay}), and a success clears it. Addresses that signed in to
 * the account successfully before are not held back, so its owner's usual devices keep working during an attack;
 * a new address waits at most {@code maxDelay}. Addresses are limited separately (PARLEY_LIMIT_FAILED_LOGINS_IP).
 *
 * <p>An attempt from an address the account does not know counts as a failure before its password is checked
 * ({@link #attempt}), and a success then clears it: guesses sent all at once would otherwise all pass the check
 * before any of them had failed (a review had 15 wrong guesses and the right one checked within a second).
 *
 * <p>Kept in this node's memory, or, in cluster mode, in a Hazelcast map where each step runs atomically on the
 * member that holds the account's entry, so guesses spread over several nodes count as one series.
 */
public final class LoginThrottle {

  private static final Logger log = LoggerFactory.getLogger(LoginThrottle.class);
  private static final int KNOWN_ADDRESSES = 5;
  private static final long KNOWN_FOR_MS = Duration.ofDays(30).toMillis();

  private final int free;
  private final long maxDelayMs;
  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final Vertx vertx;
  private final IMap<String, State> shared;
  private final LongSupplier clock;

  /** The throttle's name for an account: its id and creation time, which no other account ever shares. */
  static String account(long id, OffsetDateTime createdAt) {
    return id + "@" + createdAt.toInstant().toEpochMilli();
  }

  /** Kept on this node. */
  LoginThrottle(int free, Duration maxDelay) {
    this(free, maxDelay, null, null);
  }

  /** Kept on this node, on the given clock (epoch ms): for the tests. */
  LoginThrottle(int free, Duration maxDelay, LongSupplier clock) {
    this(free, maxDelay, null, null, clock);
  }

  /** Kept in the cluster's map (whose members' clocks are the time there). */
  LoginThrottle(int free, Duration maxDelay, Vertx vertx, IMap<String, State> shared) {
    this(free, maxDelay, vertx, shared, System::currentTimeMillis);
  }

  private LoginThrottle(int free, Duration maxDelay, Vertx vertx, IMap<String, State> shared, LongSupplier clock) {
    this.free = free;
    this.maxDelayMs = maxDelay.toMillis();
    this.vertx = vertx;
    this.shared = shared;
    this.clock = clock;
  }

  /**
   * Whether this address may try this account's password now, or must wait; when it may and the account does not
   * know it, the attempt has already counted as a failure ({@link Attempt#counted}), which its success clears.
   */
  Future<Attempt> attempt(String account, String ip) {
    return apply(account, new Try(ip, free, maxDelayMs));
  }

  /** Counts a failure of an attempt that did not count in advance; completes once it counts. */
  Future<Void> failed(String account) {
    return apply(account, new Fail(free, maxDelayMs)).mapEmpty();
  }

  /**
   * Gives back the failure {@code tried} counted in advance, and the wait it set, if no later step has set another:
   * its password was right (a {@code currentPassword}), or could not be checked at all (the hashing was busy).
   */
  Future<Void> released(String account, Attempt tried) {
    return apply(account, new Release(tried.waitSet(), tried.waitBefore())).mapEmpty();
  }

  Future<Void> succeeded(String account, String ip) {
    return apply(account, new Succeed(ip)).mapEmpty();
  }

  private Future<Attempt> apply(String account, Step step) {
    if (shared != null) {
      @SuppressWarnings("unchecked")
      java.util.concurrent.CompletionStage<Object> answered =
          (java.util.concurrent.CompletionStage<Object>) (java.util.concurrent.CompletionStage<?>)
              shared.submitToKey(account, new Apply(step));
      return Future.fromCompletionStage(answered, vertx.getOrCreateContext())
          // A member of an earlier version answers with what its own steps returned (a number): counted here, as
          // when the map is unreachable, rather than a sign-in failed on a wrong type (a review).
          .compose(answer -> answer instanceof Attempt attempt ? Future.succeededFuture(attempt)
              : Future.<Attempt>failedFuture(new IllegalStateException("a member of another version answered "
                  + answer)))
          .recover(e -> {
            // The cluster's map is unreachable for now: this node's own count still slows the guesser down.
            log.warn("Shared login throttle unavailable, using this node's: {}", e.toString());
            return Future.succeededFuture(applyHere(account, step));
          });
    }
    return Future.succeededFuture(applyHere(account, step));
  }

  private Attempt applyHere(String account, Step step) {
    State state = step.creates() ? states.computeIfAbsent(account, id -> new State()) : states.get(account);
    if (state == null) return Attempt.FREE;
    synchronized (state) {
      return step.apply(state, clock.getAsLong());
    }
  }

  /** Forgets accounts with no recent failures and no address worth remembering (this node's store only). */
  public void sweep() {
    long now = clock.getAsLong();
    states.entrySet().removeIf(e -> {
      State s = e.getValue();
      synchronized (s) {
        s.known.removeIf(k -> now - k.at > KNOWN_FOR_MS);
        boolean quiet = s.failures == 0 || now - s.lastFailure > Math.max(maxDelayMs * 2, Duration.ofHours(1).toMillis());
        if (quiet) {
          s.failures = 0;
          s.blockedUntil = 0;
        }
        return quiet && s.known.isEmpty();
      }
    });
  }

  /**
   * What a step found, for an attempt: wait this many seconds (0: try now), or try, already counted as a failure
   * ({@code counted}), with the account's wait as that count set it ({@code waitSet}, epoch ms) and as it was before
   * ({@code waitBefore}), for a {@link #released} to put back. Serializable: in cluster mode it is the entry
   * processor's answer.
   */
  record Attempt(long waitSeconds, boolean counted, long waitSet, long waitBefore) implements Serializable {
    /** Nothing to wait for, nothing counted: an unknown login, a known address, and every other step's answer. */
    static final Attempt FREE = new Attempt(0, false, 0, 0);

    static Attempt waits(long seconds) {
      return new Attempt(seconds, false, 0, 0);
    }
  }

  /** One account's record. Serializable, since in cluster mode it is stored in Hazelcast. */
  static final class State implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    int failures;
    long blockedUntil;
    long lastFailure;
    final ArrayDeque<Known> known = new ArrayDeque<>();

    boolean knows(String ip, long now) {
      return known.stream().anyMatch(k -> k.ip.equals(ip) && now - k.at <= KNOWN_FOR_MS);
    }

    void remember(String ip, long now) {
      known.removeIf(k -> k.ip.equals(ip));
      known.addFirst(new Known(ip, now));
      while (known.size() > KNOWN_ADDRESSES) known.removeLast();
    }
  }

  private record Known(String ip, long at) implements Serializable {
  }

  /** One step on an account's record, the same wherever the record is kept. */
  private sealed interface Step extends Serializable permits Try, Fail, Release, Succeed {
    /** Applies the step at {@code now} (epoch ms). */
    Attempt apply(State state, long now);

    /** Whether it changes the record, which in cluster mode must then be written back (the processor has a copy). */
    boolean changes();

    /** Whether it makes a record for an account that has none. */
    default boolean creates() {
      return changes();
    }

    /** Whether this application of it changed the record (in cluster mode, whether it is written back). */
    default boolean changed(Attempt result) {
      return changes();
    }
  }

  /**
   * An attempt: from a known address, try (nothing counted); while the account waits, the seconds left; else try,
   * counted as a failure already.
   */
  private record Try(String ip, int free, long maxDelayMs) implements Step {
    @Override
    public Attempt apply(State state, long now) {
      if (state.knows(ip, now)) return Attempt.FREE;
      long wait = state.blockedUntil - now;
      if (wait > 0) return Attempt.waits((wait + 999) / 1000);
      long before = state.blockedUntil;
      Fail.count(state, now, free, maxDelayMs);
      return new Attempt(0, true, state.blockedUntil, before);
    }

    /** Only a counted attempt is written back: one held (429) or from a known address reads the record alone. */
    @Override
    public boolean changed(Attempt result) {
      return result.counted();
    }

    @Override
    public boolean changes() {
      return true;
    }
  }

  private record Fail(int free, long maxDelayMs) implements Step {
    @Override
    public Attempt apply(State state, long now) {
      count(state, now, free, maxDelayMs);
      return Attempt.FREE;
    }

    static void count(State state, long now, int free, long maxDelayMs) {
      state.failures++;
      state.lastFailure = now;
      if (state.failures >= free) {
        int doublings = Math.min(state.failures - free, 30);
        state.blockedUntil = now + Math.min(1000L << doublings, maxDelayMs);
      }
    }

    @Override
    public boolean changes() {
      return true;
    }
  }

  /**
   * An advance failure given back: one failure fewer, and the wait as it was before it, unless a later step set
   * another (a review found a right {@code currentPassword} re-arming a 15-minute wait).
   */
  private record Release(long waitSet, long waitBefore) implements Step {
    @Override
    public Attempt apply(State state, long now) {
      if (state.failures > 0) state.failures--;
      if (state.blockedUntil == waitSet) state.blockedUntil = waitBefore;
      return Attempt.FREE;
    }

    /** Written back in cluster mode (a review found it lost there: a right password counted as a failure for good). */
    @Override
    public boolean changes() {
      return true;
    }

    /** But never a record made for it: there is nothing to give back to (a sweep forgot it, or the map lost it). */
    @Override
    public boolean creates() {
      return false;
    }
  }

  private record Succeed(String ip) implements Step {
    @Override
    public Attempt apply(State state, long now) {
      state.failures = 0;
      state.blockedUntil = 0;
      state.remember(ip, now);
      return Attempt.FREE;
    }

    @Override
    public boolean changes() {
      return true;
    }
  }

  /**
   * A step run where the account's record is stored, atomically, by the member that owns it (its clock is the
   * time). A record lives for as long as a known address is remembered, then expires.
   */
  private static final class Apply implements EntryProcessor<String, State, Attempt> {
    @Serial
    private static final long serialVersionUID = 1L;

    private final Step step;
    /** The record as the step left it on the member that owns it, for its backup; null when it did not change. */
    private transient State after;

    Apply(Step step) {
      this.step = step;
    }

    @Override
    public Attempt process(Map.Entry<String, State> entry) {
      State state = entry.getValue();
      if (state == null && !step.creates()) return Attempt.FREE;
      if (state == null) state = new State();
      Attempt result = step.apply(state, System.currentTimeMillis());
      if (step.changed(result)) {
        ((ExtendedMapEntry<String, State>) entry).setValue(state, KNOWN_FOR_MS, TimeUnit.MILLISECONDS);
        after = state;
      }
      return result;
    }

    /**
     * The backup is the owner's record as it is after the step, not the step run again on the backup's clock: a
     * wait computed there differed from the owner's, so a give-back, which restores only the wait its attempt set,
     * left the backup's, and a member's departure promoted it (a review).
     */
    @Override
    public EntryProcessor<String, State, Attempt> getBackupProcessor() {
      return after == null ? null : new Store(after);
    }
  }

  /** A record written as it is, on a backup. */
  private record Store(State state) implements EntryProcessor<String, State, Attempt> {
    @Override
    public Attempt process(Map.Entry<String, State> entry) {
      ((ExtendedMapEntry<String, State>) entry).setValue(state, KNOWN_FOR_MS, TimeUnit.MILLISECONDS);
      return Attempt.FREE;
    }

    @Override
    public EntryProcessor<String, State, Attempt> getBackupProcessor() {
      return null;
    }
  }
}
