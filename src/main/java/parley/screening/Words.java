package parley.screening;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The word entries of the moderators' list, looked for in a text all at once. Each entry is a pattern of its own
 * ({@link Filter#compile}), and each ran over the whole text: on a post of 40,000 characters, 25 words took 17 ms
 * of an event loop, 200 took 134 ms and 1,000 took 660 ms (ScreeningBenchmark, 2026-12-07). Here one pass over the
 * text finds the entries whose letters occur in it, compared as the pattern compares them (each character's upper
 * case's lower case), and only those run their pattern, which also checks what stands either side. An entry whose
 * letters do not occur cannot match; so the outcome is the patterns' own, entry for entry.
 */
final class Words {

  /** Keys of the entries' first two characters, hashed into a bit set, so most places in a text are passed at once. */
  private static final int HINT_BITS = 1 << 16;

  private final List<Filter> filters;
  /** Per entry of {@link #filters}: its characters compared as the pattern compares them; null if not a word here. */
  private final char[][] folded;
  /** Entries of two characters or more, by their first two; entries of one character, by it. */
  private final Map<Integer, int[]> byPair = new HashMap<>();
  private final Map<Integer, int[]> bySingle = new HashMap<>();
  private final BitSet pairHints = new BitSet(HINT_BITS);
  /**
   * Entries this index does not look for (empty, with characters outside the Basic Multilingual Plane, or whose
   * folded characters fold again to others): always run.
   */
  private final BitSet alwaysRun = new BitSet();

  Words(List<Filter> filters) {
    this.filters = filters;
    this.folded = new char[filters.size()][];
    Map<Integer, List<Integer>> pairs = new HashMap<>();
    Map<Integer, List<Integer>> singles = new HashMap<>();
    for (int i = 0; i < filters.size(); i++) {
      Filter filter = filters.get(i);
      if (!Filter.WORD.equals(filter.kind())) continue;
      String word = filter.pattern();
      if (word.isEmpty() || hasSurrogates(word)) {
        alwaysRun.set(i);
        continue;
      }
      char[] f = new char[word.length()];
      boolean settled = true;
      for (int j = 0; j < f.length; j++) {
        f[j] = fold(word.charAt(j));
        // The pattern also takes a character equal to the folded one as it stands: looked for folded, as here, that
        // is the same only where folding the folded one changes nothing (so far every character; checked, not assumed).
        settled &= fold(f[j]) == f[j];
      }
      if (!settled) {
        alwaysRun.set(i);
        continue;
      }
      folded[i] = f;
      if (f.length == 1) {
        singles.computeIfAbsent((int) f[0], k -> new java.util.ArrayList<>()).add(i);
      } else {
        int key = pair(f[0], f[1]);
        pairs.computeIfAbsent(key, k -> new java.util.ArrayList<>()).add(i);
        pairHints.set(hint(key));
      }
    }
    pairs.forEach((key, list) -> byPair.put(key, list.stream().mapToInt(Integer::intValue).toArray()));
    singles.forEach((key, list) -> bySingle.put(key, list.stream().mapToInt(Integer::intValue).toArray()));
  }

  /** The list these words were taken from. */
  List<Filter> filters() {
    return filters;
  }

  /**
   * The positions in {@link #filters} of the word entries that may match {@code text}: those whose letters occur
   * in it, and those this index cannot look for. Every other word entry does not match it.
   */
  BitSet mayMatch(String text) {
    BitSet found = (BitSet) alwaysRun.clone();
    if (byPair.isEmpty() && bySingle.isEmpty()) return found;
    int n = text.length();
    char next = n == 0 ? 0 : fold(text.charAt(0));
    for (int i = 0; i < n; i++) {
      char c = next;
      if (i + 1 < n) {
        next = fold(text.charAt(i + 1));
        int key = pair(c, next);
        if (pairHints.get(hint(key))) {
          int[] candidates = byPair.get(key);
          if (candidates != null) look(text, i, candidates, found);
        }
      }
      if (!bySingle.isEmpty()) {
        int[] candidates = bySingle.get((int) c);
        if (candidates != null) for (int w : candidates) found.set(w);
      }
    }
    return found;
  }

  private void look(String text, int at, int[] candidates, BitSet found) {
    for (int w : candidates) {
      if (found.get(w)) continue;
      char[] f = folded[w];
      if (at + f.length > text.length()) continue;
      boolean same = true;
      for (int j = 2; j < f.length && same; j++) same = fold(text.charAt(at + j)) == f[j];
      if (same) found.set(w);
    }
  }

  /**
   * A character as a case-insensitive Unicode pattern compares it (java.util.regex's literal with
   * CASE_INSENSITIVE and UNICODE_CASE: the lower case of its upper case). Surrogates stay as they are.
   */
  static char fold(char c) {
    return Character.toLowerCase(Character.toUpperCase(c));
  }

  private static int pair(char a, char b) {
    return (a << 16) | b;
  }

  private static int hint(int key) {
    return (key * 0x9E3779B1) >>> 16;
  }

  private static boolean hasSurrogates(String word) {
    for (int i = 0; i < word.length(); i++) {
      if (Character.isSurrogate(word.charAt(i))) return true;
    }
    return false;
  }
}
