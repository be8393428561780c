package parley.db;

import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
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
 * by a temporary replication slot (gone with the session, so a backup that dies leaves nothing holding WAL). The
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
   * start makes afresh. The server's log files are left out too.
   */
  private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
      "tablespace_map", "backup_label.old", "current_logfiles");
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
    Path pgData = dataDir.resolve("postgres");
    if (!Files.isRegularFile(pgData.resolve("PG_VERSION"))) {
      throw new IllegalArgumentException("No embedded PostgreSQL in " + dataDir + " (no postgres/PG_VERSION): is "
          + "PARLEY_DATA_DIR set as for Parley? With DATABASE_URL, back up with your PostgreSQL's own tools");
    }
    Path spaces = pgData.resolve("pg_tblspc");
    if (Files.isDirectory(spaces) && !isEmptyDirectory(spaces)) {
      // Parley makes none; one an operator added lies outside the data directory, and a copy without it would look
      // whole and be missing its tables.
      throw new IllegalStateException("The database has tablespaces (" + spaces + " is not "
          + "empty), which this backup does not copy: use PostgreSQL's pg_basebackup");
    }
    if (target.startsWith(dataDir)) {
      throw new IllegalArgumentException("The backup cannot go inside the data directory it copies: " + target);
    }
    if (Files.exists(target) && !isEmptyDirectory(target)) {
      throw new IllegalArgumentException("The backup's directory must be new or empty: " + target);
    }
    // Written beside its place and moved there whole: a backup cut short (a full disk, a kill) must never be taken
    // for one, since PostgreSQL would start on its half-copied files as on a crashed server's.
    Path partial = target.resolveSibling(target.getFileName() + ".partial-" + ProcessHandle.current().pid());
    Result result = into(dataDir, pgData, partial);
    if (Files.exists(target)) Files.delete(target);
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    return new Result(target, result.online(), result.files(), result.bytes(), result.startWal(), result.endWal());
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
    copy.tree(pgData, true);
    copySecrets(dataDir, target, copy);
    copy.syncAll();
    return new Result(target, false, copy.files, copy.bytes, null, null);
  }

  /** Parley is running: PostgreSQL's online backup, through its own connection, with the WAL it needs. */
  private static Result online(Path dataDir, Path pgData, Path target) throws IOException, SQLException {
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
    try (Connection c = source.getConnection(); Statement s = c.createStatement()) {
      String directory = value(s, "SHOW data_directory");
      if (!Path.of(directory).toAbsolutePath().normalize().equals(pgData.toAbsolutePath().normalize())) {
        throw new IllegalStateException("The PostgreSQL on port " + port + " serves " + directory + ", not " + pgData);
      }
      // Held for this session only: the WAL from here on stays until the backup has copied it.
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
      copy.wal(pgData.resolve("pg_wal"), copied.resolve("pg_wal"), startWal, endWal);
      copySecrets(dataDir, target, copy);
      copy.syncAll();
      return new Result(target, true, copy.files, copy.bytes, startWal, endWal);
    }
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

    /** PostgreSQL's data directory, less what {@link #SKIPPED_FILES} and {@link #EMPTIED_DIRECTORIES} name. */
    void tree(Path pgData, boolean withWal) throws IOException {
      Files.walkFileTree(pgData, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          Path to = root.resolve(pgData.relativize(dir).toString());
          directory(to);
          Path relative = pgData.relativize(dir);
          if (relative.getNameCount() == 1 && EMPTIED_DIRECTORIES.contains(relative.toString())) {
            // Kept, empty, as PostgreSQL wants it; the cold copy keeps its WAL (the one it needs to start).
            if (withWal && relative.toString().equals("pg_wal")) return FileVisitResult.CONTINUE;
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
          // Sockets and the like are the running server's; temporary files are a query's.
          if (!attrs.isRegularFile() || (top && SKIPPED_FILES.contains(name)) || name.startsWith("pgsql_tmp")) {
            return FileVisitResult.CONTINUE;
          }
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
    }

    /** The WAL segments from {@code first} to {@code last} (by name, on any timeline), and the timelines' history. */
    void wal(Path from, Path to, String first, String last) throws IOException {
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
      if (!Files.exists(to.resolve(last))) {
        throw new IOException("The backup's last WAL segment " + last + " was not found in " + from);
      }
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
