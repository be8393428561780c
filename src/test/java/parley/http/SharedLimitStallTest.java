package parley.http;

import com.hazelcast.map.IMap;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import parley.config.AppConfig;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster whose member owning a bucket has stopped answering (frozen, paused, cut off) and is not yet dropped: a
 * rate-limited write waits {@link RateLimiter#SHARED_WAIT_MS} for it, then is counted on this node's own bucket.
 * Before, it waited for Hazelcast to drop the member (10 s), on every node (a probe, 2026-12-04). The map here is a
 * stand-in whose owner never answers, which is what a frozen member looks like from the others.
 */
class SharedLimitStallTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @SuppressWarnings("unchecked")
  private static IMap<String, RateLimiter.Bucket> ownerNeverAnswers() {
    return (IMap<String, RateLimiter.Bucket>) Proxy.newProxyInstance(IMap.class.getClassLoader(),
        new Class<?>[] {IMap.class}, (proxy, method, args) -> switch (method.getName()) {
          case "submitToKey" -> new CompletableFuture<>();  // never completed
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          case "toString" -> "a map whose owner never answers";
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void aTakeTheClusterDoesNotAnswerIsCountedOnThisNodesBucket() throws Exception {
    AppConfig config = AppConfig.from(Map.of(AppConfig.LIMIT_COMMENTS, "2/1m"));
    RateLimiter limiter = new RateLimiter(config, vertx, ownerNeverAnswers(), new SimpleMeterRegistry());
    for (int i = 0; i < 2; i++) {
      // Answered (allowed), not held until the member is dropped: before, neither ever completed here.
      limiter.take(AppConfig.LIMIT_COMMENTS, "7").await(10, TimeUnit.SECONDS);
    }
    Future<Void> third = limiter.take(AppConfig.LIMIT_COMMENTS, "7");
    Throwable refused = assertThrowsAwaiting(third);
    assertTrue(refused instanceof Problem, refused.toString());
    assertEquals(429, ((Problem) refused).status(), "this node's bucket limits the client meanwhile");
  }

  private static Throwable assertThrowsAwaiting(Future<Void> future) throws Exception {
    try {
      future.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("the third take was allowed");
  }
}
