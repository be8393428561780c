package parley;

import io.vertx.core.Vertx;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import parley.config.AppConfig;
import parley.config.Holds;

import javax.sql.DataSource;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real Parley for tests: one embedded PostgreSQL and one running server per test JVM (started by the first
 * test class that asks), reached over real HTTP. Every test starts from empty tables. With -Dparley.contract=all,
 * every class's exchanges through {@link Api} are also checked against the OpenAPI document (see
 * parley.openapi.ContractCheck).
 *
 * <p>PostgreSQL logs every statement the server runs (tagged with the application name), so tests can count
 * queries per request.
 */
public final class TestParley implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

  public static final String JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789";
  public static final String APP_NAME = "parley-test";
  private static final long PID = ProcessHandle.current().pid();
  /** Per test JVM, so two runs side by side never share a data directory. */
  /** The servers' data directory (with DATABASE_URL set, only what they keep besides the database). */
  public static final Path DATA_DIR = Path.of("target", "test-data-" + PID).toAbsolutePath();
  public static final Path PG_LOG = Path.of("target", "test-postgres-" + PID + ".log").toAbsolutePath();

  private static Server server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server();
    if (parley.openapi.ContractCheck.enabled()) parley.openapi.ContractCheck.start();
  }

  /** With -Dparley.contract=all, every exchange of the class is validated against the OpenAPI document. */
  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (parley.openapi.ContractCheck.enabled()) {
      parley.openapi.ContractCheck.finish(context.getRequiredTestClass().getSimpleName());
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    truncate();
  }

  /** The shared server, started on first use. */
  public static synchronized Server server() throws Exception {
    if (server == null) {
      server = new Server();
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    }
    return server;
  }

  public static String baseUrl() {
    try {
      return "http://localhost:" + server().running.port();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A JDBC view of the test database, for assertions on what the server stored. */
  public static DataSource db() throws Exception {
    return server().db;
  }

  /** Runs a statement behind the servers' backs; their read caches forget everything, as no write told them. */
  public static void sql(String statement) throws Exception {
    try (Connection c = db().getConnection(); Statement s = c.createStatement()) {
      s.execute(statement);
    } finally {
      clearReadCaches();
    }
  }

  /** Every server started on the shared database (weakly: a stopped server's caches may go). */
  private static final java.util.Set<Main.Running> WATCHED =
      java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));

  private static Main.Running watched(Main.Running running) {
    WATCHED.add(running);
    return running;
  }

  /**
   * Tells every server's read cache and account cache that the database changed without a write they could hear of
   * (a truncation between tests restarts ids, so post 1 or user 1 of the next test is not the one a cache may hold;
   * a role set by SQL is no change the server was told of).
   */
  public static void clearReadCaches() {
    synchronized (WATCHED) {
      WATCHED.forEach(running -> {
        running.readCache().clear();
        running.accounts().clear();
      });
    }
  }

  /**
   * Waits until the shared server's notifier has made the notifications (and their events) of every write so far:
   * they are made just after a write commits, so a count taken right after its answer may come before them.
   */
  public static void notificationsMade() throws Exception {
    server().running().notifier().idle().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Something a test polls for: the server gives no event to await (PostgreSQL's view of its sessions, a counter). */
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** Polls {@code condition} until it holds, for up to 20 s; fails naming {@code what} otherwise. */
  public static void awaitUntil(Condition condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out: " + what);
      Thread.sleep(10);
    }
  }

  /** The shared server's gauge of that name, summed over its tags (its value now). */
  public static double gauge(String name) throws Exception {
    return server().running().meters().find(name).gauges().stream().mapToDouble(g -> g.value()).sum();
  }

  public static long count(String query) throws Exception {
    try (Connection c = db().getConnection(); Statement s = c.createStatement(); var rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Empties every table the tests write (see {@link #emptying}). */
  static void truncate() throws Exception {
    // The last test's notifications first: made after the rows are gone, a notification for one of its users went to
    // whoever took that id next (the ids start again), and a test then met a stranger's (a full run, 2026-12-07).
    notificationsMade();
    for (int attempt = 1; ; attempt++) {
      try {
        truncateOnce();
        clearReadCaches();
        return;
      } catch (java.sql.SQLException e) {
        // The server may still be finishing the last test's background work (the notifier); try again.
        if (!"40P01".equals(e.getSQLState()) || attempt == 5) throw e;
      }
    }
  }

  /** The tables emptied before each test; every table that refers to one of them is emptied too. */
  private static final String EMPTIED = "users, posts, comments, events, topic_seqs, reports, blocks, mod_log, "
      + "notification_sources, mod_filters, user_notes, webhooks, webhook_deliveries, webhook_positions, tag_counts, "
      + "listed_posts, report_targets, report_queue_counts";
  /** What emptying runs: found once, from the catalog (see {@link #emptying}). */
  private static List<String> emptying;

  /**
   * What {@code TRUNCATE ... RESTART IDENTITY CASCADE} of {@link #EMPTIED} does, as a lock of every table, a DELETE
   * of each and a restart of each sequence its identity columns own. TRUNCATE gives each of some 80 tables and
   * indexes a new file and took about 55 ms here even without fsync; a DELETE of a test's few rows about 9 ms: half a
   * minute a run.
   * In the replica role neither foreign keys nor triggers (the audit log refuses deletes) act, so every referring
   * table is named: the closure of the foreign keys pointing at these tables, as CASCADE would find it.
   */
  private static List<String> emptying(Statement s) throws java.sql.SQLException {
    List<String> statements = new java.util.ArrayList<>();
    List<String> tables = new java.util.ArrayList<>();
    try (var rs = s.executeQuery("WITH RECURSIVE emptied(rel) AS ("
        + "SELECT unnest(string_to_array(replace('" + EMPTIED + "', ' ', ''), ','))::regclass "
        + "UNION SELECT c.conrelid::regclass FROM pg_constraint c JOIN emptied e ON c.confrelid = e.rel "
        + "WHERE c.contype = 'f') SELECT rel::text FROM emptied ORDER BY 1")) {
      while (rs.next()) tables.add(rs.getString(1));
    }
    // First the locks TRUNCATE took: a server transaction still writing (a score event a moment after a vote, a
    // notification) finishes before the rows are read, and none starts until they are gone.
    statements.add("LOCK TABLE " + String.join(", ", tables) + " IN ACCESS EXCLUSIVE MODE");
    // The members' counts' fold waits (V39): it must not note an id of the rows about to go.
    statements.add("SELECT pg_advisory_xact_lock(" + parley.account.MemberCounts.FOLD_LOCK + ")");
    for (String table : tables) statements.add("DELETE FROM " + table);
    try (var rs = s.executeQuery("SELECT d.objid::regclass::text FROM pg_depend d JOIN pg_class q ON q.oid = d.objid "
        + "WHERE q.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
        + "AND d.deptype IN ('a', 'i') AND d.refobjid::regclass::text = ANY (string_to_array('"
        + String.join(",", tables) + "', ',')) ORDER BY 1")) {
      while (rs.next()) statements.add("ALTER SEQUENCE " + rs.getString(1) + " RESTART");
    }
    // The members' counts cover no comment (V39): the ids start again from 1.
    statements.add("UPDATE member_counts_mark SET upto = 0, next_upto = NULL, next_xmax = NULL");
    return statements;
  }

  private static void truncateOnce() throws Exception {
    try (Connection c = db().getConnection(); Statement s = c.createStatement()) {
      if (emptying == null) emptying = emptying(s);
      c.setAutoCommit(false);
      try {
        s.execute("SET LOCAL session_replication_role = replica");
        for (String statement : emptying) s.execute(statement);
        c.commit();
      } catch (java.sql.SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * Pauses the shared server's periodic jobs, once those under way have finished ({@link Jobs#pause}); the result ends
   * the pause. For a test that reads every change the database sees.
   */
  public static Runnable pauseJobs() throws Exception {
    return pauseJobs(server().running());
  }

  /** As {@link #pauseJobs()}, on a server of a test's own. */
  public static Runnable pauseJobs(Main.Running running) throws Exception {
    return running.jobs().pause().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Settings for a server on the shared test database; tests may start more with their own changes. */
  public static Map<String, String> environment() throws Exception {
    return environment(server().postgres.getPort());
  }

  /**
   * Starts another server on the shared test database with these settings changed, for tests that need limits or
   * timeouts the shared server must not have. The caller stops it.
   */
  public static Main.Running startServer(Map<String, String> changes) throws Exception {
    Map<String, String> env = environment();
    env.putAll(changes);
    return watched(Main.launch(AppConfig.from(env)).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS));
  }

  private static Map<String, String> environment(int postgresPort) {
    Map<String, String> env = new HashMap<>();
    env.put(AppConfig.PORT, "0");
    env.put(AppConfig.DATABASE_URL, "postgresql://postgres:postgres@localhost:" + postgresPort
        + "/postgres?application_name=" + APP_NAME);
    env.put(AppConfig.JWT_SECRET, JWT_SECRET);
    // What a node keeps in its data directory besides the embedded database (data exports on their way out): under
    // target/, not the working directory's ./data.
    env.put(AppConfig.DATA_DIR, DATA_DIR.toString());
    env.put(AppConfig.HTTP_INSTANCES, "2");
    env.put(AppConfig.ADMIN, "root_admin");
    env.put(AppConfig.SSE_HEARTBEAT, "1s");
    env.put(AppConfig.ALLOWED_ORIGINS, "http://allowed.example");
    env.put(AppConfig.LIVE_QUEUE_BYTES, "65536");
    env.put(AppConfig.SHUTDOWN_GRACE, "1s");
    // Argon2id at a test's cost: the suite registers and signs in some 2,000 times, 85 ms each at OWASP's cost on
    // the CI machine. PasswordCostTest checks the default cost on a server of its own.
    env.put(AppConfig.WEAK_PASSWORD_HASHING, "true");
    // Tests post far faster than people do; the rate-limit tests start their own server with real limits.
    AppConfig.DEFAULT_LIMITS.keySet().forEach(key -> env.put(key, "100000/1s"));
    // Every test account is minutes old: the shared server holds nothing by rule (ModerationQueueTest starts one
    // that does); filters, which are data, apply as they would anywhere.
    env.put(Holds.NEW_POSTS, "0");
    env.put(Holds.NEW_COMMENTS, "0");
    env.put(Holds.MAX_LINKS, "1000");
    // Webhooks are sent only by the servers the webhook tests start (on 127.0.0.1, which they allow); the shared
    // server would refuse their receivers' private address and get in the way.
    env.put(parley.config.WebhookSettings.DELIVER, "false");
    return env;
  }

  /** The embedded PostgreSQL and the server on it. */
  public static final class Server {
    final EmbeddedPostgres postgres;
    final Main.Running running;
    /** The tests' own connections to it, kept between uses ({@link KeptConnections}). */
    final DataSource db;

    Server() throws Exception {
      Path dir = Path.of("target", "test-postgres-" + PID).toAbsolutePath();
      Files.createDirectories(dir.getParent());
      File log = PG_LOG.toFile();
      postgres = EmbeddedPostgres.builder()
          .setDataDirectory(dir)
          .setCleanDataDirectory(true)
          .setServerConfig("log_statement", "all")
          .setServerConfig("log_line_prefix", "%a|")
          .setServerConfig("logging_collector", "off")
          .setServerConfig("fsync", "off")
          .setServerConfig("synchronous_commit", "off")
          .setServerConfig("full_page_writes", "off")
          .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log))
          .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log))
          .start();
      db = new KeptConnections(postgres.getPostgresDatabase());
      running = watched(Main.launch(AppConfig.from(environment(postgres.getPort())))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
    }

    public Main.Running running() {
      return running;
    }

    void close() {
      try {
        running.stop();
      } catch (Exception e) {
        // the JVM is exiting; PostgreSQL is stopped below either way
      }
      try {
        postgres.close();
      } catch (IOException e) {
        // best effort at exit
      }
    }
  }
}
