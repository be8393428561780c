package parley.live;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import parley.events.EventLog;
import parley.events.LiveEvent;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The node's one subscription per followed topic: a single event-bus consumer per topic for the whole node, which
 * hands each committed event to every event loop whose hub follows that topic, on that loop. On a clustered event
 * bus this keeps the cluster's registrations at topics × nodes, not topics × event loops × nodes, and an event
 * crosses the network to a node once however many of its loops and sockets want it.
 *
 * <p>Used from several event loops: following and unfollowing synchronise on the relay; events are passed to each
 * follower's own context in the order the consumer receives them.
 */
public final class Relay {

  private final Vertx vertx;
  private final Map<String, Topic> topics = new HashMap<>();

  public Relay(Vertx vertx) {
    this.vertx = vertx;
  }

  /** One follower: an event loop's context and its hub's handler for the topic. */
  private record Follower(Context context, Handler<LiveEvent> handler) {
  }

  private final class Topic {
    final List<Follower> followers = new CopyOnWriteArrayList<>();
    final MessageConsumer<String> consumer;
    boolean pinned;

    Topic(String topic) {
      this.consumer = EventLog.listen(vertx, topic, event -> {
        for (Follower f : followers) f.context().runOnContext(v -> f.handler().handle(event));
      });
    }
  }

  /**
   * Starts handing the topic's events to {@code handler} on the calling event loop. Completes once the node's
   * consumer is registered (cluster-wide, when clustered): only from then on is reading the log's head a safe start,
   * since anything committed later reaches the handler and anything earlier is in the log.
   */
  public synchronized Future<Void> follow(String topic, Handler<LiveEvent> handler) {
    Topic entry = topics.computeIfAbsent(topic, Topic::new);
    Context caller = vertx.getOrCreateContext();
    entry.followers.add(new Follower(caller, handler));
    return onContext(caller, entry.consumer.completion());
  }

  /**
   * The consumer's completion belongs to the event loop that registered it (the topic's first follower): a hub on
   * another loop that chained its set-up on it directly would run that set-up on the first loop's thread, racing
   * its own. Each follower gets a future that completes on its own loop.
   */
  private static Future<Void> onContext(Context context, Future<Void> completion) {
    io.vertx.core.Promise<Void> promise = ((io.vertx.core.internal.ContextInternal) context).promise();
    completion.onComplete(promise);
    return promise.future();
  }

  /**
   * Keeps the node's consumer of a topic registered for the node's whole life, followed or not. For the feed and the
   * moderators' topic: they have no replay, so a reader that registers is live only from the moment every node
   * would send the topic's events here. On a clustered bus a new registration reaches the other nodes a moment after
   * it completes, and an event published in between would never arrive; registered once at start-up, before the
   * node serves anyone, the topic has no such moment.
   */
  public synchronized Future<Void> pin(String topic) {
    Topic entry = topics.computeIfAbsent(topic, Topic::new);
    entry.pinned = true;
    return onContext(vertx.getOrCreateContext(), entry.consumer.completion());
  }

  /** Stops handing the topic's events to {@code handler}; the node's consumer goes when its last follower does. */
  public synchronized void unfollow(String topic, Handler<LiveEvent> handler) {
    Topic entry = topics.get(topic);
    if (entry == null) return;
    entry.followers.removeIf(f -> f.handler() == handler);
    if (entry.followers.isEmpty() && !entry.pinned) {
      topics.remove(topic);
      entry.consumer.unregister();
    }
  }

  /** Topics the node follows now, the pinned ones included (for tests and metrics). */
  public synchronized int topics() {
    return topics.size();
  }
}
