package parley.atom;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.http.Problem;
import parley.post.Posts;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Atom feeds for feed readers: {@code /feed.atom}, the newest listed posts, and {@code /tags/{tag}/feed.atom}, the
 * newest of one tag. A feed reader is signed out, so both carry only what anyone signed out may see.
 */
public final class AtomRoutes {

  /** How many posts a feed carries. */
  static final int ENTRIES = 20;

  private final Posts posts;

  public AtomRoutes(Posts posts) {
    this.posts = posts;
  }

  public void mount(Router router) {
    router.get("/feed.atom").handler(ctx -> feed(ctx, null));
    router.get("/tags/:tag/feed.atom").handler(ctx -> {
      String tag = ctx.pathParam("tag");
      if (!Posts.isTag(tag)) throw Problem.notFound("No such tag.");
      feed(ctx, tag);
    });
  }

  private void feed(RoutingContext ctx, String tag) {
    AtomFeed feed = tag == null
        ? new AtomFeed(origin(ctx), "/feed.atom", "/", "Parley")
        : new AtomFeed(origin(ctx), "/tags/" + tag + "/feed.atom", "/?tag=" + tag, "Parley: #" + tag);
    posts.newest(ENTRIES, tag)
        .onSuccess(list -> ctx.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, AtomFeed.CONTENT_TYPE)
            // Readers poll; a minute's staleness is fine, and a hidden post leaves within it.
            .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=60")
            .end(feed.render(list)))
        .onFailure(ctx::fail);
  }

  /**
   * Scheme, host and port of the request (AppConfig has no public base URL): absolute URLs, as Atom ids must be.
   * Behind a proxy that terminates TLS this says http.
   */
  static String origin(RoutingContext ctx) {
    try {
      URI uri = new URI(ctx.request().absoluteURI());
      String scheme = uri.getScheme();
      String host = uri.getHost();
      if (("http".equals(scheme) || "https".equals(scheme)) && host != null && !host.isEmpty()) {
        return scheme + "://" + host + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
      }
    } catch (URISyntaxException | RuntimeException e) {
      // no usable Host: the 400 below
    }
    throw Problem.badRequest("The Host header does not name a host.");
  }
}
