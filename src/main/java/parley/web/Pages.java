package parley.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import parley.access.Visibility;
import parley.http.PathIds;
import parley.http.ProblemType;
import parley.post.Post;
import parley.post.Posts;

import java.util.Arrays;

/**
 * The web app's pages that the server fills in or picks: clean URLs for the static pages, a post page that carries
 * its title and description for link previews (OpenGraph) before any script runs, the short permalink of a comment
 * ({@code /c/{id}}), the favicon, and an HTML 404 page for browsers (the API keeps answering problem+json).
 */
public final class Pages {

  /** Where a post's meta tags go in post.html. */
  private static final String META_MARKER = "<!-- page meta -->";
  private static final String DEFAULT_TITLE = "<title>Parley: post</title>";
  private static final String COMMENT_POST = """
      SELECT c.post_id FROM comments c JOIN posts p ON p.id = c.post_id
       WHERE c.id = $1 AND\s""" + Visibility.listed("p") + " AND " + Visibility.inThreadFor("c", "0", "false");

  /** Whether a profile's user exists (usernames are unique ignoring case). */
  private static final String USER_EXISTS = "SELECT 1 FROM users WHERE lower(username) = lower($1)";
  /** A username as accounts are made with (V1's check): anything else names nobody, without asking the database. */
  private static final java.util.regex.Pattern USERNAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{3,30}");

  /** The files the pages are made from, read once per node. */
  public record Templates(String postPage, Buffer userPage, Buffer notFoundPage, Buffer favicon) {

    /** Reads them off the event loop. */
    public static Future<Templates> load(Vertx vertx) {
      return Future.all(vertx.fileSystem().readFile("webroot/post.html"), vertx.fileSystem().readFile("webroot/user.html"),
              vertx.fileSystem().readFile("webroot/404.html"), vertx.fileSystem().readFile("webroot/favicon.svg"))
          .map(files -> new Templates(files.<Buffer>resultAt(0).toString(), files.resultAt(1), files.resultAt(2),
              files.resultAt(3)));
    }
  }

  private final Pool pool;
  private final Posts posts;
  private final String postPage;
  private final Buffer userPage;
  private final Buffer notFoundPage;
  private final Buffer favicon;

  public Pages(Templates templates, Pool pool, Posts posts) {
    this.pool = pool;
    this.posts = posts;
    this.postPage = templates.postPage();
    this.userPage = templates.userPage();
    this.notFoundPage = templates.notFoundPage();
    this.favicon = templates.favicon();
  }

  /** The pages before the static files (clean URLs, the post page, permalinks, the favicon). */
  public void mount(Router router) {
    router.get("/posts/:postId").handler(this::postPage);
    router.get("/c/:commentId").handler(this::commentLink);
    router.get("/u/:username").handler(this::userPage);
    router.get("/login").handler(ctx -> ctx.reroute("/login.html"));
    router.get("/reset").handler(ctx -> ctx.reroute("/reset.html"));
    router.get("/mod").handler(ctx -> ctx.reroute("/mod.html"));
    router.get("/notifications").handler(ctx -> ctx.reroute("/notifications.html"));
    router.get("/settings").handler(ctx -> ctx.reroute("/settings.html"));
    router.get("/search").handler(ctx -> ctx.reroute("/search.html"));
    // Problem types (the "type" of every problem+json answer) lead to their section of one page.
    router.get("/problems").handler(ctx -> ctx.reroute("/problems.html"));
    router.get("/problems/:code").handler(this::problemType);
    router.get("/favicon.ico").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "image/svg+xml").putHeader(HttpHeaders.CACHE_CONTROL, "max-age=86400")
        .end(favicon));
  }

  private void problemType(RoutingContext ctx) {
    String code = ctx.pathParam("code");
    if (Arrays.stream(ProblemType.values()).noneMatch(type -> type.code().equals(code))) {
      ctx.next();
      return;
    }
    ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, "/problems#" + code)
        .putHeader(HttpHeaders.CACHE_CONTROL, "max-age=86400").end();
  }

  /** After the static files: a browser asking for a page that is not there gets a page that says so. */
  public void mountNotFound(Router router) {
    router.getWithRegex("^/(?!api(/|$)|eventbus(/|$)).*").handler(ctx -> notFound(ctx, ctx::next));
  }

  /**
   * Just before the static files: a file's name with a slash after it, however written ({@code /js/mod.js/}, the
   * slash as {@code %2F} or {@code %5C}, a dot segment after it), is no file. The static handler decodes the path
   * before it looks, and served the file again, typed application/octet-stream (a review found the encoded forms past
   * a first check of the path as sent).
   */
  public void mountNoFileBehindASlash(Router router) {
    router.getWithRegex("^/(?!api(/|$)|eventbus(/|$)).+").handler(ctx -> {
      if (endsAsADirectory(ctx.normalizedPath())) notFound(ctx, () -> ctx.fail(404));
      else ctx.next();
    });
  }

  /** Whether a path, decoded as the static handler decodes it, names a directory: it ends in a slash or a dot. */
  static boolean endsAsADirectory(String path) {
    String decoded;
    try {
      decoded = java.net.URLDecoder.decode(path.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false;  // a broken escape, refused further on as on every path
    }
    decoded = decoded.replace('\\', '/');
    return decoded.length() > 1 && (decoded.endsWith("/") || decoded.endsWith("/.") || decoded.endsWith("/.."));
  }

  /** The 404 page to a browser; {@code otherwise} for any other client (the problem+json 404 of every path). */
  private void notFound(RoutingContext ctx, Runnable otherwise) {
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    if (accept == null || !accept.contains("text/html")) {
      otherwise.run();
      return;
    }
    ctx.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").end(notFoundPage);
  }

  /**
   * post.html with the post's title and description in the head, when anyone may read it. A post nobody may read
   * without signing in (hidden, pending, deleted, never there) gets the plain page with a 404, so that a crawler or a
   * link checker is told, while the page's script still shows it to its author and the moderators; a database that
   * does not answer, the plain page with a 503. (A client that does not ask for HTML gets those two as problems, as
   * from any other path: {@link #page}.)
   */
  private void postPage(RoutingContext ctx) {
    long postId;
    try {
      postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    } catch (RuntimeException e) {
      sendPost(ctx, 404, null);
      return;
    }
    posts.find(postId, 0).onComplete(ar -> {
      Post post = ar.succeeded() ? ar.result().map(Posts.Read::post).orElse(null) : null;
      boolean open = post != null && Visibility.readable(null, post.authorId(), post.restricted());
      sendPost(ctx, ar.failed() ? 503 : open ? 200 : 404, open ? post : null);
    });
  }

  /** user.html, with a 404 when there is no such user (the page's script says so), a 503 when nobody can tell. */
  private void userPage(RoutingContext ctx) {
    String username = ctx.pathParam("username");
    Future<Boolean> exists = USERNAME.matcher(username).matches()
        ? pool.preparedQuery(USER_EXISTS).execute(Tuple.of(username)).map(rows -> rows.size() > 0)
        : Future.succeededFuture(false);
    exists.onComplete(ar -> page(ctx, ar.failed() ? 503 : ar.result() ? 200 : 404, userPage));
  }

  /**
   * A page with its status; a 404 or 503 only to a client that asks for HTML (a browser, a crawler), as the 404 page
   * is: any other gets the problem+json every other refusal is.
   */
  private static void page(RoutingContext ctx, int status, Buffer html) {
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    if (status != 200 && (accept == null || !accept.contains("text/html"))) {
      ctx.fail(status == 404 ? parley.http.Problem.notFound("There is nothing here.")
          : parley.http.Problem.unavailable("The database is unavailable.", 2));
      return;
    }
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").end(html);
  }

  private void sendPost(RoutingContext ctx, int status, Post post) {
    String page = postPage;
    if (post != null) {
      String title = escape(post.title());
      // The author's own summary where they wrote one (what the feed shows), else the body's first words.
      String description = escape(post.description() == null || post.description().isBlank() ? post.excerpt()
          : post.description());
      page = page.replace(DEFAULT_TITLE, "<title>" + title + " · Parley</title>").replace(META_MARKER,
          "<meta name=\"description\" content=\"" + description + "\">\n"
              + "  <meta property=\"og:type\" content=\"article\">\n"
              + "  <meta property=\"og:site_name\" content=\"Parley\">\n"
              + "  <meta property=\"og:title\" content=\"" + title + "\">\n"
              + "  <meta property=\"og:description\" content=\"" + description + "\">\n"
              + "  <meta name=\"twitter:card\" content=\"summary\">");
    }
    page(ctx, status, Buffer.buffer(page));
  }

  /** /c/{id}: the comment in its thread, or the 404 page when there is no such comment for anyone to see. */
  private void commentLink(RoutingContext ctx) {
    long commentId;
    try {
      commentId = PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
    } catch (RuntimeException e) {
      notFound(ctx);
      return;
    }
    pool.preparedQuery(COMMENT_POST).execute(Tuple.of(commentId)).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().size() == 0) {
        notFound(ctx);
      } else {
        long postId = ar.result().iterator().next().getLong("post_id");
        ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, "/posts/" + postId + "#comment-" + commentId)
            .end();
      }
    });
  }

  /** The 404 page to a client that asks for HTML, the problem+json 404 to any other (as {@link #page} does). */
  private void notFound(RoutingContext ctx) {
    page(ctx, 404, notFoundPage);
  }

  static String escape(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;").replace("'", "&#39;");
  }
}
