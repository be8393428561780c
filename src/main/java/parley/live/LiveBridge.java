package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.account.Accounts;
import parley.block.Blocks;
import parley.config.AppConfig;
import parley.config.Limit;
import parley.events.AccountChanged;
import parley.events.EventLog;
import parley.events.Topics;
import parley.http.Problem;
import parley.http.ProblemHandler;
import parley.http.RateLimiter;
import parley.access.Visibility;
import parley.post.Posts;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The live side of Parley on one event loop: the Vert.x SockJS event-bus bridge at /eventbus (raw WebSocket at
 * /eventbus/websocket) and Server-Sent Events per thread, both fed by one {@link LiveHub}.
 *
 * <p>The bridge does what it is good at (the frame protocol, pings, permitted addresses, refusing anything a
 * client tries to send or publish); delivery is Parley's own: a register frame is authorised here (the token
 * header), resumed from its since header, and every event is filtered per reader at the moment it is written.
 */
public final class LiveBridge {

  private static final Logger log = LoggerFactory.getLogger(LiveBridge.class);

  private final Vertx vertx;
  private final Accounts accounts;
  private final AppConfig config;
  private final LiveHub hub;
  private final SseRoutes sse;
  private final ThreadChecks threads;
  /** Registrations one socket may hold (the bridge's own limit is set to the same). */
  static final int MAX_TOPICS_PER_SOCKET = 64;
  private final Map<SockJSSocket, BridgeSink> sinks = new HashMap<>();
  private final MessageConsumer<JsonObject> accountChanges;
  private final Pool pool;
  private final RateLimiter limits;

  /**
   * @param events   the event log on the live side's own database pool (replays, gap fills)
   * @param accounts token checks and account reloads, on the same pool
   * @param posts    whether a thread may be followed, on the same pool
   */
  public LiveBridge(Vertx vertx, EventLog events, Accounts accounts, Posts posts, DeliveryFilter filter,
      AppConfig config, RateLimiter limits) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.config = config;
    this.limits = limits;
    this.hub = new LiveHub(vertx, events, filter, 10_000);
    this.threads = new ThreadChecks(posts);
    this.sse = new SseRoutes(vertx, hub, threads, config, this::withBlocks, limits);
    this.pool = events.pool();
    this.accountChanges = AccountChanged.listen(vertx, change -> {
      hub.accountChangeSeen(this::reload);
      if (!hub.hasReader(change.userId())) return;
      if (change.blocks() != null) {
        // A block change carries the new list, so it applies before anything published after it is delivered.
        hub.blocksChanged(change.userId(), change.blocks(), change.blocksReadAt());
        return;
      }
      reload(change.userId());
    });
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
    EventBusBridgeImpl eventBusBridge = new EventBusBridgeImpl(vertx, null, bridge, this::onBridgeEvent);
    Limit perSocket = config.limit(AppConfig.LIMIT_LIVE_FRAMES);
    router.route("/eventbus/*").handler(this::checkOrigin);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJs).socketHandler(socket ->
        eventBusBridge.handle(new GuardedSocket(vertx, socket, perSocket,
            ip -> limits.tryTake(AppConfig.LIMIT_LIVE_FRAMES_IP, "live:" + ip)))));
    sse.mount(router);
  }

  public Future<Void> close() {
    hub.close();
    return accountChanges.unregister();
  }

  /**
   * A page from another site must not open a socket with a user's credentials: a browser always sends Origin,
   * which must be Parley's own or on PARLEY_ALLOWED_ORIGINS. Clients that are not browsers send none.
   */
  private void checkOrigin(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin == null || config.allowedOrigins().contains(origin) || sameOrigin(origin, ctx.request().getHeader("Host"))) {
      ctx.next();
    } else {
      ctx.fail(Problem.forbidden("Origin " + origin + " may not open live connections here."));
    }
  }

  static boolean sameOrigin(String origin, String host) {
    if (host == null) return false;
    try {
      URI uri = new URI(origin);
      if (uri.getHost() == null) return false;
      String authority = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
      return authority.equalsIgnoreCase(host);
    } catch (Exception e) {
      return false;
    }
  }

  private void onBridgeEvent(BridgeEvent event) {
    SockJSSocket socket = event.socket();
    if (log.isDebugEnabled() && event.type() != io.vertx.ext.bridge.BridgeEventType.RECEIVE) {
      log.debug("bridge event {} from {}", event.type(), socket.remoteAddress());
    }
    switch (event.type()) {
      case SOCKET_CREATED -> {
        sinks.put(socket, new BridgeSink(socket, config.liveQueueBytes(), config.limit(AppConfig.LIMIT_LIVE_REGISTERS)));
        event.complete(true);
      }
      case REGISTER -> register(event, sinks.get(socket));
      case UNREGISTER -> {
        BridgeSink sink = sinks.get(socket);
        String topic = event.getRawMessage().getString("address");
        LiveHub.Subscription sub = sink == null ? null : sink.subscriptions.remove(topic);
        if (sub != null) hub.unsubscribe(sub);
        if (sink != null) {
          sink.pending.remove(topic);
          sink.bridged.remove(topic);
        }
        event.complete(true);
      }
      case SOCKET_CLOSED, SOCKET_ERROR -> {
        BridgeSink sink = sinks.remove(socket);
        if (sink != null) {
          sink.markClosed();
          sink.subscriptions.values().forEach(hub::unsubscribe);
          sink.subscriptions.clear();
          sink.pending.clear();
        }
        event.complete(true);
      }
      // Clients only listen: whatever they send or publish is refused, and nothing Parley publishes travels on the
      // bridged addresses themselves, so the bridge's own per-socket consumers have nothing to deliver.
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
    JsonObject headers = frame.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
    Long since;
    try {
      since = since(headers.getValue("since"));
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
    if (!sink.registrations.tryTake() || !limits.tryTake(AppConfig.LIMIT_LIVE_REGISTERS_IP, "live:" + ip)) {
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
    long changesWhenRead = hub.accountChanges();
    Future<Reader> reader = token == null ? Future.succeededFuture(Reader.anonymous())
        : accounts.identify(token).map(id -> Reader.of(id.principal(), id.expiresAt())).compose(this::withBlocks);
    reader.compose(r -> readableAt(r, topic).map(at -> at.map(seq -> new Admitted(r, seq)).orElse(null)))
        .onComplete(ar -> {
      long now = System.currentTimeMillis() / 1000;
      boolean current = sink.pending.get(topic) == registration;
      if (ar.failed() || ar.result() == null || sink.isClosed() || !current
          || !ar.result().reader().mayFollow(topic, now)) {
        if (current) {
          sink.pending.remove(topic);
          sink.bridged.remove(topic);
        }
        event.complete(false);
        // "rejected" means "you may not"; when the database could not answer, the client is told to come back
        // instead, or it would give up on a thread it may read.
        if (ar.failed() && ProblemHandler.databaseUnavailable(ar.cause())) sink.busy();
        return;
      }
      event.complete(true);
      Long authorizedAt = ar.result().seq() == NO_SEQ ? null : ar.result().seq();
      Long from = since != null ? since : authorizedAt;
      hub.subscribe(sink, ar.result().reader(), topic, from, changesWhenRead)
          .onSuccess(sub -> {
            if (sink.isClosed() || sink.pending.get(topic) != registration) {
              hub.unsubscribe(sub);
            } else {
              sink.pending.remove(topic);
              sink.subscriptions.put(topic, sub);
            }
          })
          .onFailure(e -> {
            // The topic could not be followed (event bus or database trouble): close, so the client resumes.
            log.warn("Could not follow {}: {}", topic, e.toString());
            sink.overflow();
          });
    });
  }

  private static GuardedSocket socket(BridgeEvent event) {
    return (GuardedSocket) event.socket();
  }

  /** A reader allowed to follow a topic, and the topic's seq when that was decided (null: from now). */
  private record Admitted(Reader reader, Long seq) {
  }

  /**
   * A thread can be followed only while its post can be read: not once it is deleted, and not when hidden,
   * except by its author and moderators (the same rule as GET /api/posts/{id} and its SSE stream). Present with
   * the thread's seq at that moment (null for other topics) when it may, empty when it may not.
   */
  private Future<Optional<Long>> readableAt(Reader reader, String topic) {
    Long postId = Topics.postOf(topic);
    if (postId == null) return Future.succeededFuture(Optional.of(NO_SEQ));
    return threads.readableAt(postId, reader.principal());
  }

  /** Stands for "no seq" inside an Optional (which cannot hold null): the subscription starts from now. */
  private static final Long NO_SEQ = -1L;

  /** Reads a user and their blocks again and applies both to all their subscriptions on this event loop. */
  private Future<Void> reload(long userId) {
    return accounts.principal(userId)
        .compose(current -> Blocks.listNow(pool, userId).map(blocks -> {
          hub.accountChanged(userId, current.orElse(null), blocks.ids(), blocks.readAt());
          return (Void) null;
        }))
        .onFailure(e -> log.warn("Could not apply an account change for user {}: {}", userId, e.toString()));
  }

  /** Loads a signed-in reader's block list, which the delivery filter applies to every event. */
  Future<Reader> withBlocks(Reader reader) {
    if (reader.principal() == null) return Future.succeededFuture(reader);
    return Blocks.listNow(pool, reader.principal().id()).map(blocks -> {
      reader.blocks(blocks.ids());
      return reader;
    });
  }

  /** The since header: a whole number of at least 0, as a JSON number or a string; absent means "from now". */
  static Long since(Object raw) {
    if (raw == null) return null;
    long value;
    if (raw instanceof Number n && (n instanceof Integer || n instanceof Long)) {
      value = n.longValue();
    } else if (raw instanceof String s) {
      try {
        value = Long.parseLong(s.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("since");
      }
    } else {
      throw new IllegalArgumentException("since");
    }
    if (value < 0) throw new IllegalArgumentException("since");
    return value;
  }
}
