package parley.live;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.TestParley;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs src/test/node (the official @vertx/eventbus-bridge-client.js, and webroot/js/live.js) against the test
 * server. Needs Node and `npm ci` in src/test/node; without them it is skipped with a message, unless
 * PARLEY_REQUIRE_NODE is set (as .ci/run does), which turns the skip into a failure.
 */
@ExtendWith(TestParley.class)
class OfficialClientTest {

  @Test
  void theOfficialBridgeClientAndLiveJsPassTheirNodeTests() throws Exception {
    File dir = new File("src/test/node");
    boolean ready = new File(dir, "node_modules").isDirectory() && onPath("node");
    if (!ready) {
      String why = "Node tests skipped: run `npm ci` in src/test/node (and install Node 20+) to run them";
      if (System.getenv("PARLEY_REQUIRE_NODE") != null) fail(why);
      assumeTrue(false, why);
    }
    ProcessBuilder pb = new ProcessBuilder("node", "--test", "bridge-client.test.mjs").directory(dir)
        .redirectErrorStream(true);
    pb.environment().put("PARLEY_URL", Api.local().baseUrl());
    Process node = pb.start();
    byte[] output = node.getInputStream().readAllBytes();
    assertTrue(node.waitFor(120, TimeUnit.SECONDS), "node --test did not finish");
    String text = new String(output, StandardCharsets.UTF_8);
    System.out.println(text);
    assertEquals(0, node.exitValue(), text);
    assertTrue(text.contains("# fail 0"), text);
    assertTrue(!text.contains("# skipped 4"), "the server tests ran: " + text);
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, command).canExecute()) return true;
    }
    return false;
  }
}
