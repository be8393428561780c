package parley.moderation;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.access.Visibility;
import parley.events.AccountChanged;
import parley.http.Iso;
import parley.http.Page;
import parley.access.Principal;
import parley.http.Problem;

import java.util.ArrayList;
import java.util.List;

/**
 * Blocking: the blocker stops seeing the blocked person's posts and comments everywhere (lists, single reads,
 * live events, SSE), and the blocked person cannot comment on the blocker's posts or reply to their comments.
 */
public final class BlockRoutes {

  private static final String USER_ID = "SELECT id FROM users WHERE lower(username) = lower($1)";
  private static final String BLOCK = "INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) "
      + "ON CONFLICT DO NOTHING";
  private static final String UNBLOCK = "DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2";
  /** In the blocked users' id order (a stable keyset through the primary key); the cursor is that id. */
  private static final String LIST = "SELECT b.blocked_id, u.username, b.created_at FROM blocks b "
      + "JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1 AND b.blocked_id > COALESCE($2, 0) "
      + "ORDER BY b.blocked_id LIMIT $3";

  private final Vertx vertx;
  private final Pool pool;

  public BlockRoutes(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  public void mount(Router router) {
    router.put("/api/me/blocks/:username").handler(ctx -> change(ctx, true));
    router.delete("/api/me/blocks/:username").handler(ctx -> change(ctx, false));
    router.get("/api/me/blocks").handler(this::list);
  }

  private void change(RoutingContext ctx, boolean block) {
    Principal me = Principal.active(ctx);
    pool.preparedQuery(USER_ID).execute(Tuple.of(ctx.pathParam("username")))
        .compose(rows -> {
          if (rows.size() == 0) throw Problem.notFound("No such user.");
          long other = rows.iterator().next().getLong("id");
          if (other == me.id()) throw Problem.badRequest("You cannot block yourself.");
          return pool.preparedQuery(block ? BLOCK : UNBLOCK).execute(Tuple.of(me.id(), other));
        })
        .compose(v -> Visibility.blockListNow(pool, me.id()))
        .onSuccess(list -> {
          // The blocker's live connections on every node take the new list before anything published later; when
          // two changes race, the list read last (it has seen both) wins.
          AccountChanged.blocks(me.id(), list.ids(), list.readAt()).publish(vertx);
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Page page = Page.of(ctx, 50, 200);
    pool.preparedQuery(LIST).execute(Tuple.of(me.id(), page.after(), page.fetchSize()))
        .map(rows -> {
          List<Row> list = new ArrayList<>();
          rows.forEach(list::add);
          return page.respond(list, row -> row.getLong("blocked_id"), row -> new JsonObject()
              .put("username", row.getString("username"))
              .put("blockedAt", Iso.format(row.getOffsetDateTime("created_at"))));
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
