package parley.events;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.Set;

/**
 * Tells the live connections of every node that an account changed (a ban, a role, revoked tokens, its block
 * list), so they re-check what it may follow before the next event. Internal: it travels on an event-bus address
 * that is never bridged to clients.
 *
 * @param blocks       the account's new block list, when that is what changed (applied as is, so it takes effect
 *                     before anything published after it), or null (the account is read again)
 * @param blocksReadAt when {@code blocks} was read (microseconds, the database's clock): when two changes race, the
 *                     list read last wins
 */
public record AccountChanged(long userId, Set<Long> blocks, long blocksReadAt) {

  static final String ADDRESS = "parley.internal.account-changed";

  /** Something about the account changed: read it again. */
  public static AccountChanged of(long userId) {
    return new AccountChanged(userId, null, 0);
  }

  /** The account's block list is now this. */
  public static AccountChanged blocks(long userId, Set<Long> blocks, long readAt) {
    return new AccountChanged(userId, Set.copyOf(blocks), readAt);
  }

  public void publish(Vertx vertx) {
    JsonObject json = new JsonObject().put("userId", userId);
    if (blocks != null) json.put("blocks", new JsonArray(blocks.stream().toList())).put("readAt", blocksReadAt);
    vertx.eventBus().publish(ADDRESS, json);
  }

  /** Listens, on this event loop, to account changes published on any node. */
  public static MessageConsumer<JsonObject> listen(Vertx vertx, Handler<AccountChanged> handler) {
    return vertx.eventBus().consumer(ADDRESS, message -> {
      JsonObject body = message.body();
      Set<Long> blocks = null;
      if (body.getValue("blocks") instanceof JsonArray list) {
        blocks = new HashSet<>();
        for (Object id : list) blocks.add(((Number) id).longValue());
      }
      handler.handle(new AccountChanged(body.getLong("userId"), blocks, body.getLong("readAt", 0L)));
    });
  }
}
