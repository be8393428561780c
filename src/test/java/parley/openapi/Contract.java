package parley.openapi;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ResponseParameter;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.impl.RequestParameterImpl;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import io.vertx.openapi.validation.impl.ValidatableResponseImpl;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import parley.Api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAPI document (src/main/resources/openapi.yaml) as a checker of real exchanges: each request is validated
 * with vertx-openapi's RequestValidator and each response with its ResponseValidator, plus what they do not check
 * (a response status or content type the document does not list). A request the document calls invalid may be
 * refused (4xx), never accepted.
 *
 * <p>vertx-openapi validates JSON bodies only and refuses to load a document that lists other media types, so the
 * copy it loads has them renamed to application/octet-stream (checked as bytes), and an absolute server URL; the
 * content type itself is checked against the document as written.
 */
public final class Contract implements AutoCloseable {

  public static final Path DOCUMENT = Path.of("src", "main", "resources", "openapi.yaml");

  /**
   * The media type the loadable copy has in place of one of the document's: vertx-openapi 5.0 loads JSON, text and
   * bytes only (of the +json types, only vnd. ones), so problem+json is validated as JSON and the rest as bytes (its
   * text validator would choke on a text schema).
   */
  private static String loadableType(String type) {
    return switch (type) {
      case "application/json", "application/problem+json" -> "application/json";
      default -> "application/octet-stream";
    };
  }

  private final Vertx vertx;
  private final JsonObject raw;
  private final OpenAPIContract contract;
  private final RequestValidator requests;
  private final ResponseValidator responses;

  private Contract(Vertx vertx, JsonObject raw, OpenAPIContract contract) {
    this.vertx = vertx;
    this.raw = raw;
    this.contract = contract;
    this.requests = RequestValidator.create(vertx, contract);
    this.responses = ResponseValidator.create(vertx, contract);
  }

  public static Contract load() throws Exception {
    JsonObject raw = read();
    Vertx vertx = Vertx.vertx();
    try {
      OpenAPIContract contract = OpenAPIContract.from(vertx, loadable(raw.copy()))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new Contract(vertx, raw, contract);
    } catch (Exception e) {
      vertx.close();
      throw e;
    }
  }

  /** The document as written, as JSON. */
  public static JsonObject read() throws Exception {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    Map<String, Object> map = yaml.load(Files.readString(DOCUMENT));
    return new JsonObject(map);
  }

  public JsonObject raw() {
    return raw;
  }

  /** Every documented operation, as "METHOD /path" with the document's path templates. */
  public Set<String> documentedRoutes() {
    Set<String> routes = new TreeSet<>();
    JsonObject paths = raw.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (method.equals("parameters") || method.equals("summary") || method.equals("description")) continue;
        routes.add(method.toUpperCase(Locale.ROOT) + " " + path);
      }
    }
    return routes;
  }

  /** The documented operation an exchange is an instance of, as "METHOD /path", or null. */
  public String routeOf(Api.Exchange exchange) {
    Operation operation = operation(exchange);
    return operation == null ? null : exchange.method() + " " + operation.getOpenAPIPath();
  }

  /** What is wrong with this exchange according to the document, or null when nothing is. */
  public String violation(Api.Exchange exchange) {
    Api.Response response = exchange.response();
    String where = exchange.method() + " " + exchange.target() + " -> " + response.status() + " " + abbreviate(response.body());
    String convention = conventions(exchange);
    if (convention != null) return where + ": " + convention;
    if (exchange.method().equals("HEAD")) return null;  // documented once, as GET
    Operation operation = operation(exchange);
    if (operation == null) {
      // The web app's pages are not the REST API (ContractTest lists them): only the API must be documented.
      if (!api(exchange)) return null;
      // No such route: refused (404, 405, or 400 for what no route takes, such as a body on a DELETE), as it must be.
      if (response.status() >= 400 && response.status() < 500) return null;
      return where + ": the document has no operation " + exchange.method() + " " + exchange.path();
    }
    String requestProblem = requestViolation(exchange, operation);
    if (requestProblem != null && response.status() < 400) {
      return where + ": the server accepted a request the document calls invalid: " + requestProblem;
    }
    String responseProblem = responseViolation(exchange, operation);
    return responseProblem == null ? null : where + " (operation " + operation.getOperationId() + "): " + responseProblem;
  }

  private Operation operation(Api.Exchange exchange) {
    HttpMethod method = HttpMethod.valueOf(exchange.method());
    return contract.findOperation(exchange.path(), method);
  }

  /** What every answer carries, whatever the route. */
  private static String conventions(Api.Exchange exchange) {
    Api.Response response = exchange.response();
    if (response.header("x-request-id") == null) return "no X-Request-Id";
    boolean api = api(exchange);
    boolean cacheable = exchange.path().equals("/api/openapi.yaml") && response.status() < 400;
    if (api && !cacheable && !"no-store".equals(response.header("cache-control"))) {
      return "an /api answer without Cache-Control: no-store";
    }
    if (response.status() >= 400 && (api || isProblem(response)) && !isProblem(response)) {
      return "an error that is not application/problem+json";
    }
    return null;
  }

  private static boolean api(Api.Exchange exchange) {
    return exchange.path().equals("/api") || exchange.path().startsWith("/api/");
  }

  private static boolean isProblem(Api.Response response) {
    return "application/problem+json".equals(essence(response.contentType()));
  }

  private String requestViolation(Api.Exchange exchange, Operation operation) {
    Map<String, RequestParameter> cookies = new HashMap<>();
    Map<String, RequestParameter> headers = new HashMap<>();
    Map<String, RequestParameter> path = new HashMap<>();
    Map<String, RequestParameter> query = new HashMap<>();
    Map<String, List<String>> queryValues = parseQuery(exchange.query());
    String[] segments = exchange.path().substring(1).split("/");
    for (Parameter parameter : operation.getParameters()) {
      switch (parameter.getIn()) {
        case PATH -> {
          int segment = RequestUtils.findPathSegment(operation.getAbsoluteOpenAPIPath(), parameter.getName());
          path.put(parameter.getName(), value(parameter, segment <= segments.length
              ? URLDecoder.decode(segments[segment - 1], StandardCharsets.UTF_8) : null));
        }
        case QUERY -> {
          List<String> values = queryValues.get(parameter.getName());
          query.put(parameter.getName(), value(parameter, values == null ? null : values.get(0)));
        }
        case HEADER -> headers.put(parameter.getName(), value(parameter, requestHeader(exchange, parameter.getName())));
        case COOKIE -> cookies.put(parameter.getName(), new RequestParameterImpl(null));
      }
    }
    RequestParameter body = exchange.body() == null ? new RequestParameterImpl(null)
        : new RequestParameterImpl(Buffer.buffer(exchange.body()));
    String contentType = exchange.contentType() == null ? null : essence(exchange.contentType());
    if (operation.getRequestBody() == null && exchange.body() != null && !exchange.body().isEmpty()) {
      return "a body on an operation that takes none";
    }
    try {
      requests.validate(new ValidatableRequestImpl(cookies, headers, path, query, body, contentType), operation.getOperationId())
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return null;
    } catch (Exception e) {
      return message(e);
    }
  }

  /**
   * A parameter's raw value as vertx-openapi's transformer needs it: that parses a string parameter as JSON when it
   * is more than word characters, and fails on one with a quote (Bearer realm="parley", q="froze solid"), so string
   * values go in as JSON strings.
   */
  private static RequestParameterImpl value(Parameter parameter, String raw) {
    if (raw == null) return new RequestParameterImpl(null);
    boolean string = parameter.getSchemaType() == io.vertx.json.schema.common.dsl.SchemaType.STRING;
    return new RequestParameterImpl(string ? io.vertx.core.json.Json.encode(raw) : raw);
  }

  private static String requestHeader(Api.Exchange exchange, String name) {
    if (name.equalsIgnoreCase("authorization")) return exchange.authorization();
    if (name.equalsIgnoreCase("content-type")) return exchange.contentType();
    return null;  // Api sends no other header
  }

  private String responseViolation(Api.Exchange exchange, Operation operation) {
    Api.Response response = exchange.response();
    JsonObject documented = raw.getJsonObject("paths").getJsonObject(operation.getOpenAPIPath())
        .getJsonObject(exchange.method().toLowerCase(Locale.ROOT)).getJsonObject("responses");
    JsonObject answer = documented.getJsonObject(Integer.toString(response.status()));
    if (answer == null) return "status " + response.status() + " is not documented (documented: " + documented.fieldNames() + ")";
    answer = resolve(answer);
    JsonObject content = answer.getJsonObject("content");
    String contentType = essence(response.contentType());
    String mediaType = null;
    if (content == null || content.isEmpty()) {
      if (!response.body().isEmpty()) return "a body where the document says there is none";
    } else {
      if (!content.containsKey(contentType)) {
        return "content type " + response.contentType() + " is not documented (documented: " + content.fieldNames() + ")";
      }
      mediaType = loadableType(contentType);
    }
    Map<String, ResponseParameter> headers = new HashMap<>();
    for (Parameter header : operation.getResponse(response.status()).getHeaders()) {
      String value = response.header(header.getName());
      if (value != null) headers.put(header.getName(), value(header, value));
    }
    ResponseParameter body = mediaType == null ? new RequestParameterImpl(null)
        : new RequestParameterImpl(Buffer.buffer(response.body()));
    try {
      responses.validate(new ValidatableResponseImpl(response.status(), headers, body, mediaType), operation.getOperationId())
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return null;
    } catch (Exception e) {
      return message(e);
    }
  }

  /** A component reference followed to what it names. */
  private JsonObject resolve(JsonObject object) {
    String ref = object.getString("$ref");
    if (ref == null) return object;
    JsonObject target = raw;
    for (String part : ref.substring(2).split("/")) target = target.getJsonObject(part);
    return resolve(target);
  }

  /** The copy vertx-openapi loads: media types it cannot load are renamed, their schemas dropped. */
  private static JsonObject loadable(JsonObject document) {
    renameUnloadable(document);
    // The document's server is relative ("/": the server that serves it); vertx-openapi wants an absolute URL.
    document.put("servers", new io.vertx.core.json.JsonArray().add(new JsonObject().put("url", "http://localhost")));
    return document;
  }

  private static void renameUnloadable(Object node) {
    if (node instanceof JsonObject object) {
      JsonObject content = object.getJsonObject("content");
      if (content != null && object.containsKey("description")) {  // a response, not a request body
        for (String type : new ArrayList<>(content.fieldNames())) {
          String loadable = loadableType(type);
          if (!loadable.equals(type)) {
            Object media = content.remove(type);
            content.put(loadable, loadable.equals("application/octet-stream") ? new JsonObject() : media);
          }
        }
      }
      for (String key : object.fieldNames()) renameUnloadable(object.getValue(key));
    } else if (node instanceof io.vertx.core.json.JsonArray array) {
      for (Object item : array) renameUnloadable(item);
    }
  }

  private static Map<String, List<String>> parseQuery(String query) {
    Map<String, List<String>> values = new HashMap<>();
    if (query == null || query.isEmpty()) return values;
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      values.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    return values;
  }

  static String essence(String contentType) {
    if (contentType == null) return null;
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }

  private static String message(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && !(cause instanceof io.vertx.openapi.validation.ValidatorException)) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    if (cause instanceof io.vertx.openapi.validation.SchemaValidationException schema && schema.getOutputUnit() != null) {
      message += " " + schema.getOutputUnit().getErrors();
    }
    return message;
  }

  private static String abbreviate(String body) {
    return body.length() <= 300 ? body : body.substring(0, 300) + "…";
  }

  @Override
  public void close() {
    vertx.close();
  }
}
