package parley.comment;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.config.AppConfig;
import parley.http.ClientIp;
import parley.http.Fields;
import parley.http.Idempotency;
import parley.http.RateLimiter;
import parley.http.Page;
import parley.http.PathIds;
import parley.access.Principal;
import parley.http.Problem;
import parley.readcache.ReadCache;
import parley.readcache.SignedInReads;
import parley.vote.Votes;

import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/** Threaded comments on posts: read a thread, comment or reply, edit and delete your own. */
public final class CommentRoutes {

  private static final int DEFAULT_PAGE = 50;
  private static final int MAX_PAGE = 200;

  private final Comments comments;
  private final Votes votes;
  private final RateLimiter limits;
  private final List<String> trustedProxies;
  private final ReadCache cache;
  private final ReadCache.Kind cachedPages;
  private final SignedInReads signedIn;

  /**
   * @param cache    where anonymous readers' comment pages are kept (see {@link ReadCache})
   * @param signedIn how signed-in readers get those pages when nothing of theirs changes them
   */
  public CommentRoutes(Comments comments, Votes votes, RateLimiter limits, List<String> trustedProxies,
      ReadCache cache, SignedInReads signedIn) {
    this.comments = comments;
    this.votes = votes;
    this.limits = limits;
    this.trustedProxies = trustedProxies;
    this.cache = cache;
    this.cachedPages = cache.kind("comments");
    this.signedIn = signedIn;
  }

  public void mount(Router router) {
    router.get("/api/posts/:postId/comments").handler(this::list);
    router.get("/api/users/:username/comments").handler(this::byAuthor);
    router.post("/api/posts/:postId/comments").handler(this::create);
    router.get("/api/comments/:commentId").handler(this::read);
    router.patch("/api/comments/:commentId").handler(this::edit);
    router.delete("/api/comments/:commentId").handler(this::delete);
  }

  private void list(RoutingContext ctx) {
    long postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    Page page = Page.sorted(ctx, DEFAULT_PAGE, MAX_PAGE);
    Principal reader = Principal.current(ctx).orElse(null);
    CommentSort sort = CommentSort.parse(ctx.request().getParam("sort"));
    // Best's cursors carry its key; New's and Old's do not: one sort's cursor is refused by another (it was read as
    // an id, a wrong page with a 200: a review).
    if (sort != CommentSort.BEST) page.withoutKey("is not a cursor of this sort");
    String key = "comments:" + postId + ":" + sort + ":" + page.limit() + ":" + page.after() + ":" + page.afterKey();
    Supplier<Future<Buffer>> anonymousPage = () -> page(postId, page, null, sort).map(JsonObject::toBuffer);
    if (reader == null) {
      cache.respond(ctx, cachedPages, cache.thread(postId), key, anonymousPage);
      return;
    }
    signedIn.respond(ctx, reader, SignedInReads.Page.COMMENTS, postId, cachedPages, cache.thread(postId), key,
        anonymousPage, () -> page(postId, page, reader, sort));
  }

  /** A page of the thread as this reader (or anyone signed out, for null) may see it. */
  private Future<JsonObject> page(long postId, Page page, Principal reader, CommentSort sort) {
    return comments.list(postId, page, reader, sort)
        .map(rows -> rows.orElseThrow(() -> Problem.notFound("No such post.")))
        .map(thread -> page.respond(thread.comments(), seen -> sort.keyOf(seen.comment()),
            seen -> seen.comment().id(),
            seen -> seen.comment().toJsonFor(reader, seen.authorBlocked())).put("seq", thread.seq()))
        .compose(list -> votes.withMine(Votes.Kind.COMMENT, reader,
            list.getJsonArray("items").stream().map(JsonObject.class::cast).toList()).map(list));
  }

  private void byAuthor(RoutingContext ctx) {
    Page page = Page.of(ctx, DEFAULT_PAGE, MAX_PAGE);
    comments.byAuthor(ctx.pathParam("username"), page, Principal.current(ctx).map(Principal::id).orElse(0L))
        .map(found -> found.orElseThrow(() -> Problem.notFound("No such user.")))
        .onSuccess(rows -> ctx.json(page.respond(rows, json -> json.getLong("id"), json -> json)))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    Principal author = Principal.active(ctx);
    long postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    CommentInput input = CommentInput.forCreate(Fields.of(ctx).only("body", "parentId"));
    Instant now = Instant.now();
    Idempotency.<Comment>create(ctx, comments.pool(), Idempotency.key(ctx, author.id()),
        () -> limits.take(author.isNew(now) ? AppConfig.LIMIT_COMMENTS_NEW : AppConfig.LIMIT_COMMENTS,
                "user:" + author.id())
            .compose(v -> limits.take(AppConfig.LIMIT_COMMENTS_IP, ClientIp.of(ctx, trustedProxies))),
        claim -> comments.insert(postId, author, input, claim),
        comment -> new Idempotency.Reply(201, "/api/comments/" + comment.id(), comment.toJson().encode()));
  }

  private void read(RoutingContext ctx) {
    Principal reader = Principal.current(ctx).orElse(null);
    comments.find(commentId(ctx), reader)
        .map(comment -> comment.orElseThrow(() -> Problem.notFound("No such comment.")))
        .map(seen -> seen.comment().toJsonFor(reader, seen.authorBlocked()))
        .compose(json -> votes.withMine(Votes.Kind.COMMENT, reader, List.of(json)).map(json))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private void edit(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    long id = commentId(ctx);
    CommentInput input = CommentInput.forEdit(Fields.of(ctx).only("body"));
    limits.take(AppConfig.LIMIT_EDITS, "user:" + caller.id())
        .compose(v -> comments.update(id, caller, input))
        .onSuccess(comment -> ctx.json(comment.toJson()))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    comments.delete(commentId(ctx), caller)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private static long commentId(RoutingContext ctx) {
    return PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
  }
}
