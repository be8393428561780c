package parley.comment;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.events.EventLog;
import parley.http.Fields;
import parley.http.Page;
import parley.http.PathIds;
import parley.http.Principal;
import parley.http.Problem;

/** Threaded comments on posts: read a thread, comment or reply, edit and delete your own. */
public final class CommentRoutes {

  private static final int DEFAULT_PAGE = 50;
  private static final int MAX_PAGE = 200;

  private final CommentRepository comments;

  public CommentRoutes(EventLog events) {
    this.comments = new CommentRepository(events);
  }

  public void mount(Router router) {
    router.get("/api/posts/:postId/comments").handler(this::list);
    router.post("/api/posts/:postId/comments").handler(this::create);
    router.get("/api/comments/:commentId").handler(this::read);
    router.patch("/api/comments/:commentId").handler(this::edit);
    router.delete("/api/comments/:commentId").handler(this::delete);
  }

  private void list(RoutingContext ctx) {
    long postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    Page page = Page.of(ctx, DEFAULT_PAGE, MAX_PAGE);
    comments.list(postId, page)
        .map(rows -> rows.orElseThrow(() -> Problem.notFound("No such post.")))
        .onSuccess(thread -> ctx.json(page.respond(thread.comments(), Comment::id, Comment::toJson)
            .put("seq", thread.seq())))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    Principal author = Principal.required(ctx);
    long postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    CommentInput input = CommentInput.forCreate(Fields.of(ctx));
    comments.insert(postId, author.id(), input)
        .onSuccess(comment -> ctx.response().setStatusCode(201)
            .putHeader(HttpHeaders.LOCATION, "/api/comments/" + comment.id())
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(comment.toJson().encode()))
        .onFailure(ctx::fail);
  }

  private void read(RoutingContext ctx) {
    comments.find(commentId(ctx))
        .map(comment -> comment.orElseThrow(() -> Problem.notFound("No such comment.")))
        .onSuccess(comment -> ctx.json(comment.toJson()))
        .onFailure(ctx::fail);
  }

  private void edit(RoutingContext ctx) {
    Principal caller = Principal.required(ctx);
    long id = commentId(ctx);
    CommentInput input = CommentInput.forEdit(Fields.of(ctx));
    comments.update(id, caller, input)
        .onSuccess(comment -> ctx.json(comment.toJson()))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    Principal caller = Principal.required(ctx);
    comments.delete(commentId(ctx), caller)
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private static long commentId(RoutingContext ctx) {
    return PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
  }
}
