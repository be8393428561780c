package parley.http;

import io.vertx.ext.web.RoutingContext;

import java.util.Optional;

/**
 * Who is calling: set on the request by the account feature's authenticator from a verified token and the
 * user's current row, so a role change takes effect on the next request. Features read it from here and never
 * parse tokens themselves.
 */
public record Principal(long id, String username, String role) {

  private static final String KEY = "parley.principal";

  public boolean isModerator() {
    return "moderator".equals(role) || "admin".equals(role);
  }

  public boolean isAdmin() {
    return "admin".equals(role);
  }

  public void attachTo(RoutingContext ctx) {
    ctx.put(KEY, this);
  }

  /** The caller, if signed in. */
  public static Optional<Principal> current(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(KEY));
  }

  /** The caller, or a 401 if nobody is signed in. */
  public static Principal required(RoutingContext ctx) {
    Principal p = ctx.get(KEY);
    if (p == null) throw Problem.unauthorized("Sign in first: send Authorization: Bearer <token>.");
    return p;
  }
}
