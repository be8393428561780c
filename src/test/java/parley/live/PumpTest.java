package parley.live;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pump that writes live deliveries: work is done in the order it came, and a long backlog gives the event loop
 * back to its I/O between slices, so a request on the same loop is served while the deliveries are still going out.
 */
@ExtendWith(VertxExtension.class)
class PumpTest {

  /** Stands for writing to one socket: CPU work of about {@code micros}, on the event loop. */
  private static void work(long micros) {
    long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(micros);
    while (System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void worksInOrderAndServesRequestsOnTheSameLoopWhileBehind(Vertx vertx, VertxTestContext test) {
    Context loop = vertx.getOrCreateContext();
    List<Integer> done = new ArrayList<>();
    int items = 10;
    int stepsPerItem = 100;  // 1,000 steps of 1 ms: a second of fan-out, 5 ms slices
    loop.runOnContext(v -> {
      HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response().end(
          "backlog when served: " + done.size()));
      server.listen(0).onComplete(test.succeeding(s -> {
        Pump pump = new Pump(loop, TimeUnit.MILLISECONDS.toNanos(5), () -> false);
        for (int i = 0; i < items; i++) {
          int item = i;
          int[] steps = {0};
          pump.add(() -> {
            work(1000);
            if (++steps[0] < stepsPerItem) return true;
            done.add(item);
            return false;
          });
        }
        // The first slice ran in the caller; the rest wait behind the loop's I/O.
        assertTrue(pump.backlog() > 0, "a second of work cannot fit one 5 ms slice");
        HttpClient client = vertx.createHttpClient();
        client.request(HttpMethod.GET, s.actualPort(), "localhost", "/")
            .compose(req -> req.send().compose(resp -> resp.body()))
            .onComplete(test.succeeding(body -> test.verify(() -> {
              // Answered on this loop before the pump finished: the request did not wait behind the backlog.
              assertTrue(pump.backlog() > 0, "served only after the whole backlog: " + body);
              vertx.setPeriodic(20, id -> {
                if (pump.backlog() > 0) return;
                vertx.cancelTimer(id);
                test.verify(() -> {
                  List<Integer> expected = new ArrayList<>();
                  for (int i = 0; i < items; i++) expected.add(i);
                  assertEquals(expected, done, "work is done in the order it was added");
                  test.completeNow();
                });
              });
            })));
      }));
    });
  }
  /** A second of work in 1 ms steps, on the pump; completes the test with its pause count once all of it is done. */
  private static void runBehind(Vertx vertx, VertxTestContext test, long behindNanos, boolean writing,
      java.util.function.LongConsumer pausesWhenDone) {
    Context loop = vertx.getOrCreateContext();
    loop.runOnContext(v -> {
      Pump pump = new Pump(loop, TimeUnit.MILLISECONDS.toNanos(5), behindNanos, () -> writing);
      int[] steps = {0};
      pump.add(() -> {
        work(1000);
        return ++steps[0] < 200;
      });
      vertx.setPeriodic(20, id -> {
        if (pump.backlog() > 0) return;
        vertx.cancelTimer(id);
        test.verify(() -> {
          assertEquals(200, steps[0]);
          pausesWhenDone.accept(pump.pauses());
          test.completeNow();
        });
      });
    });
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void deliveryThatIsBehindPausesAfterEachSliceWhileAWriteIsInFlight(Vertx vertx, VertxTestContext test) {
    runBehind(vertx, test, 0, true,
        pauses -> assertTrue(pauses >= 10, "200 ms of work in 5 ms slices, each followed by a pause: " + pauses));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void withNoWriteInFlightDeliveryThatIsBehindTakesTheWholeLoop(Vertx vertx, VertxTestContext test) {
    runBehind(vertx, test, 0, false, pauses -> assertEquals(0, pauses));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void deliveryThatKeepsUpNeverPausesForWrites(Vertx vertx, VertxTestContext test) {
    runBehind(vertx, test, TimeUnit.HOURS.toNanos(1), true, pauses -> assertEquals(0, pauses));
  }
}
