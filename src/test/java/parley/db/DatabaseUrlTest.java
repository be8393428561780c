package parley.db;

import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How DATABASE_URL is read (an operator's probe): a URL that cannot be read is refused without repeating its
 * password; sslmode=require gets the TLS options the client needs (it was left without, and every query failed);
 * the modes that need a trust store are refused at the start.
 */
class DatabaseUrlTest {

  @Test
  void anUnreadableUrlIsRefusedWithoutItsPassword() {
    for (String url : new String[] {"postgresql://app:p@s5wd9@127.0.0.1:5432/appdb",
        "postgresql://app:secretpw@127.0.0.1:5432/appdb ", "jdbc:postgresql://app:secretpw@127.0.0.1:5432/appdb",
        "postgresql://app:secretpw@127.0.0.1:5432/appdb?sslmode=bogus"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Database.external(url), url);
      assertTrue(e.getMessage().startsWith("DATABASE_URL is not a PostgreSQL connection URI"), e.getMessage());
      assertFalse(e.getMessage().contains("s5wd9") || e.getMessage().contains("secretpw"), e.getMessage());
    }
  }

  @Test
  void requireEncryptsWithoutCheckingTheCertificateAndVerifyModesAreRefused() {
    PgConnectOptions require = Database.external("postgresql://app:pw@db.example.org:5432/appdb?sslmode=require");
    assertTrue(require.getSslOptions().isTrustAll());
    assertEquals("", require.getSslOptions().getHostnameVerificationAlgorithm());
    assertNull(Database.external("postgresql://app:pw@db.example.org:5432/appdb").getSslOptions());
    for (String mode : new String[] {"verify-ca", "verify-full"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Database.external("postgresql://app:pw@db.example.org:5432/appdb?sslmode=" + mode));
      assertTrue(e.getMessage().contains("sslmode=" + mode + " is not supported"), e.getMessage());
    }
  }
}
