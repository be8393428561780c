package parley.db;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.BackupSettings;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.DateTimeException;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The backups a node takes of its embedded database on its own ({@code PARLEY_BACKUP_DIR}, {@code _EVERY},
 * {@code _KEEP}): each is {@link Backup#take} into a new directory named by its start in UTC
 * ({@code parley-20261205T031500Z}), on a worker thread of its own (a backup copies the whole database, minutes on a
 * big one, and must not hold up the threads that hash passwords). Once one is whole, the oldest beyond the newest
 * {@code keep} are deleted, so there is never a moment without the last good one; nothing else in the directory is
 * touched. The next starts {@code every} after the last one started, counted from the newest in the directory, so a
 * restart neither takes an extra one nor skips one; a failed one is logged at ERROR, counted, and tried again after
 * {@link #RETRY} (or {@code every}, if sooner).
 *
 * <p>With a copy command ({@code PARLEY_BACKUP_COPY}, {@link BackupCopy}), each whole backup is then copied off the
 * machine on the same thread (so the next backup waits for a copy still running); a failed copy is logged at ERROR,
 * counted, and tried again after {@link #RETRY} until it succeeds or a newer backup is taken, whose own copy
 * supersedes it. The backup itself stays either way.
 */
public final class BackupSchedule {

  private static final Logger log = LoggerFactory.getLogger(BackupSchedule.class);

  /** A scheduled backup's directory: its start, to the second, in UTC. */
  private static final DateTimeFormatter NAME =
      DateTimeFormatter.ofPattern("'parley-'yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern NAMED = BackupSettings.NAMED;
  /** What a backup killed before its end leaves beside its place (see Backup#take), with its process's id. */
  private static final Pattern ABANDONED = Pattern.compile("parley-\\d{8}T\\d{6}Z\\.partial-(\\d+)");

  /** The mark a backup gets in its directory once copied off the machine. */
  static final String COPIED = "parley-copied";

  /** How soon a failed backup is tried again (or at its usual time, if sooner). */
  static final Duration RETRY = Duration.ofMinutes(10);
  /** How long after the node starts a backup that is due already is taken: past the start's own work. */
  static final Duration FIRST = Duration.ofMinutes(1);

  private final Vertx vertx;
  private final Path dataDir;
  private final Path dir;
  private final Duration every;
  private final int keep;
  private final BooleanSupplier stopping;
  private final Optional<String> copy;
  private final Duration copyTimeout;
  private final Duration copyRetry;
  private final WorkerExecutor worker;
  /** The newest whole backup's start, in seconds since the epoch (0: none yet). */
  private final AtomicLong lastTaken = new AtomicLong();
  private final Counter failures;
  /** The newest backup copied off the machine's start, in seconds since the epoch (0: none yet). */
  private final AtomicLong lastCopied = new AtomicLong();
  private final Counter copyFailures;

  public BackupSchedule(Vertx vertx, Path dataDir, BackupSettings settings, MeterRegistry meters,
      BooleanSupplier stopping) {
    this(vertx, dataDir, settings.dir().orElseThrow(), settings.every(), settings.keep(), settings.copy(),
        settings.copyTimeout(), RETRY, meters, stopping);
  }

  /** Any interval, for the tests (settings refuse less than a minute); no copy. */
  BackupSchedule(Vertx vertx, Path dataDir, Path dir, Duration every, int keep, MeterRegistry meters,
      BooleanSupplier stopping) {
    this(vertx, dataDir, dir, every, keep, Optional.empty(), Duration.ofHours(1), RETRY, meters, stopping);
  }

  /** Any interval and copy retry, for the tests. */
  BackupSchedule(Vertx vertx, Path dataDir, Path dir, Duration every, int keep, Optional<String> copy,
      Duration copyTimeout, Duration copyRetry, MeterRegistry meters, BooleanSupplier stopping) {
    this.vertx = vertx;
    this.copy = copy;
    this.copyTimeout = copyTimeout;
    this.copyRetry = copyRetry;
    this.dataDir = dataDir;
    this.dir = dir;
    this.every = every;
    this.keep = keep;
    this.stopping = stopping;
    // One thread: backups never overlap. Its blocked-thread warning only after a long while: a backup is long work.
    this.worker = vertx.createSharedWorkerExecutor("parley-backup", 1, 24, TimeUnit.HOURS);
    this.failures = Counter.builder("parley_backup_failures").description("Scheduled backups that failed")
        .register(meters);
    Gauge.builder("parley_backup_last_success_seconds", lastTaken, AtomicLong::get)
        .description("When the newest whole scheduled backup started, in seconds since the epoch (0: none yet)")
        .register(meters);
    this.copyFailures = Counter.builder("parley_backup_copy_failures")
        .description("Copies of scheduled backups off the machine (PARLEY_BACKUP_COPY) that failed").register(meters);
    Gauge.builder("parley_backup_last_copy_seconds", lastCopied, AtomicLong::get)
        .description("When the newest scheduled backup copied off the machine started, in seconds since the epoch "
            + "(0: none yet)")
        .register(meters);
  }

  /**
   * Schedules the first backup: {@code every} after the newest in the directory, or soon if that has passed; first
   * removes what a backup cut off by the last stop left.
   */
  public void start() {
    // Every look at the directory on the schedule's own thread, not the event loop that deploys the node.
    worker.executeBlocking(() -> {
      // What a backup cut off by the last stop left goes now, not only after the next backup (which may fail).
      if (Files.isDirectory(dir)) {
        try {
          prune();
        } catch (IOException e) {
          log.warn("Cannot tidy the backups in {}: {}", dir, e.toString());
        }
      }
      newest().ifPresent(taken -> lastTaken.set(taken.getEpochSecond()));
      if (copy.isPresent()) resumeCopies();
      return firstDelay(Instant.now());
    }, false).onComplete(first -> {
      if (first.succeeded()) {
        schedule(first.result());
      } else {
        // Not a schedule that ends without a word: its first backup as if the directory held none.
        failures.increment();
        log.error("Cannot read the backups in {} ({}); taking the first in {}", dir, first.cause().toString(),
            BackupCopy.words(FIRST));
        schedule(FIRST);
      }
    });
    log.info("Backing up the embedded database into {} every {}, keeping the newest {}{}", dir,
        BackupCopy.words(every), keep, copy.isPresent() ? ", each copied off the machine by PARLEY_BACKUP_COPY" : "");
  }

  /**
   * What the last run of the node knew of the copies, from their marks: when the newest copied backup started (the
   * gauge), and whether the newest backup still wants its copy (one that failed, or that the stop cut), which is
   * then tried a minute after the start, rather than only with the next backup, up to {@code every} later.
   */
  private void resumeCopies() {
    List<Path> backups = backups();
    for (Path backup : backups) {
      if (Files.exists(backup.resolve(COPIED))) {
        lastCopied.set(startOf(backup).getEpochSecond());
        break;
      }
    }
    if (backups.isEmpty() || Files.exists(backups.get(0).resolve(COPIED))) return;
    Path newest = backups.get(0);
    Instant started = startOf(newest);
    Duration delay = copyRetry.compareTo(FIRST) < 0 ? copyRetry : FIRST;
    vertx.setTimer(Math.max(1, delay.toMillis()), t -> {
      if (!stopping.getAsBoolean() && lastTaken.get() <= started.getEpochSecond()) copy(newest, started);
    });
  }

  private static Instant startOf(Path backup) {
    return Instant.from(NAME.parse(backup.getFileName().toString()));
  }

  /** How long until the first backup, from {@code now}: at the newest's time plus {@code every}, not before {@link #FIRST}. */
  Duration firstDelay(Instant now) {
    Duration soonest = every.compareTo(FIRST) < 0 ? every : FIRST;
    Duration due = newest().map(taken -> Duration.between(now, taken.plus(every))).orElse(Duration.ZERO);
    return due.compareTo(soonest) > 0 ? due : soonest;
  }

  private void schedule(Duration delay) {
    if (stopping.getAsBoolean()) return;
    vertx.setTimer(Math.max(1, delay.toMillis()), t -> run());
  }

  private void run() {
    Instant started = Instant.now();
    Path target = dir.resolve(NAME.format(started));
    backUp(target, started).onComplete(done -> {
      Duration took = Duration.between(started, Instant.now());
      if (done.succeeded()) {
        Duration left = every.minus(took);
        schedule(left.isNegative() ? Duration.ZERO : left);
      } else if (stopping.getAsBoolean()) {
        log.info("The backup into {} stopped with the node: {}", target, done.cause().toString());
      } else {
        failures.increment();
        Duration retry = every.compareTo(RETRY) < 0 ? every : RETRY;
        log.error("The scheduled backup into {} failed after {} s: {} (nothing of it was kept; trying again in {})",
            target, took.toSeconds(), done.cause().toString(), retry.toString().substring(2).toLowerCase());
        schedule(retry);
      }
    });
  }

  /** The newest scheduled backup's start, from the names in the directory. */
  Optional<Instant> newest() {
    List<Path> backups = backups();
    return backups.isEmpty() ? Optional.empty() : Optional.of(startOf(backups.get(0)));
  }

  /**
   * The scheduled backups in the directory, newest first (what this schedule named; nothing else is one). Left out,
   * and so never counted, pruned or taken for the newest, with a warning once each: a name of the shape whose date
   * is no date ({@code parley-20261399T999999Z}: it stopped the schedule) or is later than now (taken while the
   * clock ran ahead, or copied in: it pruned the real ones, held the next backup off until its date and put that
   * date in the gauge), and the data directory itself, or one it lies in (a review started a backup where it lay:
   * the schedule deleted the running database as the oldest).
   */
  private List<Path> backups() {
    List<Path> found = new ArrayList<>();
    if (!Files.isDirectory(dir)) return found;
    Instant now = Instant.now();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!NAMED.matcher(name).matches() || !Files.isDirectory(entry)) continue;
        Instant started;
        try {
          started = startOf(entry);
        } catch (DateTimeException e) {
          leftAlone(entry, "its name is of a backup's shape but no date");
          continue;
        }
        if (started.isAfter(now.plus(AHEAD))) {
          leftAlone(entry, "its name is later than now (" + now.truncatedTo(ChronoUnit.SECONDS) + ")");
        } else if (holds(entry, dataDir) || holds(entry, dataDir.resolve("postgres"))) {
          leftAlone(entry, "the running database's data directory is in it");
        } else {
          found.add(entry);
        }
      }
    } catch (IOException e) {
      log.warn("Cannot list the backups in {}: {}", dir, e.toString());
    }
    found.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
    return found;
  }

  /** How far ahead of the clock a backup's name may be and still count (another node's clock, a step back). */
  static final Duration AHEAD = Duration.ofMinutes(5);

  /** The directories already warned of, so that each is told once, not at every look. */
  private final Set<Path> warned = ConcurrentHashMap.newKeySet();

  private void leftAlone(Path entry, String why) {
    if (warned.add(entry)) {
      log.warn("{} is not counted as a scheduled backup, neither kept nor deleted: {}", entry, why);
    }
  }

  /** Whether {@code inner} is {@code outer} or lies in it, as the file system resolves them (links followed). */
  private static boolean holds(Path outer, Path inner) {
    return BackupSettings.realPath(inner).startsWith(BackupSettings.realPath(outer));
  }

  /** Deletes the backups beyond the newest {@code keep}, and what backups killed midway left. */
  void prune() throws IOException {
    List<Path> backups = backups();
    for (Path old : backups.subList(Math.min(keep, backups.size()), backups.size())) {
      Backup.deleteTree(old);
      log.info("Deleted the backup {} (keeping the newest {})", old, keep);
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        Matcher m = ABANDONED.matcher(entry.getFileName().toString());
        if (m.matches() && Backup.abandoned(Long.parseLong(m.group(1)))) Backup.deleteTree(entry);
      }
    }
  }

  /**
   * A backup into {@code target}, then the prune, on the schedule's own thread; then its copy off the machine, if one
   * is set, whose failure is its own (the backup is whole and kept either way).
   */
  private Future<Backup.Result> backUp(Path target, Instant started) {
    Future<Backup.Result> taken = worker.executeBlocking(() -> {
      Backup.Result result = Backup.take(dataDir, target);
      prune();
      return result;
    }, false).andThen(done -> {
      if (done.failed()) return;
      lastTaken.set(started.getEpochSecond());
      Backup.Result r = done.result();
      log.info("Backup taken into {} in {} s: {} files, {} MiB ({}); keeping the newest {}", r.target(),
          Duration.between(started, Instant.now()).toSeconds(), r.files(), r.bytes() / (1024 * 1024),
          r.online() ? "online" : "while stopped", keep);
    });
    if (copy.isEmpty()) return taken;
    return taken.compose(result -> copy(result.target(), started).transform(copied -> Future.succeededFuture(result)));
  }

  /** Copies a whole backup off the machine; a failure is logged, counted and tried again after {@code copyRetry}. */
  private Future<Void> copy(Path backup, Instant started) {
    Instant began = Instant.now();
    return worker.<Boolean>executeBlocking(() -> {
      if (!Files.isDirectory(backup)) return false;
      BackupCopy.run(copy.orElseThrow(), backup, copyTimeout, stopping);
      // Its mark, for the next start (the gauge, and no second copy): written after the copy, so not in it.
      Files.writeString(backup.resolve(COPIED), Instant.now() + "\n");
      return true;
    }, false).andThen(done -> {
      long took = Duration.between(began, Instant.now()).toSeconds();
      if (done.succeeded()) {
        if (done.result()) {
          lastCopied.accumulateAndGet(started.getEpochSecond(), Math::max);
          log.info("Backup {} copied off the machine in {} s", backup, took);
        }
      } else if (done.cause() instanceof BackupCopy.Stopped || stopping.getAsBoolean()) {
        log.info("The copy of the backup {} stopped with the node", backup);
      } else {
        copyFailures.increment();
        log.error("Copying the backup {} off the machine failed after {} s: {} (the backup itself is whole and kept; "
            + "trying again in {})", backup, took, done.cause().getMessage(), BackupCopy.words(copyRetry));
        vertx.setTimer(Math.max(1, copyRetry.toMillis()), t -> {
          // A newer backup has, or will have, a copy of its own; this one is then no longer the one that matters.
          if (!stopping.getAsBoolean() && lastTaken.get() <= started.getEpochSecond()) copy(backup, started);
        });
      }
    }).mapEmpty();
  }

  /** Backs up now, outside the schedule (and copies, when a copy is set): for the tests. */
  Future<Backup.Result> takeNow() {
    Instant started = Instant.now();
    return backUp(dir.resolve(NAME.format(started)), started);
  }
}
