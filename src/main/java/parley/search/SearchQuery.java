package parley.search;

import io.vertx.ext.web.RoutingContext;
import parley.http.Problem;

import java.util.Locale;

/**
 * A search as the client asked for it: the text ({@code q}, 1 to 200 code points once trimmed) and what to look
 * for ({@code type}: posts, the default, comments or users). Both are checked here, naming the field at fault.
 */
record SearchQuery(String text, Type type) {

  static final int MAX_LENGTH = 200;

  /** What a search looks through. */
  enum Type { POSTS, COMMENTS, USERS }

  static SearchQuery from(RoutingContext ctx) {
    String raw = ctx.request().getParam("q");
    // The request guards already refuse control characters in a query string; a search never passes one on.
    String text = raw == null ? null : raw.replaceAll("\\p{Cntrl}", " ").strip();
    if (text == null || text.isEmpty()) throw Problem.invalid("q", "is required");
    int length = text.codePointCount(0, text.length());
    if (length > MAX_LENGTH) throw Problem.invalid("q", "must be 1 to " + MAX_LENGTH + " characters");
    return new SearchQuery(text, type(ctx.request().getParam("type")));
  }

  private static Type type(String raw) {
    if (raw == null) return Type.POSTS;
    return switch (raw.toLowerCase(Locale.ROOT)) {
      case "posts" -> Type.POSTS;
      case "comments" -> Type.COMMENTS;
      case "users" -> Type.USERS;
      default -> throw Problem.invalid("type", "must be posts, comments or users");
    };
  }

  /**
   * A cursor key of this search: the key, behind a digest of the type, the text and the key itself, so the next
   * page's request can tell a cursor of another search (another {@code q} or {@code type}), and one cut short or
   * altered on its way ("0.0607" read back as "0."), which it refuses, from one of its own. Not a secret: a reader may
   * forge any key, and each bounds its own cost (a cursor of every match is judged again as a first page is: see
   * Search's ranked); the digest only says the cursor is whole.
   */
  String bind(String key) {
    return tag(key) + "." + key;
  }

  /** The page as asked, its cursor key read back without the digest; 400 for a cursor of another search. */
  parley.http.Page unbind(parley.http.Page page) {
    if (page.after() == null) return page;
    String bound = page.afterKey();
    int dot = bound == null ? -1 : bound.indexOf('.');
    int tilde = bound == null ? -1 : bound.indexOf('~');
    String key;
    if (dot > 0 && (tilde < 0 || dot < tilde) && bound.substring(0, dot).equals(tag(bound.substring(dot + 1)))) {
      key = bound.substring(dot + 1);
    } else if (tilde > 0 && bound.substring(0, tilde).equals(tag(null))) {
      // Issued before the digest took in the key (2026-12-05): still this search's.
      key = bound.substring(tilde + 1);
    } else {
      throw Problem.invalid("cursor", "is not a cursor of this search");
    }
    return new parley.http.Page(page.limit(), page.after(), key);
  }

  /** A digest of the type and the text, and of the key unless it is null (the form cursors had before the key). */
  private String tag(String key) {
    try {
      String bound = type + "\n" + text + (key == null ? "" : "\n" + key);
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(bound.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 9));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The fewest letters or digits a last word needs to match the words it begins: "so" would match thousands. */
  static final int MIN_PREFIX = 3;

  /**
   * The text as the post and comment searches take it ({@link Search#QUERY}): ending in "*" when its last word is
   * also to match the words it begins, that is when that word is plain (only letters and digits, at least
   * {@link #MIN_PREFIX}; a reader's own "*" after it is the same), not in a phrase (quotes before it are paired) and
   * not an exclusion. Any other "*" at the end is left out, so the statement never takes it for that mark: every
   * "*" and space the text ends with, not only the last run of stars ("so* *", "-sourd* *" and a phrase's closing
   * quote with "* *" after it were prefixes, a probe found).
   */
  String tsText() {
    String bare = text.replaceAll("[\\s*]+$", "");
    if (bare.isEmpty()) return text.replace("*", "");
    int start = bare.lastIndexOf(' ') + 1;
    String last = bare.substring(start);
    boolean plain = last.codePointCount(0, last.length()) >= MIN_PREFIX && last.codePoints().allMatch(Character::isLetterOrDigit);
    boolean quotesPaired = bare.chars().filter(c -> c == '"').count() % 2 == 0;
    // websearch reads "- word" as an exclusion too.
    boolean excluded = bare.substring(0, start).stripTrailing().endsWith("-");
    return plain && quotesPaired && !excluded ? bare + "*" : bare;
  }

  /** The text as a LIKE prefix that matches itself literally: {@code %}, {@code _} and the escape are escaped. */
  String likePrefix() {
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
