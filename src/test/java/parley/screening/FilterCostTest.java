package parley.screening;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a moderator's pattern may cost a text: counts that multiply past 100 are refused (a review's 31-character
 * pattern did 8.9 s of work on one comment without one read of the text, which the step budget counts), and the
 * patterns share one budget of steps on one text (words have their own: one pass each).
 */
class FilterCostTest {

  @Test
  void countsThatMultiplyPastAThousandAreRefusedHoweverWrittenAndEverydayPatternsAreNot() {
    for (String costly : List.of("((((){100}){100}){100}){3}\\z\\A", "a{101}", "(a){200,}", "a{1,5000}",
        "((a){10}){11}", "\\d{5000}", "(\\d{10}){11}", "x{1000}", "(\\w{1,30}\\s){1,10}", "(){1000}x",
        // Past a first version of the check (a review): an empty \Q\E between a group and its count, comments mode,
        // an escape followed by < or { that is not Java's \k<…> or \p{…}.
        "(((()\\Q\\E{100})\\Q\\E{100})\\Q\\E{100})\\Q\\E{3}\\z\\A", "(?x)(((() {100}) {100}) {100}) {3}\\z\\A",
        "(?ix)a", "(?:\\s<?)?((((){100}){100}){100}){3}>?\\z\\A", "(\\s{10}){200}")) {
      assertNotNull(Filter.tooCostly(costly), costly);
      assertThrows(IllegalArgumentException.class, () -> Filter.compile(Filter.PATTERN, costly), costly);
    }
    for (String fine : List.of("free[\\s\\S]*money", "free(.|\\s)*money", "buy\\s+now", "(a+)?b", "(ab)*c",
        "\\p{L}{2,5}", "\\x{263A}+", "[a{]+x", "[(a+)+]*", "\\Q(a{5000})\\E", "casino.*bonus", "x{100}", "a{2}",
        "(?i)(?:viagra|cialis)+", "\\(a+\\)+", "(?<w>ab)+", "\\d{3}-\\d{4}", "(a+)+", "(.*a){20}b",
        "([0-9]{3}[-. ]?){2}", "(\\d{3}[-. ]?){2}", "(\\w+\\s){1,10}", "(?<w>a)\\k<w>{2}")) {
      assertNull(Filter.tooCostly(fine), fine);
      Filter.compile(Filter.PATTERN, fine);
    }
  }

  /**
   * The patterns share one budget on one text: one that spends it leaves the next unsure, never run; a word has a
   * budget of its own (one pass over the text: a review's 25 word entries held every long post when they shared it).
   */
  @Test
  void theListsPatternsShareOneBudgetOfStepsOnOneTextAndWordsHaveTheirOwn() {
    Filter slow = new Filter(1, Filter.PATTERN, ".*a.*a.*a.*b", Filter.REFUSE, null, null,
        Filter.compile(Filter.PATTERN, ".*a.*a.*a.*b"));
    Filter quick = new Filter(2, Filter.PATTERN, "zzz", Filter.REFUSE, null, null,
        Filter.compile(Filter.PATTERN, "zzz"));
    Filter word = new Filter(3, Filter.WORD, "zzz", Filter.HOLD, null, null, Filter.compile(Filter.WORD, "zzz"));
    String text = "a".repeat(400) + " zzz";
    assertEquals(Filter.Outcome.MATCH, quick.test(text), "alone, with a budget of its own");
    long[] left = {Filter.STEPS_PER_MATCH};
    assertEquals(Filter.Outcome.UNSURE, slow.test(text, left));
    assertTrue(left[0] <= 0, "spent");
    assertEquals(Filter.Outcome.UNSURE, quick.test(text, left), "nothing left for the next pattern");
    assertEquals(Filter.Outcome.MATCH, word.test(text, left), "a word checks on its own budget");
    Filter neverRun = new Filter(4, Filter.PATTERN, "((a){100}){100}", Filter.HOLD, null, null, null);
    assertEquals(Filter.Outcome.UNSURE, neverRun.test("b", new long[] {Filter.STEPS_PER_MATCH}),
        "an entry listed before the rule is never run");
    assertEquals("the pattern /((a){100}){100}/ (filter 4) costs too much to run, and is not run: remove it",
        neverRun.unsure());
    assertEquals("could not be checked against the pattern /.*a.*a.*a.*b/ in time (filter 1)", slow.unsure());
  }
}
