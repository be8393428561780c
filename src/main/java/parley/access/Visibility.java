package parley.access;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;

import java.util.HashSet;
import java.util.Set;

/**
 * Who may see what: the one seam through which posts, comments and the live push apply moderation and blocks.
 * Hidden content is seen by its author (marked hidden) and by moderators; everyone else gets a tombstone or a 404.
 * A blocked author's content never reaches the person who blocked them, and the blocked person cannot comment on
 * their posts or reply to their comments.
 */
public final class Visibility {

  /** The list and the moment it was read: a later read has seen every change an earlier one saw. */
  private static final String BLOCKED_BY_NOW = "SELECT ARRAY(SELECT blocked_id FROM blocks WHERE blocker_id = $1) AS ids, "
      + "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS read_at";

  private static final String REPLY_BLOCKED = "SELECT EXISTS (SELECT 1 FROM blocks "
      + "WHERE blocked_id = $1 AND blocker_id = ANY($2)) AS blocked";

  /** Event types that carry a user's content (and so are withheld from people who blocked that user). */
  private static final Set<String> CONTENT_EVENTS = Set.of("post.created", "post.edited", "post.restored",
      "comment.created", "comment.edited", "comment.restored", "reply.created");

  private Visibility() {
  }

  /** Whether this reader sees content a moderator hid: its author and moderators do. */
  public static boolean seesHidden(Principal reader, long authorId) {
    return reader != null && (reader.id() == authorId || reader.isModerator());
  }

  /** Whether an event may be delivered to a reader with this block list. */
  public static boolean mayDeliver(Set<Long> readerBlocks, String type, Long authorId) {
    return authorId == null || !CONTENT_EVENTS.contains(type) || !readerBlocks.contains(authorId);
  }

  /** A user's block list as read at one moment (microseconds since the epoch, by the database's clock). */
  public record BlockList(Set<Long> ids, long readAt) {
  }

  /** The users someone has blocked, with the moment of reading, so a later list can win over an earlier one. */
  public static Future<BlockList> blockListNow(Pool pool, long userId) {
    return pool.preparedQuery(BLOCKED_BY_NOW).execute(Tuple.of(userId)).map(rows -> {
      io.vertx.sqlclient.Row row = rows.iterator().next();
      Set<Long> ids = new HashSet<>();
      for (Long id : row.getArrayOfLongs("ids")) ids.add(id);
      return new BlockList(ids, row.getLong("read_at"));
    });
  }

  /**
   * Whether a commenter may comment here: not if the post's author, or the author of the comment being replied to,
   * has blocked them.
   */
  public static Future<Boolean> mayComment(SqlClient client, long commenterId, long postAuthorId, Long parentAuthorId) {
    Long[] owners = parentAuthorId == null ? new Long[] {postAuthorId} : new Long[] {postAuthorId, parentAuthorId};
    return client.preparedQuery(REPLY_BLOCKED).execute(Tuple.tuple().addLong(commenterId).addArrayOfLong(owners))
        .map(rows -> !rows.iterator().next().getBoolean("blocked"));
  }
}
