package parley.deletion;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.account.Accounts;
import parley.http.ClientIp;
import parley.http.Fields;
import parley.http.Problem;
import parley.http.RateLimiter;

import java.util.List;

/**
 * POST /api/me/delete: a member deletes their own account, with its password: the password checked, the account
 * deleted ({@link Accounts#delete}), then what it wrote erased ({@link AccountDeletion}). And an admin's
 * POST /api/admin/users/{username}/delete, for a member who cannot.
 */
public final class DeletionRoutes {

  private final Accounts accounts;
  private final AccountDeletion deletion;
  private final RateLimiter limits;
  private final List<String> trustedProxies;

  public DeletionRoutes(Accounts accounts, AccountDeletion deletion, RateLimiter limits, List<String> trustedProxies) {
    this.accounts = accounts;
    this.deletion = deletion;
    this.limits = limits;
    this.trustedProxies = trustedProxies;
  }

  public void mount(Router router) {
    router.post("/api/me/delete").handler(this::delete);
  }

  /** On the admins' router (/api/admin), whose guard lets only active admins through. */
  public void mountAdmin(Router admins) {
    admins.post("/users/:username/delete").handler(this::deleteFor);
  }

  /** A banned member may not: their ban would go with the account. */
  private void delete(RoutingContext ctx) {
    Principal me = Principal.active(ctx);
    Fields fields = Fields.of(ctx).only("currentPassword");
    String current = fields.text("currentPassword", 1, 1024, false);
    fields.check();
    accounts.confirmPassword(me, current, ClientIp.of(ctx, trustedProxies), limits)
        .compose(v -> accounts.delete(me))
        .compose(v -> deletion.afterDeletion(me.id()))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * An admin deletes someone's account, with a reason for the audit log: a member who asked by mail, who cannot
   * sign in, or who is banned. Not one's own: that takes one's password, through POST /api/me/delete.
   */
  private void deleteFor(RoutingContext ctx) {
    Principal admin = Principal.admin(ctx);
    Fields fields = Fields.of(ctx).only("reason");
    String reason = fields.text("reason", 1, 1_000, true);
    fields.check();
    String username = ctx.pathParam("username");
    if (admin.username().equalsIgnoreCase(username)) {
      throw Problem.badRequest("Delete your own account with POST /api/me/delete, which asks for your password.");
    }
    accounts.deleteFor(username, admin, reason)
        .compose(deletion::afterDeletion)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }
}
