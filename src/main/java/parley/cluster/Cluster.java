package parley.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import parley.config.AppConfig;

import java.util.Map;

/**
 * Cluster mode ({@code PARLEY_CLUSTER=true}): the nodes form one Vert.x clustered event bus, with Hazelcast as the
 * cluster manager. Hazelcast only keeps the membership, the bus's registrations (one per followed topic per node,
 * see {@code live.Relay}) and the shared rate-limit buckets; every event still goes through PostgreSQL first.
 *
 * <p>Hazelcast's own defaults are for development: multicast discovery, binding every interface, a "phone home"
 * call to hazelcast.com on start, a shutdown hook of its own that leaves the cluster before Parley has drained.
 * Parley joins over TCP/IP only, binds the configured address only, and turns the rest off.
 */
public final class Cluster {

  /** The rate-limit buckets: a bucket left alone refills completely within its window, so idle ones expire. */
  public static final String RATE_LIMITS_MAP = "parley.rate-limits";

  private final HazelcastClusterManager manager;

  private Cluster(HazelcastClusterManager manager) {
    this.manager = manager;
  }

  /** A cluster manager for these settings; Vert.x starts it (and joins) when the clustered instance is built. */
  public static Cluster of(AppConfig config) {
    return new Cluster(new HazelcastClusterManager(hazelcastConfig(config)));
  }

  public HazelcastClusterManager manager() {
    return manager;
  }

  /** The running member; only once Vert.x has joined. */
  public HazelcastInstance hazelcast() {
    return manager.getHazelcastInstance();
  }

  /** Nodes in the cluster now, as this node sees them. */
  public int members() {
    return manager.isActive() ? manager.getNodes().size() : 0;
  }

  /**
   * The event bus's own connections between nodes: on the cluster address, on a fixed port when one is set (for
   * a firewall), otherwise any free one (each node tells the others where through Hazelcast).
   */
  public static EventBusOptions busOptions(AppConfig config) {
    return new EventBusOptions()
        .setHost(config.clusterHost())
        .setPort(config.clusterBusPort())
        .setClusterPublicHost(config.clusterHost());
  }

  static Config hazelcastConfig(AppConfig config) {
    // Vert.x's default-cluster.xml: the maps and multimap of its own registrations, with one backup each.
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(config.clusterName());
    hz.setInstanceName("parley-" + config.clusterHost() + "-" + config.port());
    Map.of(
        "hazelcast.phone.home.enabled", "false",
        // Vert.x leaves the cluster when Parley's own shutdown closes it, after the HTTP servers have drained.
        "hazelcast.shutdownhook.enabled", "false",
        "hazelcast.logging.type", "slf4j",
        "hazelcast.socket.bind.any", "false",
        // A member given without a port is looked for on this many ports from PARLEY_CLUSTER_PORT up, so
        // several nodes on one machine find each other with no member list at all.
        "hazelcast.tcp.join.port.try.count", "10",
        // Start-up waits this long for other members before it forms a cluster of its own (default 5 s).
        "hazelcast.wait.seconds.before.join", "1",
        // A node that stops answering (killed, cut off) is dropped after this long (default 60 s); until then
        // other nodes' publishes to it are lost, which costs nothing, since its clients reconnect elsewhere.
        "hazelcast.max.no.heartbeat.seconds", "10",
        "hazelcast.heartbeat.interval.seconds", "1")
        .forEach(hz::setProperty);

    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(config.clusterPort()).setPortAutoIncrement(true).setPortCount(100);
    network.getInterfaces().setEnabled(true).addInterface(config.clusterHost());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(config.clusterMembers());

    // One backup keeps a limit spent when the member that held it dies; each entry expires once it is full.
    hz.addMapConfig(new MapConfig(RATE_LIMITS_MAP).setBackupCount(1));
    return hz;
  }
}
