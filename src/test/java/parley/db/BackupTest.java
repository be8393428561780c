package parley.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar parley.jar backup DIR}: a copy of the embedded database that PostgreSQL starts on with everything
 * committed before the backup began, taken while writes go on, or while Parley is stopped; and the refusals that
 * keep it from copying the wrong thing or leaving half a backup where a whole one is expected.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackupTest {

  @RegisterExtension
  final EmbeddedServers servers = new EmbeddedServers("backup-test");



  private static void sql(EmbeddedDatabase db, String statement) throws Exception {
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static List<Long> ids(EmbeddedDatabase db) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT id FROM written ORDER BY id")) {
      while (rs.next()) ids.add(rs.getLong(1));
    }
    return ids;
  }

  @Test
  void aBackupTakenWhileWritesGoOnHasEveryCommitFromBeforeItAndStartsAsItsOwnDataDirectory() throws Exception {
    Path dataDir = servers.fresh("live");
    EmbeddedDatabase db = servers.start(dataDir);
    sql(db, "CREATE TABLE written (id bigint PRIMARY KEY, body text NOT NULL)");
    // One writer, one row per commit, numbered 1, 2, 3…: what a copy has of them must be 1..k, nothing missing.
    List<Long> acknowledged = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try (Connection c = db.dataSource().getConnection();
           PreparedStatement insert = c.prepareStatement("INSERT INTO written VALUES (?, repeat('x', 2000))")) {
        for (long id = 1; !stop.get(); id++) {
          insert.setLong(1, id);
          insert.executeUpdate();
          acknowledged.add(id);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    while (acknowledged.size() < 300) Thread.sleep(5);
    int before = acknowledged.size();
    Path target = servers.fresh("copy");
    Backup.Result result = Backup.take(dataDir, target);
    int during = acknowledged.size();
    stop.set(true);
    writer.get(30, TimeUnit.SECONDS);
    assertTrue(result.online(), "taken from the running server");
    assertTrue(during > before, "the writer went on while the backup ran (" + before + ", " + during + ")");
    db.close();

    // The copy: its own secrets, private, and nothing of the running server's.
    assertEquals(Files.readString(dataDir.resolve("db-password")), Files.readString(target.resolve("db-password")));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("db-password"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    assertFalse(Files.exists(target.resolve("postgres/postmaster.pid")));
    assertTrue(Files.exists(target.resolve("postgres/backup_label")));
    try (var siblings = Files.list(target.getParent())) {
      assertTrue(siblings.noneMatch(p -> p.getFileName().toString().contains(".partial-")), "no partial copy left");
    }

    // Copied again before it was ever started (to another disk, say): at rest, so copied whole, its label too;
    // without it PostgreSQL would start from the copy's last checkpoint and skip WAL its files need (a review).
    Path again = servers.fresh("copy-of-copy");
    assertFalse(Backup.take(target, again).online());
    assertTrue(Files.exists(again.resolve("postgres/backup_label")), "the label of a backup not yet started");
    assertEquals(Files.readString(target.resolve("postgres/backup_label")),
        Files.readString(again.resolve("postgres/backup_label")));

    EmbeddedDatabase restored = servers.start(target);
    List<Long> copied = ids(restored);
    assertTrue(copied.size() >= before, copied.size() + " rows in the copy, " + before + " committed before it began");
    for (int i = 0; i < copied.size(); i++) assertEquals(i + 1, copied.get(i), "the copy's rows are 1..k, no gap");
    assertFalse(Files.exists(target.resolve("postgres/backup_label")), "PostgreSQL finished the backup's recovery");
    // It is a server of its own: it takes writes.
    sql(restored, "INSERT INTO written VALUES (1000000, 'after the restore')");
    assertEquals(copied.size() + 1, ids(restored).size());
    // The copy of the copy starts as the copy did, its recovery from the same label.
    assertEquals(copied, ids(servers.start(again)));
  }

  /**
   * A backup whose copy takes so long that more WAL than the slot may keep is written meanwhile (a frozen target disk,
   * in production) fails, saying why, and leaves nothing behind; the server recycled the WAL rather than keep it
   * until its own disk was full. Here the limit is 0 and the copy is slowed by a big file, so two switched segments
   * and a checkpoint are enough.
   */
  @Test
  void aBackupThatOutlastsTheWalItMayHoldFailsSayingWhyAndTheServerKeepsNoMore() throws Exception {
    Path dataDir = servers.fresh("slow");
    EmbeddedDatabase db = servers.start(dataDir, null, java.util.Map.of("max_slot_wal_keep_size", "0"));
    try (FileChannel big = FileChannel.open(dataDir.resolve("postgres/big-file"), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      big.write(ByteBuffer.allocate(1), 768L << 20); // sparse to write, 768 MiB to copy
    }
    sql(db, "CREATE TABLE written (id bigint PRIMARY KEY, body text NOT NULL)");
    CompletableFuture<String> lost = CompletableFuture.supplyAsync(() -> {
      try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
        String slot = null;
        while (slot == null) {
          try (ResultSet rs = s.executeQuery("SELECT slot_name FROM pg_replication_slots")) {
            if (rs.next()) slot = rs.getString(1);
          }
        }
        for (int i = 0; i < 3; i++) {
          s.execute("INSERT INTO written VALUES (" + i + ", repeat('x', 1000))");
          s.execute("SELECT pg_switch_wal()");
        }
        s.execute("CHECKPOINT");
        try (ResultSet rs = s.executeQuery("SELECT wal_status FROM pg_replication_slots")) {
          return rs.next() ? rs.getString(1) : "gone";
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Path target = servers.fresh("copy");
    IOException failed = assertThrows(IOException.class, () -> Backup.take(dataDir, target));
    // Given up: lost, or already dropped with the session the server ended.
    assertTrue(java.util.Set.of("lost", "gone").contains(lost.get(30, TimeUnit.SECONDS)), "the slot was given up");
    assertTrue(failed.getMessage().startsWith("PostgreSQL ended the backup's session ("), failed.getMessage());
    assertTrue(failed.getMessage().contains("or more WAL than its max_slot_wal_keep_size (0) was written while the "
        + "backup ran"), failed.getMessage());
    assertFalse(Files.exists(target), "nothing that looks like a backup");
    try (var siblings = Files.list(target.getParent())) {
      assertTrue(siblings.noneMatch(p -> p.getFileName().toString().contains(".partial-")), "no partial copy left");
    }
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "nothing holds WAL now, and the server goes on");
    }
  }

  /** Parley's own PostgreSQL keeps at most 4 GB of WAL for a backup (PostgreSQL's default keeps it without end). */
  @Test
  void theEmbeddedDatabaseBoundsTheWalABackupMayHold() throws Exception {
    EmbeddedDatabase db = servers.start(servers.fresh("bound"));
    try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SHOW max_slot_wal_keep_size")) {
      rs.next();
      assertEquals("4GB", rs.getString(1));
    }
  }

  @Test
  void aBackupTakenWhileParleyIsStoppedIsTheFilesAsTheyAre() throws Exception {
    Path dataDir = servers.fresh("stopped");
    EmbeddedDatabase db = servers.start(dataDir);
    sql(db, "CREATE TABLE written (id bigint PRIMARY KEY, body text NOT NULL)");
    sql(db, "INSERT INTO written SELECT g, 'row' FROM generate_series(1, 500) g");
    db.close();
    Path target = servers.fresh("cold");
    Backup.Result result = Backup.take(dataDir, target);
    assertFalse(result.online());
    assertEquals(500, ids(servers.start(target)).size());
    // The copy came from files at rest: the original starts as before.
    assertEquals(500, ids(servers.start(dataDir)).size());
  }

  @Test
  void aDatabaseOnAnotherDiskBehindASymbolicLinkIsCopiedNotLeftOut() throws Exception {
    Path real = servers.fresh("real-postgres");
    Path dataDir = servers.fresh("linked");
    EmbeddedDatabase db = servers.start(dataDir);
    sql(db, "CREATE TABLE written (id bigint PRIMARY KEY, body text NOT NULL)");
    sql(db, "INSERT INTO written SELECT g, 'row' FROM generate_series(1, 50) g");
    db.close();
    // postgres/ moved to "another disk", a link left in its place, as an operator would.
    Files.move(dataDir.resolve("postgres"), real);
    Files.createSymbolicLink(dataDir.resolve("postgres"), real);
    Path target = servers.fresh("from-link");
    Backup.Result result = Backup.take(dataDir, target);
    assertTrue(result.files() > 100, result.files() + " files copied");
    assertFalse(Files.isSymbolicLink(target.resolve("postgres")), "copied, not linked");
    assertEquals(50, ids(servers.start(target)).size());
  }

  @Test
  void aRefusedBackupLeavesNothingBehind() throws Exception {
    Path dataDir = servers.fresh("left-running");
    EmbeddedDatabase db = servers.start(dataDir);
    db.close();
    // As a PostgreSQL left running by a Parley killed with SIGKILL leaves it.
    Files.writeString(dataDir.resolve("postgres/postmaster.pid"), "999999\n" + dataDir.resolve("postgres") + "\n");
    Path target = servers.fresh("refused");
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Backup.take(dataDir, target));
    assertTrue(refused.getMessage().contains("PostgreSQL may be"), refused.getMessage());
    assertFalse(Files.exists(target));
    try (var siblings = Files.list(target.getParent())) {
      assertTrue(siblings.noneMatch(p -> p.getFileName().toString().startsWith(target.getFileName() + ".partial-")),
          "no partial copy left");
    }
    Files.delete(dataDir.resolve("postgres/postmaster.pid"));
  }

  @Test
  void aBackupOfAStoppedDatabaseWhileAnotherHoldsItIsRefusedInWords() throws Exception {
    Path dataDir = servers.fresh("held");
    servers.start(dataDir).close();
    Path target = servers.fresh("held-copy");
    try (FileChannel channel = FileChannel.open(dataDir.resolve("parley.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock held = channel.lock()) {
      IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Backup.take(dataDir, target));
      // It was a bare NoSuchFileException for postmaster.pid (a review).
      assertTrue(refused.getMessage().contains("Another process holds"), refused.getMessage());
    }
    assertFalse(Files.exists(target));
  }

  @Test
  void itRefusesATargetInUseOrInsideAndADirectoryWithoutAnEmbeddedDatabase() throws Exception {
    Path dataDir = servers.fresh("refusals");
    EmbeddedDatabase db = servers.start(dataDir);
    Path used = servers.fresh("used");
    Files.createDirectories(used);
    Files.writeString(used.resolve("something"), "kept");
    IllegalArgumentException notEmpty = assertThrows(IllegalArgumentException.class, () -> Backup.take(dataDir, used));
    assertTrue(notEmpty.getMessage().contains("new or empty"), notEmpty.getMessage());
    assertEquals("kept", Files.readString(used.resolve("something")), "nothing written into it");
    assertThrows(IllegalArgumentException.class, () -> Backup.take(dataDir, dataDir.resolve("backup")));
    assertFalse(Files.exists(dataDir.resolve("backup")));
    // Nor by a symbolic link that leads into it (a probe: the copy was written inside the directory it copies).
    Path link = servers.fresh("link");
    Files.createSymbolicLink(link, dataDir);
    IllegalArgumentException inside = assertThrows(IllegalArgumentException.class,
        () -> Backup.take(dataDir, link.resolve("backup")));
    assertTrue(inside.getMessage().contains("inside the data directory"), inside.getMessage());
    assertFalse(Files.exists(dataDir.resolve("backup")));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> Backup.take(used, servers.fresh("nothing")));
    assertTrue(none.getMessage().contains("No embedded PostgreSQL"), none.getMessage());
    // A tablespace lies outside the data directory: refused rather than a copy that looks whole without it.
    Path elsewhere = servers.fresh("tablespace");
    Files.createDirectories(elsewhere);
    Files.createSymbolicLink(dataDir.resolve("postgres/pg_tblspc/16999"), elsewhere);
    Path target = servers.fresh("without-tablespace");
    IllegalStateException spaces = assertThrows(IllegalStateException.class, () -> Backup.take(dataDir, target));
    assertTrue(spaces.getMessage().contains("tablespaces"), spaces.getMessage());
    assertFalse(Files.exists(target));
    Files.delete(dataDir.resolve("postgres/pg_tblspc/16999"));
    db.close();
  }
}
