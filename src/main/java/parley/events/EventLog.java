package parley.events;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.db.BoundedPool;
import parley.db.CommitUnconfirmed;
import parley.http.Idempotency;
import parley.http.Iso;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes events in the same transaction as the change they describe, publishes them on the event bus only after
 * that transaction commits, and reads them back for replay. Nothing is published for a write that rolled back,
 * and everything published on a topic that replays (threads, users) can be replayed from the log (within retention),
 * so a reader that resumes from its last seq misses nothing. (The moderators' copy of a new comment is numbered and
 * published but not stored: see {@link EventType#keepsModeratorsCopy}.)
 *
 * <p><b>Round trips.</b> A transaction's statements are sent on its connection without waiting for each other's
 * answers wherever one does not need the other's: the PG client pipelines them, PostgreSQL runs them one after the
 * other in the order they were sent, and a connection sitting "idle in transaction" while Parley decides its next
 * statement holds its locks and its pool slot for nothing. BEGIN goes out with the idempotency claim and the work's
 * first statements, every append of a write goes out as one statement (in the lock order, see {@link Outbox#publish}),
 * and the idempotency answer goes out behind it. Results are looked at in the order the statements were sent, so
 * the first failure is the one reported: after a statement fails, PostgreSQL fails every later one of the
 * transaction ("current transaction is aborted"), and a refusal decided in Java (a locked thread, say) rolls back
 * whatever was sent behind it.
 */
public final class EventLog {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EventLog.class);

  private static final String APPEND_ORDERED = """
      WITH s AS (
        INSERT INTO topic_seqs AS t (topic, seq) VALUES ($1, 1)
        ON CONFLICT (topic) DO UPDATE SET seq = t.seq + 1
        RETURNING seq)
      INSERT INTO events (topic, seq, type, data, author_id, subject)
      SELECT $1, s.seq, $2, $3::text::json, $4, $5 FROM s
      RETURNING seq, at""";

  /**
   * Many events in one statement, on ordered and shared topics alike: each ordered topic's counter moves once, by its
   * number of events, in the order $6 gives (the lock order of {@link Outbox#publish}; null for a shared topic, which
   * locks nothing), and its events take the numbers in between in the order given ($7); the shared topics' events
   * take the shared sequence's next numbers, also in the order given. One statement costs PostgreSQL one executor
   * start-up, one set of relation locks and one socket read and write, where one statement per event cost that many.
   * An event not kept ($8 false: only ever on a shared topic) takes its number and the transaction's time like the
   * others, and is not stored.
   */
  private static final String APPEND_MANY = """
      WITH a AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[], $7::int[],
                             $8::bool[])
          AS a(topic, type, data, author_id, subject, lock_order, n, kept)),
      k AS (
        SELECT topic, min(lock_order) AS lock_order, count(*) AS k FROM a WHERE lock_order IS NOT NULL
         GROUP BY topic),
      s AS (
        INSERT INTO topic_seqs AS t (topic, seq)
        SELECT topic, k FROM k ORDER BY lock_order
        ON CONFLICT (topic) DO UPDATE SET seq = t.seq + excluded.seq
        RETURNING topic, seq),
      g AS (
        SELECT n, nextval('events_global_seq') AS seq
          FROM (SELECT n FROM a WHERE lock_order IS NULL ORDER BY n) shared),
      numbered AS (
        SELECT a.n, s.seq - k.k + row_number() OVER (PARTITION BY a.topic ORDER BY a.n) AS seq
          FROM a JOIN k USING (topic) JOIN s USING (topic)),
      written AS (
        INSERT INTO events (topic, seq, type, data, author_id, subject)
        SELECT a.topic, COALESCE(numbered.seq, g.seq), a.type, a.data::json, a.author_id, a.subject
          FROM a LEFT JOIN numbered USING (n) LEFT JOIN g USING (n)
         WHERE a.kept
         ORDER BY a.n
        RETURNING topic, seq, at)
      SELECT topic, seq, at FROM written
      UNION ALL
      SELECT a.topic, g.seq, now() FROM a JOIN g USING (n) WHERE NOT a.kept""";

  private static final String APPEND_SHARED = "INSERT INTO events (topic, seq, type, data, author_id, subject) "
      + "VALUES ($1, nextval('events_global_seq'), $2, $3::text::json, $4, $5) RETURNING seq, at";

  /** Replaces the stored copies of a piece of content, on every topic or on all but the moderators'. */
  private static final String SCRUB = "UPDATE events SET data = $2::text::json "
      + "WHERE subject = $1 AND ($3 OR topic <> '" + Topics.MOD + "')";

  /**
   * Replaces the stored copies of a piece of content ($1) with its latest version ($2), except the moderators' (who
   * read every version) and copies already erased; on one topic only when $3 is given.
   */
  private static final String RENEW = "UPDATE events SET data = $2::text::json WHERE subject = $1 AND topic <> '"
      + Topics.MOD + "' AND ($3::text IS NULL OR topic = $3) AND data ->> 'removed' IS NULL";

  /**
   * Erases the copies of a thread's ($1) comments on members' own topics (a reply to them, a comment on their post),
   * as {@link #SCRUB} erases one comment's: {id, postId, removed}. Through events_subject, a lookup per comment.
   */
  private static final String SCRUB_THREAD = """
      UPDATE events e SET data = json_build_object('id', c.id, 'postId', c.post_id, 'removed', true)
        FROM comments c
       WHERE c.post_id = $1 AND e.subject = 'comment:' || c.id AND e.topic LIKE '""" + Topics.USER_PREFIX + "%'";

  /** One snapshot: the topic's head, what was pruned, and a page of events after $2. */
  /**
   * Up to $3 events after $2, cut after the first whose data takes the page past $4 bytes ({@code n} is how many
   * the count alone allowed, so the reader knows whether the page was cut).
   */
  private static final String READ_AFTER = """
      SELECT t.seq AS head, t.pruned_through, e.seq, e.type, e.at, e.data, e.author_id, e.n
        FROM topic_seqs t
        LEFT JOIN LATERAL (
          SELECT * FROM (
            SELECT l.*, sum(octet_length(l.data)) OVER (ORDER BY l.seq) AS upto, count(*) OVER () AS n
              FROM (SELECT seq, type, at, data::text AS data, author_id FROM events
                     WHERE topic = t.topic AND seq > $2 ORDER BY seq LIMIT $3) l) w
           WHERE w.upto - octet_length(w.data) < $4) e ON true
       WHERE t.topic = $1
       ORDER BY e.seq""";

  private static final String HEAD = "SELECT seq FROM topic_seqs WHERE topic = $1";

  private static final String HEADS = "SELECT topic, seq FROM topic_seqs WHERE topic = ANY($1)";

  /** Topics with events old enough to prune. */
  private static final String PRUNABLE_TOPICS =
      "SELECT DISTINCT topic FROM events WHERE at < now() - make_interval(secs => $1)";

  /**
   * Prunes one topic and records how far, in one statement that locks only that topic's counter row, so pruning
   * can never deadlock with writers (which may hold several topics' rows).
   */
  private static final String PRUNE_TOPIC = """
      WITH doomed AS (
        DELETE FROM events
         WHERE topic = $1
           AND at < now() - make_interval(secs => $2)
           AND seq <= COALESCE((SELECT seq - $3 FROM topic_seqs WHERE topic = $1), seq)
        RETURNING seq),
      marks AS (
        UPDATE topic_seqs SET pruned_through = GREATEST(pruned_through, (SELECT max(seq) FROM doomed))
         WHERE topic = $1 AND EXISTS (SELECT 1 FROM doomed))
      SELECT count(*) AS pruned FROM doomed""";

  private final Vertx vertx;
  private final Pool pool;
  private final CommitListeners listeners;

  /** A log on this pool whose commits are told to the node's listeners. */
  public EventLog(Vertx vertx, Pool pool, CommitListeners listeners) {
    this.vertx = vertx;
    this.pool = pool;
    this.listeners = listeners;
  }

  /** A log for reading and pruning only (its writes would tell no listener). */
  public EventLog(Vertx vertx, Pool pool) {
    this(vertx, pool, new CommitListeners());
  }

  /** The events a transaction appends, kept until it commits. */
  public static final class Outbox {
    private final SqlConnection conn;
    private final List<LiveEvent> events = new ArrayList<>();
    /** Appends sent so far (their events arrive in this order), and where each write of {@link #publishWrites} ends. */
    private int appended;
    private final List<Integer> writeEnds = new ArrayList<>();
    /** Every append sent so far, in order: fails with the first that failed. */
    private Future<Void> sent = Future.succeededFuture();

    private Outbox(SqlConnection conn) {
      this.conn = conn;
    }

    public SqlConnection connection() {
      return conn;
    }

    /**
     * Appends the events of this write to the log, inside its transaction, each to the audiences its type declares.
     * Thread and user topics take their topic's next number and hold that row's lock until commit, so the appends
     * go in one order for every write: the thread first, then the feed and the moderators (which share a sequence
     * and lock nothing), then users in id order. Writes to one thread therefore queue on its post row and counter,
     * and no two writes can wait for each other in a circle. Call it after the change the events describe.
     *
     * <p>All the appends go as one statement, which takes the counters in the order above; the returned future
     * completes when it has run, or fails with its failure. A write need not wait for it: the transaction waits for
     * every append sent before it stores the idempotency answer and commits.
     */
    public Future<Void> publish(Publication... publications) {
      List<Publication.Append> appends = new ArrayList<>();
      for (Publication publication : publications) appends.addAll(publication.appends());
      appends.sort(LOCK_ORDER);
      return send(appends);
    }

    /**
     * As {@link #publish}, for many events at once (a notifier's batch): each topic's events are numbered in the
     * order given, and the topics' counters are taken in the same order as {@code publish} takes them.
     */
    public Future<Void> publishMany(List<Publication> publications) {
      List<Publication.Append> appends = new ArrayList<>();
      for (Publication publication : publications) appends.addAll(publication.appends());
      return send(appends);
    }

    /**
     * As {@link #publish} for several writes committed together (a group of new comments): the events of all of them
     * in one statement, each write's in the order {@code publish} gives them and the writes in the order given, so
     * a topic's events are numbered write after write. Once the transaction commits, the commit listeners are told
     * of each write on its own, as if it had committed alone.
     */
    public Future<Void> publishWrites(List<List<Publication>> writes) {
      List<Publication.Append> appends = new ArrayList<>();
      for (List<Publication> write : writes) {
        List<Publication.Append> these = new ArrayList<>();
        for (Publication publication : write) these.addAll(publication.appends());
        these.sort(LOCK_ORDER);
        appends.addAll(these);
        writeEnds.add(appended + appends.size());
      }
      return send(appends);
    }

    /** Run once the transaction has committed, before its events are published (see {@link #onCommitFirst}). */
    private final List<Runnable> beforePublishing = new ArrayList<>();

    /**
     * Runs {@code action} once the transaction has committed and before its events go out on the event bus: an
     * account change its events' readers must be held for first. Published after them, a node that learned of the
     * change later than of the events delivered the moderators' entry of a moderator's own demotion or ban to them
     * there, before their subscription was revoked (a review of two nodes, 3 runs of 4); on the node that made it, the
     * order happened to hold.
     */
    public void onCommitFirst(Runnable action) {
      beforePublishing.add(action);
    }

    /**
     * A statement of this transaction's own that must have run before it commits, as the appends must: the
     * transaction waits for it, and its failure is the transaction's.
     */
    public void beforeCommit(Future<?> statement) {
      Future<Void> done = statement.mapEmpty();
      sent = sent.compose(v -> done);
    }

    /** The committed events, one list per write (one list for a transaction that is one write). */
    private List<List<LiveEvent>> committedWrites() {
      List<List<LiveEvent>> out = new ArrayList<>();
      int from = 0;
      for (int end : writeEnds) {
        out.add(List.copyOf(events.subList(from, end)));
        from = end;
      }
      if (from < events.size() || out.isEmpty()) out.add(List.copyOf(events.subList(from, events.size())));
      return out;
    }

    /**
     * Sends the appends, numbered in the order given, as one statement (one event needs no arrays); the returned
     * future and {@link #sent} complete when it has.
     */
    private Future<Void> send(List<Publication.Append> appends) {
      appended += appends.size();
      Future<Void> these = switch (appends.size()) {
        case 0 -> Future.succeededFuture();
        // One event not kept goes as the many do: only that statement knows not to store it.
        case 1 -> appends.get(0).kept() ? append(appends.get(0)) : appendAll(appends);
        default -> appendAll(appends);
      };
      sent = sent.compose(v -> these);
      return these;
    }

    private Future<Void> appendAll(List<Publication.Append> appends) {
      List<Publication.Append> locking = new ArrayList<>(appends);
      locking.sort(LOCK_ORDER.thenComparing(Publication.Append::topic));
      Map<String, Integer> lockOrder = new HashMap<>();
      for (Publication.Append a : locking) {
        if (Topics.isOrdered(a.topic())) lockOrder.putIfAbsent(a.topic(), lockOrder.size());
      }
      int size = appends.size();
      String[] topics = new String[size];
      String[] types = new String[size];
      String[] data = new String[size];
      Long[] authors = new Long[size];
      String[] subjects = new String[size];
      Integer[] orders = new Integer[size];
      Integer[] positions = new Integer[size];
      Boolean[] kept = new Boolean[size];
      // A new comment's copies (its thread's, the moderators', its authors') are one object: encoded once.
      Map<JsonObject, String> encoded = new IdentityHashMap<>();
      for (int i = 0; i < size; i++) {
        Publication.Append a = appends.get(i);
        topics[i] = a.topic();
        types[i] = a.type().wireName();
        data[i] = encoded.computeIfAbsent(a.data(), JsonObject::encode);
        authors[i] = a.authorId();
        subjects[i] = a.subject();
        orders[i] = lockOrder.get(a.topic());
        positions[i] = i;
        kept[i] = a.kept();
      }
      return conn.preparedQuery(APPEND_MANY)
          .execute(Tuple.of(topics, types, data, authors, subjects, orders).addValue(positions).addValue(kept))
          .map(rows -> {
            // A topic's numbers rise in the order its events were given, shared topics' too (taken in that order).
            Map<String, ArrayDeque<Long>> seqs = new HashMap<>();
            String at = null;
            for (Row row : rows) {
              seqs.computeIfAbsent(row.getString("topic"), t -> new ArrayDeque<>()).add(row.getLong("seq"));
              at = Iso.format(row.getOffsetDateTime("at"));
            }
            Map<String, ArrayDeque<Long>> ascending = new HashMap<>();
            seqs.forEach((topic, list) -> ascending.put(topic, list.stream().sorted()
                .collect(java.util.stream.Collectors.toCollection(ArrayDeque::new))));
            // Every row has the same time: the transaction's (now()).
            for (int i = 0; i < size; i++) {
              Publication.Append a = appends.get(i);
              events.add(LiveEvent.of(a.topic(), ascending.get(a.topic()).removeFirst(), a.type().wireName(), at,
                  a.authorId(), data[i]));
            }
            return null;
          });
    }

    /** Every append sent so far: completes when they all have, failing with the first (in order) that failed. */
    Future<Void> sent() {
      return sent;
    }

    /** The thread first, then the feed and the moderators, then users in id order. */
    private static final Comparator<Publication.Append> LOCK_ORDER =
        Comparator.comparingInt((Publication.Append a) -> rank(a.topic()))
            .thenComparingLong(a -> orDefault(Topics.userOf(a.topic())));

    private static int rank(String topic) {
      if (Topics.postOf(topic) != null) return 0;
      if (Topics.FEED.equals(topic)) return 1;
      if (Topics.MOD.equals(topic)) return 2;
      return 3;
    }

    private static long orDefault(Long id) {
      return id == null ? 0 : id;
    }

    private Future<Void> append(Publication.Append a) {
      String json = a.data().encode();
      String sql = Topics.isOrdered(a.topic()) ? APPEND_ORDERED : APPEND_SHARED;
      Tuple args = Tuple.of(a.topic(), a.type().wireName(), json, a.authorId(), a.subject());
      // Answers come back in the order sent, so the events list keeps the order of the appends.
      return conn.preparedQuery(sql).execute(args).map(rows -> {
        Row row = rows.iterator().next();
        events.add(LiveEvent.of(a.topic(), row.getLong("seq"), a.type().wireName(),
            Iso.format(row.getOffsetDateTime("at")), a.authorId(), json));
        return null;
      });
    }

    /**
     * Erases a piece of content from the log's stored events (they keep their place and seq, and carry only
     * {@code removed} instead), in this transaction. Moderators' copies are kept when {@code fromModerators} is
     * false, since they may still see hidden content.
     */
    public Future<Void> scrub(String subject, JsonObject removed, boolean fromModerators) {
      return conn.preparedQuery(SCRUB).execute(Tuple.of(subject, removed.encode(), fromModerators)).mapEmpty();
    }

    /**
     * Erases a thread's comments from the copies members were sent on their own topics, when the thread is hidden or
     * deleted: those topics stay open to their members, and a replay from the start brought back a reply in a thread
     * they may no longer read (a probe, 2026-12-05). Copies on the thread's own topic stay for those who may still
     * read it (its author, the moderators), who alone may follow it then.
     */
    public Future<Void> scrubThread(long postId) {
      return conn.preparedQuery(SCRUB_THREAD).execute(Tuple.of(postId)).mapEmpty();
    }

    /**
     * After an edit, the log's earlier copies of the content carry its new version (on {@code topic} only, or on
     * every topic but the moderators' when it is null): a replay from before the edit brought back the words its
     * author took out, to anyone, where its earlier versions are shown only to its author and the moderators (a
     * probe, 2026-12-05). Each copy keeps its place, seq and type.
     */
    public Future<Void> renew(String subject, JsonObject latest, String topic) {
      return conn.preparedQuery(RENEW).execute(Tuple.of(subject, latest.encode(), topic)).mapEmpty();
    }
  }

  /** Runs {@code work} in one transaction and publishes the events it appended once (and only if) it commits. */
  public <T> Future<T> transaction(Function<Outbox, Future<T>> work) {
    return transaction(Idempotency.Claim.none(), work);
  }

  /**
   * As {@link #transaction(Function)}, for a write that may be a retry: the idempotency key is claimed first and
   * the answer stored last, in the same transaction (see {@link Idempotency}).
   *
   * <p>BEGIN, the claim and whatever {@code work} sends before it first waits go out together; {@code work} runs at
   * once, without waiting for the claim, and may start reading. A key already taken fails the claim with an error
   * (not an empty answer), so PostgreSQL fails every statement sent behind it and nothing of the retry runs; the
   * claim's failure is the one reported. Once {@code work} has its result, the answer is stored and COMMIT sent
   * behind its last appends, all without waiting: if any of them failed, PostgreSQL's COMMIT of the aborted
   * transaction rolls it back, and that failure is the one reported. A refusal decided in Java sends ROLLBACK
   * instead, behind whatever is still in flight.
   *
   * <p>BEGIN, COMMIT and ROLLBACK are sent as plain statements rather than through the client's Transaction, which
   * would hold COMMIT back until every earlier answer had arrived (one more round trip, with the thread's locks
   * held). Every path ends the transaction before the connection goes back to the pool. A {@code work} must not
   * turn a failed statement into a success and carry on: PostgreSQL would answer its COMMIT by rolling back.
   *
   * <p>On a request's pool ({@link BoundedPool}) the transaction has the request deadline: past it the caller is
   * answered with a {@link parley.db.DatabaseDeadline} (503) at once, and a transaction whose COMMIT was not yet sent
   * rolls back whenever PostgreSQL answers again, so nothing of it is saved.
   */
  public <T> Future<T> transaction(Idempotency.Claim<T> claim, Function<Outbox, Future<T>> work) {
    return transaction(claim, work, System.nanoTime());
  }

  /**
   * As {@link #transaction(Idempotency.Claim, Function)}, with the request deadline counted from {@code startedNanos}
   * ({@link System#nanoTime}): when the request began to wait (a comment queued for its group), not when its
   * transaction begins.
   */
  public <T> Future<T> transaction(Idempotency.Claim<T> claim, Function<Outbox, Future<T>> work, long startedNanos) {
    return transaction(claim, work, startedNanos, null, null);
  }

  /**
   * As {@link #transaction(Idempotency.Claim, Function, long)}, on {@code given} (a connection its caller kept from
   * its last transaction) if not null, or one of the pool's; {@code keep} is asked, once the transaction has ended,
   * whether its caller keeps the connection for its next one (then it is not closed here).
   */
  public <T> Future<T> transaction(Idempotency.Claim<T> claim, Function<Outbox, Future<T>> work, long startedNanos,
      SqlConnection given, java.util.function.BiPredicate<SqlConnection, Boolean> keep) {
    BoundedPool.Watch<T> watch = BoundedPool.watch(pool, startedNanos);
    Future<SqlConnection> connection = given != null ? Future.succeededFuture(given) : BoundedPool.connection(pool);
    return watch.answer(connection.compose(conn -> {
      if (!watch.mayStart()) {
        conn.close();
        return Future.failedFuture(watch.expired());
      }
      Future<?> began = conn.query("BEGIN").execute();
      Outbox outbox = new Outbox(conn);
      Future<Void> taken = claim.take(conn);
      Future<T> done = start(work, outbox);
      // Looked at in the order sent: the first failure is the one reported.
      return began.compose(v -> taken).compose(v -> done)
          .compose(result -> {
            // Past the deadline the caller has been answered 503: nothing of it may be saved now.
            if (!watch.mayCommit()) return Future.<T>failedFuture(watch.expired());
            Future<Void> stored = claim.store(conn, result);
            Future<?> committed = conn.query("COMMIT").execute();
            // Everything up to COMMIT is out: a connection lost now may have lost only the answer to a commit.
            return outbox.sent().compose(v -> stored).compose(v -> committed).map(result)
                .recover(failure -> Future.failedFuture(CommitUnconfirmed.afterCommitSent(failure)));
          })
          .recover(failure -> conn.query("ROLLBACK").execute().transform(v -> Future.<T>failedFuture(failure)))
          // The connection goes back first, so a listener's own transaction (the notifier's) can have it.
          .onComplete(ar -> {
            if (keep == null || !keep.test(conn, ar.succeeded())) conn.close();
          })
          .onSuccess(result -> {
            outbox.beforePublishing.forEach(Runnable::run);
            publish(List.copyOf(outbox.events));
            for (List<LiveEvent> write : outbox.committedWrites()) listeners.committed(write);
          });
    }));
  }

  private static <T> Future<T> start(Function<Outbox, Future<T>> work, Outbox outbox) {
    try {
      return work.apply(outbox);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Publishes committed events on the event bus, where every node's live hubs pick them up. */
  void publish(List<LiveEvent> events) {
    String now = Long.toString(System.currentTimeMillis());
    for (LiveEvent e : events) {
      DeliveryOptions options = new DeliveryOptions()
          .addHeader("published", now)
          .addHeader("seq", Long.toString(e.seq()))
          .addHeader("type", e.type());
      if (e.authorId() != null) options.addHeader("author", Long.toString(e.authorId()));
      vertx.eventBus().publish(Topics.busAddress(e.topic()), e.envelope(), options);
    }
  }

  /** Listens to a topic's committed events on the event bus, from this event loop. */
  public static MessageConsumer<String> listen(Vertx vertx, String topic, Handler<LiveEvent> handler) {
    MessageConsumer<String> consumer = vertx.eventBus().<String>consumer(Topics.busAddress(topic),
        message -> handler.handle(fromMessage(topic, message)));
    quietWhenUnregistered(consumer);
    return consumer;
  }

  /**
   * Vert.x logs a warning for every message that reaches a consumer after it was unregistered: an event racing the
   * last reader's unfollow of its topic, and every topic's events in flight when the node shuts down. That is how
   * unfollowing works here, not something for an operator to look into: said at debug. A message dropped while the
   * consumer is still registered (its buffer full) is still a warning. (The discard handler is Vert.x's own, on its
   * consumer class; the public interface does not have it.)
   */
  static void quietWhenUnregistered(MessageConsumer<String> consumer) {
    if (!(consumer instanceof io.vertx.core.eventbus.impl.MessageConsumerImpl<String> impl)) return;
    impl.discardHandler(message -> {
      if (consumer.isRegistered()) {
        log.warn("An event for {} was dropped: its consumer's buffer is full", consumer.address());
      } else {
        log.debug("An event for {} arrived after its consumer was unregistered", consumer.address());
      }
    });
  }

  private static LiveEvent fromMessage(String topic, Message<String> message) {
    String author = message.headers().get("author");
    String published = message.headers().get("published");
    return new LiveEvent(topic, Long.parseLong(message.headers().get("seq")), message.headers().get("type"),
        author == null ? null : Long.valueOf(author), message.body(), published == null ? 0 : Long.parseLong(published));
  }

  /** A page of a topic's log after a seq, with the topic's head and how far it was pruned, from one snapshot. */
  /**
   * The most a page of the log holds of its events' data, in bytes, past its first event (which it always holds).
   * Readers resuming together share a page, but each holds one until its socket has taken it: 500 events of a
   * thread of long comments (up to 60 KB each) were 30 MB per reader, and 40 SSE readers replaying one such thread
   * without reading took the process's memory from 406 to 689 MB (a probe, 2026-12-04).
   */
  public static final int PAGE_BYTES = 256 * 1024;

  /**
   * Events of a topic after a seq, and its counters. {@code more} says the page was cut (by the count asked for or
   * by {@link #PAGE_BYTES}), so the log may hold more after its last event; otherwise it held no more when read.
   */
  public record Page(long head, long prunedThrough, List<LiveEvent> events, boolean more) {
  }

  /** At most {@code limit} events after {@code after}, and at most about {@link #PAGE_BYTES} of them. */
  public Future<Page> readAfter(String topic, long after, int limit) {
    return pool.preparedQuery(READ_AFTER).execute(Tuple.of(topic, after, limit, PAGE_BYTES)).map(rows -> {
      long head = 0;
      long pruned = 0;
      long allowed = 0;
      List<LiveEvent> events = new ArrayList<>(rows.size());
      for (Row row : rows) {
        head = row.getLong("head");
        pruned = row.getLong("pruned_through");
        if (row.getLong("seq") != null) {
          allowed = row.getLong("n");
          events.add(LiveEvent.of(topic, row.getLong("seq"), row.getString("type"),
              Iso.format(row.getOffsetDateTime("at")), row.getLong("author_id"), row.getString("data")));
        }
      }
      return new Page(head, pruned, events, allowed == limit || events.size() < allowed);
    });
  }

  /** The last seq a thread or user topic has used (0 before its first event). */
  public Future<Long> head(String topic) {
    return pool.preparedQuery(HEAD).execute(Tuple.of(topic))
        .map(rows -> rows.size() == 0 ? 0L : rows.iterator().next().getLong("seq"));
  }

  /** The last seq of each of these topics that has events (topics without any are left out). */
  public Future<Map<String, Long>> heads(List<String> topics) {
    return pool.preparedQuery(HEADS).execute(Tuple.of(topics.toArray(String[]::new))).map(rows -> {
      Map<String, Long> heads = new HashMap<>();
      rows.forEach(row -> heads.put(row.getString("topic"), row.getLong("seq")));
      return heads;
    });
  }

  /**
   * Deletes events older than {@code maxAge} that are also beyond the newest {@code keepPerTopic} of their topic,
   * so the log always holds at least that age or that many events per topic, whichever is more.
   */
  public Future<Long> prune(Duration maxAge, long keepPerTopic) {
    double seconds = maxAge.toSeconds();
    return pool.preparedQuery(PRUNABLE_TOPICS).execute(Tuple.of(seconds)).compose(rows -> {
      Future<Long> total = Future.succeededFuture(0L);
      for (Row row : rows) {
        String topic = row.getString("topic");
        total = total.compose(sum -> pool.preparedQuery(PRUNE_TOPIC).execute(Tuple.of(topic, seconds, keepPerTopic))
            .map(pruned -> sum + pruned.iterator().next().getLong("pruned")));
      }
      return total;
    });
  }
}
