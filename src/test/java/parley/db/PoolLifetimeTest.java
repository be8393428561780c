package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A pool's connections are replaced after PARLEY_DB_MAX_LIFETIME: none lives as long as the node on the server it
 * first reached (after a failover that left the old primary up as a standby, such a connection refused every write
 * for as long as the node ran), and requests go on meanwhile.
 */
@ExtendWith(TestParley.class)
class PoolLifetimeTest {

  private static final String APP = "lifetime-probe";

  @Test
  void everyConnectionIsReplacedAfterItsLifetimeWhileRequestsGoOn() throws Exception {
    String url = TestParley.environment().get(AppConfig.DATABASE_URL).replaceAll("application_name=[^&]*",
        "application_name=" + APP);
    Main.Running server = TestParley.startServer(Map.of(AppConfig.DATABASE_URL, url,
        AppConfig.DATABASE_MAX_LIFETIME, "1s", AppConfig.HTTP_INSTANCES, "1"));
    Api api = new Api("http://127.0.0.1:" + server.port());
    try {
      assertEquals(200, api.get("/health/ready").status());
      Set<Integer> first = backends();
      assertFalse(first.isEmpty(), "the node's connections, by application name");
      TestParley.awaitUntil(() -> {
        assertEquals(200, api.get("/health/ready").status(), "requests go on while connections are replaced");
        Set<Integer> now = backends();
        now.retainAll(first);
        return now.isEmpty();
      }, "every first connection replaced");
      // New ones in their place, as requests need them.
      TestParley.awaitUntil(() -> api.get("/health/ready").status() == 200 && !backends().isEmpty(), "new connections");
    } finally {
      server.stop();
    }
  }

  private static Set<Integer> backends() throws Exception {
    Set<Integer> pids = new HashSet<>();
    try (Connection c = TestParley.db().getConnection(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT pid FROM pg_stat_activity WHERE application_name = '" + APP + "'")) {
      while (rs.next()) pids.add(rs.getInt(1));
    }
    return pids;
  }
}
