package parley.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The PostgreSQL that Parley talks to: either the one named by {@code DATABASE_URL}, or an {@link EmbeddedDatabase}
 * under the data directory. Opening it applies the Flyway migrations (on a worker thread, through JDBC) and then
 * builds two reactive pools:
 *
 * <ul>
 *   <li>{@link #pool()} serves REST requests, writes first among them;</li>
 *   <li>{@link #livePool()} is a small one for the live side (authorising subscriptions, replays, gap fills), so
 *   however many sockets churn, they can never take the connections that writes need.</li>
 * </ul>
 *
 * Both have a bounded wait queue and a bounded wait: when PostgreSQL is down or saturated, a request fails within
 * {@code PARLEY_DB_TIMEOUT} and is answered 503, instead of piling up or hanging. When it stops answering statements
 * already sent (frozen, partitioned away), a request is answered 503 at its deadline, {@code PARLEY_DB_DEADLINE}
 * ({@link BoundedPool}).
 */
public final class Database {

  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final BoundedPool pool;
  private final BoundedPool livePool;
  private final EmbeddedDatabase embedded;

  private Database(BoundedPool pool, BoundedPool livePool, EmbeddedDatabase embedded) {
    this.pool = pool;
    this.livePool = livePool;
    this.embedded = embedded;
  }



  /**
   * Starts (or connects to) PostgreSQL, migrates the schema and opens the pools, on a thread of its own: a migration
   * may rightly run for minutes on a large table, and on Vert.x's worker pool its thread was reported blocked, with a
   * stack trace, every second past the first minute (an upgrade review: 282 of them in one start).
   */
  public static Future<Database> open(Vertx vertx, AppConfig config) {
    io.vertx.core.WorkerExecutor starting = vertx.createSharedWorkerExecutor("parley-database-start", 1, 7, TimeUnit.DAYS);
    return starting.executeBlocking(() -> {
      EmbeddedDatabase embedded = config.embeddedDatabase()
          ? EmbeddedDatabase.start(EmbeddedDatabase.Options.in(config.dataDir()))
          : null;
      try {
        PgConnectOptions connect = embedded != null
            ? new PgConnectOptions().setHost(embedded.host()).setPort(embedded.port())
                .setDatabase(EmbeddedDatabase.DATABASE).setUser(EmbeddedDatabase.SUPERUSER)
                .setPassword(embedded.password())
            : external(config.databaseUrl().orElseThrow());
        migrate(connect, (int) Math.max(1, 3 * config.databaseTimeout().toSeconds()));
        // Every statement is prepared once per connection; the client's default skips statements over 2,048
        // characters, which the feed's and the thread's are.
        connect.setCachePreparedStatements(true).setPreparedStatementCacheSqlLimit(16_384).setPipeliningLimit(256);
        Duration deadline = config.databaseDeadline();
        BoundedPool pool = new BoundedPool(vertx,
            pool(vertx, connect, config, config.databasePoolSize(), config.databasePoolQueue(), "parley-rest"), deadline);
        // Thousands of readers reconnecting at once (a deploy) each need a few small reads to register: they wait
        // their turn (bounded by PARLEY_DB_TIMEOUT) rather than being turned away at once with 4003, which only
        // made them reconnect again and again.
        BoundedPool livePool = new BoundedPool(vertx, pool(vertx, connect, config, config.databaseLivePoolSize(),
            Math.max(config.databasePoolQueue(), LIVE_QUEUE), "parley-live"), deadline);
        return new Database(pool, livePool, embedded);
      } catch (RuntimeException e) {
        if (embedded != null) embedded.close();
        throw e;
      }
    }).andThen(done -> starting.close());
  }

  /**
   * What each new connection of Parley's pools sets first (see {@link #pool}). {@code jit = off}: PostgreSQL's JIT
   * compiles a statement whose estimated cost passes jit_above_cost (100,000), on every execution, and a search's
   * estimate passes it at a million comments while its work is a few milliseconds. On a PostgreSQL built with LLVM
   * (Debian's, the official container image's) that made a rare word's search 28.4 ms instead of 2.5, a common
   * word's 27.3 instead of 5.8 (docs/benchmarks/P10.md). The embedded server has no JIT; it changes nothing there.
   * Public for the benchmarks, whose own connections explain what the server runs.
   */
  public static final String SESSION_SETTINGS = "SET client_min_messages = warning; SET jit = off";

  /** Requests that may wait for the live pool, at least. */
  static final int LIVE_QUEUE = 20_000;

  private static Pool pool(Vertx vertx, PgConnectOptions connect, AppConfig config, int size, int queue,
      String name) {
    return PgBuilder.pool()
        .with(new PoolOptions()
            .setName(name)
            .setMaxSize(size)
            .setShared(false)
            .setMaxWaitQueueSize(queue)
            .setConnectionTimeout((int) config.databaseTimeout().toMillis())
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
            // Each connection is replaced after PARLEY_DB_MAX_LIFETIME (once it is back in the pool): without it a
            // connection lives as long as the node, on whatever server it first reached (a failover's old primary,
            // now a standby that refuses every write, if its sessions were not ended), with a backend that only grows.
            .setMaxLifetime((int) Math.min(Integer.MAX_VALUE, config.databaseMaxLifetime().toMillis()))
            .setMaxLifetimeUnit(TimeUnit.MILLISECONDS))
        .with(new NetClientOptions().setConnectTimeout((int) config.databaseTimeout().toMillis()))
        .connectingTo(connect)
        // PostgreSQL's NOTICEs are not for Parley (nothing acts on them), and the client logs each at WARN: a member's
        // word over 2,047 characters ("word is too long to be indexed", from the search triggers) wrote one into the
        // operators' log per post or comment. Each new connection asks for warnings and errors only. (A start-up
        // parameter would be refused by PgBouncer; a notice handler set here is not kept by the pool. Behind
        // PgBouncer's transaction pooling the setting may not follow a statement to its server connection: notices
        // then come back as WARN lines, nothing else changes.)
        .withConnectHandler(connection -> connection.query(SESSION_SETTINGS).execute()
            .onComplete(done -> {
              if (done.failed()) {
                log.warn("Could not set a new connection's session ({}): {}", SESSION_SETTINGS,
                    done.cause().toString());
              }
              connection.close();
            }))
        .using(vertx)
        .build();
  }

  /** The pool for REST requests and every write, its statements bounded by the request deadline. */
  public BoundedPool pool() {
    return pool;
  }

  /** The same connections without a deadline, for background work that may wait out a stalled database. */
  public Pool background() {
    return pool.unbounded();
  }

  /** The live side's own small pool (subscriptions, replays and gap fills), bounded as {@link #pool()} is. */
  public BoundedPool livePool() {
    return livePool;
  }

  /** The embedded server, when Parley runs its own (null with DATABASE_URL). */
  public EmbeddedDatabase embedded() {
    return embedded;
  }

  /**
   * Answers when the database answers a trivial query on either pool; used by the readiness check. A REST pool whose
   * connections are all busy with writes (its queue full, or its wait timed out) is a busy node, not a database that
   * is away: a load balancer told otherwise takes the node out and moves its load onto the others (a probe: 2 of 168
   * readiness checks were 503 under a write flood). The live pool, apart from the writes, answers then.
   */
  public Future<Void> ping() {
    return Future.any(pool.query("SELECT 1").execute(), livePool.query("SELECT 1").execute()).mapEmpty();
  }

  /** How long the pools may take to close before the embedded server is stopped anyway. */
  private static final long POOLS_CLOSE_MS = 5_000;

  /** The close under way, once one was asked for: asked again, the same one. */
  private Future<Void> closing;

  /**
   * Closes the pools (waiting at most a few seconds: a database that stopped answering may never let them), then
   * stops the embedded server if Parley started one. Called again, answers with the first call's outcome.
   */
  public synchronized Future<Void> close(Vertx vertx) {
    if (closing == null) closing = closeOnce(vertx);
    return closing;
  }

  private Future<Void> closeOnce(Vertx vertx) {
    io.vertx.core.Promise<Void> closed = io.vertx.core.Promise.promise();
    long timer = vertx.setTimer(POOLS_CLOSE_MS, t -> {
      if (closed.tryComplete()) log.warn("The database pools did not close within {} ms; going on", POOLS_CLOSE_MS);
    });
    Future.join(pool.close(), livePool.close()).onComplete(done -> {
      vertx.cancelTimer(timer);
      closed.tryComplete();
    });
    return closed.future().eventually(() -> embedded == null
        ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        }));
  }

  /**
   * The options of {@code DATABASE_URL}. A URL that cannot be read is refused without being repeated: its message
   * carried the password (an operator's probe: an unencoded {@code @} in it, or a trailing space, put it in the log).
   * TLS as libpq's {@code sslmode} means it: {@code require} (and {@code prefer}, {@code allow}) encrypts without
   * checking the server's certificate; the client was left without TLS options for them, so the start went on and
   * every request then failed (a NullPointerException per query). {@code verify-ca} and {@code verify-full}, which
   * need a trust store, are refused at the start rather than half-applied.
   */
  static PgConnectOptions external(String url) {
    PgConnectOptions connect;
    try {
      connect = PgConnectOptions.fromUri(url);
    } catch (RuntimeException unreadable) {
      throw new IllegalArgumentException("DATABASE_URL is not a PostgreSQL connection URI that can be read "
          + "(postgresql://user:password@host:port/database, one host): look for spaces, percent-encode every "
          + "character of the user and password but letters, digits and - . _ ~ ($ as %24, @ as %40, ' as %27), and "
          + "give sslmode one of disable, allow, prefer or require (it is not repeated here: it holds the password)");
    }
    io.vertx.pgclient.SslMode mode = connect.getSslMode();
    if (mode == io.vertx.pgclient.SslMode.VERIFY_CA || mode == io.vertx.pgclient.SslMode.VERIFY_FULL) {
      throw new IllegalArgumentException("DATABASE_URL's sslmode=" + mode.value + " is not supported: use "
          + "sslmode=require (encrypted, the certificate not checked), or a tunnel that checks it");
    }
    if (mode != null && mode != io.vertx.pgclient.SslMode.DISABLE && connect.getSslOptions() == null) {
      connect.setSslOptions(new io.vertx.core.net.ClientSSLOptions().setTrustAll(true)
          .setHostnameVerificationAlgorithm(""));
    }
    return connect;
  }

  /**
   * Refuses a schema a newer Parley has migrated past what this one knows (an older jar started after an upgrade, to
   * go back). Such a Parley used to serve on it with a WARN, as Flyway lets it, but its writes break what the newer
   * one keeps: an upgrade review found registrations failing on a newer check, and an email change or a rename made
   * by the older jar not seen by the newer one's keys once it was back (sign-in by the new address failed, the old
   * name stayed held). Going back is restoring the backup taken before the upgrade.
   */
  static void refuseNewer(Flyway flyway) {
    String newest = null;
    String known = null;
    for (org.flywaydb.core.api.MigrationInfo migration : flyway.info().all()) {
      if (migration.getVersion() == null) continue;
      // A newer migration that failed half-way (one outside a transaction) is newer all the same (a review).
      if (migration.getState() == org.flywaydb.core.api.MigrationState.FUTURE_SUCCESS
          || migration.getState() == org.flywaydb.core.api.MigrationState.FUTURE_FAILED) {
        newest = migration.getVersion().getVersion();
      } else if (migration.getState().isApplied()) {
        known = migration.getVersion().getVersion();
      }
    }
    if (newest != null) {
      throw new IllegalStateException("The database's schema is at version " + newest + ", newer than this Parley's "
          + "migrations reach (" + known + "): a newer Parley migrated it, and this one's writes would not keep what "
          + "that one keeps. Start the newer Parley, or, to go back a version, restore the backup taken before the "
          + "upgrade (README, \"Upgrading\")");
    }
  }

  /**
   * Gathers statistics for the schema's tables that have none, before migrations run: a migration that counts over
   * tables never analysed (after a restore with pg_restore, a major PostgreSQL upgrade or a bulk load) is planned
   * blind, and an upgrade review saw V39's recount of 500,000 comments run for over five minutes with no statistics
   * and in 2.7 s with them. Only when migrations are pending; a table with statistics is left alone.
   */
  static void analyzeBeforeMigrating(Flyway flyway) throws java.sql.SQLException {
    if (flyway.info().pending().length == 0) return;
    String[] schemas = flyway.getConfiguration().getSchemas();
    try (java.sql.Connection c = flyway.getConfiguration().getDataSource().getConnection()) {
      java.util.List<String> tables = new java.util.ArrayList<>();
      try (java.sql.PreparedStatement find = c.prepareStatement("""
          SELECT format('%I.%I', n.nspname, t.relname) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
           WHERE t.relkind IN ('r', 'p') AND n.nspname = COALESCE(?, current_schema())
             AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = t.relname)
           ORDER BY 1""")) {
        find.setString(1, schemas.length > 0 ? schemas[0] : null);
        try (java.sql.ResultSet rows = find.executeQuery()) {
          while (rows.next()) tables.add(rows.getString(1));
        }
      }
      long started = System.nanoTime();
      try (java.sql.Statement analyze = c.createStatement()) {
        for (String table : tables) analyze.execute("ANALYZE " + table);
      }
      if (!tables.isEmpty()) {
        log.info("Gathered statistics for {} tables that had none before migrating ({} ms)", tables.size(),
            (System.nanoTime() - started) / 1_000_000);
      }
    }
  }

  /**
   * Migrates, on a connection that may take {@code connectSeconds} (three times PARLEY_DB_TIMEOUT, 15 s by default,
   * room for a database still starting) to open and sign in before the start fails, saying so.
   */
  private static void migrate(PgConnectOptions connect, int connectSeconds) {
    // A database that takes the connection and never answers (frozen, or partitioned away after the handshake) kept
    // the start waiting without end, before any port listened (a probe). Connecting and signing in are bounded; a
    // migration's own statements are not, since one may rightly run for minutes on a large table.
    String jdbcUrl = "jdbc:postgresql://" + connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase()
        + "?connectTimeout=" + connectSeconds + "&loginTimeout=" + connectSeconds
        + (connect.getSslMode() != null ? "&sslmode=" + connect.getSslMode().name().toLowerCase().replace('_', '-') : "")
        // The schema the pools' connections use (DATABASE_URL's search_path): the migrations went to public while the
        // pools looked in that schema, and every request failed (an operator's probe).
        + (connect.getProperties().get("search_path") != null ? "&currentSchema="
            + java.net.URLEncoder.encode(connect.getProperties().get("search_path"), java.nio.charset.StandardCharsets.UTF_8) : "");
    org.flywaydb.core.api.output.MigrateResult result;
    Flyway flyway = Flyway.configure()
        .dataSource(jdbcUrl, connect.getUser(), connect.getPassword())
        .locations("classpath:db/migration")
        .load();
    try {
      refuseNewer(flyway);
      analyzeBeforeMigrating(flyway);
      result = flyway.migrate();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("Could not gather statistics before migrating: " + e.getMessage(), e);
    } catch (org.flywaydb.core.api.FlywayException e) {
      // The database could not be reached or signed in to: the operator's to fix, said in a line (Main logs an
      // IllegalStateException's message without the stack trace, which says nothing more).
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
            && java.util.List.of("08", "28", "3D", "53", "57").contains(sql.getSQLState().substring(0, 2))) {
          throw new IllegalStateException("The database at " + connect.getHost() + ":" + connect.getPort() + "/"
              + connect.getDatabase() + " could not be used (" + sql.getMessage() + ", SQLSTATE "
              + sql.getSQLState() + "); check DATABASE_URL and that PostgreSQL is up", e);
        }
        if (t instanceof java.sql.SQLException sql && "42501".equals(sql.getSQLState())) {
          // A role that may sign in but not create tables: Flyway's 60 lines of trace said it less plainly (a probe).
          throw new IllegalStateException("The migrations could not change the database at " + connect.getHost() + ":"
              + connect.getPort() + "/" + connect.getDatabase() + " as " + connect.getUser() + " (" + sql.getMessage()
              + ", SQLSTATE 42501): Parley's role must own the database, or be granted CREATE on its schema", e);
        }
      }
      throw e;
    }
    if (result.migrationsExecuted == 0) {
      log.info("Database schema is up to date with this Parley's migrations");
    } else {
      log.info("Database schema at version {} ({} migrations applied now)",
          result.targetSchemaVersion, result.migrationsExecuted);
    }
  }
}
