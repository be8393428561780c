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

  Tuple cursor(Tuple args, Page page) {
    if (this != BEST) return args;
    Double key = null;
    if (page.after() != null) {
      try {
        key = Double.parseDouble(page.afterKey());
      } catch (RuntimeException e) {
        throw Problem.invalid("cursor", "is not a cursor of this sort");
      }
    }
    return args.addDouble(key);
  }
}
