package parley;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One log line per event in the text format, whatever the message quotes: a line break, an escape or a NUL from what
 * a client or a webhook receiver sent (Vert.x logs a broken answer's bytes at ERROR) shows as U+FFFD, so no message
 * starts a line of its own making or writes a terminal's escapes. The shipped logback.xml, as the jar runs it.
 */
class LogLinesTest {

  @Test
  void aMessageIsOneLineWithItsControlCharactersShownAsReplacements() throws Exception {
    LoggerContext context = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(LogLinesTest.class.getResource("/logback.xml"));
    Logger logger = context.getLogger("parley.webhook.Sender");
    OutputStreamAppender<?> text = (OutputStreamAppender<?>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("text");
    @SuppressWarnings("unchecked")
    var encoder = (ch.qos.logback.core.encoder.Encoder<ch.qos.logback.classic.spi.ILoggingEvent>) text.getEncoder();
    LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.ERROR,
        "invalid version format: HT\u0000TP/1.1\r\n2026-12-07T00:00:00.000Z INFO  [main] parley.Main - forged\u001b[2J\tend",
        null, null);
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertTrue(line.endsWith(" ERROR [" + Thread.currentThread().getName() + "] parley.webhook.Sender - invalid version "
        + "format: HT\uFFFDTP/1.1\uFFFD\uFFFD2026-12-07T00:00:00.000Z INFO  [main] parley.Main - forged\uFFFD[2J\tend"
        + System.lineSeparator()), line);
    assertEquals(1, line.lines().count(), line);
  }
}
