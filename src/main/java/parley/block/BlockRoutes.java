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
  private final parley.http.RateLimiter limits;

  public BlockRoutes(Blocks blocks, parley.http.RateLimiter limits) {
    this.blocks = blocks;
    this.limits = limits;
  }

  public void mount(Router router) {
    router.put("/api/me/blocks/:username").handler(ctx -> change(ctx, true));
    router.delete("/api/me/blocks/:username").handler(ctx -> change(ctx, false));
    router.get("/api/me/blocks").handler(this::list);
  }

  /**
   * Blocks and unblocks are limited per account ({@code PARLEY_LIMIT_BLOCKS}): each tells every node the account
   * changed, and each node reads its sockets' topics again, so a member toggling one as fast as they could (a review:
   * 400 in 5 s) made every node work for them.
   */
  private void change(RoutingContext ctx, boolean block) {
    Principal me = Principal.active(ctx);
    Fields.none(ctx);
    limits.take(parley.config.AppConfig.LIMIT_BLOCKS, "user:" + me.id())
        .compose(v -> blocks.change(me.id(), ctx.pathParam("username"), block))
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
