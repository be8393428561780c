package parley.live;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.ProtocolUpgradeHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;
import parley.config.Limit;
import parley.events.Topics;
import parley.http.Origins;
import parley.http.Problem;
import parley.http.ProblemHandler;
import parley.http.ProblemType;
import parley.http.RateLimiter;
import parley.http.RequestGuards;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The event-bus bridge transport on one event loop: the Vert.x SockJS bridge at /eventbus (raw WebSocket at
 * /eventbus/websocket) over {@link Live}.
 *
 * <p>The bridge does what it is good at (the frame protocol, pings, permitted addresses, refusing anything a
 * client tries to send or publish); this class turns its events into Parley's: a register frame is admitted by
 * {@link Live} (the token header), resumed from its since header, and held by the socket's {@link BridgeSink}.
 */
public final class BridgeRoutes {

  private static final Logger log = LoggerFactory.getLogger(BridgeRoutes.class);

  /** Registrations one socket may hold (the bridge's own limit is set to the same). */
  static final int MAX_TOPICS_PER_SOCKET = 64;
  /**
   * The largest WebSocket frame the server takes, and the payload of each frame it sends a longer message in. Clients
   * only send small control frames (register, ping); nothing legitimate needs more.
   */
  public static final int MAX_WEBSOCKET_FRAME_BYTES = 16 * 1024;

  private final Vertx vertx;
  private final Live live;
  private final AppConfig config;
  private final RateLimiter limits;
  private final Map<SockJSSocket, BridgeSink> sinks = new HashMap<>();

  public BridgeRoutes(Vertx vertx, Live live, AppConfig config, RateLimiter limits) {
    this.vertx = vertx;
    this.live = live;
    this.config = config;
    this.limits = limits;
  }

  public void mount(Router router) {
    SockJSHandlerOptions sockJs = new SockJSHandlerOptions()
        .setRegisterWriteHandler(false)
        .setInsertJSESSIONID(false)
        // Only WebSockets: the XHR, JSONP, iframe and EventSource fallbacks bring CORS and credential pitfalls.
        .addDisabledTransport("XHR")
        .addDisabledTransport("JSON_P")
        .addDisabledTransport("HTML_FILE")
        .addDisabledTransport("EVENT_SOURCE");
    SockJSBridgeOptions bridge = new SockJSBridgeOptions()
        .setOutboundPermitteds(List.of(new PermittedOptions().setAddressRegex(Topics.PERMITTED_REGEX)))
        .setInboundPermitteds(List.of())
        .setMaxHandlersPerSocket(MAX_TOPICS_PER_SOCKET)
        .setPingTimeout(30_000);
    // The bridge itself, fed through GuardedSocket so every frame a client sends is rate limited and a client
    // that stops reading is closed before the bridge queues replies to it. (SockJSHandler.bridge would build the
    // same EventBusBridgeImpl, with no way to wrap its sockets.)
    EventBusBridgeImpl eventBusBridge = new EventBusBridgeImpl(BridgeBus.view(vertx), null, bridge,
        this::onBridgeEvent);
    Limit perSocket = config.limit(AppConfig.LIMIT_LIVE_FRAMES);
    router.route("/eventbus/*").handler(this::checkOrigin);
    // vertx-web's WebSocket transports (the raw one, and SockJS's /eventbus/<server>/<session>/websocket, the path
    // SockJS itself matches) refuse a request that is no WebSocket upgrade in plain text or with an empty body:
    // Parley's refusals are problems.
    router.route("/eventbus/websocket").handler(BridgeRoutes::onlyWebSocketUpgrades);
    // The raw WebSocket is upgraded here rather than by vertx-web's raw transport, whose socket would keep the
    // request's RoutingContext (and through it the HTTP connection) for the socket's life (BridgeWebSocket).
    router.route("/eventbus/websocket").handler((ProtocolUpgradeHandler) ctx -> {
      Channel channel = GuardedSocket.channelOf(ctx.request().connection());
      ctx.request().toWebSocket()
          // A handshake the checks above let through and Netty refuses is still the client's fault, not the server's.
          .onFailure(e -> ctx.fail(e instanceof WebSocketHandshakeException
              ? Problem.badRequest("This WebSocket upgrade could not be accepted: " + e.getMessage()) : e))
          .onSuccess(ws -> eventBusBridge.handle(guarded(new BridgeWebSocket(vertx, ws, channel), perSocket)));
    });
    router.routeWithRegex("^/eventbus/[^/.]+/[^/.]+/websocket$").handler(BridgeRoutes::onlyWebSocketUpgrades);
    // SockJS's iframe page (for its iframe transports, all disabled here) loads its client from a CDN, which the
    // site's Content-Security-Policy refuses, and asks to be framed, which X-Frame-Options refuses: a page that
    // could never work, cached for a year. Not served.
    router.routeWithRegex("^/eventbus/iframe[^/]*\\.html$").handler(ctx -> ctx.fail(404));
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJs).socketHandler(socket ->
        eventBusBridge.handle(guarded(socket, perSocket))));
  }

  private GuardedSocket guarded(SockJSSocket socket, Limit perSocket) {
    return new GuardedSocket(vertx, socket, perSocket,
        ip -> limits.tryTakeHere(AppConfig.LIMIT_LIVE_FRAMES_IP, "live:" + ip), live.meters(), config.httpIdleTimeout());
  }

  /** Passes on a well-formed WebSocket upgrade (RFC 6455 version 13); refuses anything else as a problem. */
  private static void onlyWebSocketUpgrades(RoutingContext ctx) {
    // A HEAD is rerouted as a GET, but HTTP cannot upgrade it: it failed in the handshake, logged at ERROR.
    if (ctx.request().method() != HttpMethod.GET || Boolean.TRUE.equals(ctx.get(RequestGuards.HEAD))) {
      ctx.response().putHeader("Allow", "GET");
      ctx.fail(ProblemType.METHOD_NOT_ALLOWED.problem("This address takes WebSocket upgrades (GET) only."));
    } else if (!ctx.request().canUpgradeToWebSocket()) {
      ctx.fail(Problem.badRequest("This address takes WebSocket upgrades only (Upgrade: websocket)."));
    } else if (!"13".equals(ctx.request().getHeader("Sec-WebSocket-Version"))) {
      // Netty would also take the drafts' versions 7, 8 and 0, and answers others with an empty 426.
      ctx.response().putHeader("Sec-WebSocket-Version", "13");
      ctx.fail(Problem.clientError(426, "This address speaks WebSocket version 13 (RFC 6455) only."));
    } else if (!isHandshakeKey(ctx.request().getHeader("Sec-WebSocket-Key"))) {
      ctx.fail(Problem.badRequest("Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455, 4.1)."));
    } else {
      ctx.next();
    }
  }

  private static boolean isHandshakeKey(String key) {
    if (key == null) return false;
    try {
      return java.util.Base64.getDecoder().decode(key.trim()).length == 16;
    } catch (IllegalArgumentException notBase64) {
      return false;
    }
  }

  /**
   * A page from another site must not open a socket with a user's credentials: a browser always sends Origin,
   * which must be Parley's own or on PARLEY_ALLOWED_ORIGINS. Clients that are not browsers send none.
   */
  private void checkOrigin(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || config.allowedOrigins().contains(origin) || config.publicUrl().filter(origin::equals).isPresent()
        || sameOrigin(origin, ctx.request().getHeader("Host"))) {
      ctx.next();
    } else {
      ctx.fail(Problem.forbidden("Origin " + origin + " may not open live connections here."));
    }
  }

  /**
   * Whether {@code origin}, exactly as a browser writes one (http or https, lower case, no user, path or default
   * port), names the host and port of {@code host}. Anything else is no browser's, and not taken for Parley's own: a
   * probe found a user ("http://user@localhost:8080"), a trailing "/", a port with a leading zero and another scheme
   * were.
   */
  static boolean sameOrigin(String origin, String host) {
    if (host == null) return false;
    String canonical;
    try {
      canonical = Origins.canonical("Origin", origin, false);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return canonical.equals(origin) && canonical.substring(canonical.indexOf("://") + 3).equalsIgnoreCase(host);
  }

  private void onBridgeEvent(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    if (log.isDebugEnabled() && event.type() != BridgeEventType.RECEIVE) {
      log.debug("bridge event {} from {}", event.type(), socket.remoteAddress());
    }
    switch (event.type()) {
      case SOCKET_CREATED -> {
        GuardedSocket guarded = socket instanceof GuardedSocket g ? g : null;
        BridgeSink sink = new BridgeSink(socket, config.liveQueueBytes(), config.limit(AppConfig.LIMIT_LIVE_REGISTERS),
            guarded == null ? null : guarded.flushHold(), guarded == null ? null : guarded.writer());
        sinks.put(socket, sink);
        // The bridge's own answers to these two, given before it logs a warning for each (LIVE.md's errors).
        if (guarded != null) {
          guarded.registerRefusal(topic -> sink.bridged.contains(topic) ? "address_already_registered"
              : sink.bridged.size() >= MAX_TOPICS_PER_SOCKET ? "max_handlers_reached" : null);
        }
        live.meters().socketOpened();
        event.complete(true);
      }
      case REGISTER -> register(event, sinks.get(socket));
      case UNREGISTER -> {
        BridgeSink sink = sinks.get(socket);
        String topic = event.getRawMessage().getString("address");
        LiveHub.Subscription sub = sink == null ? null : sink.subscriptions.remove(topic);
        if (sub != null) live.unsubscribe(sub);
        if (sink != null) {
          sink.pending.remove(topic);
          sink.bridged.remove(topic);
        }
        event.complete(true);
      }
      case SOCKET_CLOSED, SOCKET_ERROR -> {
        BridgeSink sink = sinks.remove(socket);
        if (sink != null) {
          live.meters().socketClosed();
          sink.markClosed();
          sink.subscriptions.values().forEach(live::unsubscribe);
          sink.subscriptions.clear();
          sink.pending.clear();
        }
        event.complete(true);
      }
      // Clients only listen: whatever they send or publish is refused. Nothing travels on the bridged addresses
      // themselves (the bridge's per-socket consumers are BridgeBus's placeholders), so nothing is received either.
      case SEND, PUBLISH, RECEIVE -> event.complete(false);
      default -> event.complete(true);
    }
  }

  /**
   * Authorises a register frame (token header), then follows the topic from its since header or from now. A
   * refused register is completed false, so the client gets the bridge's error frame.
   */
  private void register(BridgeEvent event, BridgeSink sink) {
    JsonObject frame = event.getRawMessage();
    String topic = frame.getString("address");
    Object given = frame.getValue("headers");
    // Headers that are not an object, or a token that is not a string, are a client's mistake to be told of, not
    // read as "no headers" (which would register from now, or anonymously).
    if (given != null && !(given instanceof JsonObject)
        || given instanceof JsonObject h && h.getValue("token") != null && !(h.getValue("token") instanceof String)) {
      event.complete(false);
      return;
    }
    JsonObject headers = given instanceof JsonObject h ? h : new JsonObject();
    Long since;
    try {
      since = Live.since(headers.getValue("since"));
    } catch (IllegalArgumentException e) {
      event.complete(false);
      return;
    }
    if (sink == null || sink.isClosed() || !Topics.isValid(topic)) {
      event.complete(false);
      return;
    }
    if (sink.bridged.contains(topic)) {
      // Already registered on this socket: the bridge answers with its own address_already_registered error.
      event.complete(true);
      return;
    }
    String ip = socket(event).ip();
    if (!sink.registrations.tryTake() || !limits.tryTakeHere(AppConfig.LIMIT_LIVE_REGISTERS_IP, "live:" + ip)) {
      // Each registration costs database reads: a client that churns them is cut off, not served.
      event.complete(false);
      sink.rateLimited();
      return;
    }
    if (sink.bridged.size() >= MAX_TOPICS_PER_SOCKET) {
      // The bridge counts registrations only once they complete; Parley's take a moment (the token), so it
      // enforces the cap itself, counting those still being set up.
      event.complete(false);
      return;
    }
    // Reserve the address now, so a burst of register frames cannot outrun the cap or register it twice.
    sink.bridged.add(topic);
    Object registration = new Object();
    sink.pending.put(topic, registration);
    String token = headers.getValue("token") instanceof String t ? t : null;
    long changesWhenRead = live.accountChanges();
    live.reader(token).compose(reader -> live.admit(reader, topic)).onComplete(ar -> {
      boolean current = sink.pending.get(topic) == registration;
      if (ar.failed() || ar.result().isEmpty() || sink.isClosed() || !current) {
        if (current) {
          sink.pending.remove(topic);
          sink.bridged.remove(topic);
        }
        // "rejected" means "you may not"; when the database could not answer, the client is told to come back
        // instead (4003), or it would give up on a thread it may read. The socket is closed first, so the bridge's
        // "rejected" for the refused registration is not sent ahead of the close (a probe saw both, 2026-12-03).
        if (ar.failed() && ProblemHandler.databaseUnavailable(ar.cause())) sink.busy();
        event.complete(false);
        return;
      }
      event.complete(true);
      Live.Admitted admitted = ar.result().get();
      Long from = since != null ? since : admitted.seq();
      live.subscribe(sink, admitted, topic, from, changesWhenRead)
          .onSuccess(sub -> {
            if (sink.isClosed() || sink.pending.get(topic) != registration) {
              live.unsubscribe(sub);
            } else {
              sink.pending.remove(topic);
              sink.subscriptions.put(topic, sub);
            }
          })
          .onFailure(e -> {
            // The topic could not be followed (event bus or database trouble): close, so the client resumes.
            log.warn("Could not follow {}: {}", topic, e.toString());
            sink.reconnect("could not follow");
          });
    });
  }

  private static GuardedSocket socket(BridgeEvent event) {
    return (GuardedSocket) event.socket();
  }
}
