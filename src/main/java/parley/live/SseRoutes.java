package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.account.Identity;
import parley.config.AppConfig;
import parley.events.Topics;
import parley.http.ClientIp;
import parley.http.PathIds;
import parley.http.RateLimiter;
import parley.access.Principal;
import parley.http.Problem;
import parley.http.RequestGuards;


/**
 * A thread's events as Server-Sent Events, for the simplest clients: the same events, order and filtering as the
 * bridge, the seq as the event id (so a browser's automatic Last-Event-ID resumes exactly), and heartbeats.
 */
public final class SseRoutes {

  private final Vertx vertx;
  private final Live live;
  private final AppConfig config;
  private final RateLimiter limits;

  public SseRoutes(Vertx vertx, Live live, AppConfig config, RateLimiter limits) {
    this.vertx = vertx;
    this.live = live;
    this.config = config;
    this.limits = limits;
  }

  public void mount(Router router) {
    router.get("/api/posts/:postId/events").handler(this::stream);
  }

  private void stream(RoutingContext ctx) {
    long postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    String raw = lastEventId != null ? lastEventId : ctx.request().getParam("since");
    Long since;
    try {
      since = Live.since(raw);
    } catch (IllegalArgumentException e) {
      throw Problem.invalid(lastEventId != null ? "Last-Event-ID" : "since", "must be a whole number from 0 to " + Long.MAX_VALUE);
    }
    // Opening a stream costs database reads, like a bridge registration, and counts against the same limit.
    limits.takeHere(AppConfig.LIMIT_LIVE_REGISTERS_IP, "live:" + ClientIp.of(ctx, config.trustedProxies()));
    // A signed-in stream is a signed-in action: a banned account is refused (it may read without its token).
    if (Principal.current(ctx).isPresent()) Principal.active(ctx);
    String topic = Topics.post(postId);
    long changesWhenRead = live.accountChanges();
    live.reader(Identity.current(ctx))
        .compose(reader -> live.admit(reader, topic))
        .map(admitted -> admitted.orElseThrow(() -> Problem.notFound("No such post.")))
        .onSuccess(ok -> {
          if (ctx.get(RequestGuards.HEAD) != null) {
            // A HEAD (rerouted as GET) gets the answer a GET would, checks and all, without a stream being opened:
            // a thread the reader may not follow is a 404 to both.
            streamHeaders(ctx.response()).end();
            return;
          }
          // Without Last-Event-ID the stream starts where the check above saw the thread, so nothing after it
          // (a moderator hiding the thread) is missed.
          open(ctx, ok, topic, since != null ? since : ok.seq(), changesWhenRead);
        })
        .onFailure(ctx::fail);
  }

  /** An event stream's headers, the same for a GET that opens it and a HEAD that does not. */
  private static HttpServerResponse streamHeaders(HttpServerResponse response) {
    return response.putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        // Compression would hold events back in the compressor's buffer.
        .putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY)
        .putHeader("X-Accel-Buffering", "no");
  }

  private void open(RoutingContext ctx, Live.Admitted admitted, String topic, Long since, long changesWhenRead) {
    HttpServerResponse response = streamHeaders(ctx.response()).setChunked(true);
    response.setWriteQueueMaxSize(config.liveQueueBytes());
    SseSink sink = new SseSink(ctx);
    response.write("retry: 2000\n\n");
    long heartbeat = vertx.setPeriodic(config.sseHeartbeat().toMillis(), id -> sink.heartbeat());
    Future<LiveHub.Subscription> subscription = live.subscribe(sink, admitted, topic, since, changesWhenRead)
        .onFailure(e -> sink.overflow());
    live.meters().streamOpened();
    boolean[] ended = {false};
    Runnable end = () -> {
      sink.closed = true;
      if (ended[0]) return;
      ended[0] = true;
      live.meters().streamClosed();
      vertx.cancelTimer(heartbeat);
      subscription.onSuccess(live::unsubscribe);
    };
    // Ended by the server (a revocation: the connection stays open for the client's next request) or cut by the
    // client: either way the stream is counted closed and its heartbeat stops. (The connection's own close handler
    // is one slot, which the connection's next request takes: it cannot be what ends this stream.)
    sink.onEnd = end;
    response.closeHandler(v -> end.run());
    // The client may have left while the stream was being prepared; close handlers set now would never run.
    if (response.closed()) end.run();
  }

  /** One SSE response. */
  private static final class SseSink implements Sink {
    private final RoutingContext ctx;
    private final Drain drain;
    boolean closed;
    /** Counts the stream closed and stops its heartbeat; run when the server ends the response. */
    Runnable onEnd = () -> { };

    SseSink(RoutingContext ctx) {
      this.ctx = ctx;
      this.drain = new Drain(ctx.response(), ctx.response()::writeQueueFull);
    }

    void heartbeat() {
      if (!closed && !ctx.response().writeQueueFull()) ctx.response().write(": heartbeat\n\n");
    }

    @Override
    public void send(String topic, Delivery delivery) {
      if (!closed) ctx.response().write(delivery.sseFrame());
    }

    @Override
    public void resync(String topic, Long headSeq) {
      if (!closed) {
        ctx.response().write(Delivery.sseResync(topic, headSeq));
      }
    }

    @Override
    public String transport() {
      return SSE;
    }

    @Override
    public boolean writeQueueFull() {
      return ctx.response().writeQueueFull();
    }

    @Override
    public Future<Void> replayTurn() {
      return drain.turn();
    }

    @Override
    public void endReplayTurn() {
      drain.endTurn();
    }

    /**
     * Cut at once, below Vert.x: a connection closed through Vert.x waits for the response's queue to drain, which a
     * reader that stopped reading never does, so the stream stayed open, its subscription in the hub, until the idle
     * timeout (a probe, 2026-12-04: about 60 s, where a WebSocket is let go within 5). An event stream has no close
     * handshake to wait for: what was queued is dropped, and the client resumes from its Last-Event-ID. (HTTP/1.1
     * only: the server offers no HTTP/2, whose connection would carry other requests.)
     */
    @Override
    public void overflow() {
      if (closed) return;
      closed = true;
      io.netty.channel.Channel channel = GuardedSocket.channelOf(ctx.request().connection());
      if (channel != null) {
        GuardedSocket.cut(channel);
      } else {
        ctx.request().connection().close();
      }
    }

    /**
     * The node is stopping: the stream ends as a stream, with its last chunk, so the client (curl, a proxy) sees a
     * whole response rather than a cut one, and EventSource reconnects as it would anyway (all 730 streams a
     * rolling-restart probe saw sent away ended cut). A reader whose queue is full is cut, as it would be anyway.
     */
    @Override
    public void goingAway() {
      if (closed) return;
      if (ctx.response().writeQueueFull()) {
        overflow();
        return;
      }
      closed = true;
      ctx.response().end();
      onEnd.run();
    }

    /**
     * The reader must be admitted afresh (its access changed, a replay could not be read): the stream ends as a
     * stream, as when the node stops, and EventSource reconnects with its Last-Event-ID; it was cut at the TCP level,
     * which a client cannot tell from a network fault (an integrator's probe, 2026-12-05).
     */
    @Override
    public void reconnect(String why) {
      // A delivery that failed may have left the response broken: cut, as before.
      if (why.startsWith("delivery failed")) {
        overflow();
        return;
      }
      try {
        goingAway();
      } catch (RuntimeException broken) {
        closed = false;
        overflow();
      }
    }

    @Override
    public void revoke(String topic, String reason) {
      if (closed) return;
      closed = true;
      ctx.response().end("event: error\ndata: " + reason + "\n\n");
      onEnd.run();
    }

    @Override
    public boolean isClosed() {
      return closed;
    }
  }
}
