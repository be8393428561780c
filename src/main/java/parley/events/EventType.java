package parley.events;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Every event Parley publishes, in one place: its name on the wire, whose content it carries (so a reader who
 * blocked the author is spared it, and deleting or hiding the content can erase its stored copies), and which
 * audiences hear about it. docs/LIVE.md's topic table is checked against this catalogue by a test.
 *
 * <p>How a write publishes: {@code box.publish(Publication.of(EventType.X, authorId, data).onThread(postId)...)};
 * the publication must reach exactly the audiences declared here (see {@link Publication}).
 */
public enum EventType {

  POST_CREATED("post.created", Content.POST, Audience.FEED, Audience.MOD),
  /** A new post held for review: to the moderators (with why) and its author; published later by an approval. */
  POST_PENDING("post.pending", Content.POST, Audience.MOD, Audience.AUTHOR),
  /** Its author edited a post still waiting for review: only moderators hear of it (nobody else can read it). */
  POST_PENDING_EDITED("post.pending_edited", Content.POST, Audience.MOD),
  /** A post still waiting for review was deleted, by its author or a moderator: as a pending comment's. */
  POST_PENDING_DELETED("post.pending_deleted", Content.NONE, Audience.MOD, Audience.AUTHOR),
  POST_APPROVED("post.approved", Content.NONE, Audience.MOD, Audience.AUTHOR),
  POST_REJECTED("post.rejected", Content.NONE, Audience.MOD, Audience.AUTHOR),
  POST_EDITED("post.edited", Content.POST, Audience.THREAD, Audience.FEED, Audience.MOD),
  /** Deleted by its author or a moderator; the moderators hear of it too, whose report cards of it then go. */
  POST_DELETED("post.deleted", Content.NONE, Audience.THREAD, Audience.FEED, Audience.MOD),
  /** A post's votes, at most a few times a second however fast they come (coalesced by ScoreBoard). */
  POST_SCORE("post.score", Content.NONE, Audience.THREAD, Audience.FEED),
  COMMENT_SCORE("comment.score", Content.NONE, Audience.THREAD),
  /** A post's comment count after a comment was added, deleted, hidden or restored. */
  POST_STATS("post.stats", Content.NONE, Audience.FEED),
  POST_HIDDEN("post.hidden", Content.NONE, Audience.THREAD, Audience.FEED, Audience.MOD, Audience.AUTHOR),
  POST_RESTORED("post.restored", Content.POST, Audience.THREAD, Audience.FEED, Audience.MOD, Audience.AUTHOR),
  /** A moderator locked a thread: it takes no new comments. On the feed too, whose items say which are locked. */
  POST_LOCKED("post.locked", Content.NONE, Audience.THREAD, Audience.FEED, Audience.MOD, Audience.AUTHOR),
  POST_UNLOCKED("post.unlocked", Content.NONE, Audience.THREAD, Audience.FEED, Audience.MOD, Audience.AUTHOR),
  COMMENT_CREATED("comment.created", Content.COMMENT, Audience.THREAD, Audience.MOD),
  /** A new comment held for review: to the moderators (with why) and its author. */
  COMMENT_PENDING("comment.pending", Content.COMMENT, Audience.MOD, Audience.AUTHOR),
  /** Its author edited a comment still waiting for review: only moderators hear of it. */
  COMMENT_PENDING_EDITED("comment.pending_edited", Content.COMMENT, Audience.MOD),
  /**
   * A comment still waiting for review was deleted, by its author or a moderator: the moderators' card of it and its
   * place on an open thread go, and so do its author's other tabs' copies. Nobody else ever saw it.
   */
  COMMENT_PENDING_DELETED("comment.pending_deleted", Content.NONE, Audience.MOD, Audience.AUTHOR),
  COMMENT_APPROVED("comment.approved", Content.NONE, Audience.MOD, Audience.AUTHOR),
  COMMENT_REJECTED("comment.rejected", Content.NONE, Audience.MOD, Audience.AUTHOR),
  COMMENT_EDITED("comment.edited", Content.COMMENT, Audience.THREAD, Audience.MOD),
  /**
   * Deleted by its author or a moderator; to the moderators too: a report card kept a comment its author deleted,
   * words and Hide button, until a reload (a page probe).
   */
  COMMENT_DELETED("comment.deleted", Content.NONE, Audience.THREAD, Audience.MOD),
  COMMENT_HIDDEN("comment.hidden", Content.NONE, Audience.THREAD, Audience.MOD, Audience.AUTHOR),
  COMMENT_RESTORED("comment.restored", Content.COMMENT, Audience.THREAD, Audience.MOD, Audience.AUTHOR),
  /** Someone commented on your post or replied to your comment. */
  REPLY_CREATED("reply.created", Content.COMMENT, Audience.USERS),
  /**
   * A new notification for you (its id, kind, where, and your unread count); details over REST. When one batch of
   * the notifier made several for you, the newest, with all of them in {@code items}.
   */
  NOTIFICATION_CREATED("notification.created", Content.NONE, Audience.USERS),
  /** You read notifications (on any device): which, and your unread count now. */
  NOTIFICATIONS_READ("notifications.read", Content.NONE, Audience.USERS),
  REPORT_CREATED("report.created", Content.NONE, Audience.MOD),
  REPORT_RESOLVED("report.resolved", Content.NONE, Audience.MOD),
  USER_BANNED("user.banned", Content.NONE, Audience.MOD),
  USER_UNBANNED("user.unbanned", Content.NONE, Audience.MOD),
  USER_ROLE_CHANGED("user.role_changed", Content.NONE, Audience.MOD),
  /** A moderator added a private note on a user. */
  USER_NOTED("user.noted", Content.NONE, Audience.MOD),
  /** An admin issued a password reset link for a user (the audit entry; never the link). */
  USER_PASSWORD_RESET("user.password_reset", Content.NONE, Audience.MOD),
  /** A member changed their own username: the audit entry (details: from, to), so moderators' pages name them anew. */
  USER_RENAMED("user.renamed", Content.NONE, Audience.MOD),
  /**
   * A member deleted their account: the audit entry (details: from, the name it had), so moderators' pages know the
   * name is no one's now.
   */
  USER_DELETED("user.deleted", Content.NONE, Audience.MOD),
  /** An admin downloaded a member's data for them (the audit entry, with the reason; never the data). */
  USER_EXPORTED("user.exported", Content.NONE, Audience.MOD),
  /**
   * A moderator took a reported or held item to review it (Claims: who, since, until; {@code from} when taken over
   * from another): no audit entry, nothing changes but the dashboards.
   */
  CLAIM_TAKEN("claim.taken", Content.NONE, Audience.MOD),
  /** A claim ended before its time: let go ({@code ended: released}) or the item decided ({@code ended: decided}). */
  CLAIM_RELEASED("claim.released", Content.NONE, Audience.MOD),
  FILTER_ADDED("filter.added", Content.NONE, Audience.MOD),
  FILTER_REMOVED("filter.removed", Content.NONE, Audience.MOD),
  /** Not stored or published: tells one client its resume point is gone and it must refetch over REST. */
  RESYNC("resync", Content.NONE);

  /** Whose words an event carries. */
  public enum Content { NONE, POST, COMMENT }

  /**
   * Who hears an event: the thread's readers ({@code parley.post.<id>}), the feed, the moderators, the content's
   * author ({@code parley.user.<author>}), or users the write names (also {@code parley.user.<id>}).
   */
  public enum Audience { THREAD, FEED, MOD, AUTHOR, USERS }

  private static final Map<String, EventType> BY_NAME = new HashMap<>();

  static {
    for (EventType type : values()) BY_NAME.put(type.wireName, type);
  }

  private final String wireName;
  private final Content content;
  private final Set<Audience> audiences;

  EventType(String wireName, Content content, Audience... audiences) {
    this.wireName = wireName;
    this.content = content;
    this.audiences = audiences.length == 0 ? EnumSet.noneOf(Audience.class) : EnumSet.of(audiences[0], audiences);
  }

  /** The name clients see in an envelope's {@code type}. */
  public String wireName() {
    return wireName;
  }

  public Content content() {
    return content;
  }

  public Set<Audience> audiences() {
    return audiences;
  }

  /** The event type with this wire name, or null. */
  public static EventType named(String wireName) {
    return BY_NAME.get(wireName);
  }

  /**
   * Whether the moderators' copy of this event is kept in the log, or only published live. {@code parley.mod} is never
   * replayed (a resume there answers with a resync, and the dashboard reads its lists again over REST), webhooks
   * never read it, and the notifier's catch-up reads new comments from their threads' copies: nothing reads back the
   * moderators' copy of a new comment, the one copy every comment would otherwise write. The other copies there
   * stay kept: the catch-up reads some (a new post's mentions, a resolved report, a hide), and they are few.
   */
  public boolean keepsModeratorsCopy() {
    return this != COMMENT_CREATED;
  }

  /** Whether events of this wire name carry someone's words (withheld from readers who blocked them). */
  public static boolean carriesContent(String wireName) {
    EventType type = named(wireName);
    return type != null && type.content != Content.NONE;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
