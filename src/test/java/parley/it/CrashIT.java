package parley.it;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import parley.Api;
import parley.config.AppConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crashes, counted: every write Parley answered 201 must survive SIGKILL of Parley and SIGKILL of its PostgreSQL,
 * PostgreSQL's outage must be answered 503 (never 500, never a hang) and end within seconds, and a live reader's
 * stream must afterwards match the database exactly. Figures are printed for docs/RELIABILITY.md.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashIT {

  private static Vertx vertx;
  private static WebSocketClient sockets;

  @BeforeAll
  static void clients() {
    vertx = Vertx.vertx();
    sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20)
        .setMaxMessageSize(1 << 24));
  }

  @AfterAll
  static void closeClients() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Api.Session register(Api api, String name) {
    return api.register(name);
  }

  @Test
  void killingParleyMidBurstLosesNoAcknowledgedPostAndTheNextStartNeedsNoHelp() throws Exception {
    try (ParleyProcess parley = ParleyProcess.create("crash-parley", Map.of()).start()) {
      Api api = new Api(parley.baseUrl());
      int clients = 4;
      List<Api.Session> writers = new ArrayList<>();
      for (int i = 0; i < clients; i++) writers.add(register(api, "writer" + i));

      Map<Long, String> acknowledged = new ConcurrentHashMap<>();
      AtomicInteger tried = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch enough = new CountDownLatch(200);
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      for (Api.Session writer : writers) {
        pool.submit(() -> {
          for (int n = 0; !stop.get(); n++) {
            String title = writer.username() + " #" + n;
            tried.incrementAndGet();
            try {
              Api.Response r = api.post("/api/posts", writer, new JsonObject().put("title", title).put("body", "b"));
              if (r.status() == 201) {
                acknowledged.put(r.json().getLong("id"), title);
                enough.countDown();
              }
            } catch (IllegalStateException connectionGone) {
              return;
            }
          }
        });
      }
      assertTrue(enough.await(60, TimeUnit.SECONDS), "the burst got going");
      parley.kill();
      stop.set(true);
      pool.shutdown();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));

      // The same data directory, no manual step: the postmaster the killed JVM left running is stopped first.
      parley.start();
      assertTrue(parley.log().contains("stopping it before starting again"), "the orphan was found and stopped");
      Api after = new Api(parley.baseUrl());
      int found = 0;
      for (Map.Entry<Long, String> ack : acknowledged.entrySet()) {
        Api.Response r = after.get("/api/posts/" + ack.getKey());
        if (r.status() == 200 && ack.getValue().equals(r.json().getString("title"))) found++;
      }
      System.out.printf("RELIABILITY kill -9 Parley mid-burst: tried %d, acknowledged %d, found %d%n",
          tried.get(), acknowledged.size(), found);
      assertEquals(acknowledged.size(), found, "every acknowledged post survived");
    }
  }

  @Test
  void aStopDuringTheStartStopsItsPostgresqlAndTheNextStartFindsNothingLeftBehind() throws Exception {
    for (int attempt = 1; ; attempt++) {
      try (ParleyProcess parley = ParleyProcess.create("stop-during-start", Map.of())) {
        Path log = parley.spawn();
        // The moment PostgreSQL is up, with Parley's migrations and verticles still to come: the hook added after the
        // start was not there yet, and the JVM exited leaving the postmaster running.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        boolean failed = false;
        while (!(Files.exists(log) && Files.readString(log).contains("PostgreSQL is running"))) {
          failed = Files.exists(log) && Files.readString(log).contains("Parley could not start");
          if (failed) break;
          assertTrue(System.nanoTime() < deadline, "PostgreSQL started");
          // A separate process's log has no completion to await.
          Thread.sleep(2);
        }
        // The embedded server's port, found free, taken by another process before PostgreSQL bound it (the other
        // IT fork's connections; a CI run, 2026-12-06): the start fails whole, and this test is tried again.
        if (failed && attempt < 3 && parley.postgresPortTaken()) continue;
        assertFalse(failed, parley.log());
        stopDuringTheStart(parley);
        return;
      }
    }
  }

  private static void stopDuringTheStart(ParleyProcess parley) throws Exception {
    long postmaster = parley.postmasterPid();
    assertTrue(parley.terminate(java.time.Duration.ofSeconds(60)), "the JVM exited on SIGTERM");
    String said = parley.log();
    assertTrue(said.contains("Stopping during the start") && said.contains("The start was abandoned"), said);
    assertFalse(said.contains("Parley could not start"), said);
    assertFalse(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false),
        "the postmaster stopped with the JVM");
    assertFalse(Files.exists(parley.dataDir.resolve("postgres").resolve("postmaster.pid")), "stopped cleanly");

    parley.start();
    assertFalse(parley.log().contains("still running"), "no orphan to stop");
    assertEquals(200, parley.status("/api/posts"));
  }

  @Test
  void killingThePostmasterMidBurstLosesNothingAnsweredAnswers503AndTheStreamMatchesTheDatabase() throws Exception {
    try (ParleyProcess parley = ParleyProcess.create("crash-postgres",
        Map.of(AppConfig.DATABASE_TIMEOUT, "2s")).start()) {
      Api api = new Api(parley.baseUrl());
      Api.Session author = register(api, "author");
      long post = api.createPost(author, "The thread");
      List<Api.Session> writers = new ArrayList<>();
      for (int i = 0; i < 4; i++) writers.add(register(api, "writer" + i));

      Follower reader = new Follower(vertx, sockets, "parley.post." + post, 0, parley.port());
      reader.connect().get(10, TimeUnit.SECONDS);

      Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
      Map<Integer, AtomicInteger> statuses = new TreeMap<>();
      List<String> badAnswers = Collections.synchronizedList(new ArrayList<>());
      AtomicLong killedAt = new AtomicLong();
      AtomicLong firstSuccessAfterKill = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch warm = new CountDownLatch(100);
      CountDownLatch recovered = new CountDownLatch(1);
      CountDownLatch afterRecovery = new CountDownLatch(200);
      ExecutorService pool = Executors.newFixedThreadPool(writers.size());
      for (Api.Session writer : writers) {
        pool.submit(() -> {
          for (int n = 0; !stop.get(); n++) {
            Api.Response r;
            try {
              r = api.post("/api/posts/" + post + "/comments", writer,
                  new JsonObject().put("body", writer.username() + " #" + n));
            } catch (IllegalStateException noAnswer) {
              badAnswers.add("no answer: " + noAnswer.getCause());
              continue;
            }
            synchronized (statuses) {
              statuses.computeIfAbsent(r.status(), k -> new AtomicInteger()).incrementAndGet();
            }
            if (r.status() == 201) {
              acknowledged.add(r.json().getLong("id"));
              if (killedAt.get() > 0) {
                if (firstSuccessAfterKill.compareAndSet(0, System.nanoTime())) recovered.countDown();
                afterRecovery.countDown();
              }
              warm.countDown();
            } else if (r.status() != 503 || !"application/problem+json".equals(r.contentType())
                || r.header("Retry-After") == null) {
              badAnswers.add(r.toString());
            }
          }
          return null;
        });
      }
      assertTrue(warm.await(60, TimeUnit.SECONDS), "the burst got going");
      killedAt.set(System.nanoTime());
      parley.killPostmaster();
      // Keep writing until writes have been succeeding again for a while.
      assertTrue(recovered.await(30, TimeUnit.SECONDS), "writes succeeded again");
      assertTrue(afterRecovery.await(30, TimeUnit.SECONDS), "and kept succeeding");
      stop.set(true);
      pool.shutdown();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));

      long outageMillis = TimeUnit.NANOSECONDS.toMillis(firstSuccessAfterKill.get() - killedAt.get());
      assertTrue(outageMillis < 10_000, "back within 10 s, took " + outageMillis + " ms");
      assertEquals(List.of(), badAnswers, "during the outage only 503 problem+json with Retry-After");

      // Every acknowledged comment is there, and the database holds nothing the reader does not.
      Set<Long> stored = commentIds(api, post);
      Set<Long> lost = new HashSet<>(acknowledged);
      lost.removeAll(stored);
      assertEquals(Set.of(), lost, "no acknowledged comment was lost");
      reader.awaitComments(stored).get(60, TimeUnit.SECONDS);
      Map<Long, Long> seen = reader.commentsBySeq();
      assertEquals(stored, new HashSet<>(seen.values()), "the reader's stream matches the database exactly");
      assertEquals(seen.size(), stored.size(), "each comment once");
      long head = api.get("/api/posts/" + post).json().getLong("seq");
      assertEquals(head, reader.lastContiguousSeq(), "no gap in the reader's seqs");
      reader.stop();
      System.out.printf("RELIABILITY kill -9 postmaster mid-burst: statuses %s, acknowledged %d, stored %d, lost %d,"
              + " writes back after %d ms, reader got %d comments (%d duplicates dropped, %d reconnects)%n",
          statuses, acknowledged.size(), stored.size(), lost.size(), outageMillis, seen.size(),
          reader.duplicates.get(), reader.reconnects.get());
    }
  }

  /** Every comment id of a thread, through the API's pages. */
  static Set<Long> commentIds(Api api, long post) {
    Set<Long> ids = new HashSet<>();
    String cursor = null;
    do {
      Api.Response page = api.get("/api/posts/" + post + "/comments?limit=200"
          + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, page.status(), page.toString());
      JsonArray items = page.json().getJsonArray("items");
      for (int i = 0; i < items.size(); i++) ids.add(items.getJsonObject(i).getLong("id"));
      cursor = page.json().getString("nextCursor");
    } while (cursor != null);
    return ids;
  }
}
