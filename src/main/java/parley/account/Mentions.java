package parley.account;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import parley.markdown.Markdown;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code @username} mentions: which of the names a text mentions belong to accounts, so that rendering links those
 * (and only those) and notifying reaches them. A name that is nobody's stays plain text.
 */
public final class Mentions {

  /** Links at most this many distinct names per text (the rest stay text); notifications take the first ten. */
  static final int MAX_LOOKED_UP = 50;

  private static final String EXISTING = "SELECT id, username FROM users WHERE lower(username) = ANY($1)";

  /** One mentioned account. */
  public record Mentioned(long id, String username) {
  }

  private Mentions() {
  }

  /** Renders Markdown with its mentions of existing accounts linked. */
  public static Future<Markdown.Rendered> render(SqlClient sql, String markdown) {
    return mentioned(sql, markdown).map(found -> {
      Map<String, String> users = new LinkedHashMap<>();
      found.forEach((lower, account) -> users.put(lower, account.username()));
      return Markdown.render(markdown, users);
    });
  }

  /** As {@link #render} for several texts, with one query for all their mentions (none when none mentions anyone). */
  public static Future<List<Markdown.Rendered>> renderAll(SqlClient sql, List<String> markdowns) {
    return mentionedIn(sql, markdowns).map(found -> {
      List<Markdown.Rendered> out = new java.util.ArrayList<>(markdowns.size());
      for (int i = 0; i < markdowns.size(); i++) {
        Map<String, String> users = new LinkedHashMap<>();
        found.get(i).forEach((lower, account) -> users.put(lower, account.username()));
        out.add(Markdown.render(markdowns.get(i), users));
      }
      return out;
    });
  }

  /**
   * As {@link #mentioned(SqlClient, String)} for several texts with one query (none when no text mentions anyone):
   * each text's accounts, in the order of the texts.
   */
  public static Future<List<Map<String, Mentioned>>> mentionedIn(SqlClient sql, List<String> markdowns) {
    List<List<String>> asked = new java.util.ArrayList<>();
    java.util.Set<String> all = new java.util.LinkedHashSet<>();
    for (String markdown : markdowns) {
      List<String> names = markdown == null ? List.of() : Markdown.mentions(markdown);
      List<String> these = names.subList(0, Math.min(names.size(), MAX_LOOKED_UP));
      asked.add(these);
      all.addAll(these);
    }
    if (all.isEmpty()) return Future.succeededFuture(asked.stream().map(none -> Map.<String, Mentioned>of()).toList());
    return sql.preparedQuery(EXISTING).execute(Tuple.of(all.toArray(String[]::new))).map(rows -> {
      Map<String, Mentioned> byName = new java.util.HashMap<>();
      for (Row row : rows) {
        String username = row.getString("username");
        byName.put(username.toLowerCase(java.util.Locale.ROOT), new Mentioned(row.getLong("id"), username));
      }
      List<Map<String, Mentioned>> out = new java.util.ArrayList<>();
      for (List<String> names : asked) {
        Map<String, Mentioned> ordered = new LinkedHashMap<>();
        for (String name : names) {
          Mentioned m = byName.get(name);
          if (m != null) ordered.put(name, m);
        }
        out.add(ordered);
      }
      return out;
    });
  }

  /** The accounts a text mentions, by lower-cased name, in order of first mention. */
  public static Future<Map<String, Mentioned>> mentioned(SqlClient sql, String markdown) {
    List<String> names = Markdown.mentions(markdown);
    if (names.isEmpty()) return Future.succeededFuture(Map.of());
    List<String> asked = names.subList(0, Math.min(names.size(), MAX_LOOKED_UP));
    return sql.preparedQuery(EXISTING).execute(Tuple.of(asked.toArray(String[]::new))).map(rows -> {
      Map<String, Mentioned> byName = new java.util.HashMap<>();
      for (Row row : rows) {
        String username = row.getString("username");
        byName.put(username.toLowerCase(java.util.Locale.ROOT), new Mentioned(row.getLong("id"), username));
      }
      Map<String, Mentioned> ordered = new LinkedHashMap<>();
      for (String name : asked) {
        Mentioned m = byName.get(name);
        if (m != null) ordered.put(name, m);
      }
      return ordered;
    });
  }
}
