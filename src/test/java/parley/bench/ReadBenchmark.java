package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Thread pages and the feed, read closed-loop (issue 14, target P6). It starts a PostgreSQL of its own and one
 * Parley node on it, seeds a feed of posts and one thread of 50 comments, and measures with C requests in flight:
 *
 * <ul>
 *   <li>the thread page as post.js loads it: {@code GET /api/posts/{id}}, then
 *   {@code GET /api/posts/{id}/comments?limit=200}, one after the other (one page = two requests), anonymous and
 *   signed in (a Bearer token); and each of the two requests alone;</li>
 *   <li>the feed as feed.js loads it: {@code GET /api/posts?limit=20&sort=new}, anonymous and signed in;</li>
 *   <li>the anonymous page and feed while {@code --write-rate} writes a second (default 10) each edit a comment of
 *   the read thread and add a comment to another thread (so the feed changes too), with the read cache's hit rate
 *   over the row (rows page-writes, feed-writes);</li>
 *   <li>the anonymous page and feed again on a second node on the same PostgreSQL started with
 *   {@code PARLEY_READ_CACHE=off} (rows page-uncached, feed-uncached; the first node keeps its read cache on, which
 *   only anonymous reads use), idle while the other rows run;</li>
 *   <li>a transport ceiling: a bare Vert.x HTTP server in this generator's process (so it shares the process and the
 *   generator's event loops' machine) answering the same bytes from memory, with compression on as Parley's is.</li>
 * </ul>
 *
 * Requests carry {@code Accept-Encoding: gzip} as browsers do ({@code --accept-encoding none} leaves it out).
 * Server, PostgreSQL and this generator share the machine. See docs/benchmarks/P5-P6.md.
 */
public final class ReadBenchmark {

  public static void main(String[] args) throws Exception {
    Map<String, String> o = Bench.options(args);
    int seconds = Integer.parseInt(o.getOrDefault("seconds", "15"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "5"));
    // Unmeasured reads of every kind before the first row: a fresh server's JIT competes for the same two cores.
    int serverWarmup = Integer.parseInt(o.getOrDefault("server-warmup", "20"));
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "32"));
    int poolSize = Integer.parseInt(o.getOrDefault("pool", "8"));
    int posts = Integer.parseInt(o.getOrDefault("posts", "100"));
    int comments = Integer.parseInt(o.getOrDefault("comments", "50"));
    int bodyLength = Integer.parseInt(o.getOrDefault("body", "160"));
    String encoding = o.getOrDefault("accept-encoding", "gzip");
    String acceptEncoding = "none".equals(encoding) ? null : encoding;
    java.util.Set<String> rows = java.util.Set.of(o.getOrDefault("rows",
        "post,comments,page,page-writes,page-uncached,page-signed,feed,feed-writes,feed-uncached,feed-signed,ceiling")
        .split(","));
    // Writes per second during the -writes rows: each edits a comment of the read thread and adds one elsewhere.
    int writeRate = Integer.parseInt(o.getOrDefault("write-rate", "10"));

    Path dataDir = Files.createTempDirectory("parley-bench-read");
    List<Process> processes = new ArrayList<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      Bench.Node node = Bench.startNode(dataDir, "read", Map.of("PARLEY_DB_POOL_SIZE", Integer.toString(poolSize)),
          processes);
      Bench.Database db = node.db();
      Process server = node.server();
      URI base = URI.create(node.base());
      Map<String, java.util.function.LongSupplier> parties = Bench.parties(server, db.process());

      System.out.println(Bench.machine());
      System.out.printf(Locale.ROOT, "reads: %d in flight, pool of %d, %d s measured after %d s warm-up, "
          + "Accept-Encoding: %s%n", concurrency, poolSize, seconds, warmup, encoding);

      // The feed: posts by a few accounts; the thread: the newest post, with comments by all of them (some replies).
      Bench.Rest rest = new Bench.Rest(base);
      List<String> tokens = new ArrayList<>();
      for (int a = 0; a < 5; a++) tokens.add(rest.register("reader" + a + "x" + System.currentTimeMillis() % 100000));
      long thread = 0;
      long firstPost = 0;
      for (int p = 0; p < posts; p++) {
        Bench.Reply r = rest.callSync(HttpMethod.POST, "/api/posts", tokens.get(p % tokens.size()),
            new JsonObject().put("title", "Read benchmark post " + p + ": a title of ordinary length")
                .put("body", WriteBenchmark.body(p, bodyLength * 2)));
        if (r.status() != 201) throw new IllegalStateException("post: " + r.status() + " " + r.body());
        thread = r.json().getLong("id");
        if (p == 0) firstPost = thread;
      }
      List<Long> commentIds = new ArrayList<>();
      for (int c = 0; c < comments; c++) {
        JsonObject body = new JsonObject().put("body", WriteBenchmark.body(c, bodyLength));
        if (c % 3 == 2) body.put("parentId", commentIds.get(c - 1));
        Bench.Reply r = rest.callSync(HttpMethod.POST, "/api/posts/" + thread + "/comments",
            tokens.get(c % tokens.size()), body);
        if (r.status() != 201) throw new IllegalStateException("comment: " + r.status() + " " + r.body());
        commentIds.add(r.json().getLong("id"));
      }
      // A few votes, so the signed-in reader's own votes are there to be looked up.
      for (int c = 0; c < comments; c += 4) {
        rest.callSync(HttpMethod.PUT, "/api/comments/" + commentIds.get(c) + "/vote", tokens.get(0),
            new JsonObject().put("value", 1));
      }
      String reader = tokens.get(0);
      String postPath = "/api/posts/" + thread;
      String commentsPath = postPath + "/comments?limit=200";
      String feedPath = "/api/posts?limit=20&sort=new";
      Bench.Reply page = rest.callSync(HttpMethod.GET, commentsPath, null, null);
      Bench.Reply feed = rest.callSync(HttpMethod.GET, feedPath, null, null);
      if (page.json().getJsonArray("items").size() != comments) {
        throw new IllegalStateException("the thread shows " + page.json().getJsonArray("items").size() + " comments");
      }
      System.out.printf(Locale.ROOT, "thread %d: %d comments, %,d bytes of JSON; feed page: %,d bytes%n", thread,
          comments, page.body().length(), feed.body().length());

      Process uncached = null;
      URI uncachedBase = null;
      if (rows.contains("page-uncached") || rows.contains("feed-uncached")) {
        int port = Bench.freePort();
        Map<String, String> env = new java.util.HashMap<>(Map.of("DATABASE_URL", db.url(),
            "PARLEY_DB_POOL_SIZE", Integer.toString(poolSize), "PARLEY_READ_CACHE", "off",
            "PARLEY_JWT_SECRET", "benchmark-signing-key-uncached-" + java.util.UUID.randomUUID()));
        uncached = Bench.startServer(port, dataDir.resolve("node-uncached"), env, "target/bench-read-uncached-server.log");
        processes.add(uncached);
        uncachedBase = URI.create("http://localhost:" + port);
        Bench.awaitHealth(uncachedBase.toString(), "target/bench-read-uncached-server.log");
      }

      ClosedLoop.Http http = new ClosedLoop.Http(vertx, base, concurrency, acceptEncoding);
      List<ClosedLoop.Result> results = new ArrayList<>();
      String[] kinds = {postPath, commentsPath, feedPath};
      ClosedLoop.run(vertx, "server warm-up", concurrency, 0, serverWarmup, 200, parties,
          () -> http.send(HttpMethod.GET, kinds[ThreadLocalRandom.current().nextInt(kinds.length)],
              ThreadLocalRandom.current().nextBoolean() ? reader : null, null, null));
      if (rows.contains("post")) {
        results.add(ClosedLoop.run(vertx, "GET /api/posts/{id}, anonymous, read cache", concurrency, warmup, seconds, 200,
            parties, () -> http.send(HttpMethod.GET, postPath, null, null, null)));
      }
      if (rows.contains("comments")) {
        results.add(ClosedLoop.run(vertx, "GET /api/posts/{id}/comments?limit=200, anonymous, read cache", concurrency, warmup,
            seconds, 200, parties, () -> http.send(HttpMethod.GET, commentsPath, null, null, null)));
      }
      if (rows.contains("page")) {
        results.add(ClosedLoop.run(vertx, "thread page (post, then comments), anonymous, read cache", concurrency, warmup,
            seconds, 200, parties, () -> threadPage(http, postPath, commentsPath, null)));
      }
      if (uncached != null) {
        Map<String, java.util.function.LongSupplier> uncachedParties = Bench.parties(uncached, db.process());
        ClosedLoop.Http plain = new ClosedLoop.Http(vertx, uncachedBase, concurrency, acceptEncoding);
        ClosedLoop.run(vertx, "uncached node warm-up", concurrency, 0, serverWarmup, 200, uncachedParties,
            () -> ThreadLocalRandom.current().nextBoolean() ? threadPage(plain, postPath, commentsPath, null)
                : plain.send(HttpMethod.GET, feedPath, null, null, null));
        if (rows.contains("page-uncached")) {
          results.add(ClosedLoop.run(vertx, "thread page (post, then comments), anonymous, PARLEY_READ_CACHE=off",
              concurrency, warmup, seconds, 200, uncachedParties,
              () -> threadPage(plain, postPath, commentsPath, null)));
        }
        if (rows.contains("feed-uncached")) {
          results.add(ClosedLoop.run(vertx, "feed GET /api/posts?limit=20, anonymous, PARLEY_READ_CACHE=off",
              concurrency, warmup, seconds, 200, uncachedParties,
              () -> plain.send(HttpMethod.GET, feedPath, null, null, null)));
        }
        await(plain.close());
      }
      if (rows.contains("page-writes")) {
        results.add(whileWriting(rest, writeRate, tokens, thread, firstPost, commentIds, bodyLength,
            () -> ClosedLoop.run(vertx, "thread page, anonymous, read cache, " + writeRate + " writes/s", concurrency,
                warmup, seconds, 200, parties, () -> threadPage(http, postPath, commentsPath, null))));
      }
      if (rows.contains("page-signed")) {
        results.add(ClosedLoop.run(vertx, "thread page (post, then comments), signed in", concurrency, warmup,
            seconds, 200, parties, () -> threadPage(http, postPath, commentsPath, reader)));
      }
      if (rows.contains("feed")) {
        results.add(ClosedLoop.run(vertx, "feed GET /api/posts?limit=20, anonymous, read cache", concurrency, warmup, seconds,
            200, parties, () -> http.send(HttpMethod.GET, feedPath, null, null, null)));
      }
      if (rows.contains("feed-writes")) {
        results.add(whileWriting(rest, writeRate, tokens, thread, firstPost, commentIds, bodyLength,
            () -> ClosedLoop.run(vertx, "feed, anonymous, read cache, " + writeRate + " writes/s", concurrency,
                warmup, seconds, 200, parties, () -> http.send(HttpMethod.GET, feedPath, null, null, null))));
      }
      if (rows.contains("feed-signed")) {
        results.add(ClosedLoop.run(vertx, "feed GET /api/posts?limit=20, signed in", concurrency, warmup, seconds,
            200, parties, () -> http.send(HttpMethod.GET, feedPath, reader, null, null)));
      }
      await(http.close());

      if (rows.contains("ceiling")) {
        results.addAll(ceiling(concurrency, warmup, seconds, acceptEncoding, parties, page.body(), feed.body()));
      }
      report(results);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Bench.stop(processes, dataDir);
    }
  }

  /**
   * Runs a row while {@code rate} times a second a comment of the read thread is edited (its thread's pages go
   * stale) and a comment is added to another thread (the feed goes stale: its comment count and activity), and
   * prints the read cache's hit rate over the row, from the node's metrics.
   */
  private static ClosedLoop.Result whileWriting(Bench.Rest rest, int rate, List<String> tokens, long thread,
      long otherThread, List<Long> commentIds, int bodyLength, java.util.concurrent.Callable<ClosedLoop.Result> row)
      throws Exception {
    double[] before = cacheCounts(rest);
    java.util.concurrent.atomic.AtomicInteger tick = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.ScheduledExecutorService writer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    writer.scheduleAtFixedRate(() -> {
      int n = tick.getAndIncrement();
      int c = n % commentIds.size();
      rest.call(HttpMethod.PATCH, "/api/comments/" + commentIds.get(c), tokens.get(c % tokens.size()),
              new JsonObject().put("body", WriteBenchmark.body(c + n, bodyLength)))
          .onSuccess(r -> { if (r.status() != 200) failed.incrementAndGet(); });
      rest.call(HttpMethod.POST, "/api/posts/" + otherThread + "/comments", tokens.get(n % tokens.size()),
              new JsonObject().put("body", WriteBenchmark.body(n, bodyLength)))
          .onSuccess(r -> { if (r.status() != 201) failed.incrementAndGet(); });
    }, 0, Math.max(1, 1000 / rate), TimeUnit.MILLISECONDS);
    try {
      return row.call();
    } finally {
      writer.shutdownNow();
      double[] after = cacheCounts(rest);
      double hits = after[0] - before[0];
      double misses = after[1] - before[1];
      System.out.printf(Locale.ROOT, "  read cache over that row (warm-up included): %.0f hits, %.0f misses, hit rate "
          + "%.2f%%; %d writes made (%d refused)%n", hits, misses, 100 * hits / Math.max(1, hits + misses),
          2 * tick.get(), failed.get());
    }
  }

  /** The node's read-cache hits and misses so far, every kind together. */
  private static double[] cacheCounts(Bench.Rest rest) throws Exception {
    String metrics = rest.callSync(HttpMethod.GET, "/metrics", null, null).body().toString();
    double[] counts = new double[2];
    for (String line : metrics.split("\n")) {
      if (!line.startsWith("parley_read_cache_requests_total{")) continue;
      double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      counts[line.contains("result=\"hit\"") ? 0 : 1] += value;
    }
    return counts;
  }

  /** One page load as post.js does it: the post, and once it arrived, the comments. */
  private static Future<Integer> threadPage(ClosedLoop.Http http, String postPath, String commentsPath,
      String token) {
    return http.send(HttpMethod.GET, postPath, token, null, null)
        .compose(status -> status != 200 ? Future.succeededFuture(status)
            : http.send(HttpMethod.GET, commentsPath, token, null, null));
  }

  /**
   * The transport ceiling: a bare Vert.x server (two event loops, as Parley's two HTTP verticles on two cores, and
   * compression on as in Parley) answering the thread's comments page and the feed page from memory. It runs in
   * this process on a Vert.x of its own, so it shares the JVM (not the event loops) with the generator.
   */
  private static List<ClosedLoop.Result> ceiling(int concurrency, int warmup, int seconds, String acceptEncoding,
      Map<String, java.util.function.LongSupplier> parties, Buffer page, Buffer feed) throws Exception {
    Vertx serverVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      int port = Bench.freePort();
      List<String> deployments = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        deployments.add(await(serverVertx.deployVerticle(new io.vertx.core.VerticleBase() {
          private HttpServer server;

          @Override
          public Future<?> start() {
            server = vertx.createHttpServer(new HttpServerOptions().setPort(port).setCompressionSupported(true));
            return server.requestHandler(req -> req.response().putHeader("Content-Type", "application/json")
                .end(req.path().endsWith("/comments") ? page : feed)).listen();
          }
        })));
      }
      Map<String, java.util.function.LongSupplier> here = new java.util.LinkedHashMap<>();
      here.put("generator and bare server", parties.get("generator"));
      ClosedLoop.Http http = new ClosedLoop.Http(clientVertx, URI.create("http://localhost:" + port), concurrency,
          acceptEncoding);
      List<ClosedLoop.Result> results = new ArrayList<>();
      results.add(ClosedLoop.run(clientVertx, "ceiling: bare Vert.x server, the comments page's bytes from memory",
          concurrency, warmup, seconds, 200, here,
          () -> http.send(HttpMethod.GET, "/x/comments", null, null, null)));
      results.add(ClosedLoop.run(clientVertx, "ceiling: bare Vert.x server, the feed page's bytes from memory",
          concurrency, warmup, seconds, 200, here, () -> http.send(HttpMethod.GET, "/x/feed", null, null, null)));
      await(http.close());
      return results;
    } finally {
      await(clientVertx.close());
      await(serverVertx.close());
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static void report(List<ClosedLoop.Result> results) {
    System.out.println();
    System.out.println("| run | in flight | rate /s | p50 ms | p99 ms | max ms | failures | CPU cores busy |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (ClosedLoop.Result r : results) {
      System.out.printf(Locale.ROOT, "| %s | %d | %,.0f | %.2f | %.2f | %.2f | %d%s | %s |%n", r.name(),
          r.concurrency(), r.rate(), r.p50(), r.p99(), r.max(), r.failures(),
          r.failedStatuses().isEmpty() ? "" : " " + r.failedStatuses(), r.cpu());
    }
  }
}
