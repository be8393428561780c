package parley.it;

import parley.config.AppConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parley as an operator runs it: {@code java -jar target/parley.jar} in a process of its own, on its own embedded
 * PostgreSQL under a data directory, so a test can kill either with SIGKILL and start again on the same data.
 */
final class ParleyProcess implements AutoCloseable {

  static final Path JAR = Path.of("target", "parley.jar").toAbsolutePath();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final Path dataDir;
  final Map<String, String> env;
  private final String name;
  private Process process;
  private int port;
  private int starts;
  /** Where this start writes the class-data archive when it stops (see {@link #classDataSharing}), or null. */
  private Path writingArchive;
  private static boolean archiveWriterChosen;

  private ParleyProcess(String name, Path dataDir, Map<String, String> env) {
    this.name = name;
    this.dataDir = dataDir;
    this.env = env;
  }

  /** A new data directory and the settings every test shares: loose rate limits, quiet logs. */
  static ParleyProcess create(String name, Map<String, String> overrides) throws IOException {
    Path dataDir = Path.of("target", "it-data", name + "-" + UUID.randomUUID().toString().substring(0, 8))
        .toAbsolutePath();
    Files.createDirectories(dataDir.getParent());
    Map<String, String> env = new HashMap<>();
    AppConfig.DEFAULT_LIMITS.keySet().forEach(key -> env.put(key, "1000000/1s"));
    env.put(AppConfig.HTTP_INSTANCES, "2");
    // These tests' accounts are seconds old and post at once: nothing is held for review (that is tested on its own).
    env.put(parley.config.Holds.NEW_POSTS, "0");
    env.put(parley.config.Holds.NEW_COMMENTS, "0");
    env.put(parley.config.Holds.MAX_LINKS, "1000");
    env.putAll(overrides);
    return new ParleyProcess(name, dataDir, env);
  }

  /**
   * Starts the jar on a free port and waits until it is ready (its database answers). A port found free can be
   * taken before the process binds it (an outgoing connection's ephemeral port, another node's): a start that fails
   * on exactly that is tried again on another port.
   */
  ParleyProcess start() throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce();
      } catch (IllegalStateException e) {
        Path log = Path.of("target", "it-logs", name + "-" + starts + ".log").toAbsolutePath();
        boolean portTaken = Files.exists(log) && Files.readString(log).contains("Address already in use")
            || postgresPortTaken();
        if (!portTaken || attempt == 3) throw e;
      }
    }
  }

  private ParleyProcess startOnce() throws Exception {
    awaitReady(Duration.ofSeconds(90), spawn());
    return this;
  }

  /**
   * Whether this start's embedded PostgreSQL could not bind its port (its own log says so): a port found free, taken
   * by another process before the server bound it (the other IT fork's connections; a CI run, 2026-12-06).
   */
  boolean postgresPortTaken() throws IOException {
    Path logs = dataDir.resolve("postgres").resolve("log");
    if (!Files.isDirectory(logs)) return false;
    try (var files = Files.list(logs)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (Files.readString(file).contains("Address already in use")) return true;
      }
    }
    return false;
  }

  /** Starts the jar on a free port without waiting for anything; returns its log's path. */
  Path spawn() throws IOException {
    port = freePort();
    starts++;
    Path log = Path.of("target", "it-logs", name + "-" + starts + ".log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    // C1 alone, as the test JVMs run: these servers live a minute or two, and C2's compiles were CPU the 2-core CI
    // machine did not have (the four classes 133-134 s and 221-223 s of CPU, against 143-150 s and 258-272 s with
    // both compilers, two runs each, 2026-12-08). What the tests check (crashes, outages, the cluster, attacks) is
    // the jar's behaviour, which the compiler does not change.
    List<String> command = new java.util.ArrayList<>(List.of(javaBinary(), "-Xmx384m", "-XX:TieredStopAtLevel=1"));
    command.addAll(classDataSharing());
    command.addAll(List.of("-jar", JAR.toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    // The test run's own PARLEY_ variables (PARLEY_REQUIRE_BROWSER) are no settings: the jar would say so.
    pb.environment().keySet().removeIf(name -> name.startsWith("PARLEY_"));
    pb.environment().putAll(env);
    pb.environment().put(AppConfig.PORT, Integer.toString(port));
    pb.environment().put(AppConfig.DATA_DIR, dataDir.toString());
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    process = pb.start();
    return log;
  }

  /** SIGTERM, as systemd or a terminal sends it; true if the JVM exited within {@code timeout}. */
  boolean terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * A class-data archive of the jar (AppCDS), so that the run's starts after the first map the classes they load
   * instead of reading and verifying them: a start of the jar took 1.8-2.3 s with one, 3.4-4.1 s without (measured
   * 2026-12-02; the run starts it a dozen times). The run's first start writes it when it is stopped (a killed one
   * writes nothing, and the run goes on without); it is named by the jar's size and time, so a rebuilt jar never
   * meets an old archive. The JVM's remarks about it (classes it leaves out) would go to the process's log, which
   * tests read line by line: they are switched off.
   */
  private List<String> classDataSharing() throws IOException {
    Path archive = archive();
    writingArchive = null;
    synchronized (ParleyProcess.class) {
      if (Files.exists(archive)) return List.of("-Xlog:cds*=off", "-XX:SharedArchiveFile=" + archive);
      if (archiveWriterChosen) return List.of();
      archiveWriterChosen = true;
    }
    Files.createDirectories(archive.getParent());
    // Written under another name and moved once complete: a start must never map half an archive. The name is this
    // test JVM's own: the ITs run in two JVMs at once, and each JVM's first start writes one (the later move wins).
    writingArchive = archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid() + ".part");
    Files.deleteIfExists(writingArchive);
    return List.of("-Xlog:cds*=off", "-XX:ArchiveClassesAtExit=" + writingArchive);
  }

  private static Path archive() throws IOException {
    return Path.of("target", "it-cds", "parley-" + Files.size(JAR) + "-" + Files.getLastModifiedTime(JAR).toMillis()
        + ".jsa").toAbsolutePath();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  /** The JVM's own log of its last start. */
  String log() throws IOException {
    return Files.readString(Path.of("target", "it-logs", name + "-" + starts + ".log"));
  }

  /** SIGKILL: no shutdown hook, no clean stop of PostgreSQL. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** The embedded postmaster's pid, from its pid file. */
  long postmasterPid() throws IOException {
    return Long.parseLong(Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid")).get(0).strip());
  }

  /** SIGKILL of the postmaster: its backends die with it; Parley must notice and start it again. */
  long killPostmaster() throws IOException {
    long pid = postmasterPid();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    return pid;
  }

  /** The heap in use after a full GC, in MiB, read with jcmd from the server process. */
  long heapUsedAfterGcMiB() throws Exception {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
    if (!m.find()) throw new IllegalStateException("no heap figure in: " + info);
    return Long.parseLong(m.group(1)) / 1024;
  }

  /** The server process's resident memory, in MiB. */
  long rssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
    }
    throw new IllegalStateException("no VmRSS");
  }

  private String jcmd(String command) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(process.pid()), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  /** SIGTERM, and whatever is left of PostgreSQL is stopped too, so no test leaves processes behind. */
  @Override
  public void close() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      } else if (writingArchive != null && Files.exists(writingArchive)) {
        Files.move(writingArchive, archive(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
    }
    try {
      Optional<ProcessHandle> orphan = ProcessHandle.of(postmasterPid());
      orphan.ifPresent(ProcessHandle::destroyForcibly);
    } catch (IOException | RuntimeException gone) {
      // no pid file: PostgreSQL stopped cleanly
    }
  }

  private void awaitReady(Duration timeout, Path log) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("Parley exited; see " + log);
      if (status("/health/ready") == 200) return;
      // An external process's start-up has no completion to await: poll its readiness endpoint.
      Thread.sleep(100);
    }
    throw new IllegalStateException("Parley was not ready within " + timeout.toSeconds() + " s; see " + log);
  }

  int status(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static List<String> tail(String text, int lines) {
    List<String> all = text.lines().toList();
    return all.subList(Math.max(0, all.size() - lines), all.size());
  }
}
