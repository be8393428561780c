package parley.db;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.CapturedLog;
import parley.TestParley;
import parley.config.AppConfig;
import parley.config.BackupSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node's own backups ({@code PARLEY_BACKUP_DIR}): each a whole copy that starts as its own database, the newest
 * {@code keep} kept and nothing else in the directory touched, the next due {@code every} after the newest (across a
 * restart), a failure logged, counted and tried again; and the settings that would make them useless refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackupScheduleTest {

  private static final DateTimeFormatter NAME =
      DateTimeFormatter.ofPattern("'parley-'yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  @RegisterExtension
  final EmbeddedServers servers = new EmbeddedServers("backup-schedule-test");

  private final Vertx vertx = Vertx.vertx();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static void sql(EmbeddedDatabase db, String statement) throws Exception {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** A process id no process has now: what a backup killed midway left in its partial copy's name. */
  private static long deadPid() {
    for (long pid = 4_000_000; ; pid--) {
      if (ProcessHandle.of(pid).isEmpty()) return pid;
    }
  }

  @Test
  void theNewestAreKeptWholeAndNothingElseInTheDirectoryIsTouched() throws Exception {
    Path dataDir = servers.fresh("live");
    EmbeddedDatabase db = servers.start(dataDir);
    sql(db, "CREATE TABLE written (id bigint PRIMARY KEY)");
    Path dir = servers.fresh("backups");
    Files.createDirectories(dir.resolve("notes"));
    Files.writeString(dir.resolve("README"), "the operator's own");
    Files.createDirectories(dir.resolve("parley-by-hand"));
    String abandoned = "parley-20200101T000000Z.partial-" + deadPid();
    Files.createDirectories(dir.resolve(abandoned).resolve("postgres"));
    // One named by this very process's id: what a container's Java, process 1 on every start, leaves (a probe).
    Files.createDirectories(dir.resolve("parley-20200101T000001Z.partial-" + ProcessHandle.current().pid()));
    BackupSchedule schedule = new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 2, meters, () -> false);

    for (int i = 1; i <= 3; i++) {
      sql(db, "INSERT INTO written VALUES (" + i + ")");
      Backup.Result taken = schedule.takeNow().await();
      assertTrue(taken.online(), "taken from the running server");
      // Each backup is named to the second; the next must not share its name.
      while (NAME.format(Instant.now()).equals(taken.target().getFileName().toString())) Thread.sleep(5);
    }
    List<String> left = names(dir);
    List<String> backups = left.stream().filter(n -> n.matches("parley-\\d{8}T\\d{6}Z")).toList();
    assertEquals(2, backups.size(), "the newest two are kept: " + left);
    assertEquals(List.of("README", "notes", "parley-by-hand"),
        left.stream().filter(n -> !backups.contains(n)).toList(), "the operator's own stay; the abandoned copies go");
    db.close();

    // The newest starts as a database of its own, with everything written before it began.
    EmbeddedDatabase restored = servers.start(dir.resolve(backups.get(1)));
    try (Connection c = restored.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FROM written")) {
      rs.next();
      assertEquals(3, rs.getLong(1));
    }
  }

  @Test
  void theNextIsDueEveryAfterTheNewestAcrossARestartAndAStartedScheduleTakesThem() throws Exception {
    Path dataDir = servers.fresh("live");
    servers.start(dataDir);
    Path dir = servers.fresh("backups");
    Instant now = Instant.now();
    BackupSchedule daily = new BackupSchedule(vertx, dataDir, dir, Duration.ofDays(1), 7, meters, () -> false);
    assertEquals(BackupSchedule.FIRST, daily.firstDelay(now), "none yet: soon after the start, not at it");

    Files.createDirectories(dir.resolve(NAME.format(now.minus(Duration.ofHours(3)))));
    assertEquals(Duration.ofHours(21).getSeconds(), daily.firstDelay(now).getSeconds(), 1,
        "a restart three hours after the last one waits the day out");
    Files.createDirectories(dir.resolve(NAME.format(now.minus(Duration.ofDays(3)))));
    assertEquals(Duration.ofHours(21).getSeconds(), daily.firstDelay(now).getSeconds(), 1, "the newest counts");
    BackupSchedule hourly = new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 7, meters, () -> false);
    assertEquals(BackupSchedule.FIRST, hourly.firstDelay(now), "overdue: soon after the start");

    // Started with a short interval (settings refuse less than a minute; the schedule itself takes any).
    Path quick = servers.fresh("quick");
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    BackupSchedule schedule = new BackupSchedule(vertx, dataDir, quick, Duration.ofSeconds(1), 2, own, () -> false);
    schedule.start();
    TestParley.awaitUntil(() -> own.get("parley_backup_last_success_seconds").gauge().value() > 0,
        "a scheduled backup is taken");
    TestParley.awaitUntil(() -> Files.isDirectory(quick) && names(quick).size() == 2, "then a second, on schedule");
  }

  @Test
  void aFailedBackupIsLoggedCountedAndTriedAgainLeavingNothing() throws Exception {
    Path dataDir = servers.fresh("live");
    servers.start(dataDir);
    Path parent = servers.fresh("not-a-directory");
    Files.createDirectories(parent);
    Path dir = parent.resolve("file");
    Files.writeString(dir, "a file where the backups would go");
    try (CapturedLog log = new CapturedLog(BackupSchedule.class)) {
      BackupSchedule schedule = new BackupSchedule(vertx, dataDir, dir, Duration.ofSeconds(1), 2, meters, () -> false);
      schedule.start();
      TestParley.awaitUntil(() -> meters.get("parley_backup_failures").counter().count() >= 2, "tried again");
      assertTrue(log.levels().contains(ch.qos.logback.classic.Level.ERROR), log.messages()::toString);
      assertTrue(log.messages().stream().anyMatch(m -> m.contains("failed") && m.contains("trying again")),
          log.messages()::toString);
    }
    assertEquals(List.of("file"), names(parent), "nothing left beside it");
    assertEquals(0.0, meters.get("parley_backup_last_success_seconds").gauge().value());
  }

  @Test
  void namesThatAreNoBackupsDateAndTheRunningDatabaseAreNeitherCountedNorDeleted() throws Exception {
    Path dir = servers.fresh("backups");
    Instant now = Instant.now();
    // A backup started where it lay, inside the schedule's directory, and older than any other there (a review had
    // the schedule delete it, the running database with it, two backups later).
    Path dataDir = dir.resolve(NAME.format(now.minus(Duration.ofHours(3))));
    servers.start(dataDir);
    String future = NAME.format(now.plus(Duration.ofDays(365)));
    String noDate = "parley-20261399T999999Z";
    Files.createDirectories(dir.resolve(future));
    Files.createDirectories(dir.resolve(noDate));
    try (CapturedLog log = new CapturedLog(BackupSchedule.class)) {
      BackupSchedule schedule = new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 1, meters, () -> false);
      assertEquals(BackupSchedule.FIRST, schedule.firstDelay(now), "none of them is the newest backup");
      Backup.Result first = schedule.takeNow().await();
      while (NAME.format(Instant.now()).equals(first.target().getFileName().toString())) Thread.sleep(5);
      Backup.Result second = schedule.takeNow().await();

      assertEquals(List.of(dataDir.getFileName().toString(), second.target().getFileName().toString(), noDate, future)
          .stream().sorted().toList(), names(dir), "the newest one kept; the three left alone");
      Instant newest = Instant.from(NAME.parse(second.target().getFileName().toString()));
      assertEquals(newest.getEpochSecond(), meters.get("parley_backup_last_success_seconds").gauge().value(),
          "the gauge says the real newest");
      // Asked at the newest's own second: the clock's "now" was 3 s past it once, on a machine three forks loaded.
      assertEquals(Duration.ofHours(1), schedule.firstDelay(newest),
          "the next due an hour after the real newest, not a year on");
      List<String> warnings = log.messages().stream().filter(m -> m.contains("not counted as a scheduled backup"))
          .toList();
      assertEquals(3, warnings.size(), "each told once: " + warnings);
      assertTrue(warnings.stream().anyMatch(m -> m.contains(noDate) && m.contains("no date")), warnings::toString);
      assertTrue(warnings.stream().anyMatch(m -> m.contains(future) && m.contains("later than now")),
          warnings::toString);
      assertTrue(warnings.stream().anyMatch(m -> m.contains(dataDir.toString()) && m.contains("running database")),
          warnings::toString);
    }
  }

  /** A path quoted for the shell: the tests' directories have no single quote in them. */
  private static String q(Path p) {
    return "'" + p + "'";
  }

  private static long files(Path dir) throws Exception {
    try (Stream<Path> all = Files.walk(dir)) {
      // The mark a copied backup gets after its copy is the local one's alone.
      return all.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(BackupSchedule.COPIED))
          .count();
    }
  }

  @Test
  void eachWholeBackupIsCopiedOffTheMachineByTheOperatorsCommand() throws Exception {
    Path dataDir = servers.fresh("live");
    servers.start(dataDir);
    Path dir = servers.fresh("backups");
    Path remote = servers.fresh("remote");
    Files.createDirectories(remote);
    // $1 and PARLEY_BACKUP_PATH name the backup; its standard input is empty (cat ends at once); the command's text
    // (a credential, often) is never logged.
    String command = "cp -R \"$1\" " + q(remote) + "/ && printf %s \"$PARLEY_BACKUP_PATH\" > " + q(remote.resolve("path"))
        + " && cat > " + q(remote.resolve("stdin")) + " # token=very-secret-42";
    try (CapturedLog log = new CapturedLog(BackupSchedule.class)) {
      BackupSchedule schedule = new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 2, Optional.of(command),
          Duration.ofMinutes(5), Duration.ofHours(1), meters, () -> false);
      Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      Backup.Result taken = schedule.takeNow().await();

      Path copied = remote.resolve(taken.target().getFileName());
      assertTrue(Files.isDirectory(copied), "copied: " + names(remote));
      assertEquals(files(taken.target()), files(copied), "every file of it");
      assertEquals(taken.target().toString(), Files.readString(remote.resolve("path")));
      assertEquals("", Files.readString(remote.resolve("stdin")));
      assertTrue(meters.get("parley_backup_last_copy_seconds").gauge().value() >= before.getEpochSecond());
      assertEquals(0.0, meters.get("parley_backup_copy_failures").counter().count());
      assertTrue(log.messages().stream().anyMatch(m -> m.contains("copied off the machine")), log.messages()::toString);
      assertTrue(log.messages().stream().noneMatch(m -> m.contains("very-secret")), log.messages()::toString);
    }
  }

  @Test
  void aFailedCopyIsLoggedCountedAndTriedAgainWhileTheBackupIsKept() throws Exception {
    Path dataDir = servers.fresh("live");
    servers.start(dataDir);
    Path dir = servers.fresh("backups");
    Path remote = servers.fresh("remote");
    Files.createDirectories(remote);
    Path refusedOnce = remote.resolve("refused-once");
    // Refuses the first time (as a bucket out of reach would), copies the next.
    String command = "if [ -e " + q(refusedOnce) + " ]; then cp -R \"$1\" " + q(remote) + "/; else touch "
        + q(refusedOnce) + "; echo 'upload failed: 403 Forbidden' >&2; echo 'ERROR [main] forged' >&2; exit 7; fi";
    try (CapturedLog log = new CapturedLog(BackupSchedule.class)) {
      BackupSchedule schedule = new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 2, Optional.of(command),
          Duration.ofMinutes(5), Duration.ofMillis(300), meters, () -> false);
      Backup.Result taken = schedule.takeNow().await();

      assertTrue(Files.isDirectory(taken.target()), "the backup itself is kept");
      assertEquals(1.0, meters.get("parley_backup_copy_failures").counter().count());
      assertTrue(log.levels().contains(ch.qos.logback.classic.Level.ERROR), log.messages()::toString);
      assertTrue(log.messages().stream().anyMatch(m -> m.contains("status 7") && m.contains("403 Forbidden")
          && m.contains("trying again")), log.messages()::toString);
      // The command's words stay on Parley's line: they cannot start one that looks like Parley's own.
      assertTrue(log.messages().stream().noneMatch(m -> m.contains("\n")), log.messages()::toString);
      assertTrue(log.messages().stream().anyMatch(m -> m.contains("403 Forbidden | ERROR [main] forged")),
          log.messages()::toString);
      TestParley.awaitUntil(() -> Files.isDirectory(remote.resolve(taken.target().getFileName())), "copied on retry");
      TestParley.awaitUntil(() -> meters.get("parley_backup_last_copy_seconds").gauge().value() > 0, "and said so");
      assertEquals(1.0, meters.get("parley_backup_copy_failures").counter().count());
    }
  }

  /**
   * Across a restart: a backup whose copy failed (or was cut by the stop) is copied a while after the next start, not
   * only with the next backup a day later; one copied already is not copied again, and the gauge says when the newest
   * copied one started from the first moment (a probe: it read 0 after every restart).
   */
  @Test
  void aRestartCopiesTheNewestIfItWasNotAndRemembersWhenTheLastCopyWas() throws Exception {
    Path dataDir = servers.fresh("live");
    servers.start(dataDir);
    Path dir = servers.fresh("backups");
    Path remote = servers.fresh("remote");
    Files.createDirectories(remote);
    BackupSchedule failing = new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 2, Optional.of("exit 3"),
        Duration.ofMinutes(5), Duration.ofHours(1), meters, () -> false);
    Backup.Result taken = failing.takeNow().await();
    assertTrue(!Files.exists(taken.target().resolve(BackupSchedule.COPIED)), "no mark: not copied");

    String copies = "cp -R \"$1\" " + q(remote) + "/ && echo x >> " + q(remote.resolve("count"));
    SimpleMeterRegistry second = new SimpleMeterRegistry();
    new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 2, Optional.of(copies), Duration.ofMinutes(5),
        Duration.ofMillis(300), second, () -> false).start();
    TestParley.awaitUntil(() -> Files.isDirectory(remote.resolve(taken.target().getFileName())),
        "copied after the restart");
    TestParley.awaitUntil(() -> second.get("parley_backup_last_copy_seconds").gauge().value() > 0, "and said so");
    assertTrue(Files.exists(taken.target().resolve(BackupSchedule.COPIED)), "marked");

    SimpleMeterRegistry third = new SimpleMeterRegistry();
    new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 2, Optional.of(copies), Duration.ofMinutes(5),
        Duration.ofMillis(300), third, () -> false).start();
    TestParley.awaitUntil(() -> third.get("parley_backup_last_copy_seconds").gauge().value()
        == second.get("parley_backup_last_copy_seconds").gauge().value(), "the gauge as it was, from the mark");
    // Past the delay a copy would have waited: still one copy.
    Thread.sleep(1_000);
    assertEquals(List.of("x"), Files.readAllLines(remote.resolve("count")), "not copied again");

    // The mark (written after the copy) is no obstacle to the backup starting as a database of its own.
    servers.start(taken.target()).close();
  }

  @Test
  void aCopyPastItsTimeoutOrStillRunningAtTheStopIsStoppedWithEverythingItStarted() throws Exception {
    Path dataDir = servers.fresh("live");
    servers.start(dataDir);
    Path dir = servers.fresh("backups");
    Path pids = servers.fresh("pids");
    Files.createDirectories(pids);
    // A command that hangs, and a process it started that would outlive it and does not stop at SIGTERM; it says
    // five megabytes first (only the end is kept, in memory). The shell's pid, to read its command line.
    // A double fork's orphan too, no longer the command's descendant once its parent is gone (it outlived the
    // node's stop before the command had a process group of its own).
    String hangs = "(trap '' TERM; sleep 300) & echo $! > \"$PIDS/child\"; echo $$ > \"$PIDS/shell\"; "
        + "( (trap '' TERM; sleep 300) & echo $! > \"$PIDS/orphan\" ); "
        + "head -c 5000000 /dev/zero | tr '\\0' a; sleep 300 # password=hunter2";
    BackupSchedule slow = new BackupSchedule(vertx, dataDir, dir, Duration.ofHours(1), 2,
        Optional.of(hangs.replace("$PIDS", pids.toString())), Duration.ofSeconds(1), Duration.ofHours(1), meters,
        () -> false);
    try (CapturedLog log = new CapturedLog(BackupSchedule.class)) {
      Backup.Result taken = slow.takeNow().await();
      assertTrue(Files.isDirectory(taken.target()));
      assertEquals(1.0, meters.get("parley_backup_copy_failures").counter().count());
      assertTrue(log.messages().stream().anyMatch(m -> m.contains("did not end within 1s")
          && m.contains("it printed (the end): aaaa") && m.length() < 3_000), log.messages()::toString);
    }
    long child = Long.parseLong(Files.readString(pids.resolve("child")).strip());
    TestParley.awaitUntil(() -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true),
        "what the command started is stopped with it");
    long orphan = Long.parseLong(Files.readString(pids.resolve("orphan")).strip());
    TestParley.awaitUntil(() -> gone(orphan), "a double fork's orphan too");

    // The node stopping while a copy runs: the command is stopped, and that is no failure.
    AtomicBoolean stopping = new AtomicBoolean();
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    BackupSchedule stopped = new BackupSchedule(vertx, dataDir, servers.fresh("more"), Duration.ofHours(1), 2,
        Optional.of("touch " + q(pids.resolve("started")) + "; " + hangs.replace("$PIDS", pids.toString())),
        Duration.ofHours(1), Duration.ofHours(1), own, stopping::get);
    try (CapturedLog log = new CapturedLog(BackupSchedule.class)) {
      Files.deleteIfExists(pids.resolve("shell"));
      Files.deleteIfExists(pids.resolve("orphan"));
      Future<Backup.Result> running = stopped.takeNow();
      TestParley.awaitUntil(() -> Files.exists(pids.resolve("started")) && Files.exists(pids.resolve("shell"))
          && !Files.readString(pids.resolve("shell")).isBlank() && Files.exists(pids.resolve("orphan"))
          && !Files.readString(pids.resolve("orphan")).isBlank(), "the copy runs");
      // Its text is in no command line another local user could read with ps (it may hold a credential).
      String shell = Files.readString(pids.resolve("shell")).strip();
      String commandLine = Files.readString(Path.of("/proc", shell, "cmdline")).replace('\0', ' ');
      assertTrue(commandLine.startsWith("/bin/sh -c"), commandLine);
      assertTrue(!commandLine.contains("hunter2"), commandLine);
      stopping.set(true);
      running.await();
      assertEquals(0.0, own.get("parley_backup_copy_failures").counter().count());
      assertTrue(!log.levels().contains(ch.qos.logback.classic.Level.ERROR), log.messages()::toString);
      assertTrue(log.messages().stream().anyMatch(m -> m.contains("stopped with the node")), log.messages()::toString);
    }
    long second = Long.parseLong(Files.readString(pids.resolve("child")).strip());
    TestParley.awaitUntil(() -> ProcessHandle.of(second).map(h -> !h.isAlive()).orElse(true), "stopped too");
    long secondOrphan = Long.parseLong(Files.readString(pids.resolve("orphan")).strip());
    TestParley.awaitUntil(() -> gone(secondOrphan), "its orphan too");
  }

  /** Whether a process has ended (a zombie its new parent has not reaped yet counts as ended). */
  private static boolean gone(long pid) throws java.io.IOException {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    if (!Files.exists(stat)) return true;
    try {
      String line = Files.readString(stat);
      return line.substring(line.lastIndexOf(')') + 2).startsWith("Z");
    } catch (java.nio.file.NoSuchFileException e) {
      return true;
    }
  }

  @Test
  void aDataDirectoryReachingIntoABackupByALinkIsRefused() throws Exception {
    Path dir = servers.fresh("linked-backups");
    Path backup = dir.resolve("parley-20261205T031500Z");
    Files.createDirectories(backup.resolve("postgres"));
    Path link = servers.fresh("restored-by-link");
    Files.createSymbolicLink(link, backup);
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(AppConfig.DATA_DIR, link.toString(),
        BackupSettings.DIR, dir.toString())), "the data directory a link to a backup");
    Path data = servers.fresh("postgres-linked");
    Files.createDirectories(data);
    Files.createSymbolicLink(data.resolve("postgres"), backup.resolve("postgres"));
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(AppConfig.DATA_DIR, data.toString(),
        BackupSettings.DIR, dir.toString())), "its postgres/ a link into a backup");
  }

  @Test
  void settingsThatWouldMakeBackupsUselessAreRefused() {
    Path data = Path.of("/srv/parley-data");
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(AppConfig.DATA_DIR, data.toString(),
        BackupSettings.DIR, "/backups", AppConfig.DATABASE_URL, "postgresql://db/parley")), "an external database");
    IllegalArgumentException inside = assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(
        AppConfig.DATA_DIR, data.toString(), BackupSettings.DIR, data.resolve("backups").toString())));
    assertTrue(inside.getMessage().contains("cannot be inside"), inside.getMessage());
    IllegalArgumentException restoredInPlace = assertThrows(IllegalArgumentException.class, () -> AppConfig.from(
        Map.of(AppConfig.DATA_DIR, "/backups/parley-20261205T031500Z", BackupSettings.DIR, "/backups")));
    assertTrue(restoredInPlace.getMessage().contains("copy it out first"), restoredInPlace.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(
        Map.of(AppConfig.DATA_DIR, "/backups", BackupSettings.DIR, "/backups")), "the same directory");
    // Elsewhere in the directory is not the schedule's: a layout with data/ beside the backups still starts.
    AppConfig beside = AppConfig.from(Map.of(AppConfig.DATA_DIR, "/srv/parley/data", BackupSettings.DIR, "/srv/parley"));
    assertEquals(Path.of("/srv/parley/data"), beside.dataDir());
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(BackupSettings.DIR, "/backups",
        BackupSettings.EVERY, "30s")));
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(BackupSettings.DIR, "/backups",
        BackupSettings.KEEP, "0")));
    AppConfig defaults = AppConfig.from(Map.of(BackupSettings.DIR, "/backups"));
    assertEquals(Duration.ofDays(1), defaults.backups().every());
    assertEquals(7, defaults.backups().keep());
    assertTrue(!AppConfig.from(Map.of()).backups().on(), "off unless asked for");
    IllegalArgumentException copyAlone = assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(BackupSettings.COPY, "rclone copy \"$1\" remote:")));
    assertTrue(copyAlone.getMessage().contains(BackupSettings.DIR), copyAlone.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(BackupSettings.DIR, "/backups",
        BackupSettings.COPY, "true", BackupSettings.COPY_TIMEOUT, "0s")));
    assertEquals(Duration.ofHours(1), defaults.backups().copyTimeout());
    assertTrue(defaults.backups().copy().isEmpty(), "no copy unless asked for");
  }
}
