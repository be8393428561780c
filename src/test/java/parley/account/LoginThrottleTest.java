package parley.account;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import parley.cluster.Cluster;
import parley.config.AppConfig;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-account throttle's steps on their own, in this node's store and in a cluster's map: an attempt from an
 * unknown address counts before its check, and one given back (a right {@code currentPassword}, a busy hasher) is
 * as if it had never been, the wait included.
 */
class LoginThrottleTest {

  private static final Duration MAX_DELAY = Duration.ofMinutes(15);

  /** Six attempts from new addresses, each given back: none ever waits (five would have made the sixth wait). */
  private static void givenBackSixTimes(LoginThrottle throttle) {
    for (int i = 1; i <= 6; i++) {
      LoginThrottle.Attempt tried = throttle.attempt("account", "198.51.100." + i).await();
      assertEquals(0, tried.waitSeconds(), "attempt " + i + " waits");
      assertTrue(tried.counted(), "attempt " + i + " from an unknown address counts before its check");
      throttle.released("account", tried).await();
    }
  }

  @Test
  void anAttemptGivenBackIsGivenBackOnThisNode() {
    givenBackSixTimes(new LoginThrottle(5, MAX_DELAY));
  }

  /**
   * A review: the give-back changed the map entry's copy without writing it back, so in a cluster every right
   * currentPassword from an unknown address stayed a failure, and five of them made the owner wait.
   */
  @Test
  void anAttemptGivenBackIsGivenBackInTheClustersMap() {
    String name = "throttle-" + UUID.randomUUID();
    HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(Cluster.hazelcastConfig(
        AppConfig.from(Map.of(AppConfig.CLUSTER_NAME, name))).setInstanceName(name));
    Vertx vertx = Vertx.vertx();
    try {
      givenBackSixTimes(new LoginThrottle(5, MAX_DELAY, vertx, hazelcast.getMap(Cluster.LOGIN_THROTTLE_MAP)));
    } finally {
      hazelcast.shutdown();
      vertx.close().await();
    }
  }

  /**
   * A review: the map's backup ran each step again on its own clock, so a wait given back on the owner stayed on the
   * backup, and a departing owner handed it on. The backup is now the owner's record as the step left it: once the
   * owner leaves, the member left has the account as the owner had it, no wait after the give-back.
   */
  @Test
  void theMapsBackupHoldsTheRecordAsTheOwnerLeftIt() throws Exception {
    String name = "throttle-" + UUID.randomUUID();
    int port = 15701 + java.util.concurrent.ThreadLocalRandom.current().nextInt(2000);
    Map<String, String> settings = Map.of(AppConfig.CLUSTER_NAME, name, AppConfig.CLUSTER_HOST, "127.0.0.1",
        AppConfig.CLUSTER_PORT, Integer.toString(port), AppConfig.CLUSTER_MEMBERS, "127.0.0.1");
    HazelcastInstance one = Hazelcast.newHazelcastInstance(
        Cluster.hazelcastConfig(AppConfig.from(settings)).setInstanceName(name + "-one"));
    HazelcastInstance two = null;
    Vertx vertx = Vertx.vertx();
    try {
      two = Hazelcast.newHazelcastInstance(Cluster.hazelcastConfig(AppConfig.from(settings))
          .setInstanceName(name + "-two"));
      assertEquals(2, one.getCluster().getMembers().size(), "the two members joined");
      LoginThrottle throttle = new LoginThrottle(5, MAX_DELAY, vertx, one.getMap(Cluster.LOGIN_THROTTLE_MAP));
      for (int i = 1; i <= 4; i++) assertTrue(throttle.attempt("account", "203.0.113." + i).await().counted());
      LoginThrottle.Attempt fifth = throttle.attempt("account", "192.0.2.1").await();
      assertTrue(fifth.counted() && fifth.waitSet() > 0, "the fifth sets a wait");
      throttle.released("account", fifth).await();
      HazelcastInstance other = two;
      HazelcastInstance owner = one.getPartitionService().getPartition("account").getOwner().localMember() ? one : other;
      HazelcastInstance left = owner == one ? other : one;
      owner.shutdown();
      LoginThrottle onTheOther = new LoginThrottle(5, MAX_DELAY, vertx, left.getMap(Cluster.LOGIN_THROTTLE_MAP));
      LoginThrottle.Attempt next = onTheOther.attempt("account", "192.0.2.2").await();
      assertEquals(0, next.waitSeconds(), "no wait after the give-back, on the member left");
      assertTrue(next.counted(), "and the four failures are still there: this is the fifth again");
      assertTrue(next.waitSet() > 0, "so it sets the wait");
    } finally {
      one.shutdown();
      if (two != null) two.shutdown();
      vertx.close().await();
    }
  }

  /**
   * A review: giving an attempt back took its failure off but left the wait it had set, so with the failures past
   * the free ones a right currentPassword made the account's next new address wait (up to 15 minutes).
   */
  @Test
  void anAttemptGivenBackPutsTheWaitBackAsItWas() {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    LoginThrottle throttle = new LoginThrottle(5, MAX_DELAY, now::get);
    for (int i = 1; i <= 5; i++) {
      assertTrue(throttle.attempt("account", "203.0.113." + i).await().counted(), "guess " + i);
    }
    assertEquals(1, throttle.attempt("account", "203.0.113.6").await().waitSeconds(), "the fifth set 1 s");
    now.addAndGet(1_500);
    assertTrue(throttle.attempt("account", "203.0.113.7").await().counted(), "guess 6");
    assertEquals(2, throttle.attempt("account", "203.0.113.8").await().waitSeconds(), "the sixth set 2 s");
    now.addAndGet(3_000);
    LoginThrottle.Attempt right = throttle.attempt("account", "192.0.2.1").await();
    assertTrue(right.counted());
    throttle.released("account", right).await();
    LoginThrottle.Attempt next = throttle.attempt("account", "192.0.2.2").await();
    assertEquals(0, next.waitSeconds(), "the wait is over, as it was before the attempt given back");
    assertTrue(next.counted());
  }
}
