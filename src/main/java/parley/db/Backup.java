package parley.db;

import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A backup of Parley's data directory, embedded PostgreSQL included, taken while Parley runs or while it is stopped
 * ({@code java -jar parley.jar backup <directory>}). The copy is itself a data directory: started on it
 * ({@code PARLEY_DATA_DIR=<directory>}), Parley has every transaction committed before the backup ended, with the
 * same database password and token key.
 *
 * <p>While Parley runs, it is PostgreSQL's own online backup (what {@code pg_basebackup} does, which the bundled
 * binaries lack): {@code pg_backup_start}, a copy of the data files as they change, {@code pg_backup_stop}, its
 * {@code backup_label}, and the write-ahead log from the backup's start to its end, kept from recycling meanwhile
 * by a temporary replication slot (gone with the session, so a backup that dies leaves nothing holding WAL; and
 * given up by the server, ending the backup, past {@code max_slot_wal_keep_size}, so a stalled one cannot fill the
 * server's disk). The
 * copy's first start replays that log to the backup's end. While Parley is stopped, the files are copied as they
 * are, under Parley's own lock, so that no Parley starts on them meanwhile.
 *
 * <p>Blocking file and JDBC work: a command of its own, never on a server's event loop.
 */
public final class Backup {

  /** What a backup copied, for its report. */
  public record Result(Path target, boolean online, long files, long bytes, String startWal, String endWal) {
  }

  /**
   * In PostgreSQL's data directory, what a backup leaves out (as pg_basebackup does): the running server's own
   * files, the write-ahead log (copied apart, only the segments the backup needs), and directories whose content a
   * start makes afresh. The server's log files are left out too. A backup's own label and tablespace map are left
   * out of an online copy only (it writes its own); a copy at rest keeps them (see {@link #offline}).
   */
  private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label.old",
      "current_logfiles");
  private static final Set<String> SKIPPED_ONLINE = Set.of("backup_label", "tablespace_map");
  /** The control file, copied last (as pg_basebackup does): the newest of the copy's view of the server. */
  private static final String CONTROL = "global/pg_control";
  private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
      "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans", "log");
  /** A WAL segment's file name: timeline, then the segment number, each in hex. */
  private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
  /** Parley's own files in its data directory that the copy needs (the database's password, the token key). */
  private static final List<String> SECRETS = List.of("db-password", "jwt-secret");

  private Backup() {
  }

  /** Backs {@code dataDir} up into {@code target}, which must not exist yet or be an empty directory. */
  public static Result take(Path dataDir, Path target) throws IOException, SQLException {
    dataDir = dataDir.toAbsolutePath().normalize();
    target = target.toAbsolutePath().normalize();
    if (Files.isDirectory(dataDir) && !Files.isReadable(dataDir)) {
      throw new IllegalArgumentException("Cannot read " + dataDir + ": run the backup as the user Parley runs as");
    }
    if (!Files.isRegularFile(dataDir.resolve("postgres").resolve("PG_VERSION"))) {
      throw new IllegalArgumentException("No embedded PostgreSQL in " + dataDir + " (no postgres/PG_VERSION): is "
          + "PARLEY_DATA_DIR set as for Parley? With DATABASE_URL, back up with your PostgreSQL's own tools");
    }
    // Its real place: a data directory, or its postgres/, may be a symbolic link to another disk.
    dataDir = dataDir.toRealPath();
    Path pgData = dataDir.resolve("postgres").toRealPath();
    Path spaces = pgData.resolve("pg_tblspc");
    if (Files.isDirectory(spaces) && !isEmptyDirectory(spaces)) {
      // Parley makes none; one an operator added lies outside the data directory, and a copy without it would look
      // whole and be missing its tables.
      throw new IllegalStateException("The database has tablespaces (" + spaces + " is not "
          + "empty), which this backup does not copy: use PostgreSQL's pg_basebackup");
    }
    // Where it really goes: a symbolic link on its way may lead into the data directory (a probe).
    Path realTarget = real(target);
    if (realTarget.startsWith(dataDir) || realTarget.startsWith(pgData)) {
      throw new IllegalArgumentException("The backup cannot go inside the data directory it copies: " + target);
    }
    if (Files.exists(target) && !isEmptyDirectory(target)) {
      throw new IllegalArgumentException("The backup's directory must be new or empty: " + target);
    }
    Path parent = target.getParent();
    if (parent == null) throw new IllegalArgumentException("The backup needs a directory of its own, not " + target);
    Files.createDirectories(parent);
    if (Files.exists(target) && !Files.getFileStore(target).equals(Files.getFileStore(parent))) {
      // The copy is written beside its place and moved there: beside a mount point is another disk (the one the
      // database may be on), and a mount point cannot be replaced.
      throw new IllegalArgumentException(target + " is a mount point: give a new directory inside it, such as "
          + target.resolve("parley-" + java.time.LocalDate.now()));
    }
    removeAbandoned(target);
    // Written beside its place and moved there whole: a backup cut short (a full disk, a kill) must never be taken
    // for one, since PostgreSQL would start on its half-copied files as on a crashed server's.
    Path partial = target.resolveSibling(target.getFileName() + PARTIAL + ProcessHandle.current().pid());
    Result result;
    try {
      result = into(dataDir, pgData, partial);
      check(partial.resolve("postgres"), result.online());
    } catch (IOException | SQLException | RuntimeException e) {
      deleteTree(partial);
      throw e;
    }
    try {
      if (Files.exists(target)) Files.delete(target);
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (DirectoryNotEmptyException | FileAlreadyExistsException filled) {
      // Another backup into the same place finished first (a review left a whole partial copy behind here).
      deleteTree(partial);
      throw new IllegalStateException(target + " was filled while this backup ran (another backup into it?); "
          + "nothing of this one was kept");
    } catch (IOException | RuntimeException e) {
      deleteTree(partial);
      throw e;
    }
    force(parent);
    return new Result(target, result.online(), result.files(), result.bytes(), result.startWal(), result.endWal());
  }

  /**
   * Whether a partial copy named by this process id was left by a backup that is no longer running: its process is
   * gone, or it is this process's own id, which this process is not writing one under now (the caller runs one
   * backup at a time). In a container Java is process 1 on every start, so a copy a killed backup left there is named
   * by an id that is always alive (a probe): without the second rule it stayed for good.
   */
  static boolean abandoned(long pid) {
    return pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).isEmpty();
  }

  /** {@code path} with every symbolic link of the part of it that exists followed. */
  private static Path real(Path path) throws IOException {
    Path existing = path;
    while (existing != null && !Files.exists(existing)) existing = existing.getParent();
    return existing == null ? path : existing.toRealPath().resolve(existing.relativize(path)).normalize();
  }

  /** What a partial copy's name ends in, before the process id of the backup writing it. */
  private static final String PARTIAL = ".partial-";

  /** Partial copies of {@code target} that a backup killed before its end left (its process is gone). */
  private static void removeAbandoned(Path target) throws IOException {
    String prefix = target.getFileName() + PARTIAL;
    try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), prefix + "*")) {
      for (Path sibling : siblings) {
        String pid = sibling.getFileName().toString().substring(prefix.length());
        if (pid.chars().allMatch(Character::isDigit) && !pid.isEmpty() && abandoned(Long.parseLong(pid))) {
          deleteTree(sibling);
        }
      }
    }
  }

  /** A copy that PostgreSQL can start on, or none at all: what every data directory has, and an online one's label. */
  private static void check(Path copied, boolean online) throws IOException {
    List<String> needed = new ArrayList<>(List.of("PG_VERSION", "global/pg_control", "pg_wal", "base"));
    if (online) needed.add("backup_label");
    for (String name : needed) {
      if (!Files.exists(copied.resolve(name))) {
        throw new IOException("The copy has no " + name + ": it would not start as its database; nothing was kept");
      }
    }
  }

  private static Result into(Path dataDir, Path pgData, Path target) throws IOException, SQLException {
    EmbeddedDatabase.createPrivateDirectory(target);
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
    try (FileChannel channel = FileChannel.open(dataDir.resolve("parley.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException sameProcess) {
        lock = null;
      }
      if (lock != null) {
        try {
          return offline(dataDir, pgData, target);
        } finally {
          lock.release();
        }
      }
    }
    return online(dataDir, pgData, target);
  }

  /** Parley is stopped, and held off by its lock: the files as they are. */
  private static Result offline(Path dataDir, Path pgData, Path target) throws IOException {
    if (Files.exists(pgData.resolve("postmaster.pid"))) {
      // Parley is not running, yet PostgreSQL may be (it outlives a Parley killed with SIGKILL): its files would
      // be copied as they change, with nothing to make them whole again.
      throw new IllegalStateException("Parley is not running, but PostgreSQL may be (" + pgData.resolve(
          "postmaster.pid") + " is there): start Parley, which stops a PostgreSQL left over, and back up while it "
          + "runs");
    }
    Copy copy = new Copy(target.resolve("postgres"));
    // At rest the files are copied whole, a backup's own label and tablespace map included: a backup that was
    // never started is at rest too, and without its label it would start from its last checkpoint rather than the
    // backup's, skipping WAL its files need (a review found tables and indexes that disagreed).
    copy.tree(pgData, true);
    copySecrets(dataDir, target, copy);
    copy.syncAll();
    return new Result(target, false, copy.files, copy.bytes, null, null);
  }

  /** Parley is running: PostgreSQL's online backup, through its own connection, with the WAL it needs. */
  private static Result online(Path dataDir, Path pgData, Path target) throws IOException, SQLException {
    if (!Files.exists(pgData.resolve("postmaster.pid"))) {
      // The lock is held, yet no PostgreSQL runs: another backup of the stopped server, or Parley starting.
      throw new IllegalStateException("Another process holds " + dataDir.resolve("parley.lock") + " (another backup "
          + "while Parley is stopped, or Parley starting) and PostgreSQL is not running: try again once it is done");
    }
    List<String> pid = Files.readAllLines(pgData.resolve("postmaster.pid"));
    if (pid.size() < 4) throw new IllegalStateException("PostgreSQL's postmaster.pid in " + pgData + " is incomplete");
    int port = Integer.parseInt(pid.get(3).strip());
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {port});
    source.setDatabaseName(EmbeddedDatabase.DATABASE);
    source.setUser(EmbeddedDatabase.SUPERUSER);
    source.setPassword(Files.readString(dataDir.resolve("db-password")).strip());
    source.setApplicationName("parley-backup");
    Copy copy = new Copy(target.resolve("postgres"));
    String walKept = null;
    try (Connection c = source.getConnection(); Statement s = c.createStatement()) {
      String directory = value(s, "SHOW data_directory");
      if (!Files.isSameFile(Path.of(directory), pgData)) {
        throw new IllegalStateException("The PostgreSQL on port " + port + " serves " + directory + ", not " + pgData);
      }
      long segmentBytes = Long.parseLong(value(s, "SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 "
          + "WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'"));
      walKept = value(s, "SHOW max_slot_wal_keep_size");
      // Held for this session only: the WAL from here on stays until the backup has copied it, or until more than
      // max_slot_wal_keep_size is written meanwhile, when PostgreSQL gives the slot up and ends this session.
      s.execute("SELECT pg_create_physical_replication_slot('parley_backup_' || pg_backend_pid(), true, true)");
      String startWal;
      try (PreparedStatement start = c.prepareStatement(
          "SELECT pg_walfile_name(lsn) FROM pg_backup_start(?, true) AS lsn")) {
        start.setString(1, "parley backup " + java.time.Instant.now());
        try (ResultSet rs = start.executeQuery()) {
          rs.next();
          startWal = rs.getString(1);
        }
      }
      copy.tree(pgData, false);
      String endWal;
      String label;
      String spaces;
      try (ResultSet rs = s.executeQuery(
          "SELECT pg_walfile_name(lsn), labelfile, spcmapfile FROM pg_backup_stop(false)")) {
        rs.next();
        endWal = rs.getString(1);
        label = rs.getString(2);
        spaces = rs.getString(3);
      }
      Path copied = target.resolve("postgres");
      copy.write(copied.resolve("backup_label"), label);
      if (spaces != null && !spaces.isEmpty()) copy.write(copied.resolve("tablespace_map"), spaces);
      copy.wal(pgData.resolve("pg_wal"), copied.resolve("pg_wal"), startWal, endWal, segmentBytes);
      copySecrets(dataDir, target, copy);
      copy.syncAll();
      return new Result(target, true, copy.files, copy.bytes, startWal, endWal);
    } catch (SQLException e) {
      if (walKept == null || !ended(e)) throw e;
      throw new IOException("PostgreSQL ended the backup's session (" + e.getMessage() + "): it is stopping, or more "
          + "WAL than its max_slot_wal_keep_size (" + walKept + ") was written while the backup ran (a target disk "
          + "that froze or is far too slow), and it recycled WAL the copy needs rather than fill its own disk, which "
          + "would stop every write. Take the backup again once the server runs, to a quicker disk", e);
    }
  }

  /** Whether a failure is the end of the session: terminated by the server (57P01) or its connection gone (08). */
  private static boolean ended(SQLException e) {
    String state = e.getSQLState();
    return state != null && (state.equals("57P01") || state.startsWith("08"));
  }

  private static void copySecrets(Path dataDir, Path target, Copy copy) throws IOException {
    for (String name : SECRETS) {
      Path file = dataDir.resolve(name);
      if (Files.isRegularFile(file)) copy.file(file, target.resolve(name));
    }
  }

  private static String value(Statement s, String query) throws SQLException {
    try (ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * Deletes a partial copy this backup made (or one a killed backup left), or a scheduled backup past its schedule's
   * count, best effort; symbolic links are deleted, never followed.
   */
  static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      // Left for the next backup of the same name to remove (removeAbandoned).
    }
  }

  /** Forces a directory's entries to disk (a rename into it, here). */
  private static void force(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory.
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return false;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext();
    }
  }

  /** Files copied into a backup, owner-only, each forced to disk with its directory at the end. */
  private static final class Copy {
    private final Path root;
    private final List<Path> written = new ArrayList<>();
    private final List<Path> directories = new ArrayList<>();
    long files;
    long bytes;

    Copy(Path root) {
      this.root = root;
    }

    /**
     * PostgreSQL's data directory, less what {@link #SKIPPED_FILES} and {@link #EMPTIED_DIRECTORIES} name (and, for
     * an online copy, {@link #SKIPPED_ONLINE}), the control file last. Symbolic links are followed (a {@code pg_wal}
     * on another disk is copied as a directory); the server's sockets are left; anything else that is not a file
     * or a directory stops the backup rather than being left out unsaid.
     */
    void tree(Path pgData, boolean atRest) throws IOException {
      Files.walkFileTree(pgData, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          Path to = root.resolve(pgData.relativize(dir).toString());
          directory(to);
          Path relative = pgData.relativize(dir);
          if (relative.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(relative.toString())) {
            // Kept, empty, as PostgreSQL wants it; the copy at rest keeps its WAL (the one it needs to start).
            if (atRest && relative.toString().equals("pg_wal")) return FileVisitResult.CONTINUE;
            if (relative.toString().equals("pg_wal")) directory(to.resolve("archive_status"));
            return FileVisitResult.SKIP_SUBTREE;
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Path relative = pgData.relativize(file);
          String name = file.getFileName().toString();
          boolean top = relative.getNameCount() == 1;
          // The server's sockets (and their lock files) are the running server's; temporary files are a query's.
          if (name.startsWith(".s.PGSQL.") || name.startsWith("pgsql_tmp")
              || (top && (SKIPPED_FILES.contains(name) || (!atRest && SKIPPED_ONLINE.contains(name))))
              || relative.toString().equals(CONTROL)) {
            return FileVisitResult.CONTINUE;
          }
          if (!attrs.isRegularFile()) throw new IOException("Not a file or a directory, so not copied: " + file);
          file(file, root.resolve(relative.toString()));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
          // A relation dropped while the backup ran: the WAL replays its dropping.
          if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
          throw e;
        }
      });
      file(pgData.resolve(CONTROL), root.resolve(CONTROL));
    }

    /**
     * The WAL segments from {@code first} to {@code last} (by name, on any timeline), and the timelines' history;
     * fails if any segment between them is missing ({@code segmentBytes}: the server's segment size).
     */
    void wal(Path from, Path to, String first, String last, long segmentBytes) throws IOException {
      directory(to);
      directory(to.resolve("archive_status"));
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(from)) {
        for (Path segment : entries) {
          String name = segment.getFileName().toString();
          boolean needed = SEGMENT.matcher(name).matches()
              && name.substring(8).compareTo(first.substring(8)) >= 0
              && name.substring(8).compareTo(last.substring(8)) <= 0;
          if (needed || name.endsWith(".history")) file(segment, to.resolve(name));
        }
      }
      // Each segment from the first to the last, on the backup's timeline: a gap would replay to a wrong state.
      long perId = 0x1_0000_0000L / segmentBytes;
      String timeline = last.substring(0, 8);
      long n = number(first, perId);
      for (long end = number(last, perId); n <= end; n++) {
        String name = timeline + String.format("%08X%08X", n / perId, n % perId);
        if (!Files.exists(to.resolve(name))) {
          throw new IOException("The WAL segment " + name + " the backup needs was not found in " + from);
        }
      }
    }

    private static long number(String segment, long perId) {
      return Long.parseLong(segment.substring(8, 16), 16) * perId + Long.parseLong(segment.substring(16), 16);
    }

    void directory(Path dir) throws IOException {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir.getParent());
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      directories.add(dir);
    }

    void file(Path from, Path to) throws IOException {
      try {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
      } catch (NoSuchFileException gone) {
        if (!Files.exists(from)) return; // dropped meanwhile (see visitFileFailed)
        throw gone;
      }
      Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-------"));
      written.add(to);
      files++;
      bytes += Files.size(to);
    }

    void write(Path to, String content) throws IOException {
      Files.writeString(to, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-------"));
      written.add(to);
      files++;
      bytes += Files.size(to);
    }

    /** Forces every file, then every directory, to disk: a backup that a crash may half-keep is no backup. */
    void syncAll() throws IOException {
      for (Path file : written) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
          channel.force(true);
        }
      }
      for (int i = directories.size() - 1; i >= 0; i--) {
        Path dir = directories.get(i);
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
          channel.force(true);
        } catch (IOException e) {
          // Some file systems cannot sync a directory; the files themselves are on disk.
        }
      }
    }
  }
}
