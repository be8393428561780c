package parley.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;
import parley.config.AppConfig;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One client address has at most PARLEY_MAX_READS_PER_IP reads worked on at once; its others wait their turn, and
 * everybody else's reads go straight to the database (a review: 250 reads of distinct pages from one client held
 * the REST pool, and another client's reads waited seconds behind them). Reads are held at the database by a lock
 * on the table they read, so who reached it can be counted there.
 */
@ExtendWith(TestParley.class)
class ReadTurnsTest {

  private static final String ATTACKER = "127.0.0.2";
  private static final Pattern WAITING = Pattern.compile("(?m)^parley_reads_waiting(?:\\{[^}]*})? ([0-9.Ee+]+)$");
  private static final Pattern TURNED_AWAY =
      Pattern.compile("(?m)^parley_reads_turned_away_total(?:\\{[^}]*})? ([0-9.Ee+]+)$");

  @Test
  void oneAddressHoldsAtMostItsTurnsAndAnotherAddressGoesStraightToTheDatabase() throws Exception {
    Main.Running server = TestParley.startServer(Map.of(AppConfig.MAX_READS_PER_IP, "2",
        AppConfig.DATABASE_TIMEOUT, "30s", AppConfig.DATABASE_DEADLINE, "60s"));
    Api api = new Api("http://localhost:" + server.port());
    Session mallory = api.register("mallory");
    Session victor = api.register("victor");
    long thread = api.createPost(victor, "A thread");
    Vertx vertx = Vertx.vertx();
    try (Connection lock = TestParley.db().getConnection()) {
      long holder = holdBlocks(lock);
      HttpClient attacker = client(vertx);
      List<Future<Integer>> reads = new ArrayList<>();
      for (int i = 0; i < 6; i++) reads.add(get(attacker, server.port(), "/api/me/blocks?limit=" + (10 + i), mallory));
      // Two reached the database and wait there for the lock; four wait for their address's turn.
      await(() -> metric(api, WAITING) == 4 && blockedBy(holder) == 2, "two of mallory's reads at the database");
      assertEquals(2, blockedBy(holder), "no more than mallory's turns reached the database");
      // Another address's read does not wait behind mallory's four: it goes to the database at once.
      Future<Integer> victors = get(client(vertx, "127.0.0.1"), server.port(), "/api/me/blocks", victor);
      await(() -> blockedBy(holder) == 3, "victor's read at the database");
      assertEquals(4, metric(api, WAITING), "mallory's four still wait their turn");
      // Pages, feeds and checks outside the API that read the database take turns too (a review filled the pool
      // through them).
      for (String path : List.of("/u/mallory", "/posts/" + thread, "/feed.atom", "/health")) {
        reads.add(get(attacker, server.port(), path, null));
      }
      await(() -> metric(api, WAITING) == 8, "mallory's page, feed and check reads wait their turn");
      // A read whose client goes away while it waits leaves the queue at once, not when its wait runs out.
      try (Socket gone = new Socket()) {
        gone.bind(new InetSocketAddress(ATTACKER, 0));
        gone.connect(new InetSocketAddress("127.0.0.1", server.port()));
        gone.getOutputStream().write(("GET /api/posts HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        await(() -> metric(api, WAITING) == 9, "the read that will leave waits");
      }
      await(() -> metric(api, WAITING) == 8, "the read that left is forgotten");
      lock.commit();
      assertEquals(200, victors.await(30, TimeUnit.SECONDS));
      for (Future<Integer> read : reads) assertEquals(200, read.await(30, TimeUnit.SECONDS));
      assertEquals(0, metric(api, WAITING));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      server.stop();
    }
  }

  @Test
  void aReadThatWaitsLongerThanTheDatabaseTimeoutIsRefusedAndTheTurnsGoOn() throws Exception {
    Main.Running server = TestParley.startServer(Map.of(AppConfig.MAX_READS_PER_IP, "1",
        AppConfig.DATABASE_TIMEOUT, "1s", AppConfig.DATABASE_DEADLINE, "60s"));
    Api api = new Api("http://localhost:" + server.port());
    Session mallory = api.register("mallory");
    Vertx vertx = Vertx.vertx();
    try (Connection lock = TestParley.db().getConnection()) {
      long holder = holdBlocks(lock);
      HttpClient attacker = client(vertx);
      Future<Integer> first = get(attacker, server.port(), "/api/me/blocks", mallory);
      await(() -> blockedBy(holder) == 1, "the first read at the database");
      RequestOptions second = new RequestOptions().setPort(server.port()).setHost("127.0.0.1")
          .setURI("/api/me/blocks?limit=5").putHeader("Authorization", "Bearer " + mallory.token());
      var refused = attacker.request(second).compose(req -> req.send())
          .compose(res -> res.body().map(body -> Map.entry(res, body.toString()))).await(30, TimeUnit.SECONDS);
      assertEquals(503, refused.getKey().statusCode(), refused.getValue());
      assertEquals(ProblemHandler.CONTENT_TYPE, refused.getKey().getHeader("Content-Type"));
      assertEquals("1", refused.getKey().getHeader("Retry-After"));
      assertTrue(refused.getValue().contains("reads"), refused.getValue());
      assertEquals(1, metric(api, TURNED_AWAY));
      lock.commit();
      assertEquals(200, first.await(30, TimeUnit.SECONDS));
      // The turn the first read held was given back: the next read has it.
      assertEquals(200, get(attacker, server.port(), "/api/me/blocks", mallory).await(30, TimeUnit.SECONDS));
      assertEquals(0, metric(api, WAITING));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      server.stop();
    }
  }

  /**
   * A turn ends with the answer's head: a client that asks for a big page and reads none of it (the page goes out a
   * slice at a time, for as long as the client takes) does not keep its address's next read waiting.
   */
  @Test
  void aTurnEndsWithTheAnswersHeadNotItsLastByte() throws Exception {
    Main.Running server = TestParley.startServer(Map.of(AppConfig.MAX_READS_PER_IP, "1",
        AppConfig.DATABASE_TIMEOUT, "2s"));
    Api api = new Api("http://localhost:" + server.port());
    Session alice = api.register("alice");
    long post = api.createPost(alice, "A thread too long to read at once");
    // Links weigh most once rendered: each is its text, and an anchor around it.
    String words = "https://example.com/a ".repeat(450);
    for (int i = 0; i < 200; i++) api.comment(alice, post, i + " " + words, null);
    String page = "/api/posts/" + post + "/comments?limit=200";
    int size = api.get(page).body().length();
    assertTrue(size > 8_000_000, "a page bigger than the connection's buffers: " + size);
    Vertx vertx = Vertx.vertx();
    try (Socket stalled = new Socket()) {
      stalled.setReceiveBufferSize(4096);
      stalled.bind(new InetSocketAddress(ATTACKER, 0));
      stalled.connect(new InetSocketAddress("127.0.0.1", server.port()));
      stalled.getOutputStream().write(("GET " + page + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = stalled.getInputStream();
      byte[] head = new byte[1024];
      int n = in.read(head);
      assertTrue(n > 0 && new String(head, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"),
          "the big page's head arrived");
      // Its body is far from all sent (a client that reads nothing), and the same address's next read is served.
      assertEquals(200, get(client(vertx), server.port(), "/api/posts/" + post, null).await(30, TimeUnit.SECONDS));
      assertEquals(0, metric(api, TURNED_AWAY));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      server.stop();
    }
  }

  /** Locks the table {@code GET /api/me/blocks} reads, in {@code c}'s transaction; the backend's pid. */
  private static long holdBlocks(Connection c) throws Exception {
    c.setAutoCommit(false);
    c.createStatement().execute("LOCK TABLE blocks IN ACCESS EXCLUSIVE MODE");
    try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Sessions waiting for the lock {@code holder} holds. */
  private static long blockedBy(long holder) {
    try {
      return TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE " + holder + " = ANY(pg_blocking_pids(pid))");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static double metric(Api api, Pattern metric) {
    Matcher m = metric.matcher(api.get("/metrics").body());
    assertTrue(m.find(), "the metric is there: " + metric);
    return Double.parseDouble(m.group(1));
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(5);
    }
  }

  private static HttpClient client(Vertx vertx) {
    return client(vertx, ATTACKER);
  }

  private static HttpClient client(Vertx vertx, String from) {
    return vertx.createHttpClient(new HttpClientOptions().setLocalAddress(from), new PoolOptions().setHttp1MaxSize(10));
  }

  private static Future<Integer> get(HttpClient client, int port, String path, Session as) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setPort(port).setHost("127.0.0.1")
        .setURI(path);
    if (as != null) options.putHeader("Authorization", "Bearer " + as.token());
    return client.request(options).compose(req -> req.send()).compose(res -> res.body().map(b -> res.statusCode()));
  }
}
