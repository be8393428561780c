package parley.account;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import parley.access.Visibility;

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
}
