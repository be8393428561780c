package parley.readcache;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import parley.config.ReadCacheSettings;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache's rule on its own, with reads whose completion the test controls: a read that races a write's
 * invalidation is never served afterwards, whichever finishes first; an invalidation retires only its scope; the
 * bounds hold. (ReadCacheSafetyTest checks the same through the real server, ReadCacheClusterTest across nodes.)
 */
class ReadCacheRulesTest {

  private final ReadCache cache = new ReadCache(new ReadCacheSettings(true, 1000, 1 << 20, 1000, 1 << 20, 1000), new SimpleMeterRegistry());
  private final ReadCache.Kind kind = cache.kind("test");
  private final AtomicInteger loads = new AtomicInteger();

  /** A read of thread 1 that loads {@code body} (counting the load), and what it answered. */
  private String readThread(long post, String body) {
    return text(cache.read(kind, cache.thread(post), "k" + post, () -> {
      loads.incrementAndGet();
      return Future.succeededFuture(Buffer.buffer(body));
    }));
  }

  private static String text(Future<Buffer> answered) {
    return answered.result().toString();
  }

  @Test
  void aReadThatCompletesAfterAnInvalidationIsNeverServed() {
    Promise<Buffer> slow = Promise.promise();
    Future<Buffer> racing = cache.read(kind, cache.thread(1), "k1", slow::future);
    // The write commits and is told of while the read's query (which saw the old row) is still out.
    cache.invalidate(Invalidation.thread(1, false));
    slow.complete(Buffer.buffer("old"));
    assertEquals("old", text(racing), "the racing reader itself gets what it read");
    assertEquals("new", readThread(1, "new"), "the next reader does not");
    assertEquals("new", readThread(1, "newer"), "and what that reader read is kept");
  }

  /**
   * Misses of one key while its load is under way join that load (an overload review: 250 misses of one cold page
   * were 250 queries); not once a write was told of since it began: that read starts its own.
   */
  @Test
  void missesOfAKeyWhoseLoadIsUnderWayJoinItUntilAWriteIsToldOf() {
    Promise<Buffer> slow = Promise.promise();
    Future<Buffer> first = cache.read(kind, cache.thread(1), "k1", () -> {
      loads.incrementAndGet();
      return slow.future();
    });
    Future<Buffer> second = cache.read(kind, cache.thread(1), "k1", () -> {
      loads.incrementAndGet();
      return Future.succeededFuture(Buffer.buffer("second's own"));
    });
    assertEquals(1, loads.get(), "the second joined the first's load");
    cache.invalidate(Invalidation.thread(1, false));
    Promise<Buffer> after = Promise.promise();
    Future<Buffer> third = cache.read(kind, cache.thread(1), "k1", () -> {
      loads.incrementAndGet();
      return after.future();
    });
    assertEquals(2, loads.get(), "a read after the invalidation does not join a load from before it");
    slow.complete(Buffer.buffer("old"));
    assertEquals("old", text(first));
    assertEquals("old", text(second));
    after.complete(Buffer.buffer("new"));
    assertEquals("new", text(third));
    assertEquals("new", readThread(1, "unused"), "what the later load read is kept");
  }

  /** A load that throws (a cursor its query refuses) leaves nothing to join: the next read runs its own. */
  @Test
  void aLoadThatThrowsLeavesNothingForTheNextReadToWaitOn() {
    IllegalArgumentException refused = new IllegalArgumentException("not a cursor of this list");
    try {
      cache.read(kind, cache.thread(1), "k1", () -> {
        throw refused;
      });
    } catch (IllegalArgumentException e) {
      assertEquals(refused, e, "thrown to its own caller, as before");
    }
    Future<Buffer> next = cache.read(kind, cache.thread(1), "k1", () -> Future.succeededFuture(Buffer.buffer("its own")));
    assertTrue(next.isComplete(), "answered, not waiting on the load that threw");
    assertEquals("its own", text(next));
  }

  @Test
  void aReadStoredBeforeAnInvalidationIsRetiredByIt() {
    assertEquals("old", readThread(1, "old"));
    assertEquals("old", readThread(1, "unused"));
    assertEquals(1, loads.get(), "the second read was a hit");
    cache.invalidate(Invalidation.thread(1, false));
    assertEquals("new", readThread(1, "new"));
  }

  @Test
  void anInvalidationRetiresOnlyItsScope() {
    readThread(1, "one");
    readThread(2, "two");
    String feed = text(cache.read(kind, cache.feed(), "feed", () -> Future.succeededFuture(Buffer.buffer("feed"))));
    assertEquals("feed", feed);
    cache.invalidate(Invalidation.thread(1, false));
    assertEquals("two", readThread(2, "changed"), "another thread's page stays");
    assertEquals("feed", text(cache.read(kind, cache.feed(), "feed", () -> Future.succeededFuture(Buffer.buffer("x")))));
    cache.invalidate(Invalidation.thread(2, true));
    assertEquals("y", text(cache.read(kind, cache.feed(), "feed", () -> Future.succeededFuture(Buffer.buffer("y")))),
        "a post's vote retires the feed");
    cache.invalidate(Invalidation.everythingChanged());
    assertEquals("2'", readThread(2, "2'"));
    assertEquals("z", text(cache.read(kind, cache.feed(), "feed", () -> Future.succeededFuture(Buffer.buffer("z")))));
  }

  @Test
  void aFailedReadStoresNothing() {
    Future<Buffer> failed = cache.read(kind, cache.thread(1), "k1", () -> Future.failedFuture("no database"));
    assertEquals("no database", failed.cause().getMessage());
    assertEquals("fresh", readThread(1, "fresh"));
  }

  @Test
  void theBoundsHold() {
    ReadCache small = new ReadCache(new ReadCacheSettings(true, 32, 1 << 20, 1000, 1 << 20, 1000), new SimpleMeterRegistry());
    ReadCache.Kind k = small.kind("test");
    for (int i = 0; i < 1000; i++) {
      small.read(k, small.thread(i), "k" + i, () -> Future.succeededFuture(Buffer.buffer("x".repeat(100))));
    }
    assertEquals(32, small.entries(), "entries");
    ReadCache tight = new ReadCache(new ReadCacheSettings(true, 100_000, 64 * 1024, 1000, 1 << 20, 1000), new SimpleMeterRegistry());
    ReadCache.Kind t = tight.kind("test");
    for (int i = 0; i < 1000; i++) {
      tight.read(t, tight.thread(i), "k" + i, () -> Future.succeededFuture(Buffer.buffer("x".repeat(1000))));
    }
    assertEquals(true, tight.bytes() <= 64 * 1024, "bytes " + tight.bytes());
    assertEquals(true, tight.entries() > 16, "still holds what fits: " + tight.entries());
  }

  @Test
  void offMeansEveryReadLoads() {
    ReadCache off = new ReadCache(new ReadCacheSettings(false, 1000, 1 << 20, 1000, 1 << 20, 1000), new SimpleMeterRegistry());
    ReadCache.Kind k = off.kind("test");
    AtomicInteger n = new AtomicInteger();
    for (int i = 0; i < 3; i++) off.read(k, off.thread(1), "k", () -> Future.succeededFuture(Buffer.buffer("" + n.incrementAndGet())));
    assertEquals(3, n.get());
  }

  @Test
  void gzipIsTakenOnlyWhenNamedWithoutQZero() {
    assertEquals(true, ReadCache.acceptsGzip("gzip, deflate, br, zstd"));
    assertEquals(true, ReadCache.acceptsGzip("br;q=1.0, GZIP;q=0.5"));
    assertEquals(false, ReadCache.acceptsGzip("gzip;q=0"));
    assertEquals(false, ReadCache.acceptsGzip("deflate, br"));
    assertEquals(false, ReadCache.acceptsGzip("x-gzip"));
    assertEquals(false, ReadCache.acceptsGzip(null));
  }
}
