package parley.comment;

import io.vertx.sqlclient.Tuple;
import parley.http.Page;
import parley.http.Problem;

import java.util.Locale;

/**
 * A thread's orders: {@code old} (as written), {@code new}, and {@code best} (the Wilson lower bound of its votes,
 * so 2 up votes of 2 rank below 90 of 100). Each pages with a keyset cursor over the comments_thread or comments_best
 * index. Clients build the reply tree from the pages and sort each comment's replies by the same order.
 */
public enum CommentSort {
  OLD, NEW, BEST;

  public static CommentSort parse(String raw) {
    if (raw == null) return OLD;
    try {
      return valueOf(raw.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw Problem.invalid("sort", "must be best, new or old");
    }
  }

  /** The page's condition, for a query whose $2 is the cursor's id and $6 its key. */
  String where() {
    return switch (this) {
      case OLD -> "id > COALESCE($2, 0)";
      case NEW -> "id < COALESCE($2, 9223372036854775807)";
      case BEST -> "($6::float8 IS NULL OR (best, id) < ($6::float8, $2))";
    };
  }

  /** The order, on columns of the table alias {@code t} ("" or "c."). */
  String orderBy(String t) {
    return switch (this) {
      case OLD -> t + "id";
      case NEW -> t + "id DESC";
      case BEST -> t + "best DESC, " + t + "id DESC";
    };
  }

  /** The cursor's key for a comment (best only). */
  String keyOf(Comment comment) {
    return this == BEST ? Double.toString(comment.best()) : null;
  }

  /**
   * A best key as {@link #keyOf} writes it: Double.toString's form ("0.2065", "1.0E-5"), a Wilson bound from 0 to 1,
   * or a hair below 0 (PostgreSQL's arithmetic gives -2.2E-17 for no up votes of 15: a review found that cursor
   * refused). Double.parseDouble alone took "NaN", "Infinity", "1e309" and "0x1p3" (a hostile review), none issued.
   */
  private static final java.util.regex.Pattern BEST_KEY =
      java.util.regex.Pattern.compile("-?[0-9]{1,20}\\.[0-9]{1,20}(E-?[0-9]{1,3})?");

  Tuple cursor(Tuple args, Page page) {
    if (this != BEST) return args;
    Double key = null;
    if (page.after() != null) {
      String given = page.afterKey();
      double parsed = given != null && BEST_KEY.matcher(given).matches() ? Double.parseDouble(given) : Double.NaN;
      if (!(parsed >= -1e-9 && parsed <= 1)) throw Problem.invalid("cursor", "is not a cursor of this sort");
      key = parsed;
    }
    return args.addDouble(key);
  }
}
