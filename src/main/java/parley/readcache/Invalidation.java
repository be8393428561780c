package parley.readcache;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import parley.events.EventType;
import parley.events.LiveEvent;
import parley.events.Topics;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a committed write made stale in the anonymous read cache: some threads (their post and its comment pages),
 * the feed's lists, or everything. Derived from the write's events, or named by writes that publish none (votes,
 * renames).
 *
 * @param everything every cached response
 * @param feed       every feed list
 * @param threads    the posts whose post JSON and comment pages are stale
 */
public record Invalidation(boolean everything, boolean feed, Set<Long> threads) {

  public Invalidation {
    threads = Set.copyOf(threads);
  }

  public static Invalidation everythingChanged() {
    return new Invalidation(true, false, Set.of());
  }

  /** A thread changed, and with {@code feedToo} its post's item in the feed lists (a post's score). */
  public static Invalidation thread(long postId, boolean feedToo) {
    return new Invalidation(false, feedToo, Set.of(postId));
  }

  public boolean isEmpty() {
    return !everything && !feed && threads.isEmpty();
  }

  /**
   * The staleness a write's committed events describe. Each copy on a thread topic makes that thread stale, each on
   * the feed the feed; beyond that each type is decided here, and the switch has no default, so a new event type does
   * not compile until someone says what it makes stale.
   */
  public static Invalidation of(List<LiveEvent> events) {
    boolean everything = false;
    boolean feed = false;
    Set<Long> threads = new TreeSet<>();
    for (LiveEvent event : events) {
      Long post = Topics.postOf(event.topic());
      if (post != null) threads.add(post);
      if (Topics.FEED.equals(event.topic())) feed = true;
      EventType type = EventType.named(event.type());
      if (type == null) {
        everything = true;
        continue;
      }
      switch (type) {
        // Their thread and feed copies say it all (the feed copy of a new post; a comment's thread copy).
        case POST_CREATED, POST_EDITED, POST_DELETED, POST_SCORE, POST_HIDDEN, POST_RESTORED, POST_LOCKED,
            POST_UNLOCKED, COMMENT_CREATED, COMMENT_EDITED, COMMENT_DELETED, COMMENT_HIDDEN, COMMENT_RESTORED,
            COMMENT_SCORE -> { }
        // Nothing anonymous readers see: held content, someone's inbox, reports filed, private notes.
        case POST_PENDING, COMMENT_PENDING, REPLY_CREATED, NOTIFICATION_CREATED, NOTIFICATIONS_READ,
            REPORT_CREATED, USER_NOTED, RESYNC -> { }
        // A post's comment count travels on the feed only, but the post's own JSON shows it too.
        case POST_STATS -> {
          Long counted = new JsonObject(event.envelope()).getJsonObject("data").getLong("postId");
          if (counted == null) everything = true;
          else threads.add(counted);
        }
        // Moderators' and admins' account and review decisions publish only to the moderators. None changes what
        // anonymous readers see today beyond the thread and feed events that come with it (bans hide nothing,
        // approvals publish the content's arrival), but they are rare, so they clear everything rather than rely on
        // that staying true.
        case POST_APPROVED, POST_REJECTED, COMMENT_APPROVED, COMMENT_REJECTED, REPORT_RESOLVED, USER_BANNED,
            USER_UNBANNED, USER_ROLE_CHANGED, FILTER_ADDED, FILTER_REMOVED -> everything = true;
      }
    }
    return new Invalidation(everything, feed, threads);
  }

  JsonObject toJson() {
    return new JsonObject().put("everything", everything).put("feed", feed)
        .put("threads", new JsonArray(List.copyOf(threads)));
  }

  static Invalidation fromJson(JsonObject json) {
    Set<Long> threads = new TreeSet<>();
    JsonArray ids = json.getJsonArray("threads", new JsonArray());
    for (int i = 0; i < ids.size(); i++) threads.add(ids.getLong(i));
    return new Invalidation(json.getBoolean("everything", true), json.getBoolean("feed", true), threads);
  }
}
