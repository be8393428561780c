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

  /**
   * The word entries are looked for in one pass ({@link Words}): an entry it leaves out never matches, so no entry's
   * outcome changes. Checked against every entry's own pattern on random words and texts made of the characters that
   * fold in odd ways (dotless and dotted i, the long s, sharp s, final sigma, the Kelvin sign, title-case letters,
   * a ligature, letters outside the Basic Multilingual Plane with a case, an emoji, digits of other scripts).
   */
  @Test
  void wordsLookedForInOnePassAreThoseThatMayMatchAndNoOther() {
    String[] alphabet = {"a", "A", "b", "s", "S", "\u017f", "\u00df", "k", "K", "\u212a", "i", "I", "\u0131",
        "\u0130", "\u03a3", "\u03c3", "\u03c2", "\u01c4", "\u01c5", "\u01c6", "\ufb00", "f", "\ud801\udc00",
        "\ud801\udc28", "\ud83d\ude00", "\u00e9", "\u00c9", "e\u0301", "\u216b", "\u217b", "\u24d0", "\u24b6",
        "_", "-", " ", ".", "1", "\u0663", "\u4e2d"};
    java.util.Random random = new java.util.Random(20261207);
    int left = 0;
    for (int round = 0; round < 400; round++) {
      List<Filter> filters = new java.util.ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String word = pick(alphabet, random, 1 + random.nextInt(4));
        String kind = i % 4 == 3 ? Filter.PATTERN : Filter.WORD;
        String pattern = kind.equals(Filter.WORD) ? word : java.util.regex.Pattern.quote(word);
        filters.add(new Filter(i, kind, pattern, Filter.HOLD, null, null, Filter.compile(kind, pattern)));
      }
      Words words = new Words(filters);
      for (int t = 0; t < 50; t++) {
        String text = pick(alphabet, random, random.nextInt(30));
        java.util.BitSet may = words.mayMatch(text);
        for (int i = 0; i < filters.size(); i++) {
          Filter filter = filters.get(i);
          if (!filter.kind().equals(Filter.WORD)) {
            assertTrue(!may.get(i), "only words are looked for");
            continue;
          }
          boolean matches = filter.test(text) == Filter.Outcome.MATCH;
          if (matches) assertTrue(may.get(i), filter.describe() + " matches \"" + text + "\" but was left out");
          if (!may.get(i)) left++;
        }
      }
    }
    assertTrue(left > 50_000, "most words are left out of most texts: " + left);
  }

  /** A long list of words on a long text: only the words whose letters are in it are run. */
  @Test
  void aLongListOfWordsRunsOnlyTheWordsInTheText() {
    List<Filter> filters = new java.util.ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String word = "spamword" + i;
      filters.add(new Filter(i, Filter.WORD, word, Filter.HOLD, null, null, Filter.compile(Filter.WORD, word)));
    }
    String text = "Ordinary prose about gardens, the weather, and spamword7 once. ".repeat(600);
    java.util.BitSet may = new Words(filters).mayMatch(text);
    // spamword7, and the words it begins (spamword70 and the like) are not in it: the rest of the text is checked
    // by spamword7's own pattern, whose boundaries leave out what runs on.
    assertEquals(java.util.BitSet.valueOf(new long[] {1L << 7}), may);
    assertEquals(Filter.Outcome.MATCH, filters.get(7).test(text));
  }

  private static String pick(String[] alphabet, java.util.Random random, int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) s.append(alphabet[random.nextInt(alphabet.length)]);
    return s.toString();
  }
}
