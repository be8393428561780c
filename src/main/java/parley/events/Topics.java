package parley.events;

import java.util.regex.Pattern;

/**
 * Every topic and event type Parley publishes, in one place. A topic is the address a client registers for on the
 * event-bus bridge (and the path of its SSE stream); clients only ever listen, never send.
 */
public final class Topics {

  /** New, edited and deleted posts, and comment counts: everyone. */
  public static final String FEED = "parley.feed";
  /** Every new post and comment for review, and moderators' own events: moderators and admins only. */
  public static final String MOD = "parley.mod";
  private static final String POST_PREFIX = "parley.post.";
  private static final String USER_PREFIX = "parley.user.";

  /** Anchored and escaped: the bridge permits outbound registrations for these addresses and no others. */
  public static final String PERMITTED_REGEX = "parley\\.(feed|mod|post\\.[1-9][0-9]{0,18}|user\\.[1-9][0-9]{0,18})";
  private static final Pattern PERMITTED = Pattern.compile(PERMITTED_REGEX);

  /** Where a topic's events travel on the event bus between nodes; see {@link EventLog#publish}. */
  static final String BUS_PREFIX = "parley.live:";


  // Event types.
  public static final String POST_CREATED = "post.created";
  public static final String POST_EDITED = "post.edited";
  public static final String POST_DELETED = "post.deleted";
  public static final String POST_STATS = "post.stats";
  public static final String COMMENT_CREATED = "comment.created";
  public static final String COMMENT_EDITED = "comment.edited";
  public static final String COMMENT_DELETED = "comment.deleted";
  public static final String REPLY_CREATED = "reply.created";
  public static final String POST_HIDDEN = "post.hidden";
  /** Not stored: tells one client its resume point is gone and it must refetch over REST. */
  public static final String RESYNC = "resync";

  private Topics() {
  }

  public static String post(long postId) {
    return POST_PREFIX + postId;
  }

  public static String user(long userId) {
    return USER_PREFIX + userId;
  }

  /** A topic a client may name: one of the permitted shapes, with an id that fits in a long. */
  public static boolean isValid(String topic) {
    if (topic == null || !PERMITTED.matcher(topic).matches()) return false;
    return !(topic.startsWith(POST_PREFIX) && postOf(topic) == null)
        && !(topic.startsWith(USER_PREFIX) && userOf(topic) == null);
  }

  /**
   * Thread and user topics number their events 1, 2, 3... with no gaps and replay them on resume; the feed and
   * the moderators' topic share one sequence and answer a resume with a resync.
   */
  public static boolean isOrdered(String topic) {
    return topic.startsWith(POST_PREFIX) || topic.startsWith(USER_PREFIX);
  }

  /** Event types that carry a comment's content, and those that carry a post's. */
  private static final java.util.Set<String> COMMENT_CONTENT = java.util.Set.of(COMMENT_CREATED, COMMENT_EDITED,
      "comment.restored", REPLY_CREATED);
  private static final java.util.Set<String> POST_CONTENT = java.util.Set.of(POST_CREATED, POST_EDITED, "post.restored");

  /**
   * What an event's content is about ("comment:12", "post:3"), or null for events that carry no content (ids,
   * counts, moderators' log entries). Used to erase stored copies when the content is deleted or hidden.
   */
  public static String subjectOf(String topic, String type, io.vertx.core.json.JsonObject data) {
    // On the moderators' topic a restore carries the audit-log entry, whose id is the entry's, not the content's.
    if (MOD.equals(topic) && type.endsWith(".restored")) return null;
    Object id = data.getValue("id");
    if (!(id instanceof Number)) return null;
    if (COMMENT_CONTENT.contains(type)) return "comment:" + id;
    if (POST_CONTENT.contains(type)) return "post:" + id;
    return null;
  }

  /** The user a parley.user.&lt;id&gt; topic belongs to, or null for any other topic. */
  public static Long userOf(String topic) {
    return topic.startsWith(USER_PREFIX) ? id(topic.substring(USER_PREFIX.length())) : null;
  }

  /** The post a parley.post.&lt;id&gt; topic follows, or null for any other topic. */
  public static Long postOf(String topic) {
    return topic.startsWith(POST_PREFIX) ? id(topic.substring(POST_PREFIX.length())) : null;
  }

  /** A topic's id, or null when it is not a positive long (nineteen nines do not fit). */
  private static Long id(String digits) {
    try {
      long id = Long.parseLong(digits);
      return id > 0 ? id : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static String busAddress(String topic) {
    return BUS_PREFIX + topic;
  }
}
