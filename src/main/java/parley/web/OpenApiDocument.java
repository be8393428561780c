package parley.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Serves the API's OpenAPI 3.1 document (src/main/resources/openapi.yaml) at {@code GET /api/openapi.yaml}, for
 * client generators and validators. Unlike every other API answer it is the same for everyone, so it may be cached
 * and is revalidated by its ETag. The contract test checks the server against this very file.
 */
public final class OpenApiDocument {

  /** The document on the classpath. */
  public static final String RESOURCE = "openapi.yaml";
  public static final String PATH = "/api/openapi.yaml";

  private final Buffer document;
  private final String etag;

  private OpenApiDocument(Buffer document) {
    this.document = document;
    this.etag = "\"" + sha256(document.getBytes()).substring(0, 32) + "\"";
  }

  /** Reads the document once (off the event loop, through Vert.x's classpath file resolution). */
  public static Future<OpenApiDocument> load(Vertx vertx) {
    return vertx.fileSystem().readFile(RESOURCE).map(OpenApiDocument::new);
  }

  public void mount(Router router) {
    router.get(PATH).handler(this::serve);
  }

  private void serve(RoutingContext ctx) {
    // Replaces the API's no-store: the document does not depend on who asks.
    ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=3600").putHeader(HttpHeaders.ETAG, etag);
    if (etag.equals(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH))) {
      ctx.response().setStatusCode(304).end();
      return;
    }
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml; charset=utf-8").end(document);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
