package parley.admin;

import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.http.Fields;
import parley.http.Problem;
import parley.moderation.Moderation;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * Bans (on the moderators' router, /api/mod) and roles (on the admins' router, /api/admin). A thin adapter over
 * {@link Admin}; the routers' guards have already let only active moderators, or admins, through.
 */
public final class AdminRoutes {

  private static final Set<String> ROLES = Set.of("user", "moderator", "admin");
  private static final int MAX_REASON = 1_000;

  private final Admin admin;
  private final Moderation moderation;

  /** @param moderation what takes down a banned member's content, when the ban asks for it */
  public AdminRoutes(Admin admin, Moderation moderation) {
    this.admin = admin;
    this.moderation = moderation;
  }

  public void mountModerator(Router mod) {
    mod.post("/users/:username/ban").handler(this::ban);
    mod.delete("/users/:username/ban").handler(this::unban);
  }

  public void mountAdmin(Router adminRouter) {
    adminRouter.put("/users/:username/role").handler(this::setRole);
    adminRouter.post("/users/:username/password-reset").handler(this::issuePasswordReset);
  }

  /** The latest year a ban may end in. */
  static final int MAX_BAN_YEAR = Principal.LAST_BAN_YEAR;

  private void ban(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    Fields fields = Fields.of(ctx).only("reason", "until", "removeContent");
    String reason = fields.text("reason", 1, MAX_REASON, true);
    boolean removeContent = fields.optionalFlag("removeContent", false);
    String rawUntil = fields.optionalText("until", 1, 64, true);
    OffsetDateTime until = null;
    if (rawUntil != null) {
      try {
        until = OffsetDateTime.parse(rawUntil);
        if (!until.isAfter(OffsetDateTime.now())) fields.error("until", "must be in the future");
        // PostgreSQL keeps times to the year 294276, and read back one past it as no end at all: a ban "until" the
        // year 999999999 became a ban for good. A ban for good leaves out until.
        else if (Principal.endless(until)) fields.error("until", "must be before the year " + (MAX_BAN_YEAR + 1)
            + " UTC (leave it out for a ban without end)");
      } catch (DateTimeParseException e) {
        fields.error("until", "must be an ISO-8601 time such as 2026-12-31T00:00:00Z");
      }
    }
    fields.check();
    OffsetDateTime end = until;
    Future<Admin.Target> banned = admin.user(ctx.pathParam("username")).compose(target -> {
      Admin.checkMayBan(actor, target.id(), target.role());
      return admin.ban(target, actor, reason, end, removeContent).map(target);
    });
    if (!removeContent) {
      respond(ctx, banned);
      return;
    }
    // The ban first, so nothing new arrives while the rest is taken down; then each piece, as its own action.
    banned.compose(target -> moderation.takeDown(target.id(), actor, reason))
        .onSuccess(done -> ctx.json(done.toJson()))
        .onFailure(ctx::fail);
  }

  private void unban(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    respond(ctx, admin.user(ctx.pathParam("username")).compose(target -> {
      Admin.checkMayBan(actor, target.id(), target.role());
      return admin.unban(target, actor, null);
    }));
  }

  private void setRole(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    Fields fields = Fields.of(ctx).only("role");
    String role = fields.text("role", 1, 20, true);
    if (role != null && !ROLES.contains(role)) fields.error("role", "must be user, moderator or admin");
    fields.check();
    respond(ctx, admin.user(ctx.pathParam("username")).compose(target -> {
      if (target.id() == actor.id()) throw Problem.badRequest("Admins cannot change their own role.");
      if (target.role().equals(role)) return Future.succeededFuture();
      return admin.setRole(target, actor, role);
    }));
  }

  /**
   * A one-time link with which a user who cannot sign in sets a new password; the admin passes it on. Not for
   * oneself (change your own password with PUT /api/me/password).
   */
  private void issuePasswordReset(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    Fields.none(ctx);
    admin.user(ctx.pathParam("username")).compose(target -> {
      if (target.id() == actor.id()) {
        throw Problem.badRequest("Change your own password with PUT /api/me/password.");
      }
      return admin.issuePasswordReset(target, actor);
    }).onSuccess(link -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
        .end(link.encode())).onFailure(ctx::fail);
  }

  private static void respond(RoutingContext ctx, Future<?> done) {
    done.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }
}
