package parley;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import parley.http.AccessLog;
import parley.http.MetricsAccess;
import parley.account.AccountRoutes;
import parley.deletion.AccountDeletion;
import parley.deletion.DeletionRoutes;
import parley.export.AccountExport;
import parley.export.ExportRoutes;
import parley.account.Accounts;
import parley.account.Tokens;
import parley.comment.CommentRoutes;
import parley.comment.Comments;
import parley.config.AppConfig;
import parley.db.Database;
import parley.events.EventLog;
import parley.events.EventType;
import parley.http.ConnectionGuard;
import parley.http.Cors;
import parley.http.Problem;
import parley.http.ProblemHandler;
import parley.http.RateLimiter;
import parley.admin.Admin;
import parley.admin.AdminRoutes;
import parley.block.BlockRoutes;
import parley.block.Blocks;
import parley.moderation.Moderation;
import parley.moderation.ModerationRoutes;
import parley.moderation.Review;
import parley.vote.VoteRoutes;
import parley.vote.Votes;
import parley.screening.Screening;
import parley.report.ReportRoutes;
import parley.report.Reports;
import parley.access.Principal;
import parley.access.Visibility;
import parley.live.DeliveryFilter;
import parley.live.BridgeRoutes;
import parley.live.Live;
import parley.live.SseRoutes;
import parley.http.InFlight;
import parley.http.RequestGuards;
import parley.notification.NotificationRoutes;
import parley.notification.Notifications;
import parley.post.PostRoutes;
import parley.readcache.SignedInReads;
import parley.revision.RevisionRoutes;
import parley.revision.Revisions;
import parley.search.Search;
import parley.search.SearchRoutes;
import parley.atom.AtomRoutes;
import parley.web.OpenApiDocument;
import parley.web.Pages;
import parley.post.Posts;
import parley.follow.FollowRoutes;
import parley.follow.Follows;
import parley.realworld.RealWorldRoutes;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Serves the REST API and the web app. One instance runs per event loop; they share the port and the database
 * pool. The router is assembled here, at the top, so each feature only mounts its own routes.
 */
public final class HttpVerticle extends VerticleBase {

  /** Larger request bodies are refused with 413 before they are read. */
  static final long MAX_BODY_BYTES = 64 * 1024;

  private final AppConfig config;
  private final Database database;
  private final String jwtSecret;
  private final NodeState node;
  private HttpServer server;
  private Live live;
  private Comments commentsApi;

  HttpVerticle(AppConfig config, Database database, String jwtSecret, NodeState node) {
    this.config = config;
    this.database = database;
    this.jwtSecret = jwtSecret;
    this.node = node;
  }

  @Override
  public Future<?> start() {
    return OpenApiDocument.load(vertx).compose(this::start);
  }

  private Future<?> start(OpenApiDocument apiDocument) {
    Tokens tokens = new Tokens(vertx, jwtSecret, config.tokenTtl());
    RateLimiter limits = node.limits();
    EventLog events = new EventLog(vertx, database.pool(), node.commits());
    Accounts accountsApi = new Accounts(vertx, database.pool(), events, tokens, node.logins(), config.admin(),
        node.readCache(), node.accounts(), node.hashing());
    Screening screening = new Screening(config.holds());
    Posts postsApi = new Posts(database.pool(), events, screening);
    commentsApi = new Comments(database.pool(), events, screening, config.commentGroupSize(),
        config.databaseTimeout(), node.meters(), node.commentWriters());
    AccountRoutes accounts = new AccountRoutes(accountsApi, limits, config.trustedProxies());
    DeletionRoutes deletion = new DeletionRoutes(accountsApi,
        new AccountDeletion(vertx, database.pool(), events, postsApi), limits, config.trustedProxies());
    Votes votes = new Votes(database.pool(), config.downvotes());
    votes.whenCountedLate(node.scores()::changed);
    SignedInReads signedIn = new SignedInReads(database.pool(), node.readCache());
    PostRoutes posts = new PostRoutes(postsApi, votes, limits, config.trustedProxies(), node.readCache(), signedIn);
    CommentRoutes comments = new CommentRoutes(commentsApi, votes, limits, config.trustedProxies(),
        node.readCache(), signedIn);
    VoteRoutes voting = new VoteRoutes(votes, node.scores(), limits);
    ReportRoutes reports = new ReportRoutes(new Reports(database.pool(), events), limits);
    BlockRoutes blocks = new BlockRoutes(new Blocks(database.pool(), node.accounts(), node.readCache()), limits);
    Moderation moderationActs = new Moderation(database.pool(), events, postsApi, commentsApi);
    ModerationRoutes moderation = new ModerationRoutes(moderationActs, new Review(database.pool(), events, screening),
        new parley.report.Claims(database.pool(), events));
    Admin adminActs = new Admin(database.pool(), events, node.accounts());
    AdminRoutes admin = new AdminRoutes(adminActs, moderationActs);
    NotificationRoutes inbox = new NotificationRoutes(new Notifications(database.pool(), events));
    ExportRoutes export = new ExportRoutes(new AccountExport(vertx, database.pool(),
        AccountExport.directory(config.dataDir())), node.exports(), node.exportsOut(), limits, adminActs);
    // The one delivery hook: a reader never gets the content of someone they blocked, live or replayed. A reader
    // who blocked nobody (every anonymous one) is answered without looking the event's type up: on a big thread
    // that lookup was a twentieth of each delivery.
    DeliveryFilter filter = (reader, event) -> reader.blocks().isEmpty() || Visibility.mayDeliver(reader.blocks(),
        EventType.carriesContent(event.type()), event.authorId());
    // The live side reads through its own small pool, so sockets can never take the connections writes need.
    EventLog liveEvents = new EventLog(vertx, database.livePool());
    InFlight inFlight = new InFlight();
    live = new Live(vertx, database.livePool(), liveEvents,
        new Accounts(vertx, database.livePool(), liveEvents, tokens, node.logins(), config.admin(),
            node.readCache(), node.accounts(), node.hashing()),
        new Posts(database.livePool(), liveEvents, screening), node.relay(), filter, node.liveMeters(),
        // A write waits for this loop: one of its own requests, or the node's group of new comments, which this loop
        // writes if it is the node's comment writer (comments from the other loops included).
        config.liveMaxLag(), () -> inFlight.writing() || commentsApi.groupInFlight());
    BridgeRoutes bridge = new BridgeRoutes(vertx, live, config, limits);
    SseRoutes sse = new SseRoutes(vertx, live, config, limits);

    ConnectionGuard.Local guard = node.connections().local(vertx);
    Router router = Router.router(vertx);
    router.route().handler(AccessLog.handler(config.trustedProxies()));
    router.route().handler(guard.requests());
    router.route().handler(RequestGuards.securityHeaders());
    // A node told to stop still serves for PARLEY_SHUTDOWN_DELAY (see Main.Running#stop), but asks every client to
    // take its next request elsewhere: a keep-alive connection left idle would otherwise be cut when the node stops
    // listening, and a request sent on it in that moment answered by nothing (a probe: proxies do not retry a POST).
    router.route().handler(ctx -> {
      if (node.draining().get() && ctx.request().getHeader(io.vertx.core.http.HttpHeaders.UPGRADE) == null) {
        ctx.response().putHeader(io.vertx.core.http.HttpHeaders.CONNECTION, "close");
      }
      ctx.next();
    });
    router.route().handler(RequestGuards.varyByEncoding());
    router.route().handler(RequestGuards.wellFormed());
    router.route().handler(RequestGuards.noBodyOnReads());
    // Read turns for what reads the database outside the API (the API's come after CORS, below): the pages that
    // carry a post's or a member's preview tags, the Atom feeds, the health checks. A review filled the REST pool
    // through each of them from one address once the API's reads took turns.
    Handler<RoutingContext> turns = node.reads().handler();
    // Not /health/live, which reads nothing and must answer however busy the node is.
    router.route().handler(RequestGuards.onPaths(path -> path.equals("/health") || path.equals("/health/ready")
        || path.startsWith("/posts/") || path.startsWith("/c/") || path.startsWith("/u/")
        || path.endsWith("/feed.atom"), turns));
    // HEAD is GET without the body (the server leaves the body out for HEAD requests).
    router.route().method(HttpMethod.HEAD).handler(ctx -> {
      ctx.put(RequestGuards.HEAD, true);
      // The path and query, not uri(): a request target in absolute form (http://host/path) is no route path.
      String query = ctx.request().query();
      ctx.reroute(HttpMethod.GET, ctx.request().path() + (query == null ? "" : "?" + query));
    });
    router.get("/health").handler(this::ready);
    router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "ok")));
    router.get("/health/ready").handler(this::ready);
    router.get("/metrics").handler(MetricsAccess.allow(config.metricsAllow(), config.trustedProxies()))
        .handler(PrometheusScrapingHandler.create(node.meters()));

    // The API's own guards. Their routes have no path of their own (each checks the path itself), so the route a
    // request's metrics are labelled with is the one that served it ("/api/posts/:postId"), not a chain of
    // "/api/*" guards before it. CORS first, so even a refusal by a later guard reaches a listed origin's page.
    Cors cors = new Cors(config.allowedOrigins());
    router.route().handler(RequestGuards.underApi(inFlight.handler()));
    router.route().handler(RequestGuards.underApi(cors));
    // After CORS, so a read turned away at its turn's wait still reaches a listed origin's page; before the
    // authenticator, whose account lookup may be a query too. The RealWorld API's reads share the same turns.
    router.route().handler(RequestGuards.onPaths(
        path -> RequestGuards.isApi(path) || path.startsWith(RealWorldRoutes.PREFIX + "/"), turns));
    router.route().handler(RequestGuards.underApi(RequestGuards.noStore()));
    router.route().handler(RequestGuards.underApi(RequestGuards.jsonBodies()));
    // Only writes have a body to read (RequestGuards.noBodyOnReads refuses one on any other method). The body
    // handler also starts decoding a form or multipart Content-Type when there is no body, and Vert.x throws for
    // that on a GET, so it never sees other methods.
    router.route().method(HttpMethod.POST).method(HttpMethod.PUT).method(HttpMethod.PATCH)
        .handler(RequestGuards.underApi(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES)));
    router.route().handler(RequestGuards.underApi(accounts.authenticator()));
    // Routes by who may call them: anyone or signed in (each handler says which), then the moderators' and the
    // admins' routers, whose guards turn everyone else away before any of their handlers runs.
    accounts.mount(router);
    deletion.mount(router);
    posts.mount(router);
    comments.mount(router);
    voting.mount(router);
    reports.mount(router);
    blocks.mount(router);
    inbox.mount(router);
    export.mount(router);
    new RevisionRoutes(new Revisions(database.pool()), postsApi, commentsApi).mount(router);
    Follows follows = new Follows(database.pool());
    new FollowRoutes(follows, votes).mount(router);
    new SearchRoutes(new Search(database.pool(), config.searchTimeout(), config.searchRankLimit()), node.searches()).mount(router);
    apiDocument.mount(router);
    Router mod = guarded(Principal::moderator);
    reports.mountModerator(mod);
    moderation.mount(mod);
    admin.mountModerator(mod);
    Router admins = guarded(Principal::admin);
    admin.mountAdmin(admins);
    deletion.mountAdmin(admins);
    export.mountAdmin(admins);
    new parley.webhook.WebhookRoutes(vertx, database.pool(), config.webhooks()).mountAdmin(admins);
    mountGuarded(router, "/api/mod", mod);
    mountGuarded(router, "/api/admin", admins);
    bridge.mount(router);
    sse.mount(router);

    // The RealWorld ("Conduit") surface: its own guards, token scheme and error shape (docs/REALWORLD.md).
    ProblemHandler problems = new ProblemHandler(MAX_BODY_BYTES, node.routes()::methodsFor);
    RealWorldRoutes realworld = new RealWorldRoutes(vertx, database.pool(), accountsApi, postsApi, commentsApi, votes,
        node.scores(), follows, limits, config.trustedProxies(), MAX_BODY_BYTES, problems);
    Router realworldApi = realworld.mount(router);

    // The web app's pages: clean URLs served by their static files (the URL stays as the reader typed it), the
    // post page with its link-preview tags, comment permalinks.
    Pages pages = new Pages(node.pages(), database.pool(), postsApi);
    pages.mount(router);
    new AtomRoutes(postsApi, config.publicUrl()).mount(router);
    // Static files for every path outside the API and the live endpoint, so an unknown API path is a 404. Each
    // answer says when its file last changed and that a browser must ask again before using its copy (no-cache,
    // set first: the handler's own would say "public, immutable"): a copy still current is a 304 without a body,
    // where every page once fetched (and the server gzipped) all of its scripts and stylesheets again. Never an age
    // to keep a copy unasked: a page's modules import each other by plain names, and one kept past an upgrade
    // would run beside the others' new code. A file's date is read again at most once a second (one edited under
    // a running server is served anew). A file's name with a slash after it is no file (Pages).
    pages.mountNoFileBehindASlash(router);
    router.getWithRegex("^/(?!api(/|$)|eventbus(/|$)).*")
        .handler(ctx -> {
          ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
          ctx.next();
        })
        .handler(StaticHandler.create("webroot").setIndexPage("index.html").setCachingEnabled(true)
            .setFilesReadOnly(false).setCacheEntryTimeout(1_000));
    pages.mountNotFound(router);

    node.routes().record("", router);
    node.routes().record("/api/mod", mod);
    node.routes().record("/api/admin", admins);
    node.routes().record(RealWorldRoutes.PREFIX, realworldApi);

    router.route(RealWorldRoutes.PREFIX + "/*").failureHandler(realworld.failures());
    router.route().failureHandler(problems);
    // A request the router could not route (a path with a broken escape, %zz) is refused here: in RealWorld's shape
    // under its prefix, as everything there is.
    Handler<RoutingContext> realworldFailures = realworld.failures();
    for (int status : new int[] {400, 404, 405, 413, 415}) {
      router.errorHandler(status, ctx -> {
        String raw = ctx.request().path();
        boolean underRealWorld = raw != null
            && (raw.equals(RealWorldRoutes.PREFIX) || raw.startsWith(RealWorldRoutes.PREFIX + "/"));
        (underRealWorld ? realworldFailures : problems).handle(ctx);
      });
    }

    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setCompressionSupported(true)
        // No cleartext HTTP/2 (no browser speaks it): with it on, Vert.x sees a connection only once its first
        // request head has arrived, too late to cap connections or time out a head that never completes.
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout((int) config.httpIdleTimeout().toSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxWebSocketFrameSize(BridgeRoutes.MAX_WEBSOCKET_FRAME_BYTES)
        .setMaxWebSocketMessageSize(BridgeRoutes.MAX_WEBSOCKET_FRAME_BYTES)
        // Per-message deflate costs about five times the memory per socket and slows fan-out to large threads.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false));
    return server
        .connectionHandler(guard::accept)
        .invalidRequestHandler(ProblemHandler::invalidRequest)
        .requestHandler(router)
        .listen()
        .onSuccess(listening -> commentsApi.serving());
  }

  /**
   * Lets requests in flight finish, up to the configured grace, then closes every connection; the node's writer of
   * new comments then waits for the other verticles' servers and its last group ({@link Comments#stop}).
   */
  @Override
  public Future<?> stop() {
    Future<Void> liveClosed = live == null ? Future.succeededFuture() : live.close();
    return liveClosed.eventually(() -> server == null ? Future.succeededFuture()
            : server.shutdown(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS))
        .eventually(() -> commentsApi == null ? Future.succeededFuture()
            : commentsApi.stop(config.shutdownGrace().plus(config.databaseDeadline())));
  }

  /** A router whose every route first passes the guard (which throws a 401 or 403 problem for anyone else). */
  private Router guarded(Consumer<RoutingContext> guard) {
    Router guarded = Router.router(vertx);
    guarded.route().handler(ctx -> {
      guard.accept(ctx);
      ctx.next();
    });
    return guarded;
  }

  private void mountGuarded(Router router, String prefix, Router guarded) {
    router.route(prefix + "/*").subRouter(guarded);
    node.restrictedRoutes().record(prefix, guarded);
  }

  /**
   * How long readiness waits for the database's answer before it says 503. A database that stopped answering
   * (frozen, cut off) was only given up on at PARLEY_DB_DEADLINE (10 s), so a load balancer whose check times out
   * sooner saw a check that timed out, never the 503 that says why (a probe, 2026-12-04). A live node answers a
   * SELECT 1 in milliseconds, even with its REST pool saturated ({@link parley.db.Database#ping}).
   */
  static final long READY_WAIT_MS = 2_000;

  /** Ready to serve: the database answers and the node is not shutting down (a load balancer's check). */
  private void ready(RoutingContext ctx) {
    if (node.draining().get()) {
      ctx.fail(Problem.unavailable("This node is shutting down.", 1));
      return;
    }
    database.ping()
        .timeout(READY_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .onSuccess(v -> ctx.json(new JsonObject().put("status", "ok")))
        .onFailure(e -> ctx.fail(Problem.unavailable(e instanceof java.util.concurrent.TimeoutException
            ? "The database did not answer within " + READY_WAIT_MS / 1000 + " s." : "The database is unavailable.", 2)));
  }
}
