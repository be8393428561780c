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
 * What a committed write made stale in the read cache: some threads (their post and its comment pages), the feed's
 * lists, some readers' overlays (their votes, blocks and held content, see {@link SignedInReads}), or everything.
 * Derived from the write's events, or named by writes that publish none (votes, renames, blocks).
 *
 * @param everything every cached response and overlay
 * @param feed       every feed list
 * @param threads    the posts whose post JSON and comment pages are stale
 * @param readers    the readers whose own state changed: every overlay of theirs is stale
 */
public record Invalidation(boolean everything, boolean feed, Set<Long> threads, Set<Long> readers) {

  public Invalidation {
    threads = Set.copyOf(threads);
    readers = Set.copyOf(readers);
  }

  public static Invalidation everythingChanged() {
    return new Invalidation(true, false, Set.of(), Set.of());
  }

  /** A thread changed, and with {@code feedToo} its post's item in the feed lists (a post's score). */
  public static Invalidation thread(long postId, boolean feedToo) {
    return new Invalidation(false, feedToo, Set.of(postId), Set.of());
  }

  /** Something of a reader's own changed (a block made or lifted): what they read differs from before. */
  public static Invalidation reader(long userId) {
    return new Invalidation(false, false, Set.of(), Set.of(userId));
  }

  /** This, and a reader whose own state the same write changed (a voter's vote). */
  public Invalidation andReader(long userId) {
    Set<Long> more = new TreeSet<>(readers);
    more.add(userId);
    return new Invalidation(everything, feed, threads, more);
  }

  public boolean isEmpty() {
    return !everything && !feed && threads.isEmpty() && readers.isEmpty();
  }

  /**
   * The staleness a write's committed events describe. Each copy on a thread topic makes that thread stale, each on
   * the feed the feed, each on a user's own topic that user's overlays (their content was held, hidden, restored,
   * approved or rejected: what they alone see in a thread changed); beyond that each type is decided here, and the switch has no default, so a new event type does
   * not compile until someone says what it makes stale.
   */
  public static Invalidation of(List<LiveEvent> events) {
    boolean everything = false;
    boolean feed = false;
    Set<Long> threads = new TreeSet<>();
    Set<Long> readers = new TreeSet<>();
    for (LiveEvent event : events) {
      Long post = Topics.postOf(event.topic());
      if (post != null) threads.add(post);
      Long user = Topics.userOf(event.topic());
      if (user != null) readers.add(user);
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
        // Nothing anonymous readers see: held content, someone's inbox, reports filed, private notes, audit entries
        // that change no content.
        case POST_PENDING, COMMENT_PENDING, POST_PENDING_EDITED, COMMENT_PENDING_EDITED, POST_PENDING_DELETED,
            COMMENT_PENDING_DELETED, REPLY_CREATED, NOTIFICATION_CREATED, NOTIFICATIONS_READ,
            REPORT_CREATED, USER_NOTED, USER_PASSWORD_RESET, USER_EXPORTED, CLAIM_TAKEN, CLAIM_RELEASED, RESYNC -> { }
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
        // A new name shows on everything the member wrote, in every thread and list; so did a deleted account's.
        case USER_RENAMED, USER_DELETED -> everything = true;
      }
    }
    return new Invalidation(everything, feed, threads, readers);
  }

  JsonObject toJson() {
    return new JsonObject().put("everything", everything).put("feed", feed)
        .put("threads", new JsonArray(List.copyOf(threads))).put("readers", new JsonArray(List.copyOf(readers)));
  }

  static Invalidation fromJson(JsonObject json) {
    return new Invalidation(json.getBoolean("everything", true), json.getBoolean("feed", true),
        ids(json.getJsonArray("threads", new JsonArray())), ids(json.getJsonArray("readers", new JsonArray())));
  }

  private static Set<Long> ids(JsonArray list) {
    Set<Long> ids = new TreeSet<>();
    for (int i = 0; i < list.size(); i++) ids.add(list.getLong(i));
    return ids;
  }
}
