package parley.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * The writes (POST, PUT, PATCH, DELETE under /api) in flight on one event loop, so the live side can tell whether a
 * write is waiting for the loop when it decides how much of the loop to take. Used on its own loop only.
 */
public final class InFlight {

  private int writes;

  /** A route handler that counts the request while it is in flight. */
  public Handler<RoutingContext> handler() {
    return ctx -> {
      HttpMethod method = ctx.request().method();
      if (method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.OPTIONS) {
        writes++;
        EndHandlers.add(ctx, v -> writes--);
      }
      ctx.next();
    };
  }

  public boolean writing() {
    return writes > 0;
  }
}
