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
   * Scheme, host and port of the request, for a server with no {@code PARLEY_PUBLIC_URL}: its scheme and its Host.
   * Behind a proxy that terminates TLS this says http; a client may name any host, so the feed it gets names it too.
   * Not Vert.x's absoluteURI, which for a target in absolute form ("GET http://a.example/feed.atom") gave
   * "http://other.examplehttp/feed.atom" (a probe): such a target must name Host's own host and port, or it is a 400.
   */
  static String origin(RoutingContext ctx) {
    String host = ctx.request().getHeader(HttpHeaders.HOST);
    String target = ctx.request().uri();
    try {
      if (host != null && !target.startsWith("/")) {
        String named = new URI(target).getRawAuthority();
        if (named == null || !named.equalsIgnoreCase(host)) host = null;
      }
      if (host != null) {
        String scheme = ctx.request().scheme();
        URI uri = new URI(scheme + "://" + host);
        boolean bare = uri.getHost() != null && !uri.getHost().isEmpty() && uri.getRawUserInfo() == null
            && uri.getRawPath().isEmpty() && uri.getRawQuery() == null && uri.getRawFragment() == null;
        if (("http".equals(scheme) || "https".equals(scheme)) && bare) {
          // An empty port ("Host: forum.example:") is the scheme's own (RFC 3986, 3.2.3).
          return scheme + "://" + uri.getHost() + (uri.getPort() <= 0 ? "" : ":" + uri.getPort());
        }
      }
    } catch (URISyntaxException | RuntimeException e) {
      // no usable host: the 400 below
    }
    throw Problem.badRequest("The request names no host, or its Host header and its target name different ones.");
  }
}
