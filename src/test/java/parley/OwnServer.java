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
