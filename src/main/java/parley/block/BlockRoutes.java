package parley.block;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.http.Fields;
import parley.http.Page;

/**
 * Blocking: the blocker stops seeing the blocked person's posts and comments everywhere (lists, single reads, live
 * events, SSE), and the blocked person cannot comment on the blocker's posts or reply to their comments. A thin
 * adapter over {@link Blocks}.
 */
public final class BlockRoutes {

  private final Blocks blocks;

  public BlockRoutes(Blocks blocks) {
    this.blocks = blocks;
  }

  public void mount(Router router) {
    router.put("/api/me/blocks/:username").handler(ctx -> change(ctx, true));
    router.delete("/api/me/blocks/:username").handler(ctx -> change(ctx, false));
    router.get("/api/me/blocks").handler(this::list);
  }

  private void change(RoutingContext ctx, boolean block) {
    Principal me = Principal.active(ctx);
    Fields.none(ctx);
    blocks.change(me.id(), ctx.pathParam("username"), block)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Page page = Page.of(ctx, 50, 200);
    blocks.list(me.id(), page)
        .onSuccess(list -> ctx.json(page.respond(list, Blocks.Blocked::id, Blocks.Blocked::toJson)))
        .onFailure(ctx::fail);
  }
}
