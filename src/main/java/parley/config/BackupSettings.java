package parley.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Backups the node takes of its embedded database on its own ({@code parley.db.BackupSchedule}): where they go (none
 * when {@code dir} is empty, the default), how often, how many are kept, and the command that copies each off the
 * machine. Each is what {@code java -jar parley.jar backup DIR} takes, in a directory of its own named by its time.
 *
 * @param dir         the directory the backups go into ({@code PARLEY_BACKUP_DIR}): not inside the data directory
 * @param every       the time from one backup's start to the next ({@code PARLEY_BACKUP_EVERY}), at least a minute
 * @param keep        how many of the newest are kept ({@code PARLEY_BACKUP_KEEP}); older ones are deleted once a
 *                    newer one is whole, so there are briefly {@code keep + 1}
 * @param copy        a shell command run on each whole backup, its directory as {@code $1}
 *                    ({@code PARLEY_BACKUP_COPY}; none by default), to copy it off the machine
 * @param copyTimeout how long that command may run before it is stopped and counted as failed
 *                    ({@code PARLEY_BACKUP_COPY_TIMEOUT}, default an hour, at least a second)
 */
public record BackupSettings(Optional<Path> dir, Duration every, int keep, Optional<String> copy,
    Duration copyTimeout) {

  public static final String DIR = "PARLEY_BACKUP_DIR";
  public static final String EVERY = "PARLEY_BACKUP_EVERY";
  public static final String KEEP = "PARLEY_BACKUP_KEEP";
  public static final String COPY = "PARLEY_BACKUP_COPY";
  public static final String COPY_TIMEOUT = "PARLEY_BACKUP_COPY_TIMEOUT";

  public BackupSettings {
    if (every.compareTo(Duration.ofMinutes(1)) < 0) {
      throw new IllegalArgumentException(EVERY + " must be at least 1m");
    }
    if (keep < 1) throw new IllegalArgumentException(KEEP + " must be at least 1");
    if (copy.isPresent() && dir.isEmpty()) {
      throw new IllegalArgumentException(COPY + " copies the scheduled backups off the machine: set " + DIR + " too");
    }
    if (copyTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(COPY_TIMEOUT + " must be at least 1s");
    }
  }

  public boolean on() {
    return dir.isPresent();
  }

  /** A scheduled backup's directory name: its start, to the second, in UTC ({@code parley-20261205T031500Z}). */
  public static final java.util.regex.Pattern NAMED = java.util.regex.Pattern.compile("parley-\\d{8}T\\d{6}Z");

  /**
   * Whether {@code dataDir}, or its {@code postgres/} (which may be a link to another disk), is or lies in a
   * scheduled backup's directory in {@code dir}, links followed as far as the paths exist: where the schedule would
   * delete it as an old backup. Other places in {@code dir} are not the schedule's to touch.
   */
  public static boolean inABackup(Path dir, Path dataDir) {
    Path backups = realPath(dir);
    for (Path place : java.util.List.of(dataDir, dataDir.resolve("postgres"))) {
      Path real = realPath(place);
      if (real.startsWith(backups) && real.getNameCount() > backups.getNameCount()
          && NAMED.matcher(backups.relativize(real).getName(0).toString()).matches()) {
        return true;
      }
    }
    return false;
  }

  /** {@code path}, absolute, with every symbolic link of the part of it that exists followed. */
  public static Path realPath(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !java.nio.file.Files.exists(existing)) existing = existing.getParent();
    if (existing == null) return absolute;
    try {
      return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
    } catch (java.io.IOException e) {
      return absolute;
    }
  }

  static BackupSettings from(Map<String, String> values) {
    return new BackupSettings(Optional.ofNullable(values.get(DIR)).map(d -> Path.of(d).toAbsolutePath().normalize()),
        AppConfig.duration(values, EVERY, Duration.ofDays(1)), AppConfig.intValue(values, KEEP, 7),
        Optional.ofNullable(values.get(COPY)).filter(c -> !c.isBlank()),
        AppConfig.duration(values, COPY_TIMEOUT, Duration.ofHours(1)));
  }
}
