package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What every benchmark needs around the thing it measures: Parley (and, when asked, its PostgreSQL) started from
 * target/parley.jar as processes of their own on a fresh data directory, a REST client that shares nothing with
 * the code under test, and the machine's facts to print beside each figure.
 */
final class Bench {

  private Bench() {
  }

  /** A PostgreSQL started on its own ({@code parley.db.DatabaseServer}), durable as Parley always runs it. */
  record Database(Process process, String url, int port, String password) {
  }

  static Database startDatabase(Path dir, String log) throws Exception {
    return startDatabase(dir, log, List.of());
  }

  /** The same, with PostgreSQL settings ({@code name=value}) over Parley's own, given at the server's start. */
  static Database startDatabase(Path dir, String log, List<String> settings) throws Exception {
    int port = freePort();
    List<String> command = new java.util.ArrayList<>(List.of("java", "-cp", "target/parley.jar",
        "parley.db.DatabaseServer", dir.toString(), Integer.toString(port)));
    command.addAll(settings);
    ProcessBuilder db = new ProcessBuilder(command);
    db.redirectErrorStream(true).redirectOutput(new File(log));
    Process process = ownedHere(db.start());
    Path password = dir.resolve("db-password");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!Files.exists(password) || !Files.readString(Path.of(log)).contains("PostgreSQL is running")) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("no database; see " + log);
      if (!process.isAlive()) throw new IllegalStateException("the database exited; see " + log);
      Thread.sleep(250);  // another process's start-up: nothing to await but its log
    }
    String secret = Files.readString(password).strip();
    return new Database(process, "postgresql://postgres:" + secret + "@127.0.0.1:" + port + "/postgres", port,
        secret);
  }

  /** One Parley node on a PostgreSQL of its own, so the two can be measured (and profiled) apart. */
  record Node(Database db, Process server, int port) {
    String base() {
      return "http://localhost:" + port;
    }
  }

  /**
   * Starts PostgreSQL ({@link #startDatabase}) and one node on it (logs target/bench-NAME-db.log and
   * -server.log), adds both to {@code processes} (to be stopped with {@link #stop}) and waits for the node's health.
   * {@code env} adds to or overrides the node's settings.
   */
  static Node startNode(Path dataDir, String name, Map<String, String> env, List<Process> processes) throws Exception {
    return startNode(dataDir, name, env, List.of(), processes);
  }

  /**
   * One node on a PostgreSQL of one's own ({@code databaseUrl}, not started or stopped here: the node's {@link Database}
   * has no process).
   */
  static Node startNode(Path dataDir, String name, Map<String, String> env, String databaseUrl,
      List<Process> processes) throws Exception {
    return serve(dataDir, name, env, new Database(null, databaseUrl, -1, null), processes);
  }

  /** The same, with PostgreSQL settings for {@link #startDatabase(Path, String, List)}. */
  static Node startNode(Path dataDir, String name, Map<String, String> env, List<String> dbSettings,
      List<Process> processes) throws Exception {
    Database db = startDatabase(dataDir.resolve("db"), "target/bench-" + name + "-db.log", dbSettings);
    processes.add(db.process());
    return serve(dataDir, name, env, db, processes);
  }

  private static Node serve(Path dataDir, String name, Map<String, String> env, Database db, List<Process> processes)
      throws Exception {
    int port = freePort();
    Map<String, String> settings = new HashMap<>(Map.of("DATABASE_URL", db.url(),
        "PARLEY_JWT_SECRET", "benchmark-signing-key-" + java.util.UUID.randomUUID()));
    settings.putAll(env);
    String log = "target/bench-" + name + "-server.log";
    Process server = startServer(port, dataDir.resolve("node"), settings, log);
    processes.add(server);
    Node node = new Node(db, server, port);
    awaitHealth(node.base(), log);
    return node;
  }

  /**
   * Starts a Parley node: limits that would stop one benchmark account are lifted, new accounts are not held for
   * review (screening still runs), and thousands of sockets may come from one loopback address. {@code env} wins.
   */
  static Process startServer(int port, Path dataDir, Map<String, String> env, String log) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("java"));
    // -Dbench.jfr=true records a profile of the server (target/<log>.jfr) to say what limited a figure.
    if (Boolean.getBoolean("bench.jfr")) {
      command.add("-XX:StartFlightRecording=settings=profile,filename=" + log.replaceAll("\\.log$", "") + ".jfr");
    }
    // -Dbench.gclog=true logs the server's collections with wall-clock times (target/<log>-gc.log), to line them up
    // with LiveBenchmark's slowest comments.
    if (Boolean.getBoolean("bench.gclog")) {
      command.add("-Xlog:gc:file=" + log.replaceAll("\\.log$", "") + "-gc.log:time");
    }
    command.addAll(List.of("-jar", "target/parley.jar"));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> e = pb.environment();
    e.put("PARLEY_PORT", Integer.toString(port));
    e.put("PARLEY_DATA_DIR", dataDir.toString());
    e.put("PARLEY_LOG_LEVEL", "WARN");
    parley.config.AppConfig.DEFAULT_LIMITS.keySet().forEach(key -> e.put(key, "1000000/1s"));
    e.put(parley.config.Holds.NEW_POSTS, "0");
    e.put(parley.config.Holds.NEW_COMMENTS, "0");
    e.put(parley.config.AppConfig.MAX_CONNECTIONS_PER_IP, "100000");
    // The load generator is one address standing for many clients: it is not to be given one client's turns.
    e.put(parley.config.AppConfig.MAX_READS_PER_IP, "100000");
    // PARLEY_* settings in the benchmark's own environment reach the server (e.g. PARLEY_LIVE_MAX_LAG=60s).
    System.getenv().forEach((key, value) -> {
      if (key.startsWith("PARLEY_")) e.put(key, value);
    });
    e.putAll(env);
    pb.redirectErrorStream(true).redirectOutput(new File(log));
    return ownedHere(pb.start());
  }

  /**
   * A process this benchmark started, stopped with it however it ends: a benchmark killed mid-run (SIGTERM to the
   * Maven JVM, which skips its finally blocks) once left its Parley node running beside the next benchmark's, which
   * measured the two together. Its shutdown hook stops the process if it is still running.
   */
  private static Process ownedHere(Process process) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (process.isAlive()) process.destroy();
    }, "bench-child-" + process.pid()));
    return process;
  }

  static void awaitHealth(String base, String log) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      try {
        var r = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("Parley did not start; see " + log);
  }

  /** Stops the processes in reverse order (nodes before their database) and removes the data directory. */
  static void stop(List<Process> processes, Path dataDir) throws InterruptedException {
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).destroy();
      processes.get(i).waitFor(60, TimeUnit.SECONDS);
    }
    if (dataDir != null) deleteRecursively(dataDir.toFile());
  }

  static int freePort() throws IOException {
    try (var s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void deleteRecursively(File f) {
    File[] children = f.listFiles();
    if (children != null) for (File c : children) deleteRecursively(c);
    f.delete();
  }

  /** Resident memory of a process in KiB, from /proc (Linux), or -1. */
  static long residentKiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    } catch (IOException | NumberFormatException e) {
      // gone, or not Linux
    }
    return -1;
  }

  /** CPU time a process has used so far (user + system), in milliseconds, from /proc (Linux), or -1. */
  static long cpuMillis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 10;  // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU time (user + system, ms) used so far by a process and every process under it, from /proc (Linux): a
   * PostgreSQL's backends are children of its postmaster, itself a child of the Java process that started it.
   */
  static long treeCpuMillis(long root) {
    List<ProcStat> all = processes();
    if (all == null) return -1;
    Map<Long, List<Long>> children = new HashMap<>();
    Map<Long, Long> own = new HashMap<>();
    for (ProcStat p : all) {
      children.computeIfAbsent(p.ppid(), k -> new java.util.ArrayList<>()).add(p.pid());
      own.put(p.pid(), p.user() + p.system());
    }
    long total = 0;
    java.util.ArrayDeque<Long> todo = new java.util.ArrayDeque<>(List.of(root));
    while (!todo.isEmpty()) {
      long pid = todo.pop();
      total += own.getOrDefault(pid, 0L);
      todo.addAll(children.getOrDefault(pid, List.of()));
    }
    return total;
  }

  /**
   * CPU time (user + system, ms) used so far by every process with that name (a PostgreSQL not started here), with the
   * time of their children that exited and were waited for (a backend or an autovacuum worker that ended during a
   * row is in its postmaster's), so that the sum only grows.
   */
  static long namedCpuMillis(String name) {
    List<ProcStat> all = processes();
    if (all == null) return -1;
    long total = 0;
    for (ProcStat p : all) {
      if (p.name().equals(name)) total += p.user() + p.system() + p.children();
    }
    return total;
  }

  /**
   * One process's /proc/PID/stat: its parent, its name, and its CPU time in ms (user, system, and its waited-for
   * children's user and system).
   */
  private record ProcStat(long pid, long ppid, String name, long user, long system, long children) {
  }

  /** Every process's stat now (those that exit while read are left out), or null without /proc. */
  private static List<ProcStat> processes() {
    File[] entries = new File("/proc").listFiles((d, n) -> n.chars().allMatch(Character::isDigit));
    if (entries == null) return null;
    List<ProcStat> all = new java.util.ArrayList<>();
    for (File entry : entries) {
      try {
        String stat = Files.readString(entry.toPath().resolve("stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // USER_HZ is 100 on Linux: a tick is 10 ms
        all.add(new ProcStat(Long.parseLong(entry.getName()), Long.parseLong(f[1]),
            stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')), Long.parseLong(f[11]) * 10,
            Long.parseLong(f[12]) * 10, (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10));
      } catch (IOException | RuntimeException e) {
        // exited while we looked
      }
    }
    return all;
  }

  /**
   * How to read each party's CPU time: the server's JVM, PostgreSQL (its Java launcher, postmaster and backends) and
   * this load generator's own process (not its children, which are the other two).
   */
  static Map<String, java.util.function.LongSupplier> parties(Process server, Process database) {
    return parties(server, database == null ? null : () -> treeCpuMillis(database.pid()));
  }

  /** The same, with PostgreSQL's CPU time read by {@code database} (null: not counted). */
  static Map<String, java.util.function.LongSupplier> parties(Process server,
      java.util.function.LongSupplier database) {
    Map<String, java.util.function.LongSupplier> parties = new java.util.LinkedHashMap<>();
    parties.put("server", () -> treeCpuMillis(server.pid()));
    if (database != null) parties.put("postgres", database);
    parties.put("generator", () -> cpuMillis(ProcessHandle.current().pid()));
    return parties;
  }

  /**
   * CPU time (ms) the whole machine has spent busy (user, nice, system, irq, softirq: not idle, I/O wait or steal),
   * summed over its cores, from /proc/stat, or -1.
   */
  static long machineCpuMillis() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 7; i++) {
        if (i != 4 && i != 5) busy += Long.parseLong(f[i]);  // skip idle and iowait
      }
      return busy * 10;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The line every figure is printed under: what shared the machine, and when. */
  static String machine() {
    return String.format(Locale.ROOT, "%d cores, %d MiB max heap for the load generator, Java %s, %s; server, "
            + "PostgreSQL and load generator share this machine", Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.version"), java.time.Instant.now());
  }

  /** A REST reply. */
  record Reply(int status, Buffer body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** REST calls through the JDK's client: the load generator shares no connection pool with the WebSocket side. */
  static final class Rest {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI base;

    Rest(URI base) {
      this.base = base;
    }

    Future<Reply> call(HttpMethod method, String path, String token, JsonObject body) {
      var request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
          .method(method.name(), body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body.encode()));
      if (token != null) request.header("Authorization", "Bearer " + token);
      if (body != null) request.header("Content-Type", "application/json");
      return Future.fromCompletionStage(http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()))
          .map(resp -> new Reply(resp.statusCode(), Buffer.buffer(resp.body())));
    }

    /** A text body (the ceiling server's frames). */
    Future<Reply> callText(HttpMethod method, String path, String text) {
      var request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
          .method(method.name(), HttpRequest.BodyPublishers.ofString(text)).header("Content-Type", "text/plain");
      return Future.fromCompletionStage(http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()))
          .map(resp -> new Reply(resp.statusCode(), Buffer.buffer(resp.body())));
    }

    Reply callSync(HttpMethod method, String path, String token, JsonObject body) throws Exception {
      return call(method, path, token, body).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** Registers an account and returns its token. */
    String register(String username) throws Exception {
      Reply r = callSync(HttpMethod.POST, "/api/auth/register", null, new JsonObject().put("username", username)
          .put("email", username + "@example.org").put("password", "benchmark password"));
      if (r.status() != 201 && r.status() != 200) {
        throw new IllegalStateException("register " + username + ": " + r.status() + " " + r.body());
      }
      return r.json().getString("token");
    }

    /**
     * Registers these accounts a few at a time and returns their sessions in order: the server hashes passwords on a
     * few threads of its own with a bounded wait (PARLEY_PASSWORD_HASHING_*), and answers 503 past it.
     */
    List<JsonObject> registerAll(List<String> usernames) throws Exception {
      java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(8);
      List<Future<Reply>> all = new java.util.ArrayList<>();
      for (String name : usernames) {
        inFlight.acquire();
        all.add(call(HttpMethod.POST, "/api/auth/register", null, new JsonObject().put("username", name)
            .put("email", name + "@example.org").put("password", "benchmark password"))
            .andThen(done -> inFlight.release()));
      }
      List<JsonObject> sessions = new java.util.ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        Reply r = all.get(i).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        if (r.status() != 201) {
          throw new IllegalStateException("register " + usernames.get(i) + ": " + r.status() + " " + r.body());
        }
        sessions.add(r.json());
      }
      return sessions;
    }
  }

  /** Command-line options as {@code --name value} pairs. */
  static Map<String, String> options(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --option value: " + args[i]);
      o.put(args[i].substring(2), args[i + 1]);
    }
    return o;
  }
}
