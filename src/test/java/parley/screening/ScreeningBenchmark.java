package parley.screening;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

/**
 * What the moderators' word entries cost one long post, on the thread that screens it (an event loop): each entry's
 * own pattern run over the text (as every entry was until 2026-12-07), against {@link Words}' one pass and the
 * patterns of the words it finds, and against the floor of one pass that only folds each character. Best of seven,
 * warm, in this JVM alone (docs/BENCHMARKS.md, "Screening a long post").
 *
 * <pre>./mvnw -q -o exec:java -Dexec.mainClass=parley.screening.ScreeningBenchmark</pre>
 */
public final class ScreeningBenchmark {

  public static void main(String[] args) {
    // Prose of 40,000 characters (a post's most), with one of the listed words in it.
    String text = ("Ordinary prose about gardens, weather and the price of bread in town. ").repeat(600)
        .substring(0, 39_990) + " spamword7";
    System.out.printf("%-8s %14s %14s %14s%n", "words", "each (ms)", "one pass (ms)", "floor (ms)");
    for (int size : new int[] {25, 200, 1000}) {
      List<Filter> filters = new ArrayList<>();
      Random random = new Random(size);
      for (int i = 0; i < size; i++) {
        String word = i == 7 ? "spamword7" : "spamword" + i + (char) ('a' + random.nextInt(26));
        filters.add(new Filter(i, Filter.WORD, word, Filter.HOLD, null, null, Filter.compile(Filter.WORD, word)));
      }
      Words words = new Words(filters);
      double each = best(() -> {
        int matched = 0;
        for (Filter filter : filters) if (filter.test(text) == Filter.Outcome.MATCH) matched++;
        return matched;
      });
      double onePass = best(() -> {
        BitSet may = words.mayMatch(text);
        int matched = 0;
        for (int i = may.nextSetBit(0); i >= 0; i = may.nextSetBit(i + 1)) {
          if (filters.get(i).test(text) == Filter.Outcome.MATCH) matched++;
        }
        return matched;
      });
      double floor = best(() -> {
        int sum = 0;
        for (int i = 0; i < text.length(); i++) sum += Words.fold(text.charAt(i));
        return sum == 0 ? 0 : 1;
      });
      System.out.printf("%-8d %14.2f %14.2f %14.2f%n", size, each, onePass, floor);
    }
  }

  /** The best of seven timed runs, after three to warm up, in milliseconds; each run must find one match. */
  private static double best(java.util.function.IntSupplier run) {
    double best = Double.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      long start = System.nanoTime();
      int matched = run.getAsInt();
      double ms = (System.nanoTime() - start) / 1e6;
      if (matched != 1) throw new IllegalStateException("found " + matched + " matches, not 1");
      if (i >= 3) best = Math.min(best, ms);
    }
    return best;
  }
}
