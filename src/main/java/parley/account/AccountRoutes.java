package parley.account;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.config.AppConfig;
import parley.http.ClientIp;
import parley.http.Fields;
import parley.http.Problem;
import parley.http.RateLimiter;

import java.util.List;
import java.util.function.Supplier;

/**
 * Register, log in, sign out everywhere, change the password, who am I, and public profiles; plus the authenticator
 * every other route relies on. A thin adapter over {@link Accounts}: parse, limit, call, respond.
 */
public final class AccountRoutes {


  private final Accounts accounts;
  private final RateLimiter limits;
  private final List<String> trustedProxies;

  public AccountRoutes(Accounts accounts, RateLimiter limits, List<String> trustedProxies) {
    this.accounts = accounts;
    this.limits = limits;
    this.trustedProxies = trustedProxies;
  }

  public void mount(Router router) {
    router.post("/api/auth/register").handler(this::register);
    router.post("/api/auth/login").handler(this::login);
    router.post("/api/auth/logout-all").handler(this::logoutAll);
    router.post("/api/auth/reset").handler(this::resetPassword);
    router.post("/api/auth/reset/account").handler(this::resetAccount);
    router.get("/api/me").handler(this::me);
    router.patch("/api/me").handler(this::update);
    router.put("/api/me/password").handler(this::changePassword);
    router.get("/api/users/:username").handler(this::profile);
  }

  /**
   * Sets the caller's {@link Principal} from an {@code Authorization: Bearer} token and the user's current row.
   * No header means anonymous; a header that does not verify is a 401, never a silent downgrade.
   */
  public Handler<RoutingContext> authenticator() {
    return ctx -> {
      String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
      if (header == null) {
        ctx.next();
        return;
      }
      if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
        ctx.fail(Problem.unauthorized("Use Authorization: Bearer <token>."));
        return;
      }
      accounts.identify(header.substring(7).strip())
          .onSuccess(identity -> {
            identity.attachTo(ctx);
            ctx.next();
          })
          .onFailure(ctx::fail);
    };
  }

  private void register(RoutingContext ctx) {
    NewAccount account = NewAccount.from(Fields.of(ctx).only("username", "email", "password"));
    limits.take(AppConfig.LIMIT_REGISTRATIONS_IP, ClientIp.of(ctx, trustedProxies))
        .compose(v -> accounts.register(account.username(), account.email(), account.password()))
        .onSuccess(session -> ctx.response().setStatusCode(201)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(session.toJson().encode()))
        .onFailure(ctx::fail);
  }

  private void login(RoutingContext ctx) {
    Fields fields = Fields.of(ctx).only("login", "password");
    String login = fields.text("login", 1, 254, true);
    String password = fields.text("password", 1, 1024, false);
    fields.check();
    String ip = ClientIp.of(ctx, trustedProxies);
    failedLoginsLimited(ctx, ip, 401, () -> accounts.login(login, password, ip).map(Accounts.Session::toJson));
  }

  /**
   * Runs an attempt under the address's limit of failed logins ({@code PARLEY_LIMIT_FAILED_LOGINS_IP}): a refusal
   * with {@code failedStatus} counts against it; what it gives is the answer.
   */
  private void failedLoginsLimited(RoutingContext ctx, String ip, int failedStatus,
      Supplier<Future<JsonObject>> attempt) {
    limits.countingFailures(AppConfig.LIMIT_FAILED_LOGINS_IP, ip,
            e -> e instanceof Problem p && p.status() == failedStatus, attempt)
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private void logoutAll(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Fields.none(ctx);
    accounts.logoutAll(me.id())
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void changePassword(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Fields fields = Fields.of(ctx).only("currentPassword", "newPassword");
    String current = fields.text("currentPassword", 1, 1024, false);
    String next = fields.text("newPassword", 8, 128, false);
    fields.check();
    accounts.changePassword(me, current, next, ClientIp.of(ctx, trustedProxies), limits)
        .onSuccess(session -> ctx.json(session.toJson()))
        .onFailure(ctx::fail);
  }

  /** A new password with a reset link an admin issued; limited as failed logins are, per address. */
  private void resetPassword(RoutingContext ctx) {
    Fields fields = Fields.of(ctx).only("token", "newPassword");
    String token = fields.text("token", 1, 200, true);
    String next = fields.text("newPassword", 8, 128, false);
    fields.check();
    failedLoginsLimited(ctx, ClientIp.of(ctx, trustedProxies), 400,
        () -> accounts.resetPassword(token, next).map(Accounts.Session::toJson));
  }

  /**
   * Whose password a reset link sets, asked when its page opens; limited as failed logins are, per address (a wrong
   * link counts), so asking is no cheaper a way to guess links than using them.
   */
  private void resetAccount(RoutingContext ctx) {
    Fields fields = Fields.of(ctx).only("token");
    String token = fields.text("token", 1, 200, true);
    fields.check();
    failedLoginsLimited(ctx, ClientIp.of(ctx, trustedProxies), 400,
        () -> accounts.resetAccount(token).map(username -> new JsonObject().put("username", username)));
  }

  private void me(RoutingContext ctx) {
    accounts.me(Principal.required(ctx).id())
        .onSuccess(user -> ctx.json(user.toJson()))
        .onFailure(ctx::fail);
  }

  /** Changes one's own bio and image (and username or email); a password goes through PUT /api/me/password. */
  private void update(RoutingContext ctx) {
    Principal me = Principal.active(ctx);
    Fields fields = Fields.of(ctx).only("username", "email", "bio", "image", "password", "currentPassword");
    if (fields.has("password")) fields.error("password", "change it with PUT /api/me/password");
    AccountChange change = AccountChange.from(fields);
    accounts.update(me, change, ClientIp.of(ctx, trustedProxies), limits)
        .onSuccess(session -> ctx.json(session.user().toJson()))
        .onFailure(ctx::fail);
  }

  private void profile(RoutingContext ctx) {
    accounts.profile(ctx.pathParam("username"))
        .map(profile -> profile.orElseThrow(() -> Problem.notFound("No such user.")))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
