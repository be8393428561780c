package parley.screening;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a moderator's pattern may cost a text: no repetition of a group that repeats inside (a review's 31-character
 * pattern did 8.9 s of work on one comment without one read of the text, which the step budget counts), no count above
 * 1,000, and one budget of steps for the whole list on one text.
 */
class FilterCostTest {

  @Test
  void nestedRepetitionsAndHugeCountsAreRefusedAndEverydayPatternsAreNot() {
    for (String costly : List.of("((((){100}){100}){100}){3}\\z\\A", "(a+)+", "(.*a){20}b", "(x*y){2,}",
        "((ab)*c)*", "(?:\\s*word)+", "a{1001}", "(a){2000,}", "a{1,5000}", "((a|b)+)+$")) {
      assertNotNull(Filter.tooCostly(costly), costly);
      assertThrows(IllegalArgumentException.class, () -> Filter.compile(Filter.PATTERN, costly), costly);
    }
    for (String fine : List.of("free[\\s\\S]*money", "free(.|\\s)*money", "buy\\s+now", "(a+)?b", "(ab)*c",
        "\\p{L}{2,5}", "\\x{263A}+", "[a{]+x", "[(a+)+]*", "\\Q(a+)+\\E", "casino.*bonus", "x{1000}", "a{2}",
        "(?i)(?:viagra|cialis)+", "\\(a+\\)+", "(?<w>ab)+", "\\d{3}-\\d{4}")) {
      assertNull(Filter.tooCostly(fine), fine);
      Filter.compile(Filter.PATTERN, fine);
    }
  }

  /** The budget is the list's on one text: an entry that spends it leaves the next one unsure, and never run. */
  @Test
  void oneBudgetOfStepsIsSharedByTheWholeListOnOneText() {
    Filter slow = new Filter(1, Filter.PATTERN, ".*a.*a.*a.*b", Filter.REFUSE, null, null,
        Filter.compile(Filter.PATTERN, ".*a.*a.*a.*b"));
    Filter quick = new Filter(2, Filter.WORD, "zzz", Filter.REFUSE, null, null,
        Filter.compile(Filter.WORD, "zzz"));
    String text = "a".repeat(400) + " zzz";
    assertEquals(Filter.Outcome.MATCH, quick.test(text), "alone, with a budget of its own");
    long[] left = {Filter.STEPS_PER_MATCH};
    assertEquals(Filter.Outcome.UNSURE, slow.test(text, left));
    assertTrue(left[0] <= 0, "spent");
    assertEquals(Filter.Outcome.UNSURE, quick.test(text, left), "nothing left for the next entry");
    Filter neverRun = new Filter(3, Filter.PATTERN, "(a+)+", Filter.HOLD, null, null, null);
    assertEquals(Filter.Outcome.UNSURE, neverRun.test("b", new long[] {Filter.STEPS_PER_MATCH}),
        "an entry listed before the rule is never run");
  }
}
