package parley.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Cross-origin calls to a REST surface from the pages of the origins on PARLEY_ALLOWED_ORIGINS, and from no others.
 *
 * <p>A listed origin (compared exactly, as a browser writes it: scheme, host, and a port only when it is not the
 * default) is answered by Vert.x's {@link CorsHandler}: its preflights get the API's methods and request headers,
 * and its answers expose the headers a client reads. A preflight from any other origin is refused with a 403 that
 * carries no CORS header, so the browser stops there. A request from an unlisted origin that is not a preflight goes
 * on as it always did, without CORS headers: the browser keeps the answer from the page, and Parley's own pages
 * (which send Origin on their writes) and clients that are not browsers are unaffected.
 *
 * <p>Credentials stay off: the API's tokens travel in the Authorization header, never in cookies, so a page must
 * hold a token to call it, and no page can borrow a signed-in reader's session. With no origin listed, every
 * cross-origin preflight is refused. One handler serves any number of surfaces (the REST API, and others mounted the
 * same way).
 */
public final class Cors implements Handler<RoutingContext> {

  /** Every method the API's routes take. */
  static final Set<HttpMethod> METHODS = ordered(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PUT,
      HttpMethod.PATCH, HttpMethod.DELETE);
  /** The request headers the API reads beyond the safelisted ones. */
  static final Set<String> REQUEST_HEADERS = ordered("Authorization", "Content-Type", "Idempotency-Key",
      "Last-Event-ID");
  /** The response headers a client needs beyond the safelisted ones (Content-Type, Cache-Control...). */
  static final Set<String> EXPOSED_HEADERS = ordered("Location", "Retry-After", "WWW-Authenticate",
      AccessLog.HEADER, "Idempotent-Replayed");
  /** How long a browser may keep a preflight's answer (Chromium keeps it two hours at most). */
  static final int MAX_AGE_SECONDS = 600;

  private final Set<String> origins;
  private final CorsHandler listed;

  /**
   * @param origins the allowed origins, each {@code scheme://host[:port]} with no path
   * @throws IllegalArgumentException naming the first origin that is not one
   */
  public Cors(List<String> origins) {
    Set<String> exact = new LinkedHashSet<>();
    for (String origin : origins) exact.add(Origins.canonical("PARLEY_ALLOWED_ORIGINS", origin, false));
    this.origins = Set.copyOf(exact);
    this.listed = CorsHandler.create()
        .addOrigins(List.copyOf(exact))
        .allowedMethods(METHODS)
        .allowedHeaders(REQUEST_HEADERS)
        .exposedHeaders(EXPOSED_HEADERS)
        .allowCredentials(false)
        .maxAgeSeconds(MAX_AGE_SECONDS);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null) {
      ctx.next();
    } else if (origins.contains(origin.toLowerCase(Locale.ROOT))) {
      // Vert.x matches more loosely than this (a path, a default port); every origin that reaches it is listed.
      listed.handle(ctx);
    } else if (isPreflight(ctx)) {
      ctx.fail(Problem.forbidden("Pages on " + origin + " may not call this API; PARLEY_ALLOWED_ORIGINS lists the "
          + "origins that may."));
    } else {
      ctx.next();
    }
  }

  /** In the order given, so the headers read the same on every start. */
  @SafeVarargs
  private static <T> Set<T> ordered(T... values) {
    return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(values)));
  }

  private static boolean isPreflight(RoutingContext ctx) {
    return ctx.request().method() == HttpMethod.OPTIONS
        && ctx.request().headers().contains(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD);
  }
}
