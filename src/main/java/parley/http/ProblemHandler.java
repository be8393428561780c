package parley.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import parley.db.DatabaseDeadline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The one place where failures become responses: a {@link Problem} keeps its status, PostgreSQL's unique
 * violation becomes 409, a database that cannot be reached (down, restarting, saturated) or refuses for its own
 * state (read-only, out of disk, an operator's timeout: {@link #transientState}) becomes 503 with
 * Retry-After, a status set by Vert.x (404, 405, 413...) gets its standard problem, and anything else is logged
 * and answered with a bare 500. No stack trace or SQL text ever reaches the client.
 */
public final class ProblemHandler implements Handler<RoutingContext> {

  public static final String CONTENT_TYPE = "application/problem+json";
  /** Seconds a client is asked to wait when the database is unavailable; a restart takes about this long. */
  static final long DATABASE_RETRY_AFTER = 2;
  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
  /** An outage fails every request at once: say so once a second, not once per request. */
  private static final AtomicLong lastOutageLog = new AtomicLong();
  private static final AtomicLong outageFailures = new AtomicLong();

  private final long maxBodyBytes;
  /** The methods the routes take at a path, for a 405's Allow header (RFC 9110 requires one). */
  private final Function<String, Set<String>> allowed;

  public ProblemHandler(long maxBodyBytes) {
    this(maxBodyBytes, path -> Set.of());
  }

  public ProblemHandler(long maxBodyBytes, Function<String, Set<String>> allowed) {
    this.maxBodyBytes = maxBodyBytes;
    this.allowed = allowed;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Problem problem = toProblem(ctx);
    if (ctx.response().closed()) return;
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    allow(ctx, problem);
    write(ctx.request(), problem);
  }

  /** The methods the routes take at a path (none where nothing is served). */
  public Set<String> methodsAt(String path) {
    return allowed.apply(path);
  }

  /** A 405's Allow header: the methods the routes take at the request's path. */
  public void allow(RoutingContext ctx, Problem problem) {
    if (problem.status() != 405) return;
    Set<String> methods = allowed.apply(ctx.normalizedPath());
    if (!methods.isEmpty()) ctx.response().putHeader(HttpHeaders.ALLOW, String.join(", ", methods));
  }

  /**
   * Answers a request the HTTP decoder could not read (a broken request line, headers too large, a URI too long)
   * as problem+json too; the server closes the connection afterwards.
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    Problem problem = switch (status) {
      case 414 -> ProblemType.URI_TOO_LONG.problem("The request line is too long.");
      case 431 -> ProblemType.HEADERS_TOO_LARGE.problem("The request's headers are too large.");
      default -> Problem.badRequest("The request could not be read as HTTP.");
    };
    request.response().putHeader(HttpHeaders.CONNECTION, "close");
    HttpConnection connection = request.connection();
    // Closed once the answer is out. (An end handler set after end() throws when the answer went out at once, which
    // logged an error with a stack trace for every such request.)
    write(request, problem).onComplete(written -> {
      if (connection != null) connection.close();
    });
  }

  private static Future<Void> write(HttpServerRequest request, Problem problem) {
    if (problem.status() == 401) {
      request.response().putHeader("WWW-Authenticate", "Bearer realm=\"parley\"");
    }
    Object retryAfter = problem.toJson().getValue("retryAfter");
    if ((problem.status() == 429 || problem.status() == 503) && retryAfter != null) {
      request.response().putHeader(HttpHeaders.RETRY_AFTER, retryAfter.toString());
    }
    return request.response()
        .setStatusCode(problem.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(problem.toJson().encode());
  }

  /** The problem a failed request is answered with (for surfaces that write it in another shape). */
  public Problem toProblem(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof Problem p) return p;
    // The client's own connection closed before its request was read whole (it went away, or its body could not
    // be read: UnreadableBody): nobody is there to answer, and it says nothing about the database.
    if (failure instanceof io.vertx.core.http.HttpClosedException) {
      return Problem.badRequest("The connection closed before the request was read.");
    }
    // The client closed its connection before the answer went out (a browser leaving the page while a file or an
    // answer was on its way): whatever failed writing to it (often an IOException, which would read as the
    // database's) was the client's doing, and there is nobody to answer. Not an outage, not logged above DEBUG.
    if (ctx.response().closed() && clientsChannelClosed(failure)) {
      log.debug("Client went away from {} {} (request {}): {}", ctx.request().method(),
          AccessLog.printable(ctx.request().path()), AccessLog.id(ctx), String.valueOf(failure));
      return Problem.badRequest("The connection closed before the answer was sent.");
    }
    if (failure instanceof DecodeException) return Problem.badRequest("The request body is not valid JSON.");
    if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return Problem.conflict("That conflicts with something that already exists.");
    }
    if (failure != null && databaseUnavailable(failure)) {
      logOutage(failure);
      if (maybeSaved(failure)) {
        return Problem.unavailable("The database did not confirm this write in time: it may have been saved. "
            + "A retry with the same Idempotency-Key is safe.", DATABASE_RETRY_AFTER);
      }
      String state = sqlState(failure);
      if (state != null) {
        String why = transientState(state);
        if (why != null) return Problem.unavailable(why + " Nothing was changed; try again shortly.", DATABASE_RETRY_AFTER);
      }
      return Problem.unavailable("The database is unavailable; try again shortly.", DATABASE_RETRY_AFTER);
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
    // Outside the API every path is served by the static files for GET; another method there names nothing.
    // Read as routed (normalized): PUT //api/me was a 404, where GET //api/me is served (a review).
    if (status == 405 && !ctx.normalizedPath().startsWith("/api/")) status = 404;
    if (status >= 400 && status < 500) return forStatus(status);
    if (status == 503) return Problem.unavailable("Try again shortly.", DATABASE_RETRY_AFTER);
    log.error("Unhandled failure on {} {} (request {})", ctx.request().method(),
        AccessLog.printable(ctx.request().path()), AccessLog.id(ctx), failure);
    return ProblemType.INTERNAL.problem("Something went wrong on our side.");
  }

  /**
   * Whether a failure means PostgreSQL could not be used just now, rather than that the request was wrong: no
   * connection (refused, closed, reset), the pool's bounded wait ran out or its queue is full, a statement went
   * unanswered past the request deadline ({@link DatabaseDeadline}, a timeout), the server said it is shutting
   * down, starting or recovering, or it refused for its own state ({@link #transientState}).
   */
  public static boolean databaseUnavailable(Throwable failure) {
    for (Throwable t : causes(failure)) {
      if (t instanceof ClosedConnectionException || t instanceof ConnectionPoolTooBusyException
          || t instanceof TimeoutException || t instanceof IOException) {
        return true;
      }
      if (t instanceof PgException pg && pg.getSqlState() != null) {
        String state = pg.getSqlState();
        // 08: connection exceptions; 57P0x: shutdown, crash, starting up; the states of transientState.
        if (state.startsWith("08") || state.startsWith("57P") || transientState(state) != null) return true;
      }
      if (t instanceof VertxException && String.valueOf(t.getMessage()).contains("onnection")) {
        return true;
      }
      if (poolWaitRanOut(t)) return true;
    }
    return false;
  }

  /**
   * The SQL client's pool fails a wait for a connection that outlived PARLEY_DB_TIMEOUT with a bare
   * NoStackTraceThrowable("Timeout"): saturated, not broken.
   */
  private static boolean poolWaitRanOut(Throwable t) {
    return t.getClass().getName().equals("io.vertx.core.impl.NoStackTraceThrowable") && "Timeout".equals(t.getMessage());
  }

  /**
   * What a PostgreSQL error says of the database's state rather than of the request, for the client's answer (null
   * when it is not one of those). Each rolled the statement's transaction back, so nothing of the write was kept:
   * an operator's or a failover's doing (a server that accepts no writes: a standby, or one set read-only; a
   * statement or lock timeout; a cancel; a password changed under the pool), a server short of disk, memory or
   * connections, or two transactions that collided. Before, each was a 500 with a stack trace at ERROR per request
   * (a read-only server after a failover made every write one).
   */
  static String transientState(String state) {
    return switch (state) {
      case "25006" -> "The database accepts no writes just now (a standby, or one being failed over).";
      case "57014" -> "The database cancelled the request (a statement timeout, or an operator).";
      case "55P03" -> "The database could not take a lock in time.";
      case "40001", "40P01" -> "The request collided with another on the database.";
      default -> state.startsWith("53") ? "The database is short of resources (disk, memory or connections)."
          : state.startsWith("58") ? "The database could not read or write its files."
          : state.startsWith("28") ? "The database refused Parley's credentials."
          : state.equals("3D000") ? "The database Parley is set to use does not exist."
          : null;
    };
  }

  /** The SQLSTATE of the failure's first PostgreSQL error, outermost first (null if none). */
  private static String sqlState(Throwable failure) {
    for (Throwable t : causes(failure)) {
      if (t instanceof PgException pg && pg.getSqlState() != null) return pg.getSqlState();
    }
    return null;
  }

  /**
   * Whether the failure is Netty's refusal to write to a closed channel, with nothing of the database in it: the
   * client's connection, once its response is closed. Anything else (a database that refused, reset, or stopped
   * answering) is still counted and logged as an outage, even when the client has gone too.
   */
  private static boolean clientsChannelClosed(Throwable failure) {
    boolean closedChannel = false;
    for (Throwable t : causes(failure)) {
      if (t instanceof PgException || t instanceof ClosedConnectionException || t instanceof DatabaseDeadline
          || t.getClass().getName().startsWith("io.vertx.sqlclient")) {
        return false;
      }
      if (t instanceof java.nio.channels.ClosedChannelException) closedChannel = true;
    }
    return closedChannel;
  }

  /**
   * The failure and its causes, outermost first, each once: a chain that comes back on itself (a cause set with
   * {@code initCause} to an exception further out) ends where it would repeat, rather than looping on the event loop.
   */
  static List<Throwable> causes(Throwable failure) {
    List<Throwable> chain = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) chain.add(t);
    return chain;
  }

  /** Whether the failure is a write's deadline that passed after its COMMIT was sent ({@link DatabaseDeadline}). */
  private static boolean maybeSaved(Throwable failure) {
    for (Throwable t : causes(failure)) {
      if (t instanceof DatabaseDeadline deadline) return deadline.maybeSaved();
      if (t instanceof parley.db.CommitUnconfirmed) return true;
    }
    return false;
  }

  static void logOutage(Throwable failure) {
    outageFailures.incrementAndGet();
    long now = System.currentTimeMillis();
    long last = lastOutageLog.get();
    if (now - last >= 1_000 && lastOutageLog.compareAndSet(last, now)) {
      if (poolSaturated(failure)) {
        // Not the database's state: a healthy PostgreSQL, its pool's connections all busy (an overload review read
        // "Database unavailable" while one client's reads held every connection).
        log.warn("Database pool saturated ({} requests answered 503 since the last report; each waited "
            + "PARLEY_DB_TIMEOUT for a connection, or found the pool's queue full): {}",
            outageFailures.getAndSet(0), failure.toString());
      } else {
        log.warn("Database unavailable ({} requests answered 503 since the last report): {}",
            outageFailures.getAndSet(0), failure.toString());
      }
    }
  }

  /** Lets the next outage be reported at once, not within a second of the last (for the tests, which share it). */
  static void forgetLastOutageReport() {
    lastOutageLog.set(0);
  }

  /** Whether a failure is a wait for one of the pool's connections that ran out, or found the queue full. */
  private static boolean poolSaturated(Throwable failure) {
    for (Throwable t : causes(failure)) {
      if (t instanceof ConnectionPoolTooBusyException || poolWaitRanOut(t)) return true;
    }
    return false;
  }

  /** The standard problem for a status Vert.x set on its own. */
  public Problem forStatus(int status) {
    return switch (status) {
      case 400 -> Problem.badRequest("The request could not be understood.");
      case 401 -> Problem.unauthorized("Sign in first.");
      case 403 -> Problem.forbidden("You may not do that.");
      case 404 -> Problem.notFound("There is nothing here.");
      case 405 -> ProblemType.METHOD_NOT_ALLOWED.problem("This resource does not accept that method.");
      case 413 -> ProblemType.TOO_LARGE.problem("The request body is larger than " + maxBodyBytes / 1024 + " KiB.");
      case 415 -> unsupportedMediaType();
      default -> ProblemType.CLIENT_ERROR.problem("The request was refused.").withStatus(status);
    };
  }

  public static Problem unsupportedMediaType() {
    return ProblemType.UNSUPPORTED_MEDIA_TYPE.problem("Send the body as application/json.");
  }
}
