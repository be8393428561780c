package parley.vote;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.access.Visibility;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.readcache.Invalidation;
import parley.readcache.ReadCache;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Score changes, pushed live but coalesced: the first vote on an item opens a window of {@link #WINDOW_MS}; when it
 * closes, the item's counts as they then stand are published once (post.score to its thread and the feed,
 * comment.score to its thread), however many votes came in meanwhile. So a hot item costs each node at most a few
 * score events a second, not one per vote. One per node, shared by its HTTP verticles.
 */
public final class ScoreBoard {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ScoreBoard.class);
  /** Every voted item retries each window while the database is down: a line per 10 s says so, with a count. */
  private static final parley.http.ThrottledWarning unpublished =
      new parley.http.ThrottledWarning(log, java.time.Duration.ofSeconds(10));

  /** How long votes on one item are gathered into one score event. */
  public static final long WINDOW_MS = 250;

  private static final String POST = "SELECT upvotes, downvotes, id AS post_id FROM posts p WHERE id = $1 AND "
      + Visibility.listed("p");
  private static final String COMMENT = "SELECT c.upvotes, c.downvotes, c.post_id FROM comments c "
      + "JOIN posts p ON p.id = c.post_id WHERE c.id = $1 AND " + Visibility.listed("c") + " AND "
      + Visibility.listed("p");

  private final Vertx vertx;
  private final Pool pool;
  private final EventLog events;
  private final ReadCache readCache;
  private final Set<String> open = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.atomic.AtomicInteger publishing = new java.util.concurrent.atomic.AtomicInteger();

  public ScoreBoard(Vertx vertx, Pool pool, EventLog events, ReadCache readCache) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
    this.readCache = readCache;
  }

  /**
   * An item's counts changed (the voter's vote committed). Cached pages showing the old counts are retired at once
   * (the score event comes only when the window closes): the thread, and for a post the feed, whose order and items
   * show its score; and the voter's overlays, which hold their own votes.
   */
  public void changed(Votes.Tally tally, long voterId) {
    Votes.Kind kind = tally.kind();
    long id = tally.id();
    readCache.invalidate(Invalidation.thread(tally.postId(), kind == Votes.Kind.POST).andReader(voterId));
    announce(kind, id);
  }

  /** Opens the item's window, unless one is open: when it closes, the counts as they then stand are published. */
  private void announce(Votes.Kind kind, long id) {
    String key = kind.name() + ":" + id;
    if (!open.add(key)) return;
    vertx.setTimer(WINDOW_MS, t -> {
      // Votes from now on open the next window: none is left unannounced.
      publishing.incrementAndGet();
      open.remove(key);
      publish(kind, id).onComplete(done -> {
        if (done.failed()) {
          // A vote storm can fill the pool's queue: the counts are committed, so their announcement is owed. The
          // item's next window carries them (with any votes that came meanwhile).
          unpublished.warn("Score of {} {} not published, trying again in {} ms: {}", kind.word, id, WINDOW_MS,
              done.cause().toString());
          announce(kind, id);
        } else {
          unpublished.recovered();
        }
        publishing.decrementAndGet();
      });
    });
  }

  /** Completes once no window is open and nothing is being published (for tests that compare the database). */
  public Future<Void> idle() {
    if (open.isEmpty() && publishing.get() == 0) return Future.succeededFuture();
    io.vertx.core.Promise<Void> idle = io.vertx.core.Promise.promise();
    vertx.setPeriodic(20, timer -> {
      if (open.isEmpty() && publishing.get() == 0) {
        vertx.cancelTimer(timer);
        idle.complete();
      }
    });
    return idle.future();
  }

  /** Publishes the item's score as it stands (nothing for content that is no longer listed). */
  private Future<Void> publish(Votes.Kind kind, long id) {
    return pool.preparedQuery(kind == Votes.Kind.POST ? POST : COMMENT).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) return Future.succeededFuture();
      Row row = rows.iterator().next();
      long postId = row.getLong("post_id");
      int up = row.getInteger("upvotes");
      int down = row.getInteger("downvotes");
      JsonObject data = new JsonObject().put("id", id).put("score", up - down).put("upvotes", up).put("downvotes", down);
      if (kind == Votes.Kind.COMMENT) data.put("postId", postId);
      EventType type = kind == Votes.Kind.POST ? EventType.POST_SCORE : EventType.COMMENT_SCORE;
      return events.transaction(box -> box.publish(Publication.of(type, null, data).onThread(postId)));
    });
  }
}
