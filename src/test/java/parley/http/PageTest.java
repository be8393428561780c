package parley.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Cursors: an id alone for lists in id order, a sort key and an id for sorted lists; nothing else is accepted. */
class PageTest {

  @Test
  void anIdCursorRoundTrips() {
    Page page = Page.decode(20, Page.encode(null, 42));
    assertEquals(42L, page.after());
    assertNull(page.afterKey());
  }

  @Test
  void aSortKeyAndIdCursorRoundTripsWhateverTheKeyHolds() {
    for (String key : new String[] {"12.5", "2026-11-30T06:25:53Z", "a:b:c", "ünïcödé", ""}) {
      Page page = Page.decode(20, Page.encode(key, 7));
      assertEquals(7L, page.after(), key);
      assertEquals(key, page.afterKey());
    }
  }

  @Test
  void cursorsFromBeforeSortedListsStillWork() {
    // "after:42" base64url: what every id-ordered list has issued so far.
    assertEquals(42L, Page.decode(20, "YWZ0ZXI6NDI").after());
  }

  @Test
  void anythingElseIsA400OnTheCursor() {
    for (String bad : new String[] {"nope", "YWZ0ZXI6MA", "YWZ0ZXI6LTE", "YWZ0ZXI6eA", "%%%", "YWZ0ZXI6MTphOmI"}) {
      Problem p = assertThrows(Problem.class, () -> Page.decode(20, bad), bad);
      assertEquals(400, p.status());
      assertEquals("cursor", p.errors().get(0).field());
    }
  }
}
