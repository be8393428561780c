package parley.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The PostgreSQL that Parley talks to: either the one named by {@code DATABASE_URL}, or an embedded server whose
 * data lives under the data directory. Opening it applies the Flyway migrations (on a worker thread, through
 * JDBC) and then builds the reactive pool that every request uses.
 */
public final class Database {

  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final Pool pool;
  private final EmbeddedPostgres embedded;

  private Database(Pool pool, EmbeddedPostgres embedded) {
    this.pool = pool;
    this.embedded = embedded;
  }

  /** Starts (or connects to) PostgreSQL, migrates the schema and opens the pool. */
  public static Future<Database> open(Vertx vertx, AppConfig config) {
    return vertx.executeBlocking(() -> {
      EmbeddedPostgres embedded = config.embeddedDatabase() ? startEmbedded(config.dataDir()) : null;
      try {
        PgConnectOptions connect = embedded != null
            ? new PgConnectOptions().setHost("localhost").setPort(embedded.getPort())
                .setDatabase("postgres").setUser("postgres").setPassword("postgres")
            : PgConnectOptions.fromUri(config.databaseUrl().orElseThrow());
        migrate(connect);
        connect.setCachePreparedStatements(true).setPipeliningLimit(256);
        Pool pool = PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(config.databasePoolSize()).setShared(false))
            .connectingTo(connect)
            .using(vertx)
            .build();
        return new Database(pool, embedded);
      } catch (RuntimeException e) {
        if (embedded != null) embedded.close();
        throw e;
      }
    });
  }

  public Pool pool() {
    return pool;
  }

  /** Answers when the database answers a trivial query; used by /health. */
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  /** Closes the pool, then stops the embedded server if Parley started one. */
  public Future<Void> close(Vertx vertx) {
    return pool.close().eventually(() -> embedded == null
        ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        }));
  }

  private static EmbeddedPostgres startEmbedded(Path dataDir) throws IOException {
    Path pgData = dataDir.resolve("postgres");
    Files.createDirectories(pgData);
    log.info("Starting embedded PostgreSQL with data in {}", pgData);
    return EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false)
        .setPGStartupWait(Duration.ofSeconds(60))
        .start();
  }

  private static void migrate(PgConnectOptions connect) {
    String jdbcUrl = "jdbc:postgresql://" + connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase()
        + (connect.getSslMode() != null ? "?sslmode=" + connect.getSslMode().name().toLowerCase().replace('_', '-') : "");
    var result = Flyway.configure()
        .dataSource(jdbcUrl, connect.getUser(), connect.getPassword())
        .locations("classpath:db/migration")
        .load()
        .migrate();
    if (result.migrationsExecuted == 0) {
      log.info("Database schema is up to date");
    } else {
      log.info("Database schema at version {} ({} migrations applied now)",
          result.targetSchemaVersion, result.migrationsExecuted);
    }
  }
}
