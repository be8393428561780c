package parley.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.access.Principal;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A request id on every request, and one access-log line when its response ends.
 *
 * <p>The id is the {@code X-Request-Id} a trusted proxy sent (so a request can be followed from the load balancer
 * to the node), or a new one; either way it is echoed in the response's {@code X-Request-Id} and tagged on the
 * request's log lines. The line names the method, the path without its query string, the status, the bytes sent,
 * the time taken, the client and the account: never a header, a token, a password or a body. Characters outside
 * printable ASCII in the path are escaped, so no request can forge or break a log line.
 *
 * <p>Logged by {@code parley.access} at INFO: with {@code PARLEY_LOG_FORMAT=json} each line is one JSON object
 * whose key-value pairs carry the same fields.
 */
public final class AccessLog {

  public static final String HEADER = "X-Request-Id";
  /** Where the request id is kept in the routing context. */
  public static final String REQUEST_ID = "parley.requestId";

  private static final Logger access = LoggerFactory.getLogger("parley.access");
  /** An id a proxy may pass on: short, and nothing a log reader could mistake for something else. */
  private static final Pattern PASSABLE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final int MAX_LOGGED_PATH = 512;
  /** A made-up method can be thousands of characters long; HTTP's own are at most seven. */
  private static final int MAX_LOGGED_METHOD = 24;

  private AccessLog() {
  }

  public static Handler<RoutingContext> handler(List<String> trustedProxies) {
    return ctx -> {
      String rerouted = ctx.get(REQUEST_ID);
      if (rerouted != null) {
        // A reroute (HEAD answered as GET, a page's address by its file) runs the router's handlers again and clears
        // the response's headers: the request keeps its id, and its one line (a probe saw each HEAD logged twice,
        // the second time as GET, under an id of its own).
        ctx.response().putHeader(HEADER, rerouted);
        ctx.next();
        return;
      }
      HttpServerRequest request = ctx.request();
      long started = System.nanoTime();
      // As the client sent them: a reroute changes the request's method and path.
      String method = printable(request.method().name(), MAX_LOGGED_METHOD);
      String path = printable(request.path(), MAX_LOGGED_PATH);
      String id = requestId(request, trustedProxies);
      ctx.put(REQUEST_ID, id);
      ctx.response().putHeader(HEADER, id);
      EndHandlers.add(ctx, ar -> {
        if (!access.isInfoEnabled()) return;
        // A connection closed before the response began (a body HTTP cannot read, answered by UnreadableBody below
        // Vert.x; a client gone) has no status of this response's: "-", not the 200 it was set to.
        Object status = ctx.response().headWritten() ? ctx.response().getStatusCode() : "-";
        long millis = (System.nanoTime() - started) / 1_000_000;
        String client = ClientIp.of(ctx, trustedProxies);
        Long user = Principal.current(ctx).map(Principal::id).orElse(null);
        var line = access.atInfo()
            .addKeyValue("requestId", id)
            .addKeyValue("method", method)
            .addKeyValue("path", path)
            .addKeyValue("status", status)
            .addKeyValue("bytes", ctx.response().bytesWritten())
            .addKeyValue("ms", millis)
            .addKeyValue("client", client)
            .addKeyValue("completed", ar.succeeded());
        if (user != null) line = line.addKeyValue("user", user);
        line.log("{} {} {} {}B {}ms client={} user={} id={}{}", method, path, status,
                ctx.response().bytesWritten(), millis, client, user == null ? "-" : user, id,
                ar.succeeded() ? "" : " cut-off");
      });
      ctx.next();
    };
  }

  /** The request id of the request being handled, for log lines about it ("-" outside a request). */
  public static String id(RoutingContext ctx) {
    String id = ctx == null ? null : ctx.get(REQUEST_ID);
    return id == null ? "-" : id;
  }

  private static String requestId(HttpServerRequest request, List<String> trustedProxies) {
    String given = request.getHeader(HEADER);
    String peer = request.remoteAddress() == null ? null : request.remoteAddress().host();
    if (given != null && peer != null && trustedProxies.contains(peer) && PASSABLE.matcher(given).matches()) {
      return given;
    }
    byte[] random = new byte[8];
    ThreadLocalRandom.current().nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  /** The path as it may appear in a log line: printable ASCII, the rest escaped, cut to a sane length. */
  public static String printable(String path) {
    return printable(path, MAX_LOGGED_PATH);
  }

  /** Some text from the request line as it may appear in a log line: as {@link #printable(String)}, cut at max. */
  private static String printable(String text, int max) {
    if (text == null) return "-";
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 8);
    for (int i = 0; i < text.length() && out.length() < max; i++) {
      char c = text.charAt(i);
      if (c > 0x20 && c < 0x7f && c != '\\') {
        out.append(c);
      } else {
        out.append(String.format("\\x%02x", (int) c & 0xffff));
      }
    }
    if (out.length() >= max) out.append("...");
    return out.toString();
  }
}
