package parley.http;

import ch.qos.logback.classic.Level;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.Test;
import parley.CapturedLog;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that closes its connection while its answer is being made (a browser leaving the page) fails the
 * request with an I/O error on that connection. That is the client's doing, not the database's: it is logged at
 * DEBUG, not counted and written at WARN as "Database unavailable" (which it was, for any IOException, before).
 */
class ClientGoneTest {

  @Test
  void anIoErrorAfterTheClientLeftIsNotADatabaseOutage() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (CapturedLog log = new CapturedLog(ProblemHandler.class)) {
      CompletableFuture<Boolean> failed = new CompletableFuture<>();
      Router router = Router.router(vertx);
      router.get("/leaving").handler(ctx -> ctx.request().connection().closeHandler(v -> {
        // What a write to the closed channel fails with.
        ctx.fail(new ClosedChannelException());
        failed.complete(ctx.response().closed());
      }));
      router.route().failureHandler(new ProblemHandler(1024));
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
        OutputStream out = socket.getOutputStream();
        out.write("GET /leaving HTTP/1.1\r\nHost: parley.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      assertTrue(failed.get(10, TimeUnit.SECONDS), "the response was closed when the request failed");
      assertFalse(log.levels().contains(Level.WARN), log.messages().toString());
      assertTrue(log.messages().stream().anyMatch(m -> m.startsWith("Client went away from GET /leaving")),
          log.messages().toString());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
