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

  static BackupSettings from(Map<String, String> values) {
    return new BackupSettings(Optional.ofNullable(values.get(DIR)).map(d -> Path.of(d).toAbsolutePath().normalize()),
        AppConfig.duration(values, EVERY, Duration.ofDays(1)), AppConfig.intValue(values, KEEP, 7),
        Optional.ofNullable(values.get(COPY)).filter(c -> !c.isBlank()),
        AppConfig.duration(values, COPY_TIMEOUT, Duration.ofHours(1)));
  }
}
