package parley.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nodes a cluster cannot take. A node whose member list names a port where something else listens (a program that accepts connections and never
 * answers as Hazelcast does) cannot rule that member out, so it can neither join nor form a cluster: it gives up after
 * {@code PARLEY_CLUSTER_JOIN_TIMEOUT} and says what to check, where it waited Hazelcast's 5 minutes, logging a
 * blocked-thread trace every second after the first, and then said only "Node failed to start!".
 */
@ExtendWith(TestParley.class)
class ClusterJoinFailureTest {

  /**
   * A node started with another PARLEY_JWT_SECRET joined silently, and members bounced between the nodes were signed
   * out on half their requests with nothing in any log (a probe): it is refused, saying why, and the cluster goes on.
   */
  @Test
  void aNodeWithAnotherSigningKeyIsRefusedAndTheClusterGoesOn() throws Exception {
    Map<String, String> settings = OwnServer.clustered(Map.of());
    parley.Main.Running first = TestParley.startServer(settings);
    try {
      Map<String, String> other = new HashMap<>(settings);
      other.put(AppConfig.JWT_SECRET, "another-secret-that-is-long-enough-for-hs256-9876543210");
      ExecutionException failed = assertThrows(ExecutionException.class, () -> TestParley.startServer(other));
      IllegalStateException why = assertInstanceOf(IllegalStateException.class, failed.getCause());
      assertTrue(why.getMessage().startsWith(AppConfig.JWT_SECRET + " is not the one the other nodes of cluster"),
          why.getMessage());
      parley.Api api = new parley.Api("http://localhost:" + first.port());
      org.junit.jupiter.api.Assertions.assertEquals(201, api.post("/api/auth/register", null,
          new io.vertx.core.json.JsonObject().put("username", "still_here").put("email", "still@example.org")
              .put("password", "correct horse")).status(), "the first node serves on");
      // The same key is no refusal: a second node like the first joins. Once the first has seen the refused one
      // go: a node joining while Hazelcast still ended that member's membership, in this one JVM, was taken by the
      // first for itself ("Connecting to self!", a heartbeat loop), and the stop then hung (a CI run, 2026-12-06).
      TestParley.awaitUntil(() -> first.cluster().members() == 1, "the refused node has left the cluster");
      parley.Main.Running second = TestParley.startServer(settings);
      org.junit.jupiter.api.Assertions.assertEquals(2, second.cluster().members());
      second.stop();
    } finally {
      first.stop();
    }
  }

  @Test
  void aNodeThatCannotJoinGivesUpInTimeAndSaysWhatToCheck() throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) accepted.add(silent.accept());
        } catch (java.io.IOException closed) {
          // the test is over
        }
      }, "silent-listener");
      acceptor.setDaemon(true);
      acceptor.start();

      Map<String, String> settings = new HashMap<>(OwnServer.clustered(Map.of()));
      settings.put(AppConfig.CLUSTER_MEMBERS, "127.0.0.1:" + silent.getLocalPort());
      settings.put(AppConfig.CLUSTER_JOIN_TIMEOUT, "2s");
      ExecutionException failed = assertThrows(ExecutionException.class, () -> TestParley.startServer(settings));
      IllegalStateException why = assertInstanceOf(IllegalStateException.class, failed.getCause(),
          "Parley's own words, which Main logs without a trace");
      assertTrue(why.getMessage().contains(AppConfig.CLUSTER_JOIN_TIMEOUT + " (2 s)"), why.getMessage());
      assertTrue(why.getMessage().contains(AppConfig.CLUSTER_MEMBERS + " (127.0.0.1:" + silent.getLocalPort() + ")"),
          why.getMessage());
      assertFalse(accepted.isEmpty(), "the node did try the member");
    } finally {
      for (Socket s : accepted) s.close();
    }
  }
}
