package parley;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.account.AccountCache;
import parley.account.Accounts;
import parley.account.PasswordHashing;
import parley.account.Tokens;
import parley.config.AppConfig;
import parley.db.Database;
import parley.deletion.AccountDeletion;
import parley.post.Posts;
import parley.screening.Screening;
import parley.db.EmbeddedDatabase;
import parley.events.CommitListeners;
import parley.events.EventLog;
import parley.http.ConnectionGuard;
import parley.http.Idempotency;
import parley.http.MetricsAccess;
import parley.http.RateLimiter;
import parley.live.LiveMeters;
import parley.web.Pages;
import parley.notification.Notifications;
import parley.notification.Notifier;
import parley.vote.ScoreBoard;
import parley.readcache.ReadCache;
import parley.live.Relay;
import parley.cluster.Cluster;
import parley.events.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts Parley: configuration, then the database and its migrations, then the HTTP verticles. SIGTERM (or
 * Ctrl-C) stops the servers first, then the database, so no request is cut off mid-transaction.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);
  private static final Duration PRUNE_EVERY = Duration.ofHours(1);
  /** The methods HTTP defines (RFC 9110, and PATCH): the metrics' only method labels besides "other". */
  private static final java.util.Set<String> HTTP_METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE",
      "CONNECT", "OPTIONS", "TRACE", "PATCH");
  private static final java.util.concurrent.atomic.AtomicInteger INSTANCES = new java.util.concurrent.atomic.AtomicInteger();

  /** How long a stopping node waits for the notifications of its last writes before it closes the database. */
  static final Duration NOTIFIER_WAIT = Duration.ofSeconds(5);

  /** A started Parley: what tests and the shutdown hook need to reach. */
  public record Running(Vertx vertx, Database database, AppConfig config, String deploymentId,
      AtomicBoolean draining, RouteTable restrictedRoutes, RouteTable routes, CommitListeners commits, Relay relay,
      PrometheusMeterRegistry meters, Cluster cluster, Notifier notifier, ScoreBoard scores,
      ConnectionGuard connectionGuard, ReadCache readCache, AccountCache accounts, Jobs jobs,
      PasswordHashing hashing, parley.cluster.NodeRoster roster) {

    public int port() {
      return config.port();
    }

    /**
     * Stops accepting requests, closes the database, then Vert.x, and waits for all three. Call it from a thread
     * that is not Vert.x's own (the shutdown hook, a test): a future that waits for Vert.x to close cannot be
     * completed on one of the event loops being closed.
     */
    public void stop() throws Exception {
      draining.set(true);
      Duration delay = config.shutdownDelay();
      if (!delay.isZero()) {
        // Not ready (/health/ready says 503) but still serving, so a load balancer sees the 503 and takes the node
        // out before it stops listening. Stopping at once left a 40 ms window: a balancer checking every few seconds
        // saw refused connections instead, and requests on its pooled connections were cut unanswered (a probe).
        log.info("Stopping: not ready, still serving for {} ms (PARLEY_SHUTDOWN_DELAY)", delay.toMillis());
        Thread.sleep(delay.toMillis());
      }
      try {
        // Long enough for the grace, then a clean stop of the embedded PostgreSQL (or its kill, when it does not
        // answer): the JVM must not exit before it, or the server is left running.
        vertx.undeploy(deploymentId)
            // The last writes' notifications, made after their commits, before their pool goes: closed under them
            // they waited for the next node's catch-up, a minute and more (a probe saw 84 s).
            .eventually(() -> notifier.idle().timeout(NOTIFIER_WAIT.toMillis(), TimeUnit.MILLISECONDS).otherwiseEmpty())
            // The other nodes count this one as stopped at once (a row left behind is read as stopped anyway).
            .eventually(() -> roster.leave().timeout(NOTIFIER_WAIT.toMillis(), TimeUnit.MILLISECONDS).otherwiseEmpty())
            .eventually(() -> database.close(vertx))
            .toCompletionStage().toCompletableFuture()
            .get(config.shutdownGrace().toSeconds() + 60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // The verticles did not stop in time: the database is closed anyway, so the embedded server does not outlive
        // the JVM.
        log.warn("The HTTP verticles did not stop within {} s; closing the database anyway",
            config.shutdownGrace().toSeconds() + 60);
        database.close(vertx).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        throw e;
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private Main() {
  }

  private static final java.util.Set<String> LOG_FORMATS = java.util.Set.of("text", "json");
  private static final java.util.Set<String> LOG_LEVELS =
      java.util.Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "ALL");

  /**
   * What is wrong with the logging settings logback reads itself ({@code PARLEY_LOG_FORMAT}, {@code PARLEY_LOG_LEVEL},
   * {@code PARLEY_ACCESS_LOG}), or null. Exact values: logback takes a level in any letter case, but no spaces, and
   * an appender's name only as written.
   */
  public static String logSettingsProblem(Map<String, String> env) {
    String format = env.get("PARLEY_LOG_FORMAT");
    if (format != null && !LOG_FORMATS.contains(format)) {
      return "PARLEY_LOG_FORMAT must be text or json, not '" + format + "'";
    }
    for (String name : List.of("PARLEY_LOG_LEVEL", "PARLEY_ACCESS_LOG")) {
      String level = env.get(name);
      if (level != null && !LOG_LEVELS.contains(level.toUpperCase(java.util.Locale.ROOT))) {
        return name + " must be one of TRACE, DEBUG, INFO, WARN, ERROR or OFF, not '" + level + "'";
      }
    }
    return null;
  }

  public static void main(String[] args) {
    // Read by logback from the environment, before Parley's own settings: a value logback does not know silenced
    // every line (a format) or meant DEBUG (a level), errors included (an operator's probe). Said on stderr, which
    // needs no logger.
    String logSettings = logSettingsProblem(System.getenv());
    if (logSettings != null) {
      System.err.println("Configuration error: " + logSettings);
      System.exit(2);
      return;
    }
    if (args.length > 0 && args[0].equals("backup")) {
      System.exit(backup(args));
      return;
    }
    if (args.length > 0) {
      System.err.println("Usage: java -jar parley.jar            (run Parley; settings from the environment)");
      System.err.println("       java -jar parley.jar backup DIR (back PARLEY_DATA_DIR up into the new directory DIR)");
      System.exit(2);
      return;
    }
    AppConfig config;
    try {
      config = AppConfig.fromEnvironment();
      MetricsAccess.ranges(config.metricsAllow());
      AppConfig.unknownSettings(System.getenv()).forEach(log::warn);
    } catch (IllegalArgumentException e) {
      log.error("Configuration error: {}", e.getMessage());
      System.exit(2);
      return;
    }
    // The hook is there before the start: one added after it left a SIGTERM during the start (systemd giving up on a
    // slow start, a deploy changing its mind) to exit at once, with the embedded PostgreSQL left running (an
    // operator's probe, 2026-12-05).
    CompletableFuture<Running> launched = new CompletableFuture<>();
    AtomicBoolean stopping = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(launched, stopping), "parley-shutdown"));
    launch(config)
        .onSuccess(running -> {
          launched.complete(running);
          if (!stopping.get()) log.info("Parley is listening on http://localhost:{}", running.port());
        })
        .onFailure(e -> {
          if (stopping.get()) {
            // Said before the hook, waiting for this, lets the JVM exit.
            log.info("The start was abandoned: Parley was asked to stop during it ({})", e.getMessage());
            launched.completeExceptionally(e);
            return;
          }
          // Completed first: System.exit runs the hook, which waits for it.
          launched.completeExceptionally(e);
          String file = fileProblem(e);
          if (file != null) {
            log.error("Parley could not start: {}", file);
            log.debug("Where the start failed", e);
          } else if (e instanceof IllegalStateException || e instanceof IllegalArgumentException) {
            // Parley's own words for what the operator must change (a port, a key, a setting): the trace only at
            // debug level.
            log.error("Parley could not start: {}", e.getMessage());
            log.debug("Where the start failed", e);
          } else {
            log.error("Parley could not start: {}", e.getMessage(), e);
          }
          System.exit(1);
        });
  }

  /**
   * A file the start could not use, in a line that says which and why, or null: a data directory that is a file, lies
   * under one, loops through links or cannot be written gave "Parley could not start: /path" and 15 lines of trace,
   * and a name the system's locale cannot write (LANG unset, as under systemd) "Malformed input …" (a review).
   */
  public static String fileProblem(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.nio.file.InvalidPathException invalid) {
        return "the path " + invalid.getInput() + " cannot be written in this system's locale (" + invalid.getReason()
            + "): set LANG=C.UTF-8, or use a path of ASCII letters (" + AppConfig.DATA_DIR + ", "
            + parley.config.BackupSettings.DIR + ")";
      }
      if (t instanceof java.nio.file.FileSystemException fs) {
        String why = fs instanceof java.nio.file.AccessDeniedException ? "permission denied"
            : fs instanceof java.nio.file.NotDirectoryException ? "a part of it is not a directory"
            : fs instanceof java.nio.file.FileAlreadyExistsException ? "it exists, and is not a directory"
            : fs instanceof java.nio.file.FileSystemLoopException ? "its links loop"
            : fs instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
            : fs.getReason() != null ? fs.getReason() : fs.getClass().getSimpleName();
        return fs.getFile() + " cannot be used (" + why + "): check " + AppConfig.DATA_DIR + " and the other paths "
            + "in the settings";
      }
    }
    return null;
  }

  /** {@code text} as one word for a POSIX shell: in single quotes, each of its own written {@code '\''}. */
  public static String shellQuoted(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  /**
   * {@code backup DIR}: the embedded database and Parley's keys, copied into a new directory that Parley can start on
   * ({@link parley.db.Backup}); while Parley runs or while it is stopped. Exit code 0 when done, 1 when it failed,
   * 2 when it was asked wrongly.
   */
  static int backup(String[] args) {
    return backup(args, System.getenv());
  }

  /**
   * The backup command, with the server's own settings ({@code env}, and the {@code PARLEY_CONFIG} file it names):
   * it read {@code PARLEY_DATA_DIR} from the environment alone, so with the data directory set in the file it looked
   * in ./data, and backed up an old database there if there was one (an operator's probe).
   */
  public static int backup(String[] args, Map<String, String> env) {
    if (args.length != 2) {
      System.err.println("Usage: java -jar parley.jar backup DIR   (DIR: a new or empty directory)");
      return 2;
    }
    AppConfig config;
    try {
      config = AppConfig.from(env);
    } catch (IllegalArgumentException e) {
      System.err.println("Configuration error: " + e.getMessage());
      return 2;
    }
    if (config.databaseUrl().isPresent()) {
      System.err.println("DATABASE_URL is set: Parley's data is in your PostgreSQL; back it up with its own tools "
          + "(pg_basebackup, pg_dump, your provider's snapshots).");
      return 2;
    }
    java.nio.file.Path dataDir = config.dataDir();
    long started = System.nanoTime();
    try {
      parley.db.Backup.Result done = parley.db.Backup.take(dataDir, java.nio.file.Path.of(args[1]));
      System.out.printf("Backed up %s into %s: %d files, %.1f MiB, %s, in %.1f s.%n", dataDir.toAbsolutePath(),
          done.target(), done.files(), done.bytes() / 1048576.0, done.online()
              ? "while Parley ran (write-ahead log " + done.startWal() + " to " + done.endWal() + ")"
              : "with Parley stopped", (System.nanoTime() - started) / 1e9);
      System.out.println("To restore: stop Parley, then start it with PARLEY_DATA_DIR="
          + shellQuoted(done.target().toString()) + " (as the user Parley runs as).");
      return 0;
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("No backup taken: " + e.getMessage());
      return 1;
    } catch (java.io.IOException | java.sql.SQLException e) {
      System.err.println("The backup failed: " + e + " (nothing was kept: " + args[1] + " is as it was)");
      return 1;
    }
  }

  /**
   * Starts Parley as configured: a Vert.x with its metrics (clustered over Hazelcast in cluster mode), then
   * everything on it. Port 0 picks a free port (used by the tests). A start that fails leaves nothing running.
   */
  public static Future<Running> launch(AppConfig config) {
    AppConfig resolved = config.port() == 0 ? withFreePort(config) : config;
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // A client names the method: a label per made-up one ("M123 /api/posts", answered 405) would add series, and
    // heap, for good (a probe's 28,000 of them filled it). HTTP's own methods keep their names; any other is "other".
    meters.config().meterFilter(MeterFilter.replaceTagValues(Label.HTTP_METHOD.toString(),
        method -> HTTP_METHODS.contains(method) ? method : "other"));
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        // Vert.x shares a registry between instances of one name in a JVM; each Parley keeps its own.
        .setRegistryName("parley-" + INSTANCES.incrementAndGet())
        .setJvmMetricsEnabled(true)
        // Routes by their template (/api/posts/:postId), never the raw path, and no event-bus addresses: a label
        // per thread or per junk URL would grow the series without bound.
        .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE,
            Label.POOL_NAME)))
        // Netty's epoll transport where it loads (Linux x86-64): fewer system calls and less garbage per socket
        // than NIO's selector, which thousands of idle live sockets and every fan-out pay for; NIO elsewhere.
        .setPreferNativeTransport(true);
    VertxBuilder builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(meters));
    if (!resolved.cluster()) {
      return start(builder.with(options).build(), resolved, meters, null);
    }
    if (resolved.clusterBusPort() != 0) {
      // Before Hazelcast joins: a taken bus port failed the start afterwards, with Netty's trace (a probe).
      try {
        checkPortFree(resolved.clusterHost(), AppConfig.CLUSTER_HOST, resolved.clusterBusPort(),
            AppConfig.CLUSTER_BUS_PORT);
      } catch (IllegalStateException taken) {
        return Future.failedFuture(taken);
      }
    }
    Cluster cluster = Cluster.of(resolved);
    options.setEventBusOptions(Cluster.busOptions(resolved));
    return builder.with(options).withClusterManager(cluster.manager()).buildClustered()
        .recover(e -> Future.failedFuture(Cluster.joinFailure(resolved, e)))
        .compose(vertx -> start(vertx, resolved, meters, cluster));
  }

  private static Future<Running> start(Vertx vertx, AppConfig config, PrometheusMeterRegistry meters,
      Cluster cluster) {
    // Completed outside Vert.x: when the start fails, the Vert.x it ran on is closing, and its event loops with it.
    Promise<Running> started = Promise.promise();
    io.micrometer.core.instrument.Counter poolRaces = io.micrometer.core.instrument.Counter
        .builder("parley_db_pool_timeout_races").description("The SQL pool's known harmless timeout race, seen")
        .register(meters);
    parley.db.PoolTimeoutRace.install(vertx, poolRaces::increment);
    if (vertx.isNativeTransportEnabled()) {
      log.info("Network transport: epoll");
    } else {
      log.info("Network transport: NIO (epoll unavailable: {})", vertx.unavailableNativeTransportCause());
    }
    if (config.weakPasswordHashing()) {
      log.warn("{}=true: new passwords are hashed at a test suite's cost (argon2id m=1 MiB, t=1), far cheaper to "
          + "guess than OWASP's minimum. Never set it where real people have accounts.", AppConfig.WEAK_PASSWORD_HASHING);
    }
    vertx.executeBlocking(() -> {
          checkPortFree(config.host(), AppConfig.HOST, config.port(), AppConfig.PORT);
          if (config.embeddedDatabase()) {
            EmbeddedDatabase.createPrivateDirectory(config.dataDir());
            // Before anything is written there (the signing key, the exports' folder).
            EmbeddedDatabase.checkOwner(config.dataDir());
          }
          parley.export.AccountExport.prepare(config.dataDir());
          String secret = Tokens.resolveSecret(config);
          if (cluster != null) cluster.checkSameSigningKey(secret);
          return secret;
        })
        .compose(secret -> Database.open(vertx, config).compose(database ->
            deploy(vertx, config, database, secret, meters, cluster)
                .recover(e -> database.close(vertx).transform(ignored -> Future.failedFuture(e)))))
        .onSuccess(started::complete)
        .onFailure(e -> {
          started.fail(e);
          vertx.close();
        });
    return started.future();
  }

  /**
   * Fails at once, saying why, when the HTTP port (or the cluster's bus port) cannot be had (another Parley or another
   * program listens there, or the host is none of this machine's): otherwise that shows only when the server binds,
   * after the database has started and migrated, seconds later (the bus port's, with a trace).
   */
  private static void checkPortFree(String host, String hostSetting, int port, String portSetting) {
    java.net.InetSocketAddress address = new java.net.InetSocketAddress(host, port);
    // Said for what it is: an address this machine does not have was blamed on another Parley listening (a probe).
    if (address.isUnresolved()) {
      throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + hostSetting + " '" + host
          + "' is not a name this machine can resolve; it must be one of this machine's addresses (0.0.0.0 for all)");
    }
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(address);
    } catch (java.net.BindException e) {
      if (e.getMessage() != null && e.getMessage().contains("in use")) {
        throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + "): another "
            + "Parley or another program may be listening there; " + portSetting + " sets the port");
      }
      throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + "): "
          + hostSetting + " must be one of this machine's addresses (0.0.0.0 for all)");
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")");
    }
  }

  private static Future<Running> deploy(Vertx vertx, AppConfig config, Database database, String secret,
      PrometheusMeterRegistry meters, Cluster cluster) {
    return Pages.Templates.load(vertx).compose(pages -> deploy(vertx, config, database, secret, meters, cluster, pages));
  }

  private static Future<Running> deploy(Vertx vertx, AppConfig config, Database database, String secret,
      PrometheusMeterRegistry meters, Cluster cluster, Pages.Templates pages) {
    // Background work (the jobs, the notifier, the webhook sender, the score board) may wait out a stalled
    // database: it uses the pool without the requests' deadline.
    EventLog events = new EventLog(vertx, database.background());
    // Set when the node stops, or when this start fails: the jobs and the webhook sender started here then expect
    // their pool to close under them, and say so quietly.
    AtomicBoolean draining = new AtomicBoolean();
    Jobs jobs = new Jobs(vertx, database.background(), draining::get);
    jobs.schedule("prune-events", PRUNE_EVERY, () -> events.prune(config.eventRetention(), config.eventRetentionCount())
        .onSuccess(n -> {
          if (n > 0) log.info("Pruned {} events past retention", n);
        }));
    jobs.schedule("prune-idempotency-keys", PRUNE_EVERY, () -> Idempotency.prune(database.background(), config.idempotencyTtl()));
    jobs.schedule("prune-notifications", PRUNE_EVERY,
        () -> Notifications.prune(database.background(), config.notificationRetention()));
    // New comments counted into their authors' kept counts, a minute or so after they commit (MemberCounts); the
    // job's node warns when a transaction left open holds the fold back, and every node shows how far behind it is.
    parley.account.MemberCounts.Lag countsLag = new parley.account.MemberCounts.Lag(database.background(), meters);
    jobs.schedule("fold-member-counts", Jobs.OFFER_EVERY,
        () -> parley.account.MemberCounts.fold(database.background()).compose(n -> countsLag.warnIfStalled()));
    // The report queue's kept totals (V40): their changes summed into one row a status.
    jobs.schedule("compact-report-queue-counts", Jobs.OFFER_EVERY,
        () -> parley.report.Reports.compactQueueCounts(database.background()));
    vertx.setPeriodic(1, Jobs.OFFER_EVERY.toMillis(), id -> {
      if (draining.get()) {
        vertx.cancelTimer(id);
      } else {
        countsLag.look().onFailure(e -> log.debug("Could not read how far the members' counts are behind: {}", e.toString()));
      }
    });
    // One limiter for the whole node, shared by every HTTP verticle; in cluster mode its REST buckets are the
    // cluster's.
    RateLimiter limits = cluster == null
        ? new RateLimiter(config, meters)
        : new RateLimiter(config, vertx, cluster.hazelcast().getMap(Cluster.RATE_LIMITS_MAP), meters);
    Gauge.builder("parley_cluster_members", () -> cluster == null ? 1 : cluster.members())
        .description("Nodes in the cluster, as this node sees them (1 when not clustered)").register(meters);
    CommitListeners commits = new CommitListeners();
    // The first listener: what a write made stale is retired before anything else hears of it (and before the
    // write answers its caller).
    ReadCache readCache = new ReadCache(config.readCache(), meters);
    commits.add(readCache::committed);
    readCache.listen(vertx);
    AccountCache accounts = new AccountCache(config.readCache(), meters);
    accounts.listen(vertx);
    countPublished(commits, meters);
    // Notifications follow committed writes; the catch-up makes any a crash cut off (each is made once).
    Notifier notifier = new Notifier(vertx, database.background(), new EventLog(vertx, database.background(), commits));
    commits.add(notifier::committed);
    jobs.schedule("notification-catch-up", Jobs.OFFER_EVERY, () -> notifier.catchUp(Duration.ofMinutes(10), Duration.ofSeconds(10)));
    jobs.schedule("prune-notification-sources", PRUNE_EVERY, () -> Notifier.prune(database.background(), Duration.ofDays(1)));
    // A deleted account's erasure, finished by the cluster should its request have been cut off (and looked at again
    // for a comment written just after it).
    EventLog deletes = new EventLog(vertx, database.background(), commits);
    AccountDeletion deletions = new AccountDeletion(vertx, database.background(), deletes,
        new Posts(database.background(), deletes, new Screening(config.holds())));
    jobs.schedule("finish-account-deletions", Jobs.OFFER_EVERY, () -> deletions.finishPending().onSuccess(n -> {
      if (n > 0) log.debug("Looked again at {} deleted accounts' content", n);
    }));
    // Backups of the embedded database, when asked for (PARLEY_BACKUP_DIR; AppConfig refuses it with DATABASE_URL).
    if (config.backups().on()) {
      new parley.db.BackupSchedule(vertx, config.dataDir(), config.backups(), meters, draining::get).start();
    }
    // Webhooks: every node offers to send (one node per endpoint at a time); see docs/WEBHOOKS.md.
    new parley.webhook.Sender(vertx, database.background(), config.webhooks(), draining::get).start();
    jobs.schedule("prune-webhook-deliveries", PRUNE_EVERY,
        () -> parley.webhook.Webhooks.prune(database.background(), config.webhooks().logRetention()));
    NodeState node = new NodeState(limits, cluster == null ? Accounts.loginThrottle(config)
            : Accounts.loginThrottle(config, vertx, cluster.hazelcast()),
        new ConnectionGuard(config.maxConnectionsPerIp(), config.httpHeaderTimeout(), config.trustedProxies()),
        new parley.http.ReadTurns(config.maxReadsPerIp(), config.databaseTimeout(), config.trustedProxies()),
        draining, new RouteTable(), new RouteTable(), commits, new Relay(vertx), new LiveMeters(meters), meters, pages,
        new ScoreBoard(vertx, database.background(), new EventLog(vertx, database.background(), commits), readCache),
        parley.search.Search.slots(config.searchConcurrency()), parley.export.AccountExport.slots(),
        parley.export.AccountExport.outgoing(), readCache, accounts,
        new PasswordHashing(vertx, config.passwordHashing()), new parley.comment.CommentWriter.Writers());
    Gauge.builder("parley_search_in_flight", node.searches(), parley.http.Slots::inFlight)
        .description("Searches running on this node (at most PARLEY_SEARCH_CONCURRENCY)").register(meters);
    Gauge.builder("parley_reads_waiting", node.reads(), parley.http.ReadTurns::waiting)
        .description("API reads waiting for their client address's turn on this node (PARLEY_MAX_READS_PER_IP)")
        .register(meters);
    io.micrometer.core.instrument.FunctionCounter.builder("parley_reads_turned_away", node.reads(),
            parley.http.ReadTurns::turnedAway)
        .description("API reads answered 503 after waiting PARLEY_DB_TIMEOUT for their client address's turn")
        .register(meters);
    Gauge.builder("parley_password_hashing_admitted", node.hashing(), PasswordHashing::admitted)
        .description("Password hashes and checks running or waiting on this node (at most "
            + "PARLEY_PASSWORD_HASHING_THREADS + PARLEY_PASSWORD_HASHING_QUEUE)").register(meters);
    io.micrometer.core.instrument.FunctionCounter.builder("parley_password_hashing_refusals", node.hashing(),
            PasswordHashing::refused)
        .description("Registrations, sign-ins and password changes answered 503 because every hashing thread and "
            + "queue place was taken").register(meters);
    vertx.setPeriodic(60_000, id -> node.sweep());
    Future<Void> introduced = cluster == null ? Future.succeededFuture() : cluster.introduce(vertx);
    // Which nodes serve from this database, to say so when one does outside this node's cluster.
    parley.http.ThrottledWarning rosterUnread = new parley.http.ThrottledWarning(log, java.time.Duration.ofMinutes(10));
    parley.cluster.NodeRoster roster = new parley.cluster.NodeRoster(database.background(),
        cluster == null ? java.util.UUID.randomUUID().toString() : cluster.manager().getNodeId(),
        config.cluster() ? config.clusterName() : null,
        (config.cluster() ? config.clusterHost() : HOST_NAME) + ":" + config.port() + " (pid "
            + ProcessHandle.current().pid() + ")",
        () -> cluster == null ? List.of() : cluster.manager().getNodes(), parley.cluster.NodeRoster.OF_THIS_PROCESS);
    Gauge.builder("parley_caches_bypassed", readCache, cache -> cache.bypassed() ? 1 : 0)
        .description("1 while this node's read and account caches stand aside for a node writing to its database "
            + "outside its cluster (every read then goes to the database)").register(meters);
    Gauge.builder("parley_nodes_outside_cluster", roster, parley.cluster.NodeRoster::outside)
        .description("Nodes serving from this node's database outside its cluster, as its last look found them "
            + "(every 10 s): their writes reach this node's live readers only when they reconnect").register(meters);
    return Future.all(node.relay().pin(Topics.FEED), node.relay().pin(Topics.MOD), introduced)
        .compose(v -> roster.join())
        .onSuccess(v -> vertx.setPeriodic(parley.cluster.NodeRoster.BEAT.toMillis(), id -> {
          if (draining.get()) {
            vertx.cancelTimer(id);
          } else {
            // While one may be writing, its writes never reach this node's invalidations: the caches stand aside.
            roster.beat().onSuccess(counted -> {
              rosterUnread.recovered();
              java.util.Set<String> writing = roster.freshOutside();
              boolean aside = !writing.isEmpty();
              if (aside != readCache.bypassed()) {
                if (aside) {
                  log.info("The read and account caches stand aside: a node outside this one's cluster may be "
                      + "writing to its database ({})", String.join(", ", writing));
                } else {
                  log.info("The read and account caches are back: no node outside this one's cluster writes to its "
                      + "database");
                }
              }
              readCache.bypass(aside);
              accounts.bypass(aside);
            }).onFailure(e -> rosterUnread.warn("The node roster could not be read (the caches stay as they are: {}): "
                + "{}", readCache.bypassed() ? "bypassed" : "on", e.toString()));
          }
        }))
        .compose(v -> Accounts.promoteConfiguredAdmin(database.background(), config.admin(), accounts))
        .compose(v -> vertx.deployVerticle(() -> new HttpVerticle(config, database, secret, node),
            new DeploymentOptions().setInstances(config.httpInstances())))
        .map(id -> new Running(vertx, database, config, id, node.draining(), node.restrictedRoutes(), node.routes(),
            node.commits(), node.relay(), meters, cluster, notifier, node.scores(), node.connections(),
            readCache, accounts, jobs, node.hashing(), roster))
        .onFailure(e -> draining.set(true));
  }

  /** Events this node's writes published, by topic kind. */
  private static void countPublished(CommitListeners commits, PrometheusMeterRegistry meters) {
    Map<String, Counter> published = new HashMap<>();
    for (String kind : Topics.KINDS) {
      published.put(kind, Counter.builder("parley_events_published").tag("kind", kind)
          .description("Events this node's writes committed and published").register(meters));
    }
    commits.add(committed -> committed.forEach(e -> published.get(Topics.kind(e.topic())).increment()));
  }

  /** This machine's name, for the other nodes' warnings; read once, when Main is first used (never on a loop). */
  private static final String HOST_NAME = hostName();

  private static String hostName() {
    try {
      String name = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
      if (!name.isEmpty()) return name;
    } catch (IOException | RuntimeException e) {
      // not Linux: the name below
    }
    String env = System.getenv("HOSTNAME");
    return env == null || env.isBlank() ? "an unnamed host" : env.strip();
  }

  /** How long a stop asked for during the start waits for the start to give up, or to end, before the JVM exits. */
  private static final Duration ABANDON_WAIT = Duration.ofSeconds(60);

  /**
   * The JVM's shutdown (SIGTERM, Ctrl-C): a started Parley stops as {@link Running#stop} says; one still starting
   * has its embedded PostgreSQL stopped at once (or as soon as it is up), which makes the start fail, and a start
   * that ends anyway (an external database, nothing of its own left to stop) is stopped when it does.
   */
  private static void stop(CompletableFuture<Running> launched, AtomicBoolean stopping) {
    stopping.set(true);
    if (!launched.isDone()) {
      log.info("Stopping during the start: its database is stopped, and the start abandoned");
      EmbeddedDatabase.stopForShutdown();
    }
    Running running;
    try {
      running = launched.get(ABANDON_WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException failed) {
      // A failed start closed what it had opened on its way out.
      return;
    } catch (java.util.concurrent.TimeoutException e) {
      log.warn("The start did not end within {} s of the stop; exiting without it", ABANDON_WAIT.toSeconds());
      EmbeddedDatabase.stopForShutdown();
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    stopQuietly(running);
  }

  private static void stopQuietly(Running running) {
    log.info("Shutting down");
    try {
      running.stop();
    } catch (Exception e) {
      log.warn("Shutdown did not finish cleanly: {}", e.toString());
    }
  }

  private static AppConfig withFreePort(AppConfig config) {
    try (ServerSocket socket = new ServerSocket(0)) {
      return config.withPort(socket.getLocalPort());
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }
}
