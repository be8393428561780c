package parley.cluster;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.CapturedLog;
import parley.TestParley;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node learns of another serving from its database outside its cluster, and says so (a node started without
 * PARLEY_CLUSTER started without a word, its readers never hearing the others' writes: an operator's probe). Each
 * "node" here is a roster on the test database, beaten by hand; the test server's own row, and those of other tests'
 * servers, are left out of what is asserted.
 */
@ExtendWith(TestParley.class)
class NodeRosterTest {

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Pool pool() throws Exception {
    return TestParley.server().running().database().background();
  }

  /**
   * A roster of its own, counting every other row; its id is one of this process's for the test server's roster, so
   * that a beat of the server's does not take it for a node writing outside its cluster, during the test or after it
   * (it would turn the server's caches off under the next tests). Ids stay the process's, as a stopped node's do.
   */
  private NodeRoster node(String id, String cluster, Collection<String> members) throws Exception {
    NodeRoster.OF_THIS_PROCESS.add(id);
    return new NodeRoster(pool(), id, cluster, id + ":8080 (pid 1)", () -> members);
  }

  /** The outsiders one beat of {@code roster} finds among {@code ids}. */
  private static Set<String> outsiders(NodeRoster roster, Set<String> ids) throws Exception {
    return await(roster.beat()).stream().map(NodeRoster.Outsider::id).filter(ids::contains)
        .collect(java.util.stream.Collectors.toSet());
  }

  @Test
  void twoNodesOnOneDatabaseNeitherClusteredEachSayTheOtherIsOutsideAndStopSayingItWhenItLeaves() throws Exception {
    String a = "alone-a-" + UUID.randomUUID();
    String b = "alone-b-" + UUID.randomUUID();
    String killed = "killed-" + UUID.randomUUID();
    Set<String> ids = Set.of(a, b, killed);
    NodeRoster first = node(a, null, List.of());
    NodeRoster second = node(b, null, List.of());
    NodeRoster dead = node(killed, null, List.of());
    await(first.join());
    await(second.join());
    await(dead.join());
    try (CapturedLog log = new CapturedLog(NodeRoster.class)) {
      // A row is counted once it has been seen to move at two looks in a row: the first look cannot tell a running
      // node from a dead one, and a node killed just after a beat moves once more.
      assertEquals(Set.of(), outsiders(first, ids));
      assertEquals(Set.of(), outsiders(second, ids));
      await(dead.beat());
      assertEquals(Set.of(), outsiders(first, ids), "moved once: b, and the node about to be killed");
      assertEquals(Set.of(), outsiders(second, ids));
      assertEquals(Set.of(b), outsiders(first, ids), "b's row moved again since a's last look; the killed node's not");
      assertEquals(Set.of(a), outsiders(second, ids));
      assertEquals(Set.of(b), outsiders(first, ids));
      assertTrue(String.join("\n", log.messages()).contains("A node is serving from this database outside this node's cluster (this node "
          + "is not clustered): " + b + ":8080 (pid 1) (not clustered, started "), String.join("\n", log.messages()));
      assertTrue(String.join("\n", log.messages()).contains("PARLEY_CLUSTER=true and one PARLEY_CLUSTER_NAME on each"), String.join("\n", log.messages()));
      assertEquals(1, log.messages().stream().filter(m -> m.contains(b + ":8080")).count(),
          "said once, not at every beat");

      await(second.leave());
      assertEquals(Set.of(), outsiders(first, ids));
      assertTrue(String.join("\n", log.messages()).contains("No node outside this one's cluster serves from its database any more"),
          String.join("\n", log.messages()));
    } finally {
      await(first.leave());
      await(dead.leave());
    }
  }

  @Test
  void theClustersOwnMembersAreNotOutsidersANodeNotAmongThemIs() throws Exception {
    String x = "member-x-" + UUID.randomUUID();
    String y = "member-y-" + UUID.randomUUID();
    String stray = "stray-" + UUID.randomUUID();
    String other = "other-cluster-" + UUID.randomUUID();
    Set<String> ids = Set.of(x, y, stray, other);
    List<String> members = List.of(x, y);
    List<NodeRoster> nodes = List.of(node(x, "parley", members), node(y, "parley", members),
        node(stray, "parley", List.of(stray)), node(other, "elsewhere", List.of(other)));
    for (NodeRoster node : nodes) await(node.join());
    try {
      for (int look = 0; look < 3; look++) {
        for (NodeRoster node : nodes) await(node.beat());
      }
      List<Set<String>> found = new java.util.ArrayList<>();
      for (NodeRoster node : nodes) found.add(outsiders(node, ids));
      // Same name, not a member (cut off from the others), and another cluster's name: both outside x's cluster.
      assertEquals(Set.of(stray, other), found.get(0));
      assertEquals(Set.of(stray, other), found.get(1));
      assertEquals(Set.of(x, y, other), found.get(2));
      assertEquals(Set.of(x, y, stray), found.get(3));
    } finally {
      for (NodeRoster node : nodes) await(node.leave());
    }
  }

  /**
   * The nodes one process runs (more than one only where Parley is embedded, as the test suite's side servers are)
   * are not outsiders to each other; a node of another process still sees them.
   */
  @Test
  void nodesOfOneProcessAreNotOutsidersToEachOther() throws Exception {
    String p = "process-p-" + UUID.randomUUID();
    String q = "process-q-" + UUID.randomUUID();
    String elsewhere = "elsewhere-" + UUID.randomUUID();
    Set<String> ids = Set.of(p, q, elsewhere);
    Set<String> oneProcess = java.util.concurrent.ConcurrentHashMap.newKeySet();
    NodeRoster.OF_THIS_PROCESS.addAll(List.of(p, q));
    NodeRoster first = new NodeRoster(pool(), p, null, p + ":8080 (pid 2)", List::of, oneProcess);
    NodeRoster second = new NodeRoster(pool(), q, null, q + ":8081 (pid 2)", List::of, oneProcess);
    NodeRoster third = node(elsewhere, null, List.of());
    List<NodeRoster> nodes = List.of(first, second, third);
    for (NodeRoster node : nodes) await(node.join());
    try {
      for (int look = 0; look < 3; look++) {
        for (NodeRoster node : nodes) await(node.beat());
      }
      assertEquals(Set.of(elsewhere), outsiders(first, ids));
      assertEquals(Set.of(elsewhere), outsiders(second, ids));
      assertEquals(Set.of(p, q), outsiders(third, ids));
    } finally {
      for (NodeRoster node : nodes) await(node.leave());
    }
    // Its row could outlive it (a lost delete: a side server stopped on a frozen database), fresh for 25 s: a
    // sibling must not take it for an outsider's (it turned the shared test server's caches off in a CI run).
    assertEquals(Set.of(p, q), oneProcess, "a node that left stays one of the process's");
    await(pool().preparedQuery("INSERT INTO node_roster (id, cluster, address) VALUES ($1, NULL, 'lost delete')")
        .execute(io.vertx.sqlclient.Tuple.of(p)));
    String r = "process-r-" + UUID.randomUUID();
    NodeRoster.OF_THIS_PROCESS.add(r);
    NodeRoster later = new NodeRoster(pool(), r, null, r + ":8082 (pid 2)", List::of, oneProcess);
    await(later.join());
    try {
      await(later.beat());
      assertFalse(later.freshOutside().contains(p), "a stopped sibling's fresh row");
    } finally {
      await(later.leave());
      await(first.leave());
    }
  }

  /**
   * The caches stand aside from the first look that sees a fresh row outside the cluster, not the third (the warning's
   * two moves), and come back once it is gone; a member's fresh row never counts.
   */
  @Test
  void aFreshRowOutsideTheClusterCountsFromTheFirstLookAndAMembersNever() throws Exception {
    String x = "fresh-x-" + UUID.randomUUID();
    String y = "fresh-y-" + UUID.randomUUID();
    String stray = "fresh-stray-" + UUID.randomUUID();
    NodeRoster first = node(x, "parley", List.of(x, y));
    NodeRoster member = node(y, "parley", List.of(x, y));
    NodeRoster outsider = node(stray, null, List.of());
    await(first.join());
    await(member.join());
    try {
      await(first.beat());
      assertFalse(first.freshOutside().contains(y), "a member's fresh row");
      await(outsider.join());
      assertTrue(await(first.beat()).stream().noneMatch(o -> o.id().equals(stray)), "not yet counted as an outsider");
      assertTrue(first.freshOutside().contains(stray), "but its fresh row is seen at once");
      await(outsider.leave());
      await(first.beat());
      assertFalse(first.freshOutside().contains(stray), "gone");
    } finally {
      await(first.leave());
      await(member.leave());
      await(outsider.leave());
    }
  }
  /**
   * A member killed leaves its row fresh after the cluster has dropped it: the survivors' caches must not stand aside
   * for it just as they take its load (a review). Seen moving twice more, outside the cluster, it counts.
   */
  @Test
  void aKilledMembersFreshRowTurnsNoCachesOffUnlessItMovesOn() throws Exception {
    String x = "killed-x-" + UUID.randomUUID();
    String y = "killed-y-" + UUID.randomUUID();
    List<String> members = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(x, y));
    NodeRoster survivor = node(x, "parley", members);
    NodeRoster killed = node(y, "parley", List.of(x, y));
    await(survivor.join());
    await(killed.join());
    String z = "killed-late-" + UUID.randomUUID();
    NodeRoster late = node(z, "parley", List.of(x, z));
    try {
      await(survivor.beat());
      members.remove(y); // the cluster drops it; its row, freshened just now, is left behind
      await(survivor.beat());
      assertFalse(survivor.freshOutside().contains(y), "a former member's fresh row");
      // A node that joins after the kill never saw it as a member: its row names the cluster all the same.
      await(late.join());
      await(late.beat());
      assertFalse(late.freshOutside().contains(y), "a row of this cluster's, to a node that joined after the kill");
      // It was not dead after all: cut off, it goes on writing outside the cluster.
      for (int look = 0; look < 2; look++) {
        await(killed.beat());
        await(survivor.beat());
      }
      assertTrue(survivor.freshOutside().contains(y), "a former member seen moving twice, outside the cluster");
    } finally {
      await(survivor.leave());
      await(killed.leave());
      await(late.leave());
    }
  }
}
