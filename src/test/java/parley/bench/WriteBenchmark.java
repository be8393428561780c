package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable comment posts against their ceiling, in one run on one database (issue 14, target P5). It starts a
 * PostgreSQL of its own ({@code parley.db.DatabaseServer}, durable: fsync and synchronous_commit on) and one Parley
 * node on it, then measures, closed-loop with C requests in flight:
 *
 * <ol>
 *   <li>the ceiling: single-row INSERTs of a comment-like row, each its own autocommit transaction, into a scratch
 *   table, through a Vert.x PG pool with as many connections as Parley's ({@code --pool});</li>
 *   <li>with {@code --rows} naming {@code ceiling1}, the same through one connection, the number the node's comment
 *   writer writes its groups on;</li>
 *   <li>{@code POST /api/posts/{id}/comments} spread over many posts and accounts, with an {@code Idempotency-Key}
 *   as the web app sends one, and again without;</li>
 *   <li>the same on one hot thread, where every comment queues on that post's row and counter until commit;</li>
 *   <li>the ceiling again, to see whether anything drifted during the run.</li>
 * </ol>
 *
 * After each Parley row it also says how far the notifier (which makes notifications after each comment commits)
 * was behind when the load stopped, and how long after that every comment of the row had been handled by it
 * ({@code --catch-up-wait} seconds at most, 120 by default; past it the row says so and the next row starts anyway).
 *
 * The database also holds {@code --community} (10,000) accounts and posts that take no part, and is analyzed
 * after the server's warm-up and before each Parley row, as a running server's autovacuum keeps it: on tables grown
 * from nothing in seconds, or of 10 accounts and 100 posts, the planner's choices are not a community's.
 *
 * With {@code --database-url}, the node runs on an empty database of one's own instead (a stock PostgreSQL, say),
 * which it migrates; PostgreSQL's CPU is then that of every process named postgres.
 *
 * Bodies have the same length everywhere. Server, PostgreSQL and this generator share the machine. See
 * docs/benchmarks/P5-P6.md for the commands and figures.
 */
public final class WriteBenchmark {

  /** A comment-like row, without Parley's indexes, triggers or counters: what one durable INSERT costs. */
  private static final String SCRATCH = """
      CREATE TABLE bench_comments (
        id bigserial PRIMARY KEY,
        post_id bigint NOT NULL,
        parent_id bigint,
        author_id bigint NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())""";

  private static final String INSERT = "INSERT INTO bench_comments (post_id, parent_id, author_id, body) "
      + "VALUES ($1, NULL, $2, $3)";

  private static final String TABLE_STATS = "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, "
      + "n_live_tup, n_dead_tup, seq_scan, seq_tup_read FROM pg_stat_user_tables "
      + "WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY n_tup_ins + n_tup_upd + n_tup_del DESC";

  public static void main(String[] args) throws Exception {
    Map<String, String> o = Bench.options(args);
    int seconds = Integer.parseInt(o.getOrDefault("seconds", "20"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "10"));
    // Unmeasured comment posts before the first Parley row: a fresh server's JIT competes for the same two cores.
    int serverWarmup = Integer.parseInt(o.getOrDefault("server-warmup", "30"));
    // 48 in flight: the highest rate at P5's p99 (<= 50 ms) in the sweep of 2026-12-04 (P5-round-trips.md); 32 before.
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "48"));
    int poolSize = Integer.parseInt(o.getOrDefault("pool", "8"));
    int posts = Integer.parseInt(o.getOrDefault("posts", "100"));
    int accounts = Integer.parseInt(o.getOrDefault("accounts", "10"));
    int bodyLength = Integer.parseInt(o.getOrDefault("body", "160"));
    // Every K-th comment opens with an @mention of a participant (0: none): a mention's lookup is a query of its own.
    mentionEvery = Integer.parseInt(o.getOrDefault("mention-every", "0"));
    // Which rows to run (a subset is for diagnosis; the report's ratios need the ceiling first).
    // ceiling1 (not by default): the ceiling's INSERTs through one connection, as the writer's groups go.
    java.util.Set<String> rows = java.util.Set.of(o.getOrDefault("rows", "ceiling,spread,nokey,hot,again").split(","));
    int catchUpWait = Integer.parseInt(o.getOrDefault("catch-up-wait", "120"));
    // Statements (separated by ';') run on the database once the posts exist, for what-if experiments on the schema.
    String dbSetup = o.getOrDefault("db-setup", "");
    // Bystanders: accounts and posts that exist but take no part, so the database has a community's size (the
    // planner chooses its plans by the tables' sizes; with 10 accounts and 100 posts it scans those tables whole).
    int community = Integer.parseInt(o.getOrDefault("community", "10000"));
    // --database-url: an empty database of one's own on another PostgreSQL (Debian's, say), which Parley migrates; the
    // run leaves its rows there, so give each run a new database. PostgreSQL's CPU is then every process named
    // postgres on this machine.
    String databaseUrl = o.get("database-url");
    // The N statements that took PostgreSQL the most time in each row (0: not looked at). PostgreSQL then starts with
    // pg_stat_statements loaded, so Parley's own connections are seen from their first statement.
    int topStatements = Integer.parseInt(o.getOrDefault("statements", "0"));

    Path dataDir = Files.createTempDirectory("parley-bench-write");
    List<Process> processes = new ArrayList<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      List<String> pgSettings = new ArrayList<>(topStatements > 0 ? StatementStats.SETTINGS : List.of());
      // PostgreSQL settings over Parley's own, comma-separated (name=value), for what-ifs on the database's settings.
      for (String setting : o.getOrDefault("pg", "").split(",")) {
        if (!setting.isBlank()) pgSettings.add(setting.strip());
      }
      // Before the node migrates the database: refused, it would be left used for nothing.
      if (databaseUrl != null && !pgSettings.isEmpty()) {
        throw new IllegalArgumentException("--pg and --statements set the embedded PostgreSQL's settings");
      }
      Map<String, String> env = Map.of("PARLEY_DB_POOL_SIZE", Integer.toString(poolSize));
      Bench.Node node = databaseUrl == null ? Bench.startNode(dataDir, "write", env, pgSettings, processes)
          : Bench.startNode(dataDir, "write", env, databaseUrl, processes);
      Bench.Database db = node.db();
      Process server = node.server();
      URI base = URI.create(node.base());

      Map<String, java.util.function.LongSupplier> parties = databaseUrl == null ? Bench.parties(server, db.process())
          : Bench.parties(server, () -> Bench.namedCpuMillis("postgres"));

      System.out.println(Bench.machine());
      System.out.printf(Locale.ROOT, "durable writes: %d in flight, pool of %d (Parley's and the ceiling's), %d s "
          + "measured after %d s warm-up, body %d characters%s; %,d more accounts and posts that take no part%n",
          concurrency, poolSize, seconds, warmup, bodyLength,
          mentionEvery > 0 ? ", every " + mentionEvery + (mentionEvery == 1 ? "" : "th") + " opening with an @mention" : "",
          community);

      // Accounts and posts through Parley itself; each account then comments on every post.
      Bench.Rest rest = new Bench.Rest(base);
      List<String> tokens = new ArrayList<>();
      for (int a = 0; a < accounts; a++) {
        String name = "writer" + a + "x" + System.currentTimeMillis() % 100000;
        names.add(name);
        tokens.add(rest.register(name));
      }
      List<Long> postIds = new ArrayList<>();
      for (int p = 0; p < posts; p++) {
        Bench.Reply r = rest.callSync(HttpMethod.POST, "/api/posts", tokens.get(p % accounts),
            new JsonObject().put("title", "Write benchmark thread " + p).put("body", "A thread to comment on."));
        if (r.status() != 201) throw new IllegalStateException("post: " + r.status() + " " + r.body());
        postIds.add(r.json().getLong("id"));
      }

      Pool pool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(poolSize).setMaxWaitQueueSize(-1))
          .connectingTo(PgConnectOptions.fromUri(db.url()).setCachePreparedStatements(true))
          .using(vertx)
          .build();
      await(pool.query(SCRATCH).execute());
      if (community > 0) {
        await(pool.query("INSERT INTO users (username, email, email_key, password_hash, created_at) SELECT "
            + "'bystander' || g, 'bystander' || g || '@example.org', 'bystander' || g || '@example.org', 'x', "
            + "now() - interval '1 year' FROM generate_series(1, " + community
            + ") g").execute());
        await(pool.query("INSERT INTO posts (author_id, title, body, body_html, excerpt, created_at) SELECT "
            + "(SELECT min(id) FROM users WHERE username LIKE 'bystander%') + g % " + community + ", 'Older post ' || g, "
            + "'An older thread.', '<p>An older thread.</p>', 'An older thread.', now() - (g || ' minutes')::interval "
            + "FROM generate_series(1, " + community + ") g").execute());
      }
      for (String statement : dbSetup.split(";")) {
        if (statement.isBlank()) continue;
        System.out.println("db-setup: " + statement.strip());
        await(pool.query(statement).execute());
      }
      ClosedLoop.Http http = new ClosedLoop.Http(vertx, base, concurrency, null);
      AtomicLong counter = new AtomicLong();
      StatementStats statements = new StatementStats(pool, topStatements, counter);
      List<String> statementsByRow = new ArrayList<>();

      List<ClosedLoop.Result> results = new ArrayList<>();
      WaitSampler waits = new WaitSampler(vertx, PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
          .connectingTo(PgConnectOptions.fromUri(db.url())).using(vertx).build());
      List<String> waitsByRow = new ArrayList<>();
      NotifierLag lag = new NotifierLag(pool, catchUpWait);
      List<String> lagByRow = new ArrayList<>();
      WriterBusy writer = new WriterBusy(rest);
      List<String> writerByRow = new ArrayList<>();
      if (rows.contains("ceiling")) {
        statements.start();
        waits.start();
        results.add(ClosedLoop.run(vertx, "ceiling: INSERT, autocommit, Vert.x PG pool", concurrency, warmup, seconds,
            201, parties, () -> insert(pool, postIds, accounts, counter, bodyLength)));
        waitsByRow.add(waits.stop());
        statementsByRow.add(results.get(results.size() - 1).name() + statements.stop());
      }
      if (rows.contains("ceiling1")) {
        // The same INSERTs through one connection, as the node's comment writer writes (one group at a time on one
        // connection): what a durable commit per row gives on it, against a commit per group.
        Pool one = PgBuilder.pool().with(new PoolOptions().setMaxSize(1).setMaxWaitQueueSize(-1))
            .connectingTo(PgConnectOptions.fromUri(db.url()).setCachePreparedStatements(true)).using(vertx).build();
        statements.start();
        waits.start();
        results.add(ClosedLoop.run(vertx, "ceiling on one connection: INSERT, autocommit", concurrency, warmup,
            seconds, 201, parties, () -> insert(one, postIds, accounts, counter, bodyLength)));
        waitsByRow.add(waits.stop());
        statementsByRow.add(results.get(results.size() - 1).name() + statements.stop());
        await(one.close());
      }
      // The warm-up's notifications are made before the first row, as each row's are before the next: a row measures
      // its own comments with the notifier starting level, not the warm-up's backlog.
      lag.start();
      ClosedLoop.run(vertx, "server warm-up", concurrency, 0, serverWarmup, 201, parties,
          () -> comment(http, pick(postIds), pick(tokens), counter.incrementAndGet(), bodyLength, true));
      lagByRow.add("server warm-up (not measured): " + lag.stop());
      // Planner statistics as a running server's autovacuum keeps them. Here every table grows from nothing by
      // thousands of rows a second, far faster than autovacuum (a look a minute) re-analyzes it, and the statements
      // the pool's connections prepared on the empty tables keep their plans for an empty table (sequential scans of
      // idempotency_keys and comments, measured: 25 and 32 million rows read in one keyed row) until it does.
      analyze(pool);
      // Sequential scans from here on are the measured rows' (the warm-up's, on tables still small, are not).
      Map<String, long[]> scansBefore = seqScans(pool);
      if (rows.contains("spread")) {
        analyze(pool);
        statements.start();
        waits.start();
        lag.start();
        writer.start();
        results.add(ClosedLoop.run(vertx, "Parley, " + posts + " threads, " + accounts + " accounts, Idempotency-Key",
            concurrency, warmup, seconds, 201, parties,
            () -> comment(http, pick(postIds), pick(tokens), counter.incrementAndGet(), bodyLength, true)));
        writerByRow.add(results.get(results.size() - 1).name() + ": " + writer.stop());
        waitsByRow.add(waits.stop());
        lagByRow.add(results.get(results.size() - 1).name() + ": " + lag.stop());
        statementsByRow.add(results.get(results.size() - 1).name() + statements.stop());
      }
      if (rows.contains("nokey")) {
        analyze(pool);
        statements.start();
        waits.start();
        lag.start();
        writer.start();
        results.add(ClosedLoop.run(vertx, "Parley, " + posts + " threads, " + accounts + " accounts, no key",
            concurrency, warmup, seconds, 201, parties,
            () -> comment(http, pick(postIds), pick(tokens), counter.incrementAndGet(), bodyLength, false)));
        writerByRow.add(results.get(results.size() - 1).name() + ": " + writer.stop());
        waitsByRow.add(waits.stop());
        lagByRow.add(results.get(results.size() - 1).name() + ": " + lag.stop());
        statementsByRow.add(results.get(results.size() - 1).name() + statements.stop());
      }
      long hot = postIds.get(0);
      if (rows.contains("hot")) {
        analyze(pool);
        statements.start();
        waits.start();
        lag.start();
        writer.start();
        results.add(ClosedLoop.run(vertx, "Parley, one hot thread, " + accounts + " accounts, Idempotency-Key",
            concurrency, warmup, seconds, 201, parties,
            () -> comment(http, hot, pick(tokens), counter.incrementAndGet(), bodyLength, true)));
        writerByRow.add(results.get(results.size() - 1).name() + ": " + writer.stop());
        waitsByRow.add(waits.stop());
        lagByRow.add(results.get(results.size() - 1).name() + ": " + lag.stop());
        statementsByRow.add(results.get(results.size() - 1).name() + statements.stop());
      }
      if (rows.contains("again")) {
        waits.start();
        results.add(ClosedLoop.run(vertx, "ceiling again, after the Parley rows", concurrency, warmup, seconds, 201,
            parties, () -> insert(pool, postIds, accounts, counter, bodyLength)));
        waitsByRow.add(waits.stop());
      }

      report(results);
      System.out.println();
      System.out.println("What PostgreSQL's client backends were doing, sampled every 20 ms over each row (warm-up included):");
      for (int i = 0; i < results.size(); i++) System.out.println("- " + results.get(i).name() + ": " + waitsByRow.get(i));
      System.out.println();
      System.out.println("The notifier: comments of the row (warm-up included) without their notifications when the load "
          + "stopped, and when the last of them had them:");
      lagByRow.forEach(line -> System.out.println("- " + line));
      System.out.println();
      System.out.println("The node's comment writer (its groups commit one after another) over each row, warm-up "
          + "included (parley_comment_group on /metrics):");
      writerByRow.forEach(line -> System.out.println("- " + line));
      statementsByRow.forEach(System.out::println);
      // Whether an UPDATE was HOT (no new index entries) is what decides its cost here; see P5-round-trips.md.
      System.out.println("Row writes by table over the whole run (pg_stat_user_tables; a backend reports within 1 s):");
      // Rows read by sequential scans show a statement planned without its index (a plan made on an empty table).
      // The last two columns: the same after the server's warm-up, over the measured Parley rows only.
      System.out.println("| table | inserts | updates | of them HOT | deletes | live | dead | seq scans | rows they read "
          + "| seq scans, measured rows | rows they read |");
      System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
      await(pool.query(TABLE_STATS).execute()).forEach(row -> {
        long[] before = scansBefore.getOrDefault(row.getString(0), new long[2]);
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |%n", row.getString(0),
            row.getLong(1), row.getLong(2), row.getLong(3), row.getLong(4), row.getLong(5), row.getLong(6),
            row.getLong(7), row.getLong(8), row.getLong(7) - before[0], row.getLong(8) - before[1]);
      });
      // Full-page images: the first change to a page after a checkpoint writes the whole page to the WAL.
      await(pool.query("SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal").execute()).forEach(row ->
          System.out.printf(Locale.ROOT, "WAL over the whole run (pg_stat_wal): %,d records, %,d full-page images, "
              + "%,d MiB%n", row.getLong(0), row.getLong(1), row.getLong(2) / (1024 * 1024)));
      await(http.close());
      await(pool.close());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Bench.stop(processes, dataDir);
    }
  }

  /** One of the ceiling's rows: a comment-like INSERT, its own autocommit transaction (201 as a comment's is). */
  private static Future<Integer> insert(Pool pool, List<Long> postIds, int accounts, AtomicLong counter,
      int bodyLength) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(pick(postIds), ThreadLocalRandom.current().nextLong(1, accounts + 1),
            body(counter.incrementAndGet(), bodyLength)))
        .map(inserted -> 201);
  }

  private static Future<Integer> comment(ClosedLoop.Http http, long post, String token, long n, int length,
      boolean idempotent) {
    String text = mentionEvery > 0 && n % mentionEvery == 0
        ? "@" + names.get((int) (n % names.size())) + " " + body(n, length) : body(n, length);
    Buffer body = new JsonObject().put("body", text).toBuffer();
    return http.send(HttpMethod.POST, "/api/posts/" + post + "/comments", token, body,
        idempotent ? UUID.randomUUID().toString() : null);
  }

  /** Every this many comments, one opens with a mention (0: none); the participants' names to mention. */
  private static int mentionEvery;
  private static final List<String> names = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** A body of exactly {@code length} characters, different each time, plain prose as most comments are. */
  static String body(long n, int length) {
    StringBuilder s = new StringBuilder("Comment ").append(n).append(": ");
    String filler = "a sentence or two of ordinary prose, the way people write in a discussion thread. ";
    while (s.length() < length) s.append(filler);
    s.setLength(length - 1);
    return s.append('.').toString();
  }

  /**
   * How busy the node's one comment writer was over a row: its groups' count, mean size and mean time, and their summed
   * time over the row's (a writer busy nearly all the row is what limits the rate). Read from the server's /metrics,
   * which answers loopback.
   */
  private static final class WriterBusy {
    private static final java.util.regex.Pattern PHASE = java.util.regex.Pattern.compile("phase=\"(\\w+)\"");
    private final Bench.Rest rest;
    private Map<String, Double> before = Map.of();
    private long startedNanos;

    WriterBusy(Bench.Rest rest) {
      this.rest = rest;
    }

    void start() throws Exception {
      before = read();
      startedNanos = System.nanoTime();
    }

    String stop() throws Exception {
      double wall = (System.nanoTime() - startedNanos) / 1e9;
      Map<String, Double> after = read();
      java.util.function.ToDoubleFunction<String> grew = name ->
          after.getOrDefault(name, 0.0) - before.getOrDefault(name, 0.0);
      double groups = grew.applyAsDouble("parley_comment_group_seconds_count");
      double busy = grew.applyAsDouble("parley_comment_group_seconds_sum");
      if (groups == 0) return "no group (is /metrics served to loopback?)";
      StringBuilder phases = new StringBuilder();
      double written = grew.applyAsDouble("parley_comment_group_phase_seconds_count:commit");
      for (String phase : List.of("connection", "reads", "insert", "commit")) {
        phases.append(phases.length() == 0 ? "" : ", ").append(phase).append(String.format(Locale.ROOT, " %.2f",
            1000 * grew.applyAsDouble("parley_comment_group_phase_seconds_sum:" + phase) / Math.max(1, written)));
      }
      return String.format(Locale.ROOT, "%.0f groups, %.1f comments each, %.2f ms each (%s ms); busy %.0f %% of the "
              + "row's %.1f s", groups, grew.applyAsDouble("parley_comment_group_size_sum") / groups,
          1000 * busy / groups, phases, 100 * busy / wall, wall);
    }

    /** The metrics' samples by name (labels dropped, their values summed). */
    private Map<String, Double> read() throws Exception {
      Bench.Reply reply = rest.callSync(HttpMethod.GET, "/metrics", null, null);
      Map<String, Double> samples = new java.util.HashMap<>();
      for (String line : reply.body().toString().split("\n")) {
        if (line.isEmpty() || line.startsWith("#")) continue;
        int space = line.lastIndexOf(' ');
        int brace = line.indexOf('{');
        String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
        java.util.regex.Matcher phase = PHASE.matcher(line);
        if (phase.find()) name += ":" + phase.group(1);
        try {
          samples.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
        } catch (NumberFormatException notANumber) {
          // NaN and the like: not a sample this reads
        }
      }
      return samples;
    }
  }

  /**
   * Samples pg_stat_activity: what each client backend is doing (running, waiting for a lock, for the WAL flush, or
   * idle in a transaction for the client's next statement), to say where a write's time goes.
   */
  private static final class WaitSampler {
    private static final String SAMPLE = "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
        + "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'";
    private final Vertx vertx;
    private final Pool pool;
    private final Map<String, Long> counts = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong samples = new AtomicLong();
    private long timer = -1;

    WaitSampler(Vertx vertx, Pool pool) {
      this.vertx = vertx;
      this.pool = pool;
    }

    void start() {
      counts.clear();
      samples.set(0);
      timer = vertx.setPeriodic(20, id -> pool.query(SAMPLE).execute().onSuccess(rows -> {
        samples.incrementAndGet();
        rows.forEach(row -> counts.merge(row.getString("state")
            + (row.getString("wait_event_type") == null ? "" : ", " + row.getString("wait_event_type") + ":"
            + row.getString("wait_event")), 1L, Long::sum));
      }));
    }

    /** Backends per sample in each state, busiest first. */
    String stop() {
      vertx.cancelTimer(timer);
      long n = Math.max(1, samples.get());
      StringBuilder s = new StringBuilder();
      counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
          .forEach(e -> s.append(s.length() == 0 ? "" : "; ").append(e.getKey())
              .append(String.format(Locale.ROOT, " %.1f", (double) e.getValue() / n)));
      return s + " (backends on average)";
    }
  }

  /**
   * Where PostgreSQL's time went in one row: its statements by total execution time (pg_stat_statements, nested
   * statements such as triggers' included) and the WAL it wrote (pg_stat_wal), each divided by the row's requests,
   * warm-up included. Reset at each row's start and read once the row's notifications are made, so the notifier's
   * share is in it. Off (empty) unless PostgreSQL was started with {@link #SETTINGS}.
   */
  private static final class StatementStats {
    static final List<String> SETTINGS = List.of("shared_preload_libraries=pg_stat_statements",
        "pg_stat_statements.track=all", "pg_stat_statements.max=1000");
    private static final String TOP = """
        SELECT calls, total_exec_time, rows, shared_blks_hit + shared_blks_read AS blocks, shared_blks_dirtied,
               wal_bytes,
               100 * total_exec_time / sum(total_exec_time) FILTER (WHERE toplevel) OVER () AS share, toplevel,
               regexp_replace(query, '\\s+', ' ', 'g') AS query
          FROM pg_stat_statements
         ORDER BY total_exec_time DESC LIMIT $1""";
    private static final String TOTALS = """
        SELECT (SELECT sum(total_exec_time) FROM pg_stat_statements WHERE toplevel) AS exec_ms,
               (SELECT sum(calls) FROM pg_stat_statements WHERE toplevel) AS calls,
               wal_records, wal_fpi, wal_bytes, wal_sync, wal_write FROM pg_stat_wal""";
    private final Pool pool;
    private final int top;
    private final AtomicLong requests;
    private long requestsAtStart;

    StatementStats(Pool pool, int top, AtomicLong requests) throws Exception {
      this.pool = pool;
      this.top = top;
      this.requests = requests;
      if (top > 0) await(pool.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").execute());
    }

    void start() throws Exception {
      if (top == 0) return;
      await(pool.query("SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')").execute());
      requestsAtStart = requests.get();
    }

    String stop() throws Exception {
      if (top == 0) return "";
      double n = Math.max(1, requests.get() - requestsAtStart);
      io.vertx.sqlclient.Row t = await(pool.query(TOTALS).execute()).iterator().next();
      StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%n%nPostgreSQL's statements, per request "
          + "(%,.0f requests, warm-up included): %.3f ms executing, %.1f statements; WAL %.1f records, %.2f full-page "
          + "images, %,.0f bytes, %.2f syncs, %.2f writes%n%n| share | calls/request | ms/call | rows/call | blocks/call "
          + "| dirtied/call | WAL bytes/call | top level | statement |%n|---|---|---|---|---|---|---|---|---|%n",
          n, t.getDouble("exec_ms") / n, t.getNumeric("calls").doubleValue() / n, t.getLong("wal_records") / n,
          t.getLong("wal_fpi") / n, t.getNumeric("wal_bytes").doubleValue() / n, t.getLong("wal_sync") / n,
          t.getLong("wal_write") / n));
      await(pool.preparedQuery(TOP).execute(Tuple.of(top))).forEach(row -> {
        double calls = Math.max(1, row.getLong("calls"));
        String query = row.getString("query");
        s.append(String.format(Locale.ROOT, "| %.1f %% | %.2f | %.3f | %.1f | %.1f | %.2f | %,.0f | %s | %s |%n",
            row.getDouble("share"), calls / n, row.getDouble("total_exec_time") / calls, row.getLong("rows") / calls,
            row.getLong("blocks") / calls, row.getLong("shared_blks_dirtied") / calls,
            row.getNumeric("wal_bytes").doubleValue() / calls, row.getBoolean("toplevel") ? "yes" : "no",
            (query.length() > 140 ? query.substring(0, 140) + "…" : query).replace("|", "\\|")));
      });
      return s.toString();
    }
  }

  /**
   * How far the notifier is behind the comments of a row: those whose thread event ({@code comment.created} on
   * {@code parley.post.<id>}) has no {@code notification_sources} row yet, the notifier's mark that it made that
   * write's notifications (in the same transaction as them).
   */
  private static final class NotifierLag {
    private static final String BEHIND = """
        SELECT count(*) AS behind,
               COALESCE(extract(epoch FROM clock_timestamp() - min(at)), 0)::float8 AS oldest,
               (SELECT count(*) FROM events WHERE type = 'comment.created' AND topic LIKE 'parley.post.%' AND at >= $1)
                 AS written
          FROM events e
         WHERE type = 'comment.created' AND topic LIKE 'parley.post.%' AND at >= $1
           AND NOT EXISTS (SELECT 1 FROM notification_sources s WHERE s.source = e.topic || ':' || e.seq)""";
    private final Pool pool;
    private final int waitSeconds;
    private java.time.OffsetDateTime since;

    NotifierLag(Pool pool, int waitSeconds) {
      this.pool = pool;
      this.waitSeconds = waitSeconds;
    }

    void start() throws Exception {
      since = await(pool.query("SELECT now() AS now").execute()).iterator().next().getOffsetDateTime("now");
    }

    /** Right after the row's load stopped: how far behind, then polls until none is left or the wait is over. */
    String stop() throws Exception {
      long stopped = System.nanoTime();
      io.vertx.sqlclient.Row first = await(pool.preparedQuery(BEHIND).execute(Tuple.of(since))).iterator().next();
      long behind = first.getLong("behind");
      String at = String.format(Locale.ROOT, "%,d of %,d behind when the load stopped (the oldest written %.1f s "
          + "before)", behind, first.getLong("written"), first.getDouble("oldest"));
      long left = behind;
      while (left > 0 && System.nanoTime() - stopped < TimeUnit.SECONDS.toNanos(waitSeconds)) {
        Thread.sleep(200);
        left = await(pool.preparedQuery(BEHIND).execute(Tuple.of(since))).iterator().next().getLong("behind");
      }
      double after = (System.nanoTime() - stopped) / 1e9;
      return left == 0
          ? String.format(Locale.ROOT, "%s; all notified %.1f s after it stopped", at, behind == 0 ? 0.0 : after)
          : String.format(Locale.ROOT, "%s; %,d still behind %d s after it stopped", at, left, waitSeconds);
    }
  }

  /** Each table's sequential scans and the rows they read so far. */
  private static Map<String, long[]> seqScans(Pool pool) throws Exception {
    Map<String, long[]> scans = new java.util.HashMap<>();
    await(pool.query(TABLE_STATS).execute())
        .forEach(row -> scans.put(row.getString(0), new long[] {row.getLong(7), row.getLong(8)}));
    return scans;
  }

  /** Fresh planner statistics for every table (ANALYZE also makes cached plans be planned again). */
  private static void analyze(Pool pool) throws Exception {
    await(pool.query("ANALYZE").execute());
  }

  private static <T> T pick(List<T> list) {
    return list.get(ThreadLocalRandom.current().nextInt(list.size()));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static void report(List<ClosedLoop.Result> results) {
    ClosedLoop.Result ceiling = results.get(0);
    System.out.println();
    System.out.println("| run | in flight | rate /s | p50 ms | p99 ms | max ms | failures | rate / ceiling | "
        + "p99 / ceiling | CPU cores busy |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (ClosedLoop.Result r : results) {
      System.out.printf(Locale.ROOT, "| %s | %d | %,.0f | %.2f | %.2f | %.2f | %d%s | %.2f | %.2f | %s |%n", r.name(),
          r.concurrency(), r.rate(), r.p50(), r.p99(), r.max(), r.failures(),
          r.failedStatuses().isEmpty() ? "" : " " + r.failedStatuses(), r.rate() / ceiling.rate(),
          r.p99() / ceiling.p99(), r.cpu());
    }
  }
}
