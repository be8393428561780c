package parley.http;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most {@code perAddress} reads that may query the database (GETs under {@code /api} and {@code /realworld/api},
 * and the pages, feeds and health checks outside them that read it) from one client address worked on at once on
 * this node; the others from that address wait their turn, in the order they came, for at most {@code wait} (as long as
 * a request waits for a pool connection), and are then answered 503 with Retry-After, having changed nothing.
 *
 * <p>Why: the read cache answers many requests for one page with one query (a hit, or a miss that joins the load
 * under way), but pages of distinct keys (a random {@code limit} or sort on each request) each make their own query.
 * 250 of them at once from one client held all of the REST pool's connections and filled its wait queue for
 * seconds: another client's reads took 0.4 s at the median and 3.6 s at worst, behind them in the pool's queue (a
 * review, 2026-12-06). With turns, one address holds at most {@code perAddress} of the pool (half of it by default)
 * and everybody else's reads go straight to a connection.
 *
 * <p>A turn ends when its answer's head is written (a big page then goes out a slice at a time, to a slow reader for
 * as long as it takes, without holding a turn: the cached pages' bytes are shared), or, for an answer made for its
 * request alone that asked for it ({@link #untilSent}), when the answer is sent whole; or when its connection
 * closes. A read whose client goes away while
 * it waits leaves the line at once, so how many wait is bounded by the connections an address may hold
 * ({@code PARLEY_MAX_CONNECTIONS_PER_IP}: a connection has one request at a time). Writes take no turn: they have
 * their own limits per account and address, and come first. Addresses are the ones the rate limits use
 * ({@link ClientIp}): behind a reverse proxy that is not in {@code PARLEY_TRUSTED_PROXIES}, every reader shares the
 * proxy's turns.
 */
public final class ReadTurns {

  private static final String TURN = "parley.readTurn";
  /** Set on a read whose turn lasts until its answer is sent whole (see {@link #untilSent}). */
  private static final String UNTIL_SENT = "parley.readTurn.untilSent";

  private final int perAddress;
  private final long waitMs;
  private final List<String> trustedProxies;
  private final Map<String, Queue> queues = new ConcurrentHashMap<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicLong turnedAway = new AtomicLong();

  public ReadTurns(int perAddress, Duration wait, List<String> trustedProxies) {
    if (perAddress < 1) throw new IllegalArgumentException("perAddress must be at least 1");
    this.perAddress = perAddress;
    this.waitMs = Math.max(1, wait.toMillis());
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  /**
   * Keeps this read's turn until its answer is sent whole, not only its head: for an answer made for this request
   * alone and big (the RealWorld API's whole comment list, up to a megabyte), which a client that reads nothing
   * would otherwise keep in memory with as many requests as it has connections (a hostile review ran a node out of
   * heap with 24 such connections). Call it before anything of the answer is written.
   */
  public static void untilSent(RoutingContext ctx) {
    ctx.put(UNTIL_SENT, Boolean.TRUE);
  }

  /** Reads waiting for their address's turn now, on this node. */
  public int waiting() {
    return waiting.get();
  }

  /** Reads answered 503 after waiting {@code wait} for a turn, since the node started. */
  public long turnedAway() {
    return turnedAway.get();
  }

  /**
   * A route handler for the requests that may read the database (the API's, and the pages, feeds and checks outside
   * it that do): a GET or HEAD goes on once it has its address's turn.
   */
  public Handler<RoutingContext> handler() {
    return ctx -> {
      HttpMethod method = ctx.request().method();
      // A request routed again after it had its turn (a reroute) keeps that turn: asking for a second could wait
      // for ever on its own first when the address has one.
      if (method != HttpMethod.GET && method != HttpMethod.HEAD || ctx.get(TURN) != null) {
        ctx.next();
        return;
      }
      String address = ClientIp.of(ctx, trustedProxies);
      Waiter waiter = new Waiter(ctx, address);
      boolean[] now = new boolean[1];
      queues.compute(address, (key, queue) -> {
        Queue q = queue == null ? new Queue() : queue;
        if (q.running < perAddress) {
          q.running++;
          now[0] = true;
        } else {
          q.waiting.add(waiter);
          waiting.incrementAndGet();
        }
        return q;
      });
      if (now[0]) {
        waiter.go();
      } else {
        waiter.await();
      }
    };
  }

  /** A turn ended: the next waiting read of the address has it, or the address has one fewer running. */
  private void release(String address) {
    Waiter[] next = new Waiter[1];
    queues.computeIfPresent(address, (key, queue) -> {
      next[0] = queue.waiting.poll();
      if (next[0] != null) {
        waiting.decrementAndGet();
        return queue;
      }
      queue.running--;
      return queue.running == 0 ? null : queue;
    });
    if (next[0] != null) next[0].handOver();
  }

  /** Takes a waiting read out of its address's queue; false if it was handed a turn first. */
  private boolean withdraw(Waiter waiter) {
    boolean[] removed = new boolean[1];
    queues.computeIfPresent(waiter.address, (key, queue) -> {
      removed[0] = queue.waiting.remove(waiter);
      if (removed[0]) waiting.decrementAndGet();
      return queue;
    });
    return removed[0];
  }

  /** The reads of one address: how many are being worked on, and those waiting, oldest first. */
  private static final class Queue {
    int running;
    final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  }

  private final class Waiter {
    final RoutingContext ctx;
    final String address;
    /** The request's own context: a turn handed over from another event loop's read goes on here. */
    final Context context = Vertx.currentContext();
    long timer = -1;

    Waiter(RoutingContext ctx, String address) {
      this.ctx = ctx;
      this.address = address;
    }

    /**
     * Waits for a turn, for at most the wait; then a 503. A read whose client goes away meanwhile leaves the queue at
     * once: one left there until its wait ran out was still counted, and kept its request (a review: an address that
     * opened and closed 13,000 connections in 2.5 s had 5,816 waiting, with 4 connections open).
     */
    void await() {
      timer = ctx.vertx().setTimer(waitMs, id -> {
        if (!withdraw(this) || ctx.response().closed()) return;
        turnedAway.incrementAndGet();
        ctx.fail(Problem.unavailable("Too many of your reads are running at once: try again shortly.",
            Math.max(1, (waitMs + 999) / 1000)));
      });
      EndHandlers.add(ctx, gone -> {
        if (withdraw(this)) ctx.vertx().cancelTimer(timer);
      });
    }

    /** Was handed a turn by a read that ended, perhaps on another event loop. */
    void handOver() {
      context.runOnContext(v -> {
        ctx.vertx().cancelTimer(timer);
        if (ctx.response().closed() || ctx.response().ended()) {
          release(address);
          return;
        }
        go();
      });
    }

    /** Has a turn: it ends with the answer's head, or the connection. */
    void go() {
      boolean[] ended = new boolean[1];  // one event loop: the request's
      Handler<Void> end = v -> {
        if (ended[0]) return;
        ended[0] = true;
        release(address);
      };
      ctx.put(TURN, Boolean.TRUE);
      ctx.addHeadersEndHandler(v -> {
        if (!Boolean.TRUE.equals(ctx.get(UNTIL_SENT))) end.handle(null);
      });
      EndHandlers.add(ctx, done -> end.handle(null));
      ctx.next();
    }
  }
}
