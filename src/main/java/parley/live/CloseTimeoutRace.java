package parley.live;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

import java.util.concurrent.atomic.LongAdder;

/**
 * Netty's warning for one known harmless race in Vert.x 5.0.7's WebSocket close, logged at DEBUG and counted
 * instead (docs/upstream/vertx-websocket-close-timeout-race.md). A server close whose close frame is still in Vert.x's
 * own outbound queue when the connection goes (a slow consumer's, cut after {@link GuardedSocket#CLOSE_GRACE}; or any
 * whose client vanished) has its closing timeout started after the connection's close already cancelled it: the queue
 * is disposed at the close, failing the frame's write, and that failure is what starts the timer. Ten seconds later
 * the timer closes the closed connection again with a promise already completed, and Netty logs
 * {@code IllegalArgumentException: promise already done} with a 30-line stack trace at WARN, per socket. Nothing is
 * left open and nothing is lost; an operator would look for a fault that is not there.
 *
 * <p>A logback turbo filter ({@code logback.xml}), because Netty logs it from its own promise's listener loop, outside
 * anything Parley calls. Only this: the exception, its message, and a stack through Vert.x's connection close.
 */
public final class CloseTimeoutRace extends TurboFilter {

  /** The logger Netty warns through when a promise's listener throws. */
  static final String NETTY_PROMISE_LOGGER = "io.netty.util.concurrent.DefaultPromise";

  private static final LongAdder SEEN = new LongAdder();
  private static final org.slf4j.Logger log = LoggerFactory.getLogger(CloseTimeoutRace.class);

  /** How many times this process has seen the race ({@code parley_live_close_timeout_races_total}). */
  public static long seen() {
    return SEEN.sum();
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.WARN || t == null || !NETTY_PROMISE_LOGGER.equals(logger.getName()) || !isKnownRace(t)) {
      return FilterReply.NEUTRAL;
    }
    SEEN.increment();
    log.debug("Vert.x's WebSocket closing timeout ran after its connection had closed; nothing was left open", t);
    return FilterReply.DENY;
  }

  /** Netty's refusal of a completed promise, met while Vert.x closes a connection it already closed. */
  static boolean isKnownRace(Throwable t) {
    if (!(t instanceof IllegalArgumentException) || t.getMessage() == null
        || !t.getMessage().startsWith("promise already done")) {
      return false;
    }
    boolean vertxClose = false;
    boolean webSocket = false;
    for (StackTraceElement frame : t.getStackTrace()) {
      if (frame.getClassName().equals("io.vertx.core.net.impl.VertxConnection")
          && frame.getMethodName().startsWith("lambda$writeClose")) {
        vertxClose = true;
      }
      if (frame.getClassName().equals("io.vertx.core.http.impl.WebSocketConnectionImpl")) webSocket = true;
    }
    return vertxClose && webSocket;
  }
}
