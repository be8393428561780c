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
   * Work a pattern may do on one text before Parley gives up on it (and holds the text for a person to read): a
   * moderator's regular expression must not let one comment occupy a server.
   */
  static final long STEPS_PER_MATCH = 2_000_000;

  /** The compiled matcher of an entry; throws IllegalArgumentException for a pattern that does not compile. */
  public static Pattern compile(String kind, String pattern) {
    int flags = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
    if (WORD.equals(kind)) {
      return Pattern.compile("(?<![\\p{L}\\p{N}_])" + Pattern.quote(pattern) + "(?![\\p{L}\\p{N}_])", flags);
    }
    try {
      return Pattern.compile(pattern, flags);
    } catch (PatternSyntaxException e) {
      // Java's words for a pattern that ends in a lone backslash ("a\\", "(?x)\\ ") read as a server fault.
      String why = e.getDescription().toLowerCase(Locale.ROOT);
      if (why.contains("internal error")) why = "a backslash at its end escapes nothing (write \\\\ for a backslash)";
      throw new IllegalArgumentException(why);
    }
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
    try {
      return compiled.matcher(new Bounded(text, STEPS_PER_MATCH)).find() ? Outcome.MATCH : Outcome.NO_MATCH;
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

    Bounded(CharSequence text, long steps) {
      this(text, new long[] {steps});
    }

    private Bounded(CharSequence text, long[] left) {
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
