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

  /** The highest count a pattern's repetition may name ({@code a{1000}}). */
  static final int MAX_COUNT = 1_000;

  /**
   * Why a pattern would cost too much to run on every new post and comment, or null. The step budget counts the
   * engine's reads of the text, and a repetition of a group that can match nothing reads none: nested repetitions
   * ({@code ((((){100}){100}){100}){3}}, 31 characters) took a review's server 8.9 s on one comment of 1,000
   * characters, every step of it on an event loop, unnoticed by the budget. So a repeated group may not have a
   * repetition inside it ({@code (a+)+}, {@code (.*a){20}}; {@code ?} counts as none), and no count may pass
   * {@value #MAX_COUNT}: what the engine does between two reads is then bounded by the pattern's own size.
   */
  public static String tooCostly(String pattern) {
    java.util.ArrayDeque<boolean[]> groups = new java.util.ArrayDeque<>();
    groups.push(new boolean[1]); // [0]: a repetition somewhere inside
    int i = 0;
    int n = pattern.length();
    while (i < n) {
      char c = pattern.charAt(i);
      boolean repeatedGroup = false;
      boolean groupRepeats = false;
      if (c == '\\') {
        if (i + 1 < n && pattern.charAt(i + 1) == 'Q') {
          int end = pattern.indexOf("\\E", i + 2);
          i = end < 0 ? n : end + 2;
          continue;
        }
        i += 2;
        // \p{L}, \x{263A}, \k<name>, \N{…}: the braces are the escape's, not a count.
        if (i < n && (pattern.charAt(i) == '{' || pattern.charAt(i) == '<')) {
          int end = pattern.indexOf(pattern.charAt(i) == '{' ? '}' : '>', i);
          i = end < 0 ? n : end + 1;
        }
      } else if (c == '[') {
        i = afterClass(pattern, i);
      } else if (c == '(') {
        groups.push(new boolean[1]);
        i++;
        continue;
      } else if (c == ')') {
        boolean[] inner = groups.size() > 1 ? groups.pop() : new boolean[1];
        repeatedGroup = true;
        groupRepeats = inner[0];
        if (groupRepeats) groups.peek()[0] = true;
        i++;
      } else {
        i++;
      }
      // A repetition of what came just before (an atom or a group)?
      if (i >= n) break;
      char q = pattern.charAt(i);
      int max;
      if (q == '*' || q == '+') {
        max = Integer.MAX_VALUE;
        i++;
      } else if (q == '?') {
        max = 1;
        i++;
      } else if (q == '{' && pattern.indexOf('}', i) > i) {
        int end = pattern.indexOf('}', i);
        String[] bounds = pattern.substring(i + 1, end).split(",", -1);
        try {
          int low = Integer.parseInt(bounds[0].strip());
          int high = bounds.length == 1 ? low : bounds[1].isBlank() ? Integer.MAX_VALUE
              : Integer.parseInt(bounds[1].strip());
          if (low > MAX_COUNT || high != Integer.MAX_VALUE && high > MAX_COUNT) {
            return "a count above " + MAX_COUNT + " ({" + pattern.substring(i + 1, end) + "})";
          }
          max = high;
        } catch (NumberFormatException notACount) {
          continue; // a literal brace
        }
        i = end + 1;
      } else {
        continue;
      }
      // Lazy and possessive forms are the same repetition.
      if (i < n && (pattern.charAt(i) == '?' || pattern.charAt(i) == '+')) i++;
      if (max <= 1) continue;
      if (repeatedGroup && groupRepeats) {
        return "a repeated group with a repetition inside it (like (a+)+ or (.*a){20}), which can keep the server "
            + "busy for minutes on one text: repeat a character class instead ([\\s\\S]*, [a-z]+)";
      }
      groups.peek()[0] = true;
    }
    return null;
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
    if (compiled == null || left[0] <= 0) return Outcome.UNSURE;
    try {
      return compiled.matcher(new Bounded(text, left)).find() ? Outcome.MATCH : Outcome.NO_MATCH;
    } catch (Bounded.OutOfSteps | StackOverflowError e) {
      return Outcome.UNSURE;
    }
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
