package parley.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The one place where failures become responses: a {@link Problem} keeps its status, PostgreSQL's unique
 * violation becomes 409, a status set by Vert.x (404, 405, 413...) gets its standard problem, and anything else
 * is logged and answered with a bare 500. No stack trace or SQL text ever reaches the client.
 */
public final class ProblemHandler implements Handler<RoutingContext> {

  public static final String CONTENT_TYPE = "application/problem+json";
  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

  @Override
  public void handle(RoutingContext ctx) {
    Problem problem = toProblem(ctx);
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    if (problem.status() == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"parley\"");
    }
    Object retryAfter = problem.toJson().getValue("retryAfter");
    if (problem.status() == 429 && retryAfter != null) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, retryAfter.toString());
    }
    ctx.response()
        .setStatusCode(problem.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(problem.toJson().encode());
  }

  static Problem toProblem(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof Problem p) return p;
    if (failure instanceof DecodeException) return Problem.badRequest("The request body is not valid JSON.");
    if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return Problem.conflict("That conflicts with something that already exists.");
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
    if (status >= 400 && status < 500) return forStatus(status);
    if (status == 503) {
      return new Problem(503, "unavailable", "Service unavailable", "Try again shortly.", List.of(), null);
    }
    log.error("Unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), failure);
    return new Problem(500, "internal", "Internal server error", "Something went wrong on our side.", List.of(), null);
  }

  /** The standard problem for a status Vert.x set on its own. */
  public static Problem forStatus(int status) {
    return switch (status) {
      case 400 -> Problem.badRequest("The request could not be understood.");
      case 401 -> Problem.unauthorized("Sign in first.");
      case 403 -> Problem.forbidden("You may not do that.");
      case 404 -> Problem.notFound("There is nothing here.");
      case 405 -> new Problem(405, "method-not-allowed", "Method not allowed",
          "This resource does not accept that method.", List.of(), null);
      case 413 -> new Problem(413, "too-large", "Payload too large",
          "The request body is larger than 64 KiB.", List.of(), null);
      case 415 -> unsupportedMediaType();
      default -> new Problem(status, "client-error", "Request refused", "The request was refused.", List.of(), null);
    };
  }

  public static Problem unsupportedMediaType() {
    return new Problem(415, "unsupported-media-type", "Unsupported media type",
        "Send the body as application/json.", List.of(), null);
  }
}
