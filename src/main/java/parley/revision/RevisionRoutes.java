package parley.revision;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.access.Visibility;
import parley.comment.Comments;
import parley.http.Page;
import parley.http.PathIds;
import parley.http.Problem;
import parley.post.Posts;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /api/posts/{id}/revisions} and {@code GET /api/comments/{id}/revisions}: what each edit replaced, newest
 * first, for the author and moderators (a moderator deciding on a report sees what was reported, even if it was
 * edited since). Anyone else who can read the content gets 403; content they cannot read is 404, as everywhere.
 */
public final class RevisionRoutes {

  static final int DEFAULT_PAGE = 20;
  static final int MAX_PAGE = 100;

  private final Revisions revisions;
  private final Posts posts;
  private final Comments comments;

  public RevisionRoutes(Revisions revisions, Posts posts, Comments comments) {
    this.revisions = revisions;
    this.posts = posts;
    this.comments = comments;
  }

  public void mount(Router router) {
    router.get("/api/posts/:postId/revisions").handler(this::ofPost);
    router.get("/api/comments/:commentId/revisions").handler(this::ofComment);
  }

  private void ofPost(RoutingContext ctx) {
    Principal reader = Principal.required(ctx);
    long id = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    Page page = Page.of(ctx, DEFAULT_PAGE, MAX_PAGE);
    respond(ctx, reader, "post", posts.find(id, reader.id())
        .map(found -> found.map(Posts.Read::post).map(p -> new Item(p.authorId(), p.restricted()))),
        () -> revisions.ofPost(id, page));
  }

  private void ofComment(RoutingContext ctx) {
    Principal reader = Principal.required(ctx);
    long id = PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
    Page page = Page.of(ctx, DEFAULT_PAGE, MAX_PAGE);
    respond(ctx, reader, "comment", comments.find(id, reader)
        .map(found -> found.map(Comments.Seen::comment).map(c -> new Item(c.authorId(), c.hidden() || c.pending()))),
        () -> revisions.ofComment(id, page));
  }

  /** Whose the post or comment is, and whether it is hidden or pending. */
  private record Item(long authorId, boolean restricted) {
  }

  /** The versions, for the item's author and moderators; 404 for what the reader cannot read, 403 for the rest. */
  private static void respond(RoutingContext ctx, Principal reader, String kind, Future<Optional<Item>> found,
      Supplier<Future<JsonObject>> versions) {
    found.map(item -> {
          Item readable = item.filter(i -> Visibility.readable(reader, i.authorId(), i.restricted()))
              .orElseThrow(() -> Problem.notFound("No such " + kind + "."));
          if (!Visibility.seesHidden(reader, readable.authorId())) {
            throw Problem.forbidden("Only the " + kind + "'s author and moderators may read its earlier versions.");
          }
          return readable;
        })
        .compose(item -> versions.get())
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
