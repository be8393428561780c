package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Main;
import parley.TestParley;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the database twice is one close: a node whose verticles did not stop in time closes it itself, and the
 * undeploy that ends later must not close (and stop the embedded server) a second time under it.
 */
@ExtendWith(TestParley.class)
class DatabaseCloseTest {

  @Test
  void aSecondCloseIsTheFirst() throws Exception {
    Main.Running server = TestParley.startServer(Map.of());
    try {
      var first = server.database().close(server.vertx());
      var second = server.database().close(server.vertx());
      assertSame(first, second);
      first.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertTrue(first.succeeded(), String.valueOf(first.cause()));
    } finally {
      server.stop();
    }
  }
}
