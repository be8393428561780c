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
 * Keyset pagination: a page is "the next {@code limit} rows after this id" in the list's own order, so rows added
 * between two requests never shift a page (no duplicates, no gaps). The cursor is opaque to clients.
 *
 * @param limit how many items the client asked for
 * @param after the id the previous page ended on, or null for the first page
 */
public record Page(int limit, Long after) {

  /** Reads {@code limit} and {@code cursor} from the query string. */
  public static Page of(RoutingContext ctx, int defaultLimit, int maxLimit) {
    String rawLimit = ctx.request().getParam("limit");
    int limit = defaultLimit;
    if (rawLimit != null) {
      try {
        limit = Integer.parseInt(rawLimit);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > maxLimit) {
        throw Problem.invalid("limit", "must be a whole number from 1 to " + maxLimit);
      }
    }
    String cursor = ctx.request().getParam("cursor");
    return new Page(limit, cursor == null || cursor.isEmpty() ? null : decode(cursor));
  }

  /** The query asks for one row more than the page holds, to learn whether there is a next page. */
  public int fetchSize() {
    return limit + 1;
  }

  /** The list response {items, nextCursor} for rows fetched with {@link #fetchSize()}. */
  public <T> JsonObject respond(List<T> rows, ToLongFunction<T> id, Function<T, JsonObject> toJson) {
    boolean more = rows.size() > limit;
    List<T> items = more ? rows.subList(0, limit) : rows;
    JsonArray array = new JsonArray();
    items.forEach(item -> array.add(toJson.apply(item)));
    return new JsonObject()
        .put("items", array)
        .put("nextCursor", more ? encode(id.applyAsLong(items.get(items.size() - 1))) : null);
  }

  static String encode(long id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("after:" + id).getBytes(StandardCharsets.UTF_8));
  }

  static Long decode(String cursor) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (raw.startsWith("after:")) {
        long id = Long.parseLong(raw.substring("after:".length()));
        if (id > 0) return id;
      }
    } catch (IllegalArgumentException e) {
      // falls through to the 400 below
    }
    throw Problem.invalid("cursor", "is not a cursor this server issued");
  }
}
