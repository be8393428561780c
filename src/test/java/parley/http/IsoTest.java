package parley.http;

import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every time the server sends has one shape, so clients can parse it and compare two as text. */
class IsoTest {

  @Test
  void aTimeIsUtcWithExactlyThreeDigitsOfFraction() {
    assertEquals("2026-11-26T17:20:57.123Z",
        Iso.format(OffsetDateTime.of(2026, 11, 26, 18, 20, 57, 123_456_789, ZoneOffset.ofHours(1))));
    // A whole second keeps its fraction (Instant.toString gave "2026-11-26T17:20:57Z").
    assertEquals("2026-11-26T17:20:57.000Z", Iso.format(OffsetDateTime.of(2026, 11, 26, 17, 20, 57, 0, ZoneOffset.UTC)));
    assertEquals("2026-11-26T17:20:57.100Z",
        Iso.format(OffsetDateTime.of(2026, 11, 26, 17, 20, 57, 100_000_000, ZoneOffset.UTC)));
    assertNull(Iso.format(null));
    String whole = Iso.format(OffsetDateTime.of(2026, 11, 26, 17, 20, 57, 0, ZoneOffset.UTC));
    String later = Iso.format(OffsetDateTime.of(2026, 11, 26, 17, 20, 57, 5_000_000, ZoneOffset.UTC));
    assertTrue(whole.compareTo(later) < 0, "as text, in time order: " + whole + " < " + later);
  }
}
