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

  /** The text as a LIKE prefix that matches itself literally: {@code %}, {@code _} and the escape are escaped. */
  String likePrefix() {
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }
}
