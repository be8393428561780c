package parley.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Parley's embedded PostgreSQL on its own, durable and password-protected as always, for several Parley nodes on
 * one machine to share (docs/SCALING.md):
 *
 * <pre>java -cp target/parley.jar parley.db.DatabaseServer [data directory, default data-db] [port, default 5432]</pre>
 *
 * It prints how to point the nodes at it ({@code DATABASE_URL}), reading the password from its file rather than
 * printing it, and runs until stopped (Ctrl-C or SIGTERM stop PostgreSQL cleanly).
 */
public final class DatabaseServer {

  private static final Logger log = LoggerFactory.getLogger(DatabaseServer.class);

  private DatabaseServer() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "data-db").toAbsolutePath();
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 5432;
    EmbeddedDatabase db = EmbeddedDatabase.start(EmbeddedDatabase.Options.in(dir).withPort(port));
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
}
