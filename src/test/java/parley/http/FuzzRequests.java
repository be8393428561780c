package parley.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import parley.TestParley;
import parley.TestTokens;
import parley.http.RawExchange.Framing;
import parley.http.RawExchange.Header;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates requests for every route of the server from one random source per try: the route's own method or
 * another, path parameters that name seeded things or nothing at all (unknown, zero, negative, huge, letters,
 * broken and overlong percent-escapes, invalid UTF-8, raw bytes, dot segments), query parameters, an Authorization
 * header from valid to forged, a Content-Type, and a body from valid-looking JSON for the route to deep nesting,
 * huge numbers, lone surrogates, invalid UTF-8 and garbage.
 *
 * <p>About half the requests are tame: well-formed HTTP that a real client could send, with valid or plausible but
 * wrong values (an unknown id, another user's post, a forged token, a field of the wrong type), so they reach the
 * handlers' own checks and many succeed and change things. The other half are wild: any part may be malformed.
 */
final class FuzzRequests {

  /**
   * What the seeded database holds: posts and comments (each with its author's username), reports, accounts, a
   * valid token per account, and the password they all share.
   */
  record World(String host, Map<Long, String> postAuthors, Map<Long, String> commentAuthors, List<Long> reports,
      Map<String, Long> userIds, Map<String, String> tokens, String password) {

    List<Long> posts() {
      return List.copyOf(postAuthors.keySet());
    }

    List<Long> comments() {
      return List.copyOf(commentAuthors.keySet());
    }
  }

  /** The shape of body a route reads. */
  enum Body { NONE, REGISTER, LOGIN, PASSWORD, CONFIRM, RESET, RESET_ACCOUNT, PREVIEW, POST, POST_EDIT, COMMENT, COMMENT_EDIT, REPORT, RESOLVE,
    REASON, BAN, ROLE, FILTER, NOTE, VOTE, TAGS, WEBHOOK, REPLAY, SKIP, SETTINGS, READ, CLAIM }

  /** A route as mounted: the method, the path with {post}, {comment}, {report} or {user} parameters, its body. */
  record Route(String method, String template, Body body) {
    @Override
    public String toString() {
      return method + " " + template;
    }
  }

  /** Every route of the server but the WebSocket bridge under /eventbus, plus paths that name nothing. */
  static final List<Route> ROUTES = List.of(
      new Route("GET", "/health", Body.NONE),
      new Route("GET", "/health/live", Body.NONE),
      new Route("GET", "/health/ready", Body.NONE),
      new Route("POST", "/api/auth/register", Body.REGISTER),
      new Route("POST", "/api/auth/login", Body.LOGIN),
      new Route("POST", "/api/auth/logout-all", Body.NONE),
      new Route("GET", "/api/me", Body.NONE),
      new Route("PUT", "/api/me/password", Body.PASSWORD),
      new Route("POST", "/api/me/delete", Body.CONFIRM),
      new Route("GET", "/api/me/export", Body.NONE),
      new Route("POST", "/api/auth/reset", Body.RESET),
      new Route("POST", "/api/auth/reset/account", Body.RESET_ACCOUNT),
      new Route("GET", "/api/users/{user}", Body.NONE),
      new Route("GET", "/api/users/{user}/posts", Body.NONE),
      new Route("GET", "/api/users/{user}/comments", Body.NONE),
      new Route("POST", "/api/markdown/preview", Body.PREVIEW),
      new Route("GET", "/api/posts", Body.NONE),
      new Route("POST", "/api/posts", Body.POST),
      new Route("GET", "/api/posts/{post}", Body.NONE),
      new Route("PATCH", "/api/posts/{post}", Body.POST_EDIT),
      new Route("DELETE", "/api/posts/{post}", Body.NONE),
      new Route("GET", "/api/posts/{post}/comments", Body.NONE),
      new Route("POST", "/api/posts/{post}/comments", Body.COMMENT),
      new Route("GET", "/api/posts/{post}/events", Body.NONE),
      new Route("GET", "/api/comments/{comment}", Body.NONE),
      new Route("PATCH", "/api/comments/{comment}", Body.COMMENT_EDIT),
      new Route("DELETE", "/api/comments/{comment}", Body.NONE),
      new Route("GET", "/api/posts/{post}/revisions", Body.NONE),
      new Route("GET", "/api/comments/{comment}/revisions", Body.NONE),
      new Route("POST", "/api/reports", Body.REPORT),
      new Route("GET", "/api/me/reports", Body.NONE),
      new Route("PUT", "/api/me/blocks/{user}", Body.NONE),
      new Route("DELETE", "/api/me/blocks/{user}", Body.NONE),
      new Route("GET", "/api/me/blocks", Body.NONE),
      new Route("GET", "/api/mod/queue", Body.NONE),
      new Route("POST", "/api/mod/reports/{report}/resolve", Body.RESOLVE),
      new Route("GET", "/api/mod/posts/{post}/moderation", Body.NONE),
      new Route("GET", "/api/mod/claims", Body.NONE),
      new Route("PUT", "/api/mod/posts/{post}/claim", Body.CLAIM),
      new Route("PUT", "/api/mod/comments/{comment}/claim", Body.CLAIM),
      new Route("DELETE", "/api/mod/posts/{post}/claim", Body.NONE),
      new Route("DELETE", "/api/mod/comments/{comment}/claim", Body.NONE),
      new Route("POST", "/api/mod/posts/{post}/hide", Body.REASON),
      new Route("POST", "/api/mod/posts/{post}/restore", Body.REASON),
      new Route("POST", "/api/mod/comments/{comment}/hide", Body.REASON),
      new Route("POST", "/api/mod/comments/{comment}/restore", Body.REASON),
      new Route("POST", "/api/mod/posts/{post}/lock", Body.REASON),
      new Route("POST", "/api/mod/posts/{post}/unlock", Body.REASON),
      new Route("POST", "/api/mod/users/{user}/ban", Body.BAN),
      new Route("DELETE", "/api/mod/users/{user}/ban", Body.NONE),
      new Route("PUT", "/api/admin/users/{user}/role", Body.ROLE),
      new Route("POST", "/api/admin/users/{user}/password-reset", Body.NONE),
      new Route("POST", "/api/admin/users/{user}/delete", Body.REASON),
      new Route("POST", "/api/admin/users/{user}/export", Body.REASON),
      new Route("GET", "/api/mod/log", Body.NONE),
      new Route("POST", "/api/mod/posts/{post}/approve", Body.NONE),
      new Route("POST", "/api/mod/posts/{post}/reject", Body.REASON),
      new Route("POST", "/api/mod/comments/{comment}/approve", Body.NONE),
      new Route("POST", "/api/mod/comments/{comment}/reject", Body.REASON),
      new Route("GET", "/api/mod/pending", Body.NONE),
      new Route("GET", "/api/mod/recent", Body.NONE),
      new Route("GET", "/api/mod/filters", Body.NONE),
      new Route("POST", "/api/mod/filters", Body.FILTER),
      new Route("DELETE", "/api/mod/filters/{filter}", Body.NONE),
      new Route("GET", "/api/mod/users/{user}", Body.NONE),
      new Route("POST", "/api/mod/users/{user}/notes", Body.NOTE),
      new Route("GET", "/api/me/notifications", Body.NONE),
      new Route("GET", "/api/me/notifications/unread", Body.NONE),
      new Route("GET", "/api/posts/{post}/follow", Body.NONE),
      new Route("PUT", "/api/posts/{post}/follow", Body.NONE),
      new Route("DELETE", "/api/posts/{post}/follow", Body.NONE),
      new Route("GET", "/api/me/notification-settings", Body.NONE),
      new Route("PUT", "/api/me/notification-settings", Body.SETTINGS),
      new Route("POST", "/api/me/notifications/read", Body.READ),
      new Route("PUT", "/api/posts/{post}/vote", Body.VOTE),
      new Route("DELETE", "/api/posts/{post}/vote", Body.NONE),
      new Route("PUT", "/api/comments/{comment}/vote", Body.VOTE),
      new Route("DELETE", "/api/comments/{comment}/vote", Body.NONE),
      new Route("PUT", "/api/posts/{post}/tags", Body.TAGS),
      new Route("GET", "/api/tags", Body.NONE),
      new Route("GET", "/api/search", Body.NONE),
      new Route("GET", "/api/admin/webhooks", Body.NONE),
      new Route("POST", "/api/admin/webhooks", Body.WEBHOOK),
      new Route("GET", "/api/admin/webhooks/{webhook}", Body.NONE),
      new Route("DELETE", "/api/admin/webhooks/{webhook}", Body.NONE),
      new Route("POST", "/api/admin/webhooks/{webhook}/resume", Body.NONE),
      new Route("POST", "/api/admin/webhooks/{webhook}/replay", Body.REPLAY),
      new Route("POST", "/api/admin/webhooks/{webhook}/skip", Body.SKIP),
      new Route("GET", "/api/admin/webhooks/{webhook}/deliveries", Body.NONE),
      new Route("POST", "/api/admin/webhooks/{webhook}/deliveries/{delivery}/redeliver", Body.NONE),
      new Route("GET", "/api/users/{user}/follow", Body.NONE),
      new Route("PUT", "/api/users/{user}/follow", Body.NONE),
      new Route("DELETE", "/api/users/{user}/follow", Body.NONE),
      new Route("GET", "/api/feed/following", Body.NONE),
      new Route("PATCH", "/api/me", Body.REGISTER),
      // The RealWorld surface (its bodies are wrapped, {"article": {...}}, so Parley's shapes mostly meet its 422s).
      new Route("POST", "/realworld/api/users", Body.REGISTER),
      new Route("POST", "/realworld/api/users/login", Body.LOGIN),
      new Route("GET", "/realworld/api/user", Body.NONE),
      new Route("PUT", "/realworld/api/user", Body.REGISTER),
      new Route("GET", "/realworld/api/profiles/{user}", Body.NONE),
      new Route("POST", "/realworld/api/profiles/{user}/follow", Body.NONE),
      new Route("DELETE", "/realworld/api/profiles/{user}/follow", Body.NONE),
      new Route("GET", "/realworld/api/articles", Body.NONE),
      new Route("GET", "/realworld/api/articles/feed", Body.NONE),
      new Route("POST", "/realworld/api/articles", Body.POST),
      new Route("GET", "/realworld/api/articles/a-{post}", Body.NONE),
      new Route("PUT", "/realworld/api/articles/a-{post}", Body.POST_EDIT),
      new Route("DELETE", "/realworld/api/articles/a-{post}", Body.NONE),
      new Route("POST", "/realworld/api/articles/a-{post}/favorite", Body.NONE),
      new Route("DELETE", "/realworld/api/articles/a-{post}/favorite", Body.NONE),
      new Route("GET", "/realworld/api/articles/a-{post}/comments", Body.NONE),
      new Route("POST", "/realworld/api/articles/a-{post}/comments", Body.COMMENT),
      new Route("DELETE", "/realworld/api/articles/a-{post}/comments/{comment}", Body.NONE),
      new Route("GET", "/realworld/api/tags", Body.NONE),
      // The web app: clean URLs, static files, and paths that are neither.
      new Route("GET", "/posts/{post}", Body.NONE),
      new Route("GET", "/u/{user}", Body.NONE),
      new Route("GET", "/login", Body.NONE),
      new Route("GET", "/mod", Body.NONE),
      new Route("GET", "/search", Body.NONE),
      new Route("GET", "/feed.atom", Body.NONE),
      new Route("GET", "/api/openapi.yaml", Body.NONE),
      new Route("GET", "/problems/{tag}", Body.NONE),
      new Route("GET", "/tags/{tag}/feed.atom", Body.NONE),
      new Route("GET", "/{file}", Body.NONE),
      new Route("GET", "/api/{file}", Body.NONE));

  /** Other methods than the route's; HEAD twice, as the one every HTTP client may send to any GET route. */
  private static final String[] METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "HEAD", "OPTIONS",
      "TRACE", "CONNECT", "BREW", "get", "PROPFIND"};
  private static final String[] REASONS = {"spam", "harassment", "hate", "misinformation", "off_topic", "other"};
  private static final String[] FILES = {"", "index.html", "post.html", "css/app.css", "js/app.js", "nope.html",
      "favicon.ico", "..", "%2e%2e/pom.xml", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fpom.xml",
      "webroot/index.html", "index.html%00.js", "a/../../pom.xml", ".%2e/.%2e/pom.xml", "%c0%ae%c0%ae/pom.xml", "api",
      "eventbusx", "health/x"};
  private static final String[] TAGS = {"rust", "show-hn", "a", "x-", "-x", "Rust", "a_b", "%20", "nothing-here",
      "a".repeat(31)};
  /** Search text: words, the websearch syntax, stop words alone, LIKE wildcards, quotes, and more than is allowed. */
  private static final String[] SEARCHES = {"post", "%22two+words%22", "post+-comment", "the", "%21%21%21", "%25",
      "_", "a%25b_c", "%27%3B+DROP+TABLE+posts%3B--", "%5C", ":*", "%C3%A9", "%F0%9F%8C%B1", "", "+", "x".repeat(201),
      "x".repeat(200)};
  private static final String[] MARKDOWN = {"Hello **world**", "<script>alert(1)</script>", "[x](javascript:alert(1))",
      "# Title\n\n- a\n- b\n\n> quote", "`code` and ```\nblock\n```", "h\u00e9llo \u2713 \ud834\udd1e",
      "![img](http://x/y.png)", "a\r\nb", " ", "x"};

  /** Markdown that stresses a renderer: deep nesting, unclosed brackets, runs of delimiters (within every limit). */
  private static final String[] HARD_MARKDOWN = {">".repeat(9_000) + "x", "*".repeat(9_000), "[".repeat(9_000),
      "- ".repeat(4_500) + "x", "`".repeat(9_000), "<".repeat(9_000), "  - a\n".repeat(1_200), "[a](".repeat(2_000),
      "![".repeat(4_500), "*a **b ".repeat(1_200), "&#".repeat(4_500) + ";", "> - ".repeat(2_200) + "x",
      "1. ".repeat(3_000) + "x", "_".repeat(9_000), "\\".repeat(2_000)};

  private final World world;
  private final List<String> usernames;

  FuzzRequests(World world) {
    this.world = world;
    this.usernames = List.copyOf(world.userIds().keySet());
  }

  /** A generated request and the route it was aimed at. */
  record Generated(Route route, RawExchange.Request request) {
  }

  Generated next(SplittableRandom r) {
    Route route = pick(r, ROUTES);
    boolean wild = r.nextBoolean();
    String method = !wild || r.nextInt(100) < 75 ? route.method() : pick(r, METHODS);
    List<Header> headers = new ArrayList<>();
    if (!wild || r.nextInt(100) < 94) headers.add(new Header("Host", world.host()));
    else if (r.nextBoolean()) headers.add(new Header("Host", pick(r, "[::1", "a b", "", "h\u00e9st", "x:99999")));
    String path = path(r, route, wild);
    String authorization = r.nextInt(100) < 35 && fittingToken(route, path) != null
        ? "Bearer " + fittingToken(route, path) : authorization(r, wild);
    if (authorization != null) headers.add(new Header("Authorization", authorization));
    byte[] body = body(r, route, wild);
    String contentType = wild ? contentType(r, body != null) : body == null ? null : "application/json";
    if (contentType != null) headers.add(new Header("Content-Type", contentType));
    if (r.nextInt(100) < 20) headers.add(new Header("Idempotency-Key", idempotencyKey(r, wild)));
    if (wild && r.nextInt(100) < 25) headers.add(extraHeader(r));
    Framing framing = body == null ? null : !wild ? Framing.CONTENT_LENGTH
        : pickWeighted(r, new Framing[] {Framing.CONTENT_LENGTH, Framing.CHUNKED, Framing.BOTH, Framing.INVALID_LENGTH},
            new int[] {70, 20, 6, 4});
    return new Generated(route, new RawExchange.Request(method, path, query(r, route, wild),
        List.copyOf(headers), body, framing));
  }

  /**
   * The token of whoever may do what the route does, when there is one: the author of the post or comment in the
   * path, a moderator under /api/mod, an admin under /api/admin. Without it most writes would be refused.
   */
  private String fittingToken(Route route, String path) {
    if (route.template().startsWith("/api/mod/")) return world.tokens().get("mod_mia");
    if (route.template().startsWith("/api/admin/")) return world.tokens().get("root_admin");
    boolean onPost = route.template().startsWith("/api/posts/{post}");
    if (!onPost && !route.template().startsWith("/api/comments/")) return null;
    String[] segments = path.split("/");
    if (segments.length < 4 || !segments[3].matches("[1-9][0-9]{0,17}")) return null;
    String author = (onPost ? world.postAuthors() : world.commentAuthors()).get(Long.parseLong(segments[3]));
    return author == null ? null : world.tokens().get(author);
  }

  // ---- the request target ----

  private String path(SplittableRandom r, Route route, boolean wild) {
    String path = route.template()
        .replace("{post}", id(r, world.posts(), wild))
        .replace("{comment}", id(r, world.comments(), wild))
        .replace("{report}", id(r, world.reports(), wild))
        .replace("{filter}", id(r, List.of(1L, 2L), wild))
        .replace("{webhook}", id(r, List.of(1L, 2L), wild))
        .replace("{delivery}", id(r, List.of(1L, 2L), wild))
        .replace("{user}", username(r, wild))
        .replace("{tag}", !wild || r.nextInt(100) < 60 ? pick(r, TAGS) : junk(r))
        .replace("{file}", !wild || r.nextInt(100) < 40 ? pick(r, FILES) : junk(r));
    if (!wild) return path;
    int shape = r.nextInt(100);
    if (shape < 2) return path + "/";
    if (shape < 3) return path.replaceFirst("/", "//");
    if (shape < 6) return "http://" + world.host() + path; // absolute form
    if (shape < 7) return path + "#fragment";
    if (shape < 8) return "*";
    return path;
  }

  /** An id in a path: one that exists (maybe percent-encoded), one that names nothing, or (when wild) junk. */
  private String id(SplittableRandom r, List<Long> existing, boolean wild) {
    int kind = r.nextInt(wild ? 100 : 75);
    int valid = wild ? 30 : 55;
    if (kind < valid) return Long.toString(pick(r, existing));
    if (kind < valid + 5) return percentEncodeAll(Long.toString(pick(r, existing)));
    if (kind < 75) {
      return pick(r, "999999", "9223372036854775807", "0", "-1", "-9223372036854775808", "9223372036854775808",
          "12345678901234567890123", "0000000000000000000001", "abc", "1a", "0x1F", "1e3", "1.0", "+1", "01",
          "1_000", "%20" + existing.get(0), existing.get(0) + "%20", latin1("\u0661"), "%D9%A1");
    }
    return junk(r);
  }

  /** A username in a path: a seeded one (in another case, or encoded), one that names nobody, or (when wild) junk. */
  private String username(SplittableRandom r, boolean wild) {
    int kind = r.nextInt(wild ? 100 : 75);
    int valid = wild ? 30 : 55;
    if (kind < valid) return pick(r, usernames);
    if (kind < valid + 5) return pick(r, usernames).toUpperCase();
    if (kind < valid + 7) return percentEncodeAll(pick(r, usernames));
    if (kind < 75) {
      return pick(r, "nobody_here", "ab", "a".repeat(31), "_", "--", "%27%3B%20DROP%20TABLE%20users%3B--", "%25",
          "user%5Fulla", "USER_ULLA%00", "root_admin%2F..", "%E2%80%AEadmin");
    }
    return junk(r);
  }

  /** A path segment or query value no well-behaved client sends. */
  private static String junk(SplittableRandom r) {
    return switch (r.nextInt(12)) {
      case 0 -> pick(r, "%zz", "%9", "%", "1%", "%%", "%g0", "%0");
      case 1 -> pick(r, "%00", "a%00b", "%0A", "%0D%0A", "%7F", "%1B");
      case 2 -> pick(r, "%C3%28", "%C0%AF", "%ED%A0%80", "%FF", "%F0%9F", "%E2%82", "%C3");
      case 3 -> pick(r, "%E2%80%8B", "%D9%A1", "%F0%9F%98%80", "%C3%A9", "%EF%BB%BF", "%E2%80%AE");
      case 4 -> latin1(pick(r, "\u00e9", "\ud83d\ude00", "\u0661", "\u202e")); // raw UTF-8 bytes, not escaped
      case 5 -> pick(r, "..", "%2e%2e", ".", "%2F", "a%2Fb", "%5C", "..%2F..", ".%2E", "%2E");
      case 6 -> pick(r, "~", "%20", "+", "%2B", "'", "a;b", ";", "%7B%7D", "%3F", "%23", "$", "!", "(", "@");
      case 7 -> "9".repeat(pick(r, 20, 300, 2_000));
      case 8 -> "a".repeat(pick(r, 256, 3_000, 9_000)); // the last is past the request-line limit
      case 9 -> "";
      case 10 -> pick(r, "\t", " ", "\u0000", "\u007f", "a b", "\u00ff"); // raw, unencoded
      default -> randomAscii(r, 1 + r.nextInt(12));
    };
  }

  private String query(SplittableRandom r, Route route, boolean wild) {
    // Search reads its input from the query string: most requests to it carry one.
    boolean search = route.template().equals("/api/search") && r.nextInt(100) < 85;
    if (!search && r.nextInt(100) < 50) return null;
    int n = 1 + r.nextInt(wild ? 3 : 2);
    List<String> params = new ArrayList<>();
    if (search) params.add("q=" + (!wild || r.nextBoolean() ? pick(r, SEARCHES) : junk(r)));
    for (int i = 0; i < n; i++) params.add(wild ? queryParam(r) : tameQueryParam(r));
    return String.join(wild && r.nextInt(20) == 0 ? ";" : "&", params);
  }

  /** The parameters list routes read, with values in range, out of range, or not numbers at all. */
  private String tameQueryParam(SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0 -> "limit=" + pick(r, "1", "2", "20", "100", "200", "0", "201", "abc");
      case 1 -> "cursor=" + pick(r, cursor(pick(r, world.posts())), cursor(pick(r, world.comments())),
          cursor(pick(r, world.reports())), cursor(999999), "", "bm9wZQ",
          Page.encode(pick(r, "0.1", "1.4", "0", "NaN", "-1", "1e40", "abc"), pick(r, world.posts())),
          Page.encode(pick(r, usernames), pick(r, world.userIds().values().stream().toList())));
      case 2 -> pick(r, "status=" + pick(r, "open", "dismissed", "actioned", "closed"),
          "sort=" + pick(r, "new", "hot", "top", "active", "best", "old", "x"), "period=" + pick(r, "day", "all", "x"),
          "tag=" + pick(r, "rust", "Bad", "-x"));
      case 3 -> "q=" + pick(r, SEARCHES);
      case 4 -> "type=" + pick(r, "posts", "comments", "users", "tags", "");
      default -> "since=" + pick(r, "0", "1", "3", "-1", "abc");
    };
  }

  private String queryParam(SplittableRandom r) {
    return switch (r.nextInt(10)) {
      case 0, 1 -> "limit=" + pick(r, "1", "5", "20", "100", "200", "201", "0", "-1", "abc", "", "2147483648", "1e2",
          "%201", "5%00", "99999999999999999999");
      case 2, 3 -> "cursor=" + pick(r, cursor(pick(r, world.posts())), cursor(pick(r, world.comments())),
          cursor(0), cursor(-5), b64("after:abc"), b64("before:1"), "", "abc", "!!!", "%zz", "YWZ0ZXI6MQ==",
          "a".repeat(5_000), b64("after:" + "9".repeat(30)));
      case 4 -> "status=" + pick(r, "open", "dismissed", "actioned", "OPEN", "", "closed", "%00", "open%20");
      case 5 -> "since=" + pick(r, "0", "1", "3", "-1", "abc", "", "99999999999999999999", "1.5", "%2B1");
      case 6 -> "q=" + (r.nextBoolean() ? pick(r, SEARCHES) : junk(r));
      case 7 -> randomAscii(r, 1 + r.nextInt(6)) + "=" + randomAscii(r, r.nextInt(10));
      case 8 -> pick(r, "limit", "=", "&", "=x", "a=%zz", "%C3%28=1", "limit=5&limit=abc", "x=%00", "x=a+b",
          "x=\u00e9");
      default -> junk(r) + "=" + junk(r);
    };
  }

  // ---- Authorization ----

  private String authorization(SplittableRandom r, boolean wild) {
    int kind = r.nextInt(100);
    if (kind < (wild ? 20 : 12)) return null;
    if (kind < (wild ? 60 : 85)) {
      String token = pick(r, new ArrayList<>(world.tokens().values()));
      return wild && r.nextInt(5) == 0 ? pick(r, "bearer ", "BEARER ", "Bearer  ") + token : "Bearer " + token;
    }
    long someone = pick(r, new ArrayList<>(world.userIds().values()));
    long now = TestTokens.now();
    JsonObject claims = TestTokens.claims(someone);
    String token = switch (r.nextInt(18)) {
      case 0 -> TestTokens.expiringAt(someone, now - 10);
      case 1 -> TestTokens.b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + TestTokens.b64(claims.encode()) + ".";
      case 2 -> TestTokens.sign(TestTokens.HEADER.encode(), claims.encode(),
          "another-secret-that-is-long-enough-0123456789");
      case 3 -> TestTokens.hs256(claims.put("exp", Long.toString(now + 3600)).encode());
      case 4 -> TestTokens.sign(TestTokens.HEADER.copy().put("crit", new JsonArray().add("exp")).encode(),
          claims.encode(), TestParley.JWT_SECRET);
      case 5 -> TestTokens.hs256(claims.put("aud", pick(r, "someone-else", "")).encode());
      case 6 -> TestTokens.hs256(claims.put("aud", new JsonArray().add("parley").add("other")).encode());
      case 7 -> TestTokens.hs256(
          claims.put("sub", pick(r, "999999", "0", "-1", "abc", "99999999999999999999", "")).encode());
      case 8 -> TestTokens.hs256(claims.put("ver", pick(r, 1, -1, 2147483648L)).encode());
      case 9 -> TestTokens.hs256(claims.put("iat", now + 3600).encode());
      case 10 -> TestTokens.hs256(claims.put("nbf", now + 3600).encode());
      case 11 -> TestTokens.hs256(claims.encode().replace("\"exp\":" + claims.getLong("exp"), "\"exp\":1e999"));
      case 12 -> TestTokens.hs256(claims.put("iss", "not-parley").encode());
      case 13 -> TestTokens.sign("{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}", claims.encode(), TestParley.JWT_SECRET);
      case 14 -> TestTokens.sign("[]", claims.encode(), TestParley.JWT_SECRET);
      case 15 -> TestTokens.b64("not json") + "." + TestTokens.b64("{}") + ".c2ln";
      case 16 -> pick(r, "a.b.c", "a.b", "....", "e30.e30.e30", "%%%.###.!!!", "\u00e9.\u00e9.\u00e9");
      default -> TestTokens.hs256(claims.encode()) + pick(r, "x", ".x", "==");
    };
    if (!wild) return "Bearer " + token;
    return switch (r.nextInt(10)) {
      case 0 -> pick(r, "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "Token " + token, "xyz", "Bearer\t" + token);
      case 1 -> "Bearer " + "A".repeat(pick(r, 2_000, 10_000));
      default -> "Bearer " + token;
    };
  }

  // ---- bodies ----

  private byte[] body(SplittableRandom r, Route route, boolean wild) {
    int kind = r.nextInt(100);
    if (!wild) {
      if (route.body() == Body.NONE || kind < 4) return null;
      return utf8(json(kind < 70 ? valid(r, route.body()) : mutate(r, valid(r, route.body()))));
    }
    if (route.body() == Body.NONE) {
      if (kind < 75) return null;
      if (kind < 82) return new byte[0];
      if (kind < 92) return utf8(json(randomObject(r, 0)));
      return special(r);
    }
    if (kind < 5) return null;
    if (kind < 9) return new byte[0];
    if (kind < 50) return utf8(json(valid(r, route.body())));
    if (kind < 72) return utf8(json(mutate(r, valid(r, route.body()))));
    if (kind < 80) return utf8(r.nextBoolean() ? randomValue(r, 0) : json(randomObject(r, 0)));
    return special(r);
  }

  /** A body a client of this route would send, with values as raw JSON text. */
  private Map<String, String> valid(SplittableRandom r, Body body) {
    Map<String, String> f = new LinkedHashMap<>();
    switch (body) {
      case REGISTER -> {
        String name = r.nextInt(4) == 0 ? pick(r, usernames) : "fz_" + randomAlnum(r, 3 + r.nextInt(8));
        f.put("username", str(name));
        f.put("email", str(name + pick(r, "@example.org", "@example", "example.org")));
        f.put("password", str(pick(r, world.password(), "short", "a".repeat(129), "long enough password")));
      }
      case LOGIN -> {
        String name = pick(r, usernames);
        f.put("login", str(r.nextBoolean() ? name : name + "@example.org"));
        f.put("password", str(pick(r, world.password(), "wrong password", "")));
      }
      case PASSWORD -> {
        f.put("currentPassword", str(pick(r, world.password(), "wrong password")));
        f.put("newPassword", str(pick(r, "battery staple 9", "short")));
      }
      case CONFIRM -> f.put("currentPassword", str(pick(r, world.password(), "wrong password", "")));
      case RESET -> {
        f.put("token", str(pick(r, "x", "A".repeat(43), "", "t".repeat(201))));
        f.put("newPassword", str(pick(r, "battery staple 9", "short")));
      }
      case RESET_ACCOUNT -> f.put("token", str(pick(r, "x", "A".repeat(43), "", "t".repeat(201))));
      case PREVIEW, COMMENT_EDIT -> f.put("body", str(markdown(r)));
      case POST -> {
        f.put("title", str(pick(r, "A title", "  Trimmed  ", "T\u00eftle \u2713", "x".repeat(200))));
        f.put("body", str(markdown(r)));
        if (r.nextBoolean()) f.put("sources", sources(r));
      }
      case POST_EDIT -> {
        if (r.nextBoolean()) f.put("title", str("Edited title"));
        if (r.nextBoolean()) f.put("body", str(markdown(r)));
        if (r.nextInt(3) == 0) f.put("sources", sources(r));
      }
      case COMMENT -> {
        f.put("body", str(markdown(r)));
        int parent = r.nextInt(4);
        if (parent == 0) f.put("parentId", Long.toString(pick(r, world.comments())));
        if (parent == 1) f.put("parentId", "null");
      }
      case REPORT -> {
        boolean post = r.nextBoolean();
        f.put("targetType", str(post ? "post" : "comment"));
        f.put("targetId", Long.toString(pick(r, post ? world.posts() : world.comments())));
        f.put("reason", str(pick(r, REASONS)));
        if (r.nextBoolean()) f.put("details", str(pick(r, "It is spam.", "", "d".repeat(1_001))));
      }
      case RESOLVE -> {
        f.put("action", str(pick(r, "dismiss", "hide", "ban")));
        if (r.nextBoolean()) f.put("note", str("Looked at it."));
      }
      case REASON -> {
        int reason = r.nextInt(8);
        if (reason < 5) f.put("reason", str("Off topic."));
        if (reason == 5) f.put("reason", str(pick(r, "", "r".repeat(1_001))));
      }
      case BAN -> {
        f.put("reason", str("Spamming"));
        int until = r.nextInt(4);
        if (until == 0) f.put("until", str("2099-12-31T00:00:00Z"));
        if (until == 1) {
          f.put("until", str(pick(r, "2000-01-01T00:00:00Z", "tomorrow", "+999999999-12-31T23:59:59Z",
              "+10000-01-01T00:00:00Z", "294277-01-01T00:00:00Z", "2099-12-31T23:59:59.999999999+18:00")));
        }
      }
      case ROLE -> f.put("role", str(pick(r, "user", "moderator", "admin", "root")));
      case FILTER -> {
        f.put("kind", str(pick(r, "word", "pattern", "regex")));
        f.put("pattern", str(pick(r, "casino", "(unclosed", "buy\\s+now", "", "(.*a){20}b", "x".repeat(201))));
        f.put("action", str(pick(r, "hold", "refuse", "delete")));
      }
      case NOTE -> f.put("body", str(pick(r, "Warned by DM.", "", "n".repeat(2_001))));
      case SETTINGS -> {
        for (String kind : List.of("replies", "comments", "mentions", "followed", "moderation", "reports")) {
          if (r.nextInt(3) > 0) f.put(kind, pick(r, "true", "false", "\"true\"", "1", "null"));
        }
      }
      case READ -> {
        if (r.nextBoolean()) f.put("upTo", pick(r, "1", "99999999999999999999", "0", "-1", "1.5", "\"1\""));
        else f.put("ids", pick(r, "[1]", "[]", "[0]", "[\"1\"]", "1", "[" + "1,".repeat(200) + "1]"));
      }
      case VOTE -> f.put("value", pick(r, "1", "-1", "0", "2", "1.0", "\"1\"", "true", "null"));
      case TAGS -> f.put("tags", pick(r, "[\"rust\"]", "[]", "[\"Bad Tag\"]", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]",
          "\"rust\"", "[7]"));
      case WEBHOOK -> {
        // Address literals only: a host name would make the fuzz wait on name resolution.
        f.put("url", str(pick(r, "https://93.184.216.34/hook", "http://93.184.216.34:8080/h?x=1", "http://127.0.0.1/x",
            "http://[::1]/x", "ftp://93.184.216.34/", "", "https://93.184.216.34/" + "p".repeat(2_001),
            "http://user:pw@93.184.216.34/", "javascript:alert(1)")));
        f.put("events", pick(r, "[\"post.created\"]", "[\"comment.created\",\"post.edited\"]", "[]",
            "[\"report.created\"]", "[\"nope\"]", "\"post.created\"", "[1]"));
        int secret = r.nextInt(4);
        if (secret == 0) f.put("secret", str("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr"));
        if (secret == 1) f.put("secret", str(pick(r, "whsec_", "secret", "whsec_!!!!")));
      }
      case CLAIM -> {
        if (r.nextInt(3) > 0) f.put("takeOver", pick(r, "true", "false", "\"true\"", "1", "null"));
      }
      case REPLAY -> f.put("from", pick(r, "1", "0", "-5", "\"1\"", "1.5", "99999999999999999999"));
      case SKIP -> f.put("to", pick(r, "2", "0", "-5", "\"2\"", "2.5", "99999999999999999999"));
      case NONE -> {
      }
    }
    return f;
  }

  private static String markdown(SplittableRandom r) {
    return r.nextInt(100) < 8 ? pick(r, HARD_MARKDOWN) : pick(r, MARKDOWN);
  }

  private String sources(SplittableRandom r) {
    return pick(r, "[]", "[\"https://example.org/a\"]", "[\"ftp://x\", 1, null, \"\"]",
        "[" + String.join(",", java.util.Collections.nCopies(11, "\"https://e.org\"")) + "]", "\"https://e.org\"",
        "[\"http://[::1\"]", "[\"https://" + "h".repeat(2_000) + ".org\"]");
  }

  /** One change to a valid body: a field dropped, nulled, given another type, or an unknown field added. */
  private Map<String, String> mutate(SplittableRandom r, Map<String, String> fields) {
    Map<String, String> out = new LinkedHashMap<>(fields);
    List<String> names = new ArrayList<>(out.keySet());
    int how = r.nextInt(5);
    if (names.isEmpty() || how == 0) {
      out.put(pick(r, "title", "body", "parentId", "targetId", "role", "until", "__proto__", "x"), randomValue(r, 0));
    } else if (how == 1) {
      out.remove(pick(r, names));
    } else if (how == 2) {
      out.put(pick(r, names), "null");
    } else {
      out.put(pick(r, names), randomValue(r, 0));
    }
    return out;
  }

  /** Any JSON value as text, including ones no library writes (1e999, 40 digits, a lone surrogate escape). */
  private String randomValue(SplittableRandom r, int depth) {
    int kind = r.nextInt(depth > 2 ? 8 : 10);
    return switch (kind) {
      case 0 -> pick(r, "null", "true", "false");
      case 1 -> pick(r, "0", "-0", "1", "-1", "1.5", "9223372036854775807", "9223372036854775808",
          "-9223372036854775809", "1" + "0".repeat(39), "1e999", "-1e999", "1E-400", "0.1e1", "2147483648", "1e2");
      case 2 -> Long.toString(r.nextLong());
      case 3 -> str(pick(r, "", " ", "x", "post", "comment", "spam", "dismiss", "admin", "1", "https://e.org"));
      case 4 -> str(pick(r, MARKDOWN));
      case 5 -> str(pick(r, "nul\u0000byte", "\u0000", "bell\u0007", "\u2028\u2029", "\ud83d\ude00", "\u202eevil"));
      case 6 -> pick(r, "\"\\ud800\"", "\"lone \\udc00 low\"", "\"\\ud83d\"", "\"\\u0000\"", "\"\\uZZZZ\"",
          "\"\\x41\"");
      case 7 -> str("s".repeat(pick(r, 201, 1_001, 10_001, 40_001)));
      case 8 -> "[" + String.join(",", randomList(r, depth)) + "]";
      default -> json(randomObject(r, depth + 1));
    };
  }

  private List<String> randomList(SplittableRandom r, int depth) {
    List<String> items = new ArrayList<>();
    for (int i = r.nextInt(4); i > 0; i--) items.add(randomValue(r, depth + 1));
    return items;
  }

  private Map<String, String> randomObject(SplittableRandom r, int depth) {
    Map<String, String> f = new LinkedHashMap<>();
    for (int i = r.nextInt(5); i > 0; i--) {
      f.put(pick(r, "title", "body", "sources", "parentId", "username", "email", "password", "login", "reason",
          "targetType", "targetId", "action", "note", "until", "role", "details", "currentPassword", "newPassword",
          "", "\u0000", "a".repeat(300)), randomValue(r, depth));
    }
    return f;
  }

  /** Bodies at the byte level: what no JSON encoder produces. */
  private static byte[] special(SplittableRandom r) {
    return switch (r.nextInt(16)) {
      case 0 -> utf8("[".repeat(2_000) + "]".repeat(2_000));
      case 1 -> utf8("{\"body\":" + "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_001));
      case 2 -> utf8("{\"title\":" + "9".repeat(pick(r, 40, 1_500, 20_000)) + ",\"body\":\"x\"}");
      case 3 -> utf8("{\"title\":\"" + "t".repeat(pick(r, 66_000, 70_000, 200_000)) + "\",\"body\":\"x\"}");
      case 4 -> concat(utf8("{\"title\":\"bad "), new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xC0, (byte) 0xAF},
          utf8("\",\"body\":\"x\"}"));
      case 5 -> concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("{\"title\":\"bom\",\"body\":\"x\"}"));
      case 6 -> "{\"title\":\"utf16\",\"body\":\"x\"}".getBytes(StandardCharsets.UTF_16);
      case 7 -> utf8(pick(r, "title=x&body=y", "<xml/>", "{", "}", "{\"a\":1,}", "NaN", "{'a':'b'}", "{\"a\" 1}",
          "{} {}", "{\"a\":1}garbage", "/* c */ {}", "{\"title\":\"a\",\"title\":\"b\",\"body\":\"c\"}"));
      case 8 -> utf8(pick(r, "null", "[]", "\"str\"", "123", "true", "[{}]", " ", "\n"));
      case 9 -> randomBytes(r, 1 + r.nextInt(200));
      case 10 -> utf8("--xyz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n--xyz--\r\n");
      case 11 -> utf8("{\"title\":\"\\ud800\",\"body\":\"\\udfff\\ud800\"}");
      case 12 -> utf8("{\"body\":\"" + "\\u0000".repeat(5) + "\"}");
      case 13 -> utf8("{\"" + "k".repeat(70_000) + "\":1}");
      case 14 -> utf8("{\"sources\":[" + "\"https://e.org\",".repeat(5_000) + "\"https://e.org\"]}");
      default -> utf8("{\"body\":\"" + "x".repeat(pick(r, 10_001, 40_001)) + "\",\"title\":\"t\"}");
    };
  }

  // ---- other headers ----

  /** JSON, a form, multipart, text or none, common with or without a body; now and then something stranger. */
  private static String contentType(SplittableRandom r, boolean hasBody) {
    int kind = r.nextInt(100);
    if (!hasBody && kind < 60) return null;
    if (kind < (hasBody ? 55 : 70)) return pick(r, "application/json", "application/json; charset=utf-8");
    if (kind < 80) {
      return pick(r, "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "text/plain", null);
    }
    return pick(r, "APPLICATION/JSON", "application/json-patch+json", "application/problem+json", "",
        "application/json;", "application/json ; foo=bar", "text/json", "application/json; charset=latin1",
        "application/\u00e9json", "application/jsonx", "multipart/mixed", "application/x-www-form-urlencoded; a=b");
  }

  private static String idempotencyKey(SplittableRandom r, boolean wild) {
    if (!wild || r.nextInt(100) < 60) return pick(r, "k1", "k2", "k3", "seed-key", "retry-" + r.nextInt(5));
    return pick(r, "", "a b", "k".repeat(256), "\u00e9t\u00e9", "tab\there", "k".repeat(255));
  }

  private static Header extraHeader(SplittableRandom r) {
    return switch (r.nextInt(11)) {
      case 0 -> new Header("Last-Event-ID", pick(r, "0", "2", "-1", "abc", "", "99999999999999999999"));
      case 1 -> new Header("X-Forwarded-For", pick(r, "1.2.3.4", "garbage", "", "::1, 10.0.0.1"));
      case 2 -> new Header("Accept-Encoding", pick(r, "gzip", "deflate", "gzip, deflate"));
      case 3 -> new Header("Expect", "100-continue");
      case 4 -> new Header("X-Long", "v".repeat(pick(r, 9_000, 20_000)));
      case 5 -> new Header("X-Raw", "\u00e9\u00ff");
      case 6 -> new Header("Authorization", "Bearer duplicate");
      case 7 -> new Header("Origin", pick(r, "http://evil.example", "http://allowed.example", "null"));
      case 8 -> new Header("Content-Encoding", pick(r, "gzip", "br", "identity"));
      case 9 -> new Header(pick(r, "Bad Header", "X:Colon", "\u00e9"), "v");
      default -> new Header("Content-Type", "text/plain");
    };
  }

  // ---- small helpers ----

  /** A JSON object from raw JSON value texts. */
  static String json(Map<String, String> fields) {
    List<String> members = new ArrayList<>();
    fields.forEach((name, value) -> members.add(str(name) + ":" + value));
    return "{" + String.join(",", members) + "}";
  }

  /** A JSON string literal; the characters JSON requires to be escaped are, the rest stays as it is. */
  static String str(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }

  private static String cursor(long id) {
    return b64("after:" + id);
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String percentEncodeAll(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) out.append(String.format("%%%02X", b & 0xff));
    return out.toString();
  }

  /** Text whose UTF-8 bytes become one char each, so they go on the wire raw. */
  private static String latin1(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  private static String randomAscii(SplittableRandom r, int length) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) s.append((char) (0x21 + r.nextInt(0x7e - 0x21)));
    return s.toString().replace("#", "%23").replace("?", "%3F").replace("&", "%26").replace("=", "%3D");
  }

  private static String randomAlnum(SplittableRandom r, int length) {
    String chars = "abcdefghijklmnopqrstuvwxyz0123456789_";
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) s.append(chars.charAt(r.nextInt(chars.length())));
    return s.toString();
  }

  private static byte[] randomBytes(SplittableRandom r, int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) bytes[i] = (byte) r.nextInt(256);
    return bytes;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  @SafeVarargs
  private static <T> T pick(SplittableRandom r, T... options) {
    return options[r.nextInt(options.length)];
  }

  private static <T> T pick(SplittableRandom r, List<T> options) {
    return options.get(r.nextInt(options.size()));
  }

  private static <T> T pickWeighted(SplittableRandom r, T[] options, int[] weights) {
    int total = java.util.Arrays.stream(weights).sum();
    int roll = r.nextInt(total);
    for (int i = 0; i < options.length; i++) {
      roll -= weights[i];
      if (roll < 0) return options[i];
    }
    return options[options.length - 1];
  }
}
