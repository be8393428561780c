package parley.account;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down guessing one account's password from any number of addresses, without letting an attacker lock its
 * owner out: after {@code free} failures in a row, each further failure makes the account wait twice as long before
 * the next attempt (1 s, 2 s, 4 s ... up to {@code maxDelay}), and a success clears it. Addresses that signed in to
 * the account successfully before are not held back, so its owner's usual devices keep working during an attack;
 * a new address waits at most {@code maxDelay}. Addresses are limited separately (PARLEY_LIMIT_FAILED_LOGINS_IP).
 *
 * <p>Per node, in memory, like the other rate limits.
 */
public final class LoginThrottle {

  private static final int KNOWN_ADDRESSES = 5;
  private static final long KNOWN_FOR_MS = Duration.ofDays(30).toMillis();

  private final int free;
  private final long maxDelayMs;
  private final Map<String, State> states = new ConcurrentHashMap<>();

  /** The throttle's name for an account: its id and creation time, which no other account ever shares. */
  static String account(long id, OffsetDateTime createdAt) {
    return id + "@" + createdAt.toInstant().toEpochMilli();
  }

  LoginThrottle(int free, Duration maxDelay) {
    this.free = free;
    this.maxDelayMs = maxDelay.toMillis();
  }

  /** Seconds this address must wait before trying this account again; 0 means it may try now. */
  long waitSeconds(String account, String ip) {
    State state = states.get(account);
    if (state == null) return 0;
    synchronized (state) {
      long now = System.currentTimeMillis();
      if (state.knows(ip, now)) return 0;
      long wait = state.blockedUntil - now;
      return wait <= 0 ? 0 : (wait + 999) / 1000;
    }
  }

  void failed(String account) {
    State state = states.computeIfAbsent(account, id -> new State());
    synchronized (state) {
      long now = System.currentTimeMillis();
      state.failures++;
      state.lastFailure = now;
      if (state.failures >= free) {
        int doublings = Math.min(state.failures - free, 30);
        state.blockedUntil = now + Math.min(1000L << doublings, maxDelayMs);
      }
    }
  }

  void succeeded(String account, String ip) {
    State state = states.computeIfAbsent(account, id -> new State());
    synchronized (state) {
      state.failures = 0;
      state.blockedUntil = 0;
      state.remember(ip, System.currentTimeMillis());
    }
  }

  /** Forgets accounts with no recent failures and no address worth remembering. */
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

  private static final class State {
    int failures;
    long blockedUntil;
    long lastFailure;
    final Deque<Known> known = new ArrayDeque<>();

    boolean knows(String ip, long now) {
      return known.stream().anyMatch(k -> k.ip.equals(ip) && now - k.at <= KNOWN_FOR_MS);
    }

    void remember(String ip, long now) {
      known.removeIf(k -> k.ip.equals(ip));
      known.addFirst(new Known(ip, now));
      while (known.size() > KNOWN_ADDRESSES) known.removeLast();
    }
  }

  private record Known(String ip, long at) {
  }
}
