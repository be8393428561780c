package parley.events;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One event of a write, addressed to the audiences its {@link EventType} declares: the same data to all of them,
 * except where an audience gets its own copy (the feed a list item, the moderators the audit-log entry, the author
 * a note with the reason). A write hands its publications to {@link EventLog.Outbox#publish}, which appends them to
 * the log in the one order that keeps writers from deadlocking.
 */
public final class Publication {

  /**
   * One copy of an event for one topic, as it is appended to the log; one not {@code kept} is numbered and published
   * as the others are but not stored (only ever on a topic that is not replayed: {@link EventType#keepsModeratorsCopy}).
   */
  record Append(String topic, EventType type, JsonObject data, Long authorId, String subject, boolean kept) {
  }

  private record Copy(JsonObject data, boolean carriesContent) {
  }

  private final EventType type;
  private final Long authorId;
  private final JsonObject data;
  private final Map<EventType.Audience, Copy> copies = new EnumMap<>(EventType.Audience.class);
  private final TreeSet<Long> users = new TreeSet<>();
  private Long postId;
  private boolean offFeed;

  private Publication(EventType type, Long authorId, JsonObject data) {
    if (type.audiences().isEmpty()) throw new IllegalArgumentException(type + " is never published");
    this.type = type;
    this.authorId = authorId;
    this.data = data;
  }

  /**
   * An event about content by {@code authorId} (or null when it is nobody's: counts, reports), with the data every
   * audience gets unless told otherwise.
   */
  public static Publication of(EventType type, Long authorId, JsonObject data) {
    return new Publication(type, authorId, data);
  }

  /** The thread whose readers hear it (required when the type's audiences include THREAD). */
  public Publication onThread(long postId) {
    this.postId = postId;
    return this;
  }

  /** What the feed gets instead of the data: a post's list item, for example. */
  public Publication forFeed(JsonObject listItem) {
    return copy(EventType.Audience.FEED, new Copy(listItem, true));
  }

  /**
   * Leaves the feed out of a type that reaches it, for a post its readers may not see (hidden or waiting for review):
   * the feed never names one. Only the feed may be left out.
   */
  public Publication notOnFeed() {
    if (!type.audiences().contains(EventType.Audience.FEED)) throw new IllegalStateException(type + " does not reach FEED");
    offFeed = true;
    return this;
  }

  /** What the moderators get instead of the data: the audit-log entry of their action. */
  public Publication forModerators(JsonObject auditEntry) {
    return copy(EventType.Audience.MOD, new Copy(auditEntry, false));
  }

  /** What the content's author gets instead of the data: what happened to their content, and why. */
  public Publication forAuthor(JsonObject note) {
    return copy(EventType.Audience.AUTHOR, new Copy(note, false));
  }

  /** The users this write names (the type's audiences must include USERS); none is fine. */
  public Publication toUsers(Collection<Long> userIds) {
    if (!type.audiences().contains(EventType.Audience.USERS)) throw new IllegalStateException(type + " names no users");
    users.addAll(userIds);
    return this;
  }

  private Publication copy(EventType.Audience audience, Copy copy) {
    if (!type.audiences().contains(audience)) throw new IllegalStateException(type + " does not reach " + audience);
    copies.put(audience, copy);
    return this;
  }

  /** The copies to append, one per audience the type declares, each with its topic. */
  List<Append> appends() {
    List<Append> out = new ArrayList<>();
    for (EventType.Audience audience : type.audiences()) {
      Copy copy = copies.getOrDefault(audience, new Copy(data, type.content() != EventType.Content.NONE));
      switch (audience) {
        case THREAD -> {
          if (postId == null) throw new IllegalStateException(type + " needs its thread");
          out.add(append(Topics.post(postId), copy));
        }
        case FEED -> {
          if (!offFeed) out.add(append(Topics.FEED, copy));
        }
        case MOD -> out.add(append(Topics.MOD, copy, type.keepsModeratorsCopy()));
        case AUTHOR -> {
          if (authorId == null) throw new IllegalStateException(type + " needs its author");
          out.add(append(Topics.user(authorId), copy));
        }
        case USERS -> users.forEach(user -> out.add(append(Topics.user(user), copy)));
      }
    }
    return out;
  }

  private Append append(String topic, Copy copy) {
    return append(topic, copy, true);
  }

  private Append append(String topic, Copy copy, boolean kept) {
    return new Append(topic, type, copy.data(), authorId, copy.carriesContent() ? subject(copy.data()) : null, kept);
  }

  /** What a content copy is about ("comment:12", "post:3"), so deleting or hiding it can erase the copy. */
  private String subject(JsonObject copy) {
    Object id = copy.getValue("id");
    if (!(id instanceof Number)) return null;
    return (type.content() == EventType.Content.POST ? "post:" : "comment:") + id;
  }
}
