package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Readiness says 503 with why when the database stops answering, within its own short wait, not at the node's
 * database deadline (PARLEY_DB_DEADLINE, 10 s by default; 30 s here): a load balancer whose check times out sooner
 * saw only timeouts during a freeze, never the answer (a probe, 2026-12-04).
 */
@ExtendWith(TestParley.class)
class ReadyDeadlineTest {

  @Test
  void aFrozenDatabaseMakesReadiness503WithinItsOwnWait() throws Exception {
    URI database = URI.create(TestParley.environment().get(AppConfig.DATABASE_URL));
    try (FreezingProxy proxy = new FreezingProxy(database.getPort())) {
      Main.Running server = TestParley.startServer(Map.of(
          AppConfig.DATABASE_URL, "postgresql://postgres:postgres@127.0.0.1:" + proxy.port() + "/postgres",
          AppConfig.DATABASE_TIMEOUT, "15s", AppConfig.DATABASE_DEADLINE, "30s", AppConfig.HTTP_INSTANCES, "1"));
      try {
        Api api = new Api("http://127.0.0.1:" + server.port());
        assertEquals(200, api.get("/health/ready").status(), "ready while the database answers");
        proxy.freeze();
        Api.Response frozen;
        try {
          frozen = api.get("/health/ready");
        } finally {
          proxy.thaw();
        }
        assertEquals(503, frozen.status(), frozen.toString());
        assertEquals("The database did not answer within 2 s.", frozen.json().getString("detail"), frozen.toString());
        assertNotNull(frozen.header("Retry-After"), frozen.toString());
        assertEquals(200, api.get("/health/ready").status(), "ready again once it answers");
      } finally {
        server.stop();
      }
    }
  }
}
