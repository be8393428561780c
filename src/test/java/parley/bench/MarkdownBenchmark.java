package parley.bench;

import org.commonmark.ext.autolink.AutolinkExtension;
import org.commonmark.ext.autolink.AutolinkType;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import parley.markdown.Markdown;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What rendering a comment's Markdown costs the server's CPU, and the autolink pass's share of it (issue 14, P5: a
 * comment must cost the two cores under 0.8 ms in all for 2,500 a second). Single-threaded, in this process, no
 * database: Parley's own {@link Markdown#render} (parse, mentions, HTML with its link rules, the excerpt) against
 * commonmark alone with and without the autolink extension, on the write benchmark's 160-character prose and on a
 * text with two bare addresses. Variants alternate in rounds, so a drift of the machine falls on all alike; the
 * median round is printed.
 *
 * <pre>./mvnw -q -o exec:java -Dexec.mainClass=parley.bench.MarkdownBenchmark -Dexec.args="--rounds 15"</pre>
 */
public final class MarkdownBenchmark {

  private static final int PER_ROUND = 20_000;

  private MarkdownBenchmark() {
  }

  private interface Variant {
    Object run(String text);
  }

  public static void main(String[] args) {
    Map<String, String> o = Bench.options(args);
    int rounds = Integer.parseInt(o.getOrDefault("rounds", "15"));
    Parser plain = Parser.builder().build();
    Parser autolinked = Parser.builder()
        .extensions(List.of(AutolinkExtension.builder().linkTypes(AutolinkType.URL, AutolinkType.WWW).build())).build();
    HtmlRenderer html = HtmlRenderer.builder().escapeHtml(true).sanitizeUrls(true).percentEncodeUrls(true).build();
    String prose = WriteBenchmark.body(1, 160);
    String linked = "See https://example.org/bridge/plans and www.example.com/council for the minutes, "
        + "and tell us what you think of the new footbridge design.";
    List<String> names = List.of("Parley's render (autolink on), prose", "commonmark without autolink, prose",
        "commonmark with autolink, prose", "Parley's render (autolink on), two bare addresses",
        "commonmark without autolink, two bare addresses", "commonmark with autolink, two bare addresses");
    List<Variant> variants = List.of(Markdown::render, t -> html.render(plain.parse(t)),
        t -> html.render(autolinked.parse(t)), Markdown::render, t -> html.render(plain.parse(t)),
        t -> html.render(autolinked.parse(t)));
    List<String> texts = List.of(prose, prose, prose, linked, linked, linked);
    double[][] micros = new double[variants.size()][rounds];
    long sink = 0;
    // Warm-up: the JIT compiles every path before anything is counted.
    for (int w = 0; w < 3; w++) {
      for (int v = 0; v < variants.size(); v++) sink += time(variants.get(v), texts.get(v), PER_ROUND)[1];
    }
    for (int r = 0; r < rounds; r++) {
      for (int v = 0; v < variants.size(); v++) {
        long[] t = time(variants.get(v), texts.get(v), PER_ROUND);
        micros[v][r] = t[0] / 1000.0 / PER_ROUND;
        sink += t[1];
      }
    }
    System.out.println(Bench.machine());
    System.out.printf(Locale.ROOT, "Markdown per text, single thread, %d rounds of %,d, median round (min–max), "
        + "texts of %d and %d characters%n%n", rounds, PER_ROUND, prose.length(), linked.length());
    System.out.println("| variant | µs per text, median | min | max |");
    System.out.println("|---|---|---|---|");
    for (int v = 0; v < variants.size(); v++) {
      double[] m = micros[v].clone();
      java.util.Arrays.sort(m);
      System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", names.get(v), m[m.length / 2], m[0],
          m[m.length - 1]);
    }
    System.out.println("(" + (sink % 10) + ")");
  }

  /** Elapsed nanoseconds for {@code n} runs, and something of the output, so the JIT cannot drop the work. */
  private static long[] time(Variant variant, String text, int n) {
    long sink = 0;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) sink += variant.run(text).hashCode();
    return new long[] {System.nanoTime() - start, sink};
  }
}
