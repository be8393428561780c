package parley.follow;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.http.Fields;
import parley.http.Page;
import parley.post.Post;
import parley.vote.Votes;

import java.util.List;

/** Following people over REST: follow, unfollow, whether one follows, and the feed of those one follows. */
public final class FollowRoutes {

  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;

  private final Follows follows;
  private final Votes votes;

  public FollowRoutes(Follows follows, Votes votes) {
    this.follows = follows;
    this.votes = votes;
  }

  public void mount(Router router) {
    router.get("/api/users/:username/follow").handler(this::following);
    router.put("/api/users/:username/follow").handler(ctx -> follow(ctx, true));
    router.delete("/api/users/:username/follow").handler(ctx -> follow(ctx, false));
    router.get("/api/feed/following").handler(this::feed);
  }

  private void following(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    String username = ctx.pathParam("username");
    follows.following(me.id(), username)
        .onSuccess(following -> ctx.json(new JsonObject().put("username", username).put("following", following)))
        .onFailure(ctx::fail);
  }

  private void follow(RoutingContext ctx, boolean follow) {
    Principal me = Principal.active(ctx);
    Fields.none(ctx);
    String username = ctx.pathParam("username");
    follows.follow(me.id(), username, follow)
        .onSuccess(name -> ctx.json(new JsonObject().put("username", name).put("following", follow)))
        .onFailure(ctx::fail);
  }

  /** The posts of the people the caller follows, newest first, as list items (with the caller's votes). */
  private void feed(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Page page = Page.of(ctx, DEFAULT_PAGE, MAX_PAGE);
    follows.feed(me.id(), page)
        .map(rows -> page.respond(rows, Post::id, Post::toListItemJson))
        .compose(list -> votes.withMine(Votes.Kind.POST, me,
            list.getJsonArray("items").stream().map(JsonObject.class::cast).toList()).map(list))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
