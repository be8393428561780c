package parley.http;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import parley.CapturedLog;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A repeating warning is written once per interval, the ones between counted into the next line. */
class ThrottledWarningTest {

  @Test
  void theFirstIsWrittenTheRestAreCountedIntoTheNext() throws Exception {
    String name = "parley.test.throttled";
    try (CapturedLog captured = new CapturedLog(name)) {
      long[] now = {0};
      ThrottledWarning warning = new ThrottledWarning(LoggerFactory.getLogger(name), Duration.ofSeconds(10),
          () -> now[0]);
      for (int i = 0; i < 50; i++) {
        warning.warn("Attempt {} failed", i);
        now[0] += Duration.ofMillis(100).toNanos();
      }
      assertEquals(List.of("Attempt 0 failed"), captured.messages(), "one line for five seconds of failures");
      now[0] += Duration.ofSeconds(6).toNanos();
      warning.warn("Attempt {} failed", 50);
      assertEquals(List.of("Attempt 0 failed", "Attempt 50 failed (and 49 more like it since the last such line)"),
          captured.messages());
      assertEquals(List.of(Level.WARN, Level.WARN), captured.levels());
    }
  }

  @Test
  void warningsStillHeldWhenTheTroubleEndsAreToldThenAndOnlyOnce() throws Exception {
    String name = "parley.test.throttled.recovered";
    try (CapturedLog captured = new CapturedLog(name)) {
      long[] now = {0};
      ThrottledWarning warning = new ThrottledWarning(LoggerFactory.getLogger(name), Duration.ofSeconds(10),
          () -> now[0]);
      warning.recovered();
      assertEquals(List.of(), captured.messages(), "nothing held, nothing told");
      for (int i = 0; i < 5; i++) {
        warning.warn("Attempt {} failed", i);
        now[0] += Duration.ofMillis(100).toNanos();
      }
      warning.recovered();
      warning.recovered();
      assertEquals(List.of("Attempt 0 failed",
          "Attempt 4 failed (and 4 like it since the last such line; the next attempt succeeded)"), captured.messages());
      // A new run of failures starts its own count.
      now[0] += Duration.ofSeconds(20).toNanos();
      warning.warn("Attempt {} failed", 9);
      assertEquals("Attempt 9 failed", captured.messages().get(2));
    }
  }
}
