package parley.http;

import java.util.regex.Pattern;

/**
 * Whole numbers as clients write them in paths, query strings and live headers: ASCII digits and nothing else.
 * {@link Long#parseLong} also takes a sign and other scripts' digits ("١", "４"), so {@code /api/posts/٤} was post 4
 * and {@code ?limit=+5} a limit: one number with many spellings, which caches and logs would count apart.
 */
public final class Numbers {

  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,19}");

  private Numbers() {
  }

  /** The number {@code raw} spells in ASCII digits, or null when it is anything else or does not fit in a long. */
  public static Long parse(String raw) {
    if (raw == null || !DIGITS.matcher(raw).matches()) return null;
    try {
      return Long.parseLong(raw);
    } catch (NumberFormatException tooLarge) {
      return null;
    }
  }
}
