package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import parley.comment.Comments;
import parley.events.AccountChanged;
import parley.events.EventLog;
import parley.events.Topics;
import parley.http.Fields;
import parley.http.Iso;
import parley.http.Page;
import parley.http.PathIds;
import parley.access.Principal;
import parley.http.Problem;
import parley.post.Posts;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The moderators' tools, under /api/mod (moderators and admins) and /api/admin (admins): the shared queue,
 * resolving reports, hiding and restoring content, locking threads, bans, roles, and the audit log. Every action
 * takes effect at once and is pushed on parley.mod when it commits.
 */
public final class ModerationRoutes {

  private static final Set<String> QUEUE_STATUSES = Set.of("open", "dismissed", "actioned");
  private static final Set<String> ROLES = Set.of("user", "moderator", "admin");
  private static final int MAX_REASON = 1_000;

  private final Vertx vertx;
  private final ModerationRepository moderation;

  public ModerationRoutes(Vertx vertx, EventLog events, Posts posts, Comments comments) {
    this.vertx = vertx;
    this.moderation = new ModerationRepository(events, posts, comments);
  }

  public void mount(Router router) {
    router.get("/api/mod/queue").handler(this::queue);
    router.post("/api/mod/reports/:reportId/resolve").handler(this::resolve);
    router.post("/api/mod/posts/:postId/hide").handler(ctx -> contentAction(ctx, "post", true));
    router.post("/api/mod/posts/:postId/restore").handler(ctx -> contentAction(ctx, "post", false));
    router.post("/api/mod/comments/:commentId/hide").handler(ctx -> contentAction(ctx, "comment", true));
    router.post("/api/mod/comments/:commentId/restore").handler(ctx -> contentAction(ctx, "comment", false));
    router.post("/api/mod/posts/:postId/lock").handler(ctx -> lock(ctx, true));
    router.post("/api/mod/posts/:postId/unlock").handler(ctx -> lock(ctx, false));
    router.post("/api/mod/users/:username/ban").handler(this::ban);
    router.delete("/api/mod/users/:username/ban").handler(this::unban);
    router.put("/api/admin/users/:username/role").handler(this::setRole);
    router.get("/api/mod/log").handler(this::log);
  }

  private void queue(RoutingContext ctx) {
    Principal.moderator(ctx);
    String status = ctx.request().getParam("status", "open");
    if (!QUEUE_STATUSES.contains(status)) throw Problem.invalid("status", "must be open, dismissed or actioned");
    Page page = Page.of(ctx, 20, 100);
    moderation.queue(status, page)
        .map(rows -> {
          List<Row> list = new ArrayList<>();
          rows.forEach(list::add);
          return page.respond(list, row -> row.getLong("first_id"), ModerationRoutes::queueItem);
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private static JsonObject queueItem(Row row) {
    String type = row.getString("target_type");
    JsonObject content = new JsonObject()
        .put("id", row.getLong("target_id"))
        .put("postId", "post".equals(type) ? row.getLong("target_id") : row.getLong("post_id"))
        .put("parentId", row.getLong("parent_id"))
        .put("postTitle", row.getString("post_title"))
        .put("body", row.getString("body"))
        .put("bodyHtml", row.getString("body_html"))
        .put("createdAt", Iso.format(row.getOffsetDateTime("content_created_at")))
        .put("hidden", row.getBoolean("hidden"))
        .put("deleted", row.getBoolean("deleted"))
        .put("locked", row.getBoolean("locked"));
    return new JsonObject()
        .put("targetType", type)
        .put("targetId", row.getLong("target_id"))
        .put("firstReportId", row.getLong("first_id"))
        .put("author", row.getString("author") == null ? null : new JsonObject().put("username", row.getString("author")))
        .put("content", content)
        .put("reportCount", row.getLong("report_count"))
        .put("reasons", new JsonArray(List.of(row.getArrayOfStrings("reasons"))))
        .put("firstReportedAt", Iso.format(row.getOffsetDateTime("first_at")))
        .put("lastReportedAt", Iso.format(row.getOffsetDateTime("last_at")));
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
    respond(ctx, moderation.resolve(reportId, actor, action, note), 204);
  }

  private void contentAction(RoutingContext ctx, String type, boolean hide) {
    Principal actor = Principal.moderator(ctx);
    long id = "post".equals(type) ? PathIds.parse(ctx.pathParam("postId"), "No such post.")
        : PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
    String reason = reason(ctx, hide);
    Future<Void> done;
    if ("post".equals(type)) {
      done = hide ? moderation.hidePost(id, actor, reason) : moderation.restorePost(id, actor, reason);
    } else {
      done = hide ? moderation.hideComment(id, actor, reason) : moderation.restoreComment(id, actor, reason);
    }
    respond(ctx, done, 204);
  }

  private void lock(RoutingContext ctx, boolean locked) {
    Principal actor = Principal.moderator(ctx);
    long id = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    respond(ctx, moderation.lock(id, actor, locked, reason(ctx, false)), 204);
  }

  /** A reason: required to hide ({reason}), optional otherwise (and the body itself may be absent). */
  private static String reason(RoutingContext ctx, boolean required) {
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

  private void ban(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    Fields fields = Fields.of(ctx);
    String reason = fields.text("reason", 1, MAX_REASON, true);
    String rawUntil = fields.optionalText("until", 1, 64, true);
    OffsetDateTime until = null;
    if (rawUntil != null) {
      try {
        until = OffsetDateTime.parse(rawUntil);
        if (!until.isAfter(OffsetDateTime.now())) fields.error("until", "must be in the future");
      } catch (DateTimeParseException e) {
        fields.error("until", "must be an ISO-8601 time such as 2026-12-31T00:00:00Z");
      }
    }
    fields.check();
    OffsetDateTime end = until;
    Future<Void> done = moderation.user(ctx.pathParam("username")).compose(target -> {
      checkMayAct(actor, target);
      return moderation.ban(target, actor, reason, end).onSuccess(v -> accountChanged(target.id()));
    });
    respond(ctx, done, 204);
  }

  private void unban(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    Future<Void> done = moderation.user(ctx.pathParam("username")).compose(target -> {
      checkMayAct(actor, target);
      return moderation.unban(target, actor, null).map(changed -> {
        if (changed) accountChanged(target.id());
        return null;
      });
    });
    respond(ctx, done, 204);
  }

  private void setRole(RoutingContext ctx) {
    Principal actor = Principal.active(ctx);
    if (!actor.isAdmin()) throw Problem.forbidden("Only admins may change roles.");
    Fields fields = Fields.of(ctx);
    String role = fields.text("role", 1, 20, true);
    if (role != null && !ROLES.contains(role)) fields.error("role", "must be user, moderator or admin");
    fields.check();
    Future<Void> done = moderation.user(ctx.pathParam("username")).compose(target -> {
      if (target.id() == actor.id()) throw Problem.badRequest("Admins cannot change their own role.");
      if (target.role().equals(role)) return Future.succeededFuture();
      return moderation.setRole(target, actor, role).onSuccess(v -> accountChanged(target.id()));
    });
    respond(ctx, done, 204);
  }

  private void log(RoutingContext ctx) {
    Principal.moderator(ctx);
    Page page = Page.of(ctx, 50, 200);
    AuditLog.list(moderation.events().pool(), page)
        .onSuccess(entries -> ctx.json(page.respond(entries, AuditLog.Entry::id, AuditLog.Entry::toJson)))
        .onFailure(ctx::fail);
  }

  /** Moderators act on users; only admins act on moderators; nobody bans an admin or themselves. */
  private static void checkMayAct(Principal actor, ModerationRepository.Target target) {
    if (target.id() == actor.id()) throw Problem.badRequest("You cannot do that to yourself.");
    if ("admin".equals(target.role())) throw Problem.forbidden("Admins cannot be banned.");
    if ("moderator".equals(target.role()) && !actor.isAdmin()) {
      throw Problem.forbidden("Only admins may ban moderators.");
    }
  }

  /** Tells every node's live connections that this account changed, so they re-check it at once. */
  private void accountChanged(long userId) {
    AccountChanged.of(userId).publish(vertx);
  }

  private static void respond(RoutingContext ctx, Future<?> done, int status) {
    done.onSuccess(v -> ctx.response().setStatusCode(status).end()).onFailure(ctx::fail);
  }
}
