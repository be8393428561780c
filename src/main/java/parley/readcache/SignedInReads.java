package parley.readcache;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
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
import java.util.Optional;
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
 * uncached read. Their votes come with the check, in one small indexed query: nothing of a reader's is cached, so
 * there is nothing of theirs to invalidate, on this node or another. The query runs after the page was taken from
 * the cache, so a block, a hold or a vote committed before the request began is always seen.
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

  public SignedInReads(Pool pool, ReadCache cache) {
    this.pool = pool;
    this.cache = cache;
    this.shared = cache.signedInCounter("anonymous");
    this.own = cache.signedInCounter("own");
  }

  /**
   * Answers a signed-in reader: the anonymous page {@code anonymous} gives (from the cache) with their votes, when
   * it stands for theirs, else {@code uncached}, their own read. Either way as {@code RoutingContext.json} sends it.
   *
   * @param postId the thread of a post or comment page (unused for the feed)
   */
  public void respond(RoutingContext ctx, Principal reader, Page page, long postId,
      Supplier<Future<Buffer>> anonymous, Supplier<Future<JsonObject>> uncached) {
    Future<Optional<JsonObject>> fast = !cache.on() || reader.isModerator()
        ? Future.succeededFuture(Optional.empty())
        : anonymous.get()
            .compose(body -> personalise(reader, page, postId, new JsonObject(body)))
            .recover(e -> e instanceof Problem p && p.status() == 404
                ? Future.succeededFuture(Optional.empty()) : Future.failedFuture(e));
    fast.compose(json -> {
      if (json.isPresent()) {
        shared.increment();
        return Future.succeededFuture(json.get());
      }
      own.increment();
      return uncached.get();
    }).onSuccess(ctx::json).onFailure(ctx::fail);
  }

  /** The anonymous page with the reader's votes, or empty when something of theirs changes it. */
  private Future<Optional<JsonObject>> personalise(Principal reader, Page page, long postId, JsonObject json) {
    List<JsonObject> items = page == Page.POST ? List.of(json)
        : json.getJsonArray("items").stream().map(JsonObject.class::cast).toList();
    Long[] ids = items.stream().map(item -> item.getLong("id")).toArray(Long[]::new);
    Tuple args = Tuple.tuple().addLong(reader.id()).addArrayOfLong(ids);
    if (page == Page.COMMENTS) args.addLong(postId);
    return pool.preparedQuery(page.sql).execute(args).map(rows -> {
      Map<Long, Integer> mine = new HashMap<>();
      boolean touched = false;
      for (Row row : rows) {
        touched = row.getBoolean("blocks") || row.getBoolean("own_restricted");
        if (row.getLong("id") != null) mine.put(row.getLong("id"), (int) row.getShort("value"));
      }
      if (touched) return Optional.empty();
      items.forEach(item -> item.put("myVote", mine.get(item.getLong("id"))));
      return Optional.of(json);
    });
  }
}
