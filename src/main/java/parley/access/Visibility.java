package parley.access;

import java.util.Set;

/**
 * Who may see what, written once: the rule every list, count, single read and live delivery applies, in SQL (the
 * fragments below, which every query that lists or reads content is built from) and in Java.
 *
 * <ul>
 *   <li><b>Listed</b> (lists, counts, the feed, profiles): neither deleted, hidden nor pending.</li>
 *   <li><b>Readable by a reader</b> (a single read, following a thread): not deleted, and neither hidden nor
 *   pending unless the reader is its author (who sees it marked so) or a moderator; everyone else gets a tombstone
 *   (a hidden comment), nothing (a pending comment) or a 404.</li>
 *   <li><b>Blocks</b>: a blocked author's content never reaches the person who blocked them (left out of lists, a
 *   placeholder on single reads, withheld live), and the blocked person cannot comment on their posts or reply to
 *   their comments.</li>
 * </ul>
 *
 * Hidden (a moderator took it down) and pending (held for review) are the two restricted states. A new content state
 * changes these fragments, the Java check beside them, the partial indexes whose predicates repeat {@link #listed} or
 * the other states ({@link #everyPost} and {@link #everyComment} name them: migrations V3, V5, V10, V16 and V31;
 * QueriesTest and PlansAtScaleTest prove the plans still use them) and the triggers that keep the posts' tag counts,
 * the listed posts' count and each member's counts, which repeat it too (V35, V38, V39).
 */
public final class Visibility {

  private Visibility() {
  }

  // ---- the rule in SQL; t is the table's alias in the query ("" when there is none) ----

  /** Listed: in lists and counts for everyone (neither deleted, hidden nor pending). */
  public static String listed(String t) {
    return col(t, "deleted_at") + " IS NULL AND " + open(t);
  }

  /**
   * Every post, in whatever state, written so that each of its three branches is the predicate of one of the
   * author's partial indexes: listed ({@code posts_by_author}), hidden ({@code posts_hidden_by_author}), deleted or
   * pending and not hidden ({@code posts_unlisted_by_author}). With the author's id, PostgreSQL reads all of an
   * author's posts through those three (a BitmapOr) instead of the whole table.
   */
  public static String everyPost(String t) {
    return "((" + listed(t) + ") OR " + col(t, "hidden_at") + " IS NOT NULL OR ((" + col(t, "deleted_at")
        + " IS NOT NULL OR " + col(t, "pending_at") + " IS NOT NULL) AND " + col(t, "hidden_at") + " IS NULL))";
  }

  /**
   * Every comment, likewise: listed ({@code comments_by_author}), hidden or pending
   * ({@code comments_restricted_by_author}), deleted and not hidden ({@code comments_deleted_by_author}, V31).
   */
  public static String everyComment(String t) {
    return "((" + listed(t) + ") OR (" + col(t, "hidden_at") + " IS NOT NULL OR " + col(t, "pending_at")
        + " IS NOT NULL) OR (" + col(t, "deleted_at") + " IS NOT NULL AND " + col(t, "hidden_at") + " IS NULL))";
  }

  /** Neither hidden nor pending: what everyone may read. */
  public static String open(String t) {
    return col(t, "hidden_at") + " IS NULL AND " + col(t, "pending_at") + " IS NULL";
  }

  /** Whether the row is restricted (hidden or pending), as a boolean column {@code as}. */
  public static String restricted(String t, String as) {
    return "NOT (" + open(t) + ") AS " + as;
  }

  /**
   * Hidden or pending, as an expression on the row (the predicate of the partial index comments_restricted_by_author,
   * written as the index has it so the planner can use it).
   */
  public static String restrictedRow(String t) {
    return "(" + col(t, "hidden_at") + " IS NOT NULL OR " + col(t, "pending_at") + " IS NOT NULL)";
  }

  /**
   * In a thread for the reader {@code readerParam}: a pending comment only for its author and moderators, and only
   * while it waits (a hidden one stays, as a tombstone, so its replies keep their place). A held comment that was
   * rejected or deleted is in no one's thread: nobody could reply to it, so no tombstone keeps a place, and its
   * author read "[deleted]" after a reload where the live page had taken it away (a page review).
   */
  public static String inThreadFor(String t, String readerParam, String moderatorParam) {
    return "(" + col(t, "pending_at") + " IS NULL OR " + col(t, "deleted_at") + " IS NULL AND ("
        + col(t, "author_id") + " = " + readerParam + " OR " + moderatorParam + "))";
  }

  /** Exists for single reads: not deleted (whether it is hidden is the reader's question, see readableBy). */
  public static String exists(String t) {
    return col(t, "deleted_at") + " IS NULL";
  }

  /**
   * The account {@code userColumn} (a user id column) is deleted: from then on what it wrote reads as the tombstone
   * its erasing will make of it (AccountDeletion takes minutes for a big account). A probe of users' primary key, for
   * statements that do not join the author.
   */
  public static String authorDeleted(String userColumn) {
    return "(SELECT w.deleted_at FROM users w WHERE w.id = " + userColumn + ") IS NOT NULL";
  }

  /** Readable by the reader {@code readerParam} (a user id, or 0), who is a moderator if {@code moderatorParam}. */
  public static String readableBy(String t, String readerParam, String moderatorParam) {
    return exists(t) + " AND ((" + open(t) + ") OR " + col(t, "author_id") + " = " + readerParam
        + " OR " + moderatorParam + ")";
  }

  /** The reader {@code readerParam} has not blocked the author in {@code authorColumn}. */
  public static String notBlocked(String readerParam, String authorColumn) {
    return "NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = " + readerParam + " AND b.blocked_id = "
        + authorColumn + ")";
  }

  /** The reader {@code readerParam} has blocked someone: what they are shown may then differ from anyone's. */
  public static String blocksAnyone(String readerParam) {
    return "EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = " + readerParam + ")";
  }

  /**
   * The same rule as {@link #notBlocked} for a query that tests very many rows (search over every match of a word):
   * the reader's block list is read once per execution (an uncorrelated sub-select, an InitPlan) and each row's
   * author is compared with that array, so no join to blocks can come between a sort and its LIMIT.
   */
  public static String notBlockedAmong(String readerParam, String authorColumn) {
    return authorColumn + " <> ALL (ARRAY(SELECT b.blocked_id FROM blocks b WHERE b.blocker_id = " + readerParam
        + "))";
  }

  /** A join that is non-null ({@code alias.blocker_id}) when the reader has blocked the author. */
  public static String blockedJoin(String alias, String readerParam, String authorColumn) {
    return "LEFT JOIN blocks " + alias + " ON " + alias + ".blocker_id = " + readerParam + " AND " + alias
        + ".blocked_id = " + authorColumn;
  }

  private static String col(String t, String column) {
    return t.isEmpty() ? column : t + "." + column;
  }

  // ---- the rule in Java ----

  /** Whether a reader may read content that exists: not restricted (hidden or pending), or they see such content. */
  public static boolean readable(Principal reader, long authorId, boolean restricted) {
    return !restricted || seesHidden(reader, authorId);
  }

  /** Whether this reader sees restricted content (hidden by a moderator, or pending): its author and moderators do. */
  public static boolean seesHidden(Principal reader, long authorId) {
    return reader != null && (reader.id() == authorId || reader.isModerator());
  }

  /** Whether an event may be delivered to a reader with this block list: not someone's words they blocked. */
  public static boolean mayDeliver(Set<Long> readerBlocks, boolean carriesContent, Long authorId) {
    return authorId == null || !carriesContent || !readerBlocks.contains(authorId);
  }

  /**
   * Whether a commenter may not comment here, as a boolean expression: the post's author, or the author of the
   * comment being replied to (null when it is a top-level comment), has blocked them. Comments reads it in the same
   * statement as the parent check, one round trip for both.
   */
  public static String commenterBlocked(String commenterParam, String postAuthorColumn, String parentAuthorColumn) {
    return "EXISTS (SELECT 1 FROM blocks WHERE blocked_id = " + commenterParam + " AND blocker_id IN ("
        + postAuthorColumn + ", " + parentAuthorColumn + "))";
  }

  /**
   * Whether a commenter has blocked the post's author or the author of the comment being replied to, as a boolean
   * expression: a block closes replies both ways, so nobody answers someone who can no longer answer back (and whose
   * words the blocker no longer sees). Read in the same statement as {@link #commenterBlocked}.
   */
  public static String commenterBlocking(String commenterParam, String postAuthorColumn, String parentAuthorColumn) {
    return "EXISTS (SELECT 1 FROM blocks WHERE blocker_id = " + commenterParam + " AND blocked_id IN ("
        + postAuthorColumn + ", " + parentAuthorColumn + "))";
  }
}
