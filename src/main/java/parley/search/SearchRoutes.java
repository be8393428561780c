package parley.search;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.http.Page;
import parley.http.Slots;

/** {@code GET /api/search}: posts, comments or people, for anyone, as the reader may see them in a list. */
public final class SearchRoutes {

  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 50;

  private final Search search;
  private final Slots slots;

  /** Searches through {@code search}, at most as many at once as {@code slots} (the node's) allows. */
  public SearchRoutes(Search search, Slots slots) {
    this.search = search;
    this.slots = slots;
  }

  public void mount(Router router) {
    router.get("/api/search").handler(this::search);
  }

  private void search(RoutingContext ctx) {
    SearchQuery query = SearchQuery.from(ctx);
    // A cursor carries a digest of its search: one from another q or type is refused, not read as this one's.
    Page page = query.unbind(Page.sorted(ctx, DEFAULT_PAGE, MAX_PAGE));
    long reader = Principal.current(ctx).map(Principal::id).orElse(0L);
    slots.run(() -> switch (query.type()) {
      case POSTS -> search.posts(query, page, reader)
          .map(ranked -> ranked.respond(page, hit -> query.bind(hit.key()), Search.PostHit::id, Search.PostHit::toJson));
      case COMMENTS -> search.comments(query, page, reader)
          .map(ranked -> ranked.respond(page, hit -> query.bind(hit.key()), Search.CommentHit::id,
              Search.CommentHit::toJson));
      case USERS -> search.users(query, page, reader)
          .map(hits -> page.respond(hits, hit -> query.bind(hit.key()), Search.UserHit::id, Search.UserHit::toJson));
    })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
