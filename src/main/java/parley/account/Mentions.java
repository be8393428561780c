package parley.account;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import parley.markdown.Markdown;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code @username} mentions: which of the names a text mentions belong to accounts, so that rendering links those
 * (and only those) and notifying reaches them. A name that is nobody's stays plain text.
 */
public final class Mentions {

  /** Links at most this many distinct names per text (the rest stay text); notifications take the first ten. */
  static final int MAX_LOOKED_UP = 50;
  /**
   * Texts of at least this many characters (together, for several) are parsed and rendered on a worker thread, not
   * on an event loop: commonmark takes tens of milliseconds over a 40,000-character post of unclosed emphasis markers
   * or brackets, and several texts may be parsed together. A shorter text costs less than the hop.
   */
  static final int OFF_LOOP_FROM = 2_000;

  private static final String EXISTING = "SELECT id, username FROM users WHERE lower(username) = ANY($1)";

  /** One mentioned account. */
  public record Mentioned(long id, String username) {
  }

  private Mentions() {
  }

  /** Renders Markdown with its mentions of existing accounts linked. */
  public static Future<Markdown.Rendered> render(SqlClient sql, String markdown) {
    return renderAll(sql, List.of(markdown)).map(all -> all.get(0));
  }

  /**
   * As {@link #render} for several texts, each parsed once, with one query for all their mentions (none when none
   * mentions anyone).
   */
  public static Future<List<Markdown.Rendered>> renderAll(SqlClient sql, List<String> markdowns) {
    int size = length(markdowns);
    return offLoop(size, () -> markdowns.stream().map(Markdown::parse).toList())
        .compose(parsed -> lookUp(sql, parsed.stream().map(Markdown.Parsed::mentions).toList())
            .compose(found -> offLoop(size, () -> {
              List<Markdown.Rendered> out = new java.util.ArrayList<>(parsed.size());
              for (int i = 0; i < parsed.size(); i++) {
                Map<String, String> users = new LinkedHashMap<>();
                found.get(i).forEach((lower, account) -> users.put(lower, account.username()));
                out.add(Markdown.render(parsed.get(i), users));
              }
              return out;
            })));
  }

  /**
   * The accounts each text mentions (a null text mentions nobody), by lower-cased name in order of first mention, in
   * the order of the texts, with one query (none when no text mentions anyone).
   */
  public static Future<List<Map<String, Mentioned>>> mentionedIn(SqlClient sql, List<String> markdowns) {
    return offLoop(length(markdowns), () -> markdowns.stream()
            .map(markdown -> markdown == null ? List.<String>of() : Markdown.mentions(markdown)).toList())
        .compose(names -> lookUp(sql, names));
  }

  /** Each list of names' accounts (the first {@link #MAX_LOOKED_UP} names of each), with one query for all. */
  private static Future<List<Map<String, Mentioned>>> lookUp(SqlClient sql, List<List<String>> names) {
    List<List<String>> asked = new java.util.ArrayList<>();
    java.util.Set<String> all = new java.util.LinkedHashSet<>();
    for (List<String> these : names) {
      List<String> first = these.subList(0, Math.min(these.size(), MAX_LOOKED_UP));
      asked.add(first);
      all.addAll(first);
    }
    if (all.isEmpty()) return Future.succeededFuture(asked.stream().map(none -> Map.<String, Mentioned>of()).toList());
    return sql.preparedQuery(EXISTING).execute(Tuple.of(all.toArray(String[]::new))).map(rows -> {
      Map<String, Mentioned> byName = new java.util.HashMap<>();
      for (Row row : rows) {
        String username = row.getString("username");
        byName.put(username.toLowerCase(java.util.Locale.ROOT), new Mentioned(row.getLong("id"), username));
      }
      List<Map<String, Mentioned>> out = new java.util.ArrayList<>();
      for (List<String> these : asked) {
        Map<String, Mentioned> ordered = new LinkedHashMap<>();
        for (String name : these) {
          Mentioned m = byName.get(name);
          if (m != null) ordered.put(name, m);
        }
        out.add(ordered);
      }
      return out;
    });
  }

  private static int length(List<String> markdowns) {
    int length = 0;
    for (String markdown : markdowns) length += markdown == null ? 0 : markdown.length();
    return length;
  }

  /**
   * Runs parsing or rendering where it belongs: on a worker thread when the texts come to {@link #OFF_LOOP_FROM}
   * characters or more and this is an event loop, else here and now.
   */
  public static <T> Future<T> offLoop(int length, Callable<T> work) {
    Context context = Vertx.currentContext();
    if (length >= OFF_LOOP_FROM && context != null && context.isEventLoopContext()) {
      return context.executeBlocking(work, false);
    }
    try {
      return Future.succeededFuture(work.call());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }
}
