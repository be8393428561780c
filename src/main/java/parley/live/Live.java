package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.account.Accounts;
import parley.account.Identity;
import parley.block.Blocks;
import parley.events.AccountChanged;
import parley.events.EventLog;
import parley.events.Topics;
import parley.post.Posts;

import java.util.Optional;

/**
 * The live side of one event loop, for its transports (the event-bus bridge and SSE) to share: who a reader is
 * (token, account, block list), whether they may follow a topic and from which seq, the hub that delivers to them,
 * and the account changes that re-check them. Transports only speak their protocol and hold their sockets.
 *
 * <p>Everything reads through the live side's own database pool; a topic's events reach this loop through the
 * node's {@link Relay}.
 */
public final class Live {

  private static final Logger log = LoggerFactory.getLogger(Live.class);
  /** Live events that may wait behind one reader's replay before it is dropped as too slow. */
  private static final int MAX_BUFFERED = 10_000;

  /** A reader allowed to follow a topic, and the topic's seq when that was decided (null: from now). */
  record Admitted(Reader reader, Long seq) {
  }

  private final Accounts accounts;
  private final Pool pool;
  private final LiveHub hub;
  private final LiveMeters meters;
  private final ThreadChecks threads;
  private final MessageConsumer<JsonObject> accountChanges;

  /**
   * @param pool     the live side's own database pool
   * @param events   the event log on that pool (replays, gap fills)
   * @param accounts token checks and account reloads, on the same pool
   * @param posts    whether a thread may be followed, on the same pool
   * @param relay    the node's one subscription per topic
   * @param filter   what a reader is spared (blocked authors' words), applied to every delivery and replay
   * @param meters   the node's live meters
   * @param maxLag   how late a live delivery may be before its reader is closed to resume (PARLEY_LIVE_MAX_LAG)
   * @param writing  whether a REST write is in flight on this event loop (delivery that is behind then yields)
   */
  public Live(Vertx vertx, Pool pool, EventLog events, Accounts accounts, Posts posts, Relay relay,
      DeliveryFilter filter, LiveMeters meters, java.time.Duration maxLag,
      java.util.function.BooleanSupplier writing) {
    this.accounts = accounts;
    this.pool = pool;
    this.meters = meters;
    this.hub = new LiveHub(vertx, events, relay, filter, meters, MAX_BUFFERED, maxLag, writing);
    this.threads = new ThreadChecks(posts);
    hub.reloadsWith(this::reload);
    this.accountChanges = AccountChanged.listen(vertx, change -> {
      hub.accountChangeSeen(this::reload);
      if (!hub.hasReader(change.userId())) return;
      if (change.blocks() != null) {
        // A block change carries the new list, so it applies before anything published after it is delivered.
        hub.blocksChanged(change.userId(), change.blocks(), change.blocksReadAt());
        return;
      }
      // Nothing goes to the user's subscriptions until the account is read again (a role taken away, a ban).
      hub.hold(change.userId());
      reload(change.userId());
    });
  }

  LiveMeters meters() {
    return meters;
  }

  public Future<Void> close() {
    hub.close();
    return accountChanges.unregister();
  }

  /** The reader a token speaks for (anonymous without one), with their block list; fails for a bad token. */
  Future<Reader> reader(String token) {
    if (token == null) return Future.succeededFuture(Reader.anonymous());
    // Registrations with the same token arriving together (a user's tabs, thousands of readers reconnecting after a
    // deploy) share one account and block-list read. Only reads started since the last account change seen here are
    // shared, so a ban or revocation that lands meanwhile is never answered from a read made before it.
    String key = hub.accountChanges() + ":" + token;
    Future<Loaded> loaded = loading.get(key);
    if (loaded == null) {
      loaded = accounts.identify(token).compose(id -> Blocks.listNow(pool, id.principal().id())
          .map(blocks -> new Loaded(id, blocks.ids())));
      if (!loaded.isComplete()) {
        Future<Loaded> pending = loaded;
        loading.put(key, pending);
        pending.onComplete(ar -> loading.remove(key, pending));
      }
    }
    return loaded.map(l -> {
      Reader reader = Reader.of(l.identity().principal(), l.identity().expiresAt());
      reader.blocks(l.blocks());
      return reader;
    });
  }

  /** An account and its block list as read for a token. */
  private record Loaded(Identity identity, java.util.Set<Long> blocks) {
  }

  /** Reads in flight on this event loop, by account changes seen and token. */
  private final java.util.Map<String, Future<Loaded>> loading = new java.util.HashMap<>();

  /** The reader an authenticated request speaks for, with their block list. */
  Future<Reader> reader(Optional<Identity> identity) {
    return withBlocks(identity.map(id -> Reader.of(id.principal(), id.expiresAt())).orElse(Reader.anonymous()));
  }

  /**
   * Whether the reader may follow the topic now, and from which seq: a thread only while its post can be read (not
   * once deleted; when hidden, only by its author and moderators), starting where that was decided, so nothing
   * after the check (a hide) can slip past; restricted topics by the reader's token, role and ban. Empty if not.
   */
  Future<Optional<Admitted>> admit(Reader reader, String topic) {
    long now = System.currentTimeMillis() / 1000;
    if (!reader.mayFollow(topic, now)) return Future.succeededFuture(Optional.empty());
    Long postId = Topics.postOf(topic);
    if (postId == null) return Future.succeededFuture(Optional.of(new Admitted(reader, null)));
    return threads.readableAt(postId, reader.principal()).map(seq -> seq.map(at -> new Admitted(reader, at)));
  }

  /** Account changes seen on this loop so far (a subscription set up across one is re-checked). */
  long accountChanges() {
    return hub.accountChanges();
  }

  /** Follows a topic the reader was admitted to, from {@code from}. */
  Future<LiveHub.Subscription> subscribe(Sink sink, Admitted admitted, String topic, Long from, long changesWhenRead) {
    return hub.subscribe(sink, admitted.reader(), topic, from, changesWhenRead,
        admitted.seq() == null ? 0 : admitted.seq());
  }

  void unsubscribe(LiveHub.Subscription subscription) {
    hub.unsubscribe(subscription);
  }

  /** Reads a user and their blocks again and applies both to all their subscriptions on this event loop. */
  private Future<Void> reload(long userId) {
    // Numbered as it starts: a read that began before a later hold does not release that hold.
    long readAt = hub.readStarted();
    return accounts.principal(userId)
        .compose(current -> Blocks.listNow(pool, userId).map(blocks -> {
          hub.accountChanged(userId, current.orElse(null), blocks.ids(), blocks.readAt(), readAt);
          return (Void) null;
        }))
        .onFailure(e -> {
          log.warn("Could not apply an account change for user {}: {}", userId, e.toString());
          hub.accountUnreadable(userId, readAt);
        });
  }

  private Future<Reader> withBlocks(Reader reader) {
    if (reader.principal() == null) return Future.succeededFuture(reader);
    return Blocks.listNow(pool, reader.principal().id()).map(blocks -> {
      reader.blocks(blocks.ids());
      return reader;
    });
  }

  /** A resume point: a whole number of at least 0, as a JSON number or a string; null means "from now". */
  static Long since(Object raw) {
    if (raw == null) return null;
    long value;
    if (raw instanceof Number n && (n instanceof Integer || n instanceof Long)) {
      value = n.longValue();
    } else if (raw instanceof Double || raw instanceof Float || raw instanceof java.math.BigDecimal) {
      // 1.0 is a whole number too: a client that keeps seq as a float sends it so (Python's json, for one).
      try {
        value = new java.math.BigDecimal(raw.toString()).longValueExact();
      } catch (ArithmeticException | NumberFormatException notWhole) {
        throw new IllegalArgumentException("since");
      }
    } else if (raw instanceof String s) {
      Long digits = parley.http.Numbers.parse(s);
      if (digits == null) throw new IllegalArgumentException("since");
      value = digits;
    } else {
      throw new IllegalArgumentException("since");
    }
    if (value < 0) throw new IllegalArgumentException("since");
    return value;
  }
}
