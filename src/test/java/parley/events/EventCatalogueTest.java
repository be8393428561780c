package parley.events;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The event catalogue is the one list of events, and docs/LIVE.md's topic table says the same as it does. */
class EventCatalogueTest {

  /** Which audiences each topic row of LIVE.md's table stands for. */
  private static final Map<String, Set<EventType.Audience>> ROWS = Map.of(
      "parley.post.<postId>", EnumSet.of(EventType.Audience.THREAD),
      "parley.user.<userId>", EnumSet.of(EventType.Audience.AUTHOR, EventType.Audience.USERS),
      "parley.feed", EnumSet.of(EventType.Audience.FEED),
      "parley.mod", EnumSet.of(EventType.Audience.MOD));

  @Test
  void liveMdsTopicTableListsExactlyTheEventsEachAudienceHears() throws Exception {
    String doc = Files.readString(Path.of("docs", "LIVE.md"));
    Pattern eventName = Pattern.compile("`([a-z]+\\.[a-z_]+)`");
    for (Map.Entry<String, Set<EventType.Audience>> row : ROWS.entrySet()) {
      String line = doc.lines().filter(l -> l.startsWith("| `" + row.getKey() + "`")).findFirst()
          .orElseThrow(() -> new AssertionError("LIVE.md has no topic row for " + row.getKey()));
      String eventsColumn = line.split("\\|")[3];
      Set<String> documented = new TreeSet<>();
      Matcher m = eventName.matcher(eventsColumn);
      while (m.find()) documented.add(m.group(1));
      Set<String> declared = new TreeSet<>();
      for (EventType type : EventType.values()) {
        if (type.audiences().stream().anyMatch(row.getValue()::contains)) declared.add(type.wireName());
      }
      assertEquals(declared, documented, "LIVE.md's events for " + row.getKey() + " against EventType");
    }
  }

  @Test
  void everyWireNameIsUniqueAndFoundByName() {
    Set<String> names = new HashSet<>();
    for (EventType type : EventType.values()) {
      assertTrue(names.add(type.wireName()), "duplicate " + type.wireName());
      assertEquals(type, EventType.named(type.wireName()));
    }
  }

  @Test
  void aPublicationMustReachExactlyTheDeclaredAudiences() {
    assertThrows(IllegalArgumentException.class, () -> Publication.of(EventType.RESYNC, null, new io.vertx.core.json.JsonObject()),
        "resync is never published");
    assertThrows(IllegalStateException.class,
        () -> Publication.of(EventType.COMMENT_EDITED, 1L, new io.vertx.core.json.JsonObject()).forFeed(null),
        "comment.edited does not reach the feed");
    assertThrows(IllegalStateException.class,
        () -> Publication.of(EventType.COMMENT_EDITED, 1L, new io.vertx.core.json.JsonObject()).appends(),
        "a thread event needs its thread");
  }

  @Test
  void onlyEventsThatCarrySomeonesWordsAreWithheldFromThoseWhoBlockedThem() {
    Set<String> content = new TreeSet<>();
    for (EventType type : EventType.values()) {
      if (EventType.carriesContent(type.wireName())) content.add(type.wireName());
    }
    assertEquals(new TreeSet<>(Set.of("post.created", "post.edited", "post.restored", "post.pending",
        "post.pending_edited", "comment.created", "comment.edited", "comment.restored", "comment.pending",
        "comment.pending_edited", "reply.created")), content);
  }
}
