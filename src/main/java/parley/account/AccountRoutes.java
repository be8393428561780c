package parley.account;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import parley.config.AppConfig;
import parley.events.Topics;
import parley.http.ClientIp;
import parley.http.Fields;
import parley.http.RateLimiter;
import parley.http.Principal;
import parley.http.Problem;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Register, log in, who am I, and public profiles; plus the authenticator every other route relies on. */
public final class AccountRoutes {

  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_-]{3,30}");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
  private static final String BAD_LOGIN = "The login or password is wrong.";

  private final AccountRepository accounts;
  private final Passwords passwords;
  private final Tokens tokens;
  private final Optional<String> admin;
  private final RateLimiter limits;
  private final LoginThrottle logins;
  private final List<String> trustedProxies;
  private final Vertx vertx;

  public AccountRoutes(Vertx vertx, Pool pool, Tokens tokens, Optional<String> admin, RateLimiter limits,
      LoginThrottle logins, List<String> trustedProxies) {
    this.vertx = vertx;
    this.accounts = new AccountRepository(pool);
    this.passwords = new Passwords(vertx);
    this.tokens = tokens;
    this.admin = admin;
    this.limits = limits;
    this.logins = logins;
    this.trustedProxies = trustedProxies;
  }

  /** The node's login throttle, shared by every HTTP verticle (see {@link LoginThrottle}). */
  public static LoginThrottle loginThrottle(AppConfig config) {
    return new LoginThrottle(config.loginFreeFailures(), config.loginMaxDelay());
  }

  public void mount(Router router) {
    router.post("/api/auth/register").handler(this::register);
    router.post("/api/auth/login").handler(this::login);
    router.post("/api/auth/logout-all").handler(this::logoutAll);
    router.get("/api/me").handler(this::me);
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
      identify(header.substring(7).strip())
          .onSuccess(identity -> {
            identity.attachTo(ctx);
            ctx.next();
          })
          .onFailure(ctx::fail);
    };
  }

  /**
   * Verifies a token and loads its user as they are now (so a role change, a ban, a sign-out everywhere or a deleted
   * account counts at once). Fails with a 401 problem for a bad, expired or revoked token or a vanished account.
   */
  public Future<Identity> identify(String token) {
    return tokens.verify(token)
        .recover(e -> Future.failedFuture(Problem.unauthorized("The token is invalid or has expired.")))
        .compose(claims -> accounts.findById(claims.userId()).map(found -> {
          User user = found.orElseThrow(() -> Problem.unauthorized("The token's account no longer exists."));
          if (user.tokenVersion() != claims.version()) {
            throw Problem.unauthorized("The token was revoked: sign in again.");
          }
          return new Identity(user.principal(), claims.expiresAt());
        }));
  }

  /** A user as they are now, for live connections that must re-check a role or ban. */
  public Future<Optional<Principal>> principal(long userId) {
    return accounts.findById(userId).map(user -> user.map(User::principal));
  }

  /** Makes the configured admin ({@code PARLEY_ADMIN}) an admin at start-up if that account already exists. */
  public static Future<Void> promoteConfiguredAdmin(Pool pool, Optional<String> admin) {
    return admin.map(new AccountRepository(pool)::promoteToAdmin).orElse(Future.succeededFuture());
  }

  private void register(RoutingContext ctx) {
    Fields fields = Fields.of(ctx);
    String username = fields.text("username", 3, 30, true);
    if (username != null && !USERNAME.matcher(username).matches()) {
      fields.error("username", "must be 3 to 30 letters, digits, '_' or '-'");
    }
    String email = fields.text("email", 3, 254, true);
    if (email != null && !EMAIL.matcher(email).matches()) {
      fields.error("email", "must be an email address");
    }
    String password = fields.text("password", 8, 128, false);
    fields.check();
    limits.take(AppConfig.LIMIT_REGISTRATIONS_IP, ClientIp.of(ctx, trustedProxies));
    String role = admin.filter(username::equalsIgnoreCase).isPresent() ? "admin" : "user";
    passwords.hash(password)
        .compose(hash -> accounts.insert(username, email, hash, role))
        .onSuccess(user -> ctx.response().setStatusCode(201)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(session(user).encode()))
        .onFailure(ctx::fail);
  }

  private void login(RoutingContext ctx) {
    Fields fields = Fields.of(ctx);
    String login = fields.text("login", 1, 254, true);
    String password = fields.text("password", 1, 1024, false);
    fields.check();
    String ip = ClientIp.of(ctx, trustedProxies);
    limits.check(AppConfig.LIMIT_FAILED_LOGINS_IP, ip);
    accounts.findForLogin(login)
        .compose(found -> {
          found.ifPresent(credentials -> {
            long wait = logins.waitSeconds(throttleKey(credentials.user()), ip);
            if (wait > 0) throw RateLimiter.tooMany(wait);
          });
          return passwords.verify(password, found.map(AccountRepository.Credentials::passwordHash).orElse(null))
              .map(ok -> {
                if (!ok) {
                  limits.record(AppConfig.LIMIT_FAILED_LOGINS_IP, ip);
                  found.ifPresent(credentials -> logins.failed(throttleKey(credentials.user())));
                  throw Problem.unauthorized(BAD_LOGIN);
                }
                logins.succeeded(throttleKey(found.get().user()), ip);
                return found.get().user();
              });
        })
        .onSuccess(user -> ctx.json(session(user)))
        .onFailure(ctx::fail);
  }

  /** Ends every token of the caller, this one included, on every device and live connection. */
  private void logoutAll(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    accounts.revokeTokens(me.id())
        .onSuccess(user -> {
          announce(me.id());
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  /**
   * Changes the password, given the current one; every other token ends, as after a sign-out everywhere, and the
   * answer carries a new session for this device. A wrong current password counts as a failed login.
   */
  private void changePassword(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Fields fields = Fields.of(ctx);
    String current = fields.text("currentPassword", 1, 1024, false);
    String next = fields.text("newPassword", 8, 128, false);
    fields.check();
    String ip = ClientIp.of(ctx, trustedProxies);
    String account = LoginThrottle.account(me.id(), me.createdAt());
    long wait = logins.waitSeconds(account, ip);
    if (wait > 0) throw RateLimiter.tooMany(wait);
    accounts.passwordHash(me.id())
        .compose(hash -> {
          String stored = hash.orElseThrow(() -> Problem.unauthorized("The token's account no longer exists."));
          return passwords.verify(current, stored).compose(ok -> {
            if (!ok) {
              logins.failed(account);
              throw Problem.invalid("currentPassword", "is not your current password");
            }
            return passwords.hash(next);
          }).compose(newHash -> accounts.changePassword(me.id(), stored, newHash));
        })
        .map(changed -> changed.orElseThrow(() -> Problem.conflict("The password was changed meanwhile; try again.")))
        .onSuccess(user -> {
          announce(me.id());
          ctx.json(session(user));
        })
        .onFailure(ctx::fail);
  }

  /** Tells every live connection on every node that this account changed (here: its tokens were revoked). */
  private void announce(long userId) {
    vertx.eventBus().publish(Topics.ACCOUNT_CHANGED, new JsonObject().put("userId", userId));
  }

  private void me(RoutingContext ctx) {
    Principal principal = Principal.required(ctx);
    accounts.findById(principal.id())
        .map(user -> user.orElseThrow(() -> Problem.unauthorized("The token's account no longer exists.")))
        .onSuccess(user -> ctx.json(user.toJson()))
        .onFailure(ctx::fail);
  }

  private void profile(RoutingContext ctx) {
    accounts.profile(ctx.pathParam("username"))
        .map(profile -> profile.orElseThrow(() -> Problem.notFound("No such user.")))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private static String throttleKey(User user) {
    return LoginThrottle.account(user.id(), user.createdAt());
  }

  private JsonObject session(User user) {
    return new JsonObject().put("token", tokens.issue(user.id(), user.tokenVersion())).put("user", user.toJson());
  }
}
