package parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

import java.util.ArrayList;
import java.util.List;

/**
 * The transport's ceiling for the live benchmark: a bare Vert.x WebSocket broadcast server with nothing of Parley
 * in it (no database, no auth, no envelope, no ordering or filtering). {@code POST /publish} with a text body
 * writes that text, as one WebSocket text message, to every open socket; each of its event loops (as many as
 * Parley's HTTP verticles, 2 on this machine) writes to its own sockets, as Parley's hubs do. It answers the POST at
 * once. Started by LiveBenchmark as its own process: {@code java -cp target/parley.jar:target/test-classes
 * parley.bench.BareBroadcast PORT [LOOPS]}.
 */
public final class BareBroadcast extends VerticleBase {

  private static final String ADDRESS = "bare.broadcast";

  private final List<ServerWebSocket> sockets = new ArrayList<>();

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int loops = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    // The same transport as Parley's server (epoll where it loads), so the ceiling differs from Parley only in
    // what Parley does on top of it.
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(BareBroadcast::new, new io.vertx.core.DeploymentOptions().setInstances(loops)
            .setConfig(new io.vertx.core.json.JsonObject().put("port", port)))
        .onSuccess(id -> System.out.println("bare broadcast listening on " + port
            + (vertx.isNativeTransportEnabled() ? " (epoll)" : " (NIO)")))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().<String>localConsumer(ADDRESS, message -> {
      String frame = message.body();
      for (ServerWebSocket ws : sockets) {
        if (!ws.isClosed()) ws.writeTextMessage(frame);
      }
    });
    return vertx.createHttpServer(new HttpServerOptions().setPort(config().getInteger("port")))
        .webSocketHandler(ws -> {
          sockets.add(ws);
          ws.closeHandler(v -> sockets.remove(ws));
          ws.handler(buffer -> {
            // Registers and pings are accepted and ignored: every socket gets every frame.
          });
        })
        .requestHandler(req -> {
          if (req.method() == HttpMethod.POST && req.path().equals("/publish")) {
            req.body().onSuccess(body -> {
              vertx.eventBus().publish(ADDRESS, body.toString());
              req.response().setStatusCode(201).end();
            });
          } else if (req.path().equals("/health")) {
            req.response().end("{\"status\":\"ok\"}");
          } else {
            req.response().setStatusCode(404).end();
          }
        })
        .listen();
  }
}
