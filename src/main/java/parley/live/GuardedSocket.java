package parley.live;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.Limit;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A bridge socket as the event-bus bridge sees it: every frame the client sends passes two checks before the
 * bridge reads it, so that no client can make Parley hold memory or work on its behalf without bound.
 *
 * <ul>
 *   <li>Frames are rate limited per socket and per client address; past either limit the socket is closed with
 *   {@link #RATE_LIMITED}. The bridge answers refused frames with error frames (and used to log an error for each),
 *   so an unlimited sender could make it write without end.</li>
 *   <li>A socket whose outgoing queue is full (its reader stopped reading) is closed with
 *   {@link BridgeSink#SLOW_CONSUMER} at its next frame, before the bridge can queue a reply to it; Parley's own
 *   events already close it at that point.</li>
 *   <li>The WebSocket protocol's own ping and pong frames, which the bridge never sees (Vert.x answers a ping with a
 *   pong itself), pass the same two checks ({@link PingGuard}).</li>
 * </ul>
 *
 * <p>It extends the bridge's socket base class because the bridge closes idle sockets through it.
 */
final class GuardedSocket extends SockJSSocketBase {

  /** Close code for a client that sent frames or registrations faster than allowed: back off, then reconnect. */
  static final int RATE_LIMITED = 4002;
  /** RFC 6455's close codes for a message over the limit (sent in pieces) and for any other failure of the socket. */
  static final int MESSAGE_TOO_BIG = 1009;
  static final int UNEXPECTED = 1011;
  private static final Logger log = LoggerFactory.getLogger(GuardedSocket.class);

  /** Whether the client's address may send one more frame (the per-address limit, shared by the node). */
  interface AddressLimit {
    boolean tryTake(String ip);
  }

  private final SockJSSocket inner;
  private final TokenBucket frames;
  private final AddressLimit addressFrames;
  private final String ip;
  private final LiveMeters meters;
  private final FlushHold flushHold;
  /** Writes Parley's frames to a raw WebSocket's channel (null on other transports, or if it cannot be reached). */
  private final FrameWriter writer;
  /**
   * The socket's own network channel when it is a WebSocket's (the connection carries nothing else), for the hard
   * close after {@link #CLOSE_GRACE}; null on SockJS's HTTP transports, whose connection may carry other requests.
   */
  private final Channel webSocketChannel;
  /** The close handler as given to the transport, called at most once ({@link #closeSeen}), whoever calls it. */
  private Handler<Void> onClose;
  private boolean closeSeen;
  /** The cut waiting for {@link #CLOSE_GRACE}, cancelled once the socket has closed (it holds the socket till then). */
  private io.netty.util.concurrent.ScheduledFuture<?> cut;
  /** The context the socket was opened on, where its close handler runs (the cut's task runs outside any context). */
  private final io.vertx.core.Context context;
  private boolean closed;
  /**
   * Whether this socket counts its own unsent characters. A SockJS session over its WebSocket transport (the
   * official client's) hands every write to the WebSocket at once and starts its own count again, so its
   * writeQueueFull never says full, however far the reader is behind: Netty's buffer would grow without bound. A
   * raw WebSocket (/eventbus/websocket) reports its own queue, and keeps its drain handler.
   */
  private final boolean countsUnsent;
  /**
   * What the bridge answers a register frame for an address with where it would also log a warning for each (the
   * address is registered on this socket already; the socket holds as many as it may), or null: set by the bridge's
   * routes once the socket's registrations exist.
   */
  private Function<String, String> registerRefusal = address -> null;
  /** Characters handed to the transport whose write has not completed (reached the kernel) yet. */
  private long unsent;
  private int maxUnsent = 64 * 1024;
  private Handler<Void> drainHandler;
  private boolean drainWanted;

  /**
   * @param idleTimeout the server's idle timeout ({@code PARLEY_HTTP_IDLE_TIMEOUT}); on a WebSocket it is counted
   *     on what the client sends only (see {@link #idleOnReadsOnly})
   */
  GuardedSocket(Vertx vertx, SockJSSocket inner, Limit perSocket, AddressLimit perAddress, LiveMeters meters,
      Duration idleTimeout) {
    super(vertx, inner.routingContext(), new SockJSHandlerOptions().setRegisterWriteHandler(false));
    this.inner = inner;
    this.frames = new TokenBucket(perSocket);
    this.addressFrames = perAddress;
    this.meters = meters;
    this.ip = inner.remoteAddress() == null ? "unknown" : inner.remoteAddress().host();
    Channel channel = channelOf(inner);
    this.flushHold = channel == null ? null : FlushHold.install(channel, meters.socketFlushes());
    if (channel != null) idleOnReadsOnly(channel, idleTimeout);
    if (channel != null) PingGuard.install(channel, this);
    this.countsUnsent = !(inner instanceof BridgeWebSocket);
    // A SockJS session frames its messages itself (a["..."]): only a raw WebSocket is written to directly.
    this.writer = channel == null || countsUnsent ? null : FrameWriter.install(channel);
    this.webSocketChannel = channel != null && channel.pipeline().context(WebSocketFrameDecoder.class) != null
        ? channel : null;
    this.context = vertx.getOrCreateContext();
  }

  /**
   * How long a WebSocket closed by the server has to finish its close handshake before its connection is cut. A
   * reader closed as a slow consumer has a full queue, so the close frame waits behind it and the client never
   * answers it; Vert.x's own close timeout then failed ("promise already done", a stack trace at WARN per socket) and
   * left the connection open for as long as the client kept pinging, its subscriptions still in the hub (a probe,
   * 2026-12-04: 200 readers closed with 4001 still held 200 connections 100 s later).
   */
  static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  /**
   * Cuts the WebSocket's connection if its close handshake has not ended it within {@link #CLOSE_GRACE}, and then
   * tells the bridge it closed if Vert.x has not: a WebSocket whose close was under way when its connection went is
   * never reported closed by Vert.x 5.0.7, so its subscriptions would stay in the hub.
   */
  private void cutAfterGrace() {
    Channel channel = webSocketChannel;
    if (channel == null) return;
    cut = channel.eventLoop().schedule(() -> {
      if (channel.isActive()) {
        cut(channel).addListener(done -> context.runOnContext(v -> closedForGood()));
      } else {
        context.runOnContext(v -> closedForGood());
      }
    }, CLOSE_GRACE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The close handler, once, if Vert.x has not called it. */
  private void closedForGood() {
    Handler<Void> handler = onClose;
    if (handler != null) handler.handle(null);
  }

  /**
   * Closes a connection at once, from its pipeline's head: past Vert.x's handler, whose close waits for the
   * connection's full queue to drain first, which a reader who stopped reading never lets happen (it then stayed
   * open until the idle timeout, or for as long as it pinged).
   */
  static io.netty.channel.ChannelFuture cut(Channel channel) {
    io.netty.channel.ChannelHandlerContext head = channel.pipeline().firstContext();
    return head == null ? channel.close() : head.close();
  }

  /** The socket's network channel; null where it cannot be reached (nothing is then held or tuned). */
  static Channel channelOf(SockJSSocket socket) {
    if (socket instanceof BridgeWebSocket raw) return raw.channel();
    return socket.routingContext() == null ? null : channelOf(socket.routingContext().request().connection());
  }

  /** A request's network channel; null where it cannot be reached. */
  static Channel channelOf(HttpConnection connection) {
    // An upgraded request's connection hands its channel to the WebSocket: the channel is the socket's.
    return connection instanceof ConnectionBase base ? base.channel() : null;
  }

  /**
   * On a WebSocket, the idle timeout counts what the client sends, not what it is sent. Vert.x counts traffic both
   * ways, which makes Netty's idle handler hang a listener on every frame written: a seventh of the cost of writing
   * a live event to a socket of a big thread (docs/BENCHMARKS.md, P2). Nothing is lost by it: every bridge client
   * pings (the bridge closes a socket that has not pinged for 30 s), so a live client is never idle on its reading
   * side, and one that stops sending is closed as before however much it is sent. SockJS's other transports are
   * HTTP requests (a streaming response is written to but never read from) and keep Vert.x's handler.
   */
  static void idleOnReadsOnly(Channel channel, Duration timeout) {
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(WebSocketFrameEncoder.class) == null || pipeline.get(IdleStateHandler.class) == null) return;
    pipeline.replace(IdleStateHandler.class, "idle", new IdleStateHandler(timeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
  }

  String ip() {
    return ip;
  }

  /** See {@link #registerRefusal}. */
  void registerRefusal(Function<String, String> refusal) {
    this.registerRefusal = refusal;
  }

  /** Where the hub holds this socket's flushes for a burst of frames; null if its channel could not be reached. */
  FlushHold flushHold() {
    return flushHold;
  }

  /** Where Parley writes its own frames to this socket; null if they go through Vert.x (see {@link FrameWriter}). */
  FrameWriter writer() {
    return writer;
  }

  /**
   * Whether a frame from the client may be read: false once it has closed the socket, because the socket's queue is
   * full (its reader stopped reading) or because the client sends faster than allowed.
   */
  private boolean admit() {
    if (closed) return false;
    if (writeQueueFull()) {
      meters.slowConsumer(Sink.BRIDGE);
      close(BridgeSink.SLOW_CONSUMER, "slow consumer: reconnect and resume with since");
      return false;
    }
    if (!frames.tryTake() || !addressFrames.tryTake(ip)) {
      close(RATE_LIMITED, "too many frames: back off, then reconnect");
      return false;
    }
    return true;
  }

  @Override
  public SockJSSocket handler(Handler<Buffer> handler) {
    inner.handler(handler == null ? null : frame -> {
      if (admit()) {
        String refused = refusedQuietly(frame, registerRefusal);
        if (refused == null) {
          handler.handle(frame);
        } else {
          write(new JsonObject().put("type", "err").put("body", refused).encode());
        }
      }
    });
    return this;
  }

  /** Vert.x's own JSON reading (comments allowed), with a name given twice in an object an error. */
  private static final com.fasterxml.jackson.core.JsonFactory FRAMES = com.fasterxml.jackson.core.JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_JAVA_COMMENTS)
      .build();

  /** The frame types the bridge reads; it answers any other with {@code invalid_type}. */
  private static final Set<String> BRIDGE_TYPES = Set.of("ping", "register", "unregister", "send", "publish");

  /**
   * The error the bridge would answer this frame with where it would also log the client's words at ERROR (an
   * unknown type) or a warning (a register the socket's registrations refuse: {@link #registerRefusal}): answered
   * here the same way, and nothing is logged, so no client can fill the log or write lines of its own into it; and
   * {@code invalid_json} for JSON that names a field twice, which the bridge would read. Null for a frame the bridge
   * should read (it answers a frame that is not JSON, or lacks a
   * type or an address, without logging; a send or publish, whatever its reply address, is refused by
   * BridgeRoutes before the bridge looks at it).
   */
  static String refusedQuietly(Buffer frame, Function<String, String> registerRefusal) {
    try {
      // The bridge's own reading, step by step (EventBusBridgeImpl.handleSocketData).
      // As the bridge reads it (bad UTF-8 bytes replaced, comments allowed), but a name given twice ({"address":
      // "parley.mod", "address": "parley.post.1"}) is refused: which one counts differs between parsers, so a request
      // body naming a field twice is refused too (I-JSON).
      Object read;
      try {
        read = JacksonCodec.fromParser(FRAMES.createParser(frame.toString()), Object.class);
      } catch (DecodeException | java.io.IOException e) {
        return String.valueOf(e.getMessage()).contains("Duplicate field") ? "invalid_json" : null;
      }
      if (!(read instanceof JsonObject message)) return null;
      // A type that is not a string is not one of the bridge's types (it would answer missing_address).
      if (message.getValue("type") != null && !(message.getValue("type") instanceof String)) return "invalid_type";
      String type = message.getString("type");
      String address = message.getString("address");
      if (type == null || type.equals("ping") || address == null) return null;
      if (!BRIDGE_TYPES.contains(type)) return "invalid_type";
      return type.equals("register") ? registerRefusal.apply(address) : null;
    } catch (RuntimeException unreadable) {
      return null;  // the bridge answers what it cannot read itself (invalid_json)
    }
  }

  /** The bridge writes its own replies as buffers, which go out as binary frames; every frame is JSON text. */
  @Override
  public Future<Void> write(Buffer data) {
    return write(data.toString());
  }

  @Override
  public Future<Void> write(String data) {
    // Nothing follows the close frame: a reply the bridge writes after Parley closed the socket is dropped.
    if (closed) return Future.failedFuture("the socket is closed");
    if (!countsUnsent) return inner.write(data);
    int length = data.length();
    unsent += length;
    Future<Void> written = inner.write(data);
    written.onComplete(done -> {
      unsent -= length;
      if (drainWanted && unsent <= maxUnsent / 2) {
        drainWanted = false;
        Handler<Void> handler = drainHandler;
        if (handler != null) handler.handle(null);
      }
    });
    return written;
  }

  @Override
  public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
    // Not the bridge's: it logs every exception of its socket at ERROR, answers it with an error frame and forgets
    // the socket (its ping timer, its registrations) while the connection may stay open. Every exception here is
    // about the client's connection: one that closed (the client went away, or the server closed it for idling or
    // a slow reader), a frame the WebSocket decoder refused (Netty closes the connection), a message over the
    // 16 KiB limit sent in pieces (which Vert.x refuses without closing). A debug line, and the socket is closed if
    // it is not closing already; its close handler does the cleaning up, and the client reconnects and resumes.
    inner.exceptionHandler(handler == null ? null : failure -> {
      log.debug("live socket from {}: {}", ip, failure.getClass().getSimpleName());
      if (closed || failure instanceof HttpClosedException || failure instanceof java.io.IOException
          || failure instanceof CorruptedFrameException) {
        return;
      }
      boolean tooBig = failure instanceof IllegalStateException;
      close(tooBig ? MESSAGE_TOO_BIG : UNEXPECTED,
          tooBig ? "message too big" : "unexpected condition: reconnect and resume with since");
    });
    return this;
  }

  @Override
  public SockJSSocket pause() {
    inner.pause();
    return this;
  }

  @Override
  public SockJSSocket resume() {
    inner.resume();
    return this;
  }

  @Override
  public SockJSSocket fetch(long amount) {
    inner.fetch(amount);
    return this;
  }

  @Override
  public SockJSSocket endHandler(Handler<Void> endHandler) {
    inner.endHandler(endHandler);
    return this;
  }

  @Override
  public SockJSSocket closeHandler(Handler<Void> closeHandler) {
    Handler<Void> once = v -> {
      if (closeSeen) return;
      closeSeen = true;
      closed = true;
      if (cut != null) cut.cancel(false);
      if (closeHandler != null) closeHandler.handle(v);
    };
    onClose = once;
    inner.closeHandler(once);
    return this;
  }

  @Override
  public SockJSSocket setWriteQueueMaxSize(int maxSize) {
    inner.setWriteQueueMaxSize(maxSize);
    maxUnsent = maxSize;
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    // Parley's frames bypass Vert.x's queue on a raw WebSocket: the channel's own bound is the one that counts.
    if (writer != null) return !writer.writable();
    if (!countsUnsent) return inner.writeQueueFull();
    if (unsent < maxUnsent) return false;
    drainWanted = true;
    return true;
  }

  /** Kept for every drain (the SockJS session forgets its handler after one call, and calls it after any write). */
  @Override
  public SockJSSocket drainHandler(Handler<Void> handler) {
    if (writer != null) {
      writer.onWritable(handler == null ? null : () -> handler.handle(null));
    } else if (countsUnsent) {
      drainHandler = handler;
    } else {
      inner.drainHandler(handler);
    }
    return this;
  }

  @Override
  public Future<Void> end() {
    return inner.end();
  }

  @Override
  public void close() {
    closed = true;
    stopFrames();
    inner.close();
  }

  @Override
  public void close(int statusCode, String reason) {
    closed = true;
    stopFrames();
    inner.close(statusCode, reason);
    cutAfterGrace();
  }

  @Override
  public void closeAfterSessionExpired() {
    closed = true;
    stopFrames();
    if (inner instanceof SockJSSocketBase base) {
      base.closeAfterSessionExpired();
    } else {
      inner.close();
    }
  }

  /** Nothing of Parley's may follow the close frame, which Vert.x may still hold in its queue. */
  private void stopFrames() {
    if (writer != null) writer.stop();
  }

  @Override
  public SocketAddress remoteAddress() {
    return inner.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return inner.localAddress();
  }

  @Override
  public MultiMap headers() {
    return inner.headers();
  }

  @Override
  public String uri() {
    return inner.uri();
  }

  /** The inner socket's: none on a raw WebSocket, which holds no RoutingContext ({@link BridgeWebSocket}). */
  @Override
  public Session webSession() {
    return inner.webSession();
  }

  @Override
  public User webUser() {
    return inner.webUser();
  }

  /**
   * Admits the WebSocket's ping and pong frames as the socket's messages are admitted ({@link #admit}): each counts
   * against the socket's and its address's frame limits, and one that arrives while the socket's queue is full closes
   * it as a slow consumer; a ping the channel itself has no room to answer is dropped. A frame not admitted is dropped
   * unanswered. Unchecked, a client that sent pings and never read the pongs made the server hold every pong: a few
   * million pings ran the heap out in seconds (found by sending them; TransportTest). Sits just after the WebSocket
   * decoder, on the socket's event loop.
   */
  static final class PingGuard extends ChannelInboundHandlerAdapter {

    private final GuardedSocket socket;

    private PingGuard(GuardedSocket socket) {
      this.socket = socket;
    }

    static void install(Channel channel, GuardedSocket socket) {
      ChannelPipeline pipeline = channel.pipeline();
      ChannelHandlerContext decoder = pipeline.context(WebSocketFrameDecoder.class);
      if (decoder == null) return;
      pipeline.addAfter(decoder.name(), "parley-pings", new PingGuard(socket));
      // A text message that is not UTF-8 fails the connection with 1007, as RFC 6455 (8.1) requires: Vert.x read it
      // with replacement characters and the bridge acted on it. Netty's validator follows fragmented messages; it
      // sits after the encoder, which its close frame must pass on its way out.
      ChannelHandlerContext encoder = pipeline.context(WebSocketFrameEncoder.class);
      if (encoder != null) pipeline.addAfter(encoder.name(), "parley-utf8", new Utf8FrameValidator(true));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      // A ping the channel has no room to answer is dropped unanswered (Vert.x's pong goes to the channel, past
      // Parley's own count on a SockJS session, whose channel keeps Netty's 64 KiB bound): the socket is not closed
      // for it, its queue may be a replay draining to a slow but live reader.
      if ((msg instanceof PingWebSocketFrame || msg instanceof PongWebSocketFrame)
          && (!socket.admit() || msg instanceof PingWebSocketFrame && !ctx.channel().isWritable())) {
        ReferenceCountUtil.release(msg);
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** A token bucket for one socket, used only from its event loop. */
  static final class TokenBucket {
    private final double capacity;
    private final double perNano;
    private double tokens;
    private long updated = System.nanoTime();

    TokenBucket(Limit limit) {
      this.capacity = limit.count();
      this.perNano = limit.count() / (double) limit.window().toNanos();
      this.tokens = capacity;
    }

    boolean tryTake() {
      long now = System.nanoTime();
      tokens = Math.min(capacity, tokens + (now - updated) * perNano);
      updated = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }
  }
}
