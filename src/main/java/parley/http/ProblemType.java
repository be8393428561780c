package parley.http;

/**
 * Every kind of problem Parley answers, in one place: the stable code a client can switch on (the end of the
 * problem's {@code type} URI), its usual HTTP status and its title. docs/API.md's error table is checked against
 * this list by a test.
 */
public enum ProblemType {

  BAD_REQUEST("bad-request", 400, "Bad request"),
  VALIDATION("validation", 400, "Invalid request"),
  UNAUTHORIZED("unauthorized", 401, "Unauthorized"),
  FORBIDDEN("forbidden", 403, "Forbidden"),
  BANNED("banned", 403, "Banned"),
  NOT_FOUND("not-found", 404, "Not found"),
  METHOD_NOT_ALLOWED("method-not-allowed", 405, "Method not allowed"),
  REQUEST_TIMEOUT("request-timeout", 408, "Request timeout"),
  CONFLICT("conflict", 409, "Conflict"),
  TOO_LARGE("too-large", 413, "Payload too large"),
  URI_TOO_LONG("uri-too-long", 414, "URI too long"),
  UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", 415, "Unsupported media type"),
  /** A moderators' filter entry refuses this text; the problem names the rule. */
  REFUSED("refused", 422, "Refused by a filter"),
  /** A search ran out of its time (PARLEY_SEARCH_TIMEOUT): it matches too much; the reader should narrow it. */
  SEARCH_TOO_BROAD("search-too-broad", 422, "Search too broad"),
  IDEMPOTENCY_KEY_REUSED("idempotency-key-reused", 422, "Idempotency key reused"),
  RATE_LIMITED("rate-limited", 429, "Too many requests"),
  HEADERS_TOO_LARGE("headers-too-large", 431, "Request headers too large"),
  /** Any other refusal the HTTP layer makes on its own. */
  CLIENT_ERROR("client-error", 400, "Request refused"),
  INTERNAL("internal", 500, "Internal server error"),
  /** A transfer coding of the request's body other than chunked alone: the server cannot read its body. */
  NOT_IMPLEMENTED("not-implemented", 501, "Not implemented"),
  UNAVAILABLE("unavailable", 503, "Service unavailable");

  private final String code;
  private final int status;
  private final String title;

  ProblemType(String code, int status, String title) {
    this.code = code;
    this.status = status;
    this.title = title;
  }

  public String code() {
    return code;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  /** This kind of problem, with a detail. */
  public Problem problem(String detail) {
    return new Problem(this, detail);
  }
}
