package parley.it;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import parley.Api;
import parley.config.AppConfig;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database restart under live load: 2,000 subscribers follow one thread while comments are posted steadily, and
 * PostgreSQL is killed and comes back meanwhile. No acknowledged comment may be lost, and every committed comment
 * must reach every subscriber exactly once (after collapsing a redelivery by seq, which a resuming client may see).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OutageIT {

  private static final int SUBSCRIBERS = Integer.getInteger("parley.outage.subscribers", 2_000);
  /** Comments the writer posts, the first 60 before the database is killed; the rest go on for seconds after. */
  private static final int COMMENTS = 200;

  @Test
  void aDatabaseRestartWith2000SubscribersLosesNothingAndDeliversEverythingOnce() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    WebSocketClient sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(SUBSCRIBERS * 2)
        .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 24));
    Map<String, String> env = new java.util.HashMap<>(Map.of(AppConfig.MAX_CONNECTIONS_PER_IP, "10000",
        AppConfig.DATABASE_TIMEOUT, "2s"));
    if (System.getProperty("parley.outage.logLevel") != null) env.put("PARLEY_LOG_LEVEL", System.getProperty("parley.outage.logLevel"));
    try (ParleyProcess parley = ParleyProcess.create("outage", env).start()) {
      Api api = new Api(parley.baseUrl());
      Api.Session author = api.register("author");
      Api.Session writer = api.register("writer");
      long post = api.createPost(author, "A busy thread");
      long seq = api.get("/api/posts/" + post).json().getLong("seq");

      List<Follower> followers = new ArrayList<>();
      List<CompletableFuture<Void>> opened = new ArrayList<>();
      for (int i = 0; i < SUBSCRIBERS; i++) {
        Follower f = new Follower(vertx, sockets, "parley.post." + post, seq, parley.port());
        followers.add(f);
        opened.add(f.connect());
      }
      CompletableFuture.allOf(opened.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

      // Steady posting, about 20 a second, with the database killed a few seconds in.
      Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger unavailable = new AtomicInteger();
      List<String> other = new ArrayList<>();
      CountDownLatch beforeKill = new CountDownLatch(60);
      Thread posting = new Thread(() -> {
        for (int n = 0; n < COMMENTS && !Thread.currentThread().isInterrupted(); n++) {
          try {
            Api.Response r = api.post("/api/posts/" + post + "/comments", writer,
                new JsonObject().put("body", "comment " + n));
            if (r.status() == 201) {
              acknowledged.add(r.json().getLong("id"));
              beforeKill.countDown();
            } else if (r.status() == 503) {
              unavailable.incrementAndGet();
            } else {
              synchronized (other) {
                other.add(r.toString());
              }
            }
            TimeUnit.MILLISECONDS.sleep(50);  // the pace of the load, not a wait for anything
          } catch (InterruptedException e) {
            return;
          } catch (IllegalStateException noAnswer) {
            synchronized (other) {
              other.add(String.valueOf(noAnswer.getCause()));
            }
          }
        }
      }, "steady-writer");
      posting.start();
      assertTrue(beforeKill.await(60, TimeUnit.SECONDS));
      if (!Boolean.getBoolean("parley.outage.noKill")) parley.killPostmaster();
      posting.join(TimeUnit.MINUTES.toMillis(3));

      Set<Long> stored = CrashIT.commentIds(api, post);
      Set<Long> lost = new HashSet<>(acknowledged);
      lost.removeAll(stored);
      assertEquals(Set.of(), lost, "no acknowledged comment was lost");
      assertEquals(List.of(), other, "only 201 or 503");

      List<CompletableFuture<Void>> caughtUp = new ArrayList<>();
      for (Follower f : followers) caughtUp.add(f.awaitComments(stored));
      try {
        CompletableFuture.allOf(caughtUp.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        long head = api.get("/api/posts/" + post).json().getLong("seq");
        int behind = 0;
        StringBuilder sample = new StringBuilder();
        for (Follower f : followers) {
          if (caughtUp.get(followers.indexOf(f)).isDone()) continue;
          behind++;
          if (behind <= 5) {
            Set<Long> missing = new HashSet<>(stored);
            missing.removeAll(f.commentsBySeq().values());
            sample.append("\n  last seq ").append(f.lastContiguousSeq()).append(" of ").append(head)
                .append(", received ").append(f.events.size()).append(", missing ").append(missing.size())
                .append(" e.g. ").append(missing.stream().limit(5).toList())
                .append(", reconnects ").append(f.reconnects.get()).append(", history ").append(f.history);
          }
        }
        throw new AssertionError(behind + " of " + SUBSCRIBERS + " subscribers did not catch up:" + sample, e);
      }
      int duplicates = 0;
      int reconnects = 0;
      Map<String, Integer> closes = new java.util.TreeMap<>();
      for (Follower f : followers) {
        synchronized (f.history) {
          for (String event : f.history) {
            if (event.startsWith("closed") || event.startsWith("connect failed")) closes.merge(event, 1, Integer::sum);
          }
        }
        Map<Long, Long> seen = f.commentsBySeq();
        assertEquals(stored, new HashSet<>(seen.values()), "every committed comment, and nothing else");
        assertEquals(stored.size(), seen.size(), "each exactly once");
        duplicates += f.duplicates.get();
        reconnects += f.reconnects.get();
        f.stop();
      }
      System.out.printf("RELIABILITY database restart with %d subscribers: acknowledged %d, 503s %d, stored %d,"
              + " lost %d; every subscriber got all %d exactly once (%d redeliveries collapsed, %d reconnects%s)%n",
          SUBSCRIBERS, acknowledged.size(), unavailable.get(), stored.size(), lost.size(), stored.size(), duplicates,
          reconnects, closes.isEmpty() ? "" : ", after " + closes);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }
}
