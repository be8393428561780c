package parley.block;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.account.AccountCache;
import parley.events.AccountChanged;
import parley.readcache.Invalidation;
import parley.readcache.ReadCache;
import parley.http.Iso;
import parley.http.Page;
import parley.http.Problem;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The block feature's API: each user's block list in PostgreSQL. A change reaches the blocker's live connections on
 * every node before anything published after it; when two changes race, the list read last (it has seen both) wins.
 */
public final class Blocks {

  private static final String USER_ID = "SELECT id FROM users WHERE lower(username) = lower($1)";
  private static final String BLOCK = "INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) "
      + "ON CONFLICT DO NOTHING";
  private static final String UNBLOCK = "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2";
  /** In the blocked users' id order (a stable keyset through the primary key); the cursor is that id. */
  private static final String LIST = "SELECT b.blocked_id, u.username, b.created_at FROM blocks b "
      + "JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1 AND b.blocked_id > COALESCE($2, 0) "
      + "ORDER BY b.blocked_id LIMIT $3";
  /** The list and the moment it was read: a later read has seen every change an earlier one saw. */
  private static final String BLOCKED_BY_NOW = "SELECT ARRAY(SELECT blocked_id FROM blocks WHERE blocker_id = $1) "
      + "AS ids, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS read_at";

  /** A user's block list as read at one moment (microseconds since the epoch, by the database's clock). */
  public record BlockList(Set<Long> ids, long readAt) {
  }

  /** One entry of a user's list. */
  record Blocked(long id, String username, String blockedAt) {
    JsonObject toJson() {
      return new JsonObject().put("username", username).put("blockedAt", blockedAt);
    }
  }

  private final Pool pool;
  private final AccountCache accounts;
  private final ReadCache readCache;

  /**
   * @param accounts  the node's account cache, through which every node's live connections hear of the change
   * @param readCache the node's read cache, whose overlays of the blocker's reads the change makes stale
   */
  public Blocks(Pool pool, AccountCache accounts, ReadCache readCache) {
    this.pool = pool;
    this.accounts = accounts;
    this.readCache = readCache;
  }

  /** Blocks or unblocks someone by username, and tells the blocker's live connections everywhere. */
  Future<Void> change(long me, String username, boolean block) {
    return pool.preparedQuery(USER_ID).execute(Tuple.of(username))
        .compose(rows -> {
          if (rows.size() == 0) throw Problem.notFound("No such user.");
          long other = rows.iterator().next().getLong("id");
          if (other == me) throw Problem.badRequest("You cannot block yourself.");
          return pool.preparedQuery(block ? BLOCK : UNBLOCK).execute(Tuple.of(me, other));
        })
        .compose(v -> listNow(pool, me))
        .map(list -> {
          // What the blocker reads changes (placeholders, a shorter feed): their overlays go before this answers.
          readCache.invalidate(Invalidation.reader(me));
          accounts.changed(AccountChanged.blocks(me, list.ids(), list.readAt()));
          return null;
        });
  }

  Future<List<Blocked>> list(long me, Page page) {
    return pool.preparedQuery(LIST).execute(Tuple.of(me, page.after(), page.fetchSize())).map(rows -> {
      List<Blocked> list = new ArrayList<>();
      rows.forEach(row -> list.add(new Blocked(row.getLong("blocked_id"), row.getString("username"),
          Iso.format(row.getOffsetDateTime("created_at")))));
      return list;
    });
  }

  /** The users someone has blocked, with the moment of reading, so a later list can win over an earlier one. */
  public static Future<BlockList> listNow(Pool pool, long userId) {
    return pool.preparedQuery(BLOCKED_BY_NOW).execute(Tuple.of(userId)).map(rows -> {
      Row row = rows.iterator().next();
      Set<Long> ids = new HashSet<>();
      for (Long id : row.getArrayOfLongs("ids")) ids.add(id);
      return new BlockList(ids, row.getLong("read_at"));
    });
  }
}
