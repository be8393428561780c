package parley.access;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.Set;

/**
 * Who may see what: the one seam through which posts, comments and the live push apply moderation and blocks.
 * Hidden content is seen by its author (marked hidden) and by moderators; everyone else gets a tombstone or a 404.
 * A blocked author's content never reaches the person who blocked them, and the blocked person cannot comment on
 * their posts or reply to their comments.
 */
public final class Visibility {

  private static final String REPLY_BLOCKED = "SELECT EXISTS (SELECT 1 FROM blocks "
      + "WHERE blocked_id = $1 AND blocker_id = ANY($2)) AS blocked";

  private Visibility() {
  }

  /** Whether this reader sees content a moderator hid: its author and moderators do. */
  public static boolean seesHidden(Principal reader, long authorId) {
    return reader != null && (reader.id() == authorId || reader.isModerator());
  }

  /** Whether an event may be delivered to a reader with this block list: not someone's words they blocked. */
  public static boolean mayDeliver(Set<Long> readerBlocks, boolean carriesContent, Long authorId) {
    return authorId == null || !carriesContent || !readerBlocks.contains(authorId);
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
