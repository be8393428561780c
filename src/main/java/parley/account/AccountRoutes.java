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
  private final List<String> trustedProxies;

  public AccountRoutes(Vertx vertx, Pool pool, Tokens tokens, Optional<String> admin, RateLimiter limits,
      List<String> trustedProxies) {
    this.accounts = new AccountRepository(pool);
    this.passwords = new Passwords(vertx);
    this.tokens = tokens;
    this.admin = admin;
    this.limits = limits;
    this.trustedProxies = trustedProxies;
  }

  public void mount(Router router) {
    router.post("/api/auth/register").handler(this::register);
    router.post("/api/auth/login").handler(this::login);
    router.get("/api/me").handler(this::me);
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
            identity.principal().attachTo(ctx);
            ctx.next();
          })
          .onFailure(ctx::fail);
    };
  }

  /**
   * Verifies a token and loads its user as they are now (so a role change or a deleted account counts at once).
   * Fails with a 401 problem for a bad or expired token or a vanished account.
   */
  public Future<Identity> identify(String token) {
    return tokens.verify(token)
        .recover(e -> Future.failedFuture(Problem.unauthorized("The token is invalid or has expired.")))
        .compose(claims -> accounts.findById(claims.userId()).map(user -> new Identity(
            user.orElseThrow(() -> Problem.unauthorized("The token's account no longer exists.")).principal(),
            claims.expiresAt())));
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
        .compose(found -> passwords.verify(password, found.map(AccountRepository.Credentials::passwordHash).orElse(null))
            .map(ok -> {
              if (!ok) {
                limits.record(AppConfig.LIMIT_FAILED_LOGINS_IP, ip);
                throw Problem.unauthorized(BAD_LOGIN);
              }
              return found.get().user();
            }))
        .onSuccess(user -> ctx.json(session(user)))
        .onFailure(ctx::fail);
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

  private JsonObject session(User user) {
    return new JsonObject().put("token", tokens.issue(user.id())).put("user", user.toJson());
  }
}
