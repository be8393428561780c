package parley;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Periodic jobs that must run once per cluster, not once per node: every node offers to run each job once a minute,
 * and the one whose offer moves the job's {@code last_run} forward in the database runs it. The claim is one
 * statement on one row, so of several nodes offering at once exactly one wins, and a node that dies mid-job costs
 * one missed run, not a stuck lock.
 */
final class Jobs {

  private static final Logger log = LoggerFactory.getLogger(Jobs.class);
  static final Duration OFFER_EVERY = Duration.ofMinutes(1);

  /**
   * Claims this turn of job $1, due $2 seconds after its last run, less {@link #GRACE}: the offers come every minute
   * by a timer, and the last run is stamped a few milliseconds after its offer fired, so a job due every minute found
   * itself 59.99 seconds old at the next offer and ran every other minute (a probe of account deletion's job saw it).
   */
  private static final String CLAIM = """
      INSERT INTO jobs AS j (name, last_run) VALUES ($1, now())
      ON CONFLICT (name) DO UPDATE SET last_run = now()
       WHERE j.last_run <= now() - make_interval(secs => $2) + make_interval(secs => $3)
      RETURNING name""";

  /** How much earlier than due an offer may claim a job: far less than a minute, far more than a timer's jitter. */
  static final Duration GRACE = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final Pool pool;
  private final java.util.function.BooleanSupplier stopping;
  /** Pauses in force: while any is, no offer is made (the next minute's offer makes up for a skipped one). */
  private final AtomicInteger paused = new AtomicInteger();
  /** Offers and jobs under way, for a pause to wait out. */
  private final Set<Future<?>> underWay = ConcurrentHashMap.newKeySet();

  /** @param stopping whether the node is stopping (or its start failed): a job cut off then is no warning */
  Jobs(Vertx vertx, Pool pool, java.util.function.BooleanSupplier stopping) {
    this.vertx = vertx;
    this.pool = pool;
    this.stopping = stopping;
  }

  /** Offers the job now and then every minute; it runs when it last ran (on any node) at least {@code every} ago. */
  long schedule(String name, Duration every, Supplier<Future<?>> job) {
    offer(name, every, job);
    return vertx.setPeriodic(OFFER_EVERY.toMillis(), id -> offer(name, every, job));
  }

  /** Runs the job if this node claims this turn; completes with whether it ran. */
  Future<Boolean> offer(String name, Duration every, Supplier<Future<?>> job) {
    // Under way before the pause is read: a pause beginning meanwhile either stops this offer or waits for it.
    Promise<Boolean> offered = Promise.promise();
    underWay.add(offered.future());
    offered.future().onComplete(ar -> underWay.remove(offered.future()));
    if (paused.get() > 0) {
      offered.complete(false);
      return offered.future();
    }
    pool.preparedQuery(CLAIM).execute(Tuple.of(name, (double) every.toSeconds(), (double) GRACE.toSeconds()))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(false) : job.get().map(true))
        .onFailure(e -> {
          if (stopping.getAsBoolean()) {
            log.debug("Job {} did not run: the node is stopping ({})", name, e.toString());
          } else {
            log.warn("Job {} did not run: {}", name, e.toString());
          }
        })
        .onComplete(offered);
    return offered.future();
  }

  /**
   * Makes no offer until the returned pause is ended, completing once the offers and jobs already under way have
   * finished: for a test that reads every statement the database ran while one request ran, which a job's statements
   * would otherwise join once a minute.
   */
  Future<Runnable> pause() {
    paused.incrementAndGet();
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end = () -> {
      if (ended.compareAndSet(false, true)) paused.decrementAndGet();
    };
    return Future.join(List.copyOf(underWay)).transform(ar -> Future.succeededFuture(end));
  }
}
