package parley.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A failure the client caused or must hear about, answered as RFC 9457 problem+json. Handlers fail their future
 * with one of these; {@link ProblemHandler} writes it. The {@code type} is a stable code a UI can map.
 */
public final class Problem extends RuntimeException {

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

  public Problem(int status, String type, String title, String detail, List<FieldError> errors, JsonObject extra) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = List.copyOf(errors);
    this.extra = extra;
  }

  public static Problem badRequest(String detail) {
    return new Problem(400, "bad-request", "Bad request", detail, List.of(), null);
  }

  public static Problem invalid(List<FieldError> errors) {
    String detail = errors.size() == 1
        ? errors.get(0).field() + ": " + errors.get(0).message()
        : errors.size() + " fields are invalid.";
    return new Problem(400, "validation", "Invalid request", detail, errors, null);
  }

  public static Problem invalid(String field, String message) {
    return invalid(List.of(new FieldError(field, message)));
  }

  public static Problem unauthorized(String detail) {
    return new Problem(401, "unauthorized", "Unauthorized", detail, List.of(), null);
  }

  public static Problem forbidden(String detail) {
    return new Problem(403, "forbidden", "Forbidden", detail, List.of(), null);
  }

  public static Problem notFound(String detail) {
    return new Problem(404, "not-found", "Not found", detail, List.of(), null);
  }

  public static Problem conflict(String detail) {
    return new Problem(409, "conflict", "Conflict", detail, List.of(), null);
  }

  public static Problem conflict(String field, String message) {
    return new Problem(409, "conflict", "Conflict", message, List.of(new FieldError(field, message)), null);
  }

  /** The service cannot answer now (the database is unreachable or saturated); retry after the given seconds. */
  public static Problem unavailable(String detail, long retryAfterSeconds) {
    return new Problem(503, "unavailable", "Service unavailable", detail, List.of(), null)
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

  /** Adds members beyond the standard ones (for example a ban's end time). */
  public Problem with(JsonObject members) {
    JsonObject merged = extra == null ? members.copy() : extra.copy().mergeIn(members);
    return new Problem(status, type, title, getMessage(), errors, merged);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", "https://parley.dev/problems/" + type)
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
