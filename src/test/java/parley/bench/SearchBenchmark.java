package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import org.HdrHistogram.ConcurrentHistogram;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Search at community scale (issue 14, P10): 1,000,000 comments on 100,000 posts by 1,000 people, committed in the
 * benchmark's own database, with text drawn from a 50,000-word vocabulary whose word ranks are log-uniform (roughly
 * Zipf's law): the commonest word is in most comments, a medium one in a few percent, a rare one in about a hundred.
 * Then C clients search closed-loop through {@code GET /api/search} for S seconds, each query a term of one class
 * (comments: rare, uncommon, medium, common; posts: rare, common), and the latency is reported per class. Ends with
 * EXPLAIN ANALYZE of the comment search (the probe and the ranking it chose) for the commonest, a medium and a rare
 * term, so a slow class can be read off its plan. Searches answered other than 200 (503 beyond the node's
 * PARLEY_SEARCH_CONCURRENCY, 422 past PARLEY_SEARCH_TIMEOUT) are counted by status, not timed.
 */
public final class SearchBenchmark {

  /** Words are made of four syllables picked by the word's rank, so each rank is one word the stemmer leaves be. */
  static final String WORD_FUNCTION = """
      CREATE OR REPLACE FUNCTION bench_word(r int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT s[1 + r % 20] || s[1 + (r / 20) % 20] || s[1 + (r / 400) % 20] || s[1 + (r / 8000) % 20]
          FROM (SELECT ARRAY['ba','ko','mu','da','po','tu','ga','ro','nu','ka','lo','zu','ma','do','pu','sa','vo',
                             'ku','ta','go'] AS s) syllables
      $$""";
  /** {@code n} words, each of rank floor(exp(U · ln(V + 1))): log-uniform over 1..V, V = 50,000. */
  static String words(String n) {
    return "(SELECT string_agg(bench_word(floor(exp(random() * ln(50001)))::int), ' ') FROM generate_series(1, "
        + n + "))";
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = Bench.options(args);
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "8"));
    int seconds = Integer.parseInt(o.getOrDefault("seconds", "30"));
    int comments = Integer.parseInt(o.getOrDefault("comments", "1000000"));
    int posts = Integer.parseInt(o.getOrDefault("posts", "100000"));
    // The server's PARLEY_SEARCH_RANK_LIMIT (its default unless given): how many matches a search ranks at most.
    int rankLimit = Integer.parseInt(o.getOrDefault("rank-limit", "1000"));
    // --database-url: a PostgreSQL of one's own (started with parley.db.DatabaseServer), kept after the run; the
    // community is generated in it only if it holds none yet, so runs after the first skip the minutes of set-up.
    String databaseUrl = o.get("database-url");

    Path dataDir = Files.createTempDirectory("parley-bench-search");
    List<Process> processes = new ArrayList<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      Map<String, String> env = Map.of("PARLEY_SEARCH_RANK_LIMIT", Integer.toString(rankLimit));
      int port;
      String url;
      if (databaseUrl == null) {
        Bench.Node node = Bench.startNode(dataDir, "search", env, processes);
        port = node.port();
        url = node.db().url();
      } else {
        port = Bench.freePort();
        url = databaseUrl;
        Map<String, String> settings = new java.util.HashMap<>(env);
        settings.put("DATABASE_URL", databaseUrl);
        settings.put("PARLEY_JWT_SECRET", "benchmark-signing-key-" + java.util.UUID.randomUUID());
        String log = "target/bench-search-server.log";
        processes.add(Bench.startServer(port, dataDir.resolve("node"), settings, log));
        Bench.awaitHealth("http://localhost:" + port, log);
      }
      Pool pool = PgBuilder.pool().with(new io.vertx.sqlclient.PoolOptions().setMaxSize(2))
          .connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
      System.out.printf(Locale.ROOT, "Parley search benchmark: %,d comments on %,d posts, %d clients closed-loop "
          + "for %d s, PARLEY_SEARCH_RANK_LIMIT %,d%n%s%n", comments, posts, concurrency, seconds, rankLimit,
          Bench.machine());
      if (databaseUrl == null || !generated(pool)) {
        generate(pool, posts, comments);
      } else {
        System.out.println("the community generated by an earlier run is used as it is");
      }
      Map<String, List<String>> classes = classes(pool);
      run(vertx, port, classes, concurrency, seconds);
      explain(pool, classes.get("comments, common").get(0), rankLimit);
      explain(pool, classes.get("comments, medium").get(0), rankLimit);
      explain(pool, classes.get("comments, uncommon").get(0), rankLimit);
      explain(pool, classes.get("comments, rare").get(0), rankLimit);
      pool.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Bench.stop(processes, dataDir);
    }
  }

  /** The community, committed: generated in SQL, the search indexes built once after the rows, then ANALYZE. */
  static void generate(Pool pool, int posts, int comments) throws Exception {
    long t0 = System.nanoTime();
    await(pool.withConnection(c -> run(c, "SET maintenance_work_mem = '512MB'")
        .compose(v -> run(c, WORD_FUNCTION))
        // Building each GIN index once is much faster than growing it a row at a time; same definitions as V11, with
        // V34's storage option.
        .compose(v -> run(c, "DROP INDEX posts_search"))
        .compose(v -> run(c, "DROP INDEX comments_search"))
        .compose(v -> run(c, "INSERT INTO users (username, email, email_key, password_hash, created_at) SELECT "
            + "'user' || g, 'user' || g || '@example.org', 'user' || g || '@example.org', 'x', "
            + "now() - interval '2 years' FROM generate_series(1, 1000) g"))
        // The listed posts counted once they are in: V38's trigger would update each of its rows once per post.
        .compose(v -> run(c, "ALTER TABLE posts DISABLE TRIGGER listed_posts"))
        .compose(v -> run(c, "INSERT INTO posts (author_id, title, body, body_html, excerpt, created_at, upvotes) "
            + "SELECT (SELECT min(id) FROM users) + (g % 1000), left(" + words("3 + g % 6") + ", 200), "
            + words("20 + g % 40") + ", '<p>b</p>', 'b', now() - (g || ' minutes')::interval, "
            + "(power(random(), 6) * 2000)::int FROM generate_series(1, " + posts + ") g"))
        .compose(v -> run(c, "ALTER TABLE posts ENABLE TRIGGER listed_posts"))
        .compose(v -> run(c, "INSERT INTO listed_posts AS l (shard, posts) SELECT id % 64, count(*) FROM posts "
            + "WHERE deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL GROUP BY id % 64 "
            + "ON CONFLICT (shard) DO UPDATE SET posts = EXCLUDED.posts"))
        .compose(v -> run(c, "INSERT INTO comments (post_id, author_id, body, body_html, created_at, upvotes) "
            + "SELECT (SELECT min(id) FROM posts) + (g % " + posts + "), (SELECT min(id) FROM users) + (g % 997), "
            + words("8 + g % 33") + ", '<p>c</p>', now() - ((g / 10) || ' seconds')::interval, "
            + "(power(random(), 4) * 200)::int FROM generate_series(1, " + comments + ") g"))
        .compose(v -> run(c, "UPDATE post_activity SET comment_count = " + comments / posts))
        .compose(v -> run(c, "CREATE INDEX posts_search ON posts USING gin (search) WITH (fastupdate = off)"))
        .compose(v -> run(c, "CREATE INDEX comments_search ON comments USING gin (search) WITH (fastupdate = off)"))
        .compose(v -> run(c, "VACUUM ANALYZE users"))
        .compose(v -> run(c, "VACUUM ANALYZE posts"))
        .compose(v -> run(c, "VACUUM ANALYZE comments"))), 3600);
    System.out.printf(Locale.ROOT, "generated, indexed and analyzed in %.0f s (set-up, not measured)%n",
        (System.nanoTime() - t0) / 1e9);
  }

  /** Whether an earlier run generated the community in this database (its word function and its comments). */
  static boolean generated(Pool pool) throws Exception {
    Row row = await(pool.query("SELECT to_regprocedure('bench_word(int)') IS NOT NULL AND EXISTS (SELECT FROM comments) "
        + "AS done").execute(), 60).iterator().next();
    return row.getBoolean("done");
  }

  /** Terms by class, by their rank in the vocabulary; prints how many rows each matches. */
  static Map<String, List<String>> classes(Pool pool) throws Exception {
    Map<String, int[]> ranks = new LinkedHashMap<>();
    ranks.put("comments, rare", new int[] {12345, 17389, 23011, 31457, 44021});
    ranks.put("comments, medium", new int[] {97, 131, 173, 223, 307});
    // Between rare and medium: about 1,400 to 3,700 matches, more than the rank limit, in a few of the newest rows.
    ranks.put("comments, uncommon", new int[] {600, 800, 1000, 1200, 1500});
    ranks.put("comments, common", new int[] {1, 2, 3, 5, 8});
    ranks.put("posts, rare", new int[] {12345, 17389, 23011, 31457, 44021});
    ranks.put("posts, common", new int[] {1, 2, 3, 5, 8});
    Map<String, List<String>> classes = new LinkedHashMap<>();
    System.out.println();
    System.out.println("| class | terms (matching rows) |");
    System.out.println("|---|---|");
    for (var e : ranks.entrySet()) {
      String table = e.getKey().startsWith("posts") ? "posts" : "comments";
      List<String> terms = new ArrayList<>();
      StringBuilder line = new StringBuilder();
      for (int r : e.getValue()) {
        Row row = await(pool.preparedQuery("SELECT bench_word($1) AS w, (SELECT count(*) FROM " + table
            + " WHERE search @@ plainto_tsquery('english', bench_word($1))) AS n")
            .execute(io.vertx.sqlclient.Tuple.of(r)), 600).iterator().next();
        terms.add(row.getString("w"));
        line.append(line.length() == 0 ? "" : ", ").append(row.getString("w")).append(" (")
            .append(String.format(Locale.ROOT, "%,d", row.getLong("n"))).append(')');
      }
      classes.put(e.getKey(), terms);
      System.out.printf("| %s | %s |%n", e.getKey(), line);
    }
    return classes;
  }

  /** C clients, each sending its next query when the last one answered, for S seconds; one warm-up pass first. */
  static void run(Vertx vertx, int port, Map<String, List<String>> classes, int concurrency, int seconds)
      throws Exception {
    HttpClient http = vertx.httpClientBuilder()
        .with(new HttpClientOptions().setDefaultHost("localhost").setDefaultPort(port).setKeepAlive(true))
        .with(new PoolOptions().setHttp1MaxSize(concurrency)).build();
    List<String> names = new ArrayList<>(classes.keySet());
    Map<String, ConcurrentHistogram> latency = new LinkedHashMap<>();
    Map<String, Map<Integer, AtomicLong>> failures = new LinkedHashMap<>();
    for (String n : names) {
      latency.put(n, new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3));
      failures.put(n, new java.util.concurrent.ConcurrentSkipListMap<>());
    }
    for (String n : names) {
      for (String term : classes.get(n)) await(search(http, n, term), 120);  // warm-up: one of each, unmeasured
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch done = new CountDownLatch(concurrency);
    long started = System.nanoTime();
    for (int w = 0; w < concurrency; w++) {
      loop(http, names, classes, latency, failures, end, done);
    }
    done.await(seconds + 300L, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - started) / 1e9;
    long total = latency.values().stream().mapToLong(h -> h.getTotalCount()).sum();
    System.out.println();
    System.out.printf(Locale.ROOT, "%d clients closed-loop for %.1f s: %d searches, %.1f per second overall%n",
        concurrency, elapsed, total, total / elapsed);
    System.out.println();
    System.out.println("| class | searches | per second | p50 ms | p99 ms | max ms | not 200, by status |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (String n : names) {
      ConcurrentHistogram h = latency.get(n);
      StringBuilder failed = new StringBuilder();
      failures.get(n).forEach((status, count) -> failed.append(failed.length() == 0 ? "" : ", ")
          .append(status == 0 ? "error" : status).append(": ").append(String.format(Locale.ROOT, "%,d", count.get())));
      System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.2f | %.2f | %.2f | %s |%n", n, h.getTotalCount(),
          h.getTotalCount() / elapsed, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
          h.getMaxValue() / 1e6, failed.length() == 0 ? "0" : failed);
    }
    http.close();
  }

  private static void loop(HttpClient http, List<String> names, Map<String, List<String>> classes,
      Map<String, ConcurrentHistogram> latency, Map<String, Map<Integer, AtomicLong>> failures, long end,
      CountDownLatch done) {
    long began = System.nanoTime();
    if (began >= end) {
      done.countDown();
      return;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String name = names.get(random.nextInt(names.size()));
    List<String> terms = classes.get(name);
    search(http, name, terms.get(random.nextInt(terms.size()))).onComplete(ar -> {
      if (ar.succeeded() && ar.result() == 200) latency.get(name).recordValue(System.nanoTime() - began);
      else failures.get(name).computeIfAbsent(ar.succeeded() ? ar.result() : 0, k -> new AtomicLong())
          .incrementAndGet();
      loop(http, names, classes, latency, failures, end, done);
    });
  }

  private static Future<Integer> search(HttpClient http, String name, String term) {
    String type = name.startsWith("posts") ? "posts" : "comments";
    return http.request(HttpMethod.GET, "/api/search?type=" + type + "&q=" + URLEncoder.encode(term,
            StandardCharsets.UTF_8))
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> resp.statusCode()));
  }

  /**
   * EXPLAIN (ANALYZE, BUFFERS) of the comment search as the server runs it for one term with the server's
   * PARLEY_SEARCH_RANK_LIMIT: the probe, then the ranking it chose (every match, or the newest).
   */
  static void explain(Pool pool, String term, int rankLimit) throws Exception {
    StringBuilder plan = new StringBuilder();
    // The session as the server's connections set theirs (without JIT), so the plans are the ones it runs.
    await(pool.withConnection(c -> run(c, parley.db.Database.SESSION_SETTINGS)
        .compose(v -> run(c, "PREPARE p AS " + parley.search.Search.COMMENTS_PROBE))
        .compose(v -> c.query("EXPLAIN (ANALYZE, BUFFERS) EXECUTE p('" + term + "')").execute())
        .onSuccess(rows -> rows.forEach(r -> plan.append(r.getString(0)).append('\n')))
        .compose(v -> c.query("EXECUTE p('" + term + "')").execute())
        .compose(rows -> {
          Row r = rows.iterator().next();
          parley.search.Search.Way way = parley.search.Search.way(r.getLong("examined"), r.getLong("matched"),
              r.getLong("span"), r.getInteger("nodes"), rankLimit);
          plan.append("-> ").append(r.getLong("matched")).append(" of the newest ").append(r.getLong("examined"))
              .append(" match: ").append(switch (way) {
                case EVERY -> "every match is ranked";
                case NEWEST_READ -> "the newest matches are ranked, read newest first";
                case NEWEST_INDEXED -> "the newest matches are ranked, found through the index";
              }).append("\n\n");
          String sql = switch (way) {
            case EVERY -> parley.search.Search.COMMENTS;
            case NEWEST_READ -> parley.search.Search.COMMENTS_NEWEST;
            case NEWEST_INDEXED -> parley.search.Search.COMMENTS_NEWEST_INDEXED;
          };
          String args = way != parley.search.Search.Way.EVERY ? ", 0, NULL, NULL, 21, 0, " + Long.MAX_VALUE + ", "
              + rankLimit * parley.search.Search.SCAN_FACTOR + ", " + rankLimit : ", 0, NULL, NULL, 21";
          return run(c, "PREPARE q AS " + sql)
              .compose(v -> c.query("EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('" + term + "'" + args + ")").execute());
        })
        .onSuccess(rows -> rows.forEach(r -> plan.append(r.getString(0)).append('\n')))
        .compose(v -> run(c, "DEALLOCATE q"))
        .compose(v -> run(c, "DEALLOCATE p"))), 600);
    System.out.println();
    System.out.println("EXPLAIN (ANALYZE, BUFFERS) comment search for '" + term + "' (the probe, then the ranking):");
    System.out.println(plan);
  }

  private static Future<Void> run(SqlConnection c, String sql) {
    return c.query(sql).execute().mapEmpty();
  }

  private static <T> T await(Future<T> f, int seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }
}
