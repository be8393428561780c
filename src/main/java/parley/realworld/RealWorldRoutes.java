package parley.realworld;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import parley.access.Principal;
import parley.account.AccountChange;
import parley.account.Accounts;
import parley.account.NewAccount;
import parley.comment.Comment;
import parley.comment.CommentInput;
import parley.comment.CommentSort;
import parley.comment.Comments;
import parley.config.AppConfig;
import parley.follow.Follows;
import parley.http.ClientIp;
import parley.http.Fields;
import parley.http.Idempotency;
import parley.http.Page;
import parley.http.Problem;
import parley.http.ProblemHandler;
import parley.http.ProblemType;
import parley.http.RateLimiter;
import parley.http.RequestGuards;
import parley.post.PostInput;
import parley.readcache.ReadCache;
import parley.post.Posts;
import parley.vote.ScoreBoard;
import parley.vote.Votes;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The RealWorld ("Conduit") API under {@code /realworld/api}: an adapter over Parley's own repositories, so an
 * article is a post, a favorite an up vote, a comment a comment (live in Parley's thread, screened and held like
 * any other), and an account the same account with the same tokens. Only the shapes differ: RealWorld's JSON
 * envelopes, {@code Authorization: Token}, slugs, offset pages and its {@code {"errors": {...}}} failures. See
 * docs/REALWORLD.md.
 */
public final class RealWorldRoutes {

  public static final String PREFIX = "/realworld/api";
  private static final String TOKEN = "realworld.token";
  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;
  /**
   * The deepest page's start. An offset is read past, post by post (about 3 µs each at 100,000 posts: 30 ms at
   * 10,000, 150-240 ms at the last page, a whole index for an offset past the end), by anyone, signed out too;
   * Parley's own lists page by keyset. Deeper lists narrow by tag or author, as search engines cap theirs.
   */
  private static final int MAX_OFFSET = 10_000;
  /** A RealWorld thread is one list: read in pages of this size, up to this many comments. */
  private static final int COMMENT_PAGE = 200;
  private static final int MAX_COMMENTS = 2_000;
  /**
   * ...and up to this many characters of their bodies: 2,000 comments of 10,000 characters made a 20 MB answer, built
   * whole for each request, and 24 connections that never read theirs ran a node out of heap (a hostile review).
   */
  private static final long MAX_COMMENT_CHARS = 1 << 20;

  private final Vertx vertx;
  private final Accounts accounts;
  private final Posts posts;
  private final Comments comments;
  private final Votes votes;
  private final ScoreBoard scores;
  private final Follows follows;
  private final Articles articles;
  private final RateLimiter limits;
  private final List<String> trustedProxies;
  private final ProblemHandler problems;

  public RealWorldRoutes(Vertx vertx, Pool pool, Accounts accounts, Posts posts, Comments comments, Votes votes,
      ScoreBoard scores, Follows follows, RateLimiter limits, List<String> trustedProxies, long maxBodyBytes,
      ProblemHandler problems) {
    this.vertx = vertx;
    this.accounts = accounts;
    this.posts = posts;
    this.comments = comments;
    this.votes = votes;
    this.scores = scores;
    this.follows = follows;
    this.articles = new Articles(pool);
    this.limits = limits;
    this.trustedProxies = trustedProxies;
    this.problems = problems;
    this.maxBodyBytes = maxBodyBytes;
  }

  private final long maxBodyBytes;

  /**
   * Mounts the surface on its own router under {@link #PREFIX}, with its guards and its error shape; returns that
   * router (for the server's route table).
   */
  public Router mount(Router router) {
    Router api = Router.router(vertx);
    api.route().handler(RequestGuards.noStore());
    api.route().handler(RequestGuards.jsonBodies());
    api.route().method(HttpMethod.POST).method(HttpMethod.PUT)
        .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    api.route().handler(this::authenticate);

    api.post("/users").handler(this::register);
    api.post("/users/login").handler(this::login);
    api.get("/user").handler(this::currentUser);
    api.put("/user").handler(this::updateUser);
    api.get("/profiles/:username").handler(this::profile);
    api.post("/profiles/:username/follow").handler(ctx -> follow(ctx, true));
    api.delete("/profiles/:username/follow").handler(ctx -> follow(ctx, false));
    api.get("/articles").handler(ctx -> list(ctx, false));
    api.get("/articles/feed").handler(ctx -> list(ctx, true));
    api.post("/articles").handler(this::createArticle);
    api.get("/articles/:slug").handler(this::readArticle);
    api.put("/articles/:slug").handler(this::updateArticle);
    api.delete("/articles/:slug").handler(this::deleteArticle);
    api.post("/articles/:slug/favorite").handler(ctx -> favorite(ctx, true));
    api.delete("/articles/:slug/favorite").handler(ctx -> favorite(ctx, false));
    api.get("/articles/:slug/comments").handler(this::listComments);
    api.post("/articles/:slug/comments").handler(this::createComment);
    api.delete("/articles/:slug/comments/:id").handler(this::deleteComment);
    api.get("/tags").handler(this::tags);
    // Anything else under the prefix is RealWorld's 405 (a path it serves, with another method) or 404, not the web
    // app's page.
    api.route().handler(ctx -> ctx.fail(problems.methodsAt(ctx.normalizedPath()).isEmpty()
        ? Problem.notFound("There is nothing here.")
        : ProblemType.METHOD_NOT_ALLOWED.problem("This resource does not accept that method.")));
    api.route().failureHandler(this::fail);

    router.route(PREFIX + "/*").subRouter(api);
    return api;
  }

  /** The failure handler for the prefix on the outer router too, so the global guards' refusals keep the shape. */
  public Handler<RoutingContext> failures() {
    return this::fail;
  }

  // ---- users ----

  /** {@code Token <jwt>} as RealWorld clients send it; {@code Bearer} too, so Parley's clients can call here. */
  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null) {
      ctx.next();
      return;
    }
    String token = null;
    for (String scheme : new String[] {"Token ", "Bearer "}) {
      if (header.regionMatches(true, 0, scheme, 0, scheme.length())) token = header.substring(scheme.length()).strip();
    }
    if (token == null || token.isEmpty()) {
      ctx.fail(Problem.unauthorized("Use Authorization: Token <token>."));
      return;
    }
    String presented = token;
    accounts.identify(presented)
        .onSuccess(identity -> {
          identity.attachTo(ctx);
          ctx.put(TOKEN, presented);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  private void register(RoutingContext ctx) {
    NewAccount account = NewAccount.from(wrapped(ctx, "user"));
    limits.take(AppConfig.LIMIT_REGISTRATIONS_IP, ClientIp.of(ctx, trustedProxies))
        .compose(v -> accounts.register(account.username(), account.email(), account.password()))
        .onSuccess(session -> send(ctx, 201, new JsonObject().put("user", user(session.user(), session.token()))))
        .onFailure(ctx::fail);
  }

  private void login(RoutingContext ctx) {
    Fields fields = wrapped(ctx, "user");
    String email = fields.text("email", 1, 254, true);
    String password = fields.text("password", 1, 1024, false);
    fields.check();
    String ip = ClientIp.of(ctx, trustedProxies);
    limits.countingFailures(AppConfig.LIMIT_FAILED_LOGINS_IP, ip, e -> e instanceof Problem p && p.status() == 401,
            () -> accounts.login(email, password, ip))
        .onSuccess(session -> ctx.json(new JsonObject().put("user", user(session.user(), session.token()))))
        .onFailure(ctx::fail);
  }

  private void currentUser(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    accounts.me(me.id())
        .onSuccess(user -> ctx.json(new JsonObject().put("user", user(user, ctx.get(TOKEN)))))
        .onFailure(ctx::fail);
  }

  /**
   * A new password ends the account's other tokens; the answer carries one that still works. A banned member may
   * change only the password here, as through PUT /api/me/password: a compromised account's owner must be able to
   * take it back while banned (MODERATION.md).
   */
  private void updateUser(RoutingContext ctx) {
    // Signed in before the body is read (401 before 422); a banned member may still change only their password.
    Principal signedIn = Principal.required(ctx);
    AccountChange change = AccountChange.from(wrapped(ctx, "user"));
    boolean passwordOnly = change.username() == null && change.email() == null && change.bio() == null
        && change.image() == null;
    Principal me = passwordOnly ? signedIn : Principal.active(ctx);
    accounts.update(me, change, ClientIp.of(ctx, trustedProxies), limits)
        .onSuccess(session -> ctx.json(new JsonObject().put("user", user(session.user(), session.token()))))
        .onFailure(ctx::fail);
  }

  private static JsonObject user(parley.account.User user, String token) {
    return new JsonObject().put("email", user.email()).put("token", token).put("username", user.username())
        .put("bio", user.bio()).put("image", user.image());
  }

  // ---- profiles ----

  private void profile(RoutingContext ctx) {
    respondProfile(ctx, ctx.pathParam("username"));
  }

  private void follow(RoutingContext ctx, boolean follow) {
    Principal me = Principal.active(ctx);
    noFields(ctx);
    String username = ctx.pathParam("username");
    follows.follow(me.id(), username, follow)
        .onSuccess(v -> respondProfile(ctx, username))
        .onFailure(ctx::fail);
  }

  private void respondProfile(RoutingContext ctx, String username) {
    articles.profile(username, readerId(ctx))
        .map(found -> found.orElseThrow(() -> Problem.notFound("No such user.")))
        .onSuccess(profile -> ctx.json(new JsonObject().put("profile", profile)))
        .onFailure(ctx::fail);
  }

  // ---- articles ----

  private void list(RoutingContext ctx, boolean feed) {
    if (feed) Principal.required(ctx);
    int limit = number(ctx, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
    int offset = number(ctx, "offset", 0, 0, MAX_OFFSET);
    String tag = ctx.request().getParam("tag");
    Articles.Query query = new Articles.Query(tag == null ? null : tag.strip().toLowerCase(java.util.Locale.ROOT),
        feed ? null : ctx.request().getParam("author"), feed ? null : ctx.request().getParam("favorited"), feed,
        limit, offset);
    articles.list(query, readerId(ctx))
        .onSuccess(slice -> ctx.json(new JsonObject().put("articles", new JsonArray(new ArrayList<>(slice.articles())))
            .put("articlesCount", slice.count())))
        .onFailure(ctx::fail);
  }

  private static int number(RoutingContext ctx, String name, int otherwise, int min, int max) {
    String raw = ctx.request().getParam(name);
    if (raw == null || raw.isEmpty()) return otherwise;
    Long value = parley.http.Numbers.parse(raw);
    if (value != null && value >= min && value <= max) return value.intValue();
    throw Problem.invalid(name, "must be a whole number from " + min + " to " + max);
  }

  /**
   * Creates a post. Screening applies as on Parley's own API: a held article answers 201 with {@code "pending":
   * true}, readable by its author (and moderators) at its slug, and in no list until a moderator approves it.
   */
  private void createArticle(RoutingContext ctx) {
    Principal author = Principal.active(ctx);
    Fields fields = article(ctx);
    if (!fields.has("description")) fields.error("description", "is required");
    PostInput input = PostInput.forCreate(fields);
    Instant now = Instant.now();
    limits.take(author.isNew(now) ? AppConfig.LIMIT_POSTS_NEW : AppConfig.LIMIT_POSTS, "user:" + author.id())
        .compose(v -> limits.take(AppConfig.LIMIT_POSTS_IP, ClientIp.of(ctx, trustedProxies)))
        .compose(v -> posts.insert(author, input, Idempotency.Claim.none()))
        .compose(post -> articles.one(post.id(), author))
        .onSuccess(article -> send(ctx, 201, new JsonObject().put("article", article)))
        .onFailure(ctx::fail);
  }

  private void readArticle(RoutingContext ctx) {
    articles.one(Articles.idOf(ctx.pathParam("slug")), Principal.current(ctx).orElse(null))
        .onSuccess(article -> ctx.json(new JsonObject().put("article", article)))
        .onFailure(ctx::fail);
  }

  private void updateArticle(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    long id = Articles.idOf(ctx.pathParam("slug"));
    PostInput input = PostInput.forEdit(article(ctx));
    limits.take(AppConfig.LIMIT_EDITS, "user:" + caller.id())
        .compose(v -> posts.update(id, caller, input))
        .compose(post -> articles.one(id, caller))
        .onSuccess(article -> ctx.json(new JsonObject().put("article", article)))
        .onFailure(ctx::fail);
  }

  private void deleteArticle(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    posts.delete(Articles.idOf(ctx.pathParam("slug")), caller)
        .onSuccess(v -> ctx.response().setStatusCode(200).end())
        .onFailure(ctx::fail);
  }

  /** A favorite is an up vote (its author may favorite their own article here; see Votes.favorite). */
  private void favorite(RoutingContext ctx, boolean favorite) {
    Principal caller = Principal.active(ctx);
    noFields(ctx);
    long id = Articles.idOf(ctx.pathParam("slug"));
    // Only an article the caller can read here (not one by someone they blocked, which reads as a 404) takes it.
    limits.take(AppConfig.LIMIT_VOTES, "user:" + caller.id())
        .compose(v -> articles.one(id, caller))
        .compose(readable -> favorite ? votes.favorite(id, caller) : votes.unfavorite(id, caller))
        .compose(tally -> {
          scores.changed(tally, caller.id());
          return articles.one(id, caller);
        })
        .onSuccess(article -> ctx.json(new JsonObject().put("article", article)))
        .onFailure(ctx::fail);
  }

  /** The {@code article} object of the body, with RealWorld's {@code tagList} read as Parley's {@code tags}. */
  private static Fields article(RoutingContext ctx) {
    JsonObject article = wrappedObject(ctx, "article");
    if (article.containsKey("tagList")) article.put("tags", article.remove("tagList"));
    return Fields.of(article);
  }

  // ---- comments ----

  /**
   * The whole thread, oldest first, as the reader may see it: what Parley shows as a tombstone or placeholder
   * (deleted, hidden from this reader, written by someone they blocked) is left out, as RealWorld has no such
   * shape; a held comment is there for its author and moderators only, with {@code "pending": true}.
   */
  private void listComments(RoutingContext ctx) {
    Principal reader = Principal.current(ctx).orElse(null);
    long postId = Articles.idOf(ctx.pathParam("slug"));
    List<Comment> shown = new ArrayList<>();
    // Made for this request alone: its read turn lasts until it is sent, so one address keeps at most its turns' worth.
    parley.http.ReadTurns.untilSent(ctx);
    // An article by someone the reader blocked is a 404 here as it is read alone (its comments were listed).
    (reader == null ? Future.<Void>succeededFuture() : articles.one(postId, reader).<Void>mapEmpty())
        .compose(v -> readThread(postId, reader, null, shown))
        .compose(v -> articles.profiles(readerId(ctx), shown.stream().map(Comment::authorId).distinct().toList()))
        .onSuccess(profiles -> {
          JsonArray out = new JsonArray();
          shown.forEach(c -> out.add(comment(c, profiles.get(c.authorId()))));
          // A slice at a time, each once the one before has gone: a client that reads nothing holds its connection's
          // write queue of it, not the whole answer in direct memory.
          ReadCache.endInSlices(ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json"),
              ctx.request().version(), new JsonObject().put("comments", out).toBuffer());
        })
        .onFailure(ctx::fail);
  }

  private Future<Void> readThread(long postId, Principal reader, Long after, List<Comment> shown) {
    return comments.list(postId, new Page(COMMENT_PAGE, after, null), reader, CommentSort.OLD).compose(found -> {
      Comments.ThreadPage page = found.orElseThrow(() -> Problem.notFound("No such article."));
      List<Comments.Seen> rows = page.comments();
      boolean more = rows.size() > COMMENT_PAGE;
      List<Comments.Seen> items = more ? rows.subList(0, COMMENT_PAGE) : rows;
      long used = chars(shown);
      for (Comments.Seen seen : items) {
        Comment c = seen.comment();
        boolean readable = !c.deleted() && !seen.authorBlocked()
            && parley.access.Visibility.readable(reader, c.authorId(), c.hidden() || c.pending());
        if (!readable) continue;
        used += c.body().length();
        if (used > MAX_COMMENT_CHARS) return Future.succeededFuture();
        shown.add(c);
      }
      if (!more || shown.size() >= MAX_COMMENTS) return Future.succeededFuture();
      return readThread(postId, reader, items.get(items.size() - 1).comment().id(), shown);
    });
  }

  private static long chars(List<Comment> comments) {
    long n = 0;
    for (Comment c : comments) n += c.body().length();
    return n;
  }

  /** Through Parley's own comment path: events, notifications, screening and holds as for any comment. */
  private void createComment(RoutingContext ctx) {
    Principal author = Principal.active(ctx);
    long postId = Articles.idOf(ctx.pathParam("slug"));
    CommentInput input = CommentInput.forCreate(wrapped(ctx, "comment"));
    Instant now = Instant.now();
    limits.take(author.isNew(now) ? AppConfig.LIMIT_COMMENTS_NEW : AppConfig.LIMIT_COMMENTS, "user:" + author.id())
        .compose(v -> limits.take(AppConfig.LIMIT_COMMENTS_IP, ClientIp.of(ctx, trustedProxies)))
        // As for a favorite: only an article the author can read here (one by someone they blocked reads as a 404).
        .compose(v -> articles.one(postId, author))
        .compose(readable -> comments.insert(postId, author, input, Idempotency.Claim.none()))
        .compose(comment -> articles.profiles(author.id(), List.of(author.id()))
            .map(profiles -> comment(comment, profiles.get(author.id()))))
        .onSuccess(comment -> send(ctx, 200, new JsonObject().put("comment", comment)))
        .onFailure(ctx::fail);
  }

  private void deleteComment(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    long postId = Articles.idOf(ctx.pathParam("slug"));
    long id = parley.http.PathIds.parse(ctx.pathParam("id"), "No such comment.");
    comments.deleteOn(postId, id, caller)
        .onSuccess(v -> ctx.response().setStatusCode(200).end())
        .onFailure(ctx::fail);
  }

  private static JsonObject comment(Comment c, JsonObject author) {
    JsonObject json = new JsonObject().put("id", c.id()).put("createdAt", Articles.time(c.createdAt()))
        .put("updatedAt", Articles.time(c.editedAt() == null ? c.createdAt() : c.editedAt()))
        .put("body", c.body()).put("author", author);
    if (c.pending()) json.put("pending", true);
    if (c.hidden()) json.put("hidden", true);
    return json;
  }

  // ---- tags ----

  private void tags(RoutingContext ctx) {
    posts.tags(100, readerId(ctx))
        .onSuccess(tags -> ctx.json(new JsonObject().put("tags",
            new JsonArray(tags.stream().map(tag -> tag.getString("tag")).toList()))))
        .onFailure(ctx::fail);
  }

  // ---- plumbing ----

  private static long readerId(RoutingContext ctx) {
    return Principal.current(ctx).map(Principal::id).orElse(0L);
  }

  private static Fields wrapped(RoutingContext ctx, String name) {
    return Fields.of(wrappedObject(ctx, name));
  }

  /**
   * A request that takes no fields (a favorite, a follow): any body it has must still be a JSON object (a 422
   * otherwise, as everywhere here), whose fields are ignored, as RealWorld's spec says nothing of them. A body of
   * broken JSON or bytes that are not UTF-8 was taken and the request done (a probe).
   */
  private static void noFields(RoutingContext ctx) {
    io.vertx.core.buffer.Buffer body = ctx.body().buffer();
    if (body != null && body.length() > 0) Fields.body(ctx);
  }

  /** RealWorld wraps every body: {"user": {...}}, {"article": {...}}, {"comment": {...}}. */
  private static JsonObject wrappedObject(RoutingContext ctx, String name) {
    JsonObject body = Fields.body(ctx);
    if (!(body.getValue(name) instanceof JsonObject inner)) throw Problem.invalid(name, "is required");
    return inner.copy();
  }

  private static void send(RoutingContext ctx, int status, JsonObject json) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json.encode());
  }

  /**
   * Every failure as RealWorld's {@code {"errors": {"field": ["message"]}}}: invalid fields (and a name or email
   * already taken) are 422, a problem without fields is reported under {@code body} with its own status (401, 403,
   * 404, 409, 413, 429, 503...).
   */
  private void fail(RoutingContext ctx) {
    Problem problem = problems.toProblem(ctx);
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    int status = problem.status();
    JsonObject errors = new JsonObject();
    if (!problem.errors().isEmpty() && (status == 400 || status == 409)) {
      status = 422;
      for (Problem.FieldError error : problem.errors()) {
        String field = error.field().startsWith("tags") ? "tagList" : error.field().replaceAll("\\[\\d+]$", "");
        JsonArray messages = errors.getJsonArray(field);
        if (messages == null) errors.put(field, messages = new JsonArray());
        messages.add(error.message());
      }
    } else {
      if (status == 400) status = 422;
      // A RealWorld client sends Token, as this surface's 401 header says (Bearer is taken here too).
      String message = problem.getMessage().replace("Authorization: Bearer <token>", "Authorization: Token <token>");
      errors.put("body", new JsonArray().add(message));
    }
    var response = ctx.response();
    problems.allow(ctx, problem);
    if (status == 401) response.putHeader("WWW-Authenticate", "Token realm=\"parley\"");
    Object retryAfter = problem.toJson().getValue("retryAfter");
    if (retryAfter != null) response.putHeader(HttpHeaders.RETRY_AFTER, retryAfter.toString());
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(new JsonObject().put("errors", errors).encode());
  }
}
