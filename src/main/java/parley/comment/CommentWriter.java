package parley.comment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.access.Principal;
import parley.access.Visibility;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Idempotency;
import parley.http.Problem;
import parley.http.ProblemHandler;
import parley.markdown.Markdown;
import parley.post.Threads;
import parley.screening.Filter;
import parley.screening.Screening;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Group commit of new comments, one per HTTP verticle ({@link Comments#insert} hands it each new comment, rendered):
 * the node's comments go to one writer's groups (its {@link Writers}), each group one transaction; a comment that
 * arrives on another loop is handed to the writer's and answered back on its own; the writer stops last. The design,
 * and what keeps holding, is in docs/ARCHITECTURE.md ("Group commit of new comments").
 */
public final class CommentWriter {

  private static final Logger log = LoggerFactory.getLogger(CommentWriter.class);

  /** A comment written in its own transaction, as a group's comments are when the group's failed as a whole. */
  @FunctionalInterface
  interface Alone {
    Future<Comment> write(long postId, Principal author, CommentInput input, Markdown.Rendered rendered,
        Idempotency.Claim<Comment> claim, long arrivedNanos);
  }

  /**
   * A group of new comments, in one statement, sent behind BEGIN without waiting for it: {@code Comments.ADD} for many
   * comments at once, each comment one element of the arrays $1..$11 (post, parent or null, author, body, HTML, why
   * it is held or null, count delta; its Idempotency-Key's user, name and request hash, or nulls; whether it is a
   * candidate, false for one the screening refused), in the group's order.
   *
   * <p>First, if $12 is not null, the moderators' list is checked against the digest ($12) of the one the group was
   * screened by (the node's last read): if they differ ({@code filters_current} false), nothing is claimed, locked
   * or written, and the group is screened and sent again with the list read afresh. Then the keys are claimed (as
   * a lone comment's claim does, except that a taken one is left out, {@code key_claimed} false, rather than failing
   * the statement and with it the group; a key another transaction is claiming waits for it; in one order, user then
   * key, so two groups claiming the same keys cannot wait for each other in a circle), before any thread is locked,
   * as a lone comment's claim comes first. Then the candidates' threads' post rows are locked, in ascending
   * id order ({@link Threads#lockForComments}); each candidate is checked as ADD checks it (its parent read FOR
   * SHARE, for the same reason); the accepted (a candidate whose key, if any, was claimed here) take their ids in
   * the group's order (so a thread's comments are numbered in the order their events are), each thread's count
   * moves once by its accepted comments, and they are inserted. One row per comment, in the group's order:
   * {@code found} false when its post does not exist or was deleted, the comment columns null when it was refused,
   * and {@code comment_count} the thread's count after the whole group.
   */
  private static final String ADD_MANY = """
      WITH m AS (
        SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[],
                             $8::bigint[], $9::text[], $10::text[], $11::boolean[])
          WITH ORDINALITY AS m(post_id, parent_id, author_id, body, body_html, held_for, delta, key_user, key,
                               request_hash, candidate, n)),
      fresh AS MATERIALIZED (SELECT $12::text IS NULL OR (%s) = $12::text AS ok),
      claimed AS (
        INSERT INTO idempotency_keys (user_id, key, request_hash, status, body)
        SELECT m.key_user, m.key, m.request_hash, 0, '' FROM m
         WHERE m.key IS NOT NULL AND (SELECT ok FROM fresh) ORDER BY m.key_user, m.key
        ON CONFLICT (user_id, key) DO NOTHING
        RETURNING user_id, key),
      p AS MATERIALIZED (%s),
      r AS MATERIALIZED (
        SELECT m.n, p.author_id AS post_author, p.locked, p.restricted, pc.id IS NOT NULL AS parent_found,
               pc.author_id AS parent_author, (pc.deleted_at IS NOT NULL OR %s) AS parent_deleted, %s, %s AS blocked,
               %s AS blocking, (pc.pending_at IS NOT NULL OR pc.rejected_reason IS NOT NULL) AS parent_unpublished
          FROM m JOIN p ON p.id = m.post_id AND m.candidate LEFT JOIN LATERAL (
            SELECT * FROM comments WHERE id = m.parent_id AND post_id = p.id FOR SHARE) pc ON true),
      accepted AS MATERIALIZED (
        SELECT ok.*, nextval('comments_id_seq') AS id FROM (
          SELECT m.* FROM m JOIN r USING (n)
           WHERE NOT r.restricted AND NOT r.locked AND NOT r.blocked AND NOT r.blocking
             AND (m.parent_id IS NULL OR (r.parent_found AND NOT r.parent_deleted AND NOT r.parent_hidden))
             AND (m.key IS NULL OR EXISTS (SELECT 1 FROM claimed k WHERE k.user_id = m.key_user AND k.key = m.key))
           ORDER BY m.n) ok),
      counted AS (%s),
      c AS (
        INSERT INTO comments (id, post_id, parent_id, author_id, body, body_html, pending_at, pending_reason)
        OVERRIDING SYSTEM VALUE
        SELECT id, post_id, parent_id, author_id, body, body_html, CASE WHEN held_for IS NOT NULL THEN now() END,
               held_for
          FROM accepted ORDER BY n
        RETURNING *)
      SELECT m.n, r.n IS NOT NULL AS found, r.post_author, r.locked, r.restricted, r.parent_found, r.parent_author,
             r.parent_deleted, r.parent_hidden, r.parent_unpublished, r.blocked, r.blocking, counted.comment_count,
             (SELECT ok FROM fresh) AS filters_current,
             EXISTS (SELECT 1 FROM claimed k WHERE k.user_id = m.key_user AND k.key = m.key) AS key_claimed, %s
        FROM m LEFT JOIN r USING (n) LEFT JOIN counted ON counted.post_id = m.post_id
        LEFT JOIN accepted x ON x.n = m.n LEFT JOIN c ON c.id = x.id LEFT JOIN users u ON u.id = c.author_id
       ORDER BY m.n""".formatted(Screening.DIGEST,
      // The claims are read (run) before a row is locked; none, and no lock, if the list was not the same.
      Threads.lockForComments("(SELECT CASE WHEN f.ok AND (SELECT count(*) FROM claimed) >= 0 "
          + "THEN ARRAY(SELECT m.post_id FROM m WHERE m.candidate) ELSE '{}' END FROM fresh f)::bigint[]"),
      Visibility.authorDeleted("pc.author_id"), Visibility.restricted("pc", "parent_hidden"),
      Visibility.commenterBlocked("m.author_id", "p.author_id", "pc.author_id"),
      Visibility.commenterBlocking("m.author_id", "p.author_id", "pc.author_id"), Threads.countComments("accepted"),
      Comment.COLUMNS);

  /** New comments waiting for the node's group in flight, beyond which more are refused with a 503. */
  static final int MAX_WAITING = 2_000;

  private final EventLog events;
  private final Screening screening;
  private final int maxGroup;
  /** How long a new comment may wait for its group (PARLEY_DB_TIMEOUT, as for a pool connection) before a 503. */
  private final long waitLimitMillis;
  /** New comments waiting for the group in flight, oldest first (touched only from the writer's loop). */
  private final ArrayDeque<Member> waiting = new ArrayDeque<>();
  /** {@link #waiting}'s size as last changed, for the node's other loops to read ({@link #refusesMore}). */
  private volatile int waitingNow;
  /** Whether a group is in flight (on the writer's loop). */
  private boolean writing;
  /** Told when no group is in flight any more: the writer's verticle stopping (on the writer's loop). */
  private final List<Promise<Void>> whenIdle = new ArrayList<>();
  /** Set once this verticle's server has closed: from then on it never becomes the node's writer. */
  private volatile boolean stopped;
  /** Set once its stop has ended: its context's timers are gone, so comments are no longer handed to it. */
  private volatile boolean closed;
  /** Whether its verticle's server listened, so its stop is awaited by the writer's. */
  private volatile boolean counted;
  /** The event-loop thread of the verticle this belongs to, the only one that may touch {@link #waiting}. */
  private final Thread owner;
  /** The verticle's context, where comments handed over from the node's other event loops are written. */
  private final Context context;
  private final Writers writers;
  private final Alone alone;
  private final Counter handedOver;
  private final DistributionSummary groupSizes;
  private final Timer groupTimes;
  /** A written group's time by phase: see {@link Group#phases}. */
  private final Map<String, Timer> phaseTimes = new HashMap<>();
  private final Counter oneByOne;
  private final Counter keptConnections;

  /** Made on its HTTP verticle's context (a writer must be made on an event loop: its context runs its groups). */
  CommentWriter(EventLog events, Screening screening, int maxGroup, Duration waitLimit, MeterRegistry meters,
      Writers writers, Alone alone) {
    this.events = events;
    this.screening = screening;
    this.maxGroup = maxGroup;
    this.waitLimitMillis = Math.max(1, waitLimit.toMillis());
    this.owner = Context.isOnEventLoopThread() ? Thread.currentThread() : null;
    this.context = Vertx.currentContext();
    this.writers = writers;
    this.alone = alone;
    // Registered once per node: every HTTP verticle's writer counts into the same meters.
    this.handedOver = Counter.builder("parley_comment_group_handovers")
        .description("New comments that arrived on another event loop than the node's writer's, and were handed to it")
        .register(meters);
    this.groupSizes = DistributionSummary.builder("parley_comment_group_size")
        .description("New comments per group transaction").register(meters);
    this.groupTimes = Timer.builder("parley_comment_group")
        .description("Group transactions of new comments, from the group's start to its comments' answers: their sum "
            + "over a while is how busy the node's one writer was")
        .register(meters);
    for (String phase : Group.PHASES) {
      phaseTimes.put(phase, Timer.builder("parley_comment_group_phase")
          .description("A written group's time by phase: waiting for a connection, its screening (a read only for "
              + "a node's first group, a young author's count or a list changed since), its insert (BEGIN and the "
              + "keys' claims with it), and its events, answers and COMMIT")
          .tag("phase", phase).register(meters));
    }
    this.keptConnections = Counter.builder("parley_comment_group_connections_kept")
        .description("Groups written on the connection of the group before, kept because comments were already "
            + "waiting, instead of a connection asked of the pool again")
        .register(meters);
    this.oneByOne = Counter.builder("parley_comment_group_fallbacks")
        .description("Groups whose transaction failed as a whole, their comments then written one by one")
        .register(meters);
  }

  /**
   * A new comment, its Markdown rendered, that arrived at {@code arrivedNanos}: written in the node's writer's next
   * group (this one's, or handed to the writer's loop and answered back on this one's).
   */
  Future<Comment> insert(long postId, Principal author, CommentInput input, Markdown.Rendered rendered,
      Idempotency.Claim<Comment> claim, long arrivedNanos) {
    CommentWriter chosen = writers.writer(this);
    if (chosen != this) return chosen.handedOver(postId, author, input, rendered, claim, arrivedNanos);
    return grouped(postId, author, input, rendered, claim, arrivedNanos);
  }

  /**
   * Whether the node's writer already has {@link #MAX_WAITING} comments waiting, read from any loop: a comment that
   * arrives then is refused before its Markdown is rendered, so an overloaded node does no work it then throws away.
   * (A hint: the writer's own check, on its loop, is the one that holds.)
   */
  boolean refusesMore() {
    CommentWriter chosen = writers.writer.get();
    return chosen != null && !chosen.closed && chosen.waitingNow >= MAX_WAITING;
  }

  static Problem tooManyWaiting() {
    return Problem.unavailable("Too many comments are waiting to be written: try again in a moment.", 1);
  }

  private static Problem busy() {
    return Problem.unavailable("The database is busy; try again shortly.", 1);
  }

  /** {@link #insert} on the writer's loop. */
  private Future<Comment> grouped(long postId, Principal author, CommentInput input, Markdown.Rendered rendered,
      Idempotency.Claim<Comment> claim, long arrivedNanos) {
    onOwnLoop();
    Member member = new Member(postId, author, input, rendered, claim, Promise.promise(), arrivedNanos);
    if (writing) {
      if (waiting.size() >= MAX_WAITING) return Future.failedFuture(tooManyWaiting());
      // A comment behind a group that is stuck (its thread's row held by another writer) gets what one waiting for a
      // pool connection gets: a 503 PARLEY_DB_TIMEOUT after it arrived, with nothing written; not a wait without
      // end. Counted from its arrival: its rendering (its mentions' lookup) and its hand-over came first.
      long left = waitLimitMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - arrivedNanos);
      if (left <= 0) return Future.failedFuture(busy());
      waiting.addLast(member);
      waitingNow = waiting.size();
      Context context = Vertx.currentContext();
      if (context != null) {
        context.owner().setTimer(left, id -> {
          if (waiting.remove(member)) {
            waitingNow = waiting.size();
            member.done.fail(busy());
          }
        });
      }
    } else {
      writing = true;
      run(List.of(member));
    }
    return member.done.future();
  }

  /**
   * A comment from another event loop of the node, written in this one's groups; its answer goes back to the loop it
   * came from (its request's). One writer per node: when each event loop wrote its own groups, two groups at once
   * nearly always shared a row (a thread's post, an author's topic counter), so one waited for the other's commit
   * and the node wrote fewer comments a second with two loops than with one (docs/benchmarks/P5-round-trips.md).
   */
  private Future<Comment> handedOver(long postId, Principal author, CommentInput input, Markdown.Rendered rendered,
      Idempotency.Claim<Comment> claim, long arrivedNanos) {
    handedOver.increment();
    // Its deadline and its wait for a group count from its arrival, the hop to the writer's (busier) loop included.
    Context caller = Vertx.currentContext();
    Promise<Comment> answer = Promise.promise();
    context.runOnContext(v -> {
      Future<Comment> written;
      try {
        written = grouped(postId, author, input, rendered, claim, arrivedNanos);
      } catch (RuntimeException e) {
        // Thrown rather than failed: still the caller's answer, not a request left waiting.
        written = Future.failedFuture(e);
      }
      written.onComplete(done -> {
        if (caller == null) {
          answer.handle(done);
        } else {
          caller.runOnContext(w -> answer.handle(done));
        }
      });
    });
    return answer.future();
  }

  /** Called by the HTTP verticle once its server listens: from then on the writer's stop waits for its own. */
  void serving() {
    onOwnLoop();
    if (owner == null || counted) return;
    counted = true;
    writers.joined();
  }

  /**
   * Called by the HTTP verticle once its server has closed, before its context ends. The writer's verticle stops
   * last: its loop carries the node's groups and the timers that bound them (a waiting comment's wait limit, a
   * group's request deadline), which end with its context. So for the writer this completes only once every other
   * HTTP verticle's server has closed and its last group has ended, or after {@code bound} (the shutdown grace and a
   * request deadline: the other servers close within the one and a group ends within the other); for any other at
   * once. A request that was still on its way when its server was closed under it may yet hand a comment over
   * after that: once the writer's stop has ended, such a comment is written on its own loop instead.
   */
  Future<Void> stop(Duration bound) {
    // Not checked to be on its loop: a stop that threw would leave the node's database open.
    stopped = true;
    if (!counted) return Future.succeededFuture();
    Future<Void> othersClosed = writers.left();
    if (writers.writer.get() != this) return Future.succeededFuture();
    Promise<Void> done = Promise.promise();
    long backstop = context.owner().setTimer(Math.max(1, bound.toMillis()), t -> {
      if (done.tryComplete()) {
        log.warn("Stopped writing new comments after {} s without the other loops' servers closed or the last group "
            + "ended", bound.toSeconds());
      }
    });
    othersClosed.onComplete(v -> context.runOnContext(w -> {
      if (writing) {
        whenIdle.add(done);
      } else {
        done.tryComplete();
      }
    }));
    return done.future().onComplete(v -> {
      closed = true;
      context.owner().cancelTimer(backstop);
    });
  }

  /**
   * Which of a node's {@link Comments} (one per HTTP verticle) writes every new comment of the node in its groups: the
   * first that writes one; and how many HTTP verticles still serve, so that the writer's stops last.
   */
  public static final class Writers {

    private final AtomicReference<CommentWriter> writer = new AtomicReference<>();
    private final AtomicInteger serving = new AtomicInteger();
    private final Promise<Void> allClosed = Promise.promise();

    CommentWriter writer(CommentWriter candidate) {
      CommentWriter chosen = writer.get();
      if (chosen != null) return chosen.closed ? candidate : chosen;
      // Only one made on an event loop can write groups (its context runs them), and not one whose verticle has
      // stopped (its context's timers are gone); either writes its own.
      if (candidate.context == null || candidate.owner == null || candidate.stopped) return candidate;
      writer.compareAndSet(null, candidate);
      return writer.get();
    }

    void joined() {
      serving.incrementAndGet();
    }

    /** One HTTP verticle's server closed; completes once every one's has. */
    Future<Void> left() {
      if (serving.decrementAndGet() <= 0) allClosed.tryComplete();
      return allClosed.future();
    }
  }

  /**
   * Whether a group of new comments is in flight on this verticle's loop (only ever on the node's writer's, and for
   * comments from every loop): the live side yields its loop to it as to a request of its own. Read on that loop.
   */
  boolean groupInFlight() {
    return writing;
  }

  /** The waiting comments are not thread-safe: a caller on another thread would race this verticle's. */
  private void onOwnLoop() {
    if (owner != null && Thread.currentThread() != owner) {
      throw new IllegalStateException("Comments used off its verticle's event loop, on " + Thread.currentThread());
    }
  }

  /** Writes a group, then the comments that arrived meanwhile, until none wait. */
  private void run(List<Member> group) {
    groupSizes.record(group.size());
    long started = System.nanoTime();
    writeGroup(group, started).onComplete(ignored -> {
      groupTimes.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      onOwnLoop();
      List<Member> next = nextGroup();
      if (next.isEmpty()) {
        // Kept for comments that were waiting and are gone: the connection goes back (a safety net; keep() checks
        // that comments wait, and nothing on this loop runs between it and here).
        if (kept != null) {
          kept.close();
          kept = null;
        }
        writing = false;
        whenIdle.forEach(Promise::tryComplete);
        whenIdle.clear();
      } else {
        run(next);
      }
    });
  }

  /**
   * The next group: the oldest waiting comments, at most {@code maxGroup}, leaving in place (for a later group) any
   * whose Idempotency-Key one already taken has.
   */
  private List<Member> nextGroup() {
    List<Member> group = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (Iterator<Member> it = waiting.iterator(); it.hasNext() && group.size() < maxGroup; ) {
      Member member = it.next();
      Idempotency.Key key = member.claim.key();
      if (key != null && !keys.add(key.userId() + " " + key.key())) continue;
      group.add(member);
      it.remove();
    }
    waitingNow = waiting.size();
    return group;
  }

  /**
   * One group's transaction ({@link Group}), then each comment's answer; if the transaction failed as a whole with an
   * error from PostgreSQL (which rolled it back), each comment again in its own transaction, one after the other.
   * Any other failure (the connection lost, so whether it committed is unknown) is every comment's answer, as it
   * would be a lone comment's. {@code started} ({@link System#nanoTime}) is when the group began, for its phases.
   */
  private Future<Void> writeGroup(List<Member> members, long started) {
    Group group = new Group(members);
    // The request deadline counts from when the group's oldest comment arrived, not from when the group began: a
    // comment that waited behind a stuck group must not then get a whole deadline of its own (it was answered up to
    // PARLEY_DB_TIMEOUT past PARLEY_DB_DEADLINE in a frozen database; a probe, 2026-12-03).
    long oldest = members.stream().mapToLong(Member::arrivedNanos).min().orElse(System.nanoTime());
    SqlConnection given = kept;
    kept = null;
    if (given != null) keptConnections.increment();
    long mine = ++groupsStarted;
    return events.transaction(group, group::write, oldest, given, (conn, committed) -> keep(conn, committed, mine))
        .transform(ar -> {
          if (ar.succeeded()) {
            long[] phases = group.phases(started, System.nanoTime());
            for (int i = 0; i < phases.length; i++) {
              phaseTimes.get(Group.PHASES.get(i)).record(phases[i], TimeUnit.NANOSECONDS);
            }
            ar.result().settle();
            return Future.<Void>succeededFuture();
          }
          if (ar.cause() instanceof NothingWritten nothing) {
            nothing.outcome.settle();
            return Future.<Void>succeededFuture();
          }
          // A database that refuses for its own state (read-only after a failover, short of disk, a timeout)
          // would refuse each comment again: one transaction each would only add load and a warning per group.
          boolean eachAlone = ar.cause() instanceof ListKeptChanging
              || ar.cause() instanceof PgException && members.size() > 1
              && !ProblemHandler.databaseUnavailable(ar.cause());
          if (!eachAlone) {
            members.forEach(member -> member.done.tryFail(ar.cause()));
            return Future.<Void>succeededFuture();
          }
          oneByOne.increment();
          log.warn("A group of {} comments failed as a whole ({}); writing them one by one", members.size(),
              ar.cause().toString());
          Future<Void> chain = Future.succeededFuture();
          for (Member member : members) {
            chain = chain.compose(v -> alone.write(member.postId, member.author, member.input, member.rendered,
                    member.claim, member.arrivedNanos)
                .onComplete(member.done).transform(done -> Future.<Void>succeededFuture()));
          }
          return chain;
        });
  }

  /**
   * The connection of the group that just committed, kept for the next group when comments are already waiting for
   * it, instead of given back to the pool and asked for again: the ask waited behind the group's own last work on the
   * writer's loop (1.0-1.6 ms of a 13-22 ms group in P5's community row; with the connection kept, 0.2-0.3 ms, and
   * the groups 5-7 % shorter: docs/benchmarks/P5-round-trips.md). Given back after {@link #KEEP_MOST} groups in a
   * row (the pool's lifetime limit, PARLEY_DB_MAX_LIFETIME, replaces a connection when it finds it idle, as before),
   * when no group follows, when its group did not commit or a later group started first, and when the writer stops.
   * Touched only on the writer's loop.
   */
  private SqlConnection kept;
  private int keptGroups;
  static final int KEEP_MOST = 256;

  /** Groups started so far: a group's connection is kept only if no group started after it. */
  private long groupsStarted;

  /**
   * Whether the connection of group number {@code group}, whose transaction has just ended, is kept for the next.
   * Not when a later group has started meanwhile: a group answered at its deadline while its COMMIT was still on its
   * way lets the next group start on another connection, and its own would otherwise be kept late, then dropped
   * unclosed when that group's was kept over it (a review found the leak).
   */
  private boolean keep(SqlConnection conn, boolean committed, long group) {
    if (!committed || stopped || group != groupsStarted || waitingNow == 0 || ++keptGroups >= KEEP_MOST) {
      keptGroups = 0;
      return false;
    }
    if (kept != null && kept != conn) kept.close();
    kept = conn;
    return true;
  }

  /** A new comment waiting for its group, and what its caller is told. */
  private record Member(long postId, Principal author, CommentInput input, Markdown.Rendered rendered,
      Idempotency.Claim<Comment> claim, Promise<Comment> done, long arrivedNanos) {
  }

  /** What became of each comment of a group: written, refused, or its key already another request's. */
  private static final class Outcome {
    final List<Member> members;
    final Comment[] written;
    final RuntimeException[] refused;

    Outcome(List<Member> members) {
      this.members = members;
      this.written = new Comment[members.size()];
      this.refused = new RuntimeException[members.size()];
    }

    boolean anyWritten() {
      for (Comment comment : written) {
        if (comment != null) return true;
      }
      return false;
    }

    void settle() {
      for (int i = 0; i < members.size(); i++) {
        if (written[i] != null) {
          members.get(i).done.tryComplete(written[i]);
        } else {
          members.get(i).done.tryFail(refused[i]);
        }
      }
    }
  }

  /**
   * A group whose moderators' list changed under it {@link Group#MOST_SCREENINGS} times in a row (a script adding
   * entries, say): its transaction rolls back, and its comments are written one by one, each reading the list in its
   * own transaction, rather than refused (a review).
   */
  private static final class ListKeptChanging extends RuntimeException {
    ListKeptChanging() {
      super("the moderators' list changed under the group at each of its screenings", null, false, false);
    }
  }

  /** A group in which every comment was refused: its transaction rolls back, and each gets its refusal. */
  private static final class NothingWritten extends RuntimeException {
    final Outcome outcome;

    NothingWritten(Outcome outcome) {
      super("every comment of the group was refused", null, false, false);
      this.outcome = outcome;
    }
  }

  /**
   * One group's transaction, in two round trips, each statement for the whole group: BEGIN and the comments
   * ({@link #ADD_MANY}: the keys' claim, the check of the moderators' list the group was screened by, the insert) go
   * out together; then every comment's events (one statement, {@link EventLog.Outbox#publishWrites}), the answers
   * stored and the refused comments' keys given back (one statement), and COMMIT. A group is screened by the list
   * the node read last ({@link Screening#lastListed}), so nothing is read before its insert; only the first group,
   * a group the list changed under, and a young author's count ({@link Screening}) read first. It is the group's
   * {@link Idempotency.Claim}: its keys are claimed in its insert and their answers stored last.
   */
  private final class Group implements Idempotency.Claim<Outcome> {
    /** What a group's time is spent on, in order (see {@link #phases}). */
    static final List<String> PHASES = List.of("connection", "reads", "insert", "commit");
    /** Times a group is screened and sent when the list keeps changing under it, before its comments go one by one. */
    static final int MOST_SCREENINGS = 3;
    private final List<Member> members;
    private Set<Idempotency.Key> claimed = Set.of();
    /** When the group had its connection, its verdicts and its insert's answer (System.nanoTime). */
    private long connected;
    private long read;
    private long inserted;

    Group(List<Member> members) {
      this.members = members;
    }

    /** Nothing before the insert: its statement claims the keys (see {@link #ADD_MANY}). */
    @Override
    public Future<Void> take(SqlConnection conn) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> store(SqlConnection conn, Outcome outcome) {
      List<Idempotency.Key> answered = new ArrayList<>();
      List<Idempotency.Reply> replies = new ArrayList<>();
      List<Idempotency.Key> released = new ArrayList<>();
      for (int i = 0; i < members.size(); i++) {
        Idempotency.Claim<Comment> claim = members.get(i).claim;
        if (claim.key() == null || !claimed.contains(claim.key())) continue;
        if (outcome.written[i] != null) {
          answered.add(claim.key());
          replies.add(claim.reply(outcome.written[i]));
        } else {
          released.add(claim.key());
        }
      }
      return Idempotency.storeAll(conn, answered, replies, released);
    }

    /**
     * The nanoseconds of a written group from {@code started} to {@code ended}, by {@link #PHASES}: the wait for a
     * connection; the screening (nothing to wait for but a list or a count to read); the insert, BEGIN and the keys'
     * claim with it; the events, the answers and COMMIT.
     */
    long[] phases(long started, long ended) {
      return new long[] {connected - started, read - connected, inserted - read, ended - inserted};
    }

    /** The group screened, then its comments and their events; fails with {@link NothingWritten} if all are refused. */
    Future<Outcome> write(EventLog.Outbox box) {
      connected = System.nanoTime();
      boolean anyScreened = members.stream().anyMatch(member -> !member.author.isModerator());
      Screening.Listed known = anyScreened ? screening.lastListed() : Screening.Listed.NONE;
      return screened(box, known != null ? Future.succeededFuture(known) : screening.listed(box.connection()), 1);
    }

    /** The group screened by {@code listing}, then sent ({@link #add}); this is its {@code tries}th screening. */
    private Future<Outcome> screened(EventLog.Outbox box, Future<Screening.Listed> listing, int tries) {
      SqlConnection conn = box.connection();
      Outcome outcome = new Outcome(members);
      Future<List<Filter>> filters = listing.map(Screening.Listed::filters);
      List<Future<Screening.Verdict>> verdicts = new ArrayList<>(members.size());
      for (Member member : members) {
        verdicts.add(screening.screen(conn, member.author, Screening.Kind.COMMENT, member.input.body(), filters,
            Future.succeededFuture(member.rendered.links())));
      }
      return Future.join(verdicts).otherwiseEmpty().compose(v -> {
        // The first screening's end: after a list changed under the group, its insert phase counts what followed.
        if (tries == 1) read = System.nanoTime();
        // The refused are sent too, not as candidates: a refusal stands only if the list it came from is still
        // the list (the digest's check), and a refused comment's key, if it has one, tells a retry (its first
        // answer again) from a refusal (given back).
        for (int i = 0; i < members.size(); i++) {
          Future<Screening.Verdict> verdict = verdicts.get(i);
          if (verdict.failed() && verdict.cause() instanceof Problem refusal) {
            outcome.refused[i] = refusal;
          } else if (verdict.failed()) {
            // Not a refusal: a statement failed, and the transaction with it.
            return Future.<Outcome>failedFuture(verdict.cause());
          }
        }
        return add(box, outcome, verdicts, listing.result().digest(), tries);
      });
    }

    /** The group's one statement, then each comment's refusal or events. */
    private Future<Outcome> add(EventLog.Outbox box, Outcome outcome, List<Future<Screening.Verdict>> verdicts,
        String digest, int tries) {
      int size = members.size();
      Long[] posts = new Long[size];
      Long[] parents = new Long[size];
      Long[] authors = new Long[size];
      String[] bodies = new String[size];
      String[] htmls = new String[size];
      String[] held = new String[size];
      Integer[] deltas = new Integer[size];
      Long[] keyUsers = new Long[size];
      String[] keys = new String[size];
      String[] hashes = new String[size];
      Boolean[] candidates = new Boolean[size];
      for (int i = 0; i < size; i++) {
        Member member = members.get(i);
        Screening.Verdict verdict = verdicts.get(i).failed() ? Screening.Verdict.PUBLISH : verdicts.get(i).result();
        posts[i] = member.postId;
        parents[i] = member.input.parentId();
        authors[i] = member.author.id();
        // A refused comment is sent for its key and the list's check only: not its words.
        bodies[i] = outcome.refused[i] == null ? member.input.body() : null;
        htmls[i] = outcome.refused[i] == null ? member.rendered.html() : null;
        held[i] = verdict.heldFor();
        deltas[i] = verdict.held() ? 0 : 1;
        Idempotency.Key key = member.claim.key();
        keyUsers[i] = key == null ? null : key.userId();
        keys[i] = key == null ? null : key.key();
        hashes[i] = key == null ? null : key.requestHash();
        candidates[i] = outcome.refused[i] == null;
      }
      Tuple args = Tuple.of(posts, parents, authors, bodies, htmls, held).addValue(deltas).addValue(keyUsers)
          .addValue(keys).addValue(hashes).addValue(candidates).addValue(digest);
      SqlConnection conn = box.connection();
      return conn.preparedQuery(ADD_MANY).execute(args).compose(rows -> {
        inserted = System.nanoTime();
        List<Row> inOrder = new ArrayList<>(size);
        rows.forEach(inOrder::add);
        if (!inOrder.get(0).getBoolean("filters_current")) {
          // The list changed since the node read it: nothing was claimed or written; screened again, read afresh.
          if (tries >= MOST_SCREENINGS) return Future.<Outcome>failedFuture(new ListKeptChanging());
          return screened(box, screening.listed(conn), tries + 1);
        }
        Set<Idempotency.Key> taken = new HashSet<>();
        for (int i = 0; i < size; i++) {
          Idempotency.Key key = members.get(i).claim.key();
          if (key != null && inOrder.get(i).getBoolean("key_claimed")) taken.add(key);
        }
        claimed = taken;
        // Each thread's count after each of its comments: its count after the group, less its later comments.
        Map<Long, Integer> later = new HashMap<>();
        int[] counts = new int[size];
        for (int k = size - 1; k >= 0; k--) {
          Row row = inOrder.get(k);
          if (row.getLong("id") == null || row.getBoolean("pending")) continue;
          int after = later.getOrDefault(posts[k], 0);
          counts[k] = row.getInteger("comment_count") - after;
          later.put(posts[k], after + 1);
        }
        List<List<Publication>> writes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          Member member = members.get(i);
          if (member.claim.key() != null && !taken.contains(member.claim.key())) {
            // A retry (or a twin) of a request another transaction wrote: its answer, not this one's verdict.
            outcome.refused[i] = Idempotency.alreadyClaimed();
            continue;
          }
          if (outcome.refused[i] != null) continue;
          try {
            Comment comment = accepted(inOrder.get(i), member.author, member.input.parentId());
            writes.add(publications(comment, inOrder.get(i), verdicts.get(i).result(), counts[i]));
            outcome.written[i] = comment;
          } catch (Problem refusal) {
            outcome.refused[i] = refusal;
          }
        }
        if (!outcome.anyWritten()) return Future.failedFuture(new NothingWritten(outcome));
        // Not awaited: the transaction stores the answers and sends COMMIT behind them, and waits for them itself.
        box.publishWrites(writes);
        return Future.succeededFuture(outcome);
      });
    }
  }

  /** The comment one of ADD_MANY's rows wrote, or its refusal, in the order a lone comment's come. */
  private static Comment accepted(Row row, Principal author, Long parentId) {
    if (!row.getBoolean("found")) throw Problem.notFound("No such post.");
    Comments.takesComments(row, author);
    Comments.parentAuthor(row, parentId, author);
    return Comment.fromRow(row);
  }

  /** A written comment's events: held for review, or published with its thread's count after it. */
  private static List<Publication> publications(Comment comment, Row row, Screening.Verdict verdict, int count) {
    if (comment.pending()) {
      return List.of(Publication.of(EventType.COMMENT_PENDING, comment.authorId(), comment.toJson())
          .forModerators(comment.toJson().put("pendingReason", verdict.heldFor())));
    }
    // (Only accepted comments get here: their parent, if any, is published.)
    List<Publication> out = Comments.created(comment, row.getLong("post_author"),
        comment.parentId() == null ? null : row.getLong("parent_author"));
    out.add(Threads.stats(comment.postId(), count));
    return out;
  }
}
