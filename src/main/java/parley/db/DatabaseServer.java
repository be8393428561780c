package parley.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * Parley's embedded PostgreSQL on its own, durable and password-protected as always, for several Parley nodes on
 * one machine to share (docs/SCALING.md):
 *
 * <pre>java -cp target/parley.jar parley.db.DatabaseServer [data directory, default data-db] [port, default 5432]
 *     [setting=value ...]</pre>
 *
 * <p>Any further arguments are PostgreSQL settings given at each start, over Parley's own (for example
 * {@code shared_buffers=2GB}, or {@code shared_preload_libraries=pg_stat_statements} to see where a benchmark's
 * statement time goes). What makes it durable and private (fsync, synchronous commit, full-page writes, the loopback
 * address, the port, password authentication, its files) is refused.
 *
 * It prints how to point the nodes at it ({@code DATABASE_URL}), reading the password from its file rather than
 * printing it, and runs until stopped (Ctrl-C or SIGTERM stop PostgreSQL cleanly).
 */
public final class DatabaseServer {

  private static final Logger log = LoggerFactory.getLogger(DatabaseServer.class);

  /**
   * Settings this command refuses: durability (what Parley acknowledged must survive a crash), and what makes the
   * server Parley's (where it listens, how it is reached and who may connect, where its files are), which a setting
   * here would otherwise override.
   */
  private static final Set<String> REFUSED = Set.of("fsync", "synchronous_commit", "full_page_writes",
      "listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions", "unix_socket_group",
      "password_encryption", "hba_file", "ident_file", "config_file", "data_directory", "external_pid_file");

  private DatabaseServer() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "data-db").toAbsolutePath();
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 5432;
    EmbeddedDatabase db = EmbeddedDatabase.start(
        EmbeddedDatabase.Options.in(dir).withPort(port).withSettings(settings(args)));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      db.close();
      stopped.countDown();
    }, "database-shutdown"));
    log.info("PostgreSQL is running on {}:{}. Point each Parley node at it with:", db.host(), db.port());
    log.info("  export DATABASE_URL=\"postgresql://{}:$(cat {})@{}:{}/{}\"", EmbeddedDatabase.SUPERUSER,
        dir.resolve("db-password"), db.host(), db.port(), EmbeddedDatabase.DATABASE);
    stopped.await();
  }

  /**
   * The PostgreSQL settings among the arguments (from the third on), in order, each name as PostgreSQL reads it
   * (lower case, '-' as '_'); those in {@link #REFUSED} are refused.
   */
  static Map<String, String> settings(String[] args) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      String name = eq <= 0 ? ""
          : args[i].substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT).replace('-', '_');
      if (name.isEmpty()) throw new IllegalArgumentException("not a setting=value: " + args[i]);
      if (REFUSED.contains(name)) {
        throw new IllegalArgumentException("Parley sets " + name + " itself (durable, password-protected, on the "
            + "loopback address): " + args[i]);
      }
      settings.put(name, args[i].substring(eq + 1));
    }
    return settings;
  }
}
