package parley.readcache;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Visibility;
import parley.http.Problem;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Signed-in readers served from the anonymous read cache wherever nothing of their own can change the page, with
 * their own votes laid over it: a post, a thread's comment page, a feed page.
 *
 * <p>What a signed-in reader is shown differs from the anonymous page in exactly these ways (Visibility's rule, and
 * the queries of Posts and Comments built from it): a moderator sees hidden and pending content; a reader who blocked
 * someone gets that person's posts left out of the feed and their post and comments as placeholders; a reader sees
 * their own hidden and pending content in a thread (a pending comment even once deleted, as a tombstone), and their
 * own hidden or pending post; and every item carries the reader's own vote. Being blocked, being banned, a role below
 * moderator and a name change alter nothing a reader reads. So the anonymous page stands for a reader's when they are
 * not a moderator, have blocked nobody, have no hidden or pending comment in the thread and the anonymous read found
 * the post (a 404 may be the reader's own hidden post); otherwise, and when the cache is off, the reader gets today's
 * uncached read.
 *
 * <p>Whether the page stands for theirs, and their votes on its items, come from one small indexed query, whose
 * answer is kept as the reader's {@link Overlay} on that very cached page (with the page's bytes with their votes
 * written in, and gzipped once), so their next read of it costs no query and no JSON. An overlay is served only
 * with the anonymous response it was made over (itself served only while its thread's or the feed's version is
 * unchanged) and while the reader's own version is the one noted before the query: every write that changes what
 * they alone read bumps it (their votes, their blocks, their content held, hidden, restored, approved or rejected; see
 * {@link Invalidation}), here before the write answers and on other nodes by the cache's cluster message. A moderator
 * never has one: their role comes with the request's principal, so a promotion takes the own path at once.
 */
public final class SignedInReads {

  /** The pages served this way, with the query that says whether a reader's own state touches it and their votes. */
  public enum Page {
    /** GET /api/posts/{id}: the post's vote; a reader's own hidden or pending post is a 404 anonymously. */
    POST(personal("post_votes", "post_id", false)),
    /** A page of a thread's comments ($3 the post): their comment votes, and whether they have held ones in it. */
    COMMENTS(personal("comment_votes", "comment_id", true)),
    /** A feed page: listed posts only, so only blocks and votes matter. */
    FEED(personal("post_votes", "post_id", false));

    private final String sql;

    Page(String sql) {
      this.sql = sql;
    }
  }

  /**
   * A reader's overlay on one cached anonymous response: whether something of theirs changes it ({@code touched}:
   * they get their own read), else the bytes they are sent: their own when they voted on something in it, else
   * (null) the anonymous response's. It names that response by its stamp rather than holding it, so an overlay left
   * behind by a change never keeps an old page in memory.
   *
   * @param anonymous     the stamp of the anonymous response it was made over
   * @param readerVersion the reader's version noted before the query that made it
   * @param gzipped       {@code body} gzipped, or null to leave compressing it to the server
   */
  record Overlay(long anonymous, long readerVersion, long storedAt, boolean touched, Buffer body, Buffer gzipped) {

    long bytes() {
      return 64 + (body == null ? 0 : body.length()) + (gzipped == null ? 0 : gzipped.length());
    }
  }

  /**
   * One row per vote of the reader $1 on the items $2 (one row of nulls when none), each with whether they blocked
   * anyone and, for a thread, whether they have a hidden or pending comment in the post $3.
   */
  private static String personal(String votes, String key, boolean thread) {
    String ownRestricted = thread
        ? "EXISTS (SELECT 1 FROM comments c WHERE c.author_id = $1 AND c.post_id = $3 AND "
            + Visibility.restrictedRow("c") + ")"
        : "false";
    return "SELECT " + Visibility.blocksAnyone("$1") + " AS blocks, " + ownRestricted + " AS own_restricted, "
        + "v.id, v.value FROM (SELECT 1) one LEFT JOIN (SELECT " + key + " AS id, value FROM " + votes
        + " WHERE user_id = $1 AND " + key + " = ANY($2)) v ON true";
  }

  /** The statement of a page (for the plan tests). */
  public static String sql(Page page) {
    return page.sql;
  }

  private final Pool pool;
  private final ReadCache cache;
  private final Counter shared;
  private final Counter own;
  private final Counter overlayHits;
  private final Counter overlayMisses;

  public SignedInReads(Pool pool, ReadCache cache) {
    this.pool = pool;
    this.cache = cache;
    this.shared = cache.signedInCounter("anonymous");
    this.own = cache.signedInCounter("own");
    this.overlayHits = cache.overlayCounter("hit");
    this.overlayMisses = cache.overlayCounter("miss");
  }

  /**
   * Answers a signed-in reader: the anonymous page (from the cache, as {@code kind}, {@code scope}, {@code key} and
   * {@code load} give it to anonymous readers) with their overlay, when it stands for theirs, else {@code uncached},
   * their own read. Either way as {@code RoutingContext.json} sends it.
   *
   * @param postId the thread of a post or comment page (unused for the feed)
   */
  public void respond(RoutingContext ctx, Principal reader, Page page, long postId, ReadCache.Kind kind,
      LongSupplier scope, String key, Supplier<Future<Buffer>> load, Supplier<Future<JsonObject>> uncached) {
    if (!cache.on() || reader.isModerator()) {
      ownRead(ctx, uncached);
      return;
    }
    // Noted before anything is read: a write of theirs told of after this retires what this read makes.
    LongSupplier mine = cache.reader(reader.id());
    long readerVersion = mine.getAsLong();
    String overlayKey = reader.id() + "|" + key;
    cache.lookup(kind, scope, key, load)
        .compose(anonymous -> {
          Overlay known = cache.personalOn() ? cache.overlay(overlayKey) : null;
          if (known != null) {
            if (known.anonymous() == anonymous.stamp && known.readerVersion() == readerVersion
                && System.currentTimeMillis() - known.storedAt() < ReadCache.MAX_AGE_MS) {
              overlayHits.increment();
              return Future.succeededFuture(new Served(anonymous, known));
            }
            cache.drop(overlayKey, known);
          }
          overlayMisses.increment();
          return overlay(reader, page, postId, anonymous, readerVersion).map(overlay -> {
            // Kept only if neither the page nor the reader changed since their versions were noted.
            if (cache.personalOn() && scope.getAsLong() == anonymous.version && mine.getAsLong() == readerVersion) {
              cache.keep(overlayKey, overlay);
            }
            return overlay;
          }).map(overlay -> new Served(anonymous, overlay));
        })
        .recover(e -> e instanceof Problem p && p.status() == 404
            ? Future.succeededFuture(null) : Future.failedFuture(e))
        .onSuccess(served -> {
          if (served == null || served.overlay().touched()) {
            ownRead(ctx, uncached);
            return;
          }
          shared.increment();
          boolean gzip = ReadCache.acceptsGzip(ctx.request().getHeader(HttpHeaders.ACCEPT_ENCODING));
          Overlay overlay = served.overlay();
          if (overlay.body() == null) {
            ReadCache.send(ctx, gzip, served.anonymous().body, served.anonymous().gzipped);
          } else {
            ReadCache.send(ctx, gzip, overlay.body(), overlay.gzipped());
          }
        })
        .onFailure(ctx::fail);
  }

  /** The anonymous response a reader's read found, and their overlay on it. */
  private record Served(ReadCache.Entry anonymous, Overlay overlay) {
  }

  private void ownRead(RoutingContext ctx, Supplier<Future<JsonObject>> uncached) {
    own.increment();
    // Sent as the shared pages are, a slice at a time (ReadCache.endInSlices): a reader of their own page (a
    // moderator's, one that blocks someone on it) could otherwise pin a big page per connection that reads nothing.
    uncached.get().onSuccess(json -> ReadCache.send(ctx, false, json.toBuffer(), null)).onFailure(ctx::fail);
  }

  /** The reader's overlay on an anonymous response, from their query now. */
  private Future<Overlay> overlay(Principal reader, Page page, long postId, ReadCache.Entry anonymous,
      long readerVersion) {
    Layout layout = anonymous.layout(page == Page.POST);
    Long[] ids = new Long[layout.ids().length];
    for (int i = 0; i < ids.length; i++) ids[i] = layout.ids()[i];
    Tuple args = Tuple.tuple().addLong(reader.id()).addArrayOfLong(ids);
    if (page == Page.COMMENTS) args.addLong(postId);
    return pool.preparedQuery(page.sql).execute(args).map(rows -> {
      Map<Long, Integer> votes = new HashMap<>();
      boolean touched = false;
      for (Row row : rows) {
        touched = row.getBoolean("blocks") || row.getBoolean("own_restricted");
        if (row.getLong("id") != null) votes.put(row.getLong("id"), (int) row.getShort("value"));
      }
      long now = System.currentTimeMillis();
      if (touched) return new Overlay(anonymous.stamp, readerVersion, now, true, null, null);
      if (votes.isEmpty()) return new Overlay(anonymous.stamp, readerVersion, now, false, null, null);
      Buffer body = layout.usable() ? layout.withVotes(anonymous.body, votes) : withVotes(anonymous.body, page, votes);
      // Compressed once when it is kept; else the server's compression does it per response.
      Buffer gzipped = cache.personalOn() ? ReadCache.gzip(body) : null;
      return new Overlay(anonymous.stamp, readerVersion, now, false, body, gzipped);
    });
  }

  /** The slow way: the page parsed, the votes put in, encoded again. */
  private static Buffer withVotes(Buffer body, Page page, Map<Long, Integer> votes) {
    JsonObject json = new JsonObject(body);
    List<JsonObject> items = page == Page.POST ? List.of(json)
        : json.getJsonArray("items").stream().map(JsonObject.class::cast).toList();
    items.forEach(item -> item.put("myVote", votes.get(item.getLong("id"))));
    return json.toBuffer();
  }
}
