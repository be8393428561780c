package parley.cluster;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The nodes serving from this database ({@code node_roster}), so that a node learns of one that writes to the same
 * database outside its cluster: started without {@code PARLEY_CLUSTER}, or with another
 * {@code PARLEY_CLUSTER_NAME}, or cut off from the others. Such a node's writes never reach this node's live readers
 * (they get them only when they reconnect and replay) nor its read cache (which serves the old page for up to a
 * minute), and it started without a word (an operator's probe). Each node freshens its row every {@link #BEAT}; a
 * node is counted only once its row has been seen to move at two looks in a row, so the row of one that was killed
 * (never deleted, and freshened at most once after a look) is not mistaken for a running node. One is outside this
 * node's cluster when this node is not clustered, or when it is not among the cluster's members. Said at WARN (again
 * every ten minutes while it lasts) and counted ({@code parley_nodes_outside_cluster}); while a stranger's row is
 * fresh ({@link #freshOutside}: from the first look, so within a beat of the outsider's first; a row naming this
 * node's own cluster only once counted), this node's read and account caches stand aside (every read goes to the
 * database); nothing is refused: the operator's fix is the configuration.
 *
 * <p>Nodes this process runs, or has run, are not counted: there is more than one only where Parley is embedded, as
 * its test suite does (servers beside the shared one, each for one test), by someone who knows they share no bus.
 */
public final class NodeRoster {

  private static final Logger log = LoggerFactory.getLogger(NodeRoster.class);
  public static final Duration BEAT = Duration.ofSeconds(10);
  /**
   * A row freshened this recently (by the database's clock: two and a half beats, so one late freshen does not drop
   * it) is a node that may be writing: while one outside this node's cluster has one, {@link #freshOutside} holds.
   */
  private static final int FRESH_SECONDS = 25;
  /** The ids of the nodes this process runs or has run (see the class comment): Main's rosters share it. */
  public static final Set<String> OF_THIS_PROCESS = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final long REPEAT_NANOS = Duration.ofMinutes(10).toNanos();

  private static final String FRESHEN = "INSERT INTO node_roster (id, cluster, address) VALUES ($1, $2, $3) "
      + "ON CONFLICT (id) DO UPDATE SET seen_at = now()";
  private static final String OTHERS = "SELECT id, cluster, address, started_at, seen_at, "
      + "seen_at > now() - interval '" + FRESH_SECONDS + " seconds' AS fresh FROM node_roster "
      + "WHERE id <> $1 AND seen_at > now() - interval '10 minutes'";

  /** A node seen running on this database outside this node's cluster. */
  public record Outsider(String id, String cluster, String address, OffsetDateTime startedAt) {
    String describe() {
      return address + " (" + (cluster == null ? "not clustered" : "cluster '" + cluster + "'") + ", started "
          + startedAt + ")";
    }
  }

  private final Pool pool;
  private final String id;
  private final String cluster;
  private final String address;
  private final Supplier<Collection<String>> members;
  /** The ids of the nodes this process runs or has run, this one's included once it has joined. */
  private final Set<String> siblings;
  /** Each other row's seen_at at the last beat (beats run one after another: see {@link #beat}). */
  private Map<String, OffsetDateTime> seenBefore = Map.of();
  /** For each row that moved at the last beat and was outside the cluster: at how many beats in a row it was. */
  private Map<String, Integer> streaks = Map.of();
  private volatile List<Outsider> outsiders = List.of();
  private volatile Set<String> freshOutside = Set.of();
  /** The beat in flight, if any: a tick while one runs joins it (an older beat's answer must not land last). */
  private Future<List<Outsider>> beating;
  private Set<String> warnedAbout = Set.of();
  private long warnedAt;

  /**
   * @param id this node's id: its cluster node id when clustered, else any id of its own
   * @param cluster its cluster's name, or null when it is not clustered
   * @param address where it serves, for the other nodes' warnings
   * @param members the cluster's node ids as this node sees them (ignored when not clustered)
   */
  public NodeRoster(Pool pool, String id, String cluster, String address, Supplier<Collection<String>> members) {
    this(pool, id, cluster, address, members, java.util.concurrent.ConcurrentHashMap.newKeySet());
  }

  /** As above, with the ids of the other nodes this process runs ({@link #OF_THIS_PROCESS} for Main's). */
  public NodeRoster(Pool pool, String id, String cluster, String address, Supplier<Collection<String>> members,
      Set<String> siblings) {
    this.pool = pool;
    this.id = id;
    this.cluster = cluster;
    this.address = address;
    this.members = members;
    this.siblings = siblings;
  }

  /** This node's row, and the rows of nodes gone for a day deleted. */
  public Future<Void> join() {
    siblings.add(id);
    return pool.preparedQuery(FRESHEN).execute(Tuple.of(id, cluster, address))
        .compose(r -> pool.query("DELETE FROM node_roster WHERE seen_at < now() - interval '1 day'").execute())
        .mapEmpty();
  }

  /** This node's row freshened, the others read: the nodes outside its cluster, said when they change. */
  public Future<List<Outsider>> beat() {
    if (beating != null) return beating;
    Future<List<Outsider>> beat = look();
    beating = beat;
    beat.onComplete(done -> beating = null);
    return beat;
  }

  private Future<List<Outsider>> look() {
    return pool.preparedQuery(FRESHEN).execute(Tuple.of(id, cluster, address))
        .compose(r -> pool.preparedQuery(OTHERS).execute(Tuple.of(id)))
        .map(rows -> {
          Collection<String> mine = cluster == null ? List.of() : members.get();
          Map<String, OffsetDateTime> seen = new HashMap<>();
          Map<String, Integer> streak = new HashMap<>();
          List<Outsider> found = new ArrayList<>();
          Set<String> fresh = new java.util.HashSet<>();
          for (Row row : rows) {
            String other = row.getString("id");
            OffsetDateTime at = row.getOffsetDateTime("seen_at");
            seen.put(other, at);
            if (mine.contains(other) || siblings.contains(other)) continue;
            // A stranger's fresh row counts at once. One that names this node's cluster does not: a member killed (or
            // stopped without its delete) leaves a row fresh for 25 s after the cluster dropped it, and the survivors'
            // caches would stand aside just as they take its load (a node that joined after the kill never saw it as
            // a member: ClusterIT). It counts, as for the warning, once seen to move twice (cut off, and serving).
            boolean ofThisCluster = cluster != null && cluster.equals(row.getString("cluster"));
            if (row.getBoolean("fresh") && !ofThisCluster) fresh.add(other);
            OffsetDateTime before = seenBefore.get(other);
            boolean moved = before != null && at.isAfter(before);
            if (!moved) continue;
            int times = streaks.getOrDefault(other, 0) + 1;
            streak.put(other, times);
            // Twice in a row: a node killed just after a beat moves once more, and may have left the cluster's
            // members by the next look (a cluster's killed node was counted so, once).
            if (times >= 2) {
              found.add(new Outsider(other, row.getString("cluster"), row.getString("address"),
                  row.getOffsetDateTime("started_at")));
              fresh.add(other);
            }
          }
          seenBefore = seen;
          streaks = streak;
          freshOutside = Set.copyOf(fresh);
          outsiders = List.copyOf(found);
          say(found);
          return outsiders;
        });
  }

  /** This node's row deleted, as it stops. */
  public Future<Void> leave() {
    // Its id stays one of the process's: were the delete lost, or seen late by a sibling's look, its fresh row would
    // be taken for an outsider's and turn the sibling's caches off for 25 s (the suite's shared server, when a side
    // server or a roster test stopped: 19 failed cache tests in a CI run).
    return pool.preparedQuery("DELETE FROM node_roster WHERE id = $1").execute(Tuple.of(id)).mapEmpty();
  }

  /**
   * The nodes whose rows the last beat found outside this node's cluster and freshened in the last 25 s (never one
   * whose row names this node's cluster: that one only once {@link #outside} counts it), and those it counts: nodes that may
   * be writing to the database without a word to this one's caches. Lenient where {@link #outside} is strict: from
   * the first look that sees such a row (not the third), and through a late freshen or two, so the caches that stand
   * aside for it do not come back while it writes; a killed outsider's row keeps it so for up to 35 s more (25 s, and
   * the look's 10), which costs only reads.
   */
  public Set<String> freshOutside() {
    return freshOutside;
  }

  /** How many nodes the last beat found outside this node's cluster. */
  public int outside() {
    return outsiders.size();
  }

  private void say(List<Outsider> found) {
    Set<String> ids = found.stream().map(Outsider::id).collect(Collectors.toSet());
    if (ids.isEmpty()) {
      if (!warnedAbout.isEmpty()) log.info("No node outside this one's cluster serves from its database any more");
      warnedAbout = Set.of();
      return;
    }
    long now = System.nanoTime();
    if (warnedAbout.containsAll(ids) && now - warnedAt < REPEAT_NANOS) return;
    warnedAbout = ids;
    warnedAt = now;
    log.warn("{} serving from this database outside this node's cluster ({}): {}. Its writes reach this node's live "
            + "readers only when they reconnect, and this node's read and account caches are off while it serves. Nodes on one database must "
            + "share a cluster: PARLEY_CLUSTER=true and one PARLEY_CLUSTER_NAME on each (docs/SCALING.md)",
        found.size() == 1 ? "A node is" : found.size() + " nodes are",
        cluster == null ? "this node is not clustered" : "'" + cluster + "'",
        found.stream().map(Outsider::describe).collect(Collectors.joining("; ")));
  }
}
