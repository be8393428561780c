package parley.http;

import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;

/** How every time leaves the server: ISO-8601 in UTC with millisecond precision, e.g. 2026-11-26T17:20:57.123Z. */
public final class Iso {

  private Iso() {
  }

  public static String format(OffsetDateTime time) {
    return time == null ? null : time.toInstant().truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
