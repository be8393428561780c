package parley.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A failure the client caused or must hear about, answered as RFC 9457 problem+json. Handlers fail their future
 * with one of these; {@link ProblemHandler} writes it. The {@code type} is a stable code a UI can map.
 */
public final class Problem extends RuntimeException {

  /**
   * Where each problem type is explained; the code is appended. Relative, so it resolves against the server that
   * answered: /problems/{code} leads to that code's section of webroot/problems.html.
   */
  public static final String TYPE_BASE = "/problems/";

  /** One invalid field of a request, reported under {@code errors}. */
  public record FieldError(String field, String message) {
    JsonObject toJson() {
      return new JsonObject().put("field", field).put("message", message);
    }
  }

  private final int status;
  private final String type;
  private final String title;
  private final List<FieldError> errors;
  private final JsonObject extra;

  /** A problem of a catalogued kind (see {@link ProblemType}). */
  public Problem(ProblemType kind, String detail) {
    this(kind.status(), kind.code(), kind.title(), detail, List.of(), null);
  }

  private Problem(int status, String type, String title, String detail, List<FieldError> errors, JsonObject extra) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = List.copyOf(errors);
    this.extra = extra;
  }

  public static Problem badRequest(String detail) {
    return ProblemType.BAD_REQUEST.problem(detail);
  }

  public static Problem invalid(List<FieldError> errors) {
    String detail = errors.size() == 1
        ? errors.get(0).field() + ": " + errors.get(0).message()
        : errors.size() + " fields are invalid.";
    ProblemType kind = ProblemType.VALIDATION;
    return new Problem(kind.status(), kind.code(), kind.title(), detail, errors, null);
  }

  public static Problem invalid(String field, String message) {
    return invalid(List.of(new FieldError(field, message)));
  }

  public static Problem unauthorized(String detail) {
    return ProblemType.UNAUTHORIZED.problem(detail);
  }

  public static Problem forbidden(String detail) {
    return ProblemType.FORBIDDEN.problem(detail);
  }

  public static Problem notFound(String detail) {
    return ProblemType.NOT_FOUND.problem(detail);
  }

  public static Problem conflict(String detail) {
    return ProblemType.CONFLICT.problem(detail);
  }

  public static Problem conflict(String field, String message) {
    ProblemType kind = ProblemType.CONFLICT;
    return new Problem(kind.status(), kind.code(), kind.title(), message, List.of(new FieldError(field, message)), null);
  }

  /** A conflict on several fields at once (each with its message), so that a form says all of them together. */
  public static Problem conflict(List<FieldError> fields) {
    if (fields.size() == 1) return conflict(fields.get(0).field(), fields.get(0).message());
    ProblemType kind = ProblemType.CONFLICT;
    return new Problem(kind.status(), kind.code(), kind.title(), fields.size() + " fields are taken.", fields, null);
  }

  /** The service cannot answer now (the database is unreachable or saturated); retry after the given seconds. */
  public static Problem unavailable(String detail, long retryAfterSeconds) {
    return ProblemType.UNAVAILABLE.problem(detail)
        .with(new JsonObject().put("retryAfter", retryAfterSeconds));
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public List<FieldError> errors() {
    return errors;
  }

  /** A refusal whose status has no problem type of its own (426 Upgrade Required, say), typed client-error. */
  public static Problem clientError(int status, String detail) {
    if (status < 400 || status > 499) throw new IllegalArgumentException("not a client error: " + status);
    return ProblemType.CLIENT_ERROR.problem(detail).withStatus(status);
  }

  /** The same problem under another status (for a refusal the HTTP layer made with a status of its own). */
  Problem withStatus(int newStatus) {
    return new Problem(newStatus, type, title, getMessage(), errors, extra);
  }

  /** Adds members beyond the standard ones (for example a ban's end time). */
  public Problem with(JsonObject members) {
    JsonObject merged = extra == null ? members.copy() : extra.copy().mergeIn(members);
    return new Problem(status, type, title, getMessage(), errors, merged);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", TYPE_BASE + type)
        .put("title", title)
        .put("status", status)
        .put("detail", getMessage());
    if (!errors.isEmpty()) {
      json.put("errors", new JsonArray(errors.stream().map(FieldError::toJson).toList()));
    }
    if (extra != null) json.mergeIn(extra);
    return json;
  }
}
