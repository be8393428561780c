package parley;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.account.Accounts;
import parley.account.Tokens;
import parley.config.AppConfig;
import parley.db.Database;
import parley.db.EmbeddedDatabase;
import parley.events.CommitListeners;
import parley.events.EventLog;
import parley.http.ConnectionGuard;
import parley.http.Idempotency;
import parley.http.RateLimiter;
import parley.live.Relay;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts Parley: configuration, then the database and its migrations, then the HTTP verticles. SIGTERM (or
 * Ctrl-C) stops the servers first, then the database, so no request is cut off mid-transaction.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);
  private static final Duration PRUNE_EVERY = Duration.ofHours(1);

  /** A started Parley: what tests and the shutdown hook need to reach. */
  public record Running(Vertx vertx, Database database, AppConfig config, String deploymentId,
      AtomicBoolean draining, RouteTable restrictedRoutes, CommitListeners commits, Relay relay) {

    public int port() {
      return config.port();
    }

    /**
     * Stops accepting requests, closes the database, then Vert.x, and waits for all three. Call it from a thread
     * that is not Vert.x's own (the shutdown hook, a test): a future that waits for Vert.x to close cannot be
     * completed on one of the event loops being closed.
     */
    public void stop() throws Exception {
      draining.set(true);
      try {
        vertx.undeploy(deploymentId)
            .eventually(() -> database.close(vertx))
            .toCompletionStage().toCompletableFuture()
            .get(config.shutdownGrace().toSeconds() + 30, TimeUnit.SECONDS);
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  private Main() {
  }

  public static void main(String[] args) {
    AppConfig config;
    try {
      config = AppConfig.fromEnvironment();
    } catch (IllegalArgumentException e) {
      log.error("Configuration error: {}", e.getMessage());
      System.exit(2);
      return;
    }
    start(Vertx.vertx(), config)
        .onSuccess(running -> {
          Runtime.getRuntime().addShutdownHook(new Thread(() -> stopQuietly(running), "parley-shutdown"));
          log.info("Parley is listening on http://localhost:{}", running.port());
        })
        .onFailure(e -> {
          log.error("Parley could not start: {}", e.getMessage(), e);
          System.exit(1);
        });
  }

  /** Starts everything on the given Vert.x; port 0 picks a free port (used by the tests). */
  public static Future<Running> start(Vertx vertx, AppConfig config) {
    AppConfig resolved = config.port() == 0 ? withFreePort(config) : config;
    return vertx.executeBlocking(() -> {
          if (resolved.embeddedDatabase()) EmbeddedDatabase.createPrivateDirectory(resolved.dataDir());
          return Tokens.resolveSecret(resolved);
        })
        .compose(secret -> Database.open(vertx, resolved).compose(database ->
            deploy(vertx, resolved, database, secret)
                .recover(e -> database.close(vertx).transform(ignored -> Future.failedFuture(e)))));
  }

  private static Future<Running> deploy(Vertx vertx, AppConfig config, Database database, String secret) {
    EventLog events = new EventLog(vertx, database.pool());
    Runnable prune = () -> {
      events.prune(config.eventRetention(), config.eventRetentionCount())
          .onSuccess(n -> {
            if (n > 0) log.info("Pruned {} events past retention", n);
          })
          .onFailure(e -> log.warn("Pruning the event log failed: {}", e.toString()));
      Idempotency.prune(database.pool(), config.idempotencyTtl())
          .onFailure(e -> log.warn("Pruning idempotency keys failed: {}", e.toString()));
    };
    prune.run();
    vertx.setPeriodic(PRUNE_EVERY.toMillis(), id -> prune.run());
    // One limiter for the whole node, shared by every HTTP verticle.
    NodeState node = new NodeState(new RateLimiter(config), Accounts.loginThrottle(config),
        new ConnectionGuard(config.maxConnectionsPerIp(), config.httpHeaderTimeout(), config.trustedProxies()),
        new AtomicBoolean(), new RouteTable(), new CommitListeners(), new Relay(vertx));
    vertx.setPeriodic(60_000, id -> node.sweep());
    return Accounts.promoteConfiguredAdmin(database.pool(), config.admin())
        .compose(v -> vertx.deployVerticle(() -> new HttpVerticle(config, database, secret, node),
            new DeploymentOptions().setInstances(config.httpInstances())))
        .map(id -> new Running(vertx, database, config, id, node.draining(), node.restrictedRoutes(),
            node.commits(), node.relay()));
  }

  private static void stopQuietly(Running running) {
    log.info("Shutting down");
    try {
      running.stop();
    } catch (Exception e) {
      log.warn("Shutdown did not finish cleanly: {}", e.toString());
    }
  }

  private static AppConfig withFreePort(AppConfig config) {
    try (ServerSocket socket = new ServerSocket(0)) {
      return config.withPort(socket.getLocalPort());
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }
}
