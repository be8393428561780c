package parley.atom;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.http.Problem;
import parley.post.Posts;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;

/**
 * Atom feeds for feed readers: {@code /feed.atom}, the newest listed posts, and {@code /tags/{tag}/feed.atom}, the
 * newest of one tag. A feed reader is signed out, so both carry only what anyone signed out may see.
 */
public final class AtomRoutes {

  /** How many posts a feed carries. */
  static final int ENTRIES = 20;

  private final Posts posts;
  private final Optional<String> publicUrl;

  /** Feeds whose absolute URLs start with {@code publicUrl} when it is set, else with the request's own origin. */
  public AtomRoutes(Posts posts, Optional<String> publicUrl) {
    this.posts = posts;
    this.publicUrl = publicUrl;
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
        ? new AtomFeed(base(ctx), "/feed.atom", "/", "Parley")
        : new AtomFeed(base(ctx), "/tags/" + tag + "/feed.atom", "/?tag=" + tag, "Parley: #" + tag);
    posts.newest(ENTRIES, tag)
        .onSuccess(list -> ctx.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, AtomFeed.CONTENT_TYPE)
            // Readers poll; a minute's staleness is fine, and a hidden post leaves within it.
            .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=60")
            .end(feed.render(list)))
        .onFailure(ctx::fail);
  }

  /** The configured public URL, else the request's origin: absolute URLs, as Atom ids must be. */
  private String base(RoutingContext ctx) {
    return publicUrl.orElseGet(() -> origin(ctx));
  }

  /**
   * Scheme, host and port of the request, for a server with no {@code PARLEY_PUBLIC_URL}. Behind a proxy that
   * terminates TLS this says http; a client may name any host, so the feed it gets names it too.
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
