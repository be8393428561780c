package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.LiveEvent;
import parley.events.Topics;
import parley.access.Principal;
import parley.access.Visibility;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * Fans committed events out to the readers on one event loop. Each followed topic has one event-bus consumer
 * here, whatever the number of readers, and each event's frame is built once and written to every reader.
 *
 * <p>Thread and user topics are delivered gap-free and in order: the hub tracks the last seq it passed on, holds an
 * event that arrives early (publishes from different event loops or nodes may overtake each other) and fills any
 * hole from the event log, which is safe because seq N+1 is only ever written after seq N committed. A reader that
 * resumes with {@code since} is replayed from the log first, while live events for it wait in a bounded buffer;
 * the two are joined by seq, so it ends with exactly the committed events, in order, once each.
 *
 * <p>Everything here runs on the hub's event loop; no locks.
 */
final class LiveHub {

  private static final Logger log = LoggerFactory.getLogger(LiveHub.class);
  private static final int REPLAY_PAGE = 500;
  /**
   * How often the heads of followed threads are compared with the log. An event is published only after its commit
   * is acknowledged, so a commit whose acknowledgement was lost (the database died at that moment) is in the log
   * but never on the bus; the next event would reveal the gap, and this finds it when no next event comes.
   */
  private static final long RECONCILE_EVERY_MS = 5_000;
  /**
   * On a clustered bus, how long after a topic's registration here the log's head is read once more. The other
   * nodes learn of a new registration a moment after it completes; an event they publish in that moment never
   * arrives here, and without a next event only the reconcile round would find it.
   */
  private static final long SETTLE_MS = 500;
  /** How long the fan-out writes before the event loop serves its other I/O (REST requests, database replies). */
  private static final long SLICE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5);

  private final Vertx vertx;
  private final EventLog events;
  private final Relay relay;
  private final DeliveryFilter filter;
  private final LiveMeters meters;
  private final int maxBuffered;
  /**
   * The most characters of live events a subscription keeps while it replays the log or is held (besides
   * {@code maxBuffered} events): past it, a thread's or member's events are let go and read from the log again.
   */
  static final long MAX_WAITING_CHARS = 1 << 20;
  /** Live delivery later than this (from the event's arrival here) closes the reader instead: it resumes. */
  private final long maxLagNanos;
  private final Pump pump;
  private final Map<String, TopicFeed> feeds = new HashMap<>();
  /**
   * Subscriptions to topics whose right to read lapses with the token, soonest expiry first: the sweep looks only at
   * those due, not at every signed-in reader four times a second (which was most of an idle node's CPU).
   */
  private final java.util.TreeSet<Subscription> restricted = new java.util.TreeSet<>(
      java.util.Comparator.comparingLong((Subscription s) -> s.reader.expiresAt()).thenComparingLong(s -> s.serial));
  private long serials;
  /** Signed-in readers' subscriptions by user, so an account or block change reaches all of them at once. */
  private final Map<Long, Set<Subscription>> byUser = new HashMap<>();
  private final long sweepTimer;
  private final long reconcileTimer;
  private final Map<String, Future<Replay>> replays = new HashMap<>();
  private boolean reconciling;
  /** Account changes seen on this event loop, so a subscription set up across one can catch it. */
  private long accountChanges;
  private LongFunction<Future<Void>> reloadAccount = id -> Future.succeededFuture();

  LiveHub(Vertx vertx, EventLog events, Relay relay, DeliveryFilter filter, LiveMeters meters, int maxBuffered,
      java.time.Duration maxLag, java.util.function.BooleanSupplier writing) {
    this.vertx = vertx;
    this.maxLagNanos = maxLag.toNanos();
    this.pump = new Pump(vertx.getOrCreateContext(), SLICE_NANOS, writing);
    this.events = events;
    this.relay = relay;
    this.filter = filter;
    this.meters = meters;
    this.maxBuffered = maxBuffered;
    // Tokens expire between events too: look at restricted subscriptions often enough to cut them within a second.
    this.sweepTimer = vertx.setPeriodic(250, id -> sweep());
    this.reconcileTimer = vertx.setPeriodic(RECONCILE_EVERY_MS, id -> reconcile());
  }

  /**
   * The node is shutting down: every reader is told to go elsewhere at once (a bridge socket closes with 1001, an
   * event stream ends) and resumes with {@code since}, rather than waiting, silent, for the shutdown's grace.
   */
  void close() {
    closed = true;
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(reconcileTimer);
    java.util.Set<Sink> sinks = new java.util.LinkedHashSet<>();
    feeds.values().forEach(feed -> {
      relay.unfollow(feed.topic, feed.handler);
      feed.subscribers.forEach(sub -> sinks.add(sub.sink));
    });
    feeds.clear();
    sinks.forEach(Sink::goingAway);
  }

  /**
   * Starts delivering a topic to a sink: from {@code since} (replaying the log) or, without it, from now. Completes
   * once the subscription is live or replaying.
   */
  Future<Subscription> subscribe(Sink sink, Reader reader, String topic, Long since) {
    return subscribe(sink, reader, topic, since, accountChanges);
  }

  /**
   * As {@link #subscribe(Sink, Reader, String, Long)}, for a reader whose account was read when this hub had seen
   * {@code changesWhenRead} account changes: if one arrived since, the reader is read again, so a ban or block
   * that lands while the subscription is being set up is not missed.
   */
  Future<Subscription> subscribe(Sink sink, Reader reader, String topic, Long since, long changesWhenRead) {
    return subscribe(sink, reader, topic, since, changesWhenRead, 0);
  }

  /**
   * As above, for a reader admitted to a thread seen readable by them at {@code readableThrough} (its seq then): a
   * hide at or before it, met in a replay, was undone since, so it tells the reader what happened and ends nothing.
   */
  Future<Subscription> subscribe(Sink sink, Reader reader, String topic, Long since, long changesWhenRead,
      long readableThrough) {
    TopicFeed feed = feeds.computeIfAbsent(topic, TopicFeed::new);
    Subscription sub = new Subscription(feed, sink, reader, readableThrough);
    return feed.ready.map(v -> {
      if (sink.isClosed()) return sub;
      if (closed) {
        // Set up while the node shut down: sent away as the others were.
        sink.goingAway();
        return sub;
      }
      if (feed.add(sub)) feed.kind.subscriptions().incrementAndGet();
      if (Reader.isRestricted(topic)) restricted.add(sub);
      if (reader.principal() != null) {
        byUser.computeIfAbsent(reader.principal().id(), k -> new LinkedHashSet<>()).add(sub);
      }
      sub.start(since);
      if (reader.principal() != null && accountChanges != changesWhenRead) {
        // An account changed since this reader's was read (perhaps theirs): nothing goes to them until it is read again.
        hold(reader.principal().id());
        reloadAccount.apply(reader.principal().id());
      }
      return sub;
    });
  }

  long accountChanges() {
    return accountChanges;
  }

  /** How an account is read again here (set by {@link Live}, before any event arrives). */
  void reloadsWith(LongFunction<Future<Void>> reload) {
    reloadAccount = reload;
  }

  /**
   * An event about an account on the moderators' topic (a ban, a role changed, an unban, a deletion) is that account's
   * change as well, and may arrive on this node before the change's own message: a clustered event bus orders
   * nothing across addresses, and ClusterIT saw a ban's entry reach the banned moderator on the other node (once in
   * some ten runs, after the change was already announced first). So the account's subscriptions here hold, and the
   * account is read again, before the event goes to anyone: the entry waits with them, and is not delivered where
   * the new rights refuse it.
   */
  private void accountEvent(LiveEvent event) {
    if (!Topics.MOD.equals(event.topic()) || !event.type().startsWith("user.")) return;
    Long target;
    try {
      io.vertx.core.json.JsonObject data = new io.vertx.core.json.JsonObject(event.envelope()).getJsonObject("data");
      target = data != null && "user".equals(data.getString("targetType")) ? data.getLong("targetId") : null;
    } catch (RuntimeException unreadable) {
      return;
    }
    if (target == null || !byUser.containsKey(target)) return;
    hold(target);
    reloadAccount.apply(target);
  }

  /** Counts an account change and says how to read an account again (set once by the bridge). */
  void accountChangeSeen(LongFunction<Future<Void>> reload) {
    accountChanges++;
    reloadAccount = reload;
  }

  /** When each signed-in user's block list applied here was read, so an older list never replaces a newer one. */
  private final Map<Long, Long> blocksReadAt = new HashMap<>();

  /** A user's block list changed: their subscriptions apply the new one at once, unless a newer one is applied. */
  void blocksChanged(long userId, Set<Long> blocks, long readAt) {
    if (blocksReadAt.getOrDefault(userId, Long.MIN_VALUE) > readAt) return;
    blocksReadAt.put(userId, readAt);
    for (Subscription sub : byUser.getOrDefault(userId, Set.of())) sub.reader.blocks(blocks);
  }

  void unsubscribe(Subscription sub) {
    sub.state = State.CLOSED;
    restricted.remove(sub);
    if (sub.reader.principal() != null) {
      Set<Subscription> mine = byUser.get(sub.reader.principal().id());
      if (mine != null && mine.remove(sub) && mine.isEmpty()) {
        byUser.remove(sub.reader.principal().id());
        blocksReadAt.remove(sub.reader.principal().id());
      }
    }
    TopicFeed feed = sub.feed;
    if (feed.remove(sub)) feed.kind.subscriptions().decrementAndGet();
    if (feed.subscribers.isEmpty() && feeds.get(feed.topic) == feed && feed.ready.isComplete()) {
      feeds.remove(feed.topic);
      relay.unfollow(feed.topic, feed.handler);
    }
  }

  /** Whether any reader on this event loop is signed in as the user (so a change needs reloading here). */
  boolean hasReader(long userId) {
    return byUser.containsKey(userId);
  }

  /** Whether the node is shutting down (see {@link #close}). */
  private boolean closed;

  /**
   * Users whose subscriptions are held, each with the number of its latest hold: only a read of the account started
   * after that hold releases them (an older read, finishing later, could carry the account as it was before it).
   */
  private final Map<Long, Long> holding = new HashMap<>();
  private long holds;

  /** The number a read of the account starting now carries (see {@link #accountChanged}). */
  long readStarted() {
    return holds;
  }

  /**
   * An account changed and is being read again: until it is (see {@link #accountChanged}), the user's live
   * subscriptions keep what arrives for them instead of delivering it, so a demoted moderator or a banned user is
   * sent nothing their old rights allowed after the change was announced. Nothing is lost: what waited is delivered
   * (or, where the new rights refuse it, the subscription is revoked) once the account is read.
   */
  void hold(long userId) {
    Set<Subscription> subs = byUser.get(userId);
    if (subs == null) return;
    holding.put(userId, ++holds);
    for (Subscription sub : subs) sub.hold();
  }

  /** Whether a read of the account that started at {@code readAt} (see {@link #readStarted}) may release it. */
  private boolean releases(long userId, long readAt) {
    Long heldAt = holding.get(userId);
    if (heldAt == null) return true;
    if (readAt < heldAt) return false;
    holding.remove(userId);
    return true;
  }

  /**
   * An account changed (ban, role, blocks): every subscription of that user takes the new state at once, and
   * restricted topics it may no longer follow are revoked; what waited while it was read is delivered.
   */
  void accountChanged(long userId, Principal current, Set<Long> blocks, long blocksReadAt) {
    accountChanged(userId, current, blocks, blocksReadAt, Long.MAX_VALUE);
  }

  /**
   * As above, for a read of the account that started at {@code readAt} (see {@link #readStarted}). A moderator who is
   * one no more was admitted to threads as a moderator, hidden and pending ones included, which the hub cannot tell
   * apart from the others: their sockets following a thread with their token are closed (4001), so each thread is
   * admitted afresh as their readers' are, from where they were; nothing after the change reaches them unchecked. (A
   * probe: a demoted moderator kept getting a hidden thread's restored comments, words and all, over a socket and
   * over SSE.)
   */
  void accountChanged(long userId, Principal current, Set<Long> blocks, long blocksReadAt, long readAt) {
    List<Subscription> demoted = new ArrayList<>();
    for (Subscription sub : byUser.getOrDefault(userId, Set.of())) {
      Principal before = sub.reader.principal();
      boolean stillModerator = current != null && current.isModerator();
      if (before != null && before.isModerator() && !stillModerator && Topics.postOf(sub.feed.topic) != null) {
        demoted.add(sub);
      }
      sub.reader.refresh(current);
    }
    blocksChanged(userId, blocks, blocksReadAt);
    long now = System.currentTimeMillis() / 1000;
    for (Subscription sub : List.copyOf(byUser.getOrDefault(userId, Set.of()))) {
      if (!sub.reader.mayFollow(sub.feed.topic, now)) sub.revoke(now);
    }
    for (Subscription sub : demoted) {
      if (sub.state == State.CLOSED) continue;
      // Out of the hub first, so nothing held for the account's read is delivered to it on the way out.
      unsubscribe(sub);
      sub.sink.reconnect("access changed");
    }
    if (releases(userId, readAt)) {
      for (Subscription sub : List.copyOf(byUser.getOrDefault(userId, Set.of()))) sub.release();
    }
  }

  /**
   * The account could not be read again (the database did not answer): the user's held subscriptions are closed, so
   * their clients reconnect, are checked afresh and resume from where they were; nothing is delivered unchecked.
   */
  void accountUnreadable(long userId, long readAt) {
    if (!releases(userId, readAt)) return;
    for (Subscription sub : List.copyOf(byUser.getOrDefault(userId, Set.of()))) {
      if (sub.held()) sub.sink.reconnect("access could not be checked");
    }
  }

  /** A page of the log and its events' frames, shared by every reader replaying from the same seq. */
  private record Replay(EventLog.Page page, List<Delivery> deliveries) {
  }

  /**
   * A page of a topic's log after a seq, read once for every reader replaying from that point at the same moment
   * (readers reconnecting together resume from the same seq); nothing is kept once it is read.
   */
  private Future<Replay> page(String topic, long after) {
    String key = topic + "@" + after;
    Future<Replay> page = replays.get(key);
    if (page == null) {
      page = events.readAfter(topic, after, REPLAY_PAGE)
          .map(p -> new Replay(p, p.events().stream().map(Delivery::new).toList()));
      if (!page.isComplete()) {
        replays.put(key, page);
        page.onComplete(ar -> replays.remove(key));
      }
    }
    return page;
  }

  /** Fills, from the log, any committed events of followed threads that never arrived on the bus. */
  private void reconcile() {
    if (reconciling) return;
    List<String> ordered = new ArrayList<>();
    for (TopicFeed feed : feeds.values()) {
      if (feed.ordered && feed.ready.succeeded()) ordered.add(feed.topic);
    }
    if (ordered.isEmpty()) return;
    reconciling = true;
    events.heads(ordered).onComplete(ar -> {
      reconciling = false;
      if (ar.failed()) return;  // the database is away; the next round tries again
      ar.result().forEach((topic, head) -> {
        TopicFeed feed = feeds.get(topic);
        if (feed != null && head > feed.last) feed.fill(head + 1);
      });
    });
  }

  private void sweep() {
    long now = System.currentTimeMillis() / 1000;
    // Revocations, bans and role changes arrive as account changes (accountChanged); only expiry is a matter of time.
    while (!restricted.isEmpty() && restricted.first().reader.expiresAt() <= now) {
      Subscription sub = restricted.pollFirst();
      if (!sub.reader.mayFollow(sub.feed.topic, now)) sub.revoke(now);
    }
  }

  private enum State { REPLAYING, LIVE, HELD, CLOSED }

  /** One topic on this event loop: its share of the node's relay, where the hub is in its sequence, its readers. */
  private final class TopicFeed {
    final String topic;
    final boolean ordered;
    final LiveMeters.Kind kind;
    final Handler<LiveEvent> handler = this::arrived;
    final Future<Void> ready;
    final Set<Subscription> subscribers = new LinkedHashSet<>();
    /**
     * The readers as a list, made at the first event after a reader came or went and shared by every event until the
     * next change: copying 5,000 readers per event was a twentieth of a big thread's delivery.
     */
    private List<Subscription> readers;
    final TreeMap<Long, LiveEvent> early = new TreeMap<>();
    long last = -1;
    boolean filling;

    TopicFeed(String topic) {
      this.topic = topic;
      this.ordered = Topics.isOrdered(topic);
      this.kind = meters.of(topic);
      // Only once the node's consumer is registered (cluster-wide, when clustered) is the log's head a safe start:
      // anything committed later reaches this feed, anything earlier is in the log.
      Future<Void> registered = relay.follow(topic, handler);
      this.ready = ordered
          ? registered.compose(v -> events.head(topic)).map(head -> {
            last = head;
            passOn();
            return null;
          })
          : registered.map(v -> {
            last = 0;
            return null;
          });
      if (ordered && vertx.isClustered()) {
        ready.onSuccess(v -> vertx.setTimer(SETTLE_MS, id -> {
          if (feeds.get(topic) != this) return;
          events.head(topic).onSuccess(head -> {
            if (head > last) fill(head + 1);
          });
        }));
      }
      // A topic that could not be set up (event bus or database trouble) is forgotten, so the next reader retries.
      ready.onFailure(e -> {
        if (feeds.get(topic) == this) feeds.remove(topic);
        relay.unfollow(topic, handler);
      });
    }

    void arrived(LiveEvent event) {
      meters.arrived(event, kind);
      if (!ordered) {
        dispatch(event);
        return;
      }
      if (last >= 0 && event.seq() <= last) return;
      early.put(event.seq(), event);
      if (last >= 0) passOn();
    }

    /** Passes on every event that is next in sequence; on a hole, fills it from the log. */
    void passOn() {
      while (!early.isEmpty()) {
        long first = early.firstKey();
        if (first <= last) {
          early.pollFirstEntry();
        } else if (first == last + 1) {
          dispatch(early.pollFirstEntry().getValue());
        } else {
          fill(first);
          return;
        }
      }
    }

    private void fill(long upTo) {
      if (filling) return;
      filling = true;
      events.readAfter(topic, last, (int) Math.min(upTo - last - 1, REPLAY_PAGE)).onComplete(ar -> {
        filling = false;
        if (ar.succeeded()) {
          for (LiveEvent e : ar.result().events()) {
            if (e.seq() == last + 1) dispatch(e);
          }
          passOn();
          if (!ar.result().events().isEmpty() && last < upTo - 1) fill(upTo);
        } else {
          log.warn("Could not fill a gap in {} from the event log; retrying: {}", topic, ar.cause().toString());
          vertx.setTimer(200, id -> passOn());
        }
      });
    }

    boolean add(Subscription sub) {
      readers = null;
      return subscribers.add(sub);
    }

    boolean remove(Subscription sub) {
      readers = null;
      return subscribers.remove(sub);
    }

    void dispatch(LiveEvent event) {
      last = Math.max(last, event.seq());
      if (subscribers.isEmpty()) return;
      accountEvent(event);
      // The readers as they are now: one who joins later has the event from the log if it asked for it.
      if (readers == null) readers = List.copyOf(subscribers);
      pump.add(new Pass(this, new Delivery(event), readers, System.nanoTime()));
    }
  }

  /** One event on its way to the readers who followed its topic when it arrived, one reader per step. */
  private final class Pass implements Pump.Work {
    final TopicFeed feed;
    final Delivery delivery;
    final List<Subscription> readers;
    final long arrived;
    int next;

    Pass(TopicFeed feed, Delivery delivery, List<Subscription> readers, long arrived) {
      this.feed = feed;
      this.delivery = delivery;
      this.readers = readers;
      this.arrived = arrived;
    }

    @Override
    public boolean step() {
      Subscription sub = readers.get(next++);
      try {
        if (sub.state == State.LIVE && System.nanoTime() - arrived > maxLagNanos) {
          // More events than this loop can write: the readers it cannot reach in time are let go and resume from
          // the log when they reconnect, rather than holding everything that waits behind them.
          sub.slow();
        } else {
          sub.offer(delivery);
        }
      } catch (RuntimeException e) {
        // One broken reader must never cost the others their event.
        log.warn("Dropping a reader of {} after a delivery failure: {}", feed.topic, e.toString());
        unsubscribe(sub);
        sub.sink.reconnect("delivery failed");
      }
      return next < readers.size();
    }
  }

  /** One reader following one topic through one sink. */
  final class Subscription {
    final TopicFeed feed;
    final Sink sink;
    final Reader reader;
    /** Live events that arrived while the subscription replays the log or is held, in order. */
    final ArrayDeque<Delivery> waiting = new ArrayDeque<>();
    /** The characters of the events in {@link #waiting}. */
    long waitingChars;
    /** Events were let go from {@link #waiting} (past its bound): the log is read again before going live. */
    boolean reread;
    /** Orders subscriptions with the same expiry in the sweep's set. */
    final long serial = ++serials;
    State state = State.LIVE;
    long last;
    /** The thread's seq when the reader was admitted to it (readable then); 0 when not known. */
    final long readableThrough;
    /**
     * Events through this seq are checked (a hide ends the subscription) but not sent: the reader resumed from past
     * the seq it was admitted at (see {@link #start}).
     */
    long quietThrough;
    /** The reader's rights are being read again while this replays (see LiveHub#hold): its next page waits. */
    boolean replayHeld;
    /** What a held replay does once its reader's rights are read (see {@link #release}). */
    Runnable parked;

    Subscription(TopicFeed feed, Sink sink, Reader reader, long readableThrough) {
      this.feed = feed;
      this.sink = sink;
      this.reader = reader;
      this.readableThrough = readableThrough;
    }

    String topic() {
      return feed.topic;
    }

    void start(Long since) {
      if (!feed.ordered) {
        last = 0;
        if (since != null) sink.resync(feed.topic, null);
        return;
      }
      if (since != null && readableThrough > 0 && since > readableThrough && !atHead(readableThrough)) {
        // The reader was admitted to the thread as it stood at readableThrough and claims to have seen past it: a hide
        // in between (a moderator's, landing while the registration was checked) would be skipped by that resume
        // point, and the thread go on to a reader it is hidden from. So the log is read from the admission on, each
        // event checked, and only those after the resume point sent. (Nothing between the admission and the head
        // here: whatever comes next arrives live, and is checked there.)
        quietThrough = since;
        since = readableThrough;
      }
      if (since == null || atHead(since)) {
        // From now (or from exactly where the feed is, which is the same): nothing to replay.
        last = feed.last;
        return;
      }
      last = since;
      state = State.REPLAYING;
      replay(true);
    }

    /** Whether {@code seq} is where this node's feed of the topic stands, with nothing on its way to it. */
    private boolean atHead(long seq) {
      return seq == feed.last && !feed.filling && feed.early.isEmpty();
    }

    /**
     * Reads the log after {@code last} page by page, each page in its connection's replay turn: once the connection
     * has room, and once the page another of its topics was given has been written.
     */
    private void replay(boolean first) {
      sink.replayTurn().onComplete(turn -> {
        if (state == State.CLOSED || sink.isClosed()) {
          sink.endReplayTurn();
          if (state != State.CLOSED) unsubscribe(this);
          return;
        }
        // Through the pump: thousands of readers resuming from one shared page are written to a slice at a time.
        page(feed.topic, last).onComplete(ar -> pump.add(() -> {
          try {
            replayed(ar, first);
          } catch (RuntimeException e) {
            broken(e);
          } finally {
            sink.endReplayTurn();
          }
          return false;
        }));
      });
    }

    /**
     * A replay or catch-up that threw cannot go on (nothing would move the subscription on from REPLAYING): its
     * reader is closed to resume, as when a page cannot be read.
     */
    private void broken(RuntimeException e) {
      log.warn("Replay of {} failed; closing the reader so it resumes", feed.topic, e);
      sink.reconnect("replay failed");
    }

    private void replayed(io.vertx.core.AsyncResult<Replay> ar, boolean first) {
      if (state == State.CLOSED) return;
      if (replayHeld) {
        // Nothing goes out under rights that are being read again: the page is read afresh once they are.
        parked = () -> replay(first);
        return;
      }
      if (ar.failed()) {
        log.warn("Replay of {} failed; closing the reader so it resumes: {}", feed.topic, ar.cause().toString());
        sink.reconnect("replay failed");
        return;
      }
      EventLog.Page page = ar.result().page();
      if (first && quietThrough > page.head() && last >= page.prunedThrough()) {
        // A resume point from another database: the reader refetches, and the events since its admission are still
        // checked on the way to the head.
        sink.resync(feed.topic, page.head());
        quietThrough = page.head();
      } else if (first && (last < page.prunedThrough() || last > page.head())) {
        // The reader's resume point was pruned (or is from another database): it refetches, then we go on
        // from the head so that nothing after it is lost either.
        sink.resync(feed.topic, page.head());
        last = page.head();
        replay(false);
        return;
      }
      // The page goes to the network in one write, not one per event (see FlushHold).
      sink.burst(() -> {
        for (Delivery d : ar.result().deliveries()) {
          if (d.event.seq() == last + 1) deliver(d);
        }
      });
      if (state == State.CLOSED) return;
      if (page.more()) {
        replay(false);
      } else {
        catchUp();
      }
    }

    /**
     * Joins the replayed history to the live events that waited meanwhile, in the connection's replay turns: as much
     * as it has room for in each (all of them at once was a review's 160 MB in one socket's queue of 1 MiB, 2,000
     * events that arrived while its reader stalled on the last page).
     */
    private void catchUp() {
      sink.replayTurn().onComplete(turn -> {
        try {
          if (state == State.CLOSED) return;
          if (replayHeld) {
            parked = this::catchUp;
          } else {
            sink.burst(this::joinWaiting);
          }
        } catch (RuntimeException e) {
          broken(e);
        } finally {
          sink.endReplayTurn();
        }
      });
    }

    private void joinWaiting() {
      if (reread) {
        // Events that waited were let go (see offer): the log has them.
        reread = false;
        replay(false);
        return;
      }
      while (!waiting.isEmpty()) {
        if (sink.writeQueueFull()) {
          catchUp();
          return;
        }
        Delivery d = takeWaiting();
        if (d.event.seq() <= last) continue;
        if (d.event.seq() != last + 1) {
          putBack(d);
          replay(false);
          return;
        }
        deliver(d);
        if (state == State.CLOSED) return;
      }
      state = State.LIVE;
    }

    private void await(Delivery delivery) {
      waiting.addLast(delivery);
      waitingChars += delivery.event.envelope().length();
    }

    private Delivery takeWaiting() {
      Delivery delivery = waiting.pollFirst();
      waitingChars -= delivery.event.envelope().length();
      return delivery;
    }

    private void putBack(Delivery delivery) {
      waiting.addFirst(delivery);
      waitingChars += delivery.event.envelope().length();
    }

    private void clearWaiting() {
      waiting.clear();
      waitingChars = 0;
    }

    /**
     * Keeps what arrives until {@link #release}: the reader's rights are being read again (see LiveHub#hold). A replay
     * stops at its next page, which waits for the same read.
     */
    void hold() {
      if (state == State.LIVE) {
        state = State.HELD;
      } else if (state == State.REPLAYING) {
        replayHeld = true;
      }
    }

    /** Whether this subscription waits for its reader's rights to be read again. */
    boolean held() {
      return state == State.HELD || state == State.REPLAYING && replayHeld;
    }

    /** Delivers what waited while held, in order, and goes on live (or goes on replaying). */
    void release() {
      if (state == State.REPLAYING) {
        replayHeld = false;
        Runnable resume = parked;
        parked = null;
        if (resume != null) resume.run();
        return;
      }
      if (state != State.HELD) return;
      if (reread) {
        // What arrived meanwhile was let go (see offer): read from the log, then live.
        reread = false;
        state = State.REPLAYING;
        replay(false);
        return;
      }
      state = State.LIVE;
      List<Delivery> held = List.copyOf(waiting);
      clearWaiting();
      for (Delivery delivery : held) {
        // Past a gap the subscription reads the log again, and what is left here waits behind that replay.
        if (state != State.LIVE) {
          await(delivery);
        } else {
          offer(delivery);
        }
      }
    }

    void offer(Delivery delivery) {
      long seq = delivery.event.seq();
      switch (state) {
        case CLOSED -> {
        }
        case REPLAYING, HELD -> {
          await(delivery);
          if (waiting.size() > maxBuffered || waitingChars > MAX_WAITING_CHARS) {
            if (feed.ordered) {
              // Every one of them is in the log: let them go and read them there, at the reader's pace, rather than
              // hold them (a review's stalled reader held 244 MB of them, a thread's 2,000 long comments).
              feed.kind.letGo().increment(waiting.size());
              clearWaiting();
              reread = true;
            } else {
              slow();
            }
          }
        }
        case LIVE -> {
          if (feed.ordered && seq <= last) return;
          if (feed.ordered && seq != last + 1) {
            // Cannot happen while the hub passes events on in order; recover from the log rather than skip.
            await(delivery);
            state = State.REPLAYING;
            replay(false);
            return;
          }
          if (sink.liveQueueFull()) {
            slow();
            return;
          }
          deliver(delivery);
        }
      }
    }

    private void deliver(Delivery delivery) {
      // A replay page or the waiting events are delivered in a loop; once an event ends this subscription (a hide,
      // an expired token), nothing after it goes out.
      if (state == State.CLOSED) return;
      if (sink.isClosed()) {
        // The connection was closed under it (a slow consumer, a reconnect asked for): it follows nothing more, rather
        // than count deliveries to it until the socket is gone (a review), or replay pages that deliver nothing again
        // and again (a review of that change: hundreds of log reads a second).
        unsubscribe(this);
        return;
      }
      LiveEvent event = delivery.event;
      last = event.seq();
      long now = System.currentTimeMillis() / 1000;
      if (!reader.mayFollow(feed.topic, now)) {
        revoke(now);
        return;
      }
      if (event.seq() > quietThrough && filter.allows(reader, event)) {
        sink.send(feed.topic, delivery);
        (state == State.LIVE ? feed.kind.delivered() : feed.kind.replayed()).increment();
      }
      // Only on the thread's own topic (the feed says a post was hidden and goes on), and not for a hide from before
      // the reader was admitted to a thread they could read then: it was undone since, and its restore follows.
      boolean hidesThread = feed.ordered && Topics.postOf(feed.topic) != null && event.seq() > readableThrough
          && EventType.POST_HIDDEN.wireName().equals(event.type());
      if (hidesThread && !Visibility.seesHidden(reader.principal(), event.authorId())) {
        // Hidden means silent: a reader who is neither the author nor a moderator learns it was hidden, then the
        // stream ends for them (they could not subscribe to it now either).
        revoke(now);
      }
    }

    /** The reader stopped reading (or cannot be reached in time): it is closed, and resumes when it reconnects. */
    void slow() {
      // A reader whose socket has already closed left; it did not fall behind: let it go without counting it.
      if (sink.isClosed()) {
        unsubscribe(this);
        return;
      }
      meters.slowConsumer(sink.transport());
      sink.overflow();
    }

    void revoke(long now) {
      if (state == State.CLOSED) return;
      String reason = reader.revoked() ? "token_revoked" : reader.expired(now) ? "token_expired" : "access_revoked";
      unsubscribe(this);
      sink.revoke(feed.topic, reason);
    }
  }

}
