package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.notification.Notifier;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The notifier's statement for a batch of new comments ({@link Notifier#FROM_COMMENTS}), on its own: what PostgreSQL
 * spends making a batch's notifications, without the rest of the write path sharing the two cores (issue 14, P5).
 *
 * <p>On a database of its own, migrated by a Parley node: {@code --readers} accounts have each commented once on every
 * one of {@code --posts} threads, so each follows them all; then {@code --batch} new comments (one per thread, their
 * authors in turn) are notified, the statement run {@code --runs} times, each in a savepoint rolled back, in one
 * transaction that is rolled back at the end. Three variants alternate in rounds, so a drift of the machine falls on
 * all three alike:
 *
 * <ul>
 *   <li>the statement as it is;</li>
 *   <li>the statement with the foreign keys V21 replaced (post, comment, actor) put back, which it was before;</li>
 *   <li>the ceiling: the same rows inserted from arrays, no reader chosen or checked, as the cheapest way to store
 *   them.</li>
 * </ul>
 *
 * <pre>./mvnw -q -o exec:java -Dexec.mainClass=parley.bench.NotifierBenchmark -Dexec.args="--runs 300"</pre>
 */
public final class NotifierBenchmark {

  private static final String FOREIGN_KEYS = """
      ALTER TABLE notifications
        ADD CONSTRAINT bench_post_fkey FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE,
        ADD CONSTRAINT bench_comment_fkey FOREIGN KEY (comment_id) REFERENCES comments (id) ON DELETE CASCADE,
        ADD CONSTRAINT bench_actor_fkey FOREIGN KEY (actor_id) REFERENCES users (id) ON DELETE SET NULL""";

  private static final String NO_FOREIGN_KEYS = "ALTER TABLE notifications DROP CONSTRAINT bench_post_fkey, "
      + "DROP CONSTRAINT bench_comment_fkey, DROP CONSTRAINT bench_actor_fkey";

  /** The ceiling: the rows the statement makes, given, inserted as they are. */
  private static final String PLAIN = """
      INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id)
      SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
      RETURNING id""";

  public static void main(String[] args) throws Exception {
    Map<String, String> o = Bench.options(args);
    int readers = Integer.parseInt(o.getOrDefault("readers", "10"));
    int posts = Integer.parseInt(o.getOrDefault("posts", "100"));
    int batch = Integer.parseInt(o.getOrDefault("batch", "42"));
    int runs = Integer.parseInt(o.getOrDefault("runs", "300"));
    int rounds = 5;

    Path dataDir = Files.createTempDirectory("parley-bench-notifier");
    List<Process> processes = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    try {
      Bench.Node node = Bench.startNode(dataDir, "notifier", Map.of(), processes);
      System.out.println(Bench.machine());
      SqlConnection c = await(PgConnection.connect(vertx, PgConnectOptions.fromUri(node.db().url())
          .setCachePreparedStatements(true)));
      await(c.query("BEGIN").execute());
      await(c.query("INSERT INTO users (username, email, email_key, password_hash) SELECT 'reader' || g, "
          + "'reader' || g || '@example.org', 'reader' || g || '@example.org', 'x' FROM generate_series(1, " + readers
          + ") g").execute());
      await(c.query("CREATE TEMP TABLE bench_readers AS SELECT id FROM users WHERE username LIKE 'reader%'").execute());
      await(c.query("INSERT INTO posts (author_id, title, body, body_html, excerpt) SELECT (SELECT min(id) FROM "
          + "bench_readers) + g % " + readers + ", 'Thread ' || g, 'b', '<p>b</p>', 'b' FROM generate_series(1, "
          + posts + ") g").execute());
      await(c.query("CREATE TEMP TABLE bench_posts AS SELECT id FROM posts WHERE title LIKE 'Thread %'").execute());
      await(c.query("INSERT INTO comments (post_id, author_id, body, body_html) SELECT p.id, r.id, 'earlier', "
          + "'<p>earlier</p>' FROM bench_posts p, bench_readers r ORDER BY p.id, r.id").execute());
      await(c.query("INSERT INTO comments (post_id, author_id, body, body_html) SELECT p.id, (SELECT min(id) FROM "
          + "bench_readers) + k % " + readers + ", 'new', '<p>new</p>' FROM (SELECT id, row_number() OVER "
          + "(ORDER BY id) AS k FROM bench_posts) p WHERE k <= " + batch).execute());
      await(c.query("ANALYZE").execute());
      Row w = await(c.query("SELECT array_agg(post_id ORDER BY id) AS posts, array_agg(id ORDER BY id) AS comments, "
          + "array_agg(author_id ORDER BY id) AS authors, array_agg('bench:' || id ORDER BY id) AS sources "
          + "FROM comments WHERE body = 'new'").execute()).iterator().next();
      Tuple batchArgs = Tuple.of(w.getArrayOfLongs("posts"), w.getArrayOfLongs("comments"),
          w.getArrayOfLongs("authors"), w.getArrayOfStrings("sources"), new Long[0], new Long[0]);

      // The rows the statement makes, for the ceiling.
      await(c.query("SAVEPOINT s").execute());
      List<Row> made = new ArrayList<>();
      await(c.preparedQuery(Notifier.FROM_COMMENTS).execute(batchArgs)).forEach(made::add);
      Row all = await(c.query("SELECT array_agg(user_id ORDER BY id) AS u, array_agg(kind ORDER BY id) AS k, "
          + "array_agg(source ORDER BY id) AS s, array_agg(post_id ORDER BY id) AS p, array_agg(comment_id ORDER BY "
          + "id) AS c, array_agg(actor_id ORDER BY id) AS a FROM notifications WHERE source LIKE 'bench:%'").execute())
          .iterator().next();
      await(c.query("ROLLBACK TO SAVEPOINT s").execute());
      Tuple plainArgs = Tuple.of(all.getArrayOfLongs("u"), all.getArrayOfStrings("k"), all.getArrayOfStrings("s"),
          all.getArrayOfLongs("p"), all.getArrayOfLongs("c"), all.getArrayOfLongs("a"));

      long[] nanos = new long[3];
      int[] count = new int[3];
      String[] names = {"the statement (V21)", "the statement with the three foreign keys back",
          "ceiling: the same rows, given, inserted"};
      for (int round = 0; round < rounds + 1; round++) {
        for (int variant = 0; variant < 3; variant++) {
          if (variant == 1) await(c.query(FOREIGN_KEYS).execute());
          String sql = variant == 2 ? PLAIN : Notifier.FROM_COMMENTS;
          Tuple params = variant == 2 ? plainArgs : batchArgs;
          for (int i = 0; i < runs / rounds; i++) {
            await(c.query("SAVEPOINT s").execute());
            long t0 = System.nanoTime();
            int n = await(c.preparedQuery(sql).execute(params)).rowCount();
            long t1 = System.nanoTime();
            await(c.query("ROLLBACK TO SAVEPOINT s").execute());
            if (n != made.size()) throw new IllegalStateException(names[variant] + " made " + n + ", not " + made.size());
            if (round > 0) {  // the first round warms up
              nanos[variant] += t1 - t0;
              count[variant]++;
            }
          }
          if (variant == 1) await(c.query(NO_FOREIGN_KEYS).execute());
        }
      }
      await(c.query("ROLLBACK").execute());
      System.out.printf(Locale.ROOT, "the notifier's statement for %d new comments in %d threads, each followed by %d "
          + "readers: %d notifications a batch; %d runs of each, alternating in %d rounds after one to warm up; "
          + "PostgreSQL and this client share the machine, nothing else runs%n", batch, posts, readers, made.size(),
          count[0], rounds);
      System.out.println("| variant | ms per batch | µs per notification | × ceiling |");
      System.out.println("|---|---|---|---|");
      double ceiling = nanos[2] / 1e6 / count[2];
      for (int v = 0; v < 3; v++) {
        double ms = nanos[v] / 1e6 / count[v];
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.1f | %.2f |%n", names[v], ms, ms * 1000 / made.size(),
            ms / ceiling);
      }
      await(c.close());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      Bench.stop(processes, dataDir);
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
