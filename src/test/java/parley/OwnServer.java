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
   * The settings of a node in a two-node cluster of its own (a fresh name, so test classes never join each other's),
   * on loopback, with {@code more} settings besides. The two nodes' ports are two adjacent ports found free now, and
   * each node looks for the other on exactly those: the default (a member without a port, tried on ten ports from
   * the node's own) once hung a node's join in {@code TcpIpJoiner.claimMastership} for minutes, most likely on a
   * port in that range held by something that accepts connections without speaking Hazelcast (a chromedriver from a
   * browser test picks its port at random).
   */
  public static Map<String, String> clustered(Map<String, String> more) {
    int port = twoFreePorts();
    Map<String, String> settings = new java.util.HashMap<>(more);
    settings.put(parley.config.AppConfig.CLUSTER, "true");
    settings.put(parley.config.AppConfig.CLUSTER_NAME, "test-" + java.util.UUID.randomUUID().toString().substring(0, 8));
    settings.put(parley.config.AppConfig.CLUSTER_HOST, "127.0.0.1");
    settings.put(parley.config.AppConfig.CLUSTER_PORT, Integer.toString(port));
    settings.put(parley.config.AppConfig.CLUSTER_MEMBERS, "127.0.0.1:" + port + ",127.0.0.1:" + (port + 1));
    // No load balancer to wait for.
    settings.put(parley.config.AppConfig.SHUTDOWN_DELAY, "0s");
    return Map.copyOf(settings);
  }

  /** A port that is free on loopback now, and the one after it too: the first node takes it, the second the next. */
  private static int twoFreePorts() {
    for (int attempt = 0; attempt < 50; attempt++) {
      try (java.net.ServerSocket first = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        int port = first.getLocalPort();
        if (port >= 65535) continue;
        try (java.net.ServerSocket second =
                 new java.net.ServerSocket(port + 1, 1, java.net.InetAddress.getLoopbackAddress())) {
          return port;
        } catch (java.io.IOException taken) {
          // the next one is in use: try another pair
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no two adjacent free ports on loopback");
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

  /** The sum of this node's counters {@code name} with {@code tag} = {@code value}. */
  public double counted(String name, String tag, String value) {
    return running.meters().find(name).tag(tag, value).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /**
   * Waits until this node has heard every invalidation {@code name} (a cache's counter with origin local/remote) that
   * {@code other} has made so far: a write through {@code other} reaches this node's cache a moment after it answers,
   * so a test that counts this node's cache hits waits for the messages still on their way.
   */
  public void awaitHeardAllOf(OwnServer other, String name) throws InterruptedException {
    awaitCounted(name, "origin", "remote", other.counted(name, "origin", "local") - 1);
  }

  /**
   * Waits (polling, up to 10 s) until this node's counter has grown past {@code before}: how a test awaits a cluster
   * message's arrival, which nothing else announces.
   */
  public void awaitCounted(String name, String tag, String value, double before) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (counted(name, tag, value) <= before) {
      if (System.nanoTime() > deadline) throw new AssertionError(name + "{" + tag + "=" + value + "} never grew");
      Thread.sleep(5);
    }
  }
}
