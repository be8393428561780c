package parley.vote;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.config.AppConfig;
import parley.http.Fields;
import parley.http.PathIds;
import parley.http.Problem;
import parley.http.RateLimiter;

/**
 * PUT and DELETE /api/posts/{id}/vote and /api/comments/{id}/vote: signed in, not banned, rate limited. Answers the
 * item's counts and the caller's vote; everyone else hears the new score through {@link ScoreBoard}.
 */
public final class VoteRoutes {

  private final Votes votes;
  private final ScoreBoard scores;
  private final RateLimiter limits;

  public VoteRoutes(Votes votes, ScoreBoard scores, RateLimiter limits) {
    this.votes = votes;
    this.scores = scores;
    this.limits = limits;
  }

  public void mount(Router router) {
    router.put("/api/posts/:postId/vote").handler(ctx -> vote(ctx, Votes.Kind.POST));
    router.delete("/api/posts/:postId/vote").handler(ctx -> withdraw(ctx, Votes.Kind.POST));
    router.put("/api/comments/:commentId/vote").handler(ctx -> vote(ctx, Votes.Kind.COMMENT));
    router.delete("/api/comments/:commentId/vote").handler(ctx -> withdraw(ctx, Votes.Kind.COMMENT));
  }

  private static long id(RoutingContext ctx, Votes.Kind kind) {
    return kind == Votes.Kind.POST ? PathIds.parse(ctx.pathParam("postId"), "No such post.")
        : PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
  }

  private void vote(RoutingContext ctx, Votes.Kind kind) {
    Principal voter = Principal.active(ctx);
    long id = id(ctx, kind);
    Fields fields = Fields.of(ctx).only("value");
    boolean sent = fields.has("value");
    Long value = fields.optionalWholeNumber("value");
    if (!sent || fields.isNull("value")) {
      fields.error("value", "is required");
    } else if (value != null && value != 1 && value != -1) {
      fields.error("value", votes.downvotesAllowed() ? "must be 1 or -1" : "must be 1");
    }
    fields.check();
    limits.take(AppConfig.LIMIT_VOTES, "user:" + voter.id())
        .compose(v -> votes.vote(kind, id, voter, value.intValue()))
        .onSuccess(tally -> {
          scores.changed(tally, voter.id());
          ctx.json(tally.toJson());
        })
        .onFailure(ctx::fail);
  }

  private void withdraw(RoutingContext ctx, Votes.Kind kind) {
    Principal voter = Principal.active(ctx);
    long id = id(ctx, kind);
    limits.take(AppConfig.LIMIT_VOTES, "user:" + voter.id())
        .compose(v -> votes.withdraw(kind, id, voter))
        .onSuccess(tally -> {
          scores.changed(tally, voter.id());
          ctx.json(tally.toJson());
        })
        .onFailure(ctx::fail);
  }
}
