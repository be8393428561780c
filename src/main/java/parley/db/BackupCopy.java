package parley.db;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The operator's command that copies a whole scheduled backup off the machine ({@code PARLEY_BACKUP_COPY}): run by
 * {@code /bin/sh -c} with the backup's directory as {@code $1} and in {@code PARLEY_BACKUP_PATH}, from the backups'
 * directory, with nothing on its standard input; any tool the operator trusts does the copying ({@code rclone},
 * {@code aws s3 cp --recursive}, {@code rsync}, {@code restic}), as PostgreSQL's {@code archive_command} leaves the
 * archiving to one. Exit status 0 is a copy; anything else, or no end within the timeout, is a failure that says
 * why with the end of what the command printed. A command still running at its timeout, or when the node stops, is
 * stopped with everything it started: {@code SIGTERM}, and {@code SIGKILL} five seconds later.
 *
 * <p>The command itself is never logged: it may carry a credential.
 */
final class BackupCopy {

  /** The most of the command's output a failure quotes: its end, where tools say what went wrong. */
  static final int TAIL = 2_000;
  private static final Duration GRACE = Duration.ofSeconds(5);

  private BackupCopy() {
  }

  /** Thrown when the node stops while the command runs: not a failure of the copy. */
  static final class Stopped extends IOException {
    Stopped() {
      super("stopped with the node");
    }
  }

  /**
   * Runs {@code command} on {@code backup} and waits for it, on the calling (worker) thread.
   *
   * @throws Stopped     when {@code stopping} turns true first (the command is stopped)
   * @throws IOException when it cannot start, exits with another status than 0, or outlasts {@code timeout}
   */
  static void run(String command, Path backup, Duration timeout, BooleanSupplier stopping)
      throws IOException, InterruptedException {
    // Its output goes to a private file (0600), not a pipe: a pipe must be read while the command runs, and a
    // process it left behind would keep the pipe open after it ended.
    Path output = Files.createTempFile("parley-backup-copy-", ".log");
    try {
      ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command, "parley-backup-copy", backup.toString())
          .directory(backup.getParent().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(output.toFile());
      builder.environment().put("PARLEY_BACKUP_PATH", backup.toString());
      Process process = builder.start();
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        while (!process.waitFor(200, TimeUnit.MILLISECONDS)) {
          if (stopping.getAsBoolean()) {
            stop(process);
            throw new Stopped();
          }
          if (System.nanoTime() - deadline > 0) {
            stop(process);
            throw new IOException("the copy command did not end within " + words(timeout)
                + " (PARLEY_BACKUP_COPY_TIMEOUT) and was stopped" + tail(output));
          }
        }
      } catch (InterruptedException e) {
        stop(process);
        throw e;
      }
      int status = process.exitValue();
      if (status != 0) throw new IOException("the copy command exited with status " + status + tail(output));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  /** Stops the command and every process it started, gently first. */
  private static void stop(Process process) throws InterruptedException {
    // Its descendants before it: once it is gone they are no longer its.
    List<ProcessHandle> tree = process.descendants().toList();
    tree.forEach(ProcessHandle::destroy);
    process.destroy();
    long deadline = System.nanoTime() + GRACE.toNanos();
    while (System.nanoTime() - deadline < 0 && (process.isAlive() || tree.stream().anyMatch(ProcessHandle::isAlive))) {
      Thread.sleep(50);
    }
    tree.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly().waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The end of what the command printed, for a failure's message ("" when it printed nothing). */
  static String tail(Path output) {
    try (RandomAccessFile file = new RandomAccessFile(output.toFile(), "r")) {
      long length = file.length();
      int n = (int) Math.min(length, TAIL);
      byte[] bytes = new byte[n];
      file.seek(length - n);
      file.readFully(bytes);
      String text = new String(bytes, StandardCharsets.UTF_8).replaceAll("[\\p{Cntrl}&&[^\\n\\t]]", "").strip();
      if (text.isEmpty()) return "";
      return "; it printed" + (length > n ? " (the end)" : "") + ": " + text;
    } catch (IOException e) {
      return "";
    }
  }

  static String words(Duration d) {
    return d.toString().substring(2).toLowerCase();
  }
}
