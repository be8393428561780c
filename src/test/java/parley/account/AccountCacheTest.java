package parley.account;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The authenticator's cache of accounts on one node: a kept account needs no query, and every change to it (ban,
 * unban, role, sign-out everywhere, password, rename) counts from the very next request, though the account was
 * kept just before the change.
 */
@ExtendWith(TestParley.class)
class AccountCacheTest {

  private final Api api = Api.local();
  private Session carol;
  private Session mod;
  private Session admin;

  @BeforeEach
  void accounts() throws Exception {
    mod = api.registerWithRole("mona", "moderator");
    admin = api.registerWithRole("root", "admin");
    carol = api.register("carol");
  }

  private static double counted(String name, String tag, String value) {
    try {
      return counts(name, tag, value);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static double counts(String name, String tag, String value) throws Exception {
    return TestParley.server().running().meters().find(name).tag(tag, value).counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  /** Carol's account kept on the node: a second signed-in request finds it there. */
  private void carolKept() {
    api.get("/api/me", carol);
    double hits = counted("parley_account_cache_requests", "result", "hit");
    double misses = counted("parley_account_cache_requests", "result", "miss");
    assertEquals(200, api.get("/api/me/reports", carol).status());
    assertEquals(hits + 1, counted("parley_account_cache_requests", "result", "hit"), "carol's account is kept");
    assertEquals(misses, counted("parley_account_cache_requests", "result", "miss"));
  }

  private int carolPosts() {
    return api.post("/api/posts", carol, new JsonObject().put("title", "A post").put("body", "b")).status();
  }

  @Test
  void aBanCountsOnTheNextRequestOfAKeptAccount() {
    carolKept();
    assertEquals(204, api.post("/api/mod/users/carol/ban", mod, new JsonObject().put("reason", "spam")).status());
    assertEquals(403, carolPosts());
  }

  @Test
  void anUnbanCountsOnTheNextRequestOfAKeptAccount() {
    assertEquals(204, api.post("/api/mod/users/carol/ban", mod, new JsonObject().put("reason", "spam")).status());
    carolKept();
    assertEquals(403, carolPosts());
    assertEquals(204, api.delete("/api/mod/users/carol/ban", mod).status());
    assertEquals(201, carolPosts());
  }

  @Test
  void aPromotionAndADemotionCountOnTheNextRequest() {
    carolKept();
    assertEquals(403, api.get("/api/mod/queue", carol).status());
    assertEquals(204, api.put("/api/admin/users/carol/role", admin, new JsonObject().put("role", "moderator"))
        .status());
    assertEquals(200, api.get("/api/mod/queue", carol).status());
    assertEquals(204, api.put("/api/admin/users/carol/role", admin, new JsonObject().put("role", "user")).status());
    assertEquals(403, api.get("/api/mod/queue", carol).status());
  }

  @Test
  void signingOutEverywhereEndsAKeptAccountsTokens() {
    carolKept();
    assertEquals(204, api.post("/api/auth/logout-all", carol, null).status());
    assertEquals(401, api.get("/api/me", carol).status());
  }

  @Test
  void aNewPasswordEndsTheOldTokenAndTheNewOneWorks() {
    carolKept();
    var changed = api.put("/api/me/password", carol, new JsonObject().put("currentPassword", "correct horse")
        .put("newPassword", "battery staple"));
    assertEquals(200, changed.status(), changed.toString());
    assertEquals(401, api.get("/api/me", carol).status());
    Session renewed = new Session(changed.json().getString("token"), carol.id(), "carol");
    assertEquals(200, api.get("/api/me", renewed).status());
  }

  @Test
  void aRenameRetiresTheKeptAccount() {
    carolKept();
    assertEquals(200, api.patch("/api/me", carol, new JsonObject().put("username", "caroline")
        .put("currentPassword", "correct horse")).status());
    double misses = counted("parley_account_cache_requests", "result", "miss");
    assertEquals(200, api.get("/api/me", carol).status());
    assertEquals(misses + 1, counted("parley_account_cache_requests", "result", "miss"), "read again after a rename");
  }
}
