package parley.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.MessageConsumer;
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
  /** The per-account login slow-down (see account.LoginThrottle); entries expire with their last known address. */
  public static final String LOGIN_THROTTLE_MAP = "parley.login-throttle";
  /** Each member's fingerprint of its token signing key (see {@link #checkSameSigningKey}). */
  static final String SIGNING_KEYS_MAP = "parley.signing-keys";
  private static final String HELLO = "parley.internal.hello";
  private static final long INTRODUCTION_TIMEOUT_MS = 5_000;
  private static final Logger log = LoggerFactory.getLogger(Cluster.class);

  private final HazelcastClusterManager manager;

  private Cluster(HazelcastClusterManager manager) {
    this.manager = manager;
  }

  /** A cluster manager for these settings; Vert.x starts it (and joins) when the clustered instance is built. */
  public static Cluster of(AppConfig config) {
    // Read once, when Hazelcast's first logger is made (before the instance reads its own configuration): without it
    // the first lines go to java.util.logging, bypassing the log format.
    System.setProperty("hazelcast.logging.type", "slf4j");
    return new Cluster(new HazelcastClusterManager(hazelcastConfig(config)));
  }

  public HazelcastClusterManager manager() {
    return manager;
  }

  /** The running member; only once Vert.x has joined. */
  public HazelcastInstance hazelcast() {
    return manager.getHazelcastInstance();
  }

  /**
   * Opens this node's event-bus connections to every other node, and theirs to it, before it serves anyone. The
   * bus connects to a node the first time it sends it something; that first message waits for the node's address
   * and a new connection, and a later message from another node could overtake it. For the thread and user topics
   * that costs nothing (readers get them in seq order regardless), but the feed and the moderators' topic are
   * delivered in arrival order. So a node that joins says hello to all, again every 100 ms, until each of the others
   * has answered (they answer each hello; an answer reaches the newcomer once they know where it listens, which
   * takes a moment after it registered): then every pair of nodes is connected both ways. Completes then, or after
   * {@link #INTRODUCTION_TIMEOUT_MS} with a warning (the node works either way).
   */
  public Future<Void> introduce(Vertx vertx) {
    String me = manager.getNodeId();
    Set<String> answered = ConcurrentHashMap.newKeySet();
    Promise<Void> introduced = Promise.promise();
    MessageConsumer<String> hello = vertx.eventBus().consumer(HELLO, message -> {
      String from = message.body();
      if (me.equals(from)) return;
      String to = message.headers().get("to");
      if (to == null) {
        vertx.eventBus().publish(HELLO, me, new DeliveryOptions().addHeader("to", from));
      } else if (me.equals(to) && answered.add(from) && answered.containsAll(others(me))) {
        introduced.tryComplete();
      }
    });
    long started = System.nanoTime();
    hello.completion().onSuccess(v -> {
      if (others(me).isEmpty()) {
        introduced.tryComplete();
        return;
      }
      vertx.eventBus().publish(HELLO, me);
      long timer = vertx.setPeriodic(100, id -> {
        if (answered.containsAll(others(me))) {
          introduced.tryComplete();
        } else if (System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(INTRODUCTION_TIMEOUT_MS)) {
          log.warn("Only {} of {} other nodes answered on the event bus within {} ms; going on", answered.size(),
              others(me).size(), INTRODUCTION_TIMEOUT_MS);
          introduced.tryComplete();
        } else {
          vertx.eventBus().publish(HELLO, me);
        }
      });
      introduced.future().onComplete(ar -> vertx.cancelTimer(timer));
    }).onFailure(introduced::tryFail);
    return introduced.future();
  }

  private List<String> others(String me) {
    return manager.getNodes().stream().filter(n -> !n.equals(me)).toList();
  }

  /**
   * Refuses to start a node whose token signing key is not the other nodes': each node leaves a fingerprint of its
   * key (an HMAC of a fixed text under it, which does not reveal it) in a cluster map under its member id, and a
   * joining node compares its own with those of the members there now. A node started with another
   * {@code PARLEY_JWT_SECRET} joined silently, and every member bounced between nodes got 401 "The token is invalid
   * or has expired." on half their requests, with nothing in any log to say why (a probe). Blocking: call it on a
   * worker. Two nodes started at the same moment with different keys can still miss each other.
   */
  public void checkSameSigningKey(String secret) {
    HazelcastInstance hz = hazelcast();
    String mine = fingerprint(secret);
    java.util.UUID me = hz.getCluster().getLocalMember().getUuid();
    Set<java.util.UUID> members = new java.util.HashSet<>();
    hz.getCluster().getMembers().forEach(member -> members.add(member.getUuid()));
    Map<java.util.UUID, String> seen = hz.getMap(SIGNING_KEYS_MAP);
    for (Map.Entry<java.util.UUID, String> other : seen.entrySet()) {
      if (!other.getKey().equals(me) && members.contains(other.getKey()) && !other.getValue().equals(mine)) {
        throw new IllegalStateException(AppConfig.JWT_SECRET + " is not the one the other nodes of cluster '"
            + hz.getConfig().getClusterName() + "' sign tokens with: every node must have the same, or members are "
            + "signed out whenever their requests reach another node. To change it, stop every node first.");
      }
    }
    seen.put(me, mine);
  }

  /** A fingerprint of a signing key: HMAC-SHA256 of a fixed text under the key, in hex. */
  static String fingerprint(String secret) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
          "HmacSHA256"));
      return java.util.HexFormat.of().formatHex(
          mac.doFinal("parley cluster signing key".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
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

  /**
   * Why a clustered start failed, in the operator's terms: Hazelcast says only "Node failed to start!" when it could
   * neither join a cluster nor form one of its own within {@code PARLEY_CLUSTER_JOIN_TIMEOUT}.
   */
  public static IllegalStateException joinFailure(AppConfig config, Throwable cause) {
    String members = String.join(", ", config.clusterMembers());
    IllegalStateException failure = new IllegalStateException("the clustered event bus did not start ("
        + cause.getMessage() + "). A node that cannot join or form a cluster within " + AppConfig.CLUSTER_JOIN_TIMEOUT
        + " (" + config.clusterJoinTimeout().toSeconds() + " s) gives up: check that "
        + AppConfig.CLUSTER_MEMBERS + " (" + members + ") names the other nodes' " + AppConfig.CLUSTER_HOST
        + " and Hazelcast port, that they use the same " + AppConfig.CLUSTER_NAME + ", and that nothing else listens"
        + " on those ports (a member without a port is looked for on the ten ports from " + AppConfig.CLUSTER_PORT
        + ", " + config.clusterPort() + ", up): docs/SCALING.md");
    failure.initCause(cause);
    return failure;
  }

  /** Hazelcast's configuration for these settings (public for the configuration tests). */
  public static Config hazelcastConfig(AppConfig config) {
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
        "hazelcast.heartbeat.interval.seconds", "1",
        // Two sides of a split look for each other to merge after this long, then this often (defaults 300 s and
        // 120 s): with the 10 s above, a node frozen for 20 s (a long GC pause, a stopped VM) was dropped and then
        // kept apart for about 3 minutes, its feed and moderators' events reaching no one on the other side (a
        // probe, 2026-12-04). A merge check is a connection attempt to the members listed.
        "hazelcast.merge.first.run.delay.seconds", "10",
        "hazelcast.merge.next.run.delay.seconds", "10")
        .forEach(hz::setProperty);
    // A node that cannot join gives up after this long (default 300 s) and says why (see joinFailure). An address
    // in the member list held by something that accepts connections but does not answer as Hazelcast does (another
    // program on one of the ten ports a member without a port is tried on) is never ruled out, so until then the
    // join waits on it, and Vert.x logs a blocked-thread trace every second after the first minute.
    hz.setProperty("hazelcast.max.join.seconds", Long.toString(config.clusterJoinTimeout().toSeconds()));

    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(config.clusterPort()).setPortAutoIncrement(true).setPortCount(100);
    network.getInterfaces().setEnabled(true).addInterface(config.clusterHost());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    // Each attempt to reach a member waits this long for its answer (default 5 s): a member that accepts but never
    // answers held a 2 s join timeout to 15 s (ClusterJoinFailureTest). Half the join timeout, at most the default.
    join.getTcpIpConfig().setEnabled(true).setMembers(config.clusterMembers())
        .setConnectionTimeoutSeconds((int) Math.max(1, Math.min(5, config.clusterJoinTimeout().toSeconds() / 2)));

    // One backup keeps a limit spent when the member that held it dies; each entry expires once it is full.
    hz.addMapConfig(new MapConfig(RATE_LIMITS_MAP).setBackupCount(1));
    hz.addMapConfig(new MapConfig(LOGIN_THROTTLE_MAP).setBackupCount(1));
    return hz;
  }
}
