package parley.post;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.events.EventLog;
import parley.http.Fields;
import parley.http.Page;
import parley.http.PathIds;
import parley.http.Principal;
import parley.http.Problem;

/** Publishing, reading, editing and deleting posts. */
public final class PostRoutes {

  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;

  private final PostRepository posts;

  public PostRoutes(EventLog events) {
    this.posts = new PostRepository(events);
  }

  public void mount(Router router) {
    router.get("/api/posts").handler(this::list);
    router.post("/api/posts").handler(this::create);
    router.get("/api/posts/:postId").handler(this::read);
    router.patch("/api/posts/:postId").handler(this::edit);
    router.delete("/api/posts/:postId").handler(this::delete);
  }

  /** Whether a post exists and is not deleted (for the live side, which follows threads by id). */
  public Future<Boolean> isVisible(long postId) {
    return posts.find(postId).map(java.util.Optional::isPresent);
  }

  private void list(RoutingContext ctx) {
    Page page = Page.of(ctx, DEFAULT_PAGE, MAX_PAGE);
    posts.list(page)
        .onSuccess(rows -> ctx.json(page.respond(rows, Post::id, Post::toListItemJson)))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    Principal author = Principal.required(ctx);
    PostInput input = PostInput.forCreate(Fields.of(ctx));
    posts.insert(author.id(), input)
        .onSuccess(post -> ctx.response().setStatusCode(201)
            .putHeader(HttpHeaders.LOCATION, "/api/posts/" + post.id())
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(post.toJson().encode()))
        .onFailure(ctx::fail);
  }

  private void read(RoutingContext ctx) {
    posts.find(postId(ctx))
        .map(post -> post.orElseThrow(() -> Problem.notFound("No such post.")))
        .onSuccess(read -> ctx.json(read.post().toJson().put("seq", read.seq())))
        .onFailure(ctx::fail);
  }

  private void edit(RoutingContext ctx) {
    Principal caller = Principal.required(ctx);
    long id = postId(ctx);
    PostInput input = PostInput.forEdit(Fields.of(ctx));
    posts.update(id, caller, input)
        .onSuccess(post -> ctx.json(post.toJson()))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    Principal caller = Principal.required(ctx);
    posts.delete(postId(ctx), caller)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** A path id that is not a positive number names nothing: 404, like an id that does not exist. */
  static long postId(RoutingContext ctx) {
    return PathIds.parse(ctx.pathParam("postId"), "No such post.");
  }
}
