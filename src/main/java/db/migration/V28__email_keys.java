package db.migration;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.account.EmailKey;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Emails unique by {@link EmailKey} rather than by PostgreSQL's {@code lower(email)}, which lowered ASCII only under
 * the C locale (V1's index): each account's key is computed here, in Java, since SQL cannot compute it the same on
 * every PostgreSQL. Accounts that the new rule makes one address (they differ only in the case of a letter outside
 * ASCII, which V1 let through on such a database) all keep their address; the oldest keeps the key, and each later
 * one gets a key no address can have ({@code <key> (account <id>)}), so signing in with the address finds the oldest
 * and the others sign in with their username. Each such account is logged, for an operator to settle.
 */
public class V28__email_keys extends BaseJavaMigration {

  private static final Logger log = LoggerFactory.getLogger(V28__email_keys.class);

  @Override
  public void migrate(Context context) throws SQLException {
    Connection db = context.getConnection();
    try (Statement s = db.createStatement()) {
      s.execute("ALTER TABLE users ADD COLUMN email_key text");
    }
    // Every account's key, read and written a thousand at a time (Flyway's transaction lets the driver stream).
    try (Statement read = db.createStatement();
         PreparedStatement write = db.prepareStatement("UPDATE users SET email_key = ? WHERE id = ?")) {
      read.setFetchSize(1_000);
      try (ResultSet rows = read.executeQuery("SELECT id, email FROM users")) {
        int batched = 0;
        while (rows.next()) {
          write.setString(1, EmailKey.of(rows.getString(2)));
          write.setLong(2, rows.getLong(1));
          write.addBatch();
          if (++batched % 1_000 == 0) write.executeBatch();
        }
      }
      write.executeBatch();
    }
    // The accounts whose key an older account has.
    try (Statement read = db.createStatement();
         PreparedStatement write = db.prepareStatement("UPDATE users SET email_key = ? WHERE id = ?");
         ResultSet rows = read.executeQuery("""
             SELECT id, email_key, owner FROM (
               SELECT id, email_key, min(id) OVER (PARTITION BY email_key) AS owner FROM users
                WHERE email_key IN (SELECT email_key FROM users GROUP BY email_key HAVING count(*) > 1)) d
              WHERE id <> owner""")) {
      while (rows.next()) {
        long id = rows.getLong(1);
        long owner = rows.getLong(3);
        log.warn("Account {} has the email address of account {} but for letter case: it keeps its address, but"
            + " signing in with the address finds account {}; account {} signs in with its username", id, owner,
            owner, id);
        write.setString(1, rows.getString(2) + " (account " + id + ")");
        write.setLong(2, id);
        write.executeUpdate();
      }
    }
    try (Statement s = db.createStatement()) {
      s.execute("ALTER TABLE users ALTER COLUMN email_key SET NOT NULL");
      s.execute("CREATE UNIQUE INDEX users_email_fold_key ON users (email_key)");
      s.execute("DROP INDEX users_email_key");
      s.execute("COMMENT ON COLUMN users.email_key IS 'parley.account.EmailKey of email: unique, what sign-in matches'");
    }
  }
}
