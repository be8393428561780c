package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Post-to-delivery latency of the live push: N WebSocket subscribers follow one thread while comments are posted
 * over REST at a fixed rate; each delivery's latency runs from sending the POST (so it includes the durable
 * insert and commit) to the frame arriving. Also measures, in the same run, the REST insert alone (the floor a
 * delivery cannot beat) and counts every lost, duplicated or reordered delivery.
 *
 * <p>By default it starts Parley from target/parley.jar in its own process on a fresh data directory, so server,
 * PostgreSQL and this load generator share the machine as they would in a single-box deployment. With
 * {@code --nodes N} it starts one PostgreSQL ({@code parley.db.DatabaseServer}) and N nodes in cluster mode on it,
 * spreads the subscribers over the nodes, writes through the first, and reports each node's deliveries apart: the
 * writing node's readers and the readers a hop away on the clustered event bus, in the same run. See
 * docs/BENCHMARKS.md for the commands and the latest figures.
 */
public final class LiveBenchmark {

  private static final String MARK = "bench-";

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    List<Result> results = new ArrayList<>();
    for (int nodes : o.nodeCounts()) results.add(runOn(o, nodes));
    if (o.ceiling && o.url == null) ceiling(o, results);
  }

  /** One run against Parley on {@code nodeCount} nodes (started here unless --url is given), then stopped. */
  private static Result runOn(Options o, int nodeCount) throws Exception {
    List<Process> processes = new ArrayList<>();
    Path dataDir = null;
    List<String> bases = new ArrayList<>();
    if (o.url != null) {
      bases.add(o.url);
    } else {
      dataDir = Files.createTempDirectory("parley-bench");
      try {
        if (nodeCount == 1) {
          int port = freePort();
          processes.add(Bench.startServer(port, dataDir, Map.of(), "target/bench-server.log"));
          bases.add("http://localhost:" + port);
        } else {
          startCluster(nodeCount, dataDir, processes, bases);
        }
        for (String base : bases) Bench.awaitHealth(base, "target/bench-server*.log");
      } catch (Exception e) {
        stop(processes, dataDir);
        throw e;
      }
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(o.clientLoops));
    try {
      LiveBenchmark bench = new LiveBenchmark(vertx, bases, o);
      // The nodes' own CPU (PostgreSQL is another process: a child of the node, or the cluster's first process).
      bench.serverPids = processes.stream().skip(nodeCount == 1 ? 0 : 1).mapToLong(Process::pid).toArray();
      return bench.run();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      stop(processes, dataDir);
    }
  }

  /**
   * The same subscribers, rate and frame size against a bare Vert.x broadcast server, on the same machine right
   * after Parley's run (Parley and its database are stopped by then), and the ratios between the two.
   */
  private static void ceiling(Options o, List<Result> results) throws Exception {
    int frameBytes = results.get(0).frameBytes;
    int port = freePort();
    ProcessBuilder pb = new ProcessBuilder("java", "-cp", "target/parley.jar" + File.pathSeparator
        + "target/test-classes", "parley.bench.BareBroadcast", Integer.toString(port));
    pb.redirectErrorStream(true).redirectOutput(new File("target/bench-bare.log"));
    List<Process> processes = new ArrayList<>(List.of(pb.start()));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(o.clientLoops));
    try {
      Bench.awaitHealth("http://localhost:" + port, "target/bench-bare.log");
      System.out.println();
      System.out.println("## Ceiling: bare Vert.x WebSocket broadcast, same subscribers, rate and frame size ("
          + frameBytes + " bytes)");
      LiveBenchmark bareBench = new LiveBenchmark(vertx, List.of("http://localhost:" + port), o);
      bareBench.serverPids = new long[] {processes.get(0).pid()};
      Result bare = bareBench.runBare(frameBytes);
      System.out.println();
      System.out.println("## Parley against the ceiling (same run, same machine)");
      System.out.println("| measure | Parley p50 / p99 ms | bare p50 / p99 ms | ratio p50 / p99 |");
      System.out.println("|---|---|---|---|");
      for (Result parley : results) {
        String on = parley.nodes == 1 ? "one node" : parley.nodes + " nodes";
        compare("every delivery, " + on, parley.perDelivery, bare.perDelivery);
        compare("last subscriber per comment, " + on, parley.lastPerComment, bare.lastPerComment);
        System.out.printf(Locale.ROOT, "deliveries per second on %s: Parley %.0f, bare %.0f (%.2f)%n", on,
            parley.perSecond, bare.perSecond, parley.perSecond / bare.perSecond);
        System.out.printf(Locale.ROOT, "server CPU per delivery on %s: Parley %.2f µs, bare %.2f µs (%.2f)%n", on,
            parley.cpuMicrosPerDelivery, bare.cpuMicrosPerDelivery,
            parley.cpuMicrosPerDelivery / bare.cpuMicrosPerDelivery);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Bench.stop(processes, null);
    }
  }

  private static void compare(String name, Histogram parley, Histogram bare) {
    double p50 = ms(parley.getValueAtPercentile(50));
    double p99 = ms(parley.getValueAtPercentile(99));
    double b50 = ms(bare.getValueAtPercentile(50));
    double b99 = ms(bare.getValueAtPercentile(99));
    System.out.printf(Locale.ROOT, "| %s | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |%n", name, p50, p99, b50, b99,
        p50 / b50, p99 / b99);
  }

  /** What a run measured, for the comparison with the ceiling. */
  private record Result(Histogram perDelivery, Histogram lastPerComment, double perSecond, int frameBytes,
      int nodes, double cpuMicrosPerDelivery) {
  }

  /** The server processes measured (their CPU time during the measured run); empty against --url. */
  private long[] serverPids = {};

  /** CPU time the server processes have used so far, in ms (/proc; -1 where unknown). */
  private long serverCpuMillis() {
    long sum = 0;
    for (long pid : serverPids) {
      long ms = Bench.cpuMillis(pid);
      if (ms < 0) return -1;
      sum += ms;
    }
    return serverPids.length == 0 ? -1 : sum;
  }

  /** One PostgreSQL of its own (durable, as Parley runs it), then the nodes on it in cluster mode. */
  private static void startCluster(int nodes, Path dataDir, List<Process> processes, List<String> bases)
      throws Exception {
    Bench.Database db = Bench.startDatabase(dataDir.resolve("db"), "target/bench-db.log");
    processes.add(db.process());
    Map<String, String> env = Map.of(
        "DATABASE_URL", db.url(),
        "PARLEY_JWT_SECRET", "benchmark-signing-key-" + java.util.UUID.randomUUID(),
        "PARLEY_CLUSTER", "true",
        "PARLEY_CLUSTER_NAME", "bench-" + System.currentTimeMillis(),
        "PARLEY_CLUSTER_PORT", "5951");
    for (int n = 0; n < nodes; n++) {
      int port = freePort();
      String log = "target/bench-server-" + n + ".log";
      processes.add(Bench.startServer(port, dataDir.resolve("node" + n), env, log));
      bases.add("http://localhost:" + port);
      // One at a time: each joins the cluster the previous ones formed.
      Bench.awaitHealth(bases.get(n), log);
    }
  }

  private static void stop(List<Process> processes, Path dataDir) throws InterruptedException {
    Bench.stop(processes, dataDir);
  }

  private final Vertx vertx;
  private final Options o;
  /** Where each node is; REST writes go to the first. */
  private final List<java.net.URI> nodes = new ArrayList<>();
  private final java.net.URI uri;

  private LiveBenchmark(Vertx vertx, List<String> bases, Options o) {
    this.vertx = vertx;
    this.o = o;
    for (String base : bases) nodes.add(java.net.URI.create(base));
    this.uri = nodes.get(0);
    this.rest = new Bench.Rest(uri);
  }

  private Result run() throws Exception {
    String user = "bench" + System.currentTimeMillis();
    JsonObject session = callSync(HttpMethod.POST, "/api/auth/register", null, new JsonObject().put("username", user)
        .put("email", user + "@example.org").put("password", "benchmark password")).json();
    String token = session.getString("token");
    long post = callSync(HttpMethod.POST, "/api/posts", token, new JsonObject().put("title", "Benchmark thread")
        .put("body", "Comments arrive here at a fixed rate.")).json().getLong("id");
    topic = "parley.post." + post;
    poster = (index, body) -> call(HttpMethod.POST, "/api/posts/" + post + "/comments", token,
        new JsonObject().put("body", body));

    System.out.printf(Locale.ROOT, "Parley live benchmark: %d subscribers, %s, %d node(s); %s%n", o.subscribers,
        o.describePhases(), nodes.size(), Bench.machine());

    postAtRate(o.rate, o.warmup, 0, null, null);

    // 2. Subscribers join from the thread's current seq, spread over 127.0.0.x source addresses.
    long seq = callSync(HttpMethod.GET, "/api/posts/" + post, null, null).json().getLong("seq");
    return measure(seq, () -> {
      // The floor, on the same warmed-up server: the same REST inserts at the same rate with nobody listening.
      Histogram insertOnly = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      postAtRate(o.rate, o.baselineSeconds * o.rate, 0, insertOnly, null);
      return insertOnly;
    });
  }

  /** The ceiling's run: frames as long as Parley's, published through the bare server's POST /publish. */
  private Result runBare(int frameBytes) throws Exception {
    topic = "bare";
    int[] seq = {0};
    poster = (index, body) -> {
      StringBuilder frame = new StringBuilder("{\"type\":\"rec\",\"address\":\"parley.post.1\",\"body\":{"
          + "\"type\":\"comment.created\",\"seq\":" + (++seq[0]) + ",\"data\":{\"body\":\"" + body);
      while (frame.length() < frameBytes - 4) frame.append('.');
      frame.append("\"}}}");
      return rest.callText(HttpMethod.POST, "/publish", frame.toString());
    };
    postAtRate(o.rate, o.warmup, 0, null, null);
    return measure(seq[0], null);
  }

  /** Where comments go: Parley's REST API, or the bare server. */
  private interface Poster {
    Future<Bench.Reply> post(int index, String body);
  }

  private String topic;
  private Poster poster;

  private Result measure(long seq, java.util.concurrent.Callable<Histogram> floor) throws Exception {
    int total = o.warmup + o.measuredComments();
    Deliveries deliveries = new Deliveries(total, o.subscribers, seq, nodes.size(), o.phaseStarts(o.warmup));
    this.deliveries = deliveries;
    connect(seq, deliveries);

    // 3. Warm-up comments prove every subscriber is live (each must receive them all) and warm the JIT.
    postAtRate(o.rate, o.warmup, 0, null, deliveries);
    if (!deliveries.awaitAll(o.warmup, 120)) throw new IllegalStateException("warm-up did not reach everyone");
    deliveries.startMeasuring(o.warmup);

    // 4. The measured run, phase by phase.
    System.out.println("measured run from " + java.time.Instant.now() + " (to line up with GC logs and profiles)");
    long started = System.nanoTime();
    long cpuBefore = serverCpuMillis();
    List<Histogram> insertMeasured = new ArrayList<>();
    int first = o.warmup;
    for (int[] phase : o.phases()) {
      Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
      insertMeasured.add(h);
      postAtRate(phase[0], phase[0] * phase[1], first, h, deliveries);
      first += phase[0] * phase[1];
    }
    long postsDone = System.nanoTime();
    boolean complete = deliveries.awaitAll(total, o.phases().size() > 1 ? 300 : 30);
    long cpuAfter = serverCpuMillis();
    double elapsed = (System.nanoTime() - started) / 1e9;
    double drain = (System.nanoTime() - postsDone) / 1e9;

    deliveries.closing = true;
    List<Future<Void>> closing = new ArrayList<>();
    for (int i = 0; i < sockets.length(); i++) {
      WebSocket ws = sockets.get(i);
      if (ws != null) closing.add(ws.close());
    }
    Future.join(closing).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Histogram insertOnly = null;
    if (floor != null) {
      Thread.sleep(3000);  // let the server settle after the sockets close: a quiet moment, not an await
      insertOnly = floor.call();
    }
    report(insertOnly, insertMeasured, deliveries, elapsed, complete, drain);
    double cpuMicros = cpuBefore < 0 || cpuAfter < 0 ? Double.NaN
        : (cpuAfter - cpuBefore) * 1000.0 / Math.max(1, deliveries.measuredDeliveries.get());
    System.out.printf(Locale.ROOT, "server CPU during the measured run: %.1f s, %.2f µs per delivery (comments, "
        + "their REST requests and everything else the server did included)%n", (cpuAfter - cpuBefore) / 1000.0, cpuMicros);
    return new Result(deliveries.perDelivery, deliveries.lastPerComment, deliveries.measuredDeliveries.get() / elapsed,
        deliveries.frameBytes, nodes.size(), cpuMicros);
  }

  /** Posts {@code count} comments at {@code rate} per second and waits for every response. */
  private void postAtRate(int rate, int count, int firstIndex, Histogram restLatency, Deliveries deliveries)
      throws Exception {
    CountDownLatch done = new CountDownLatch(count);
    AtomicInteger failures = new AtomicInteger();
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + i * intervalNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
      int index = firstIndex + i;
      long sent = System.nanoTime();
      if (deliveries != null) deliveries.sent(index, sent);
      String body = (deliveries == null ? "unwatched-" : MARK) + index + "- a comment of ordinary length, a sentence or two, like people write in threads.";
      poster.post(index, body).onComplete(ar -> {
        try {
          if (ar.failed() || ar.result().status() != 201) {
            failures.incrementAndGet();
            System.err.println("comment post failed: " + (ar.failed() ? ar.cause() : ar.result().status()));
          } else if (restLatency != null) {
            synchronized (restLatency) {
              restLatency.recordValue(System.nanoTime() - sent);
            }
          }
        } finally {
          done.countDown();
        }
      });
    }
    if (!done.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException(done.getCount() + " of " + count + " posts did not finish");
    }
    if (failures.get() > 0) throw new IllegalStateException(failures.get() + " comment posts failed");
  }

  /** Held in a field: a WebSocketClient that is garbage-collected closes its connections. */
  private final List<WebSocketClient> clients = new ArrayList<>();

  private java.util.concurrent.atomic.AtomicReferenceArray<WebSocket> sockets;
  private Deliveries deliveries;

  private void connect(long seq, Deliveries deliveries) throws Exception {
    int addresses = Math.max(1, (o.subscribers + o.perAddress - 1) / o.perAddress);
    clients.clear();
    for (int a = 0; a < addresses; a++) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
          .setLocalAddress("127.0.0." + (2 + a))
          .setMaxConnections(o.perAddress + 10)));
    }
    sockets = new java.util.concurrent.atomic.AtomicReferenceArray<>(o.subscribers);
    for (int batchStart = 0; batchStart < o.subscribers; batchStart += 500) {
      List<Future<WebSocket>> batch = new ArrayList<>();
      for (int i = batchStart; i < Math.min(o.subscribers, batchStart + 500); i++) {
        batch.add(open(i, seq));
      }
      for (Future<WebSocket> f : batch) f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    // Each client pings every 10 s, as the bridge asks, on a schedule of its own (as real clients do, each from its
    // own connect): a hundredth of them every 100 ms. Pinging all of them at one instant made a burst of 10,000
    // pings, and Parley's 10,000 pongs, land on every fiftieth comment: those were the runs' slowest comments.
    int slices = 100;
    long[] slice = {0};
    vertx.setPeriodic(10_000 / slices, id -> {
      for (int i = (int) (slice[0]++ % slices); i < sockets.length(); i += slices) {
        WebSocket ws = sockets.get(i);
        if (ws != null && !ws.isClosed()) ws.writeTextMessage("{\"type\":\"ping\"}");
      }
    });
    System.out.printf(Locale.ROOT, "connected %d sockets from %d source addresses%n", o.subscribers, addresses);
  }

  /**
   * Opens subscriber {@code i}'s socket and registers from {@code since}. Closed by the server as a slow consumer
   * (4001) or busy (4003), it does what a client should: waits a moment (1–3 s, spread) and resumes from the last
   * seq it got, so nothing is missed.
   */
  private Future<WebSocket> open(int subscriber, long since) {
    java.net.URI node = nodes.get(subscriber % nodes.size());
    String register = new JsonObject().put("type", "register").put("address", topic)
        .put("headers", new JsonObject().put("since", since)).encode();
    return clients.get(subscriber / o.perAddress).connect(new WebSocketConnectOptions()
            .setHost(node.getHost()).setPort(node.getPort()).setURI("/eventbus/websocket"))
        .onSuccess(ws -> {
          sockets.set(subscriber, ws);
          ws.closeHandler(v -> {
            if (deliveries.closing) return;
            Short code = ws.closeStatusCode();
            if (code != null && (code == 4001 || code == 4003)) {
              deliveries.resumes.incrementAndGet();
              vertx.setTimer(1000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(2000), id ->
                  resume(subscriber));
            } else {
              System.err.println("subscriber " + subscriber + " closed by the server: " + code + " "
                  + ws.closeReason());
            }
          });
          ws.textMessageHandler(text -> deliveries.received(subscriber, text));
          ws.binaryMessageHandler(bytes -> deliveries.received(subscriber, bytes.toString()));
          ws.writeTextMessage(register);
        });
  }

  private void resume(int subscriber) {
    if (deliveries.closing) return;
    open(subscriber, deliveries.lastSeqPerSubscriber.get(subscriber)).onFailure(e -> vertx.setTimer(1000, id ->
        resume(subscriber)));
  }

  private void report(Histogram insertOnly, List<Histogram> insertMeasured, Deliveries d, double elapsed,
      boolean complete, double drain) {
    long expected = (long) o.measuredComments() * o.subscribers;
    System.out.println();
    System.out.println("| measure | p50 ms | p99 ms | max ms | count |");
    System.out.println("|---|---|---|---|---|");
    if (insertOnly != null) row("REST comment insert, nobody listening (floor)", insertOnly);
    List<int[]> phases = o.phases();
    for (int p = 0; p < phases.size(); p++) {
      String phase = phases.size() == 1 ? "" : " (phase " + (p + 1) + ": " + phases.get(p)[0] + "/s for "
          + phases.get(p)[1] + " s)";
      row("REST comment insert, during the run" + phase, insertMeasured.get(p));
      if (phases.size() > 1) {
        row("post-to-delivery, every delivery" + phase, d.perDeliveryIn[p]);
        row("post-to-delivery, last subscriber per comment" + phase, d.lastPerCommentIn[p]);
      }
    }
    row("post-to-delivery, every delivery", d.perDelivery);
    row("post-to-delivery, last subscriber per comment", d.lastPerComment);
    if (d.nodes > 1) {
      for (int n = 0; n < d.nodes; n++) {
        String where = n == 0 ? "node 1 (takes the writes)" : "node " + (n + 1) + " (a bus hop away)";
        row("post-to-delivery, every delivery, subscribers on " + where, d.perDeliveryOn[n]);
        row("post-to-delivery, last subscriber per comment, on " + where, d.lastPerCommentOn[n]);
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "deliveries: %d of %d expected, %.0f per second; lost %d, duplicate %d, "
            + "seq gaps %d; complete: %s; resumed after 4001/4003: %d; every delivery done %.1f s after the last "
            + "post%n",
        d.measuredDeliveries.get(), expected, d.measuredDeliveries.get() / elapsed,
        expected - d.measuredDeliveries.get(), d.duplicates(), d.gaps(), complete, d.resumes.get(), drain);
    if (insertOnly != null) {
      System.out.printf(Locale.ROOT, "ratio: delivery p50 / insert floor p50 = %.2f; last-subscriber p99 / insert "
              + "floor p99 = %.2f%n",
          ms(d.perDelivery.getValueAtPercentile(50)) / ms(insertOnly.getValueAtPercentile(50)),
          ms(d.lastPerComment.getValueAtPercentile(99)) / ms(insertOnly.getValueAtPercentile(99)));
    }
    d.printSlowest(5);
  }

  private static void row(String name, Histogram h) {
    System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %d |%n", name, ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), h.getTotalCount());
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** What every subscriber received, recorded from the client event loops. */
  private static final class Deliveries {
    final AtomicLongArray sentAt;
    final AtomicIntegerArray receivedCount;
    final AtomicLongArray lastArrival;
    /** When each comment reached its first subscriber (0 until it did). */
    final AtomicLongArray firstArrival;
    final AtomicLongArray lastSeqPerSubscriber;
    final int subscribers;
    final ConcurrentHistogram perDelivery = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(600), 3);
    final ConcurrentHistogram lastPerComment = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(600), 3);
    final AtomicLong measuredDeliveries = new AtomicLong();
    /** The same, per node (subscriber i is on node i % nodes). */
    final int nodes;
    final ConcurrentHistogram[] perDeliveryOn;
    final ConcurrentHistogram[] lastPerCommentOn;
    final AtomicIntegerArray[] receivedOn;
    final int[] subscribersOn;
    /** Per subscriber, each written only by the client loop its socket is on; summed for the report. */
    final long[] duplicatesOf;
    final long[] gapsOf;
    final AtomicLong resumes = new AtomicLong();
    /** Per phase of the run (comment index ranges from phaseStarts). */
    final int[] phaseStarts;
    final ConcurrentHistogram[] perDeliveryIn;
    final ConcurrentHistogram[] lastPerCommentIn;
    volatile int frameBytes;
    volatile int measureFrom = Integer.MAX_VALUE;
    volatile boolean closing;

    Deliveries(int comments, int subscribers, long startSeq, int nodes, int[] phaseStarts) {
      this.nodes = nodes;
      this.phaseStarts = phaseStarts;
      this.perDeliveryIn = new ConcurrentHistogram[phaseStarts.length];
      this.lastPerCommentIn = new ConcurrentHistogram[phaseStarts.length];
      for (int p = 0; p < phaseStarts.length; p++) {
        perDeliveryIn[p] = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(600), 3);
        lastPerCommentIn[p] = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(600), 3);
      }
      this.perDeliveryOn = new ConcurrentHistogram[nodes];
      this.lastPerCommentOn = new ConcurrentHistogram[nodes];
      this.receivedOn = new AtomicIntegerArray[nodes];
      this.subscribersOn = new int[nodes];
      for (int n = 0; n < nodes; n++) {
        perDeliveryOn[n] = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(600), 3);
        lastPerCommentOn[n] = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(600), 3);
        receivedOn[n] = new AtomicIntegerArray(comments);
      }
      for (int i = 0; i < subscribers; i++) subscribersOn[i % nodes]++;
      this.sentAt = new AtomicLongArray(comments);
      this.receivedCount = new AtomicIntegerArray(comments);
      this.lastArrival = new AtomicLongArray(comments);
      this.firstArrival = new AtomicLongArray(comments);
      this.lastSeqPerSubscriber = new AtomicLongArray(subscribers);
      this.duplicatesOf = new long[subscribers];
      this.gapsOf = new long[subscribers];
      this.subscribers = subscribers;
      for (int i = 0; i < subscribers; i++) lastSeqPerSubscriber.set(i, startSeq);
    }

    /** Forgets the warm-up's figures; called once every warm-up delivery has arrived and before any other. */
    void startMeasuring(int from) {
      perDelivery.reset();
      lastPerComment.reset();
      for (ConcurrentHistogram h : perDeliveryOn) h.reset();
      for (ConcurrentHistogram h : lastPerCommentOn) h.reset();
      for (ConcurrentHistogram h : perDeliveryIn) h.reset();
      for (ConcurrentHistogram h : lastPerCommentIn) h.reset();
      measuredDeliveries.set(0);
      measureFrom = from;
    }

    long duplicates() {
      return java.util.Arrays.stream(duplicatesOf).sum();
    }

    long gaps() {
      return java.util.Arrays.stream(gapsOf).sum();
    }

    void sent(int index, long nanos) {
      sentAt.set(index, nanos);
    }

    /** Finds the comment's index in the frame's text without parsing the JSON (the generator shares the CPU). */
    void received(int subscriber, String frame) {
      long now = System.nanoTime();
      int at = frame.indexOf(MARK);
      if (at < 0) return;
      frameBytes = frame.length();
      int end = frame.indexOf('-', at + MARK.length());
      int index = Integer.parseInt(frame, at + MARK.length(), end, 10);
      // Each subscriber must see seq 1, 2, 3... of the thread: a repeat is a duplicate, a jump a gap.
      int seqAt = frame.indexOf("\"seq\":") + 6;
      long seq = Long.parseLong(frame, seqAt, frame.indexOf(',', seqAt), 10);
      long previous = lastSeqPerSubscriber.getAndSet(subscriber, seq);
      // Counted without a branch: the bare server reorders across its two loops and Parley does not, so a branch
      // compiled during Parley's run would be a trap the bare run's first reordering springs (a client stall).
      duplicatesOf[subscriber] += ((previous - seq) >>> 63) ^ 1;
      gapsOf[subscriber] += (previous + 1 - seq) >>> 63;
      int count = receivedCount.incrementAndGet(index);
      int node = subscriber % nodes;
      int countOnNode = receivedOn[node].incrementAndGet(index);
      long latency = Math.max(0, now - sentAt.get(index));
      // Recorded for the warm-up too, then reset when the measured run starts: a branch the warm-up never took
      // would be compiled as a trap, and the client's event loops would run interpreted for the measured run's
      // first seconds (its first Parley comments looked slow for that alone).
      perDelivery.recordValue(latency);
      perDeliveryOn[node].recordValue(latency);
      measuredDeliveries.incrementAndGet();
      if (count == subscribers) lastPerComment.recordValue(latency);
      if (countOnNode == subscribersOn[node]) lastPerCommentOn[node].recordValue(latency);
      int phase = phaseStarts.length - 1;
      while (phase > 0 && index < phaseStarts[phase]) phase--;
      perDeliveryIn[phase].recordValue(latency);
      if (count == subscribers) lastPerCommentIn[phase].recordValue(latency);
      lastArrival.accumulateAndGet(index, now, Math::max);
      firstArrival.accumulateAndGet(index, now, (a, b) -> a == 0 ? b : Math.min(a, b));
    }

    /**
     * Prints the measured comments whose last subscriber waited longest: when each was posted (seconds into the
     * measured run) and how long its first and its last subscriber waited. A late first subscriber means the event
     * itself was late (the write, its commit, the bus); a late last one with an early first, that the writing was.
     */
    void printSlowest(int n) {
      int from = measureFrom;
      if (from >= sentAt.length()) return;
      long origin = sentAt.get(from);
      java.util.List<Integer> measured = new java.util.ArrayList<>();
      for (int i = from; i < sentAt.length(); i++) {
        if (sentAt.get(i) != 0 && lastArrival.get(i) != 0) measured.add(i);
      }
      measured.sort(java.util.Comparator.comparingLong(i -> sentAt.get(i) - lastArrival.get(i)));
      for (int i : measured.subList(0, Math.min(n, measured.size()))) {
        System.out.printf(Locale.ROOT, "slow comment %d, posted at +%.2f s: first subscriber after %.1f ms, last after "
                + "%.1f ms%n", i, (sentAt.get(i) - origin) / 1e9, ms(firstArrival.get(i) - sentAt.get(i)),
            ms(lastArrival.get(i) - sentAt.get(i)));
      }
    }

    /** Waits until the first {@code upTo} comments reached every subscriber; false on timeout. */
    boolean awaitAll(int upTo, int timeoutSeconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      for (int i = 0; i < upTo; i++) {
        while (receivedCount.get(i) < subscribers) {
          if (System.nanoTime() > deadline) return false;
          Thread.sleep(5);
        }
      }
      return true;
    }
  }

  private final Bench.Rest rest;

  private Future<Bench.Reply> call(HttpMethod method, String path, String token, JsonObject body) {
    return rest.call(method, path, token, body);
  }

  private Bench.Reply callSync(HttpMethod method, String path, String token, JsonObject body) throws Exception {
    return rest.callSync(method, path, token, body);
  }

  private static int freePort() throws Exception {
    return Bench.freePort();
  }

  /**
   * Command-line options: --subscribers N --rate PER_SECOND --seconds S --url http://host:port ... {@code --phases
   * 5:20,20:30,2:30} replaces rate and seconds with phases of (rate per second : seconds), for the overload run.
   * {@code --ceiling false} skips the bare broadcast ceiling run.
   */
  private record Options(int subscribers, int rate, int seconds, int warmup, int baselineSeconds, int perAddress,
      int clientLoops, String url, String nodes, String phaseSpec, boolean ceiling) {
    static Options parse(String[] args) {
      int subscribers = 100;
      int rate = 50;
      int seconds = 30;
      int warmup = 200;
      int baseline = 10;
      int perAddress = 1000;
      int loops = 2;
      String url = null;
      String nodes = "1";
      String phases = null;
      boolean ceiling = true;
      for (int i = 0; i + 1 < args.length; i += 2) {
        String v = args[i + 1];
        switch (args[i]) {
          case "--subscribers" -> subscribers = Integer.parseInt(v);
          case "--rate" -> rate = Integer.parseInt(v);
          case "--seconds" -> seconds = Integer.parseInt(v);
          case "--warmup" -> warmup = Integer.parseInt(v);
          case "--baseline-seconds" -> baseline = Integer.parseInt(v);
          case "--per-address" -> perAddress = Integer.parseInt(v);
          case "--client-loops" -> loops = Integer.parseInt(v);
          case "--url" -> url = v;
          case "--nodes" -> nodes = v;
          case "--phases" -> phases = v;
          case "--ceiling" -> ceiling = Boolean.parseBoolean(v);
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      return new Options(subscribers, rate, seconds, warmup, baseline, perAddress, loops, url, nodes, phases, ceiling);
    }

    /** {@code --nodes 1,2}: a run on one node, then one on a two-node cluster, each compared with the ceiling. */
    List<Integer> nodeCounts() {
      List<Integer> counts = new ArrayList<>();
      for (String n : nodes.split(",")) counts.add(Integer.parseInt(n.trim()));
      return counts;
    }

    /** (rate per second, seconds) for each phase of the measured run. */
    List<int[]> phases() {
      if (phaseSpec == null) return List.of(new int[] {rate, seconds});
      List<int[]> list = new ArrayList<>();
      for (String p : phaseSpec.split(",")) {
        String[] rs = p.split(":");
        list.add(new int[] {Integer.parseInt(rs[0].trim()), Integer.parseInt(rs[1].trim())});
      }
      return list;
    }

    int measuredComments() {
      return phases().stream().mapToInt(p -> p[0] * p[1]).sum();
    }

    int[] phaseStarts(int first) {
      List<int[]> phases = phases();
      int[] starts = new int[phases.size()];
      for (int p = 0; p < phases.size(); p++) {
        starts[p] = first;
        first += phases.get(p)[0] * phases.get(p)[1];
      }
      return starts;
    }

    String describePhases() {
      StringBuilder b = new StringBuilder();
      for (int[] p : phases()) b.append(b.length() == 0 ? "" : ", then ").append(p[0]).append(" comments/s for ")
          .append(p[1]).append(" s");
      return b.toString();
    }
  }
}
