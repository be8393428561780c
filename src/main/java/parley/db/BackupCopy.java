package parley.db;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
 * stopped with every process it started: it runs in a process group of its own ({@code setsid}), and the group and
 * every descendant get {@code SIGTERM}, and {@code SIGKILL} five seconds later (half a second, when the node stops).
 * A double fork's orphan, no longer a descendant, is still in the group and stopped with it (it survived the node's
 * stop before). A process that made a session of its own ({@code setsid} in the command) is beyond reach, as it is
 * for any supervisor without cgroups.
 *
 * <p>The command itself is never logged: it may carry a credential.
 */
final class BackupCopy {

  /** The most of the command's output a failure quotes: its end, where tools say what went wrong. */
  static final int TAIL = 2_000;
  private static final Duration GRACE = Duration.ofSeconds(5);
  /** When the node stops: it will not wait five seconds. */
  private static final Duration STOPPING_GRACE = Duration.ofMillis(500);

  private BackupCopy() {
  }

  /** Thrown when the node stops while the command runs: not a failure of the copy. */
  static final class Stopped extends IOException {
    Stopped() {
      super("stopped with the node");
    }
  }

  /** The environment variable the command is handed in: not the command line, which every local user can read. */
  static final String COMMAND_VARIABLE = "PARLEY_BACKUP_COPY_COMMAND";

  /**
   * Runs {@code command} on {@code backup} and waits for it, on the calling (worker) thread. Its output is read as it
   * comes and only its last {@link #TAIL} bytes kept: a chatty command costs neither memory nor disk.
   *
   * @throws Stopped     when {@code stopping} turns true first (the command is stopped)
   * @throws IOException when it cannot start, exits with another status than 0, or outlasts {@code timeout}
   */
  static void run(String command, Path backup, Duration timeout, BooleanSupplier stopping)
      throws IOException, InterruptedException {
    // The command in the environment, run by eval: as an argument of sh it would be on its command line, which
    // `ps` shows every local user (it may hold a credential); $1 is the backup's directory for it either way.
    List<String> line = new java.util.ArrayList<>();
    // A session, so a process group, of its own: setsid execs the shell in place (its pid is the group's id).
    boolean ownGroup = java.nio.file.Files.isExecutable(SETSID);
    if (ownGroup) line.add(SETSID.toString());
    line.addAll(List.of("/bin/sh", "-c", "eval \"$" + COMMAND_VARIABLE + "\"", "parley-backup-copy", backup.toString()));
    ProcessBuilder builder = new ProcessBuilder(line)
        .directory(backup.getParent().toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true);
    builder.environment().put(COMMAND_VARIABLE, command);
    builder.environment().put("PARLEY_BACKUP_PATH", backup.toString());
    Process process = builder.start();
    Tail tail = new Tail();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (InputStream output = process.getInputStream()) {
      while (true) {
        // Never a blocking read: a process the command left behind may hold its output open after it ended.
        boolean read = tail.drain(output);
        if (!process.isAlive()) break;
        if (stopping.getAsBoolean()) {
          // The node is on its way out and will not wait long: a short grace, then the kill.
          stop(process, ownGroup, STOPPING_GRACE);
          throw new Stopped();
        }
        if (System.nanoTime() - deadline > 0) {
          stop(process, ownGroup, GRACE);
          throw new IOException("the copy command did not end within " + words(timeout)
              + " (PARLEY_BACKUP_COPY_TIMEOUT) and was stopped" + tail.said());
        }
        if (!read) process.waitFor(50, TimeUnit.MILLISECONDS);
      }
      tail.drain(output);
    } catch (InterruptedException e) {
      stop(process, ownGroup, STOPPING_GRACE);
      throw e;
    }
    int status = process.exitValue();
    if (status != 0) throw new IOException("the copy command exited with status " + status + tail.said());
  }

  /** The last {@link #TAIL} bytes of what the command printed. */
  private static final class Tail {
    private final byte[] kept = new byte[TAIL];
    private final byte[] chunk = new byte[8192];
    private int length;
    private boolean cut;

    /** Reads what is there to read now, without waiting; whether anything was. */
    boolean drain(InputStream in) throws IOException {
      boolean any = false;
      int available;
      while ((available = in.available()) > 0) {
        int n = in.read(chunk, 0, Math.min(available, chunk.length));
        if (n <= 0) break;
        any = true;
        keep(n);
      }
      return any;
    }

    private void keep(int n) {
      int from = Math.max(0, n - TAIL);
      int add = n - from;
      int drop = Math.max(0, length + add - TAIL);
      if (drop > 0 || from > 0) cut = true;
      System.arraycopy(kept, drop, kept, 0, length - drop);
      length -= drop;
      System.arraycopy(chunk, from, kept, length, add);
      length += add;
    }

    /** For a failure's message: on one line (the command's output cannot start a log line of its own). */
    String said() {
      String text = new String(kept, 0, length, StandardCharsets.UTF_8)
          .replaceAll("[\\p{Cntrl}&&[^\\n\\t]]", "").strip().replaceAll("\\s*\\n\\s*", " | ");
      if (text.isEmpty()) return "";
      return "; it printed" + (cut ? " (the end)" : "") + ": " + text;
    }
  }

  /**
   * Stops the command and every process it started that is still its descendant, gently first; the node's stop
   * (an interrupt) cuts the grace short but not the kill.
   */
  private static void stop(Process process, boolean ownGroup, Duration grace) {
    // Its descendants before it: once it is gone they are no longer its.
    List<ProcessHandle> tree = process.descendants().toList();
    if (ownGroup) signalGroup(process.pid(), "TERM");
    tree.forEach(ProcessHandle::destroy);
    process.destroy();
    long deadline = System.nanoTime() + grace.toNanos();
    boolean interrupted = false;
    while (System.nanoTime() - deadline < 0 && (process.isAlive() || tree.stream().anyMatch(ProcessHandle::isAlive)
        || ownGroup && signalGroup(process.pid(), "0"))) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        interrupted = true;
        break;
      }
    }
    if (ownGroup) signalGroup(process.pid(), "KILL");
    tree.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    if (interrupted) Thread.currentThread().interrupt();
  }

  private static final Path SETSID = Path.of("/usr/bin/setsid");

  /**
   * Sends {@code signal} (a name, or "0" to ask whether any is left) to every process of the group {@code group};
   * whether one was there to receive it.
   */
  private static boolean signalGroup(long group, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-s", signal, "--", "-" + group)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static String words(Duration d) {
    return d.toString().substring(2).toLowerCase();
  }
}
