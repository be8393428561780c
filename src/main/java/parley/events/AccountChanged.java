package parley.events;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.Set;

/**
 * Tells every node that an account changed (a ban, a role, revoked tokens, a rename, its block list): their live
 * connections re-check what it may follow before the next event, and their authenticators' caches of accounts read
 * it again. Internal: it travels on an event-bus address that is never bridged to clients. Published through the
 * account cache ({@code parley.account.AccountCache#changed}), which retires the account on the writing node first.
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

  /** @param origin the publishing node, so its own cache need not hear it again */
  public void publish(Vertx vertx, String origin) {
    JsonObject json = new JsonObject().put("userId", userId).put("node", origin);
    if (blocks != null) json.put("blocks", new JsonArray(blocks.stream().toList())).put("readAt", blocksReadAt);
    vertx.eventBus().publish(ADDRESS, json);
  }

  /** Who changed and on which node, for a listener that needs no more (the account cache). */
  public interface RawHandler {
    void changed(long userId, String origin);
  }

  /** Listens to account changes published on any node: the account and the publishing node. */
  public static MessageConsumer<JsonObject> listenRaw(Vertx vertx, RawHandler handler) {
    return vertx.eventBus().consumer(ADDRESS, message ->
        handler.changed(message.body().getLong("userId"), message.body().getString("node")));
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
