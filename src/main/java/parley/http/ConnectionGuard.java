package parley.http;

import io.netty.channel.Channel;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds what one client's connections can hold: at most {@code maxPerIp} open connections from one address (a
 * reverse proxy on {@code PARLEY_TRUSTED_PROXIES} is exempt), and a connection must send a complete request head,
 * and then its body, within the header timeout, or it is closed. Without these, half-sent requests from one address
 * can hold every file descriptor the process has.
 *
 * <p>The per-address counts are shared by every HTTP verticle of the node; the per-connection timers live on the
 * event loop that owns the connection.
 */
public final class ConnectionGuard {

  private final Map<String, AtomicInteger> perIp = new ConcurrentHashMap<>();
  private final int maxPerIp;
  private final long headerTimeoutMs;
  private final List<String> trustedProxies;

  public ConnectionGuard(int maxPerIp, Duration headerTimeout, List<String> trustedProxies) {
    this.maxPerIp = maxPerIp;
    this.headerTimeoutMs = headerTimeout.toMillis();
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  /** Open connections from an address now (for tests and metrics). */
  public int connections(String ip) {
    AtomicInteger n = perIp.get(ip);
    return n == null ? 0 : n.get();
  }

  /** One HTTP verticle's side: call {@link #accept} for each new connection and mount {@link #requests()} first. */
  public Local local(Vertx vertx) {
    return new Local(vertx);
  }

  /** The state of the connections one event loop owns. */
  public final class Local {
    private final Vertx vertx;
    private final Map<Object, State> states = new HashMap<>();

    private Local(Vertx vertx) {
      this.vertx = vertx;
    }

    /** Counts a new connection against its address (closing it if over the cap) and starts its head timer. */
    public void accept(HttpConnection connection) {
      String ip = connection.remoteAddress() == null ? "unknown" : connection.remoteAddress().host();
      boolean counted = !trustedProxies.contains(ip);
      if (counted && perIp.computeIfAbsent(ip, k -> new AtomicInteger()).incrementAndGet() > maxPerIp) {
        release(ip);
        connection.close();
        return;
      }
      // Kept by the connection's channel where it can be reached, not by the HTTP connection: a connection upgraded
      // to a WebSocket gives its channel to the WebSocket's, and keeping the HTTP connection for the channel's life
      // kept its request and its 4 KiB write queue for every live socket (docs/BENCHMARKS.md, P1).
      Object key = keyOf(connection);
      Channel channel = key instanceof Channel c ? c : null;
      State state = new State(key, channel != null ? channel::close : connection::close);
      states.put(key, state);
      state.awaitHead();
      Runnable closed = () -> {
        states.remove(key);
        vertx.cancelTimer(state.timer);
        if (counted) release(ip);
      };
      // The channel's own close, not the HTTP connection's close handler: a connection upgraded to a WebSocket
      // hands its channel to the WebSocket, and its close handler never runs. Counted on that, every live socket
      // an address ever opened stayed counted (locking it out at the cap) and the node kept them all in memory.
      if (channel != null) {
        UnreadableBody.install(channel);
        channel.closeFuture().addListener(f -> closed.run());
      } else {
        connection.closeHandler(v -> closed.run());
      }
    }

    /**
     * The first route handler: the head has arrived, so its timer stops; the body must then arrive within the same
     * timeout (answered 408 and closed otherwise), and once the response ends the connection waits for its next
     * head. Upgraded WebSockets and event streams never end a response, so they are left to their own limits.
     */
    public Handler<RoutingContext> requests() {
      return ctx -> {
        State state = states.get(keyOf(ctx.request().connection()));
        if (state != null) {
          vertx.cancelTimer(state.timer);
          // A WebSocket upgrade (a GET that announces no body) has none to wait for, and its response never ends: a
          // body timer would keep the request's RoutingContext, and the connection it upgraded, for a whole timeout
          // after the socket opened. One that announces a body keeps its timer (Vert.x reads the body before it
          // upgrades, with no timer of its own), whatever later handlers make of it.
          boolean noBody = ctx.request().isEnded() || ctx.request().canUpgradeToWebSocket()
              && !ctx.request().headers().contains(HttpHeaders.CONTENT_LENGTH)
              && !ctx.request().headers().contains(HttpHeaders.TRANSFER_ENCODING);
          long bodyTimer = noBody ? -1 : vertx.setTimer(headerTimeoutMs, id -> {
            if (!ctx.request().isEnded() && !ctx.response().headWritten()) {
              // Closed once said: Vert.x keeps a connection whose request body is still coming, "close" or not, and
              // the trickle went on for another header timeout (a review: cut at 20.5 s, not 10).
              ctx.response().setStatusCode(408).putHeader(HttpHeaders.CONNECTION, "close")
                  .putHeader(HttpHeaders.CONTENT_TYPE, ProblemHandler.CONTENT_TYPE)
                  .end(ProblemType.REQUEST_TIMEOUT.problem("The request body did not arrive in time.").toJson().encode())
                  .onComplete(v -> ctx.request().connection().close());
            }
          });
          ctx.addEndHandler(v -> {
            if (bodyTimer >= 0) vertx.cancelTimer(bodyTimer);
            if (states.get(state.key) == state) state.awaitHead();
          });
        }
        ctx.next();
      };
    }

    /** The connection's channel, or the connection where its channel cannot be reached. */
    private static Object keyOf(HttpConnection connection) {
      return connection instanceof ConnectionBase base ? base.channel() : connection;
    }

    private final class State {
      /** The connection's channel, or the connection where its channel cannot be reached. */
      final Object key;
      final Runnable close;
      long timer = -1;

      State(Object key, Runnable close) {
        this.key = key;
        this.close = close;
      }

      void awaitHead() {
        vertx.cancelTimer(timer);
        timer = vertx.setTimer(headerTimeoutMs, id -> close.run());
      }
    }
  }

  private void release(String ip) {
    perIp.computeIfPresent(ip, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }
}
