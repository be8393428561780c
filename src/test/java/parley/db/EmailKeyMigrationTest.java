package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.CapturedLog;
import parley.TestParley;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * V28 gives each account its email's key (parley.account.EmailKey), computed in Java, and makes the key unique in
 * place of V1's {@code lower(email)}. Accounts V1 let in twice under the C locale (ÉMILE@ and émile@) both stay;
 * the later one's key cannot match an address, and the migration says so (checked in a schema of its own).
 */
@ExtendWith(TestParley.class)
class EmailKeyMigrationTest {

  private static final String SCHEMA = "v28_migration_check";


  @Test
  void everyAccountGetsItsKeyAndAnAddressTakenTwiceKeepsItsOldestOwner() throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
         CapturedLog log = new CapturedLog(db.migration.V28__email_keys.class)) {
      try {
        MigrationSchema.flyway(SCHEMA, "27").migrate();
        s.execute("SET search_path TO " + SCHEMA);
        // V1's index as it works on a database in the C locale (the embedded one's): lower() lowers ASCII only.
        s.execute("DROP INDEX users_email_key");
        s.execute("CREATE UNIQUE INDEX users_email_key ON users (lower(email COLLATE \"C\"))");
        s.execute("INSERT INTO users (username, email, password_hash) VALUES ('emile', '\u00c9MILE@x.example', 'x'),"
            + " ('bob', 'Bob@X.example', 'x'), ('emile2', '\u00e9mile@x.example', 'x'), ('wide', '\uff37ide@x.example', 'x')");

        MigrationSchema.flyway(SCHEMA, null).migrate();

        Map<String, String> keys = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery("SELECT username, email, email_key FROM users ORDER BY id")) {
          while (rs.next()) keys.put(rs.getString(1) + " " + rs.getString(2), rs.getString(3));
        }
        long emile2 = id(s, "emile2");
        assertEquals(Map.of(
            "emile \u00c9MILE@x.example", "\u00e9mile@x.example",
            "bob Bob@X.example", "bob@x.example",
            "emile2 \u00e9mile@x.example", "\u00e9mile@x.example (account " + emile2 + ")",
            "wide \uff37ide@x.example", "wide@x.example"), keys, "addresses kept as typed");
        assertEquals(1, log.messages().size(), log.messages().toString());
        assertTrue(log.messages().get(0).startsWith("Account " + emile2 + " has the email address of account "
            + id(s, "emile")), log.messages().toString());
        SQLException taken = assertThrows(SQLException.class, () -> s.execute(
            "INSERT INTO users (username, email, email_key, password_hash) VALUES ('bob2', 'BOB@x.example', "
                + "'bob@x.example', 'x')"));
        assertEquals("23505", taken.getSQLState(), "the key is unique");
        assertThrows(SQLException.class, () -> s.execute(
            "INSERT INTO users (username, email, password_hash) VALUES ('nokey', 'nokey@x.example', 'x')"),
            "and every account has one");
      } finally {
        s.execute("SET search_path TO DEFAULT");
        s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      }
    }
  }

  private static long id(Statement s, String username) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT id FROM users WHERE username = '" + username + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
