package parley.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Keyset pagination: a page is "the next {@code limit} rows after this one" in the list's own order, so rows added
 * between two requests never shift a page (no duplicates, no gaps). Lists ordered by id need only the last id; a
 * list ordered by something else (a score, a time) resumes after the last row's sort key and, among equal keys, its
 * id. The cursor is opaque to clients.
 *
 * @param limit    how many items the client asked for
 * @param after    the id the previous page ended on, or null for the first page
 * @param afterKey the sort key the previous page ended on, for lists not ordered by id alone (else null)
 */
public record Page(int limit, Long after, String afterKey) {

  private static final String PREFIX = "after:";

  /**
   * Reads {@code limit} and {@code cursor} from the query string, for a list ordered by id alone: a cursor with a
   * sort key (another list's, or another sort's) is refused rather than read as its id, which gave a wrong page with
   * a 200 (a review). Lists ordered by a sort key read theirs with {@link #sorted}.
   */
  public static Page of(RoutingContext ctx, int defaultLimit, int maxLimit) {
    return sorted(ctx, defaultLimit, maxLimit).withoutKey("is not a cursor of this list");
  }

  /**
   * Reads {@code limit} alone, for a list with no further pages (the front of a queue, the newest items): a
   * {@code cursor} is refused, where it was read and then ignored, and a client paging through got the first page
   * again and again.
   */
  public static int limitOnly(RoutingContext ctx, int defaultLimit, int maxLimit) {
    if (ctx.request().getParam("cursor") != null) {
      throw Problem.invalid("cursor", "is not taken here: this list has one page, of at most " + maxLimit + " (limit)");
    }
    return sorted(ctx, defaultLimit, maxLimit).limit();
  }

  /** As {@link #of}, for a list ordered by a sort key and then id: its cursor's key is the list's to check. */
  public static Page sorted(RoutingContext ctx, int defaultLimit, int maxLimit) {
    String rawLimit = ctx.request().getParam("limit");
    int limit = defaultLimit;
    if (rawLimit != null) {
      Long given = Numbers.parse(rawLimit);
      limit = given == null || given > maxLimit ? -1 : given.intValue();
      if (limit < 1 || limit > maxLimit) {
        throw Problem.invalid("limit", "must be a whole number from 1 to " + maxLimit);
      }
    }
    String cursor = ctx.request().getParam("cursor");
    return cursor == null || cursor.isEmpty() ? new Page(limit, null, null) : decode(limit, cursor);
  }

  /** This page, refused with {@code why} if its cursor carries a sort key. */
  public Page withoutKey(String why) {
    if (afterKey != null) throw Problem.invalid("cursor", why);
    return this;
  }

  /** The query asks for one row more than the page holds, to learn whether there is a next page. */
  public int fetchSize() {
    return limit + 1;
  }

  /** The list response {items, nextCursor} for rows ordered by id, fetched with {@link #fetchSize()}. */
  public <T> JsonObject respond(List<T> rows, ToLongFunction<T> id, Function<T, JsonObject> toJson) {
    return respond(rows, row -> null, id, toJson);
  }

  /** The list response for rows ordered by a sort key and then id. */
  public <T> JsonObject respond(List<T> rows, Function<T, String> key, ToLongFunction<T> id,
      Function<T, JsonObject> toJson) {
    boolean more = rows.size() > limit;
    List<T> items = more ? rows.subList(0, limit) : rows;
    JsonArray array = new JsonArray();
    items.forEach(item -> array.add(toJson.apply(item)));
    T last = more ? items.get(items.size() - 1) : null;
    return new JsonObject()
        .put("items", array)
        .put("nextCursor", more ? encode(key.apply(last), id.applyAsLong(last)) : null);
  }

  static String encode(String key, long id) {
    String raw = PREFIX + id + (key == null ? "" : ":" + b64(key));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  static Page decode(int limit, String cursor) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (raw.startsWith(PREFIX)) {
        String[] parts = raw.substring(PREFIX.length()).split(":", -1);
        long id = Long.parseLong(parts[0]);
        if (id > 0 && parts.length <= 2) {
          String key = parts.length == 2 ? new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
              : null;
          return new Page(limit, id, key);
        }
      }
    } catch (IllegalArgumentException e) {
      // falls through to the 400 below
    }
    throw Problem.invalid("cursor", "is not a cursor this server issued");
  }

  private static String b64(String key) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }
}
