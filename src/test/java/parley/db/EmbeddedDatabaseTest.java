package parley.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PostgreSQL Parley runs for itself, as it runs for real: durable, password-protected, loopback-only, and
 * supervised. Each test starts its own server in a fresh data directory.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedDatabaseTest {

  @RegisterExtension
  final EmbeddedServers servers = new EmbeddedServers("embedded-db-test");



  private static String show(EmbeddedDatabase db, String setting) throws SQLException {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** A data directory another user owns failed the start with "initdb failed with exit code 126" (a probe). */
  @Test
  void aDataDirectoryAnotherUserOwnsIsRefusedSayingWhose(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    long mine = ((Number) Files.getAttribute(dir, "unix:uid")).longValue();
    org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.ownerProblem(dir, mine));
    org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.ownerProblem(dir.resolve("absent"), mine + 1));
    String problem = EmbeddedDatabase.ownerProblem(dir, mine + 1);
    assertTrue(problem.startsWith(dir + " belongs to the user " + mine + " ("), problem);
    assertTrue(problem.contains("not to the one Parley runs as (" + (mine + 1) + ")"), problem);
  }

  /**
   * A data directory every user may write was taken as it was: a review replaced its token key (and signed tokens as
   * any member) and planted a postgres program there, which Parley ran. Such a directory loses others' write when it
   * is Parley's user's (said), and is said when it is not (a Kubernetes emptyDir is 777 and root's); a key another
   * user put there, or others may change, is refused; one others may read is made 600, or said when it is a secrets
   * mount's (followed through its link). A group's write is left alone (a volume mounted for a group).
   */
  @Test
  void aDataDirectoryOrAKeyOpenToOtherUsersIsClosedOrRefused(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    long mine = ((Number) Files.getAttribute(dir, "unix:uid")).longValue();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwx---"));
    try (parley.CapturedLog log = new parley.CapturedLog(EmbeddedDatabase.class)) {
      org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.openToOthers(dir, mine), "a group's write is left");
      assertEquals(List.of(), log.messages());
    }

    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    try (parley.CapturedLog log = new parley.CapturedLog(EmbeddedDatabase.class)) {
      EmbeddedDatabase.checkOwner(dir);
      assertEquals("rwxrwxr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)),
          "others may no longer write");
      assertEquals(1, log.messages().size(), log.messages().toString());
      assertTrue(log.messages().get(0).startsWith(dir + " could be written by every user of the machine (mode 777)"),
          log.messages().get(0));
    }
    // Only others' write goes: a sticky or set-group-ID bit stays (both went with the permissions set whole).
    Files.setAttribute(dir, "unix:mode", 03777);
    try (parley.CapturedLog log = new parley.CapturedLog(EmbeddedDatabase.class)) {
      org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.openToOthers(dir, mine));
      assertEquals(03775, ((Number) Files.getAttribute(dir, "unix:mode")).intValue() & 07777);
      assertTrue(log.messages().get(0).contains("(mode 3777)") && log.messages().get(0).endsWith("it is now 3775"),
          log.messages().toString());
    }
    // Not Parley's user's: said once (a start checks twice: before writing there, and as the database starts), with
    // its mode as chmod has it (a sticky directory's was printed 777), and left as it is.
    Files.setAttribute(dir, "unix:mode", 01777);
    try (parley.CapturedLog log = new parley.CapturedLog(EmbeddedDatabase.class)) {
      org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.openToOthers(dir, mine + 1));
      org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.openToOthers(dir, mine + 1));
      assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
      assertEquals(1, log.messages().size(), log.messages().toString());
      assertTrue(log.messages().get(0).contains("(mode 1777) and is not Parley's user's to change"),
          log.messages().toString());
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));

    Path key = dir.resolve("jwt-secret");
    EmbeddedDatabase.secret(key);
    org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.openToOthers(dir, mine), "a key made by Parley");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    try (parley.CapturedLog log = new parley.CapturedLog(EmbeddedDatabase.class)) {
      org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.openToOthers(dir, mine));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)), "made 600");
      assertTrue(log.messages().get(0).startsWith(key + " could be read by every user"), log.messages().toString());
    }
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-rw-"));
    String writable = EmbeddedDatabase.openToOthers(dir, mine);
    assertTrue(writable != null && writable.startsWith(key + " may be changed by a user other than Parley's"), writable);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    // Another user's (root's is allowed: a secrets mount's): as root, the key is given to nobody; otherwise Parley is
    // taken to run as another user than the key's.
    if (mine == 0) Files.setAttribute(key, "unix:uid", 65534);
    String foreign = EmbeddedDatabase.openToOthers(dir, mine == 0 ? 0 : mine + 1);
    assertTrue(foreign != null && foreign.startsWith(key + " may be changed by a user other than Parley's"), foreign);
    if (mine == 0) Files.setAttribute(key, "unix:uid", 0);

    // A key in a secrets mount, through a link: read-only, readable by others there, Parley's user's (or root's).
    Path mount = Files.createDirectories(dir.resolve("secrets"));
    Path secret = mount.resolve("jwt");
    Files.writeString(secret, "a-key-from-a-secrets-mount-0123456789abcdef");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("r--r--r--"));
    Files.delete(key);
    Files.createSymbolicLink(key, secret);
    try (parley.CapturedLog log = new parley.CapturedLog(EmbeddedDatabase.class)) {
      org.junit.jupiter.api.Assertions.assertNull(EmbeddedDatabase.openToOthers(dir, mine), "a secrets mount's key");
      assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)), "left as it is");
      assertTrue(log.messages().get(0).contains("may be read by every user of the machine (mode 444)"),
          log.messages().toString());
    }
  }

  /**
   * A port found free and taken by another process before the postmaster bound it failed the whole start ("Address
   * already in use" in PostgreSQL's log; a CI run's IT, 2026-12-06). The start now tries another port.
   */
  @Test
  void aPortTakenBetweenFindingItFreeAndBindingItIsReplacedByAnother() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"));
         java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      int freePort = free.getLocalPort();
      List<Integer> given = new ArrayList<>();
      EmbeddedDatabase.FreePorts ports = () -> {
        int port = given.isEmpty() ? taken.getLocalPort() : freePort;
        if (port == freePort) free.close();
        given.add(port);
        return port;
      };
      EmbeddedDatabase db = servers.start(servers.fresh("port-taken"), ports);
      assertEquals(List.of(taken.getLocalPort(), freePort), given);
      assertEquals(freePort, db.port());
      assertEquals(Integer.toString(freePort), show(db, "port"));
    }
  }

  /** The same race on every port tried: the start fails, saying why, and leaves nothing running. */
  @Test
  void aStartWhosePortsAreAllTakenFailsAfterItsTries() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      List<Integer> given = new ArrayList<>();
      Path dir = servers.fresh("ports-taken");
      java.io.IOException e = assertThrows(java.io.IOException.class, () -> servers.start(dir, () -> {
        given.add(taken.getLocalPort());
        return taken.getLocalPort();
      }));
      assertTrue(e.getMessage().startsWith("PostgreSQL exited with code"), e.getMessage());
      // The cause, from PostgreSQL's own log (a full disk's was only there, a review).
      assertTrue(e.getMessage().matches("(?s)PostgreSQL exited with code \\d+ while starting: .*FATAL: +could not "
          + "create any TCP/IP sockets; see .*"), e.getMessage());
      assertTrue(e.getMessage().contains("port " + taken.getLocalPort() + " was taken"), e.getMessage());
      assertEquals(EmbeddedDatabase.PORT_TRIES, given.size());
      assertEquals(EmbeddedDatabase.PORT_TRIES - 1, e.getSuppressed().length, "the earlier tries, attached");
      assertFalse(Files.exists(dir.resolve("postgres").resolve("postmaster.pid")), "nothing left running");
      // A port the operator configured is theirs: taken, the start fails at once, trying no other.
      java.io.IOException configured = assertThrows(java.io.IOException.class, () -> EmbeddedDatabase.start(
          EmbeddedDatabase.Options.in(dir).withBinaries(Path.of("target", "pg-bin").toAbsolutePath())
              .withPort(taken.getLocalPort()), () -> {
            throw new AssertionError("no other port is tried");
          }));
      assertTrue(configured.getMessage().contains("was taken"), configured.getMessage());
      // Its lock was released: a start on free ports goes on from the same data directory.
      EmbeddedDatabase db = servers.start(dir);
      assertEquals("on", show(db, "fsync"));
    }
  }

  @Test
  void commitsAreDurableByDefault() throws Exception {
    EmbeddedDatabase db = servers.start(servers.fresh(""));
    assertEquals("on", show(db, "fsync"));
    assertEquals("on", show(db, "synchronous_commit"));
    assertEquals("on", show(db, "full_page_writes"));
  }

  @Test
  void onlyPasswordAuthenticationOnLoopbackIsAccepted() throws Exception {
    Path dir = servers.fresh("");
    EmbeddedDatabase db = servers.start(dir);
    assertEquals("127.0.0.1", show(db, "listen_addresses"));
    assertEquals("scram-sha-256", show(db, "password_encryption"));
    assertEquals(dir.resolve("postgres").toString(), show(db, "unix_socket_directories"));
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT DISTINCT auth_method FROM pg_hba_file_rules WHERE error IS NULL")) {
      List<String> methods = new ArrayList<>();
      while (rs.next()) methods.add(rs.getString(1));
      assertEquals(List.of("scram-sha-256"), methods);
    }
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'")) {
      rs.next();
      assertTrue(rs.getBoolean(1), "the superuser's password is stored as a SCRAM verifier");
    }
  }

  @Test
  void aConnectionWithoutThePasswordOrWithAWrongOneIsRefused() throws Exception {
    EmbeddedDatabase db = servers.start(servers.fresh(""));
    PGSimpleDataSource noPassword = db.dataSource();
    noPassword.setPassword(null);
    assertThrows(SQLException.class, () -> noPassword.getConnection().close());
    PGSimpleDataSource wrong = db.dataSource();
    wrong.setPassword("not-the-password");
    SQLException refused = assertThrows(SQLException.class, () -> wrong.getConnection().close());
    assertEquals("28P01", refused.getSQLState(), "invalid_password");
    try (Connection ok = db.dataSource().getConnection()) {
      assertTrue(ok.isValid(1), "control: the right password works");
    }
  }

  @Test
  void theSecretsAndTheDataAreReadableByThisUserOnly() throws Exception {
    Path dir = servers.fresh("");
    servers.start(dir);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("db-password"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("postgres"))));
    // The server's log and the lock too, for a data directory others may enter (one made before, 755).
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("parley.lock"))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
        dir.resolve("postgres-server.log"))));
  }

  @Test
  void aTrustModeDataDirectoryFromAnEarlierVersionGetsAPasswordBeforeItListens() throws Exception {
    Path dir = servers.fresh("");
    // What Parley's first versions made: the embedding library's defaults, trust authentication, no password.
    try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("postgres"))
        .setCleanDataDirectory(false).start()) {
      try (Connection c = old.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE kept (note text)");
        s.execute("INSERT INTO kept VALUES ('written before the upgrade')");
      }
    }
    EmbeddedDatabase db = servers.start(dir);
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT note FROM kept")) {
      rs.next();
      assertEquals("written before the upgrade", rs.getString(1));
    }
    PGSimpleDataSource noPassword = db.dataSource();
    noPassword.setPassword(null);
    assertThrows(SQLException.class, () -> noPassword.getConnection().close());
    assertTrue(Files.readString(dir.resolve("postgres/pg_hba.conf")).startsWith("# Managed by Parley"));
  }

  /**
   * What a first start cut off leaves (a container's kill, a power cut): a database being made is made in a directory
   * of its own and renamed into place whole, so what is left of it is deleted by the next start, which goes on; one
   * an earlier version left half made in place (PG_VERSION, no pg_control) is refused in one line saying what to do,
   * where PostgreSQL panicked after a misleading "Converting … to password authentication" (a review).
   */
  @Test
  void aFirstStartCutOffLeavesNothingThatStopsTheNext() throws Exception {
    Path dir = servers.fresh("cut-off");
    Files.createDirectories(dir.resolve("postgres.initdb/global"));
    Files.writeString(dir.resolve("postgres.initdb/PG_VERSION"), "17\n");
    EmbeddedDatabase db = servers.start(dir);
    assertEquals("on", show(db, "fsync"));
    assertFalse(Files.exists(dir.resolve("postgres.initdb")), "the half-made directory is gone");
    assertTrue(Files.exists(dir.resolve("postgres/global/pg_control")));

    Path earlier = servers.fresh("cut-off-earlier");
    Files.createDirectories(earlier.resolve("postgres/global"));
    Files.writeString(earlier.resolve("postgres/PG_VERSION"), "17\n");
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> servers.start(earlier));
    assertEquals(earlier.resolve("postgres") + " was left by a first start cut off while the database was being made "
        + "(it has no global/pg_control, so it holds no data): delete it and start again", refused.getMessage());
  }

  /**
   * The password and key files: an empty or truncated one (a machine's crash soon after the first start, before they
   * were forced to disk) is refused at once, naming it; a password the database was not made with is refused at
   * once too, naming the file, where the start waited its whole minute to say "did not accept connections".
   */
  @Test
  void aKeptSecretThatIsEmptyOrNotTheDatabasesIsRefusedAtOnceNamingItsFile() throws Exception {
    Path dir = servers.fresh("secrets");
    EmbeddedDatabase db = servers.start(dir);
    db.close();
    Path password = dir.resolve("db-password");
    String kept = Files.readString(password);
    Files.writeString(password, "");
    IllegalStateException empty = assertThrows(IllegalStateException.class, () -> servers.start(dir));
    assertEquals(password + " holds nothing where Parley keeps a secret of 32 or more (a crash while it was first "
        + "written?): restore it from a backup of the data directory", empty.getMessage());

    Files.writeString(password, "x".repeat(43));
    long started = System.nanoTime();
    java.io.IOException wrong = assertThrows(java.io.IOException.class, () -> servers.start(dir));
    assertTrue(wrong.getMessage().startsWith("PostgreSQL refused the password in " + password + ": it is not the one "),
        wrong.getMessage());
    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(50), "refused at once, not after the minute");

    Files.writeString(password, kept);
    servers.start(dir).close();
    Files.writeString(dir.resolve("jwt-secret"), "short");
    IllegalStateException key = assertThrows(IllegalStateException.class,
        () -> EmbeddedDatabase.secret(dir.resolve("jwt-secret")));
    assertTrue(key.getMessage().startsWith(dir.resolve("jwt-secret") + " holds 5 characters where"), key.getMessage());
  }

  /** A secret made on first use is whole, private, and the one every later read gives, with no file left beside it. */
  @Test
  void aSecretIsMadeOnceWholeAndPrivate() throws Exception {
    Path dir = servers.fresh("secret-made");
    Files.createDirectories(dir);
    String made = EmbeddedDatabase.secret(dir.resolve("jwt-secret"));
    assertEquals(43, made.length());
    assertEquals(made, EmbeddedDatabase.secret(dir.resolve("jwt-secret")));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("jwt-secret"))));
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(dir.resolve("jwt-secret")), files.toList());
    }
  }

  /**
   * After a machine crash postmaster.pid survives and its PID may belong to anything since: a process that is not the
   * postmaster of this data directory (here a program named postgres, started after the file was written, with no
   * -D) is never signalled, and the start goes on.
   */
  @Test
  void aStalePidFileNamingSomeOtherProcessSignalsNothing() throws Exception {
    Path dir = servers.fresh("");
    EmbeddedDatabase first = servers.start(dir);
    Path pidFile = dir.resolve("postgres/postmaster.pid");
    List<String> lines = Files.readAllLines(pidFile);
    first.close();
    Path decoyDir = Files.createTempDirectory("decoy");
    Path decoy = decoyDir.resolve("postgres");
    Files.copy(Path.of("/bin/sleep"), decoy);
    decoy.toFile().setExecutable(true);
    Process other = new ProcessBuilder(decoy.toString(), "600").start();
    try {
      lines.set(0, Long.toString(other.pid()));
      Files.write(pidFile, lines);
      // Started before the file was written, as a reused PID would be: only its arguments tell it apart.
      assertFalse(EmbeddedDatabase.isOurPostmaster(other.toHandle(), dir.resolve("postgres"), pidFile));
      EmbeddedDatabase second = servers.start(dir);
      assertTrue(other.isAlive(), "an unrelated process is left alone");
      assertEquals("on", show(second, "fsync"));
      second.close();
    } finally {
      other.destroyForcibly();
    }
  }

  @Test
  void aServerLeftBehindByAKilledParleyIsStoppedAndTheStartGoesOn() throws Exception {
    Path dir = servers.fresh("");
    EmbeddedDatabase first = servers.start(dir);
    long orphan = first.pid();
    first.abandon();  // as if the JVM had been killed: the postmaster keeps running, the lock is gone
    assertTrue(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false));
    EmbeddedDatabase second = servers.start(dir);
    assertFalse(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false), "the orphan was stopped");
    assertNotEquals(orphan, second.pid());
    assertEquals("on", show(second, "fsync"));
  }

  /**
   * A server that stopped answering (every process SIGSTOPped, as a probe froze it) cannot shut down cleanly: it is
   * killed with all its processes after a short wait, not left running when Parley exits (it was, with the node's
   * shutdown past 70 s).
   */
  @Test
  void aFrozenServerIsKilledWithAllItsProcessesOnClose() throws Exception {
    EmbeddedDatabase db = servers.start(servers.fresh(""));
    ProcessHandle postmaster = ProcessHandle.of(db.pid()).orElseThrow();
    List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
    all.add(postmaster);
    assertTrue(all.size() > 3, "a postmaster and its helpers: " + all);
    signal("STOP", all);
    try {
      assertFalse(db.answers(java.time.Duration.ofSeconds(1)), "a frozen server does not answer");
      db.close();
      // Polled: a killed process is gone once it is a zombie (its parent, killed too, reaps it no more; init does,
      // in its own time), and nothing announces that.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      for (ProcessHandle p : all) {
        while (running(p.pid()) && System.nanoTime() < deadline) Thread.sleep(20);
        assertFalse(running(p.pid()), "left running: " + p.pid() + " " + state(p.pid()));
      }
    } finally {
      signal("CONT", all);
    }
  }

  /** Whether the process exists and is not a zombie (a dead process its parent has not reaped). */
  private static boolean running(long pid) {
    String state = state(pid);
    return !state.isEmpty() && !state.startsWith("Z") && !state.startsWith("X");
  }

  /** The process's state letter from /proc (empty when it is gone). */
  private static String state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static void signal(String name, List<ProcessHandle> processes) throws Exception {
    List<String> command = new ArrayList<>(List.of("kill", "-" + name));
    processes.forEach(p -> command.add(Long.toString(p.pid())));
    new ProcessBuilder(command).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void aSecondParleyOnTheSameDataDirectoryIsRefused() throws Exception {
    Path dir = servers.fresh("");
    servers.start(dir);
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> servers.start(dir));
    assertTrue(refused.getMessage().contains("Another Parley"), refused.getMessage());
  }

  @Test
  void aPostmasterThatDiesIsStartedAgainOnTheSamePort() throws Exception {
    EmbeddedDatabase db = servers.start(servers.fresh(""));
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE survives (n int)");
      s.execute("INSERT INTO survives VALUES (42)");
    }
    long killed = db.pid();
    var restarted = db.nextRestart();
    ProcessHandle.of(killed).orElseThrow().destroyForcibly();
    restarted.get(10, TimeUnit.SECONDS);
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT n FROM survives")) {
      rs.next();
      assertEquals(42, rs.getInt(1), "back within 10 s with its committed data");
    }
    assertNotEquals(killed, db.pid());
    assertEquals(1, db.restarts());
  }
}
