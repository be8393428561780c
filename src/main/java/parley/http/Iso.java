package parley.http;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;

/** How every time leaves the server: ISO-8601 in UTC with millisecond precision, e.g. 2026-11-26T17:20:57.123Z. */
public final class Iso {

  /**
   * Always three digits of fraction: Instant's own toString leaves out a fraction of zero ("17:20:57Z"), which breaks
   * the promised shape, and the order of two times compared as text (a report at 57.000 sorted after an edit at 57.005).
   */
  private static final DateTimeFormatter FORMAT = new DateTimeFormatterBuilder().appendInstant(3).toFormatter();

  private Iso() {
  }

  public static String format(OffsetDateTime time) {
    return time == null ? null : FORMAT.format(time.toInstant());
  }
}
