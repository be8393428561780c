package parley.moderation;

import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.http.Fields;
import parley.http.Page;
import parley.http.PathIds;
import parley.http.Problem;
import parley.report.Reports;

/**
 * The moderators' tools on content, mounted on the moderators' router (/api/mod, whose guard lets only active
 * moderators and admins through): hide and restore, lock and unlock, resolve reports, and the audit log. A thin
 * adapter over {@link Moderation}.
 */
public final class ModerationRoutes {

  private static final int MAX_REASON = 1_000;

  private final Moderation moderation;

  public ModerationRoutes(Moderation moderation) {
    this.moderation = moderation;
  }

  public void mount(Router mod) {
    mod.post("/reports/:reportId/resolve").handler(this::resolve);
    mod.post("/posts/:postId/hide").handler(ctx -> act(ctx, Moderation.Action.HIDE_POST));
    mod.post("/posts/:postId/restore").handler(ctx -> act(ctx, Moderation.Action.RESTORE_POST));
    mod.post("/comments/:commentId/hide").handler(ctx -> act(ctx, Moderation.Action.HIDE_COMMENT));
    mod.post("/comments/:commentId/restore").handler(ctx -> act(ctx, Moderation.Action.RESTORE_COMMENT));
    mod.post("/posts/:postId/lock").handler(ctx -> act(ctx, Moderation.Action.LOCK_POST));
    mod.post("/posts/:postId/unlock").handler(ctx -> act(ctx, Moderation.Action.UNLOCK_POST));
    mod.get("/log").handler(this::log);
  }

  private void resolve(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    long reportId = PathIds.parse(ctx.pathParam("reportId"), "No such report.");
    Fields fields = Fields.of(ctx);
    String action = fields.text("action", 1, 20, true);
    if (action != null && !action.equals("dismiss") && !action.equals("hide")) {
      fields.error("action", "must be dismiss or hide");
    }
    String note = fields.optionalText("note", 1, MAX_REASON, true);
    fields.check();
    respond(ctx, moderation.resolve(reportId, actor, "hide".equals(action), note));
  }

  private void act(RoutingContext ctx, Moderation.Action action) {
    Principal actor = Principal.moderator(ctx);
    long id = action.target == Reports.Target.POST
        ? PathIds.parse(ctx.pathParam("postId"), "No such post.")
        : PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
    respond(ctx, moderation.act(action, id, actor, reason(ctx, action.takesReason())));
  }

  /** A reason: required to hide ({reason}), optional otherwise (and the body itself may be absent). */
  static String reason(RoutingContext ctx, boolean required) {
    boolean hasBody = ctx.body().buffer() != null && ctx.body().buffer().length() > 0;
    if (!hasBody) {
      if (required) throw Problem.invalid("reason", "is required");
      return null;
    }
    Fields fields = Fields.of(ctx);
    String reason = required ? fields.text("reason", 1, MAX_REASON, true)
        : fields.optionalText("reason", 1, MAX_REASON, true);
    fields.check();
    return reason;
  }

  private void log(RoutingContext ctx) {
    Page page = Page.of(ctx, 50, 200);
    moderation.log(page)
        .onSuccess(entries -> ctx.json(page.respond(entries, AuditLog.Entry::id, AuditLog.Entry::toJson)))
        .onFailure(ctx::fail);
  }

  private static void respond(RoutingContext ctx, Future<?> done) {
    done.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }
}
