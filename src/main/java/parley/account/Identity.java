package parley.account;

import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;

import java.util.Optional;

/** Who a verified token speaks for, and until when (epoch seconds). */
public record Identity(Principal principal, long expiresAt) {

  private static final String KEY = "parley.identity";

  /** Sets the caller on the request: the principal for every route, the whole identity for live streams. */
  public void attachTo(RoutingContext ctx) {
    principal.attachTo(ctx);
    ctx.put(KEY, this);
  }

  /** The caller's verified identity, if signed in. */
  public static Optional<Identity> current(RoutingContext ctx) {
    return Optional.ofNullable(ctx.get(KEY));
  }
}
