package parley;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Periodic jobs run once per cluster: of several nodes offering a job at once, one runs it, once per interval. */
@ExtendWith(TestParley.class)
class JobsTest {

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void ofThreeNodesOfferingAJobAtOnceOneRunsItAndNobodyAgainUntilItIsDue() throws Exception {
    Main.Running server = TestParley.server().running();
    Vertx vertx = server.vertx();
    // Three "nodes" (each a Jobs on its own pool view of the one database), offering the same job together.
    List<Jobs> nodes = List.of(new Jobs(vertx, server.database().pool(), () -> false),
        new Jobs(vertx, server.database().pool(), () -> false), new Jobs(vertx, server.database().livePool(), () -> false));
    String job = "test-" + UUID.randomUUID();
    AtomicInteger runs = new AtomicInteger();
    List<Future<Boolean>> offers = nodes.stream()
        .map(n -> n.offer(job, Duration.ofHours(1), () -> Future.succeededFuture(runs.incrementAndGet())))
        .toList();
    long ran = 0;
    for (Future<Boolean> offer : offers) if (await(offer)) ran++;
    assertEquals(1, ran, "exactly one node claimed the turn");
    assertEquals(1, runs.get());

    // Not due again for an hour, whoever asks.
    for (Jobs node : nodes) {
      assertEquals(false, await(node.offer(job, Duration.ofHours(1), () -> Future.succeededFuture(runs.incrementAndGet()))));
    }
    assertEquals(1, runs.get());

    // An hour later (moved back in the table), the next offer runs it, and only that one.
    TestParley.sql("UPDATE jobs SET last_run = now() - interval '61 minutes' WHERE name = '" + job + "'");
    assertEquals(true, await(nodes.get(2).offer(job, Duration.ofHours(1), () -> Future.succeededFuture(runs.incrementAndGet()))));
    assertEquals(false, await(nodes.get(0).offer(job, Duration.ofHours(1), () -> Future.succeededFuture(runs.incrementAndGet()))));
    assertEquals(2, runs.get());
  }

  /**
   * A job due every minute, offered by the minute's timer, runs every minute: the offer finds its last run a few
   * milliseconds short of a minute old (stamped just after the offer before fired), and claims it anyway; a few
   * seconds short is still too early.
   */
  @Test
  void aJobDueEveryMinuteRunsAtEachMinutesOffer() throws Exception {
    Main.Running server = TestParley.server().running();
    Jobs node = new Jobs(server.vertx(), server.database().pool(), () -> false);
    String job = "test-" + UUID.randomUUID();
    AtomicInteger runs = new AtomicInteger();
    assertEquals(true, await(node.offer(job, Jobs.OFFER_EVERY, () -> Future.succeededFuture(runs.incrementAndGet()))));
    TestParley.sql("UPDATE jobs SET last_run = now() - interval '59.99 seconds' WHERE name = '" + job + "'");
    assertEquals(true, await(node.offer(job, Jobs.OFFER_EVERY, () -> Future.succeededFuture(runs.incrementAndGet()))),
        "a timer's jitter does not skip a turn");
    TestParley.sql("UPDATE jobs SET last_run = now() - interval '50 seconds' WHERE name = '" + job + "'");
    assertEquals(false, await(node.offer(job, Jobs.OFFER_EVERY, () -> Future.succeededFuture(runs.incrementAndGet()))),
        "ten seconds early is early");
    assertEquals(2, runs.get());
  }

  @Test
  void aPauseWaitsForTheJobUnderWayAndStopsOffersUntilItEnds() throws Exception {
    Main.Running server = TestParley.server().running();
    Jobs node = new Jobs(server.vertx(), server.database().pool(), () -> false);
    String job = "test-" + UUID.randomUUID();
    io.vertx.core.Promise<Void> running = io.vertx.core.Promise.promise();
    io.vertx.core.Promise<Void> started = io.vertx.core.Promise.promise();
    Future<Boolean> underWay = node.offer(job, Duration.ofHours(1), () -> {
      started.complete();
      return running.future();
    });
    await(started.future());
    Future<Runnable> pause = node.pause();
    assertEquals(false, pause.isComplete(), "the pause waits for the job under way");
    running.complete();
    Runnable end = await(pause);
    assertEquals(true, await(underWay));

    // Due again, but paused: not claimed, not run.
    TestParley.sql("UPDATE jobs SET last_run = now() - interval '61 minutes' WHERE name = '" + job + "'");
    AtomicInteger runs = new AtomicInteger();
    assertEquals(false, await(node.offer(job, Duration.ofHours(1), () -> Future.succeededFuture(runs.incrementAndGet()))));
    assertEquals(0, runs.get());
    end.run();
    end.run();  // ending twice ends one pause
    assertEquals(true, await(node.offer(job, Duration.ofHours(1), () -> Future.succeededFuture(runs.incrementAndGet()))));
    assertEquals(1, runs.get());
  }
}
