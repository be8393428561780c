package parley.post;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.events.EventType;
import parley.events.Publication;
import parley.access.Visibility;

import java.util.Optional;

/**
 * Thread bookkeeping, for every write to a thread whichever feature makes it (a comment, a moderator's action): lock
 * the thread's post row for the transaction, keep its comment count exact, and say so on the feed. A new comment
 * does all of that in the comment's own statement, from the fragments {@link #lockForComment} and
 * {@link #countComment}. Every write to a
 * thread locks this row first, so writes to one thread queue and writes to different threads never wait for each
 * other. Runs inside the caller's transaction.
 *
 * <p>The count and the time of the latest comment are in {@code post_activity} (V15), written only here and only
 * under the post row's lock. Locking the post row adds no version of it; updating it would (its activity time is
 * indexed), into every one of the post's indexes, on every comment.
 */
public final class Threads {

  /** A thread's post row, locked for this transaction. */
  public record Locked(long postId, long authorId, boolean hidden, boolean locked, boolean pending) {
  }

  private static final String STATE = "id, author_id, hidden_at IS NOT NULL AS hidden, "
      + "locked_at IS NOT NULL AS locked, pending_at IS NOT NULL AS pending";

  private static final String LOCK = "SELECT " + STATE + " FROM posts WHERE id = $1 AND deleted_at IS NULL "
      + "FOR NO KEY UPDATE";

  private static final String LOCK_OF_COMMENT = "SELECT " + STATE + " FROM posts "
      + "WHERE id = (SELECT post_id FROM comments WHERE id = $1) AND deleted_at IS NULL FOR NO KEY UPDATE";

  /**
   * For a new comment's own statement: the thread's post row ({@code postParam}, unless deleted) locked. FOR NO KEY
   * UPDATE re-reads a row changed while it waited, so a hide or lock committed meanwhile is seen. Columns: id,
   * author_id, locked, and restricted (hidden or pending: it takes no comments, and only its author and moderators
   * may be told it exists).
   */
  public static String lockForComment(String postParam) {
    return "SELECT id, author_id, locked_at IS NOT NULL AS locked, " + Visibility.restricted("", "restricted")
        + " FROM posts WHERE id = " + postParam + " AND deleted_at IS NULL FOR NO KEY UPDATE";
  }

  /**
   * For a statement that reads a comment and must see its thread as it stands (a vote, a report): a CTE {@code p}
   * holding the post row of comment {@code commentParam}, locked FOR SHARE. Taken first, as every write to a thread
   * takes the post row first: a hide, restore or delete of the post waits for the statement, or the statement waits
   * for it and reads what it committed. Shared, so such statements on one thread's comments do not wait for each
   * other. Follow it with the statement that joins {@code p} and locks the comment.
   */
  public static String sharedPostOfComment(String commentParam) {
    return "WITH p AS MATERIALIZED (SELECT p.* FROM posts p WHERE p.id = (SELECT post_id FROM comments WHERE id = "
        + commentParam + ") FOR SHARE) ";
  }

  /**
   * For the same statement: counts the comment in ({@code deltaParam}: 1 for a published comment, 0 for a pending
   * one) once {@code accepted} (a CTE) has a row, which it may have only after the post row was locked. The UPDATE
   * finds the latest count, as any UPDATE that finds its row changed. Returns comment_count.
   */
  public static String countComment(String postParam, String deltaParam, String accepted) {
    return "UPDATE post_activity a SET comment_count = a.comment_count + " + deltaParam + ", "
        + "last_activity_at = CASE WHEN " + deltaParam + " > 0 THEN now() ELSE a.last_activity_at END "
        + "FROM " + accepted + " WHERE a.post_id = " + postParam + " RETURNING a.comment_count";
  }

  /**
   * As {@link #lockForComment} for a group of new comments written together: the post rows of the threads in
   * {@code postsParam} (an array) that are not deleted, locked in ascending id order, the one order every group
   * takes them in, so two groups wanting the same threads cannot wait for each other in a circle. Columns: id,
   * author_id, locked, restricted.
   */
  public static String lockForComments(String postsParam) {
    return "SELECT id, author_id, locked_at IS NOT NULL AS locked, " + Visibility.restricted("", "restricted")
        + " FROM posts WHERE id = ANY(" + postsParam + ") AND deleted_at IS NULL ORDER BY id FOR NO KEY UPDATE";
  }

  /**
   * As {@link #countComment} for a group: each thread's count moved once, by the sum of its comments' deltas, for
   * the rows of {@code accepted} (a CTE with post_id and delta), whose post rows are locked. Returns post_id and the
   * thread's comment_count after the whole group.
   */
  public static String countComments(String accepted) {
    return "UPDATE post_activity a SET comment_count = a.comment_count + d.k, "
        + "last_activity_at = CASE WHEN d.k > 0 THEN now() ELSE a.last_activity_at END "
        + "FROM (SELECT post_id, sum(delta)::int AS k FROM " + accepted + " GROUP BY post_id) d "
        + "WHERE a.post_id = d.post_id RETURNING a.post_id, a.comment_count";
  }

  /** A comment published late (approved) makes the thread active; one taken away does not make it less so. */
  private static final String COUNT = "UPDATE post_activity pa SET comment_count = comment_count + $2, "
      + "last_activity_at = CASE WHEN $2 > 0 THEN now() ELSE last_activity_at END FROM posts p "
      + "WHERE pa.post_id = $1 AND p.id = pa.post_id RETURNING pa.comment_count, " + Visibility.listed("p")
      + " AS listed";

  private Threads() {
  }

  /** Locks a thread's post row, if the post exists (not deleted). */
  public static Future<Optional<Locked>> lock(SqlConnection conn, long postId) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(postId)).map(Threads::locked);
  }

  /** Locks the post row of the thread a comment belongs to, if both exist (the post not deleted). */
  public static Future<Optional<Locked>> lockOfComment(SqlConnection conn, long commentId) {
    return conn.preparedQuery(LOCK_OF_COMMENT).execute(Tuple.of(commentId)).map(Threads::locked);
  }

  private static Optional<Locked> locked(RowSet<Row> rows) {
    if (rows.size() == 0) return Optional.empty();
    Row row = rows.iterator().next();
    return Optional.of(new Locked(row.getLong("id"), row.getLong("author_id"), row.getBoolean("hidden"),
        row.getBoolean("locked"), row.getBoolean("pending")));
  }

  /**
   * Moves a thread's count of visible comments by {@code delta} (a comment deleted, hidden or restored) and returns
   * the feed's count event, or none when the post is hidden or pending: the feed is everyone's, and that a post
   * nobody may read exists, or how many comments it has, is no one's business there. The row must already be locked.
   */
  public static Future<Optional<Publication>> recount(SqlConnection conn, long postId, int delta) {
    return conn.preparedQuery(COUNT).execute(Tuple.of(postId, delta)).map(rows -> {
      Row row = rows.iterator().next();
      return row.getBoolean("listed") ? Optional.of(stats(postId, row.getInteger("comment_count"))) : Optional.empty();
    });
  }

  /** The feed's event for a thread's new count of visible comments. */
  public static Publication stats(long postId, int commentCount) {
    return Publication.of(EventType.POST_STATS, null,
        new JsonObject().put("postId", postId).put("commentCount", commentCount));
  }
}
