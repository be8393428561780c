package parley.live;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Only Vert.x's WebSocket close race is quieted (CloseTimeoutRace): the same words from another close, another
 * exception on that path, or the same exception through another logger or level stay as they are.
 */
class CloseTimeoutRaceTest {

  /** The stack Netty logged (CI, 2026-12-04), top frames first. */
  private static Throwable thrown(String message, String closer, String via) {
    IllegalArgumentException e = new IllegalArgumentException(message);
    e.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("io.netty.channel.AbstractChannelHandlerContext", "isNotValidPromise", "A.java", 903),
        new StackTraceElement("io.netty.channel.AbstractChannelHandlerContext", "close", "A.java", 616),
        new StackTraceElement(closer, "lambda$writeClose$2", "VertxConnection.java", 392),
        new StackTraceElement("io.netty.util.concurrent.DefaultPromise", "notifyListener0", "D.java", 604),
        new StackTraceElement("io.vertx.core.net.impl.VertxConnection", "writeClose", "VertxConnection.java", 394),
        new StackTraceElement(via, "finishClose", "WebSocketConnectionImpl.java", 208),
        new StackTraceElement("io.netty.util.concurrent.ScheduledFutureTask", "run", "S.java", 160)});
    return e;
  }

  private static final String DONE = "promise already done: ConnectionBase$CloseChannelPromise@68081bb0(success)";
  private static final String CONNECTION = "io.vertx.core.net.impl.VertxConnection";
  private static final String WEB_SOCKET = "io.vertx.core.http.impl.WebSocketConnectionImpl";

  @Test
  void theWebSocketsSecondCloseIsTheKnownRaceAndNothingElseIs() {
    assertTrue(CloseTimeoutRace.isKnownRace(thrown(DONE, CONNECTION, WEB_SOCKET)));
    assertFalse(CloseTimeoutRace.isKnownRace(thrown(DONE, CONNECTION, "io.vertx.core.http.impl.Http1xServerConnection")),
        "an HTTP connection's second close is not the WebSocket's race");
    assertFalse(CloseTimeoutRace.isKnownRace(thrown(DONE, "parley.live.GuardedSocket", WEB_SOCKET)),
        "the same words from Parley's own close are a bug to see");
    assertFalse(CloseTimeoutRace.isKnownRace(thrown("invalid promise", CONNECTION, WEB_SOCKET)));
    assertFalse(CloseTimeoutRace.isKnownRace(new IllegalStateException(DONE)));
  }

  @Test
  void itIsDroppedOnlyAsNettysWarning() {
    LoggerContext context = new LoggerContext();
    Logger netty = context.getLogger(CloseTimeoutRace.NETTY_PROMISE_LOGGER);
    Logger other = context.getLogger("io.vertx.core.impl.ContextImpl");
    CloseTimeoutRace filter = new CloseTimeoutRace();
    Throwable race = thrown(DONE, CONNECTION, WEB_SOCKET);
    long before = CloseTimeoutRace.seen();
    assertEquals(FilterReply.DENY, filter.decide(null, netty, Level.WARN, "An exception was thrown", null, race));
    assertEquals(before + 1, CloseTimeoutRace.seen(), "counted");
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, other, Level.WARN, "x", null, race));
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, netty, Level.ERROR, "x", null, race));
    assertEquals(FilterReply.NEUTRAL, filter.decide(null, netty, Level.WARN, "x", null,
        new IllegalArgumentException("promise already done")));
    assertEquals(before + 1, CloseTimeoutRace.seen());
  }

  @Test
  void theShippedLoggingConfigurationInstallsIt() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(CloseTimeoutRaceTest.class.getResource("/logback.xml"));
    assertTrue(context.getTurboFilterList().stream().anyMatch(f -> f instanceof CloseTimeoutRace),
        "logback.xml, as the jar runs it");
  }
}
