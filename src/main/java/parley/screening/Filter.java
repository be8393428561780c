package parley.screening;

import io.vertx.core.json.JsonObject;
import parley.http.Iso;

import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One entry of the moderators' list: a word (matched whole, ignoring case) or a pattern (a Java regular expression,
 * ignoring case), and what matching content gets: held for review, or refused.
 */
public record Filter(long id, String kind, String pattern, String action, String createdBy, OffsetDateTime createdAt,
    Pattern compiled) {

  public static final String WORD = "word";
  public static final String PATTERN = "pattern";
  public static final String HOLD = "hold";
  public static final String REFUSE = "refuse";

  /**
   * Work the moderators' patterns may do on one text, all of them together, before Parley gives up on it (and holds
   * the text for a person to read): a moderator's regular expression must not let one comment occupy a server, nor
   * may a long list of them (each had a budget of its own: three everyday patterns and 32 long comments held an event
   * loop for 1.8 s in a review).
   */
  static final long STEPS_PER_MATCH = 2_000_000;

  /**
   * The compiled matcher of an entry; throws IllegalArgumentException for a pattern that does not compile, or that
   * would cost too much to run ({@link #tooCostly}).
   */
  public static Pattern compile(String kind, String pattern) {
    int flags = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
    if (WORD.equals(kind)) {
      return Pattern.compile("(?<![\\p{L}\\p{N}_])" + Pattern.quote(pattern) + "(?![\\p{L}\\p{N}_])", flags);
    }
    String costly = tooCostly(pattern);
    if (costly != null) throw new IllegalArgumentException("it has " + costly);
    try {
      return Pattern.compile(pattern, flags);
    } catch (PatternSyntaxException e) {
      // Java's words for a pattern that ends in a lone backslash ("a\\", "(?x)\\ ") read as a server fault.
      String why = e.getDescription().toLowerCase(Locale.ROOT);
      if (why.contains("internal error")) why = "a backslash at its end escapes nothing (write \\\\ for a backslash)";
      throw new IllegalArgumentException(why);
    }
  }

  /**
   * The most a pattern's counted repetitions may multiply to, along any nesting of them ({@code (a{5}){20}}): each
   * start position may cost that many turns of a loop that reads nothing, and a post has 40,000 (on one, warm, best
   * of seven: {@code (){1000}x} 112 ms, {@code ((){10}){100}x} 123 ms; within 100, {@code (){100}x} 2.3 ms,
   * {@code ((){10}){10}x} 13 ms).
   */
  static final long MAX_COUNT = 100;

  /**
   * Why a pattern would cost too much to run on every new post and comment, or null. The step budget counts the
   * engine's reads of the text, and a counted repetition of a group that can match nothing reads none: nested counts
   * ({@code ((((){100}){100}){100}){3}}, 31 characters) took a review's server 8.9 s on one comment of 1,000
   * characters, every step of it on an event loop, unseen by the budget. So the counts of a pattern's repetitions
   * ({@code {n}}, {@code {n,m}}, {@code {n,}}), multiplied along each nesting, may not pass {@value #MAX_COUNT}; an
   * open repetition ({@code *}, {@code +}) stops at an empty match and counts as one. The pattern is read as Java
   * reads it: {@code \Q…\E} is literal text (an empty one joined a group to its count, past a first version of this
   * check), an escape takes braces only where Java's does ({@code \p{L}}, {@code \x{263A}}, {@code \N{…}},
   * {@code \k<name>}), and comments mode ({@code (?x)}, where a space may stand between a group and its count) is
   * refused.
   */
  public static String tooCostly(String pattern) {
    String p = stripQuoted(pattern);
    if (COMMENTS_MODE.matcher(p).find()) return "comments mode, (?x), which Parley does not take";
    java.util.ArrayDeque<long[]> groups = new java.util.ArrayDeque<>();
    groups.push(new long[] {1}); // [0]: the most the group's contents multiply to
    int i = 0;
    int n = p.length();
    while (i < n) {
      char c = p.charAt(i);
      long atom = 1; // what the thing just read multiplies to (a group: its contents)
      if (c == '\\') {
        char e = i + 1 < n ? p.charAt(i + 1) : ' ';
        i += 2;
        boolean braces = "pPxNb".indexOf(e) >= 0 && i < n && p.charAt(i) == '{';
        boolean angles = e == 'k' && i < n && p.charAt(i) == '<';
        if (braces || angles) {
          int close = p.indexOf(braces ? '}' : '>', i);
          i = close < 0 ? n : close + 1;
        }
      } else if (c == '[') {
        i = afterClass(p, i);
      } else if (c == '(') {
        groups.push(new long[] {1});
        i++;
        continue;
      } else if (c == ')') {
        atom = groups.size() > 1 ? groups.pop()[0] : 1;
        i++;
      } else {
        i++;
      }
      long count = 1;
      if (i < n && p.charAt(i) == '{') {
        int close = p.indexOf('}', i);
        java.util.regex.Matcher m = close < 0 ? null
            : COUNT.matcher(p.substring(i + 1, close));
        if (m != null && m.matches()) {
          count = m.group(2) == null || m.group(2).isEmpty() ? bounded(m.group(1)) : bounded(m.group(2));
          i = close + 1;
        }
      } else if (i < n && (p.charAt(i) == '*' || p.charAt(i) == '+' || p.charAt(i) == '?')) {
        i++;
      }
      // Lazy and possessive forms are the same repetition.
      if (i < n && (p.charAt(i) == '?' || p.charAt(i) == '+') && i > 0 && "*+?}".indexOf(p.charAt(i - 1)) >= 0) i++;
      long[] in = groups.peek();
      in[0] = Math.max(in[0], Math.min(atom * count, Long.MAX_VALUE / 4));
      if (in[0] > MAX_COUNT) {
        return "repetitions whose counts multiply past " + MAX_COUNT + " (like ((a){100}){100}), which can keep the "
            + "server busy for minutes on one text";
      }
    }
    return null;
  }

  /** An inline flag group that turns comments mode on (or off: refused alike). */
  private static final java.util.regex.Pattern COMMENTS_MODE = java.util.regex.Pattern.compile("\\(\\?[a-zA-Z-]*x");

  /** A count's digits: {n}, {n,} or {n,m}. */
  private static final java.util.regex.Pattern COUNT = java.util.regex.Pattern.compile("\\s*(\\d+)\\s*(?:,\\s*(\\d*)\\s*)?");

  private static long bounded(String digits) {
    return digits.length() > 9 ? Long.MAX_VALUE / 4 : Long.parseLong(digits);
  }

  /** The pattern with each {@code \Q…\E} (or a {@code \Q} to its end) made one plain letter, as Java reads it. */
  private static String stripQuoted(String pattern) {
    StringBuilder out = new StringBuilder(pattern.length());
    int i = 0;
    while (i < pattern.length()) {
      char c = pattern.charAt(i);
      if (c == '\\' && i + 1 < pattern.length() && pattern.charAt(i + 1) == 'Q') {
        int end = pattern.indexOf("\\E", i + 2);
        if (end != i + 2) out.append('q'); // an empty \Q\E is nothing at all
        i = end < 0 ? pattern.length() : end + 2;
      } else if (c == '\\' && i + 1 < pattern.length()) {
        out.append(c).append(pattern.charAt(i + 1));
        i += 2;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /** Where a character class that opens at {@code at} ends (after its {@code ]}), nested classes included. */
  private static int afterClass(String pattern, int at) {
    int i = at + 1;
    if (i < pattern.length() && pattern.charAt(i) == '^') i++;
    if (i < pattern.length() && pattern.charAt(i) == ']') i++; // a ] first is a literal
    int depth = 1;
    while (i < pattern.length() && depth > 0) {
      char c = pattern.charAt(i);
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '[') depth++;
      if (c == ']') depth--;
      i++;
    }
    return i;
  }

  /** What checking a text against an entry found. */
  enum Outcome { MATCH, NO_MATCH, UNSURE }

  /**
   * Checks a text; a pattern that runs out of steps is UNSURE (a person should read the text). So is one that runs
   * out of stack: Java's regex engine recurses once per repetition of a group with an alternation or a quantified
   * group inside ({@code free(.|\s)*money}, {@code (a|b)*c}), so a few thousand characters of ordinary prose after
   * its first word overflowed the thread's stack, which answered the post 500 (and every comment written in the
   * same group) with a thousand-line stack trace at ERROR. The overflow unwinds the matcher alone: it holds no lock
   * and leaves nothing half-done.
   */
  Outcome test(String text) {
    return test(text, new long[] {STEPS_PER_MATCH});
  }

  /**
   * As {@link #test(String)}, from a budget of steps {@code left} shared by every entry checked on one text (so a
   * list of many entries costs a text no more than one entry may); an entry left with none is UNSURE without running.
   * An entry whose pattern no longer compiles here ({@code compiled} null: listed before {@link #tooCostly} refused
   * such patterns) is UNSURE too, never run.
   */
  Outcome test(String text, long[] left) {
    // A word is Parley's own pattern, one pass over the text: it has a budget of its own, so a list of words does
    // not leave a long post's last ones unchecked (a review: 25 word entries held every post of 40,000 characters).
    long[] steps = WORD.equals(kind) ? new long[] {STEPS_PER_MATCH} : left;
    if (compiled == null || steps[0] <= 0) return Outcome.UNSURE;
    try {
      return compiled.matcher(new Bounded(text, steps)).find() ? Outcome.MATCH : Outcome.NO_MATCH;
    } catch (Bounded.OutOfSteps | StackOverflowError e) {
      return Outcome.UNSURE;
    }
  }

  /** Why a text this entry could not check is held: said truly, so moderators know which entry to mend. */
  String unsure() {
    return compiled == null
        ? describe() + " (filter " + id + ") costs too much to run, and is not run: remove it"
        : "could not be checked against " + describe() + " in time (filter " + id + ")";
  }

  /** How the rule reads to the person it refuses, and to moderators. */
  String describe() {
    return WORD.equals(kind) ? "the word \"" + pattern + "\"" : "the pattern /" + pattern + "/";
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("kind", kind).put("pattern", pattern).put("action", action)
        .put("createdBy", createdBy == null ? null : new JsonObject().put("username", createdBy))
        .put("createdAt", Iso.format(createdAt));
  }

  /** The text, read at most {@code steps} characters in all before it stops the regex engine. */
  private static final class Bounded implements CharSequence {
    static final class OutOfSteps extends RuntimeException {
      OutOfSteps() {
        super(null, null, false, false);
      }
    }

    private final CharSequence text;
    private final long[] left;

    Bounded(CharSequence text, long[] left) {
      this.text = text;
      this.left = left;
    }

    @Override
    public char charAt(int index) {
      if (--left[0] < 0) throw new OutOfSteps();
      return text.charAt(index);
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new Bounded(text.subSequence(start, end), left);
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }
}
