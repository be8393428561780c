package parley.account;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;
import parley.config.PasswordHashingSettings;
import parley.http.Problem;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Passwords are hashed on the node's own few threads, with a bounded wait: a request beyond it is answered 503 with
 * Retry-After at once and changes nothing, and the threads serve the next request as soon as they are free.
 */
@ExtendWith(TestParley.class)
class PasswordHashingTest {

  /** One hashing thread and no queue: the test holds the thread to fill the pool. */
  @RegisterExtension
  static final OwnServer ONE_THREAD = new OwnServer(Map.of(PasswordHashingSettings.THREADS, "1",
      PasswordHashingSettings.QUEUE, "0"));

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Takes the one hashing thread until {@code release} counts down; completes once it is taken. */
  private static Future<Object> hold(PasswordHashing hashing, CountDownLatch release) throws Exception {
    Promise<Void> taken = Promise.promise();
    Future<Object> held = hashing.run(() -> {
      taken.complete();
      return release.await(30, TimeUnit.SECONDS);
    });
    await(taken.future());
    return held;
  }

  @Test
  void theDefaultsAreHalfTheCoresAndSixteenWaitingPerThreadAndNonsenseIsRefused() {
    PasswordHashingSettings defaults = AppConfig.from(Map.of()).passwordHashing();
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    assertEquals(new PasswordHashingSettings(false, threads, 16 * threads), defaults);
    assertEquals(new PasswordHashingSettings(false, 3, 48),
        AppConfig.from(Map.of(PasswordHashingSettings.THREADS, "3")).passwordHashing());
    for (Map<String, String> bad : java.util.List.of(Map.of(PasswordHashingSettings.THREADS, "0"),
        Map.of(PasswordHashingSettings.QUEUE, "-1"), Map.of(PasswordHashingSettings.THREADS, "two"))) {
      assertThrows(IllegalArgumentException.class, () -> AppConfig.from(bad), bad.toString());
    }
  }

  @Test
  void beyondItsThreadsAndQueueAHashIsRefusedAtOnceAndTheNextOneRunsWhenAThreadIsFree() throws Exception {
    // A Vert.x of its own: a worker pool is shared by name within one Vert.x, and the shared server has one.
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      PasswordHashing hashing = new PasswordHashing(vertx, new PasswordHashingSettings(true, 1, 1));
      CountDownLatch release = new CountDownLatch(1);
      Future<Object> running = hold(hashing, release);
      Future<String> waiting = hashing.run(() -> "waited");
      Future<String> refused = hashing.run(() -> "never");
      ExecutionException e = assertThrows(ExecutionException.class, () -> await(refused));
      Problem problem = assertInstanceOf(Problem.class, e.getCause());
      assertEquals(503, problem.status());
      assertFalse(waiting.isComplete(), "the one in the queue waits for the thread");
      assertEquals(2, hashing.admitted());
      release.countDown();
      assertEquals(true, await(running));
      assertEquals("waited", await(waiting));
      assertEquals("again", await(hashing.run(() -> "again")));
      assertEquals(0, hashing.admitted());
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void registrationSignInAndPasswordChangeAre503WithRetryAfterWhileTheThreadsAreFullAndChangeNothing()
      throws Exception {
    Api api = new Api("http://localhost:" + ONE_THREAD.port());
    Api.Session alice = api.register("alice");
    PasswordHashing hashing = ONE_THREAD.running().hashing();
    CountDownLatch release = new CountDownLatch(1);
    Future<Object> held = hold(hashing, release);
    try {
      Api.Response register = api.post("/api/auth/register", null, new JsonObject().put("username", "bob")
          .put("email", "bob@example.org").put("password", "correct horse"));
      Api.Response login = api.post("/api/auth/login", null, new JsonObject().put("login", "alice")
          .put("password", "correct horse"));
      Api.Response change = api.put("/api/me/password", alice, new JsonObject().put("currentPassword", "correct horse")
          .put("newPassword", "a brand new password"));
      for (Api.Response refused : java.util.List.of(register, login, change)) {
        assertEquals(503, refused.status(), refused.body());
        assertEquals("application/problem+json", refused.contentType());
        assertEquals("1", refused.header("retry-after"));
        assertTrue(refused.json().getString("detail").contains("try again shortly"), refused.body());
      }
      assertEquals(0, TestParley.count("SELECT count(*) FROM users WHERE username = 'bob'"));
      assertEquals(3, hashing.refused());
      assertEquals(3.0, ONE_THREAD.running().meters().find("parley_password_hashing_refusals").functionCounter()
          .count());
    } finally {
      release.countDown();
      await(held);
    }
    // Free again: the same requests go through, and the password was not changed by the refused one.
    assertEquals(200, api.post("/api/auth/login", null, new JsonObject().put("login", "alice")
        .put("password", "correct horse")).status());
    assertEquals(201, api.post("/api/auth/register", null, new JsonObject().put("username", "bob")
        .put("email", "bob@example.org").put("password", "correct horse")).status());
    assertEquals(0, hashing.admitted());
  }
}
