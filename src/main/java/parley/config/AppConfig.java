package parley.config;

import io.vertx.core.json.JsonObject;
import parley.http.Origins;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting Parley reads, built once at start-up from environment variables and, optionally, a JSON file
 * named by {@code PARLEY_CONFIG} (environment variables win). Each key, its default and its meaning are listed
 * in the README's configuration table.
 */
public record AppConfig(
    String host,
    int port,
    Optional<String> publicUrl,
    Path dataDir,
    Optional<String> databaseUrl,
    int databasePoolSize,
    int databasePoolQueue,
    Duration databaseTimeout,
    Duration databaseDeadline,
    Duration databaseMaxLifetime,
    int databaseLivePoolSize,
    Optional<String> jwtSecret,
    Duration tokenTtl,
    Optional<String> admin,
    int httpInstances,
    Duration shutdownGrace,
    Duration shutdownDelay,
    List<String> allowedOrigins,
    Duration eventRetention,
    long eventRetentionCount,
    int liveQueueBytes,
    Duration liveMaxLag,
    Duration sseHeartbeat,
    List<String> trustedProxies,
    Duration httpIdleTimeout,
    Duration httpHeaderTimeout,
    int maxConnectionsPerIp,
    int maxReadsPerIp,
    Duration idempotencyTtl,
    int loginFreeFailures,
    Duration loginMaxDelay,
    Duration notificationRetention,
    boolean cluster,
    String clusterName,
    String clusterHost,
    int clusterPort,
    int clusterBusPort,
    List<String> clusterMembers,
    Duration clusterJoinTimeout,
    List<String> metricsAllow,
    Holds holds,
    boolean downvotes,
    Duration searchTimeout,
    int searchConcurrency,
    int searchRankLimit,
    int commentGroupSize,
    Map<String, Limit> limits,
    WebhookSettings webhooks,
    ReadCacheSettings readCache,
    PasswordHashingSettings passwordHashing,
    BackupSettings backups) {

  public static final String CONFIG_FILE = "PARLEY_CONFIG";
  public static final String HOST = "PARLEY_HOST";
  public static final String PORT = "PARLEY_PORT";
  /**
   * The origin readers reach Parley at ({@code https://forum.example.org}): the Atom feeds' absolute URLs and ids are
   * built on it, whatever {@code Host} a request carries, and its pages may open live sockets.
   */
  public static final String PUBLIC_URL = "PARLEY_PUBLIC_URL";
  public static final String DATA_DIR = "PARLEY_DATA_DIR";
  public static final String DATABASE_URL = "DATABASE_URL";
  public static final String DATABASE_POOL_SIZE = "PARLEY_DB_POOL_SIZE";
  /** The connections both pools may hold together on the embedded database (which takes 100 in all). */
  static final int EMBEDDED_POOLS_MAX = 90;
  public static final String DATABASE_POOL_QUEUE = "PARLEY_DB_POOL_QUEUE";
  public static final String DATABASE_TIMEOUT = "PARLEY_DB_TIMEOUT";
  public static final String DATABASE_MAX_LIFETIME = "PARLEY_DB_MAX_LIFETIME";
  /** How long a request's statements may go unanswered (the wait for a connection included) before a 503. */
  public static final String DATABASE_DEADLINE = "PARLEY_DB_DEADLINE";
  public static final String DATABASE_LIVE_POOL_SIZE = "PARLEY_DB_LIVE_POOL_SIZE";
  public static final String JWT_SECRET = "PARLEY_JWT_SECRET";
  public static final String TOKEN_TTL = "PARLEY_TOKEN_TTL";
  public static final String ADMIN = "PARLEY_ADMIN";
  public static final String HTTP_INSTANCES = "PARLEY_HTTP_INSTANCES";
  static final int MAX_HTTP_INSTANCES = 256;
  /** Argon2id at a test suite's cost instead of OWASP's minimum: for tests only, warned about at start. */
  public static final String WEAK_PASSWORD_HASHING = PasswordHashingSettings.WEAK;
  public static final String SHUTDOWN_GRACE = "PARLEY_SHUTDOWN_GRACE";
  /**
   * How long a node that was told to stop goes on serving, not ready, before it stops listening: a load balancer
   * takes it out when its readiness check says 503, and sends nothing more once it has.
   */
  public static final String SHUTDOWN_DELAY = "PARLEY_SHUTDOWN_DELAY";
  public static final String ALLOWED_ORIGINS = "PARLEY_ALLOWED_ORIGINS";
  public static final String EVENT_RETENTION = "PARLEY_EVENT_RETENTION";
  public static final String EVENT_RETENTION_COUNT = "PARLEY_EVENT_RETENTION_COUNT";
  public static final String LIVE_QUEUE_BYTES = "PARLEY_LIVE_QUEUE_BYTES";
  public static final String LIVE_MAX_LAG = "PARLEY_LIVE_MAX_LAG";
  public static final String SSE_HEARTBEAT = "PARLEY_SSE_HEARTBEAT";
  public static final String TRUSTED_PROXIES = "PARLEY_TRUSTED_PROXIES";
  public static final String HTTP_IDLE_TIMEOUT = "PARLEY_HTTP_IDLE_TIMEOUT";
  public static final String HTTP_HEADER_TIMEOUT = "PARLEY_HTTP_HEADER_TIMEOUT";
  public static final String MAX_CONNECTIONS_PER_IP = "PARLEY_MAX_CONNECTIONS_PER_IP";
  public static final String MAX_READS_PER_IP = "PARLEY_MAX_READS_PER_IP";
  public static final String IDEMPOTENCY_TTL = "PARLEY_IDEMPOTENCY_TTL";
  public static final String LOGIN_FREE_FAILURES = "PARLEY_LOGIN_FREE_FAILURES";
  public static final String LOGIN_MAX_DELAY = "PARLEY_LOGIN_MAX_DELAY";
  public static final String NOTIFICATION_RETENTION = "PARLEY_NOTIFICATION_RETENTION";
  public static final String CLUSTER = "PARLEY_CLUSTER";
  public static final String CLUSTER_NAME = "PARLEY_CLUSTER_NAME";
  public static final String CLUSTER_HOST = "PARLEY_CLUSTER_HOST";
  public static final String CLUSTER_PORT = "PARLEY_CLUSTER_PORT";
  public static final String CLUSTER_BUS_PORT = "PARLEY_CLUSTER_BUS_PORT";
  public static final String CLUSTER_MEMBERS = "PARLEY_CLUSTER_MEMBERS";
  /** How long a node may take to join the cluster (or to find it has none to join and form one) before it gives up. */
  public static final String CLUSTER_JOIN_TIMEOUT = "PARLEY_CLUSTER_JOIN_TIMEOUT";
  public static final String METRICS_ALLOW = "PARLEY_METRICS_ALLOW";
  /** Whether readers may vote down as well as up (off: votes are likes). */
  public static final String DOWNVOTES = "PARLEY_DOWNVOTES";
  /** How long one search may run in PostgreSQL before it is cancelled and answered 422 search-too-broad. */
  public static final String SEARCH_TIMEOUT = "PARLEY_SEARCH_TIMEOUT";
  /** Searches one node runs at once; more are answered 503 at once, so searches never take every connection. */
  public static final String SEARCH_CONCURRENCY = "PARLEY_SEARCH_CONCURRENCY";
  /**
   * The most matches one search ranks: a word that matches more (by an estimate) is ranked among its newest matches
   * only, so a common word costs about what a rare one does. At most {@link #MAX_SEARCH_RANK_LIMIT}.
   */
  public static final String SEARCH_RANK_LIMIT = "PARLEY_SEARCH_RANK_LIMIT";
  /**
   * The largest rank limit: such a search reads up to ten times as many rows newest first, a million here, which is
   * already more than a search timeout of seconds lets PostgreSQL read; a larger value would only look like a bound.
   */
  public static final int MAX_SEARCH_RANK_LIMIT = 100_000;
  /**
   * The most new comments one transaction writes together: comments that arrive while their event loop's group is
   * committing go together in the next one (1: every comment in its own transaction).
   */
  public static final String COMMENT_GROUP_SIZE = "PARLEY_COMMENT_GROUP_SIZE";

  // Rate limits ("count/window"), per account unless the name says IP; _NEW applies to accounts under a day old.
  public static final String LIMIT_POSTS = "PARLEY_LIMIT_POSTS";
  public static final String LIMIT_POSTS_NEW = "PARLEY_LIMIT_POSTS_NEW";
  public static final String LIMIT_POSTS_IP = "PARLEY_LIMIT_POSTS_IP";
  public static final String LIMIT_COMMENTS = "PARLEY_LIMIT_COMMENTS";
  public static final String LIMIT_COMMENTS_NEW = "PARLEY_LIMIT_COMMENTS_NEW";
  public static final String LIMIT_COMMENTS_IP = "PARLEY_LIMIT_COMMENTS_IP";
  public static final String LIMIT_REPORTS = "PARLEY_LIMIT_REPORTS";
  public static final String LIMIT_EDITS = "PARLEY_LIMIT_EDITS";
  public static final String LIMIT_RENAMES = "PARLEY_LIMIT_RENAMES";
  public static final String LIMIT_EMAIL_CHANGES = "PARLEY_LIMIT_EMAIL_CHANGES";
  public static final String LIMIT_VOTES = "PARLEY_LIMIT_VOTES";
  public static final String LIMIT_BLOCKS = "PARLEY_LIMIT_BLOCKS";
  public static final String LIMIT_REGISTRATIONS_IP = "PARLEY_LIMIT_REGISTRATIONS_IP";
  public static final String LIMIT_FAILED_LOGINS_IP = "PARLEY_LIMIT_FAILED_LOGINS_IP";
  public static final String LIMIT_EXPORTS = "PARLEY_LIMIT_EXPORTS";
  // Live sockets: frames a client sends and topics it registers, per socket and per client address.
  public static final String LIMIT_LIVE_FRAMES = "PARLEY_LIMIT_LIVE_FRAMES";
  public static final String LIMIT_LIVE_FRAMES_IP = "PARLEY_LIMIT_LIVE_FRAMES_IP";
  public static final String LIMIT_LIVE_REGISTERS = "PARLEY_LIMIT_LIVE_REGISTERS";
  public static final String LIMIT_LIVE_REGISTERS_IP = "PARLEY_LIMIT_LIVE_REGISTERS_IP";

  /** The default of every limit, in the README's table too. */
  public static final Map<String, String> DEFAULT_LIMITS = Map.ofEntries(
      Map.entry(LIMIT_POSTS, "5/10m"),
      Map.entry(LIMIT_POSTS_NEW, "2/10m"),
      Map.entry(LIMIT_POSTS_IP, "20/10m"),
      Map.entry(LIMIT_COMMENTS, "10/1m"),
      Map.entry(LIMIT_COMMENTS_NEW, "3/1m"),
      Map.entry(LIMIT_COMMENTS_IP, "60/1m"),
      Map.entry(LIMIT_REPORTS, "20/1h"),
      Map.entry(LIMIT_EDITS, "30/10m"),
      Map.entry(LIMIT_RENAMES, "3/1d"),
      Map.entry(LIMIT_EMAIL_CHANGES, "5/1d"),
      Map.entry(LIMIT_VOTES, "120/1m"),
      Map.entry(LIMIT_BLOCKS, "60/10m"),
      Map.entry(LIMIT_REGISTRATIONS_IP, "5/1h"),
      Map.entry(LIMIT_FAILED_LOGINS_IP, "10/15m"),
      Map.entry(LIMIT_EXPORTS, "5/1d"),
      Map.entry(LIMIT_LIVE_FRAMES, "120/1m"),
      Map.entry(LIMIT_LIVE_FRAMES_IP, "6000/1m"),
      Map.entry(LIMIT_LIVE_REGISTERS, "128/1m"),
      Map.entry(LIMIT_LIVE_REGISTERS_IP, "1200/1m"));

  public AppConfig {
    if (port < 0 || port > 65535) throw new IllegalArgumentException(PORT + " must be between 0 and 65535");
    if (databasePoolSize < 1) throw new IllegalArgumentException(DATABASE_POOL_SIZE + " must be at least 1");
    if (databasePoolQueue < 1) throw new IllegalArgumentException(DATABASE_POOL_QUEUE + " must be at least 1");
    positive(DATABASE_TIMEOUT, databaseTimeout);
    atMost(DATABASE_TIMEOUT, databaseTimeout, Duration.ofMinutes(10), "10m");
    atMost(DATABASE_DEADLINE, databaseDeadline, Duration.ofMinutes(30), "30m");
    atMost(SEARCH_TIMEOUT, searchTimeout, Duration.ofMinutes(5), "5m");
    atMost(HTTP_HEADER_TIMEOUT, httpHeaderTimeout, Duration.ofMinutes(10), "10m");
    atMost(SHUTDOWN_GRACE, shutdownGrace, Duration.ofMinutes(10), "10m");
    atMost(CLUSTER_JOIN_TIMEOUT, clusterJoinTimeout, Duration.ofMinutes(10), "10m");
    if (databaseDeadline.compareTo(databaseTimeout) <= 0) {
      throw new IllegalArgumentException(DATABASE_DEADLINE + " must be longer than " + DATABASE_TIMEOUT
          + " (it includes the wait for a connection)");
    }
    if (databaseLivePoolSize < 1) throw new IllegalArgumentException(DATABASE_LIVE_POOL_SIZE + " must be at least 1");
    positive(DATABASE_MAX_LIFETIME, databaseMaxLifetime);
    positive(HTTP_IDLE_TIMEOUT, httpIdleTimeout);
    positive(HTTP_HEADER_TIMEOUT, httpHeaderTimeout);
    if (maxConnectionsPerIp < 1) throw new IllegalArgumentException(MAX_CONNECTIONS_PER_IP + " must be at least 1");
    if (maxReadsPerIp < 1) throw new IllegalArgumentException(MAX_READS_PER_IP + " must be at least 1");
    positive(IDEMPOTENCY_TTL, idempotencyTtl);
    if (loginFreeFailures < 1) throw new IllegalArgumentException(LOGIN_FREE_FAILURES + " must be at least 1");
    positive(LOGIN_MAX_DELAY, loginMaxDelay);
    positive(NOTIFICATION_RETENTION, notificationRetention);
    if (searchTimeout.toMillis() < 1) throw new IllegalArgumentException(SEARCH_TIMEOUT + " must be at least 1ms");
    if (searchTimeout.compareTo(databaseDeadline) >= 0) {
      // Past the deadline a long search would be answered 503 "database unavailable" (and logged as an outage)
      // instead of 422 search-too-broad when PostgreSQL cancels it.
      throw new IllegalArgumentException(SEARCH_TIMEOUT + " must be shorter than " + DATABASE_DEADLINE);
    }
    if (searchConcurrency < 1) throw new IllegalArgumentException(SEARCH_CONCURRENCY + " must be at least 1");
    if (searchConcurrency >= databasePoolSize && databasePoolSize > 1) {
      // Searches holding every connection left none for writes and pages, each waiting up to a search's timeout.
      throw new IllegalArgumentException(SEARCH_CONCURRENCY + " (" + searchConcurrency + ") must be below "
          + DATABASE_POOL_SIZE + " (" + databasePoolSize + "): searches would hold every connection");
    }
    if (searchRankLimit < 1 || searchRankLimit > MAX_SEARCH_RANK_LIMIT) {
      throw new IllegalArgumentException(SEARCH_RANK_LIMIT + " must be from 1 to " + MAX_SEARCH_RANK_LIMIT);
    }
    if (commentGroupSize < 1 || commentGroupSize > 1_000) {
      throw new IllegalArgumentException(COMMENT_GROUP_SIZE + " must be 1 to 1000");
    }
    if (clusterPort < 1 || clusterPort > 65535) throw new IllegalArgumentException(CLUSTER_PORT + " must be a port");
    if (clusterBusPort < 0 || clusterBusPort > 65535) {
      throw new IllegalArgumentException(CLUSTER_BUS_PORT + " must be a port, or 0 for any free one");
    }
    // The same port for the cluster and for HTTP failed after the cluster was joined, blaming PARLEY_PORT (a review).
    if (cluster && port != 0 && (clusterPort == port || clusterBusPort == port)) {
      throw new IllegalArgumentException((clusterPort == port ? CLUSTER_PORT : CLUSTER_BUS_PORT) + " must differ from "
          + PORT + " (" + port + "), which HTTP listens on");
    }
    if (cluster && databaseUrl.isEmpty()) {
      throw new IllegalArgumentException(CLUSTER + "=true needs " + DATABASE_URL
          + ": the nodes of a cluster share one PostgreSQL (see docs/SCALING.md)");
    }
    // The embedded PostgreSQL takes 100 connections (EmbeddedDatabase), some of them for its own work, a backup's and
    // the migrations': pools past it failed requests with "too many clients already" under load (a review).
    if (databaseUrl.isEmpty() && databasePoolSize + databaseLivePoolSize > EMBEDDED_POOLS_MAX) {
      throw new IllegalArgumentException(DATABASE_POOL_SIZE + " + " + DATABASE_LIVE_POOL_SIZE + " (" + databasePoolSize
          + " + " + databaseLivePoolSize + ") must be at most " + EMBEDDED_POOLS_MAX + " with the embedded database, "
          + "which takes 100 connections in all");
    }
    // A name no account can have made nobody the admin, without a word (a review: boss@example.org, José).
    if (admin.isPresent() && !admin.get().matches("[A-Za-z0-9_-]{3,30}")) {
      throw new IllegalArgumentException(ADMIN + " must be a username (3 to 30 of A-Z a-z 0-9 _ -), as members "
          + "register with; got '" + admin.get() + "'");
    }
    if (backups.on() && databaseUrl.isPresent()) {
      throw new IllegalArgumentException(BackupSettings.DIR + " backs up the embedded database; with " + DATABASE_URL
          + " back up with your PostgreSQL's own tools (pg_basebackup, pg_dump, your provider's snapshots)");
    }
    // Links followed: a backup directory reached through a link into the data directory passed the check as text and
    // failed a minute later, every ten minutes, while /health said ok (a review).
    if (backups.on() && (backups.dir().get().startsWith(dataDir.normalize())
        || BackupSettings.realPath(backups.dir().get()).startsWith(BackupSettings.realPath(dataDir)))) {
      throw new IllegalArgumentException(BackupSettings.DIR + " cannot be inside " + DATA_DIR + " (" + dataDir
          + "): a backup on the disk it copies is lost with it, and would be copied into the next");
    }
    if (backups.on() && java.nio.file.Files.exists(backups.dir().get())
        && !java.nio.file.Files.isDirectory(backups.dir().get())) {
      throw new IllegalArgumentException(BackupSettings.DIR + " (" + backups.dir().get() + ") is a file, not a "
          + "directory: name a directory (it is made if it does not exist)");
    }
    // initdb writes the data directory's path into PostgreSQL's own files, where a quote or a line break breaks them
    // (a review: the start failed inside initdb, with a trace, after the keys were written).
    if (databaseUrl.isEmpty() && dataDir.toString().chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '"')) {
      throw new IllegalArgumentException(DATA_DIR + " must not hold a double quote or a control character (a line "
          + "break, a tab)");
    }
    if (backups.on() && BackupSettings.inABackup(backups.dir().get(), dataDir)) {
      // A backup started as it lies, where the schedule keeps its own: once it is the oldest, the schedule deletes
      // it as such, the running database with it (a review). Elsewhere in the directory it is not the schedule's.
      throw new IllegalArgumentException(DATA_DIR + " (" + dataDir + ") cannot be one of the backups in "
          + BackupSettings.DIR + " (" + backups.dir().get() + "), which the schedule deletes once they are old: to "
          + "restore a backup, copy it out first (cp -a) and start on the copy");
    }
    clusterMembers = List.copyOf(clusterMembers);
    if (clusterJoinTimeout.toSeconds() < 1) {
      throw new IllegalArgumentException(CLUSTER_JOIN_TIMEOUT + " must be at least 1s");
    }
    metricsAllow = List.copyOf(metricsAllow);
    if (httpInstances < 1) throw new IllegalArgumentException(HTTP_INSTANCES + " must be at least 1");
    // Each is an event loop and a verticle with its caches: 10,000 exhausted the heap before the port was opened, and
    // the node then ignored SIGTERM (a review). More than a few per core gains nothing.
    if (httpInstances > MAX_HTTP_INSTANCES) {
      throw new IllegalArgumentException(HTTP_INSTANCES + " must be at most " + MAX_HTTP_INSTANCES);
    }
    if (tokenTtl.isNegative() || tokenTtl.isZero()) throw new IllegalArgumentException(TOKEN_TTL + " must be positive");
    if (shutdownGrace.isNegative()) throw new IllegalArgumentException(SHUTDOWN_GRACE + " must not be negative");
    if (shutdownDelay.isNegative() || shutdownDelay.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException(SHUTDOWN_DELAY + " must be from 0s to 5m");
    }
    if (eventRetention.isNegative()) throw new IllegalArgumentException(EVENT_RETENTION + " must not be negative");
    if (eventRetentionCount < 0) throw new IllegalArgumentException(EVENT_RETENTION_COUNT + " must not be negative");
    if (liveQueueBytes < 1024) throw new IllegalArgumentException(LIVE_QUEUE_BYTES + " must be at least 1024");
    if (liveMaxLag.toSeconds() < 1) throw new IllegalArgumentException(LIVE_MAX_LAG + " must be at least 1s");
    if (sseHeartbeat.isNegative() || sseHeartbeat.isZero()) {
      throw new IllegalArgumentException(SSE_HEARTBEAT + " must be positive");
    }
    // An origin written by hand: a trailing "/" or a default port is tidied away, a path refused (Parley serves from
    // its root, so a path would be ignored by every link it makes).
    publicUrl = publicUrl.map(url -> Origins.canonical(PUBLIC_URL, url, true));
    allowedOrigins = List.copyOf(allowedOrigins);
    // Read here, before the database starts and migrates: a "*" was refused only once the HTTP verticles deployed
    // (a review).
    allowedOrigins.forEach(origin -> parley.http.Origins.canonical(ALLOWED_ORIGINS, origin, false));
    trustedProxies = List.copyOf(trustedProxies);
    limits = Map.copyOf(limits);
  }

  private static void positive(String key, Duration value) {
    if (value.isNegative() || value.isZero()) throw new IllegalArgumentException(key + " must be positive");
  }

  /** Reads the process environment (and the optional JSON file it names). */
  public static AppConfig fromEnvironment() {
    return from(System.getenv());
  }

  /**
   * A trusted proxy's address as the server sees a peer's (Java's form: {@code ::1} is {@code 0:0:0:0:0:0:0:1}):
   * compared as written, an IPv6 proxy never matched, and a name or a range was taken and never matched either (an
   * operator's probe). Only literal addresses: a name would need a lookup, and a range is not what the list means.
   */
  static String proxyAddress(String given) {
    String address = parley.http.ClientIp.literal(given);
    if (address == null) {
      throw new IllegalArgumentException(TRUSTED_PROXIES + " must list IP addresses (no names or ranges), not '"
          + given + "'");
    }
    return address;
  }

  /** Builds the configuration from the given variables; a JSON file named by {@code PARLEY_CONFIG} fills gaps. */
  public static AppConfig from(Map<String, String> env) {
    Map<String, String> values = new HashMap<>(file(env));
    env.forEach((k, v) -> {
      if (v != null && !v.isBlank()) values.put(k, v);
    });
    // Spaces around a value are an env file's slip, never meant: "/srv/parley " started a new, empty community in a
    // new directory, and a DATABASE_URL with a trailing space was refused (an operator's probe). Numbers were
    // already read trimmed; now every value is.
    values.replaceAll((k, v) -> v.strip());
    // Blank is unset, in the file as in the environment (the file's "PARLEY_PORT": "" was refused, the
    // environment's meant 8080: an operator's probe).
    values.values().removeIf(String::isEmpty);
    int cores = Runtime.getRuntime().availableProcessors();
    return new AppConfig(
        values.getOrDefault(HOST, "0.0.0.0"),
        intValue(values, PORT, 8080),
        Optional.ofNullable(values.get(PUBLIC_URL)),
        Path.of(values.getOrDefault(DATA_DIR, "data")).toAbsolutePath(),
        Optional.ofNullable(values.get(DATABASE_URL)),
        intValue(values, DATABASE_POOL_SIZE, 8),
        intValue(values, DATABASE_POOL_QUEUE, 256),
        duration(values, DATABASE_TIMEOUT, Duration.ofSeconds(5)),
        duration(values, DATABASE_DEADLINE, defaultDeadline(values)),
        duration(values, DATABASE_MAX_LIFETIME, Duration.ofMinutes(30)),
        intValue(values, DATABASE_LIVE_POOL_SIZE, 2),
        Optional.ofNullable(values.get(JWT_SECRET)),
        duration(values, TOKEN_TTL, Duration.ofHours(12)),
        Optional.ofNullable(values.get(ADMIN)),
        intValue(values, HTTP_INSTANCES, Math.min(cores, MAX_HTTP_INSTANCES)),
        duration(values, SHUTDOWN_GRACE, Duration.ofSeconds(10)),
        // Only nodes behind a load balancer need it: by default the nodes of a cluster, not a single node.
        duration(values, SHUTDOWN_DELAY, bool(values, CLUSTER, false) ? Duration.ofSeconds(5) : Duration.ZERO),
        list(values, ALLOWED_ORIGINS),
        duration(values, EVENT_RETENTION, Duration.ofDays(7)),
        intValue(values, EVENT_RETENTION_COUNT, 10_000),
        intValue(values, LIVE_QUEUE_BYTES, 1024 * 1024),
        duration(values, LIVE_MAX_LAG, Duration.ofMinutes(2)),
        duration(values, SSE_HEARTBEAT, Duration.ofSeconds(15)),
        list(values, TRUSTED_PROXIES).stream().map(AppConfig::proxyAddress).toList(),
        duration(values, HTTP_IDLE_TIMEOUT, Duration.ofSeconds(60)),
        duration(values, HTTP_HEADER_TIMEOUT, Duration.ofSeconds(10)),
        intValue(values, MAX_CONNECTIONS_PER_IP, 256),
        intValue(values, MAX_READS_PER_IP, 4),
        duration(values, IDEMPOTENCY_TTL, Duration.ofHours(24)),
        intValue(values, LOGIN_FREE_FAILURES, 5),
        duration(values, LOGIN_MAX_DELAY, Duration.ofMinutes(15)),
        duration(values, NOTIFICATION_RETENTION, Duration.ofDays(90)),
        bool(values, CLUSTER, false),
        values.getOrDefault(CLUSTER_NAME, "parley"),
        values.getOrDefault(CLUSTER_HOST, "127.0.0.1"),
        intValue(values, CLUSTER_PORT, 5701),
        intValue(values, CLUSTER_BUS_PORT, 0),
        values.containsKey(CLUSTER_MEMBERS) ? list(values, CLUSTER_MEMBERS)
            : List.of(values.getOrDefault(CLUSTER_HOST, "127.0.0.1")),
        duration(values, CLUSTER_JOIN_TIMEOUT, Duration.ofSeconds(40)),
        values.containsKey(METRICS_ALLOW) ? list(values, METRICS_ALLOW) : List.of("127.0.0.0/8", "::1/128"),
        Holds.from(values),
        bool(values, DOWNVOTES, false),
        duration(values, SEARCH_TIMEOUT, Duration.ofSeconds(2)),
        // Four, or fewer on a smaller pool: below its size, so searches never hold every connection.
        intValue(values, SEARCH_CONCURRENCY, Math.max(1, Math.min(4, intValue(values, DATABASE_POOL_SIZE, 8) - 1))),
        intValue(values, SEARCH_RANK_LIMIT, 1_000),
        intValue(values, COMMENT_GROUP_SIZE, 64),
        limits(values),
        WebhookSettings.from(values),
        ReadCacheSettings.from(values),
        PasswordHashingSettings.from(values),
        BackupSettings.from(values));
  }

  /**
   * Twice the pool's wait, and at least a few seconds more than a search may run (which PostgreSQL cancels itself,
   * answered 422, not 503).
   */
  private static Duration defaultDeadline(Map<String, String> values) {
    Duration twice = duration(values, DATABASE_TIMEOUT, Duration.ofSeconds(5)).multipliedBy(2);
    Duration search = duration(values, SEARCH_TIMEOUT, Duration.ofSeconds(2)).plusSeconds(3);
    return twice.compareTo(search) >= 0 ? twice : search;
  }

  /** A configured rate limit by its key (one of the LIMIT_ constants). */
  public Limit limit(String key) {
    Limit limit = limits.get(key);
    if (limit == null) throw new IllegalArgumentException("no such limit " + key);
    return limit;
  }

  private static Map<String, Limit> limits(Map<String, String> values) {
    Map<String, Limit> limits = new HashMap<>();
    DEFAULT_LIMITS.forEach((key, fallback) -> limits.put(key, Limit.parse(key, values.getOrDefault(key, fallback))));
    return limits;
  }

  /** The same settings on another port (port 0 is resolved to a free port before anything listens). */
  public AppConfig withPort(int newPort) {
    return new AppConfig(host, newPort, publicUrl, dataDir, databaseUrl, databasePoolSize, databasePoolQueue, databaseTimeout,
        databaseDeadline, databaseMaxLifetime, databaseLivePoolSize, jwtSecret, tokenTtl, admin, httpInstances, shutdownGrace, shutdownDelay, allowedOrigins, eventRetention,
        eventRetentionCount, liveQueueBytes, liveMaxLag, sseHeartbeat, trustedProxies, httpIdleTimeout, httpHeaderTimeout,
        maxConnectionsPerIp, maxReadsPerIp, idempotencyTtl, loginFreeFailures, loginMaxDelay, notificationRetention, cluster, clusterName, clusterHost,
        clusterPort, clusterBusPort, clusterMembers, clusterJoinTimeout, metricsAllow, holds, downvotes, searchTimeout, searchConcurrency,
        searchRankLimit, commentGroupSize, limits, webhooks, readCache, passwordHashing, backups);
  }

  /** Whether new passwords are hashed at the tests' cost ({@code PARLEY_WEAK_PASSWORD_HASHING}). */
  public boolean weakPasswordHashing() {
    return passwordHashing.weak();
  }

  /** True when Parley runs its own PostgreSQL under the data directory. */
  public boolean embeddedDatabase() {
    return databaseUrl.isEmpty();
  }

  /** The {@code PARLEY_CONFIG} file's values, or none when it names no file. */
  private static Map<String, String> file(Map<String, String> env) {
    String file = env.get(CONFIG_FILE);
    return file == null || file.isBlank() ? Map.of() : readFile(Path.of(file.strip()));
  }

  /** The settings logback reads itself, from the environment only. */
  static final List<String> LOG_SETTINGS = List.of("PARLEY_LOG_FORMAT", "PARLEY_LOG_LEVEL", "PARLEY_ACCESS_LOG");

  /** Every setting Parley reads, by name: the constants of its settings' classes, and logback's three. */
  public static final java.util.SortedSet<String> NAMES = names();

  private static java.util.SortedSet<String> names() {
    java.util.SortedSet<String> names = new java.util.TreeSet<>(
        List.of(DATABASE_URL));
    names.addAll(LOG_SETTINGS);
    for (Class<?> type : List.of(AppConfig.class, Holds.class, WebhookSettings.class, ReadCacheSettings.class,
        PasswordHashingSettings.class, BackupSettings.class)) {
      for (java.lang.reflect.Field field : type.getFields()) {
        if (!java.lang.reflect.Modifier.isStatic(field.getModifiers()) || field.getType() != String.class) continue;
        try {
          if (field.get(null) instanceof String name && name.startsWith("PARLEY_")) names.add(name);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return java.util.Collections.unmodifiableSortedSet(names);
  }

  /**
   * A sentence for each name that looks like a setting and is none (a {@code PARLEY_} variable, any key of the
   * {@code PARLEY_CONFIG} file), with the setting it was likely meant to be: a typo was ignored without a word, and
   * the default used in its place (an operator's probe). Said, not refused: one settings file may serve an older
   * Parley and a newer one.
   */
  public static List<String> unknownSettings(Map<String, String> env) {
    List<String> said = new java.util.ArrayList<>();
    // Also a name a letter or two from a setting's, or one in lower case: DATABSE_URL ran on the embedded database
    // and PARLY_PORT on 8080, without a word (a review).
    new java.util.TreeSet<>(env.keySet()).forEach(name -> {
      if (NAMES.contains(name)) return;
      String upper = name.toUpperCase(java.util.Locale.ROOT);
      // A letter or two for a PARLEY_ name; one for any other, where two took DATABASE_SSL, a Node setting, for
      // DATABASE_URL (a review).
      if (upper.startsWith("PARLEY_") || NAMES.stream().anyMatch(known -> distance(upper, known) <= 1)) {
        said.add(unknown(name, "in the environment"));
      }
    });
    // Cluster settings on a node that is not clustered are not used (a review set them and expected a cluster).
    Map<String, String> fromFile = file(env);
    Map<String, String> merged = new HashMap<>(fromFile);
    merged.putAll(env);
    boolean clustered;
    try {
      clustered = bool(merged, CLUSTER, false);
    } catch (IllegalArgumentException refusedAtTheStart) {
      clustered = true;
    }
    if (!clustered) {
      for (String name : List.of(CLUSTER_NAME, CLUSTER_HOST, CLUSTER_PORT, CLUSTER_BUS_PORT, CLUSTER_MEMBERS,
          CLUSTER_JOIN_TIMEOUT)) {
        if (merged.containsKey(name) && !merged.get(name).isBlank()) {
          said.add(name + " is set but " + CLUSTER + " is not true: this node runs alone, and ignores it");
        }
      }
    }
    new java.util.TreeSet<>(fromFile.keySet()).forEach(name -> {
      if (!NAMES.contains(name)) {
        said.add(unknown(name, "in the " + CONFIG_FILE + " file"));
      } else if (LOG_SETTINGS.contains(name)) {
        said.add(name + " in the " + CONFIG_FILE + " file is ignored: logback reads the log's settings from the "
            + "environment only, before this file is read; set it there");
      }
    });
    return said;
  }

  private static String unknown(String name, String where) {
    String closest = null;
    int best = Integer.MAX_VALUE;
    for (String known : NAMES) {
      int d = distance(name.toUpperCase(java.util.Locale.ROOT), known);
      if (d < best) {
        best = d;
        closest = known;
      }
    }
    return name + " " + where + " is not a Parley setting and is ignored"
        + (best <= 3 ? "; did you mean " + closest + "?" : " (the settings are listed in the README)");
  }

  /** Levenshtein's edit distance. */
  private static int distance(String a, String b) {
    int[] row = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) row[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      int diagonal = row[0];
      row[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int above = row[j];
        row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
        diagonal = above;
      }
    }
    return row[b.length()];
  }

  /**
   * The file's settings; a setting given as {@code null} is not set (it was read as the text "null": a review's
   * {@code "PARLEY_ADMIN": null} made the member who registered as "null" the admin). Why a file cannot be read is
   * said without its contents: the JSON parser's message quotes the text it stopped at, which in a file of
   * settings can be a secret (or the whole key, given a key's file by mistake).
   */
  private static Map<String, String> readFile(Path path) {
    String text;
    try {
      text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path))).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("cannot read " + CONFIG_FILE + " file " + path + ": it is not UTF-8 text", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + CONFIG_FILE + " file " + path + " ("
          + e.getClass().getSimpleName() + ")", e);
    }
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (RuntimeException e) {
      String where = "";
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof com.fasterxml.jackson.core.JsonProcessingException parse && parse.getLocation() != null) {
          where = " (line " + parse.getLocation().getLineNr() + ", column " + parse.getLocation().getColumnNr() + ")";
          break;
        }
      }
      throw new IllegalArgumentException("cannot read " + CONFIG_FILE + " file " + path + ": it is not a JSON object "
          + "of settings" + where + "; values are not repeated here, since they may be secrets");
    }
    Map<String, String> values = new HashMap<>();
    json.forEach(e -> {
      if (e.getValue() != null) values.put(e.getKey(), String.valueOf(e.getValue()));
    });
    return values;
  }

  private static List<String> list(Map<String, String> values, String key) {
    String raw = values.get(key);
    if (raw == null) return List.of();
    return Arrays.stream(raw.split(",")).map(String::strip).filter(v -> !v.isEmpty()).toList();
  }

  static boolean bool(Map<String, String> values, String key, boolean fallback) {
    String raw = values.get(key);
    if (raw == null) return fallback;
    return switch (raw.strip().toLowerCase()) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new IllegalArgumentException(key + " must be true or false, got '" + raw + "'");
    };
  }

  static int intValue(Map<String, String> values, String key, int fallback) {
    String raw = values.get(key);
    if (raw == null) return fallback;
    try {
      // Digits of ASCII only: Java reads other scripts' digits too (١٨٣٠٢ was port 18302), which nothing else does.
      if (!raw.trim().matches("[-+]?[0-9]+")) throw new NumberFormatException();
      return Integer.parseInt(raw.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number, got '" + raw + "'");
    }
  }

  /** The longest duration any setting takes: longer ones overflowed where they were used ("long overflow"). */
  static final Duration LONGEST = Duration.ofDays(3650);

  /** Accepts a number of seconds or a number with a unit: 250ms, 90s, 30m, 12h, 7d; at most {@link #LONGEST}. */
  static Duration duration(Map<String, String> values, String key, Duration fallback) {
    String raw = values.get(key);
    if (raw == null) return fallback;
    String s = raw.trim().toLowerCase();
    Duration value;
    try {
      // Digits of ASCII only, as intValue reads them.
      if (!s.matches("[-+]?[0-9]+(ms|s|m|h|d)?")) throw new NumberFormatException();
      char unit = s.charAt(s.length() - 1);
      if (Character.isDigit(unit)) {
        value = Duration.ofSeconds(Long.parseLong(s));
      } else if (s.endsWith("ms")) {
        value = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else {
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        value = switch (unit) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          case 'h' -> Duration.ofHours(n);
          case 'd' -> Duration.ofDays(n);
          default -> throw new NumberFormatException();
        };
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + " must be seconds or a number with ms, s, m, h or d, got '" + raw + "'");
    }
    if (value.compareTo(LONGEST) > 0) throw new IllegalArgumentException(key + " must be at most 3650d, got '" + raw + "'");
    return value;
  }

  /**
   * Refuses a wait longer than any a node should make: a number without a unit is seconds, so a value meant in
   * milliseconds ({@code PARLEY_DB_TIMEOUT=5000}) was 83 minutes, taken without a word (an operator's probe).
   */
  private static void atMost(String key, Duration value, Duration max, String maxText) {
    if (value.compareTo(max) > 0) {
      throw new IllegalArgumentException(key + " must be at most " + maxText + ", got " + value.toSeconds()
          + " s (a number without a unit is seconds; 5000ms is five seconds)");
    }
  }
}
