package parley.live;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;

/**
 * A raw WebSocket at /eventbus/websocket as the bridge sees it: vertx-web's own raw transport's socket, less what
 * it keeps of the HTTP request that was upgraded.
 *
 * <p>Each open socket is a subscriber, so what it keeps is kept 19,000 times (docs/BENCHMARKS.md, P1). vertx-web's
 * socket holds the request's {@code RoutingContext} for the socket's life, and with it the request, its response,
 * both sets of headers and the HTTP connection the WebSocket replaced. That connection keeps its own outgoing queue
 * (a 4 KiB array) although nothing is written through it again. Nothing here reads the RoutingContext: Parley's
 * bridge authorises each registration by its token, not by a web session or user, so this socket has none
 * ({@link #webSession()} and {@link #webUser()} are null).
 *
 * <p>Vert.x itself keeps that connection too (see {@link #forgetHttpConnection}).
 */
final class BridgeWebSocket extends SockJSSocketBase {

  private static final Logger log = LoggerFactory.getLogger(BridgeWebSocket.class);
  private static final SockJSHandlerOptions OPTIONS = new SockJSHandlerOptions().setRegisterWriteHandler(false);
  /** {@link VertxHandler}'s {@code connectionFactory}, or null if it cannot be reached (then nothing is released). */
  private static final Field CONNECTION_FACTORY = connectionFactory();

  private final ServerWebSocket ws;
  private final Channel channel;
  /** Set once this side closed: nothing may follow the close frame (Vert.x takes writes until the client answers). */
  private volatile boolean closed;

  /**
   * @param channel the upgraded request's channel, now the WebSocket's (vertx-web hands out a wrapper of the
   *     WebSocket, which does not give it), or null
   */
  BridgeWebSocket(Vertx vertx, ServerWebSocket ws, Channel channel) {
    super(vertx, null, OPTIONS);
    this.ws = ws;
    this.channel = channel;
    if (channel != null) forgetHttpConnection(channel);
  }

  /** The socket's network channel; null where it cannot be reached. */
  Channel channel() {
    return channel;
  }

  /**
   * Lets the upgraded HTTP connection go. Vert.x upgrades a request by putting a new handler in the channel's
   * pipeline with a function that makes the WebSocket's connection when the handler is added; the handler keeps
   * that function for the channel's life although it never calls it again, and the function holds the HTTP
   * connection and its request (Vert.x 5.0.7's ServerWebSocketHandshaker; still so in 5.1). Clearing the field once
   * the handler is in place frees them. Should a later Vert.x rename or seal the field, nothing breaks: the socket
   * keeps them, as it did before.
   */
  static void forgetHttpConnection(Channel channel) {
    ChannelHandler handler = channel.pipeline().get("handler");
    if (CONNECTION_FACTORY == null || !(handler instanceof VertxHandler<?>)) return;
    try {
      CONNECTION_FACTORY.set(handler, null);
    } catch (IllegalAccessException | RuntimeException e) {
      log.debug("the upgraded HTTP connection stays with its WebSocket: {}", e.toString());
    }
  }

  private static Field connectionFactory() {
    try {
      Field field = VertxHandler.class.getDeclaredField("connectionFactory");
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Once, as the class loads: about 9 KiB more per open socket (docs/BENCHMARKS.md, P1); nothing else changes.
      log.warn("Vert.x's VertxHandler.connectionFactory cannot be cleared ({}): each open raw WebSocket keeps the HTTP "
          + "connection it upgraded", e.toString());
      return null;
    }
  }

  @Override
  public SockJSSocket handler(Handler<Buffer> handler) {
    ws.binaryMessageHandler(handler);
    ws.textMessageHandler(handler == null ? null : text -> handler.handle(Buffer.buffer(text)));
    return this;
  }

  @Override
  public SockJSSocket pause() {
    ws.pause();
    return this;
  }

  @Override
  public SockJSSocket resume() {
    ws.resume();
    return this;
  }

  @Override
  public SockJSSocket fetch(long amount) {
    ws.fetch(amount);
    return this;
  }

  @Override
  public Future<Void> write(Buffer data) {
    return closed ? Future.failedFuture("the socket is closed") : ws.writeBinaryMessage(data);
  }

  @Override
  public Future<Void> write(String data) {
    return closed ? Future.failedFuture("the socket is closed") : ws.writeTextMessage(data);
  }

  @Override
  public SockJSSocket setWriteQueueMaxSize(int maxSize) {
    ws.setWriteQueueMaxSize(maxSize);
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return ws.writeQueueFull();
  }

  @Override
  public SockJSSocket drainHandler(Handler<Void> handler) {
    ws.drainHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
    ws.exceptionHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket endHandler(Handler<Void> handler) {
    ws.endHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket closeHandler(Handler<Void> handler) {
    ws.closeHandler(handler);
    return this;
  }

  @Override
  public void close() {
    closed = true;
    ws.close();
  }

  @Override
  public void close(int statusCode, String reason) {
    closed = true;
    ws.close((short) statusCode, reason);
  }

  @Override
  public void closeAfterSessionExpired() {
    close(1001, "Session expired");
  }

  @Override
  public SocketAddress remoteAddress() {
    return ws.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return ws.localAddress();
  }

  /** The upgrade request's headers, less its cookies (as vertx-web's sockets give them). */
  @Override
  public MultiMap headers() {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(ws.headers());
    return headers.remove(HttpHeaders.COOKIE);
  }

  @Override
  public String uri() {
    return ws.uri();
  }

  @Override
  public Session webSession() {
    return null;
  }

  @Override
  public User webUser() {
    return null;
  }
}
