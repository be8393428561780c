package parley.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks every API request must pass before any feature sees it. */
public final class RequestGuards {

  /** Set on a HEAD request that was rerouted as a GET (handlers that stream can answer it without streaming). */
  public static final String HEAD = "parley.head";

  private RequestGuards() {
  }

  /** Runs the handler for requests to the API ({@code /api} and below) and passes every other request on. */
  public static Handler<RoutingContext> underApi(Handler<RoutingContext> handler) {
    return onPaths(RequestGuards::isApi, handler);
  }

  /** Whether a normalized path is the API's ({@code /api} and below). */
  public static boolean isApi(String path) {
    return path.equals("/api") || path.startsWith("/api/");
  }

  /** Runs the handler for requests whose normalized path {@code paths} takes, and passes every other request on. */
  public static Handler<RoutingContext> onPaths(java.util.function.Predicate<String> paths,
      Handler<RoutingContext> handler) {
    return ctx -> {
      if (paths.test(ctx.normalizedPath())) {
        handler.handle(ctx);
      } else {
        ctx.next();
      }
    };
  }

  /**
   * Headers that name one thing, of which a request gives one: given twice, which one counts differs between servers
   * and proxies (Vert.x reads the first, a proxy in front may read the last), as with a query parameter or a JSON
   * field named twice. RFC 9112 requires a 400 for a second Host.
   */
  private static final List<String> ONCE = List.of("Host", "Authorization", "Origin", "Content-Type",
      "Idempotency-Key", "Last-Event-ID");

  /**
   * The request's path and query must be well formed (see {@link RequestTarget}), no query parameter may be given
   * twice (which one counts differs between servers and proxies, as with a JSON field named twice), the query may
   * hold no raw ';' (a separator to Vert.x, not to a browser or many proxies) and an API parameter's name no capital
   * (Vert.x reads names regardless of case, so "?Q=" would be read as the "q" a filter in front did not see), nor a
   * header that names one thing ({@link #ONCE}), and a request with both Content-Length and Transfer-Encoding is refused
   * (and its connection closed): two framings of one body are how requests are smuggled past proxies.
   */
  public static Handler<RoutingContext> wellFormed() {
    return ctx -> {
      HttpServerRequest request = ctx.request();
      if (request.headers().contains(HttpHeaders.CONTENT_LENGTH)
          && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
        closeAfterAnswer(ctx);
        ctx.fail(Problem.badRequest("Send either Content-Length or Transfer-Encoding, not both."));
        return;
      }
      for (String header : ONCE) {
        if (request.headers().getAll(header).size() > 1) {
          ctx.fail(Problem.badRequest("The " + header + " header is given more than once: send it once."));
          return;
        }
      }
      String pathProblem = RequestTarget.problemWith(request.path(), false);
      if (pathProblem != null) {
        ctx.fail(Problem.badRequest("The path " + pathProblem + "."));
        return;
      }
      String queryProblem = RequestTarget.problemWith(request.query(), true);
      if (queryProblem != null) {
        ctx.fail(Problem.badRequest("The query string " + queryProblem + "."));
        return;
      }
      if (request.query() != null && request.query().indexOf(';') >= 0) {
        // Vert.x reads "q=a;type=users" as two parameters, a browser's URLSearchParams and many proxies as one.
        ctx.fail(Problem.badRequest("The query string contains ';', which servers and proxies read differently: "
            + "percent-encode it as %3B."));
        return;
      }
      String capital = request.query() == null || !request.path().startsWith("/api/") ? null
          : RequestTarget.capitalName(request.params());
      if (capital != null) {
        ctx.fail(Problem.badRequest("The query string names " + capital + ": the API's parameters are lower case."));
        return;
      }
      String twice = request.query() == null ? null : RequestTarget.repeatedParameter(request.params());
      if (twice != null) {
        ctx.fail(Problem.badRequest("The query string gives " + twice + " more than once: give each parameter once."));
        return;
      }
      ctx.next();
    };
  }

  /**
   * Only POST, PUT and PATCH take a body: one sent with any other method (reads, deletes, TRACE, unknown methods) is
   * refused rather than parsed (forms, multipart) or ignored. Vert.x's body handler throws on a form body with a
   * method it does not expect, which would otherwise be a 500.
   */
  public static Handler<RoutingContext> noBodyOnReads() {
    return ctx -> {
      HttpMethod method = ctx.request().method();
      boolean takesBody = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH;
      if (!takesBody && hasBody(ctx)) {
        closeAfterAnswer(ctx);
        ctx.fail(Problem.badRequest(method + " takes no request body."));
        return;
      }
      ctx.next();
    };
  }

  /**
   * Refuses a request whose body is not read: the answer says Connection: close, and the connection is closed once
   * the answer is out. Left to Vert.x, it stayed open until the body announced had come, which for a client that
   * never sends it was the idle timeout (PARLEY_HTTP_IDLE_TIMEOUT) later.
   */
  private static void closeAfterAnswer(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    if (ctx.request().version() == io.vertx.core.http.HttpVersion.HTTP_2) return;
    io.vertx.core.http.HttpConnection connection = ctx.request().connection();
    ctx.addEndHandler(sent -> {
      if (!ctx.request().isEnded()) connection.close();
    });
  }

  private static boolean hasBody(RoutingContext ctx) {
    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    return (length != null && !"0".equals(length.strip())) || ctx.request().headers().contains(HttpHeaders.TRANSFER_ENCODING);
  }

  /**
   * A request that carries a body must say it is JSON (415 otherwise), so a form post from another site can never
   * be read as an API call.
   */
  private static final Pattern JSON_TYPE = Pattern.compile("application/json\\s*(;.*)?");
  private static final Pattern CHARSET =
      Pattern.compile(";\\s*charset\\s*=\\s*\"?([^\";\\s]*)\"?", Pattern.CASE_INSENSITIVE);

  /**
   * A JSON body is read as UTF-8 (RFC 8259): a charset parameter, if any, must say so. One naming another charset
   * (utf-16, latin1) was accepted and the body read as UTF-8 anyway, which is not what its sender meant.
   */
  private static boolean utf8Charset(String contentType) {
    Matcher m = CHARSET.matcher(contentType);
    while (m.find()) {
      String charset = m.group(1).toLowerCase(Locale.ROOT);
      if (!charset.equals("utf-8") && !charset.equals("utf8")) return false;
    }
    return true;
  }

  public static Handler<RoutingContext> jsonBodies() {
    return ctx -> {
      HttpMethod method = ctx.request().method();
      boolean writes = method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH;
      if (writes && hasBody(ctx)) {
        String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null || !JSON_TYPE.matcher(type.toLowerCase(Locale.ROOT).strip()).matches()
            || !utf8Charset(type)) {
          ctx.fail(ProblemHandler.unsupportedMediaType());
          return;
        }
        // The server does not decode request bodies: a compressed one was read as its raw bytes and refused as
        // "not valid UTF-8", which sent its client looking in the wrong place (RFC 9110, 8.4: 415).
        String coding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
        if (coding != null && !coding.isBlank() && !coding.strip().equalsIgnoreCase("identity")) {
          ctx.response().putHeader("Accept-Encoding", "identity");
          ctx.fail(ProblemType.UNSUPPORTED_MEDIA_TYPE.problem("Send the body uncompressed: no Content-Encoding."));
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

  /**
   * Every response may go out gzipped (the server compresses what the client accepts, and the read cache keeps a
   * gzipped copy), so every response says it depends on Accept-Encoding: a shared cache in front of Parley must not
   * give the gzipped bytes to a client that did not ask for them (the API says no-store, but the OpenAPI document,
   * the icons and the web app's files may be kept).
   */
  public static Handler<RoutingContext> varyByEncoding() {
    return ctx -> {
      ctx.response().headers().add(HttpHeaders.VARY, "Accept-Encoding");
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
