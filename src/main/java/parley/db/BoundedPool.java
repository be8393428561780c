package parley.db;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.TransactionPropagation;
import io.vertx.sqlclient.Tuple;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collector;

/**
 * The pool requests use: every query, and every {@code withConnection} or {@code withTransaction}, fails with a
 * {@link DatabaseDeadline} (answered 503) when PostgreSQL has not answered within the deadline of its being asked
 * for, the wait for a connection included.
 *
 * <p>The pool's own timeout only bounds the wait for a connection. A statement already sent to a PostgreSQL that
 * stops answering (frozen, partitioned away, its disk stalled) waits as long as the database does: its kernel still
 * acknowledges every packet, so neither TCP keep-alive nor {@code statement_timeout} ends it. Without this, a
 * request in flight when the database froze hung for the whole freeze. The connection itself is left to finish
 * (closing a pooled connection only returns it to the pool): it comes back once the database answers, and the
 * pool's bounded wait answers new requests 503 meanwhile.
 *
 * <p>{@link #getConnection()} is not bounded: the caller holds the connection and bounds its own use of it (as
 * {@link parley.events.EventLog#transaction} does, which must never send a COMMIT after answering). Background work
 * (the notifier, the jobs) uses the pool unbounded: it may wait out a freeze.
 */
public final class BoundedPool implements Pool {

  private static final Logger log = LoggerFactory.getLogger(BoundedPool.class);
  private final Vertx vertx;
  private final Pool pool;
  private final Duration deadline;

  public BoundedPool(Vertx vertx, Pool pool, Duration deadline) {
    this.vertx = vertx;
    this.pool = pool;
    this.deadline = deadline;
  }

  /** How long a request's statements may wait for PostgreSQL, from the moment they were asked for. */
  public Duration deadline() {
    return deadline;
  }

  /** The pool without deadlines, for work that may wait out a stalled database. */
  public Pool unbounded() {
    return pool;
  }

  /** {@code work}'s outcome, or a {@link DatabaseDeadline} if it has none within the deadline. */
  public <T> Future<T> bound(Future<T> work) {
    return bound(work, false);
  }

  /**
   * As {@link #bound(Future)}; {@code maybeSaved} says whether work past its deadline may still commit (a
   * transaction whose COMMIT the caller sent itself).
   */
  private <T> Future<T> bound(Future<T> work, boolean maybeSaved) {
    if (work.isComplete()) return work;
    Watch<T> watch = watch(System.nanoTime());
    // Work that sent its own COMMIT is past the point of no return from the start.
    if (maybeSaved) watch.mayCommit();
    return watch.answer(work);
  }

  /**
   * A deadline for a transaction the caller runs on a connection of its own ({@link Watch}), counted from
   * {@code startedNanos} ({@link System#nanoTime}).
   */
  public <T> Watch<T> watch(long startedNanos) {
    return new Watch<>(vertx, deadline, startedNanos);
  }

  /** The watch of {@code pool} when it is bounded; otherwise one that never expires. */
  public static <T> Watch<T> watch(Pool pool, long startedNanos) {
    return pool instanceof BoundedPool bounded ? bounded.watch(startedNanos) : new Watch<>(null, null, 0);
  }

  /**
   * Bounds a transaction its caller runs on a connection of its own, started with the deadline's clock. The caller
   * asks {@link #mayCommit()} just before it sends COMMIT, and rolls back instead when it may not; it answers with
   * {@link #answer(Future)}, which fails with a {@link DatabaseDeadline} once the deadline has passed, while the
   * transaction itself goes on to its end (a rollback, or the commit already sent) whenever the database answers.
   * So a request answered 503 before its COMMIT was sent has changed nothing, and one answered after it is told it
   * may have been saved.
   */
  public static final class Watch<T> {

    private static final int OPEN = 0;
    private static final int COMMITTING = 1;
    private static final int EXPIRED = 2;
    private static final int DONE = 3;

    private final Vertx vertx;
    private final Duration deadline;
    private final Promise<T> answer = Promise.promise();
    private final AtomicInteger state = new AtomicInteger(OPEN);
    private final long timer;

    private Watch(Vertx vertx, Duration deadline, long startedNanos) {
      this.vertx = vertx;
      this.deadline = deadline;
      long left = vertx == null ? 0 : deadline.toMillis() - (System.nanoTime() - startedNanos) / 1_000_000;
      this.timer = vertx == null ? -1 : vertx.setTimer(Math.max(1, left), t -> expire());
    }

    private void expire() {
      while (true) {
        int now = state.get();
        if (now == COMMITTING) {
          answer.tryFail(new DatabaseDeadline(deadline, true));
          return;
        }
        if (now != OPEN) return;
        // The COMMIT may be on its way from another thread: only a watch still open expires unsaved.
        if (state.compareAndSet(OPEN, EXPIRED)) {
          answer.tryFail(new DatabaseDeadline(deadline, false));
          return;
        }
      }
    }

    /** Whether the transaction may begin: false when its connection came only after the deadline. */
    public boolean mayStart() {
      return state.get() == OPEN;
    }

    /** What the caller fails with when it may not start or commit. */
    public DatabaseDeadline expired() {
      return new DatabaseDeadline(deadline, false);
    }

    /** Whether COMMIT may be sent: false once the deadline has passed, when the caller rolls back instead. */
    public boolean mayCommit() {
      return state.compareAndSet(OPEN, COMMITTING);
    }

    /** The transaction's {@code outcome}, or the deadline's failure if that comes first. */
    public Future<T> answer(Future<T> outcome) {
      outcome.onComplete(done -> {
        state.set(DONE);
        if (vertx != null) vertx.cancelTimer(timer);
        if (done.succeeded()) {
          answer.tryComplete(done.result());
        } else {
          answer.tryFail(done.cause());
        }
      });
      return answer.future();
    }
  }

  @Override
  public Future<SqlConnection> getConnection() {
    return connection(pool);
  }

  /**
   * A connection of {@code pool} that says what happens to it in the log: one held by its caller reports the
   * connection's own failures (the server ending the session, a reset) to its exception handler, and the SQL client
   * prints them to standard error with their stack traces when none is set (found by a probe: lines outside the log,
   * with no time or level, that broke a JSON log's parsing). The statements in flight fail as well, and say it.
   */
  public static Future<SqlConnection> connection(Pool pool) {
    return pool.getConnection().map(conn -> conn.exceptionHandler(e ->
        log.debug("A connection to PostgreSQL failed: {}", e.toString())));
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return new BoundedQuery<>(pool.query(sql));
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return new BoundedPreparedQuery<>(pool.preparedQuery(sql));
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return new BoundedPreparedQuery<>(pool.preparedQuery(sql, options));
  }

  /**
   * {@code function} in a transaction that commits only while its deadline has not passed: past it the caller is
   * answered 503 at once and the transaction rolls back when the database answers, as
   * {@link parley.events.EventLog#transaction} does (a Vert.x transaction bounded from outside would commit after
   * the 503, and a retry would write twice).
   */
  @Override
  public <T> Future<T> withTransaction(Function<SqlConnection, Future<T>> function) {
    Watch<T> watch = watch(System.nanoTime());
    return watch.answer(connection(pool).compose(conn -> {
      if (!watch.mayStart()) {
        conn.close();
        return Future.failedFuture(watch.expired());
      }
      return conn.begin()
          .compose(tx -> start(function, conn).transform(done -> {
            if (done.failed()) return tx.rollback().transform(v -> Future.<T>failedFuture(done.cause()));
            if (!watch.mayCommit()) return tx.rollback().transform(v -> Future.<T>failedFuture(watch.expired()));
            return tx.commit().map(done.result())
                .recover(failure -> Future.failedFuture(CommitUnconfirmed.afterCommitSent(failure)));
          }))
          .onComplete(ar -> conn.close());
    }));
  }

  /** As {@link #withTransaction(Function)}: Parley asks for no other propagation. */
  @Override
  public <T> Future<T> withTransaction(TransactionPropagation propagation, Function<SqlConnection, Future<T>> function) {
    return withTransaction(function);
  }

  /**
   * {@code function} on a connection of its own, bounded; past the deadline the caller is told its write may have
   * been saved, since {@code function} may have sent its own COMMIT (the votes pipeline BEGIN to COMMIT at once).
   */
  @Override
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> function) {
    // As Pool.withConnection, on a connection with its exception handler (see connection).
    return bound(connection(pool).compose(conn -> start(function, conn).onComplete(done -> conn.close())), true);
  }

  private static <T> Future<T> start(Function<SqlConnection, Future<T>> function, SqlConnection conn) {
    try {
      return function.apply(conn);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public int size() {
    return pool.size();
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  private class BoundedQuery<T> implements Query<T> {

    private final Query<T> query;

    BoundedQuery(Query<T> query) {
      this.query = query;
    }

    @Override
    public Future<T> execute() {
      return bound(query.execute());
    }

    @Override
    public <R> Query<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new BoundedQuery<>(query.collecting(collector));
    }

    @Override
    public <U> Query<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new BoundedQuery<>(query.mapping(mapper));
    }
  }

  private class BoundedPreparedQuery<T> implements PreparedQuery<T> {

    private final PreparedQuery<T> query;

    BoundedPreparedQuery(PreparedQuery<T> query) {
      this.query = query;
    }

    @Override
    public Future<T> execute() {
      return bound(query.execute());
    }

    @Override
    public Future<T> execute(Tuple tuple) {
      return bound(query.execute(tuple));
    }

    @Override
    public Future<T> executeBatch(List<Tuple> batch) {
      return bound(query.executeBatch(batch));
    }

    @Override
    public <R> PreparedQuery<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new BoundedPreparedQuery<>(query.collecting(collector));
    }

    @Override
    public <U> PreparedQuery<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new BoundedPreparedQuery<>(query.mapping(mapper));
    }
  }
}
