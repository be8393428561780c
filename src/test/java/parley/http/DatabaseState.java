package parley.http;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The whole database's content as one comparable value, and a saved copy of it to go back to. Every table the
 * server writes is in it, every column of every row (roles, bans, token versions and password hashes too), so a
 * request that changed anything at all changes the fingerprint. It costs one query, or only a look at the write-ahead
 * log's position when that has not moved since the last one; the tables stay small because the run goes back to the
 * saved copy every few hundred requests.
 */
final class DatabaseState implements AutoCloseable {

  /** Each table the server writes, with the key that orders its rows. */
  private static final Map<String, String> TABLES = orderedTables();
  private static final String SAVED = "fuzz_seed";
  /** Tables no request writes: the periodic jobs' schedule changes on its own, whatever the fuzz sends. */
  private static final java.util.Set<String> NOT_WRITTEN_BY_REQUESTS = java.util.Set.of("jobs",
      // numbered by the webhook sender in the background (never on the fuzz test's server, which sends none)
      "webhook_positions", "webhook_sealer",
      // the notifications' catch-up mark, moved by its job (V25)
      "notification_catch_up",
      // each node's row, freshened every 10 s (V33)
      "node_roster");

  private final Connection connection;
  private final PreparedStatement fingerprint;
  private final PreparedStatement walPosition;
  private String lastPosition;
  private Map<String, String> last;
  private int fingerprints;
  /** The saved copy's fingerprint, and the columns a restore writes, per table. */
  private Map<String, String> saved;
  private final Map<String, String> columns = new LinkedHashMap<>();

  DatabaseState(Connection connection) throws SQLException {
    this.connection = connection;
    checkEveryTableIsCovered();
    this.fingerprint = connection.prepareStatement(TABLES.entrySet().stream()
        .map(t -> "SELECT '" + t.getKey() + "', count(*) || ' rows, md5 ' || md5(coalesce(string_agg(t::text, E'\\n' "
            + "ORDER BY " + t.getValue() + "), '')) FROM " + t.getKey() + " t")
        .collect(Collectors.joining(" UNION ALL ")));
    this.walPosition = connection.prepareStatement("SELECT pg_current_wal_insert_lsn()::text");
  }

  private static Map<String, String> orderedTables() {
    Map<String, String> tables = new LinkedHashMap<>();
    tables.put("users", "id");
    tables.put("posts", "id");
    tables.put("post_activity", "post_id");
    tables.put("comments", "id");
    tables.put("post_revisions", "id");
    tables.put("comment_revisions", "id");
    tables.put("reports", "id");
    tables.put("blocks", "blocker_id, blocked_id");
    tables.put("mod_log", "id");
    tables.put("events", "topic, seq");
    tables.put("topic_seqs", "topic");
    tables.put("idempotency_keys", "user_id, key");
    tables.put("notifications", "id");
    tables.put("thread_commenters", "post_id, user_id");
    tables.put("thread_follows", "post_id, user_id");
    tables.put("notification_settings", "user_id");
    tables.put("notification_sources", "source");
    tables.put("unread_counts", "user_id");
    tables.put("unread_epoch", "only_row");
    tables.put("password_resets", "user_id");
    tables.put("mod_filters", "id");
    tables.put("user_notes", "id");
    tables.put("mod_claims", "target_type, target_id");
    tables.put("post_votes", "post_id, user_id");
    tables.put("comment_votes", "comment_id, user_id");
    tables.put("webhooks", "id");
    tables.put("webhook_deliveries", "id");
    tables.put("user_follows", "follower_id, followee_id");
    tables.put("tag_counts", "tag");
    tables.put("listed_posts", "shard");
    tables.put("member_counts", "user_id");
    tables.put("member_counts_mark", "only_row");
    tables.put("report_targets", "status, target_type, target_id");
    tables.put("report_queue_counts", "id");
    return tables;
  }

  /** A table added by a later migration must be fingerprinted too, or a change to it would go unseen. */
  private void checkEveryTableIsCovered() throws SQLException {
    try (Statement s = connection.createStatement(); ResultSet rows = s.executeQuery(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            + "AND table_type = 'BASE TABLE' AND table_name <> 'flyway_schema_history' ORDER BY table_name")) {
      java.util.Set<String> tables = new java.util.TreeSet<>();
      while (rows.next()) tables.add(rows.getString(1));
      tables.removeAll(NOT_WRITTEN_BY_REQUESTS);
      if (!tables.equals(new java.util.TreeSet<>(TABLES.keySet()))) {
        throw new IllegalStateException("the fingerprint covers " + new java.util.TreeSet<>(TABLES.keySet())
            + " but the database has " + tables);
      }
    }
  }

  /**
   * Per table: its row count and a digest of every row. Equal fingerprints mean equal content. When the write-ahead
   * log has not moved since the last fingerprint was taken, no table can differ (none is unlogged), and that one is
   * returned without reading the tables: most refusals, and most reads, write nothing at all.
   */
  Map<String, String> fingerprint() throws SQLException {
    String position = walPosition();
    if (position.equals(lastPosition)) return last;
    Map<String, String> tables = new LinkedHashMap<>();
    try (ResultSet rows = fingerprint.executeQuery()) {
      while (rows.next()) tables.put(rows.getString(1), rows.getString(2));
    }
    // The position read before the tables: a write landing between the two moves the log past it, so it is seen.
    lastPosition = position;
    last = tables;
    fingerprints++;
    return tables;
  }

  /** How many fingerprints read the tables (the others were the last one, the log not having moved). */
  int fingerprintsRead() {
    return fingerprints;
  }

  /** The tables whose content differs between two fingerprints, with both digests. */
  static List<String> differences(Map<String, String> before, Map<String, String> after) {
    return before.keySet().stream().filter(table -> !before.get(table).equals(after.get(table)))
        .map(table -> table + ": " + before.get(table) + " -> " + after.get(table)).toList();
  }

  /**
   * Whether nothing was written since the last fingerprint: the write-ahead log has not moved, so {@link #fingerprint}
   * would return the last one without reading the tables.
   */
  boolean unchangedSinceLastFingerprint() throws SQLException {
    return walPosition().equals(lastPosition);
  }

  private String walPosition() throws SQLException {
    try (ResultSet rows = walPosition.executeQuery()) {
      rows.next();
      return rows.getString(1);
    }
  }

  /**
   * Saves the current content, to {@link #restore} later, with its fingerprint: both read in one snapshot, so that a
   * restore may skip a table whose fingerprint is the saved one.
   */
  void save() throws SQLException {
    connection.setAutoCommit(false);
    connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try (Statement s = connection.createStatement()) {
      lastPosition = null;
      Map<String, String> content = fingerprint();
      s.execute("DROP SCHEMA IF EXISTS " + SAVED + " CASCADE");
      s.execute("CREATE SCHEMA " + SAVED);
      for (String table : TABLES.keySet()) {
        s.execute("CREATE TABLE " + SAVED + "." + table + " AS TABLE public." + table);
        columns.put(table, writableColumns(s, table));
      }
      connection.commit();
      saved = content;
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
      connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
    }
  }

  /**
   * Puts the saved content back, in one transaction. Triggers (the audit log refuses deletes) and foreign keys are
   * off for this transaction only, as for a replica; identity sequences keep counting, so ids are never reused.
   */
  void restore() throws SQLException {
    // The server's own work may still run when the fuzz restores (a deletion's look for late writes, a job), and a
    // transaction of it can lock rows in the other order: PostgreSQL then ends one of the two (a CI run's restore,
    // 2026-12-07). The restore is one transaction, so it is simply tried again.
    for (int attempt = 1; ; attempt++) {
      try {
        restoreOnce();
        return;
      } catch (SQLException e) {
        if (!"40P01".equals(e.getSQLState()) || attempt == 5) throw e;
      }
    }
  }

  private void restoreOnce() throws SQLException {
    // Only the tables whose content differs from the saved copy's (by their fingerprints): a few of them since the
    // last restore, as a rule.
    Map<String, String> now = fingerprint();
    List<String> changed = TABLES.keySet().stream().filter(table -> !saved.get(table).equals(now.get(table))).toList();
    if (changed.isEmpty()) return;
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      s.execute("SET LOCAL session_replication_role = replica");
      for (String table : changed) s.execute("DELETE FROM public." + table);
      for (String table : changed) {
        String columns = this.columns.get(table);
        s.execute("INSERT INTO public." + table + " (" + columns + ") OVERRIDING SYSTEM VALUE SELECT " + columns
            + " FROM " + SAVED + "." + table);
      }
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
  }

  /** Generated columns are computed again, not copied. */
  private static String writableColumns(Statement s, String table) throws SQLException {
    List<String> columns = new java.util.ArrayList<>();
    try (ResultSet rows = s.executeQuery("SELECT column_name FROM information_schema.columns WHERE table_schema = "
        + "'public' AND table_name = '" + table + "' AND is_generated = 'NEVER' ORDER BY ordinal_position")) {
      while (rows.next()) columns.add('"' + rows.getString(1) + '"');
    }
    return String.join(", ", columns);
  }

  @Override
  public void close() throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + SAVED + " CASCADE");
    } finally {
      connection.close();
    }
  }
}
