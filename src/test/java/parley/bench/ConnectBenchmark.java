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

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 14's P1, P7 and P8: how many signed-in subscribers one node holds and what each costs (memory, idle CPU),
 * what the node and its PostgreSQL weigh at start, and how fast a crowd of them comes back after a disconnect.
 *
 * <p>PostgreSQL runs as its own process ({@code parley.db.DatabaseServer}) and one Parley node on it, so the JVM's
 * memory and PostgreSQL's are read apart. Every subscriber is one raw {@code /eventbus/websocket} socket that does
 * what a signed-in browser on a post page does (webroot/js/ui.js and post.js): it registers on the thread with its
 * token and {@code since}, and on its own user topic with its token; it pings every 10 s; when the server closes it
 * (4003 busy, 4001 slow) or a connect fails, it reconnects after the browser client's back-off (250 ms doubling to
 * 2 s, jittered down to half) and resumes with {@code since} = the last seq it holds.
 *
 * <p>The first {@code --storm} subscribers follow thread A, the rest thread B, so the comments of the storm reach
 * only the clients that were away. See docs/benchmarks/P1-P7-P8.md for the commands and figures.
 */
public final class ConnectBenchmark {

  private static final String SERVER_LOG = "target/bench-connect-server.log";
  private static final String DB_LOG = "target/bench-connect-db.log";

  public static void main(String[] args) throws Exception {
    Map<String, String> o = Bench.options(args);
    Path dataDir = Files.createTempDirectory("parley-bench-connect");
    List<Process> processes = new ArrayList<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(intOption(o, "client-loops", 2)));
    try {
      Bench.Database db = Bench.startDatabase(dataDir.resolve("db"), DB_LOG);
      processes.add(db.process());
      int port = Bench.freePort();
      Map<String, String> env = new HashMap<>(Map.of("DATABASE_URL", db.url(),
          "PARLEY_JWT_SECRET", "benchmark-signing-key-" + java.util.UUID.randomUUID()));
      // --server-jvm "-Xmx512m": JVM options for the server (through JAVA_TOOL_OPTIONS; none by default).
      if (o.containsKey("server-jvm")) env.put("JAVA_TOOL_OPTIONS", o.get("server-jvm"));
      Process server = Bench.startServer(port, dataDir.resolve("node"), env, SERVER_LOG);
      processes.add(server);
      String base = "http://127.0.0.1:" + port;
      Bench.awaitHealth(base, SERVER_LOG);
      new ConnectBenchmark(vertx, URI.create(base), o, server, dataDir.resolve("db")).run();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Bench.stop(processes, dataDir);
    }
  }

  private final Vertx vertx;
  private final URI uri;
  private final Bench.Rest rest;
  private final Process server;
  private final Path dbDir;
  private final int subscribers;
  private final int accounts;
  private final int storm;
  private final int missed;
  private final int idleSeconds;
  private final int catchUps;
  private final int perAddress;
  private final Path oldObjects;
  /** Held in a field: a WebSocketClient that is garbage-collected closes its connections. */
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final List<Subscriber> all = new ArrayList<>();
  /** Set when the run is over: clients stop reconnecting. */
  private volatile boolean finished;
  private final Map<String, AtomicInteger> closeCodes = new ConcurrentHashMap<>();
  private final AtomicInteger connectFailures = new AtomicInteger();
  private final AtomicInteger errFrames = new AtomicInteger();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong gaps = new AtomicLong();
  private final AtomicLong resyncs = new AtomicLong();

  private ConnectBenchmark(Vertx vertx, URI uri, Map<String, String> o, Process server, Path dbDir) {
    this.vertx = vertx;
    this.uri = uri;
    this.rest = new Bench.Rest(uri);
    this.server = server;
    this.dbDir = dbDir;
    this.subscribers = intOption(o, "subscribers", 19_000);
    this.accounts = intOption(o, "accounts", 100);
    this.storm = Math.min(subscribers, intOption(o, "storm", 10_000));
    this.missed = intOption(o, "missed", 100);
    this.idleSeconds = intOption(o, "idle-seconds", 60);
    this.catchUps = intOption(o, "catch-ups", 50);
    this.perAddress = intOption(o, "per-address", 1000);
    this.oldObjects = o.containsKey("old-objects") ? Path.of(o.get("old-objects")) : null;
  }

  private void run() throws Exception {
    long pid = server.pid();
    System.out.println("Parley connection benchmark: " + subscribers + " subscribers (" + storm + " on thread A, "
        + (subscribers - storm) + " on thread B), " + accounts + " accounts, storm of " + storm + " after "
        + missed + " missed events");
    System.out.println(Bench.machine());
    System.out.println("server JVM: " + jcmd(pid, "VM.flags").lines()
        .filter(l -> l.contains("-XX:")).findFirst().orElse("?"));

    // P8 at start: after health, before any client; a few seconds for start-up work to finish.
    Thread.sleep(5_000);
    Footprint start = footprint(pid);
    String heapStart = heapAfterGc(pid);
    long rssStartAfterGc = Bench.residentKiB(pid);
    System.out.println();
    System.out.println("## Footprint at start (no client)");
    start.print();
    System.out.println("server heap after GC.run: " + heapStart + "; server RSS after it " + kib(rssStartAfterGc));

    // Accounts, and an author who is none of them (so reply notifications go to nobody's socket).
    String author = rest.register("author" + System.currentTimeMillis() % 100_000);
    String prefix = "s" + System.currentTimeMillis() % 100_000 + "x";
    List<String> names = new ArrayList<>();
    for (int a = 0; a < accounts; a++) names.add(prefix + a);
    List<JsonObject> signups = rest.registerAll(names);
    String[] tokens = new String[accounts];
    long[] userIds = new long[accounts];
    for (int a = 0; a < accounts; a++) {
      JsonObject s = signups.get(a);
      tokens[a] = s.getString("token");
      userIds[a] = s.getJsonObject("user").getLong("id");
    }
    long threadA = post(author, "Thread A: the storm");
    long threadB = post(author, "Thread B: the others");

    // P1: N signed-in subscribers from addresses of 1,000 each.
    int addresses = (subscribers + perAddress - 1) / perAddress;
    for (int a = 0; a < addresses + 1; a++) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
          .setLocalAddress("127.0.0." + (2 + a)).setMaxConnections(perAddress + 10)));
    }
    for (int i = 0; i < subscribers; i++) {
      int account = i % accounts;
      all.add(new Subscriber(i, clients.get(i / perAddress), i < storm ? threadA : threadB, tokens[account],
          userIds[account]));
    }
    long pinger = vertx.setPeriodic(100, new Pinger());
    long connectStart = System.nanoTime();
    for (int i = 0; i < subscribers; i += 250) {
      for (int j = i; j < Math.min(subscribers, i + 250); j++) all.get(j).connect();
      // Paced like users arriving over a minute or so: each batch's sockets open before the next starts.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (openCount() < Math.min(subscribers, i + 250) * 0.98 && System.nanoTime() < deadline) Thread.sleep(5);
    }
    // One event on each thread proves every socket is registered and live.
    comment(author, threadA, "ready");
    comment(author, threadB, "ready");
    long headA = seq(threadA);
    long headB = seq(threadB);
    if (!awaitSeq(0, subscribers, i -> i < storm ? headA : headB, 300)) {
      System.out.println("not every subscriber got the ready event: " + behind(0, subscribers,
          i -> i < storm ? headA : headB));
    }
    double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
    System.out.printf(Locale.ROOT, "%n## %d subscribers open and live after %.1f s (%d from %d addresses); "
            + "connect failures %d, err frames %d, closes %s%n", openCount(), connectSeconds, subscribers,
        addresses, connectFailures.get(), errFrames.get(), closeCodes);

    Thread.sleep(10_000);
    Footprint loaded = footprint(pid);
    String heapLoaded = heapAfterGc(pid);
    long rssLoadedAfterGc = Bench.residentKiB(pid);
    System.out.println("## Footprint with " + subscribers + " subscribers");
    loaded.print();
    System.out.println("server heap after GC.run: " + heapLoaded + "; server RSS after it " + kib(rssLoadedAfterGc));
    System.out.printf(Locale.ROOT, "per subscriber: JVM RSS +%.1f KiB ((%d - %d) / %d); after GC.run +%.1f KiB; "
            + "PostgreSQL Pss +%.2f KiB%n", (loaded.jvmRss - start.jvmRss) / (double) subscribers, loaded.jvmRss,
        start.jvmRss, subscribers, (rssLoadedAfterGc - rssStartAfterGc) / (double) subscribers,
        (loaded.pgPss - start.pgPss) / (double) subscribers);
    System.out.println("server threads: " + threads(pid) + ", open files: " + openFiles(pid) + "; "
        + connectionObjects(pid));
    // What the memory is made of: the live objects by class, and (with --server-jvm
    // -XX:NativeMemoryTracking=summary) the JVM's own accounting of its native memory.
    System.out.println("server heap by class after the GC (top 30):");
    jcmd(pid, "GC.class_histogram").lines().skip(1).limit(32).forEach(System.out::println);
    String nmt = jcmd(pid, "VM.native_memory summary");
    if (nmt.contains("Total:")) {
      nmt.lines().filter(l -> l.startsWith("Total") || l.matches("^-\\s+\\S.*\\(reserved=.*"))
          .forEach(System.out::println);
    }

    // --old-objects FILE, with --server-jvm "-XX:StartFlightRecording": JFR's sample of the live objects, each with
    // its path to a GC root (jfr print --events OldObjectSample FILE), to say what keeps a subscriber's memory.
    if (oldObjects != null) {
      System.out.println(jcmd(pid, "JFR.dump path-to-gc-roots=true filename=" + oldObjects.toAbsolutePath()).strip());
    }

    // Idle CPU: nothing but pings for a minute.
    long cpu0 = Bench.cpuMillis(pid);
    long pg0 = postgresCpuMillis();
    long me0 = Bench.cpuMillis(ProcessHandle.current().pid());
    long t0 = System.nanoTime();
    Thread.sleep(idleSeconds * 1000L);
    double wall = (System.nanoTime() - t0) / 1e6;
    long cpu = Bench.cpuMillis(pid) - cpu0;
    long pg = postgresCpuMillis() - pg0;
    long me = Bench.cpuMillis(ProcessHandle.current().pid()) - me0;
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf(Locale.ROOT, "%n## Idle CPU over %.0f s with %d subscribers (pings only)%n", wall / 1000,
        openCount());
    System.out.printf(Locale.ROOT, "server: %d ms CPU = %.2f %% of one core, %.2f %% of the machine (%d cores)%n",
        cpu, 100.0 * cpu / wall, 100.0 * cpu / wall / cores, cores);
    System.out.printf(Locale.ROOT, "PostgreSQL: %d ms = %.2f %% of one core; load generator: %d ms = %.2f %% of one "
        + "core%n", pg, 100.0 * pg / wall, me, 100.0 * me / wall);

    // P7: the storm.
    storm(author, threadA);
    catchUp(author, threadA, tokens[0]);

    vertx.cancelTimer(pinger);
    finished = true;
    System.out.println();
    System.out.printf(Locale.ROOT, "whole run: duplicates %d, seq gaps %d, resyncs %d, err frames %d, connect "
        + "failures %d, closes by code %s%n", duplicates.get(), gaps.get(), resyncs.get(), errFrames.get(),
        connectFailures.get(), closeCodes);
    Footprint end = footprint(pid);
    System.out.println("## Footprint at the end");
    end.print();
    System.out.println("server heap after GC.run: " + heapAfterGc(pid) + "; " + connectionObjects(pid)
        + "; open files " + openFiles(pid));
  }

  /** Closes the first {@code storm} clients, posts while they are away, and brings them all back at once. */
  private void storm(String author, long thread) throws Exception {
    List<Subscriber> group = all.subList(0, storm);
    List<Future<Void>> closing = new ArrayList<>();
    for (Subscriber s : group) closing.add(s.leave());
    Future.join(closing).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Thread.sleep(3_000);
    long from = seq(thread);
    for (int i = 0; i < missed; i++) comment(author, thread, "missed " + i);
    long target = seq(thread);
    if (target != from + missed) System.out.println("thread head moved by " + (target - from) + ", not " + missed);
    Thread.sleep(2_000);
    Map<String, Integer> codesBefore = snapshot(closeCodes);
    int failuresBefore = connectFailures.get();
    long dupBefore = duplicates.get();
    long gapBefore = gaps.get();
    long cpu0 = Bench.cpuMillis(server.pid());
    long pg0 = postgresCpuMillis();
    long started = System.nanoTime();
    for (Subscriber s : group) s.startStorm(target, started);
    for (Subscriber s : group) s.connect();
    boolean complete = awaitSeq(0, storm, i -> target, 300);
    long last = 0;
    Histogram done = new Histogram(TimeUnit.MINUTES.toNanos(5), 3);
    int attemptsMax = 0;
    long attempts = 0;
    for (Subscriber s : group) {
      if (s.caughtUpAt > 0) {
        done.recordValue(s.caughtUpAt - started);
        last = Math.max(last, s.caughtUpAt - started);
      }
      attempts += s.stormAttempts;
      attemptsMax = Math.max(attemptsMax, s.stormAttempts);
    }
    double cpu = Bench.cpuMillis(server.pid()) - cpu0;
    double pg = postgresCpuMillis() - pg0;
    long lost = 0;
    for (Subscriber s : group) lost += Math.max(0, target - s.lastSeq);
    System.out.printf(Locale.ROOT, "%n## Reconnect storm: %d clients, %d missed events each%n", storm, missed);
    System.out.printf(Locale.ROOT, "all caught up: %s; first reconnect to last client's %dth event: %.2f s%n",
        complete, missed, last / 1e9);
    System.out.printf(Locale.ROOT, "per client, reconnect to caught up: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max "
            + "%.0f ms (%d clients)%n", ms(done.getValueAtPercentile(50)), ms(done.getValueAtPercentile(90)),
        ms(done.getValueAtPercentile(99)), ms(done.getMaxValue()), done.getTotalCount());
    System.out.printf(Locale.ROOT, "connect attempts %d (%.2f per client, at most %d); closes during the storm %s; "
            + "connect failures %d%n", attempts, attempts / (double) storm, attemptsMax, diff(closeCodes, codesBefore),
        connectFailures.get() - failuresBefore);
    System.out.printf(Locale.ROOT, "lost %d, duplicates %d, seq gaps %d (of %d expected deliveries)%n", lost,
        duplicates.get() - dupBefore, gaps.get() - gapBefore, (long) storm * missed);
    System.out.printf(Locale.ROOT, "CPU during the storm (until the last caught up): server %.0f ms, PostgreSQL "
        + "%.0f ms%n", cpu, pg);
  }

  /** One client behind by {@code missed} events registers with since, again and again: register to last event. */
  private void catchUp(String author, long thread, String token) throws Exception {
    long head = seq(thread);
    if (head < missed) {
      for (long i = head; i < missed; i++) comment(author, thread, "filler " + i);
      head = seq(thread);
    }
    long since = head - missed;
    WebSocketClient client = clients.get(clients.size() - 1);
    Histogram h = new Histogram(TimeUnit.MINUTES.toNanos(1), 3);
    int busy = 0;
    for (int run = 0; run < catchUps; run++) {
      var result = new java.util.concurrent.CompletableFuture<Long>();
      AtomicInteger got = new AtomicInteger();
      AtomicLong sent = new AtomicLong();
      WebSocket ws = client.connect(new WebSocketConnectOptions().setHost(uri.getHost()).setPort(uri.getPort())
          .setURI("/eventbus/websocket")).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      ws.textMessageHandler(text -> {
        if (got.incrementAndGet() == missed) result.complete(System.nanoTime() - sent.get());
      });
      ws.closeHandler(v -> result.completeExceptionally(new IllegalStateException("closed " + ws.closeStatusCode())));
      String register = new JsonObject().put("type", "register").put("address", "parley.post." + thread)
          .put("headers", new JsonObject().put("token", token).put("since", since)).encode();
      sent.set(System.nanoTime());
      ws.writeTextMessage(register);
      try {
        h.recordValue(result.get(30, TimeUnit.SECONDS));
      } catch (java.util.concurrent.ExecutionException e) {
        busy++;
      }
      ws.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    System.out.printf(Locale.ROOT, "%n## Single-client catch-up of %d events (register with token and since to the "
            + "%dth event), %d runs, %d idle subscribers connected%n", missed, missed, h.getTotalCount(), openCount());
    System.out.printf(Locale.ROOT, "p50 %.2f ms, p99 %.2f ms, max %.2f ms, min %.2f ms; runs closed by the server %d%n",
        ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), ms(h.getMinValue()),
        busy);
  }

  /** One signed-in browser tab on a post page: a socket with the thread and the user's own topic. */
  private final class Subscriber {
    final int index;
    final WebSocketClient client;
    final long thread;
    final String token;
    final long userId;
    volatile WebSocket ws;
    volatile long lastSeq;
    volatile boolean leaving;
    int attempts;
    volatile long stormTarget = Long.MAX_VALUE;
    volatile long caughtUpAt;
    volatile int stormAttempts;

    Subscriber(int index, WebSocketClient client, long thread, String token, long userId) {
      this.index = index;
      this.client = client;
      this.thread = thread;
      this.token = token;
      this.userId = userId;
    }

    void connect() {
      leaving = false;
      stormAttempts++;
      client.connect(new WebSocketConnectOptions().setHost(uri.getHost()).setPort(uri.getPort())
              .setURI("/eventbus/websocket").setTimeout(30_000))
          .onSuccess(this::opened)
          .onFailure(e -> {
            connectFailures.incrementAndGet();
            retry();
          });
    }

    private void opened(WebSocket socket) {
      ws = socket;
      socket.textMessageHandler(this::received);
      socket.binaryMessageHandler(b -> errFrames.incrementAndGet());
      socket.closeHandler(v -> {
        ws = null;
        if (leaving) return;
        closeCodes.computeIfAbsent(String.valueOf(socket.closeStatusCode()), k -> new AtomicInteger())
            .incrementAndGet();
        retry();
      });
      socket.writeTextMessage(new JsonObject().put("type", "register").put("address", "parley.post." + thread)
          .put("headers", new JsonObject().put("token", token).put("since", lastSeq)).encode());
      socket.writeTextMessage(new JsonObject().put("type", "register").put("address", "parley.user." + userId)
          .put("headers", new JsonObject().put("token", token)).encode());
    }

    /** The browser client's back-off (connection.js: 250 ms doubling to 2 s, each delay jittered down to half). */
    private void retry() {
      if (leaving || finished) return;
      long base = Math.min(2000, 250L << Math.min(attempts++, 4));
      vertx.setTimer(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1), id -> connect());
    }

    private void received(String frame) {
      // Only the fields needed, without parsing the JSON: the load generator shares the CPU.
      if (!frame.contains("\"address\":\"parley.post.")) return;
      if (frame.contains("\"type\":\"resync\"")) {
        resyncs.incrementAndGet();
        return;
      }
      int at = frame.indexOf("\"seq\":") + 6;
      long seq = Long.parseLong(frame, at, frame.indexOf(',', at), 10);
      long previous = lastSeq;
      if (seq <= previous) {
        duplicates.incrementAndGet();
        return;
      }
      if (seq != previous + 1) gaps.incrementAndGet();
      lastSeq = seq;
      attempts = 0;
      if (seq >= stormTarget && caughtUpAt == 0) caughtUpAt = System.nanoTime();
    }

    Future<Void> leave() {
      leaving = true;
      WebSocket socket = ws;
      return socket == null ? Future.succeededFuture() : socket.close();
    }

    void startStorm(long target, long at) {
      stormTarget = target;
      caughtUpAt = 0;
      stormAttempts = 0;
      attempts = 0;
    }
  }

  /** Pings every open socket once every 10 s, a hundredth of them every 100 ms (a browser pings every 10 s). */
  private final class Pinger implements io.vertx.core.Handler<Long> {
    private int tick;

    @Override
    public void handle(Long id) {
      int slot = tick++ % 100;
      for (int i = slot; i < all.size(); i += 100) {
        WebSocket ws = all.get(i).ws;
        if (ws != null && !ws.isClosed()) ws.writeTextMessage("{\"type\":\"ping\"}");
      }
    }
  }

  private int openCount() {
    int open = 0;
    for (Subscriber s : all) if (s.ws != null) open++;
    return open;
  }

  private boolean awaitSeq(int from, int to, java.util.function.IntToLongFunction target, int timeoutSeconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    for (int i = from; i < to; i++) {
      while (all.get(i).lastSeq < target.applyAsLong(i)) {
        if (System.nanoTime() > deadline) return false;
        Thread.sleep(5);
      }
    }
    return true;
  }

  private int behind(int from, int to, java.util.function.IntToLongFunction target) {
    int n = 0;
    for (int i = from; i < to; i++) if (all.get(i).lastSeq < target.applyAsLong(i)) n++;
    return n;
  }

  private long post(String token, String title) throws Exception {
    Bench.Reply r = rest.callSync(HttpMethod.POST, "/api/posts", token, new JsonObject().put("title", title)
        .put("body", "Subscribers follow this thread."));
    if (r.status() != 201) throw new IllegalStateException("post: " + r.status() + " " + r.body());
    return r.json().getLong("id");
  }

  private void comment(String token, long post, String text) throws Exception {
    Bench.Reply r = rest.callSync(HttpMethod.POST, "/api/posts/" + post + "/comments", token,
        new JsonObject().put("body", text + ": a comment of ordinary length, a sentence or two, like people write."));
    if (r.status() != 201) throw new IllegalStateException("comment: " + r.status() + " " + r.body());
  }

  private long seq(long post) throws Exception {
    return rest.callSync(HttpMethod.GET, "/api/posts/" + post, null, null).json().getLong("seq");
  }

  /** The server JVM's and PostgreSQL's memory, read apart. */
  private record Footprint(long jvmRss, long pgRss, long pgPss, int pgProcesses, long dbSupervisorRss) {
    void print() {
      System.out.println("| process | measure | MiB |");
      System.out.println("|---|---|---|");
      System.out.printf(Locale.ROOT, "| Parley JVM | RSS | %.1f |%n", jvmRss / 1024.0);
      System.out.printf(Locale.ROOT, "| PostgreSQL (%d processes) | Pss, summed | %.1f |%n", pgProcesses,
          pgPss / 1024.0);
      System.out.printf(Locale.ROOT, "| PostgreSQL (%d processes) | RSS, summed (shared memory counted in each) | %.1f |%n",
          pgProcesses, pgRss / 1024.0);
      System.out.printf(Locale.ROOT, "| DatabaseServer JVM (the benchmark's supervisor, absent when Parley embeds "
          + "PostgreSQL) | RSS | %.1f |%n", dbSupervisorRss / 1024.0);
    }
  }

  private Footprint footprint(long pid) throws IOException {
    List<Long> pg = postgresPids();
    long rss = 0;
    long pss = 0;
    for (long p : pg) {
      rss += Math.max(0, Bench.residentKiB(p));
      pss += Math.max(0, pss(p));
    }
    return new Footprint(Bench.residentKiB(pid), rss, pss, pg.size(), dbSupervisorRss());
  }

  private long dbSupervisorRss() {
    // The DatabaseServer JVM is the first process the benchmark started: the parent that is not PostgreSQL.
    return ProcessHandle.current().children().filter(p -> p.info().commandLine().orElse("")
        .contains("parley.db.DatabaseServer")).mapToLong(p -> Bench.residentKiB(p.pid())).findFirst().orElse(-1);
  }

  /** The postmaster (from its pid file) and all its descendants. */
  private List<Long> postgresPids() throws IOException {
    long postmaster = Long.parseLong(Files.readAllLines(dbDir.resolve("postgres/postmaster.pid")).get(0).strip());
    List<Long> pids = new ArrayList<>();
    pids.add(postmaster);
    ProcessHandle.of(postmaster).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
    return pids;
  }

  private long postgresCpuMillis() throws IOException {
    long sum = 0;
    for (long p : postgresPids()) sum += Math.max(0, Bench.cpuMillis(p));
    return sum;
  }

  /** Proportional set size in KiB (shared pages divided among the processes that map them), or -1. */
  private static long pss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
        if (line.startsWith("Pss:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    return -1;
  }

  private static String threads(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("Threads:"))
          .map(l -> l.replaceAll("[^0-9]", "")).findFirst().orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }

  private static int openFiles(long pid) {
    String[] fds = new java.io.File("/proc/" + pid + "/fd").list();
    return fds == null ? -1 : fds.length;
  }

  /** Runs a full GC in the server, then reads its heap (jcmd of the JDK the server runs on). */
  private static String heapAfterGc(long pid) {
    jcmd(pid, "GC.run");
    return jcmd(pid, "GC.heap_info").lines().map(String::strip)
        .filter(l -> l.contains("total") && l.contains("used")).findFirst().orElse("?");
  }

  /** WebSocket connections the server's heap still holds (after a GC), against the sockets it has open. */
  private static String connectionObjects(long pid) {
    return "WebSocketConnectionImpl instances in the server heap: " + jcmd(pid, "GC.class_histogram").lines()
        .filter(l -> l.endsWith("io.vertx.core.http.impl.WebSocketConnectionImpl"))
        .map(l -> l.trim().split("\\s+")[1]).findFirst().orElse("0");
  }

  private static String jcmd(long pid, String command) {
    try {
      Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(60, TimeUnit.SECONDS);
      return out;
    } catch (IOException | InterruptedException e) {
      return "jcmd failed: " + e;
    }
  }

  private static Map<String, Integer> snapshot(Map<String, AtomicInteger> counts) {
    Map<String, Integer> copy = new TreeMap<>();
    counts.forEach((k, v) -> copy.put(k, v.get()));
    return copy;
  }

  private static Map<String, Integer> diff(Map<String, AtomicInteger> now, Map<String, Integer> before) {
    Map<String, Integer> d = new TreeMap<>();
    now.forEach((k, v) -> {
      int n = v.get() - before.getOrDefault(k, 0);
      if (n != 0) d.put(k, n);
    });
    return d;
  }

  private static String kib(long kib) {
    return String.format(Locale.ROOT, "%.1f MiB", kib / 1024.0);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static int intOption(Map<String, String> o, String name, int fallback) {
    return o.containsKey(name) ? Integer.parseInt(o.get(name)) : fallback;
  }
}
