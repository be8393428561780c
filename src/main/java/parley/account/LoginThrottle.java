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

  /** The throttle's name for an account: its id and creation time, which no other account ever shares. */
  static String account(long id, OffsetDateTime createdAt) {
    return id + "@" + createdAt.toInstant().toEpochMilli();
  }

  /** Kept on this node. */
  LoginThrottle(int free, Duration maxDelay) {
    this(free, maxDelay, null, null);
  }

  /** Kept in the cluster's map. */
  LoginThrottle(int free, Duration maxDelay, Vertx vertx, IMap<String, State> shared) {
    this.free = free;
    this.maxDelayMs = maxDelay.toMillis();
    this.vertx = vertx;
    this.shared = shared;
  }

  /**
   * Whether this address may try this account's password now, or must wait; when it may and the account does not
   * know it, the attempt has already counted as a failure ({@link Attempt#counted}), which its success clears.
   */
  Future<Attempt> attempt(String account, String ip) {
    return apply(account, new Try(ip, free, maxDelayMs)).map(Attempt::of);
  }

  /** Counts a failure of an attempt that did not count in advance; completes once it counts. */
  Future<Void> failed(String account) {
    return apply(account, new Fail(free, maxDelayMs)).mapEmpty();
  }

  /** Gives back an attempt's advance failure when its password could not be checked at all (the hashing was busy). */
  Future<Void> released(String account) {
    return apply(account, new Release(free)).mapEmpty();
  }

  Future<Void> succeeded(String account, String ip) {
    return apply(account, new Succeed(ip)).mapEmpty();
  }

  private Future<Long> apply(String account, Step step) {
    if (shared != null) {
      return Future.fromCompletionStage(shared.submitToKey(account, new Apply(step)), vertx.getOrCreateContext())
          .recover(e -> {
            // The cluster's map is unreachable for now: this node's own count still slows the guesser down.
            log.warn("Shared login throttle unavailable, using this node's: {}", e.toString());
            return Future.succeededFuture(applyHere(account, step));
          });
    }
    return Future.succeededFuture(applyHere(account, step));
  }

  private long applyHere(String account, Step step) {
    State state = step.changes() ? states.computeIfAbsent(account, id -> new State()) : states.get(account);
    if (state == null) return 0;
    synchronized (state) {
      return step.apply(state, System.currentTimeMillis());
    }
  }

  /** Forgets accounts with no recent failures and no address worth remembering (this node's store only). */
  public void sweep() {
    long now = System.currentTimeMillis();
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

  /** What an attempt may do: wait this many seconds (0: try now), and whether it has already counted as a failure. */
  record Attempt(long waitSeconds, boolean counted) {
    /** An attempt at no account (an unknown login): nothing to wait for, nothing counted. */
    static final Attempt FREE = new Attempt(0, false);

    private static Attempt of(long stepped) {
      return stepped == Try.COUNTED ? new Attempt(0, true) : new Attempt(stepped, false);
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
    /** Applies the step at {@code now} (epoch ms); returns seconds to wait, 0 when there is nothing to wait for. */
    long apply(State state, long now);

    /** Whether it changes the record (a check of an account with no record creates none). */
    boolean changes();
  }

  /**
   * An attempt: from a known address, 0 (try, nothing counted); while the account waits, the seconds left; else
   * {@link #COUNTED}: try, and the attempt has counted as a failure already.
   */
  private record Try(String ip, int free, long maxDelayMs) implements Step {
    static final long COUNTED = -1;

    @Override
    public long apply(State state, long now) {
      if (state.knows(ip, now)) return 0;
      long wait = state.blockedUntil - now;
      if (wait > 0) return (wait + 999) / 1000;
      Fail.count(state, now, free, maxDelayMs);
      return COUNTED;
    }

    @Override
    public boolean changes() {
      return true;
    }
  }

  private record Fail(int free, long maxDelayMs) implements Step {
    @Override
    public long apply(State state, long now) {
      count(state, now, free, maxDelayMs);
      return 0;
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

  /** An advance failure given back: one failure fewer, and no wait while they are fewer than the free ones. */
  private record Release(int free) implements Step {
    @Override
    public long apply(State state, long now) {
      if (state.failures > 0) state.failures--;
      if (state.failures < free) state.blockedUntil = 0;
      return 0;
    }

    @Override
    public boolean changes() {
      return false;
    }
  }

  private record Succeed(String ip) implements Step {
    @Override
    public long apply(State state, long now) {
      state.failures = 0;
      state.blockedUntil = 0;
      state.remember(ip, now);
      return 0;
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
  private record Apply(Step step) implements EntryProcessor<String, State, Long> {
    @Override
    public Long process(Map.Entry<String, State> entry) {
      State state = entry.getValue();
      if (state == null && !step.changes()) return 0L;
      if (state == null) state = new State();
      long result = step.apply(state, System.currentTimeMillis());
      if (step.changes()) {
        ((ExtendedMapEntry<String, State>) entry).setValue(state, KNOWN_FOR_MS, TimeUnit.MILLISECONDS);
      }
      return result;
    }
  }
}
