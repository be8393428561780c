package parley;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Map;

/**
 * A test class's own server on the shared test database, with some settings changed (tight limits, short timeouts
 * the shared server must not have): started before the class's first test and stopped after its last. Register it
 * as a static {@code @RegisterExtension} field, after {@code @ExtendWith(TestParley.class)} on the class.
 */
public final class OwnServer implements BeforeAllCallback, AfterAllCallback {

  private final Map<String, String> changes;
  private Main.Running running;

  /**
   * The settings of a node in a cluster of its own (a fresh name, so test classes never join each other's), on
   * loopback at {@code port}, with {@code more} settings besides.
   */
  public static Map<String, String> clustered(int port, Map<String, String> more) {
    Map<String, String> settings = new java.util.HashMap<>(more);
    settings.put(parley.config.AppConfig.CLUSTER, "true");
    settings.put(parley.config.AppConfig.CLUSTER_NAME, "test-" + java.util.UUID.randomUUID().toString().substring(0, 8));
    settings.put(parley.config.AppConfig.CLUSTER_HOST, "127.0.0.1");
    settings.put(parley.config.AppConfig.CLUSTER_PORT, Integer.toString(port));
    return Map.copyOf(settings);
  }

  public OwnServer(Map<String, String> changes) {
    this.changes = Map.copyOf(changes);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    running = TestParley.startServer(changes);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    running.stop();
  }

  public int port() {
    return running.port();
  }

  public Main.Running running() {
    return running;
  }
}
