package parley.account;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Session;
import parley.OwnServer;
import parley.TestParley;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two clustered nodes: an account kept by node B's authenticator is retired by a change made through node A once
 * A's message reaches B (awaited through B's count of changes heard from other nodes), so a ban, a role change or a
 * sign-out everywhere counts on B from then on; and every kind of account change sends that message.
 */
@ExtendWith(TestParley.class)
class AccountCacheClusterTest {

  private static final java.util.Map<String, String> CLUSTERED = OwnServer.clustered(java.util.Map.of());

  @RegisterExtension
  static final OwnServer A = new OwnServer(CLUSTERED);
  @RegisterExtension
  static final OwnServer B = new OwnServer(CLUSTERED);

  private final Api onA = new Api("http://localhost:" + A.port());
  private final Api onB = new Api("http://localhost:" + B.port());

  private Session carol;
  private Session mod;
  private Session admin;

  @BeforeEach
  void accounts() throws Exception {
    mod = onA.registerWithRole("mona", "moderator");
    admin = onA.registerWithRole("root", "admin");
    carol = onA.register("carol");
  }

  private static double kept() {
    return B.counted("parley_account_cache_requests", "result", "hit");
  }

  /**
   * Carol's account kept on B: her second request there finds it (once B has heard every account change A made,
   * so a late message about the set-up cannot retire her account between the two).
   */
  private void carolKeptOnB() throws InterruptedException {
    B.awaitHeardAllOf(A, "parley_account_cache_invalidations");
    onB.get("/api/me", carol);
    double hits = kept();
    assertEquals(200, onB.get("/api/me/reports", carol).status());
    assertEquals(hits + 1, kept(), "B keeps carol's account");
  }

  /** Makes a change through A and waits until B has heard of every account change A made, this one included. */
  private static void throughAHeardOnB(Supplier<Integer> change, int status) throws InterruptedException {
    assertEquals(status, change.get());
    B.awaitHeardAllOf(A, "parley_account_cache_invalidations");
  }

  private int carolPostsOnB() {
    return onB.post("/api/posts", carol, new JsonObject().put("title", "A post").put("body", "b")).status();
  }

  @Test
  void aBanThroughNodeATakesEffectOnNodeB() throws Exception {
    carolKeptOnB();
    throughAHeardOnB(() -> onA.post("/api/mod/users/carol/ban", mod, new JsonObject().put("reason", "spam"))
        .status(), 204);
    assertEquals(403, carolPostsOnB());
    throughAHeardOnB(() -> onA.delete("/api/mod/users/carol/ban", mod).status(), 204);
    assertEquals(201, carolPostsOnB());
  }

  @Test
  void aRoleChangeThroughNodeATakesEffectOnNodeB() throws Exception {
    carolKeptOnB();
    assertEquals(403, onB.get("/api/mod/queue", carol).status());
    throughAHeardOnB(() -> onA.put("/api/admin/users/carol/role", admin, new JsonObject().put("role", "moderator"))
        .status(), 204);
    assertEquals(200, onB.get("/api/mod/queue", carol).status());
    throughAHeardOnB(() -> onA.put("/api/admin/users/carol/role", admin, new JsonObject().put("role", "user"))
        .status(), 204);
    assertEquals(403, onB.get("/api/mod/queue", carol).status());
  }

  @Test
  void signingOutEverywhereThroughNodeAEndsTheTokenOnNodeB() throws Exception {
    carolKeptOnB();
    throughAHeardOnB(() -> onA.post("/api/auth/logout-all", carol, null).status(), 204);
    assertEquals(401, onB.get("/api/me", carol).status());
  }

  @Test
  void aTokenFromANewPasswordOnNodeAIsTakenOnNodeBAtOnce() throws Exception {
    carolKeptOnB();
    var changed = onA.put("/api/me/password", carol, new JsonObject().put("currentPassword", "correct horse")
        .put("newPassword", "battery staple"));
    assertEquals(200, changed.status(), changed.toString());
    // Not awaited: the new token is newer than the account B may still keep, so B reads the account again.
    Session renewed = new Session(changed.json().getString("token"), carol.id(), "carol");
    assertEquals(200, onB.get("/api/me", renewed).status());
  }

  @Test
  void aRenameAndAProfileChangeThroughNodeARetireTheAccountOnNodeB() throws Exception {
    carolKeptOnB();
    throughAHeardOnB(() -> onA.patch("/api/me", carol, new JsonObject().put("username", "caroline")
        .put("currentPassword", "correct horse")).status(), 200);
    double misses = B.counted("parley_account_cache_requests", "result", "miss");
    assertEquals(200, onB.get("/api/me", carol).status());
    assertEquals(misses + 1, B.counted("parley_account_cache_requests", "result", "miss"));
    throughAHeardOnB(() -> onA.patch("/api/me", carol, new JsonObject().put("bio", "hello")).status(), 200);
    assertEquals(misses + 2, onBMissesAfterARead());
  }

  private double onBMissesAfterARead() {
    assertEquals(200, onB.get("/api/me", carol).status());
    return B.counted("parley_account_cache_requests", "result", "miss");
  }
}
