package parley.events;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Every topic Parley publishes on, in one place (the event types are {@link EventType}). A topic is the address a
 * client registers for on the event-bus bridge (and the path of its SSE stream); clients only ever listen, never
 * send.
 */
public final class Topics {

  /** New, edited and deleted posts, and comment counts: everyone. */
  public static final String FEED = "parley.feed";
  /** Every new post and comment for review, and moderators' own events: moderators and admins only. */
  public static final String MOD = "parley.mod";
  /** Thread topics are this and the post id; SQL that joins a post to its thread's counter builds it the same way. */
  public static final String POST_PREFIX = "parley.post.";
  public static final String USER_PREFIX = "parley.user.";

  /** Anchored and escaped: the bridge permits outbound registrations for these addresses and no others. */
  public static final String PERMITTED_REGEX = "parley\\.(feed|mod|post\\.[1-9][0-9]{0,18}|user\\.[1-9][0-9]{0,18})";
  private static final Pattern PERMITTED = Pattern.compile(PERMITTED_REGEX);

  /** Where a topic's events travel on the event bus between nodes; see {@link EventLog#publish}. */
  static final String BUS_PREFIX = "parley.live:";


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

  /** Every kind of topic (see {@link #kind}). */
  public static final List<String> KINDS = List.of("post", "user", "feed", "mod");

  /** The kind of a topic, for metrics labels (never the topic itself): post, user, feed or mod. */
  public static String kind(String topic) {
    if (topic.startsWith(POST_PREFIX)) return "post";
    if (topic.startsWith(USER_PREFIX)) return "user";
    return FEED.equals(topic) ? "feed" : "mod";
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

  /** The internal event-bus address a topic's events travel on (never bridged: clients name the topic). */
  public static String busAddress(String topic) {
    return BUS_PREFIX + topic;
  }
}
