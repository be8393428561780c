package parley;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A small real HTTP client for tests: JSON in, status, headers and JSON out. Blocking on purpose: each test
 * reads top to bottom like the conversation a client has with the server.
 */
public final class Api {

  /** A signed-in user: the token and the account it belongs to. */
  public record Session(String token, long id, String username) {
  }

  /** A response: status, the raw body, headers. */
  public record Response(int status, String body, java.net.http.HttpHeaders headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public JsonArray items() {
      return json().getJsonArray("items");
    }

    /** The ids of a list response's items, in the order the server gave them. */
    public java.util.List<Long> ids() {
      return items().stream().map(item -> ((JsonObject) item).getLong("id")).toList();
    }

    /** The item of a list response with this id; failing, the message shows the whole list, which is what one needs. */
    public JsonObject item(long id) {
      for (Object item : items()) {
        JsonObject json = (JsonObject) item;
        if (Long.valueOf(id).equals(json.getLong("id"))) return json;
      }
      throw new AssertionError("no item " + id + " in " + items().encode());
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    public String contentType() {
      return header("content-type");
    }

    /** The field names listed under a validation problem's errors. */
    public java.util.List<String> errorFields() {
      JsonArray errors = json().getJsonArray("errors", new JsonArray());
      return errors.stream().map(e -> ((JsonObject) e).getString("field")).toList();
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  /**
   * One request and its answer as they went over the wire, for the contract check (parley.openapi.Contract), which
   * validates both against the OpenAPI document.
   */
  public record Exchange(String method, String target, String authorization, String contentType, String body,
      Response response) {

    /** The path without the query string. */
    public String path() {
      int query = target.indexOf('?');
      return query < 0 ? target : target.substring(0, query);
    }

    /** The raw query string, or null. */
    public String query() {
      int query = target.indexOf('?');
      return query < 0 ? null : target.substring(query + 1);
    }

    @Override
    public String toString() {
      return method + " " + target + " -> " + response.status();
    }
  }

  /** The latest exchanges of every Api in this JVM, oldest first (bounded: a load test must not fill the heap). */
  private static final java.util.Deque<Exchange> EXCHANGES = new java.util.concurrent.ConcurrentLinkedDeque<>();
  private static final int MAX_RECORDED = 20_000;
  private static final java.util.concurrent.atomic.AtomicInteger RECORDED = new java.util.concurrent.atomic.AtomicInteger();

  /** Takes the exchanges recorded so far, leaving none. */
  public static java.util.List<Exchange> drainExchanges() {
    java.util.List<Exchange> taken = new java.util.ArrayList<>();
    for (Exchange e; (e = EXCHANGES.pollFirst()) != null; ) {
      RECORDED.decrementAndGet();
      taken.add(e);
    }
    return taken;
  }

  private static void recordExchange(Exchange exchange) {
    EXCHANGES.addLast(exchange);
    if (RECORDED.incrementAndGet() > MAX_RECORDED && EXCHANGES.pollFirst() != null) RECORDED.decrementAndGet();
  }

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  private final String baseUrl;

  public Api(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  public static Api local() {
    return new Api(TestParley.baseUrl());
  }

  public String baseUrl() {
    return baseUrl;
  }

  public Response get(String path) {
    return send("GET", path, null, null, "application/json");
  }

  public Response get(String path, Session as) {
    return send("GET", path, as, null, "application/json");
  }

  public Response post(String path, Session as, JsonObject body) {
    return send("POST", path, as, body == null ? null : body.encode(), "application/json");
  }

  public Response patch(String path, Session as, JsonObject body) {
    return send("PATCH", path, as, body == null ? null : body.encode(), "application/json");
  }

  public Response put(String path, Session as, JsonObject body) {
    return send("PUT", path, as, body == null ? null : body.encode(), "application/json");
  }

  public Response delete(String path, Session as) {
    return send("DELETE", path, as, null, "application/json");
  }

  /** Any request, with a raw body and content type, and an optional raw Authorization header. */
  public Response raw(String method, String path, String authorization, String body, String contentType) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(20));
    if (authorization != null) request.header("Authorization", authorization);
    if (contentType != null && body != null) request.header("Content-Type", contentType);
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
      Response answer = new Response(response.statusCode(), response.body(), response.headers());
      recordExchange(new Exchange(method, path, authorization, body == null ? null : contentType, body, answer));
      return answer;
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A GET as a browser sends it for a page: accepting HTML. */
  public Response page(String method, String path) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(20))
        .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    try {
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A POST of this exact body text with an Idempotency-Key. */
  public Response rawWithKey(String path, Session as, String body, String key) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + as.token()).header("Content-Type", "application/json")
        .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    try {
      HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers());
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private Response send(String method, String path, Session as, String body, String contentType) {
    return raw(method, path, as == null ? null : "Bearer " + as.token(), body, contentType);
  }

  // ---- conversations that many tests start with ----

  public Session register(String username) {
    Response r = post("/api/auth/register", null, new JsonObject()
        .put("username", username).put("email", username + "@example.org").put("password", "correct horse"));
    if (r.status() != 201) throw new IllegalStateException("register " + username + ": " + r);
    JsonObject json = r.json();
    return new Session(json.getString("token"), json.getJsonObject("user").getLong("id"), username);
  }

  /** Registers a user and gives them a role directly in the database (the role API comes with moderation). */
  public Session registerWithRole(String username, String role) throws Exception {
    Session s = register(username);
    TestParley.sql("UPDATE users SET role = '" + role + "' WHERE id = " + s.id());
    return s;
  }

  public long createPost(Session as, String title) {
    Response r = post("/api/posts", as, new JsonObject().put("title", title).put("body", "Body of " + title));
    if (r.status() != 201) throw new IllegalStateException("create post: " + r);
    return r.json().getLong("id");
  }

  public long comment(Session as, long postId, String body, Long parentId) {
    JsonObject json = new JsonObject().put("body", body);
    if (parentId != null) json.put("parentId", parentId);
    Response r = post("/api/posts/" + postId + "/comments", as, json);
    if (r.status() != 201) throw new IllegalStateException("comment: " + r);
    return r.json().getLong("id");
  }
}
