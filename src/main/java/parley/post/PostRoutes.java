package parley.post;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.json.JsonObject;
import parley.config.AppConfig;
import parley.http.ClientIp;
import parley.http.RateLimiter;
import parley.access.Visibility;
import parley.http.Fields;
import parley.http.Idempotency;
import parley.http.Page;
import parley.http.PathIds;
import parley.access.Principal;
import parley.http.Problem;
import parley.readcache.ReadCache;
import parley.readcache.SignedInReads;
import parley.vote.Votes;

import java.time.Instant;
import java.util.List;

/** Publishing, reading, editing and deleting posts. */
public final class PostRoutes {

  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;

  private final Posts posts;
  private final Votes votes;
  private final RateLimiter limits;
  private final List<String> trustedProxies;
  private final ReadCache cache;
  private final ReadCache.Kind cachedPosts;
  private final ReadCache.Kind cachedFeeds;
  private final SignedInReads signedIn;

  /**
   * @param cache    where anonymous readers' posts and feed pages are kept (see {@link ReadCache})
   * @param signedIn how signed-in readers get those pages when nothing of theirs changes them
   */
  public PostRoutes(Posts posts, Votes votes, RateLimiter limits, List<String> trustedProxies, ReadCache cache,
      SignedInReads signedIn) {
    this.posts = posts;
    this.votes = votes;
    this.limits = limits;
    this.trustedProxies = trustedProxies;
    this.cache = cache;
    this.cachedPosts = cache.kind("post");
    this.cachedFeeds = cache.kind("feed");
    this.signedIn = signedIn;
  }

  public void mount(Router router) {
    router.get("/api/posts").handler(this::list);
    router.get("/api/tags").handler(this::tags);
    router.put("/api/posts/:postId/tags").handler(this::setTags);
    router.get("/api/users/:username/posts").handler(this::byAuthor);
    router.post("/api/markdown/preview").handler(this::preview);
    router.post("/api/posts").handler(this::create);
    router.get("/api/posts/:postId").handler(this::read);
    router.patch("/api/posts/:postId").handler(this::edit);
    router.delete("/api/posts/:postId").handler(this::delete);
  }

  private void list(RoutingContext ctx) {
    FeedSort sort = FeedSort.parse(ctx.request().getParam("sort"));
    FeedSort.Period period = FeedSort.Period.parse(ctx.request().getParam("period"));
    if (sort != FeedSort.TOP && ctx.request().getParam("period") != null) {
      throw Problem.invalid("period", "applies to sort=top only");
    }
    String tag = ctx.request().getParam("tag");
    if (tag != null && !PostInput.TAG.matcher(tag).matches()) {
      throw Problem.invalid("tag", "must be 1 to 30 letters a-z, digits or inner hyphens");
    }
    Page page = Page.sorted(ctx, DEFAULT_PAGE, MAX_PAGE);
    Principal reader = Principal.current(ctx).orElse(null);
    // A top list of a period moves as time passes, with no write to say so: never cached.
    if (sort == FeedSort.TOP && period != FeedSort.Period.ALL) {
      feedPage(page, reader, sort, period, tag).onSuccess(ctx::json).onFailure(ctx::fail);
      return;
    }
    String key = "feed:" + sort + ":" + period + ":" + tag + ":" + page.limit() + ":" + page.after() + ":"
        + page.afterKey();
    if (reader == null) {
      cache.respond(ctx, cachedFeeds, cache.feed(), key,
          () -> feedPage(page, null, sort, period, tag).map(JsonObject::toBuffer));
      return;
    }
    signedIn.respond(ctx, reader, SignedInReads.Page.FEED, 0, cachedFeeds, cache.feed(), key,
        () -> feedPage(page, null, sort, period, tag).map(JsonObject::toBuffer),
        () -> feedPage(page, reader, sort, period, tag));
  }

  private io.vertx.core.Future<JsonObject> feedPage(Page page, Principal reader, FeedSort sort,
      FeedSort.Period period, String tag) {
    return posts.list(page, reader == null ? 0 : reader.id(), sort, period, tag)
        .map(rows -> page.respond(rows, sort::keyOf, Post::id, Post::toListItemJson))
        .compose(json -> withMyVotes(reader, json));
  }

  private void tags(RoutingContext ctx) {
    posts.tags(Page.limitOnly(ctx, 50, 200), Principal.current(ctx).map(Principal::id).orElse(0L))
        .onSuccess(tags -> ctx.json(new JsonObject().put("items", new io.vertx.core.json.JsonArray(tags))))
        .onFailure(ctx::fail);
  }

  private void setTags(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    long id = postId(ctx);
    Fields fields = Fields.of(ctx).only("tags");
    java.util.List<String> tags = PostInput.tags(fields);
    if (!fields.has("tags")) fields.error("tags", "is required");
    fields.check();
    posts.setTags(id, caller, tags)
        .onSuccess(post -> ctx.json(post.toJson()))
        .onFailure(ctx::fail);
  }

  private void byAuthor(RoutingContext ctx) {
    Page page = Page.of(ctx, DEFAULT_PAGE, MAX_PAGE);
    Principal reader = Principal.current(ctx).orElse(null);
    posts.byAuthor(ctx.pathParam("username"), page, reader == null ? 0 : reader.id())
        .map(found -> found.orElseThrow(() -> Problem.notFound("No such user.")))
        // Whether each is hidden or pending: only its author gets any such (Posts.byAuthor), with its badge.
        .map(rows -> page.respond(rows, Post::id,
            p -> p.toListItemJson().put("hidden", p.hidden()).put("pending", p.pending())))
        .compose(json -> withMyVotes(reader, json))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  /** A list response with the reader's own vote on each item. */
  private io.vertx.core.Future<JsonObject> withMyVotes(Principal reader, JsonObject list) {
    List<JsonObject> items = list.getJsonArray("items").stream().map(JsonObject.class::cast).toList();
    return votes.withMine(Votes.Kind.POST, reader, items).map(list);
  }

  /** Renders Markdown exactly as a post or comment would be, for the editor's preview; nothing is stored. */
  private void preview(RoutingContext ctx) {
    Principal.required(ctx);
    Fields fields = Fields.of(ctx).only("body");
    String body = fields.text("body", 1, PostInput.MAX_BODY, false);
    fields.check();
    // Rendered as it will be stored: mentions of existing accounts linked.
    parley.account.Mentions.render(posts.pool(), body)
        .onSuccess(rendered -> ctx.json(new JsonObject().put("bodyHtml", rendered.html())))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    Principal author = Principal.active(ctx);
    PostInput input = PostInput.forCreate(Fields.of(ctx).only(PostInput.FIELDS));
    Instant now = Instant.now();
    Idempotency.<Post>create(ctx, posts.pool(), Idempotency.key(ctx, author.id()),
        () -> limits.take(author.isNew(now) ? AppConfig.LIMIT_POSTS_NEW : AppConfig.LIMIT_POSTS, "user:" + author.id())
            .compose(v -> limits.take(AppConfig.LIMIT_POSTS_IP, ClientIp.of(ctx, trustedProxies))),
        claim -> posts.insert(author, input, claim),
        post -> new Idempotency.Reply(201, "/api/posts/" + post.id(), post.toJson().encode()));
  }

  private void read(RoutingContext ctx) {
    Principal reader = Principal.current(ctx).orElse(null);
    long id = postId(ctx);
    if (reader == null) {
      cache.respond(ctx, cachedPosts, cache.thread(id), "post:" + id, () -> post(id, null).map(JsonObject::toBuffer));
      return;
    }
    signedIn.respond(ctx, reader, SignedInReads.Page.POST, id, cachedPosts, cache.thread(id), "post:" + id,
        () -> post(id, null).map(JsonObject::toBuffer), () -> post(id, reader));
  }

  /** The post as this reader (or anyone signed out, for null) may see it. */
  private io.vertx.core.Future<JsonObject> post(long id, Principal reader) {
    return posts.find(id, reader == null ? 0 : reader.id())
        .map(found -> {
          Posts.Read read = found.orElseThrow(() -> Problem.notFound("No such post."));
          Post post = read.post();
          if (!Visibility.readable(reader, post.authorId(), post.restricted())) {
            throw Problem.notFound("No such post.");
          }
          if (read.authorBlocked()) {
            // A placeholder, so a page can still show the thread's shape without the blocked person's words.
            return new JsonObject().put("id", post.id()).put("blocked", true).put("seq", read.seq());
          }
          return post.toJson().put("seq", read.seq());
        })
        .compose(json -> json.containsKey("blocked") ? io.vertx.core.Future.succeededFuture(json)
            : votes.withMine(Votes.Kind.POST, reader, List.of(json)).map(json));
  }

  private void edit(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    long id = postId(ctx);
    PostInput input = PostInput.forEdit(Fields.of(ctx).only(PostInput.FIELDS));
    limits.take(AppConfig.LIMIT_EDITS, "user:" + caller.id())
        .compose(v -> posts.update(id, caller, input))
        .onSuccess(post -> ctx.json(post.toJson()))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    Principal caller = Principal.active(ctx);
    posts.delete(postId(ctx), caller)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** A path id that is not a positive number names nothing: 404, like an id that does not exist. */
  static long postId(RoutingContext ctx) {
    return PathIds.parse(ctx.pathParam("postId"), "No such post.");
  }
}
