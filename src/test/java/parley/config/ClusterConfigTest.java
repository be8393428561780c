package parley.config;

import com.hazelcast.config.Config;
import com.hazelcast.config.TcpIpConfig;
import org.junit.jupiter.api.Test;
import parley.cluster.Cluster;
import parley.http.MetricsAccess;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster and metrics settings: their defaults, what they refuse, and the Hazelcast configuration they give. */
class ClusterConfigTest {

  private static final Map<String, String> SHARED_DATABASE = Map.of(
      AppConfig.DATABASE_URL, "postgresql://parley:secret@db.internal:5432/parley");

  @Test
  void singleNodeIsTheDefaultAndMetricsAreLoopbackOnly() {
    AppConfig config = AppConfig.from(Map.of());
    assertFalse(config.cluster());
    assertEquals(List.of("127.0.0.0/8", "::1/128"), config.metricsAllow());
  }

  @Test
  void clusterModeNeedsTheSharedDatabaseAndRefusesBadPorts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(AppConfig.CLUSTER, "true")));
    assertTrue(e.getMessage().contains(AppConfig.DATABASE_URL), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(AppConfig.CLUSTER, "maybe")));
    Map<String, String> env = new java.util.HashMap<>(SHARED_DATABASE);
    env.put(AppConfig.CLUSTER, "true");
    env.put(AppConfig.CLUSTER_PORT, "70000");
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(env));
    // HTTP's port for the cluster's failed after the cluster was joined, blaming PARLEY_PORT (a review).
    env.put(AppConfig.CLUSTER_PORT, "5701");
    env.put(AppConfig.CLUSTER_BUS_PORT, "8080");
    assertEquals("PARLEY_CLUSTER_BUS_PORT must differ from PARLEY_PORT (8080), which HTTP listens on",
        assertThrows(IllegalArgumentException.class, () -> AppConfig.from(env)).getMessage());
  }

  @Test
  void withNothingElseSetNodesLookForEachOtherOnLoopbackOverTcpOnly() {
    Map<String, String> env = new java.util.HashMap<>(SHARED_DATABASE);
    env.put(AppConfig.CLUSTER, "yes");
    Config hz = Cluster.hazelcastConfig(AppConfig.from(env));
    TcpIpConfig tcp = hz.getNetworkConfig().getJoin().getTcpIpConfig();
    assertTrue(tcp.isEnabled());
    assertEquals(List.of("127.0.0.1"), tcp.getMembers());
    assertFalse(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled(), "no multicast");
    assertFalse(hz.getNetworkConfig().getJoin().getAutoDetectionConfig().isEnabled(), "no auto-detection");
    assertEquals(5701, hz.getNetworkConfig().getPort());
    assertEquals(List.of("127.0.0.1"), List.copyOf(hz.getNetworkConfig().getInterfaces().getInterfaces()));
    assertEquals("false", hz.getProperty("hazelcast.phone.home.enabled"), "no call home to hazelcast.com");
    assertEquals("false", hz.getProperty("hazelcast.socket.bind.any"), "binds the cluster address only");
    assertEquals("false", hz.getProperty("hazelcast.shutdownhook.enabled"), "Parley's shutdown leaves the cluster");
    assertEquals("10", hz.getProperty("hazelcast.merge.first.run.delay.seconds"), "a split heals in about a minute, not three");
    assertEquals("10", hz.getProperty("hazelcast.merge.next.run.delay.seconds"));
    assertEquals("40", hz.getProperty("hazelcast.max.join.seconds"),
        "a node that cannot join gives up before Vert.x's blocked-thread traces begin, not after 5 minutes of them");
    assertEquals("parley", hz.getClusterName());
  }

  @Test
  void theJoinTimeoutIsASettingOfAtLeastASecond() {
    Map<String, String> env = new java.util.HashMap<>(SHARED_DATABASE);
    env.put(AppConfig.CLUSTER, "true");
    env.put(AppConfig.CLUSTER_JOIN_TIMEOUT, "2m");
    assertEquals("120", Cluster.hazelcastConfig(AppConfig.from(env)).getProperty("hazelcast.max.join.seconds"));
    for (String bad : List.of("0s", "500ms", "-5s", "soon")) {
      env.put(AppConfig.CLUSTER_JOIN_TIMEOUT, bad);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AppConfig.from(env), bad);
      assertTrue(e.getMessage().contains(AppConfig.CLUSTER_JOIN_TIMEOUT), e.getMessage());
    }
  }

  @Test
  void membersHostAndPortAreConfigurable() {
    Map<String, String> env = new java.util.HashMap<>(SHARED_DATABASE);
    env.put(AppConfig.CLUSTER, "true");
    env.put(AppConfig.CLUSTER_HOST, "10.0.0.5");
    env.put(AppConfig.CLUSTER_PORT, "6000");
    env.put(AppConfig.CLUSTER_MEMBERS, "10.0.0.5, 10.0.0.6:6000");
    env.put(AppConfig.CLUSTER_NAME, "forum-prod");
    Config hz = Cluster.hazelcastConfig(AppConfig.from(env));
    assertEquals(List.of("10.0.0.5", "10.0.0.6:6000"), hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals(6000, hz.getNetworkConfig().getPort());
    assertEquals("forum-prod", hz.getClusterName());
  }

  @Test
  void metricsRangesAreAddressesWithPrefixesNeverNames() {
    assertTrue(MetricsAccess.allowed(MetricsAccess.ranges(List.of("127.0.0.0/8")), "127.0.0.1"));
    assertTrue(MetricsAccess.allowed(MetricsAccess.ranges(List.of("127.0.0.0/8")), "127.200.3.4"));
    assertFalse(MetricsAccess.allowed(MetricsAccess.ranges(List.of("127.0.0.0/8")), "10.0.0.1"));
    assertTrue(MetricsAccess.allowed(MetricsAccess.ranges(List.of("::1/128")), "0:0:0:0:0:0:0:1"));
    assertFalse(MetricsAccess.allowed(MetricsAccess.ranges(List.of("::1/128")), "::2"));
    assertTrue(MetricsAccess.allowed(MetricsAccess.ranges(List.of("10.1.0.0/16")), "10.1.255.7"));
    assertFalse(MetricsAccess.allowed(MetricsAccess.ranges(List.of("10.1.0.0/16")), "10.2.0.7"));
    assertTrue(MetricsAccess.allowed(MetricsAccess.ranges(List.of("192.0.2.7")), "192.0.2.7"), "a bare address is a /32");
    assertFalse(MetricsAccess.allowed(MetricsAccess.ranges(List.of("127.0.0.0/8")), "localhost"), "a name never matches");
    for (String bad : new String[] {"localhost", "10.0.0.0/33", "10.0.0.0/x", "example.org/8", ""}) {
      assertThrows(IllegalArgumentException.class, () -> MetricsAccess.allowed(MetricsAccess.ranges(List.of(bad)), "10.0.0.1"), bad);
    }
  }
}
