package parley.it;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import parley.Api;
import parley.RawHttp;
import parley.config.AppConfig;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile but bounded client against a real Parley process with its default limits: a socket that floods frames
 * while reading nothing, sockets that churn registrations, and thousands of half-open connections. Each attack
 * comes from its own loopback address (127.0.0.2 and up); a well-behaved client on 127.0.0.1 keeps reading the feed
 * and opening new connections throughout. For each: the attack is cut off, the server's heap after GC stays within
 * {@link #HEAP_GROWTH_BOUND_MIB} of where it started, the other client's p99 stays under 100 ms, and every new
 * connection it opens is served. Figures are printed for docs/RELIABILITY.md.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AttackIT {

  static final long HEAP_GROWTH_BOUND_MIB = 64;
  private static ParleyProcess parley;
  private static Vertx vertx;
  private static long post;

  @BeforeAll
  static void start() throws Exception {
    Map<String, String> defaults = new HashMap<>();
    // The live limits as shipped; only REST posting is loosened (the set-up posts faster than a person).
    for (String key : List.of(AppConfig.LIMIT_LIVE_FRAMES, AppConfig.LIMIT_LIVE_FRAMES_IP, AppConfig.LIMIT_LIVE_REGISTERS,
        AppConfig.LIMIT_LIVE_REGISTERS_IP)) {
      defaults.put(key, AppConfig.DEFAULT_LIMITS.get(key));
    }
    parley = ParleyProcess.create("attack", defaults).start();
    vertx = Vertx.vertx();
    Api api = new Api(parley.baseUrl());
    Api.Session alice = api.register("alice");
    post = api.createPost(alice, "A thread worth following");
    for (int i = 0; i < 20; i++) api.createPost(alice, "Post " + i);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    parley.close();
  }

  /** What the well-behaved client saw while an attack ran. */
  private record Seen(List<Long> latenciesMicros, int newConnections, int newConnectionsServed) {
    long p99Millis() {
      List<Long> sorted = new ArrayList<>(latenciesMicros);
      Collections.sort(sorted);
      return sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1000;
    }
  }

  /**
   * Runs the attack while another client on 127.0.0.1 reads the feed every 20 ms (pooled connections) and opens a
   * fresh connection every 100 ms, then keeps going for a second after the attack returns.
   */
  private static Seen whileAttacking(Callable<String> attack, String name) throws Exception {
    long heapBefore = parley.heapUsedAfterGcMiB();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<?> reads = pool.submit(() -> {
        HttpRequest feed = HttpRequest.newBuilder(URI.create(parley.baseUrl() + "/api/posts?limit=20"))
            .timeout(Duration.ofSeconds(10)).build();
        while (!done.get()) {
          long start = System.nanoTime();
          HttpResponse<String> r = client.send(feed, HttpResponse.BodyHandlers.ofString());
          latencies.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
          if (r.statusCode() != 200) throw new AssertionError("the feed answered " + r.statusCode());
          TimeUnit.MILLISECONDS.sleep(20);  // the reader's pace
        }
        return null;
      });
      Future<?> connects = pool.submit(() -> {
        while (!done.get()) {
          opened.incrementAndGet();
          RawHttp.Reply r = RawHttp.send("127.0.0.1", parley.port(),
              "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          if (r.status() == 200) served.incrementAndGet();
          TimeUnit.MILLISECONDS.sleep(100);  // the client's pace
        }
        return null;
      });
      String attackReport = pool.submit(attack).get(3, TimeUnit.MINUTES);
      TimeUnit.SECONDS.sleep(1);  // keep measuring the other client for a second after the attack ends
      done.set(true);
      reads.get(30, TimeUnit.SECONDS);
      connects.get(30, TimeUnit.SECONDS);
      long heapAfter = parley.heapUsedAfterGcMiB();
      Seen seen = new Seen(List.copyOf(latencies), opened.get(), served.get());
      System.out.printf("RELIABILITY attack %s: %s; heap after GC %d -> %d MiB, RSS %d MiB; other client: %d reads,"
              + " p99 %d ms, %d/%d new connections served%n", name, attackReport, heapBefore, heapAfter,
          parley.rssMiB(), latencies.size(), seen.p99Millis(), served.get(), opened.get());
      assertTrue(heapAfter - heapBefore < HEAP_GROWTH_BOUND_MIB,
          "heap after GC grew " + (heapAfter - heapBefore) + " MiB");
      // Starved, the other client waited 10-13 s (RELIABILITY.md); served, its p99 is tens of ms on a quiet machine.
      // The bound sits far from both so a busy CI machine cannot fail it and starvation cannot pass it.
      assertTrue(seen.p99Millis() < 1_000, "the other client's p99 was " + seen.p99Millis() + " ms");
      assertEquals(seen.newConnections(), seen.newConnectionsServed(), "every new connection was served");
      assertTrue(latencies.size() >= 40, "enough samples: " + latencies.size());
      // An attack is the attacker's doing, not the server's failure: nothing of it is logged at ERROR (the bridge
      // once logged each refused frame there, thousands a run, with the attacker's own text).
      List<String> errors = parley.log().lines().filter(line -> line.contains(" ERROR ")).limit(3).toList();
      assertTrue(errors.isEmpty(), name + " made the server log errors: " + errors);
      return seen;
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
  }

  private static WebSocket connect(WebSocketClient client) throws Exception {
    return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(parley.port())
        .setURI("/eventbus/websocket")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void socketsThatFloodFramesWhileReadingNothingAreCut() throws Exception {
    WebSocketClient attacker = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setLocalAddress("127.0.0.2").setMaxConnections(100));
    whileAttacking(() -> {
      List<CompletableFuture<Short>> closed = new ArrayList<>();
      AtomicInteger sent = new AtomicInteger();
      for (int i = 0; i < 50; i++) {
        WebSocket ws = connect(attacker);
        CompletableFuture<Short> code = new CompletableFuture<>();
        ws.closeHandler(v -> code.complete(ws.closeStatusCode()));
        ws.pause();  // read nothing
        closed.add(code);
        vertx.runOnContext(v -> {
          for (int n = 0; n < 5_000 && !ws.isClosed(); n++) {
            ws.writeTextMessage("{\"type\":\"nope\",\"address\":\"x\"}");
            sent.incrementAndGet();
          }
          ws.resume();  // now read, to see the close frame
        });
      }
      Map<Short, Integer> codes = new HashMap<>();
      for (CompletableFuture<Short> code : closed) codes.merge(code.get(60, TimeUnit.SECONDS), 1, Integer::sum);
      assertEquals(Map.of((short) 4002, 50), codes, "every flooding socket was closed as rate limited");
      return "50 sockets sent " + sent.get() + " refused frames, all closed with 4002";
    }, "frame flood");
  }

  @Test
  void socketsThatChurnRegistrationsAreCutAndTheDatabaseStaysFree() throws Exception {
    WebSocketClient attacker = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setLocalAddress("127.0.0.3").setMaxConnections(100));
    whileAttacking(() -> {
      List<CompletableFuture<Short>> closed = new ArrayList<>();
      AtomicInteger frames = new AtomicInteger();
      String topic = "parley.post." + post;
      for (int i = 0; i < 20; i++) {
        WebSocket ws = connect(attacker);
        CompletableFuture<Short> code = new CompletableFuture<>();
        ws.closeHandler(v -> code.complete(ws.closeStatusCode()));
        closed.add(code);
        long timer = vertx.setPeriodic(1, id -> {
          if (ws.isClosed()) return;
          for (int n = 0; n < 50; n++) {
            ws.writeTextMessage(new JsonObject().put("type", "register").put("address", topic).encode());
            ws.writeTextMessage(new JsonObject().put("type", "unregister").put("address", topic).encode());
            frames.addAndGet(2);
          }
        });
        code.whenComplete((c, e) -> vertx.cancelTimer(timer));
      }
      Map<Short, Integer> codes = new HashMap<>();
      for (CompletableFuture<Short> code : closed) codes.merge(code.get(60, TimeUnit.SECONDS), 1, Integer::sum);
      assertEquals(Map.of((short) 4002, 20), codes, "every churning socket was closed as rate limited");
      return "20 sockets sent " + frames.get() + " register/unregister frames, all closed with 4002";
    }, "register churn");
  }

  @Test
  void thousandsOfHalfOpenConnectionsAreCappedAndTimedOut() throws Exception {
    whileAttacking(() -> {
      List<Socket> sockets = new ArrayList<>();
      int attempts = 2_000;
      try {
        for (int i = 0; i < attempts; i++) {
          Socket s = new Socket();
          s.bind(new InetSocketAddress("127.0.0.4", 0));
          s.connect(new InetSocketAddress("127.0.0.1", parley.port()), 5_000);
          s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
          s.setSoTimeout(30_000);
          sockets.add(s);
        }
        long openedAt = System.nanoTime();
        // Past the cap the server closes a connection as it accepts it: probe each without waiting for the rest,
        // again and again for up to 3 s (well inside the 10 s header timeout), because a server on busy cores may
        // not have closed the last ones yet when the first probe reaches them.
        List<Socket> held = new ArrayList<>(sockets);
        long probeUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        do {
          List<Socket> stillOpen = new ArrayList<>();
          for (Socket s : held) {
            s.setSoTimeout(1);
            try {
              assertClosedWithoutAnAnswer(s);
            } catch (java.net.SocketTimeoutException open) {
              stillOpen.add(s);
            }
          }
          held = stillOpen;
        } while (held.size() > 256 && System.nanoTime() < probeUntil);
        int cutAtOnce = attempts - held.size();
        assertTrue(held.size() <= 256, "at most PARLEY_MAX_CONNECTIONS_PER_IP held at once, held " + held.size());
        // The ones held end at the header timeout (10 s after they were opened).
        for (Socket s : held) {
          s.setSoTimeout(30_000);
          assertClosedWithoutAnAnswer(s);
        }
        long lastClosedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedAt);
        assertTrue(lastClosedMillis < 20_000, "the rest timed out, last after " + lastClosedMillis + " ms");
        return attempts + " half-open connections from one address: " + held.size() + " held until the header timeout, "
            + cutAtOnce + " closed at once; all gone after " + lastClosedMillis + " ms";
      } finally {
        for (Socket s : sockets) s.close();
      }
    }, "half-open connections");
  }

  /**
   * The server closed the socket and sent nothing: an end of stream, or a reset (Linux resets a connection closed
   * with bytes it never read, as a connection past the cap is, at accept: which one depends on whether the request's
   * bytes had arrived when it was closed). A timeout means it is still open.
   */
  private static void assertClosedWithoutAnAnswer(Socket s) throws java.io.IOException {
    try {
      assertEquals(-1, s.getInputStream().read(), "closed without an answer");
    } catch (java.net.SocketException e) {
      if (!"Connection reset".equals(e.getMessage())) throw e;
    }
  }
}
