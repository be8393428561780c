package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Votes on one hot post (issue 14, P10): accounts vote at a fixed offered rate (PUT, then DELETE, then PUT... per
 * account, so the counts keep moving) while N WebSocket subscribers follow the post's thread. Measures each vote's
 * latency from the moment it was due (so a stalled generator or server counts against the figure), the rate achieved,
 * every non-2xx answer, and on the socket side how many post.score events each subscriber gets per second (coalesced:
 * about four) and whether the last one carries the counts the database ends with.
 *
 * <p>The ceiling, in the same run against the same database: the same transaction shape with the bare Vert.x
 * PostgreSQL client at Parley's pool size (lock the post row FOR NO KEY UPDATE, insert or delete the vote and move
 * the counts, commit), once at the same offered rate and once closed-loop, on a second post. Every commit waits for
 * its WAL flush (the database runs durable) while it holds the hot row's lock, so the row takes one vote per flush.
 */
public final class VoteBenchmark {

  /** The transaction Parley runs per vote (parley.vote.Votes, for a post), written out for the bare client. */
  static final String LOCK = "SELECT author_id FROM posts WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE";
  static final String PUT = "WITH old AS (SELECT value FROM post_votes WHERE post_id = $1 AND user_id = $2), "
      + "put AS (INSERT INTO post_votes (post_id, user_id, value) VALUES ($1, $2, 1) "
      + "ON CONFLICT (post_id, user_id) DO UPDATE SET value = EXCLUDED.value, created_at = now()) "
      + "UPDATE posts SET upvotes = upvotes + 1 - (COALESCE((SELECT value FROM old), 0) = 1)::int, "
      + "downvotes = downvotes - (COALESCE((SELECT value FROM old), 0) = -1)::int "
      + "WHERE id = $1 RETURNING upvotes, downvotes";
  static final String WITHDRAW = "WITH old AS (DELETE FROM post_votes WHERE post_id = $1 AND user_id = $2 "
      + "RETURNING value) UPDATE posts SET upvotes = upvotes - (COALESCE((SELECT value FROM old), 0) = 1)::int, "
      + "downvotes = downvotes - (COALESCE((SELECT value FROM old), 0) = -1)::int "
      + "WHERE id = $1 RETURNING upvotes, downvotes";

  public static void main(String[] args) throws Exception {
    Map<String, String> o = Bench.options(args);
    int subscribers = Integer.parseInt(o.getOrDefault("subscribers", "100"));
    int rate = Integer.parseInt(o.getOrDefault("rate", "1000"));
    int seconds = Integer.parseInt(o.getOrDefault("seconds", "30"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup-seconds", "5"));
    int accounts = Integer.parseInt(o.getOrDefault("accounts", "300"));
    int ceilingSeconds = Integer.parseInt(o.getOrDefault("ceiling-seconds", "15"));
    int poolSize = Integer.parseInt(o.getOrDefault("pool", "8"));

    Path dataDir = Files.createTempDirectory("parley-bench-votes");
    List<Process> processes = new ArrayList<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      Bench.Node node = Bench.startNode(dataDir, "votes", Map.of(), processes);
      Bench.Database db = node.db();
      int port = node.port();
      new VoteBenchmark(vertx, port, db).run(subscribers, rate, seconds, warmup, accounts, ceilingSeconds, poolSize);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Bench.stop(processes, dataDir);
    }
  }

  private final Vertx vertx;
  private final int port;
  private final Bench.Database db;
  private final Bench.Rest rest;
  /** Held in fields: a client that is garbage-collected closes its connections. */
  private final HttpClient http;
  private final WebSocketClient sockets;

  private VoteBenchmark(Vertx vertx, int port, Bench.Database db) {
    this.vertx = vertx;
    this.port = port;
    this.db = db;
    this.rest = new Bench.Rest(java.net.URI.create("http://localhost:" + port));
    this.http = vertx.httpClientBuilder()
        .with(new HttpClientOptions().setDefaultHost("localhost").setDefaultPort(port).setKeepAlive(true))
        .with(new PoolOptions().setHttp1MaxSize(512).setMaxWaitQueueSize(-1))
        .build();
    this.sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000));
  }

  private void run(int subscribers, int rate, int seconds, int warmup, int accounts, int ceilingSeconds,
      int poolSize) throws Exception {
    System.out.printf(Locale.ROOT, "Parley vote benchmark: one hot post, %d votes/s offered for %d s (after %d s "
            + "of warm-up), %d voting accounts, %d subscribers%n%s%n", rate, seconds, warmup, accounts, subscribers,
        Bench.machine());

    // Set-up, not measured: the accounts (argon2 on the server's workers), a post by someone else, a second post
    // for the ceiling.
    long t0 = System.nanoTime();
    String author = register("author" + System.currentTimeMillis() % 100000);
    List<String> tokens = registerAll(accounts);
    System.out.printf(Locale.ROOT, "registered %d accounts in %.1f s%n", accounts + 1,
        (System.nanoTime() - t0) / 1e9);
    long post = rest.callSync(HttpMethod.POST, "/api/posts", author, new JsonObject().put("title", "A hot post")
        .put("body", "Everyone votes on this one.")).json().getLong("id");
    long ceilingPost = rest.callSync(HttpMethod.POST, "/api/posts", author, new JsonObject()
        .put("title", "The ceiling's post").put("body", "Voted on by the bare client.")).json().getLong("id");
    long seq = rest.callSync(HttpMethod.GET, "/api/posts/" + post, null, null).json().getLong("seq");

    ScoreEvents events = new ScoreEvents(subscribers, seq);
    List<WebSocket> open = connect(post, seq, subscribers, events);

    // Warm-up at the same rate (the JIT, the pools, the prepared statements), then the measured run.
    offer(rate, warmup, tokens, post, 0, new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3),
        new ConcurrentHashMap<>());
    Thread.sleep(1000);
    ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3);
    Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    events.measureFrom(start, seconds);
    long offered = (long) rate * warmup;
    long[] cpuBefore = cpu();
    // A bystander: one read of another post every 50 ms, through the same server and pool as the votes.
    ConcurrentHistogram bystander = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3);
    long probe = vertx.setPeriodic(50, id -> {
      long began = System.nanoTime();
      http.request(HttpMethod.GET, "/api/posts/" + ceilingPost).compose(req -> req.send())
          .compose(resp -> resp.body().map(b -> resp.statusCode()))
          .onSuccess(status -> bystander.recordValue(System.nanoTime() - began));
    });
    double elapsed = offer(rate, seconds, tokens, post, offered, latency, statuses);
    vertx.cancelTimer(probe);
    long[] cpuAfter = cpu();
    double busy = 100.0 * (cpuAfter[0] - cpuBefore[0]) / Math.max(1, cpuAfter[1] - cpuBefore[1]);

    // Every window has closed and been published well within a second and a half after the last vote.
    Thread.sleep(1500);
    JsonObject after = rest.callSync(HttpMethod.GET, "/api/posts/" + post, null, null).json();
    Pool pool = pool(poolSize);
    Row truth = pool.preparedQuery("SELECT upvotes, downvotes, (SELECT count(*) FROM post_votes v WHERE "
        + "v.post_id = p.id AND v.value = 1) AS ups FROM posts p WHERE id = $1").execute(Tuple.of(post))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).iterator().next();
    for (WebSocket ws : open) ws.close();

    // The ceiling: the same transaction, bare, at the same rate and then closed-loop, on the ceiling's post.
    List<Long> voters = new ArrayList<>();
    pool.query("SELECT id FROM users WHERE username LIKE 'voter%' ORDER BY id").execute()
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).forEach(r -> voters.add(r.getLong(0)));
    Bare bare = new Bare(pool, ceilingPost, voters);
    bare.open(rate, 3, new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3));  // warm-up
    ConcurrentHistogram bareLatency = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3);
    double bareElapsed = bare.open(rate, ceilingSeconds, bareLatency);
    ConcurrentHistogram closedLatency = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3);
    long closedCount = bare.closed(poolSize, ceilingSeconds, closedLatency);
    // For comparison only (Parley commits votes durably): the same, committing without waiting for the flush.
    bare.asynchronous = true;
    ConcurrentHistogram asyncLatency = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3);
    long asyncCount = bare.closed(poolSize, ceilingSeconds, asyncLatency);
    Row bareTruth = pool.preparedQuery("SELECT upvotes, (SELECT count(*) FROM post_votes v WHERE v.post_id = p.id "
        + "AND v.value = 1) AS ups FROM posts p WHERE id = $1").execute(Tuple.of(ceilingPost))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).iterator().next();
    pool.close();

    long ok = statuses.entrySet().stream().filter(e -> e.getKey().startsWith("2"))
        .mapToLong(e -> e.getValue().get()).sum();
    long sent = (long) rate * seconds;
    System.out.println();
    System.out.println("| run | offered | completed 2xx | failed | achieved /s | p50 ms | p99 ms | max ms |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    System.out.printf(Locale.ROOT, "| Parley, PUT/DELETE /api/posts/{id}/vote | %d/s × %d s | %d | %d %s | %.0f | "
            + "%.2f | %.2f | %.2f |%n", rate, seconds, ok, sent - ok, statuses, ok / elapsed,
        ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(99)), ms(latency.getMaxValue()));
    System.out.printf(Locale.ROOT, "| bare PG client, same transaction, pool %d, open loop | %d/s × %d s | %d | "
            + "%d | %.0f | %.2f | %.2f | %.2f |%n", poolSize, rate, ceilingSeconds, bareLatency.getTotalCount(),
        bare.failures.get(), bareLatency.getTotalCount() / bareElapsed, ms(bareLatency.getValueAtPercentile(50)),
        ms(bareLatency.getValueAtPercentile(99)), ms(bareLatency.getMaxValue()));
    System.out.printf(Locale.ROOT, "| bare PG client, same transaction, %d connections, closed loop | as fast as "
            + "it goes × %d s | %d | %d | %.0f | %.2f | %.2f | %.2f |%n", poolSize, ceilingSeconds, closedCount,
        bare.failures.get(), closedCount / (double) ceilingSeconds, ms(closedLatency.getValueAtPercentile(50)),
        ms(closedLatency.getValueAtPercentile(99)), ms(closedLatency.getMaxValue()));
    System.out.printf(Locale.ROOT, "| for comparison: the same closed loop with SET LOCAL synchronous_commit = off |"
            + " as fast as it goes × %d s | %d | %d | %.0f | %.2f | %.2f | %.2f |%n", ceilingSeconds, asyncCount,
        bare.failures.get(), asyncCount / (double) ceilingSeconds, ms(asyncLatency.getValueAtPercentile(50)),
        ms(asyncLatency.getValueAtPercentile(99)), ms(asyncLatency.getMaxValue()));
    System.out.printf(Locale.ROOT, "| bystander: GET /api/posts/{another} every 50 ms during the Parley run | 20/s |"
            + " %d | - | - | %.2f | %.2f | %.2f |%n", bystander.getTotalCount(),
        ms(bystander.getValueAtPercentile(50)), ms(bystander.getValueAtPercentile(99)), ms(bystander.getMaxValue()));
    System.out.println();
    System.out.printf(Locale.ROOT, "ratios: Parley achieved / offered = %.2f; Parley achieved / bare closed-loop "
            + "ceiling = %.2f; Parley p50 / bare p50 at the same rate = %.2f; p99 / p99 = %.2f%n",
        ok / elapsed / rate, (ok / elapsed) / (closedCount / (double) ceilingSeconds),
        ms(latency.getValueAtPercentile(50)) / ms(bareLatency.getValueAtPercentile(50)),
        ms(latency.getValueAtPercentile(99)) / ms(bareLatency.getValueAtPercentile(99)));
    System.out.printf(Locale.ROOT, "machine CPU busy during the Parley run (all processes, /proc/stat): %.0f%%%n", busy);
    System.out.println();
    events.report(seconds);
    System.out.printf(Locale.ROOT, "final counts: GET /api/posts/%d says up %d down %d; database says up %d down "
            + "%d (post_votes holds %d up votes); every subscriber's last post.score says %s: %s%n", post,
        after.getInteger("upvotes"), after.getInteger("downvotes"), truth.getInteger("upvotes"),
        truth.getInteger("downvotes"), truth.getLong("ups"), events.lastCounts(),
        events.allLastEqual(truth.getInteger("upvotes"), truth.getInteger("downvotes")) ? "MATCH" : "MISMATCH");
    System.out.printf(Locale.ROOT, "ceiling post: upvotes %d, post_votes holds %d up votes: %s%n",
        bareTruth.getInteger("upvotes"), bareTruth.getLong("ups"),
        bareTruth.getInteger("upvotes").longValue() == bareTruth.getLong("ups") ? "consistent" : "INCONSISTENT");
  }

  /**
   * Offers {@code rate × seconds} votes at a fixed schedule, whatever is still outstanding (open loop); vote i is by
   * account i mod accounts, which puts its vote on its even turns and withdraws it on its odd ones. Latency runs from
   * the moment a vote was due. Returns the seconds from the first vote due to the last answer.
   */
  private double offer(int rate, int seconds, List<String> tokens, long post, long first, Histogram latency,
      Map<String, AtomicInteger> statuses) throws Exception {
    long count = (long) rate * seconds;
    Promise<Void> all = Promise.promise();
    AtomicLong answered = new AtomicLong();
    long start = System.nanoTime();
    Buffer up = new JsonObject().put("value", 1).toBuffer();
    AtomicLong next = new AtomicLong();
    vertx.runOnContext(v -> vertx.setPeriodic(1, timer -> {
      long now = System.nanoTime();
      while (next.get() < count) {
        long i = next.get();
        long due = start + i * 1_000_000_000L / rate;
        if (due > now) break;
        next.incrementAndGet();
        long n = first + i;
        String token = tokens.get((int) (n % tokens.size()));
        boolean put = (n / tokens.size()) % 2 == 0;
        http.request(put ? HttpMethod.PUT : HttpMethod.DELETE, "/api/posts/" + post + "/vote")
            .compose(req -> {
              req.putHeader("Authorization", "Bearer " + token);
              if (put) req.putHeader("Content-Type", "application/json");
              return put ? req.send(up) : req.send();
            })
            .compose(resp -> resp.body().map(b -> resp.statusCode()))
            .onComplete(ar -> {
              String status = ar.succeeded() ? Integer.toString(ar.result()) : ar.cause().getClass().getSimpleName();
              statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
              if (ar.succeeded() && ar.result() / 100 == 2) latency.recordValue(System.nanoTime() - due);
              if (answered.incrementAndGet() == count) all.complete();
            });
      }
      if (next.get() >= count) vertx.cancelTimer(timer);
    }));
    all.future().toCompletionStage().toCompletableFuture().get(seconds + 120L, TimeUnit.SECONDS);
    return (System.nanoTime() - start) / 1e9;
  }

  /** The same transaction as Parley's vote, through the bare client. */
  private static final class Bare {
    final Pool pool;
    final long post;
    final List<Long> voters;
    final AtomicInteger failures = new AtomicInteger();
    long votes;
    volatile boolean asynchronous;

    Bare(Pool pool, long post, List<Long> voters) {
      this.pool = pool;
      this.post = post;
      this.voters = voters;
    }

    Future<Void> vote() {
      long n = votes++;
      long voter = voters.get((int) (n % voters.size()));
      boolean put = (n / voters.size()) % 2 == 0;
      return pool.withTransaction(conn -> (asynchronous
          ? conn.query("SET LOCAL synchronous_commit = off").execute().<Void>mapEmpty() : Future.<Void>succeededFuture())
          .compose(v -> conn.preparedQuery(LOCK).execute(Tuple.of(post)))
          .compose(r -> conn.preparedQuery(put ? PUT : WITHDRAW).execute(Tuple.of(post, voter)))).<Void>mapEmpty()
          .onFailure(e -> {
            if (failures.incrementAndGet() < 5) System.err.println("bare vote failed: " + e);
          });
    }

    /** Open loop at {@code rate}, from one thread (vote() is called on it only); returns the elapsed seconds. */
    double open(int rate, int seconds, Histogram latency) throws Exception {
      long count = (long) rate * seconds;
      AtomicLong answered = new AtomicLong();
      java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
      long start = System.nanoTime();
      for (long i = 0; i < count; i++) {
        long due = start + i * 1_000_000_000L / rate;
        long wait = due - System.nanoTime();
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
        vote().onComplete(ar -> {
          if (ar.succeeded()) latency.recordValue(System.nanoTime() - due);
          if (answered.incrementAndGet() == count) done.countDown();
        });
      }
      done.await(seconds + 120L, TimeUnit.SECONDS);
      return (System.nanoTime() - start) / 1e9;
    }

    /** {@code workers} transactions at a time, each started when the previous one ends; returns how many ended. */
    long closed(int workers, int seconds, Histogram latency) throws Exception {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      AtomicLong count = new AtomicLong();
      java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(workers);
      Object lock = this;
      for (int w = 0; w < workers; w++) {
        loop(end, latency, count, done, lock);
      }
      done.await(seconds + 120L, TimeUnit.SECONDS);
      return count.get();
    }

    private void loop(long end, Histogram latency, AtomicLong count, java.util.concurrent.CountDownLatch done,
        Object lock) {
      long began = System.nanoTime();
      if (began >= end) {
        done.countDown();
        return;
      }
      Future<Void> f;
      synchronized (lock) {
        f = vote();
      }
      f.onComplete(ar -> {
        if (ar.succeeded()) {
          latency.recordValue(System.nanoTime() - began);
          count.incrementAndGet();
        }
        loop(end, latency, count, done, lock);
      });
    }
  }

  /** What the subscribers heard: post.score events per subscriber per second, and the last one's counts. */
  private static final class ScoreEvents {
    final int subscribers;
    final long[] lastSeq;
    final int[] lastUp;
    final int[] lastDown;
    final AtomicLong gaps = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    volatile long start = Long.MAX_VALUE;
    volatile int[][] perSecond = new int[0][0];

    ScoreEvents(int subscribers, long seq) {
      this.subscribers = subscribers;
      this.lastSeq = new long[subscribers];
      this.lastUp = new int[subscribers];
      this.lastDown = new int[subscribers];
      java.util.Arrays.fill(lastSeq, seq);
      java.util.Arrays.fill(lastUp, -1);
    }

    void measureFrom(long start, int seconds) {
      perSecond = new int[subscribers][seconds];
      this.start = start;
    }

    /** One subscriber's frames all arrive on one client event loop, so its slots are written by one thread. */
    void received(int subscriber, String text) {
      long now = System.nanoTime();
      JsonObject frame = new JsonObject(text);
      JsonObject body = frame.getJsonObject("body");
      if (body == null || body.getLong("seq") == null) return;
      long seq = body.getLong("seq");
      synchronized (this) {
        if (seq <= lastSeq[subscriber]) duplicates.incrementAndGet();
        else if (seq != lastSeq[subscriber] + 1) gaps.incrementAndGet();
        lastSeq[subscriber] = Math.max(seq, lastSeq[subscriber]);
        if (!"post.score".equals(body.getString("type"))) return;
        JsonObject data = body.getJsonObject("data");
        lastUp[subscriber] = data.getInteger("upvotes");
        lastDown[subscriber] = data.getInteger("downvotes");
        long second = (now - start) / 1_000_000_000L;
        int[][] buckets = perSecond;
        if (now >= start && second < buckets[subscriber].length) buckets[subscriber][(int) second]++;
      }
    }

    synchronized void report(int seconds) {
      long total = 0;
      int max = 0;
      int min = Integer.MAX_VALUE;
      for (int[] s : perSecond) {
        for (int c : s) {
          total += c;
          max = Math.max(max, c);
          min = Math.min(min, c);
        }
      }
      System.out.printf(Locale.ROOT, "post.score events per subscriber per second over the %d measured seconds: "
              + "mean %.2f, min %d, max %d (%d events to %d subscribers); seq gaps %d, duplicates %d%n", seconds,
          total / (double) subscribers / seconds, min, max, total, subscribers, gaps.get(), duplicates.get());
    }

    synchronized String lastCounts() {
      Map<String, Integer> distinct = new TreeMap<>();
      for (int i = 0; i < subscribers; i++) distinct.merge("up " + lastUp[i] + " down " + lastDown[i], 1, Integer::sum);
      return distinct.toString();
    }

    synchronized boolean allLastEqual(int up, int down) {
      for (int i = 0; i < subscribers; i++) if (lastUp[i] != up || lastDown[i] != down) return false;
      return true;
    }
  }

  private List<WebSocket> connect(long post, long seq, int subscribers, ScoreEvents events) throws Exception {
    String register = new JsonObject().put("type", "register").put("address", "parley.post." + post)
        .put("headers", new JsonObject().put("since", seq)).encode();
    List<Future<WebSocket>> connecting = new ArrayList<>();
    for (int i = 0; i < subscribers; i++) {
      int subscriber = i;
      connecting.add(sockets.connect(new WebSocketConnectOptions().setHost("localhost").setPort(port)
          .setURI("/eventbus/websocket")).onSuccess(ws -> {
            ws.textMessageHandler(text -> events.received(subscriber, text));
            ws.writeTextMessage(register);
            vertx.setPeriodic(10_000, id -> {
              if (!ws.isClosed()) ws.writeTextMessage("{\"type\":\"ping\"}");
            });
          }));
    }
    List<WebSocket> open = new ArrayList<>();
    for (Future<WebSocket> f : connecting) open.add(f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
    Thread.sleep(500);  // the registers' acknowledgements: nothing to await but time
    return open;
  }

  private String register(String username) throws Exception {
    return rest.register(username);
  }

  /** Registers voter0..voterN-1, a few at a time (set-up: argon2 on the server's hashing threads). */
  private List<String> registerAll(int accounts) throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < accounts; i++) names.add("voter" + i);
    return rest.registerAll(names).stream().map(session -> session.getString("token")).toList();
  }

  private Pool pool(int size) {
    return PgBuilder.pool().with(new io.vertx.sqlclient.PoolOptions().setMaxSize(size))
        .connectingTo(PgConnectOptions.fromUri(db.url()).setCachePreparedStatements(true)).using(vertx).build();
  }

  /** The machine's busy and total jiffies so far (/proc/stat), or zeros. */
  static long[] cpu() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length; i++) total += Long.parseLong(f[i]);
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total};
    } catch (Exception e) {
      return new long[] {0, 0};
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
