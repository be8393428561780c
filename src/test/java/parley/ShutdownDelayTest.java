package parley;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.config.AppConfig;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A node told to stop says it is not ready and goes on serving for PARLEY_SHUTDOWN_DELAY, asking each client to take
 * its next request elsewhere, so a load balancer sees the 503 and takes it out before it stops listening. It used to
 * stop listening about 40 ms after SIGTERM: a balancer checking every few seconds saw refused connections, never the
 * 503, and requests sent on its idle pooled connections were cut unanswered (a probe, 2026-12-04).
 */
@ExtendWith(TestParley.class)
class ShutdownDelayTest {

  private static RawHttp.Reply get(int port, String path) throws java.io.IOException {
    return RawHttp.send(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
  }

  @Test
  void aNodeToldToStopSaysNotReadyAndServesOnUntilItsDelayHasPassed() throws Exception {
    Main.Running server = TestParley.startServer(Map.of(AppConfig.SHUTDOWN_DELAY, "3s"));
    int port = server.port();
    RawHttp.Reply before = get(port, "/api/posts");
    assertEquals(200, before.status());
    assertEquals(null, before.header("connection"), "kept alive while the node runs");

    CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
      try {
        server.stop();
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
    RawHttp.Reply ready = get(port, "/health/ready");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ready.status() == 200 && System.nanoTime() < deadline) ready = get(port, "/health/ready");
    assertEquals(503, ready.status(), "a new connection's readiness check: " + ready);

    RawHttp.Reply read = get(port, "/api/posts");
    assertEquals(200, read.status(), "still serving, on a new connection, after saying it is not ready");
    assertEquals("close", read.header("connection"), "and asking the client to go elsewhere next time");
    stopped.get(90, TimeUnit.SECONDS);
  }

  @Test
  void theDelayIsFiveSecondsForTheNodesOfAClusterAndNoneForASingleNode() {
    assertEquals(java.time.Duration.ZERO, AppConfig.from(Map.of()).shutdownDelay());
    assertEquals(java.time.Duration.ofSeconds(5), AppConfig.from(Map.of(AppConfig.CLUSTER, "true",
        AppConfig.DATABASE_URL, "postgresql://parley:secret@db.internal:5432/parley")).shutdownDelay());
    assertEquals(java.time.Duration.ofSeconds(20), AppConfig.from(Map.of(AppConfig.SHUTDOWN_DELAY, "20s"))
        .shutdownDelay());
    for (String bad : java.util.List.of("-1s", "6m", "never")) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> AppConfig.from(Map.of(AppConfig.SHUTDOWN_DELAY, bad)), bad);
    }
  }
}
