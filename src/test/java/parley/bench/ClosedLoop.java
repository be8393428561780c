package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A closed-loop load: C workers, each sending its next operation as soon as the previous one answered, for a warm-up
 * and then a measured window. Only operations that start and finish inside the window count; the CPU each party
 * (server, PostgreSQL, this generator, the rest of the machine) used during the window is read from /proc, so a
 * figure comes with what it cost and who was busy.
 */
final class ClosedLoop {

  private ClosedLoop() {
  }

  /** What one measured window gave: latencies of the successes, failures by status (-1: no answer), CPU by party. */
  record Result(String name, int concurrency, Histogram latency, long failures, Map<Integer, Long> failedStatuses,
      double seconds, Map<String, Double> coresBusy) {

    double rate() {
      return latency.getTotalCount() / seconds;
    }

    double p50() {
      return latency.getValueAtPercentile(50) / 1e6;
    }

    double p99() {
      return latency.getValueAtPercentile(99) / 1e6;
    }

    double max() {
      return latency.getMaxValue() / 1e6;
    }

    String cpu() {
      StringBuilder s = new StringBuilder();
      coresBusy.forEach((who, cores) -> s.append(s.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "%s %.2f", who, cores)));
      return s.toString();
    }
  }

  /**
   * Runs {@code op} closed-loop on {@code vertx}'s event loops; an operation succeeds when its future yields
   * {@code expected}. {@code parties} reads, by name, the CPU time (ms) of each party to report.
   */
  static Result run(Vertx vertx, String name, int concurrency, int warmupSeconds, int seconds, int expected,
      Map<String, java.util.function.LongSupplier> parties, Supplier<Future<Integer>> op) throws InterruptedException {
    ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(60), 3);
    AtomicLong failures = new AtomicLong();
    Map<Integer, Long> statuses = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
    long measureTo = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch stopped = new CountDownLatch(concurrency);
    for (int w = 0; w < concurrency; w++) {
      Worker worker = new Worker(op, expected, measureFrom, measureTo, latency, failures, statuses, stopped);
      // Each worker on a context of its own, round-robin over the generator's event loops, so its connection and
      // its answers stay on one loop and the workers spread over all of them.
      ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext().runOnContext(v -> worker.next());
    }
    TimeUnit.NANOSECONDS.sleep(measureFrom - System.nanoTime());
    Map<String, Long> cpuBefore = cpu(parties);
    TimeUnit.NANOSECONDS.sleep(measureTo - System.nanoTime());
    Map<String, Long> cpuAfter = cpu(parties);
    if (!stopped.await(60, TimeUnit.SECONDS)) throw new IllegalStateException(name + ": workers did not stop");
    Map<String, Double> cores = new LinkedHashMap<>();
    double wallMillis = seconds * 1000.0;
    long named = 0;
    for (String who : parties.keySet()) {
      long used = cpuAfter.get(who) - cpuBefore.get(who);
      named += used;
      cores.put(who, used / wallMillis);
    }
    cores.put("everything else", (cpuAfter.get(MACHINE) - cpuBefore.get(MACHINE) - named) / wallMillis);
    return new Result(name, concurrency, latency, failures.get(), statuses, seconds, cores);
  }

  private static final String MACHINE = "\u0000machine";

  private static Map<String, Long> cpu(Map<String, java.util.function.LongSupplier> parties) {
    Map<String, Long> m = new LinkedHashMap<>();
    parties.forEach((who, cpuMillis) -> m.put(who, cpuMillis.getAsLong()));
    m.put(MACHINE, Bench.machineCpuMillis());
    return m;
  }

  /** One worker of the loop: sends, waits for the answer, records it, sends again until the window closes. */
  private record Worker(Supplier<Future<Integer>> op, int expected, long measureFrom, long measureTo,
      ConcurrentHistogram latency, AtomicLong failures, Map<Integer, Long> statuses, CountDownLatch stopped) {

    void next() {
      long sent = System.nanoTime();
      if (sent >= measureTo) {
        stopped.countDown();
        return;
      }
      Future<Integer> answer;
      try {
        answer = op.get();
      } catch (RuntimeException e) {
        answer = Future.failedFuture(e);
      }
      answer.onComplete(ar -> {
        long done = System.nanoTime();
        int status = ar.succeeded() ? ar.result() : -1;
        if (sent >= measureFrom && done <= measureTo) {
          if (status == expected) {
            latency.recordValue(done - sent);
          } else {
            failures.incrementAndGet();
            statuses.merge(status, 1L, Long::sum);
          }
        }
        next();
      });
    }
  }

  /**
   * HTTP/1.1 load through a Vert.x client: keep-alive connections, at most one request in flight on each (no
   * pipelining), as many connections as workers. Lighter on the shared CPU than the JDK's client.
   */
  static final class Http {
    private final HttpClientAgent client;
    private final String acceptEncoding;

    Http(Vertx vertx, URI base, int connections, String acceptEncoding) {
      this.client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(base.getHost())
          .setDefaultPort(base.getPort()).setKeepAlive(true).setDecompressionSupported(false),
          new PoolOptions().setHttp1MaxSize(connections));
      this.acceptEncoding = acceptEncoding;
    }

    /** Sends a request, reads the whole body, and yields the status. */
    Future<Integer> send(HttpMethod method, String uri, String token, Buffer body, String idempotencyKey) {
      RequestOptions request = new RequestOptions().setMethod(method).setURI(uri);
      if (token != null) request.putHeader("Authorization", "Bearer " + token);
      if (body != null) request.putHeader("Content-Type", "application/json");
      if (idempotencyKey != null) request.putHeader("Idempotency-Key", idempotencyKey);
      if (acceptEncoding != null) request.putHeader("Accept-Encoding", acceptEncoding);
      return client.request(request)
          .compose(req -> body == null ? req.send() : req.send(body))
          .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    Future<Void> close() {
      return client.close();
    }
  }
}
