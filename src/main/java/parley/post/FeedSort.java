package parley.post;

import io.vertx.sqlclient.Tuple;
import parley.http.Page;
import parley.http.Problem;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Locale;

/**
 * The feed's orders, each read off its own index with a keyset cursor of (sort key, id): {@code new} (id),
 * {@code hot} (the stored hot rank), {@code top} (score, within a period) and {@code active} (latest published
 * comment). Ties on the key are broken by id, so pages never repeat or skip a post.
 */
public enum FeedSort {
  NEW("p.id", null, "p.id", null),
  // NaN sorts above every number in PostgreSQL, so a first page's bound leaves none out.
  HOT("p.hot", "float8", "p.id", "'NaN'::float8"),
  TOP("p.score", "int4", "p.id", "2147483647"),
  // Keyed and ordered on post_activity's columns (pa, joined by Post.ACTIVITY), so post_activity_active serves it.
  ACTIVE("pa.last_activity_at", "timestamptz", "pa.post_id", "'infinity'::timestamptz");

  /** The periods of {@code top}. */
  enum Period {
    DAY(Duration.ofDays(1)), WEEK(Duration.ofDays(7)), MONTH(Duration.ofDays(30)), YEAR(Duration.ofDays(365)),
    ALL(null);

    final Duration length;

    Period(Duration length) {
      this.length = length;
    }

    static Period parse(String raw) {
      if (raw == null) return ALL;
      try {
        return valueOf(raw.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw Problem.invalid("period", "must be day, week, month, year or all");
      }
    }
  }

  final String key;
  final String type;
  /** The post's id as the sort's index holds it (the same value as p.id). */
  final String id;
  /** A key above every post's (keys are never null), the bound of a first page. */
  final String above;

  FeedSort(String key, String type, String id, String above) {
    this.key = key;
    this.type = type;
    this.id = id;
    this.above = above;
  }

  static FeedSort parse(String raw) {
    if (raw == null) return NEW;
    try {
      return valueOf(raw.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw Problem.invalid("sort", "must be new, hot, top or active");
    }
  }

  /**
   * The page's condition for a query whose parameters $1..$3 are taken: $4 the cursor's id, $5 its key (as text,
   * cast to the key's type; not for new), $6 the period's start (top only). Each sort uses exactly its own. A first
   * page's bound is one above every post ({@link #above}), never "$5 IS NULL OR …": the cached statement's generic
   * plan cannot start its index scan at a bound written that way, so it read the index from the top and filtered, and
   * a page N pages deep read all N (72 ms at 100,000 posts for a cursor past them all, against well under 1).
   */
  String where() {
    if (this == NEW) return "p.id < COALESCE($4, 9223372036854775807)";
    return "(" + key + ", " + id + ") < (COALESCE($5::text::" + type + ", " + above + "), COALESCE($4, "
        + "9223372036854775807))" + (this == TOP ? " AND ($6::timestamptz IS NULL OR p.created_at >= $6)" : "");
  }

  String orderBy() {
    return this == NEW ? "p.id DESC" : key + " DESC, " + id + " DESC";
  }

  /** Double.toString's forms: digits, a point and digits, and an exponent ("-12.5", "1.0E-5"). */
  private static final java.util.regex.Pattern HOT_KEY =
      java.util.regex.Pattern.compile("-?[0-9]{1,20}\\.[0-9]{1,20}(E-?[0-9]{1,3})?");

  /** Whether a key is one {@link #keyOf} could have written for this sort. */
  private boolean issued(String key) {
    try {
      return switch (this) {
        case NEW -> false;
        case HOT -> {
          // Compared by form, not by string: Double.toString's digits differ between Java versions (JDK 19 changed
          // them), and a cursor from one node must hold on another.
          if (!HOT_KEY.matcher(key).matches()) yield false;
          double hot = Double.parseDouble(key);
          yield Double.isFinite(hot) && (hot == 0 || Math.abs(hot) >= Double.MIN_NORMAL);
        }
        case TOP -> Integer.toString(Integer.parseInt(key)).equals(key);
        case ACTIVE -> {
          OffsetDateTime at = OffsetDateTime.parse(key);
          yield at.getYear() >= 1 && at.getYear() <= 9999 && at.toString().equals(key);
        }
      };
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The cursor's key for a post (null for new, which pages by id alone). */
  String keyOf(Post post) {
    return switch (this) {
      case NEW -> null;
      case HOT -> Double.toString(post.hot());
      case TOP -> Integer.toString(post.score());
      // Full precision: a key rounded to milliseconds would skip posts active within the same millisecond.
      case ACTIVE -> post.lastActivityAt().toString();
    };
  }

  /**
   * Adds $4 (id), $5 (key) and $6 (period start) as the sort uses them, checking the key is one this sort issued:
   * in the form {@link #keyOf} writes it (so another sort's key, another script's digits, a trailing NUL or a sign
   * are refused) and within what PostgreSQL reads (a forged key of 1e309, or the year 0, was a 500 from the query).
   */
  Tuple cursor(Tuple args, Page page, Period period) {
    String key = page.afterKey();
    if (page.after() != null && (this == NEW ? key != null : key == null || !issued(key))) {
      throw Problem.invalid("cursor", "is not a cursor of this sort");
    }
    args.addLong(page.after());
    if (this == NEW) return args;
    args.addString(page.after() == null ? null : key);
    if (this != TOP) return args;
    return args.addOffsetDateTime(period.length == null ? null : OffsetDateTime.now().minus(period.length));
  }
}
