package parley.events;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Main;
import parley.TestParley;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A write's appends go to PostgreSQL as one statement. These tests hold it to what one statement per event gave:
 * each ordered topic numbered on from its head without a gap, a topic's events in the order given, the shared
 * topics' in that order too, the counters' heads moved by exactly the events written, what the commit's listeners
 * are told equal to what the log holds, and no deadlock or gap when many such writes race on the same topics.
 */
@ExtendWith(TestParley.class)
class EventLogAppendsTest {

  private static final long POST = 7;

  private static EventLog log(CommitListeners listeners) throws Exception {
    Main.Running running = TestParley.server().running();
    return new EventLog(running.vertx(), running.database().pool(), listeners);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The log's rows as "topic seq type id", in topic then seq order. */
  private static List<String> rows() throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = TestParley.db().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT topic, seq, type, data->>'id' FROM events ORDER BY topic, seq");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) out.add(rs.getString(1) + " " + rs.getLong(2) + " " + rs.getString(3) + " " + rs.getString(4));
    }
    return out;
  }

  /** Of these events, those the log keeps: all but the moderators' copies of new comments, published only. */
  private static List<LiveEvent> kept(Iterable<LiveEvent> events) {
    List<LiveEvent> out = new ArrayList<>();
    for (LiveEvent e : events) {
      if (!(e.topic().equals(Topics.MOD) && e.type().equals(EventType.COMMENT_CREATED.wireName()))) out.add(e);
    }
    return out;
  }

  /** What listeners were told, in the same form and order as {@link #rows}. */
  private static List<String> told(Iterable<LiveEvent> events) {
    List<String> out = new ArrayList<>();
    for (LiveEvent e : events) {
      JsonObject data = new JsonObject(e.envelope()).getJsonObject("data");
      Object id = data.getValue("id");
      out.add(e.topic() + " " + e.seq() + " " + e.type() + " " + (id == null ? null : id.toString()));
    }
    out.sort(TOPIC_THEN_SEQ);
    return out;
  }

  /** "topic seq ..." strings by topic, then by seq as a number. */
  private static final java.util.Comparator<String> TOPIC_THEN_SEQ = java.util.Comparator
      .comparing((String line) -> line.split(" ")[0])
      .thenComparingLong(line -> Long.parseLong(line.split(" ")[1]));

  private static Publication comment(long id) {
    return Publication.of(EventType.COMMENT_CREATED, 1L, new JsonObject().put("id", id).put("postId", POST))
        .onThread(POST);
  }

  private static Publication reply(long id, List<Long> users) {
    return Publication.of(EventType.REPLY_CREATED, 1L, new JsonObject().put("id", id).put("postId", POST))
        .toUsers(users);
  }

  private static Publication stats(long count) {
    return Publication.of(EventType.POST_STATS, null, new JsonObject().put("postId", POST).put("commentCount", count));
  }

  @Test
  void oneWritesEventsOnEveryKindOfTopicAreNumberedInTheOrderGiven() throws Exception {
    CommitListeners listeners = new CommitListeners();
    List<List<LiveEvent>> heard = Collections.synchronizedList(new ArrayList<>());
    listeners.add(heard::add);
    EventLog log = log(listeners);
    // A head to number on from: the thread is at 1 and user 3 at 1 before the write.
    await(log.transaction(box -> box.publish(comment(100), reply(100, List.of(3L)))));
    await(log.transaction(box -> box.publish(comment(101), stats(1), reply(101, List.of(5L, 3L)), comment(102),
        stats(2))));

    List<LiveEvent> second = heard.get(1);
    // The order of the write's events: thread, feed, moderators, users by id; a topic's events in the order given.
    assertEquals(List.of("parley.post.7 comment.created 101", "parley.post.7 comment.created 102",
            "parley.feed post.stats null", "parley.feed post.stats null", "parley.mod comment.created 101",
            "parley.mod comment.created 102", "parley.user.3 reply.created 101", "parley.user.5 reply.created 101"),
        second.stream().map(e -> e.topic() + " " + e.type() + " "
            + new JsonObject(e.envelope()).getJsonObject("data").getValue("id")).toList());
    assertEquals(List.of(2L, 3L), second.subList(0, 2).stream().map(LiveEvent::seq).toList(),
        "the thread's numbers go on from its head, in the order given");
    assertEquals(List.of(2L, 1L), List.of(second.get(6).seq(), second.get(7).seq()), "each user's topic likewise");
    long feed1 = second.get(2).seq();
    long mod1 = second.get(4).seq();
    assertEquals(List.of(1L, 2L), List.of(
            new JsonObject(second.get(2).envelope()).getJsonObject("data").getLong("commentCount"),
            new JsonObject(second.get(3).envelope()).getJsonObject("data").getLong("commentCount")),
        "the feed's events in the order given");
    assertEquals(true, feed1 < second.get(3).seq() && mod1 < second.get(5).seq(),
        "the shared topics' numbers rise in the order given");

    List<LiveEvent> all = new ArrayList<>(heard.get(0));
    all.addAll(second);
    assertEquals(rows(), told(kept(all)), "the listeners were told exactly what the log holds");
    assertEquals(3, all.size() - kept(all).size(), "and the moderators' copies of new comments, which it does not keep");
    assertEquals(3, TestParley.count("SELECT seq FROM topic_seqs WHERE topic = 'parley.post.7'"));
    assertEquals(2, TestParley.count("SELECT seq FROM topic_seqs WHERE topic = 'parley.user.3'"));
    assertEquals(1, TestParley.count("SELECT seq FROM topic_seqs WHERE topic = 'parley.user.5'"));
  }

  @Test
  void manyWritesOnTheSameTopicsAtOnceNumberEachTopicWithoutAGap() throws Exception {
    int writes = 24;
    CommitListeners listeners = new CommitListeners();
    ConcurrentLinkedQueue<LiveEvent> heard = new ConcurrentLinkedQueue<>();
    listeners.add(heard::addAll);
    EventLog log = log(listeners);
    List<Future<Void>> all = new ArrayList<>();
    for (int i = 0; i < writes; i++) {
      long id = 1000 + 2L * i;
      // The users named in a different order each time: the counters are still taken in one order.
      List<Long> users = i % 2 == 0 ? List.of(11L, 12L, 13L) : List.of(13L, 11L, 12L);
      all.add(log.transaction(box -> box.publish(reply(id, users), comment(id), stats(id), comment(id + 1))));
    }
    await(Future.all(all));

    assertEquals(rows(), told(kept(heard)), "the listeners were told exactly what the log holds");
    assertEquals(2 * writes, heard.size() - kept(heard).size(),
        "and the moderators' copies of new comments, numbered but not kept");
    Map<Long, Long> threadSeqById = new TreeMap<>();
    List<Long> threadSeqs = new ArrayList<>();
    for (LiveEvent e : heard) {
      if (!e.topic().equals("parley.post.7")) continue;
      threadSeqs.add(e.seq());
      threadSeqById.put(new JsonObject(e.envelope()).getJsonObject("data").getLong("id"), e.seq());
    }
    Collections.sort(threadSeqs);
    assertEquals(oneTo(2 * writes), threadSeqs, "the thread is numbered without a gap");
    for (int i = 0; i < writes; i++) {
      long id = 1000 + 2L * i;
      assertEquals(threadSeqById.get(id) + 1, threadSeqById.get(id + 1),
          "a write's two thread events are next to each other, in the order given");
    }
    for (long user = 11; user <= 13; user++) {
      String topic = "parley.user." + user;
      List<Long> seqs = heard.stream().filter(e -> e.topic().equals(topic)).map(LiveEvent::seq).sorted().toList();
      assertEquals(oneTo(writes), seqs, topic + " is numbered without a gap");
      assertEquals(writes, TestParley.count("SELECT seq FROM topic_seqs WHERE topic = '" + topic + "'"));
    }
    assertEquals(2L * writes, TestParley.count("SELECT seq FROM topic_seqs WHERE topic = 'parley.post.7'"));
  }

  private static List<Long> oneTo(long n) {
    List<Long> out = new ArrayList<>();
    for (long i = 1; i <= n; i++) out.add(i);
    return out;
  }
}
