package parley.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/** Checks every API request must pass before any feature sees it. */
public final class RequestGuards {

  private RequestGuards() {
  }

  /**
   * A request that carries a body must say it is JSON (415 otherwise), so a form post from another site can never
   * be read as an API call.
   */
  public static Handler<RoutingContext> jsonBodies() {
    return ctx -> {
      HttpMethod method = ctx.request().method();
      boolean writes = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH;
      String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
      boolean hasBody = (length != null && !"0".equals(length)) || ctx.request().headers().contains("Transfer-Encoding");
      if (writes && hasBody) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null || !type.toLowerCase().strip().matches("application/json\\s*(;.*)?")) {
          ctx.fail(ProblemHandler.unsupportedMediaType());
          return;
        }
      }
      ctx.next();
    };
  }

  /** API answers depend on who asks (and change live), so no cache may keep them. */
  public static Handler<RoutingContext> noStore() {
    return ctx -> {
      ctx.response().headers().set(HttpHeaders.CACHE_CONTROL, "no-store");
      ctx.next();
    };
  }

  /** Headers that make every response safer to render. */
  public static Handler<RoutingContext> securityHeaders() {
    return ctx -> {
      ctx.response().headers()
          .set("X-Content-Type-Options", "nosniff")
          .set("Referrer-Policy", "same-origin")
          .set("X-Frame-Options", "DENY")
          .set("Content-Security-Policy", "default-src 'self'; script-src 'self'; object-src 'none'; "
              + "base-uri 'none'; frame-ancestors 'none'; form-action 'self'; img-src 'self' https: data:");
      ctx.next();
    };
  }
}
