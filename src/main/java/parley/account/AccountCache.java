package parley.account;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import parley.config.ReadCacheSettings;
import parley.events.AccountChanged;

import java.util.Iterator;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

/**
 * This node's accounts as the authenticator last read them, so a signed-in request needs no query to know who is
 * calling, while a ban, a role change, revoked tokens or a rename still count from the next request on.
 *
 * <p>Every change to an account goes through {@link #changed}: it retires the account here, before the write
 * answers, and publishes {@link AccountChanged}, which retires it on every other node when it arrives (and tells
 * their live connections). The rule is the read cache's: each account has a version (a counter for everything plus
 * the account's, which only grow); a read notes it <em>before</em> its query, and what it read is kept only while the
 * version is still that. So a read racing a change is never kept past the change's retirement, wherever it lands.
 * Entries also age out after {@link #MAX_AGE_MS}, a backstop for a change whose message never arrived (a node cut
 * off from the cluster, an update made behind Parley's back). Bounded by {@code PARLEY_ACCOUNT_CACHE_ENTRIES};
 * {@code PARLEY_READ_CACHE=off} turns it off, with the node's other caches.
 *
 * <p>Accounts share {@value #SLOTS} counters by id: two in one slot retire each other, which costs a query, never
 * correctness.
 */
public final class AccountCache {

  /** The oldest a kept account may be. Short: it bounds how long a lost message could delay a ban. */
  static final long MAX_AGE_MS = 30_000;

  static final int SLOTS = 16384;

  private record Entry(User user, long version, long storedAt) {
  }

  private final boolean on;
  private final int maxEntries;
  private final ConcurrentHashMap<Long, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong everything = new AtomicLong();
  private final AtomicLongArray users = new AtomicLongArray(SLOTS);
  private final String node = UUID.randomUUID().toString();
  private final Counter hits;
  private final Counter misses;
  private final Counter localChanges;
  private final Counter remoteChanges;
  private volatile Vertx vertx;
  /** Set while a node outside this one's cluster serves from its database ({@link #bypass}). */
  private volatile boolean bypassed;

  public AccountCache(ReadCacheSettings settings, MeterRegistry meters) {
    this.on = settings.accountsOn();
    this.maxEntries = settings.accountEntries();
    hits = requests(meters, "hit");
    misses = requests(meters, "miss");
    localChanges = changes(meters, "local");
    remoteChanges = changes(meters, "remote");
    Gauge.builder("parley_account_cache_entries", entries, ConcurrentHashMap::size)
        .description("Accounts in this node's authenticator cache (bounded by PARLEY_ACCOUNT_CACHE_ENTRIES)")
        .register(meters);
  }

  private static Counter requests(MeterRegistry meters, String result) {
    return Counter.builder("parley_account_cache_requests").tag("result", result)
        .description("Signed-in requests whose account was kept (hit) or read from the database (miss)")
        .register(meters);
  }

  private static Counter changes(MeterRegistry meters, String origin) {
    return Counter.builder("parley_account_cache_invalidations").tag("origin", origin)
        .description("Account changes that retired a kept account, by where they were made").register(meters);
  }

  /** The account as kept, or as {@code load} reads it now (kept unless it changed meanwhile). */
  Future<Optional<User>> find(long userId, Supplier<Future<Optional<User>>> load) {
    if (!on || bypassed) return load.get();
    long version = version(userId);
    Entry kept = entries.get(userId);
    if (kept != null) {
      if (kept.version == version && System.currentTimeMillis() - kept.storedAt < MAX_AGE_MS) {
        hits.increment();
        return Future.succeededFuture(Optional.of(kept.user));
      }
      entries.remove(userId, kept);
    }
    misses.increment();
    return load.get().map(found -> {
      if (found.isPresent() && version(userId) == version) {
        keep(userId, new Entry(found.get(), version, System.currentTimeMillis()));
      }
      return found;
    });
  }

  private void keep(long userId, Entry entry) {
    if (entries.size() >= maxEntries) {
      // Full: some go (in no particular order); a busy node reads them again.
      Iterator<Long> ids = entries.keySet().iterator();
      for (int drop = Math.max(1, maxEntries / 16); drop > 0 && ids.hasNext(); drop--) {
        ids.next();
        ids.remove();
      }
    }
    entries.put(userId, entry);
  }

  /**
   * An account changed (committed): retired here at once, then on every node when the message arrives, whose live
   * connections re-check it too. Call before the write answers.
   */
  public void changed(AccountChanged change) {
    forget(change.userId());
    localChanges.increment();
    if (vertx != null) change.publish(vertx, node);
  }

  /**
   * Every account is read from the database while {@code bypass} holds: a node outside this one's cluster serves from
   * its database, and a ban or sign-out everywhere made there never reaches this node's invalidations (it would be
   * honoured here up to {@link #MAX_AGE_MS} late). What was kept is dropped when it starts and when it ends.
   */
  public void bypass(boolean bypass) {
    if (bypass == bypassed) return;
    // Set before the clear when it starts, cleared before it ends: a read between the two finds nothing kept.
    if (bypass) bypassed = true;
    clear();
    bypassed = bypass;
  }

  /** Forgets every account (for a database changed behind the server's back, as tests do). */
  public void clear() {
    everything.incrementAndGet();
    entries.clear();
  }

  /** Hears the other nodes' account changes (and publishes this node's from now on). */
  public MessageConsumer<JsonObject> listen(Vertx vertx) {
    this.vertx = vertx;
    return AccountChanged.listenRaw(vertx, (userId, origin) -> {
      if (node.equals(origin)) return;
      forget(userId);
      remoteChanges.increment();
    });
  }

  private void forget(long userId) {
    users.incrementAndGet(slot(userId));
    entries.remove(userId);
  }

  private long version(long userId) {
    return everything.get() + users.get(slot(userId));
  }

  private static int slot(long userId) {
    return (int) Math.floorMod(userId ^ (userId >>> 17), (long) SLOTS);
  }
}
