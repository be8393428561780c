package parley.account;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.access.Visibility;
import parley.http.ThrottledWarning;

import java.time.Duration;

/**
 * What a member has on show, as their profile and a moderator's card of them count it: read off the counts kept as
 * their content changes (V39's {@code member_counts}), not counted from their content, which grew with what they wrote
 * (113 ms for a member with 20,000 comments).
 *
 * <p>Posts and reports are kept as they are written. New comments are not, to keep the comment writer's groups as
 * short as they were: {@link #fold} counts them in once a minute, up to a mark below which every comment has
 * committed, and a reader counts the member's comments above the mark itself ({@link #comments}): the last minute or
 * two of them, through {@code comments_by_author}. The migration says why the sum stays exact.
 */
public final class MemberCounts {

  private MemberCounts() {
  }

  /**
   * How many comments' ids one fold's transaction covers at most (the job runs them one after another): a change of
   * a comment's listing waits for the transaction in progress, so each is kept short (10 ms or so).
   */
  static final long FOLD_MOST = 10_000;

  private static final String FOLD = "SELECT member_counts_fold($1) AS covered";

  /** The advisory lock a change of listing holds shared and the fold alone (V39 writes it out where it takes it). */
  public static final long FOLD_LOCK = 123563833845113L;

  /**
   * A member's listed comments in listed threads, for a query joining their {@code member_counts} row as {@code m}
   * (null: none kept yet) and with their id in {@code userColumn}: the kept count and those above the mark.
   */
  public static String comments(String userColumn) {
    // Each comment's thread probed by its key, not joined: the planner, guessing a third of the member's comments
    // above the mark, could otherwise hash every post.
    return "(COALESCE(m.comments, 0) + (SELECT count(*) FROM comments c WHERE c.author_id = " + userColumn
        + " AND " + Visibility.listed("c") + " AND c.id > (SELECT upto FROM member_counts_mark WHERE only_row)"
        + " AND (SELECT " + Visibility.listed("p") + " FROM posts p WHERE p.id = c.post_id)))";
  }

  /**
   * Counts in the comments the last fold noted once no transaction may still hold one of their ids, and notes the
   * newest for the next; completes with how many comments' ids it covered (0: nothing yet). For the cluster's job,
   * once a minute: {@link #FOLD_MOST} at a time, each in its own transaction (a change of a comment's listing waits
   * for one), until what the last fold noted is all in.
   */
  public static Future<Long> fold(Pool pool) {
    return fold(pool, 0);
  }

  private static Future<Long> fold(Pool pool, long sofar) {
    return pool.preparedQuery(FOLD).execute(Tuple.of(FOLD_MOST))
        .map(rows -> {
          Long covered = rows.iterator().next().getLong("covered");
          return covered == null ? 0L : covered;
        })
        .compose(covered -> covered < FOLD_MOST ? Future.succeededFuture(sofar + covered)
            : fold(pool, sofar + covered));
  }

  /**
   * How far the kept comment counts are behind: how long the oldest comment above the fold's mark has waited (0 when
   * none has), as this node last looked. Normally a minute or two; it grows only while a transaction older than the
   * fold's last note stays open (a session idle in a transaction, a forgotten prepared transaction), which holds the
   * mark where it is: the counts stay exact, but readers count every comment above the mark themselves, and a busy
   * member's profile slows back toward what it cost before V39. {@link #warnIfStalled} names that transaction.
   */
  public static final class Lag {

    private static final Logger log = LoggerFactory.getLogger(MemberCounts.class);

    /** Past this, the fold is held, not merely between its turns (a comment is folded two turns after it commits). */
    public static final Duration WARN_AFTER = Duration.ofMinutes(10);

    /** The mark's lag, read off the database's clock: every node reads the same, whatever its own clock says. */
    private static final String LOOK = """
        SELECT COALESCE(extract(epoch FROM now() - (SELECT c.created_at FROM comments c WHERE c.id > m.upto
                                                     ORDER BY c.id LIMIT 1)), 0)::float8 AS behind
          FROM member_counts_mark m WHERE m.only_row""";

    /**
     * The oldest transaction the fold waits for: of those with a transaction id older than its note's
     * ({@code next_xmax}), the one with the oldest. Sessions of other roles show no transaction id to Parley's role
     * unless it may read all statistics ({@code pg_read_all_stats}); prepared transactions show theirs.
     */
    private static final String OLDEST = """
        SELECT who, state, extract(epoch FROM now() - since)::float8 AS open_for FROM (
          SELECT 'pid ' || pid AS who, COALESCE(state, '?') AS state, xact_start AS since, age(backend_xid) AS age
            FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
          UNION ALL
          SELECT 'prepared transaction ' || quote_literal(gid), 'prepared', prepared, age(transaction)
            FROM pg_prepared_xacts) t
         WHERE t.age > (SELECT age(xid(m.next_xmax)) FROM member_counts_mark m WHERE m.only_row)
         ORDER BY t.age DESC LIMIT 1""";

    private final Pool pool;
    private final ThrottledWarning held = new ThrottledWarning(log, Duration.ofMinutes(10));
    private volatile double behind;
    /** Whether the last look for the job found the fold held (and warned): the next one that does not says so. */
    private volatile boolean stalled;

    public Lag(Pool pool, MeterRegistry meters) {
      this.pool = pool;
      Gauge.builder("parley_member_counts_behind_seconds", this, lag -> lag.behind)
          .description("How long the oldest comment not yet counted into its author's kept counts has waited, as this "
              + "node last looked (once a minute): a minute or two at most, unless a transaction left open holds the "
              + "fold back")
          .register(meters);
    }

    /** Looks again (at a node's start, then once a minute); completes with the seconds the oldest comment above the
     * mark has waited. */
    public Future<Double> look() {
      return pool.query(LOOK).execute().map(rows -> {
        behind = rows.size() == 0 ? 0 : rows.iterator().next().getDouble("behind");
        return behind;
      });
    }

    /**
     * Looks again and, when the oldest comment above the mark has waited longer than {@link #WARN_AFTER}, warns
     * (at most every 10 minutes) naming the oldest transaction the fold waits for. For the fold's job, after each
     * fold.
     */
    public Future<Void> warnIfStalled() {
      return look().compose(seconds -> {
        if (seconds <= WARN_AFTER.toSeconds()) {
          // Said once it is well under the threshold, not each time a lag near it dips below.
          if (stalled && seconds <= WARN_AFTER.toSeconds() / 2) {
            stalled = false;
            log.info("Members' comment counts are no longer held back ({} s behind)", Math.round(seconds));
          }
          return Future.succeededFuture();
        }
        stalled = true;
        return pool.query(OLDEST).execute().map(rows -> {
          Row oldest = rows.size() == 0 ? null : rows.iterator().next();
          String holder = oldest == null
              ? "none Parley's database role can see (it sees other roles' sessions with pg_read_all_stats; or the "
                  + "fold is held by something else: its advisory lock, " + FOLD_LOCK + ")"
              : oldest.getString("who") + ", " + oldest.getString("state")
                  + (oldest.getDouble("open_for") == null ? "" : ", open " + minutes(oldest.getDouble("open_for")));
          held.warn("Members' comment counts are {} behind: the fold takes comments in only once every transaction "
                  + "older than its last note has ended. The oldest it waits for: {}. Until that ends, readers "
                  + "count the comments above the mark themselves (exact, but a busy member's profile slows)",
              minutes(seconds), holder);
          return null;
        });
      });
    }

    private static String minutes(double seconds) {
      return Math.round(seconds / 60) + " min";
    }
  }
}
