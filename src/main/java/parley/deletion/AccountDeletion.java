package parley.deletion;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.access.Principal;
import parley.account.Accounts;
import parley.comment.Comments;
import parley.db.Sequential;
import parley.events.EventLog;
import parley.events.Topics;
import parley.http.Problem;
import parley.post.Posts;
import parley.report.Reports;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A member deletes their account. First the account itself, in one transaction ({@code Accounts.delete}): it names
 * no one and signs no one in from then on. Then what it wrote, each piece as its author's own delete would go (so
 * every reader of a thread sees the comment become a tombstone live, counts stay exact, and the log's copies are
 * erased): its comments, then its posts. Last, what no single delete reaches: the words kept in posts deleted
 * before, a comment in a thread already gone, the earlier versions, every stored copy in the event log (the
 * moderators' included, which name it or carry its words without saying whose they are), and the words of the
 * reports it filed.
 *
 * <p>The account's {@code deleted_at} is written before any of it, so a request cut off midway (the node stopped,
 * the database gone) is finished by {@link #finishPending}, a job of the cluster's, within a minute. The same job
 * catches a comment the account sent just before it was deleted and that was written just after, and what such a
 * request leaves (a follow, a stored answer).
 */
public final class AccountDeletion {

  private static final Logger log = LoggerFactory.getLogger(AccountDeletion.class);

  /** What a deleted post's title becomes (a title may not be empty). */
  static final String ERASED_TITLE = "[deleted]";

  private static final String LIVE_COMMENTS =
      "SELECT id FROM comments WHERE author_id = $1 AND deleted_at IS NULL ORDER BY id";

  private static final String LIVE_POSTS =
      "SELECT id FROM posts WHERE author_id = $1 AND deleted_at IS NULL ORDER BY id";

  /**
   * Every stored copy of what the account wrote, on every topic (the moderators' too: there is no one left to
   * moderate), replaced as a delete replaces one: {id, postId, removed} for a comment, {id, removed} for a post.
   */
  private static final String SCRUB_COMMENTS = """
      UPDATE events e SET data = json_build_object('id', c.id, 'postId', c.post_id, 'removed', true)
        FROM comments c
       WHERE c.author_id = $1 AND e.subject = 'comment:' || c.id AND e.data ->> 'removed' IS NULL""";

  private static final String SCRUB_POSTS = """
      UPDATE events e SET data = json_build_object('id', p.id, 'removed', true)
        FROM posts p
       WHERE p.author_id = $1 AND e.subject = 'post:' || p.id AND e.data ->> 'removed' IS NULL""";

  /**
   * The words a delete leaves in the row: a deleted post keeps them (its author's and the moderators' record), and a
   * comment in a thread deleted before it is no one's to delete one by one.
   */
  private static final String ERASE_LEFT = """
      WITH p AS (
        UPDATE posts SET title = '%1$s', body = '', body_html = '', excerpt = '', description = '', sources = '{}',
                         tags = '{}'
         WHERE author_id = $1 AND deleted_at IS NOT NULL
           AND (title <> '%1$s' OR body <> '' OR body_html <> '' OR excerpt <> '' OR description <> ''
                OR sources <> '{}' OR tags <> '{}')),
      c AS (
        UPDATE comments c SET body = '', body_html = '', deleted_at = COALESCE(c.deleted_at, now())
         WHERE c.author_id = $1 AND (c.body <> '' OR c.body_html <> '' OR c.deleted_at IS NULL)
           AND (c.deleted_at IS NOT NULL OR EXISTS (
                 SELECT 1 FROM posts p WHERE p.id = c.post_id AND p.deleted_at IS NOT NULL)))
      SELECT 1""".formatted(ERASED_TITLE);

  /** Their earlier versions: after {@link #ERASE_LEFT}, whose change of a post's words is kept as a version (V20). */
  private static final String DROP_VERSIONS = """
      WITH p AS (DELETE FROM post_revisions WHERE post_id IN (SELECT id FROM posts WHERE author_id = $1))
      DELETE FROM comment_revisions WHERE comment_id IN (SELECT id FROM comments WHERE author_id = $1)""";

  /**
   * The moderators' own copies that name the account or carry its words without saying whose content they are (no
   * subject): held content as it arrived (its author's), its reports as filed (the reporter's name and words), audit
   * entries about it or by it (a name, a post's title). The moderators' topic is never replayed; this is for the
   * database itself. The deletion's own entry stays: it names no one's words, only the name held.
   */
  private static final String SCRUB_MODERATORS = """
      WITH who AS (
        SELECT (SELECT details ->> 'from' FROM mod_log
                 WHERE action = 'user.deleted' AND target_type = 'user' AND target_id = $1
                 ORDER BY id DESC LIMIT 1) AS name)
      UPDATE events e SET data = json_build_object('id', e.data -> 'id', 'removed', true)
        FROM who
       WHERE e.topic = '%s' AND e.data ->> 'removed' IS NULL
         AND (e.author_id = $1 OR e.data -> 'reporter' ->> 'username' = who.name
              OR e.data -> 'target' ->> 'username' = who.name OR e.data -> 'actor' ->> 'username' = who.name)"""
      .formatted(Topics.MOD);

  /** The words of the reports it filed: the reports stay with the moderators (their reason, their target). */
  private static final String ERASE_REPORT_WORDS =
      "UPDATE reports SET details = NULL WHERE reporter_id = $1 AND details IS NOT NULL";

  /** Marks the account's content erased (the job looks at it again for an hour, for a late comment). */
  private static final String ERASED = "UPDATE users SET content_erased_at = now() WHERE id = $1 "
      + "AND deleted_at IS NOT NULL";

  /**
   * Accounts whose erasure is unfinished (cut off), or deleted within the hour (a comment sent before the deletion
   * may have been written after it), and that no one is erasing now. Not one deleted in the last 5 seconds and not yet
   * erased: its request claims it a moment after the deletion's commit, and a job that claimed it first would leave
   * the member's answer to come before anything was erased (a review).
   */
  private static final String PENDING = "SELECT id FROM users WHERE deleted_at IS NOT NULL "
      + "AND (content_erased_at IS NULL OR deleted_at > now() - interval '1 hour') "
      + "AND (content_erased_at IS NOT NULL OR deleted_at <= now() - interval '5 seconds') "
      + "AND (erasing_until IS NULL OR erasing_until <= now()) ORDER BY id";

  /**
   * How long a claim on an account's erasing holds without being moved on. The holder moves it on every third of
   * this while it works, so a holder that stops (its node gone) keeps the job off the account for at most this long.
   * Without a claim in the database, a node's job walked the pieces of a big account another node was erasing (or an
   * earlier run of the job, past its minute), beside it, doubling the work (a review).
   */
  static final Duration LEASE = Duration.ofSeconds(30);

  /**
   * Claims the erasing of deleted account $1 for $2 seconds under the holder's id $3: only a deleted account
   * (nothing of an account that is not is ever erased: the tests, which empty the database between them and give its
   * ids out again, found a late look erasing the next test's member), and only when no one holds it.
   */
  private static final String CLAIM = "UPDATE users SET erasing_by = $3, "
      + "erasing_until = now() + make_interval(secs => $2) "
      + "WHERE id = $1 AND deleted_at IS NOT NULL AND (erasing_until IS NULL OR erasing_until <= now()) RETURNING id";

  /**
   * Moves a claim on, if it is still holder $3's. By the holder's id, not the time it last set: a move the pool gave
   * up on (its deadline) but the database carried out moved the time all the same, and every move and the end after
   * it matched nothing, so the claim ran out mid-erasing and outlived it (a review).
   */
  private static final String RENEW = "UPDATE users SET erasing_until = now() + make_interval(secs => $2) "
      + "WHERE id = $1 AND erasing_by = $3 RETURNING id";

  /** Ends a claim, if it is still holder $2's. */
  private static final String RELEASE = "UPDATE users SET erasing_by = NULL, erasing_until = NULL "
      + "WHERE id = $1 AND erasing_by = $2";

  private final Vertx vertx;
  private final Pool pool;
  private final EventLog events;
  private final Posts posts;
  private final Duration lease;
  /** The lease in seconds, as the claim's statements take it. */
  private final double leaseSeconds;

  /** @param events where the deletes are written and published from (with the node's commit listeners) */
  public AccountDeletion(Vertx vertx, Pool pool, EventLog events, Posts posts) {
    this(vertx, pool, events, posts, LEASE);
  }

  /** As the public constructor, with claims of {@code lease} instead of {@link #LEASE} (for a test). */
  AccountDeletion(Vertx vertx, Pool pool, EventLog events, Posts posts, Duration lease) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
    this.posts = posts;
    this.lease = lease;
    this.leaseSeconds = lease.toMillis() / 1000.0;
  }

  /**
   * How long a deletion's answer waits for the erasing. Each piece goes as its own delete would (4-10 ms here), so
   * an account with 20,000 comments took minutes, and its request, answered only then, was cut off by the server's
   * idle timeout (60 s) with no answer at all: the member was told the deletion had failed when it had not (a
   * review). Past this the answer goes, and the erasing goes on.
   */
  public static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);

  /**
   * Erases what an account deleted a moment ago wrote. Completes once done, or after {@link #ANSWER_WITHIN} with the
   * erasing going on; should the erasing fail it still completes (the account is deleted, and its member's answer
   * must say so): {@link #finishPending} finishes it.
   */
  public Future<Void> afterDeletion(long userId) {
    return afterDeletion(userId, ANSWER_WITHIN);
  }

  /** As {@link #afterDeletion(long)}, completing after {@code answerWithin} at the latest. */
  Future<Void> afterDeletion(long userId, Duration answerWithin) {
    // Should the job hold the account (it found it between the deletion's commit and this claim), it erases it.
    Future<Void> erased = erase(userId).<Void>mapEmpty().recover(e -> {
      log.warn("Account {} deleted; erasing what it wrote failed and is left to the next minute's job: {}", userId,
          e.toString());
      return Future.succeededFuture();
    });
    lookAgainAfterLateWrites(userId, erased);
    // erased never fails (recovered above): a failure here is the bound passing.
    return erased.timeout(Math.max(1, answerWithin.toMillis()), TimeUnit.MILLISECONDS).recover(timedOut -> {
      log.info("Account {} deleted; erasing what it wrote goes on after the answer", userId);
      return Future.succeededFuture();
    });
  }

  /**
   * Erases again once every request that passed the door before the deletion has ended: a comment sent a moment
   * before it may be written just after its erasure, and stayed in its thread, without its author's name, until the
   * job's next look (a members' review: 54 to 118 s). A request's statements end within the pool's deadline
   * ({@link parley.db.BoundedPool}), so a look a second past it finds them; the job's looks through the hour remain
   * for a node that stops meanwhile, or a commit the database took longer than that to answer. Not before the first
   * erasing has ended, either: a big account's took minutes, and a second walk through its pieces beside it doubled
   * the work (a review).
   */
  private void lookAgainAfterLateWrites(long userId, Future<Void> erased) {
    if (!(pool instanceof parley.db.BoundedPool bounded)) return;
    Future.join(vertx.timer(bounded.deadline().toMillis() + 1_000), erased).onComplete(both ->
        erase(userId).onFailure(e ->
            log.debug("Looking again at deleted account {}'s content failed (the job looks again): {}", userId,
                e.toString())));
  }

  /**
   * The cluster's job: finishes every deletion cut off, and looks again at the last hour's, but those someone is
   * erasing now (a deletion's request on any node, or a run of this job that took over a minute). Completes with how
   * many it looked at.
   */
  public Future<Integer> finishPending() {
    return pool.preparedQuery(PENDING).execute(Tuple.tuple()).compose(rows -> {
      AtomicInteger looked = new AtomicInteger();
      // Claimed as each comes: an erasing may start while the job walks the others.
      return Sequential.each(ids(rows, "id"), id -> erase(id).map(ran -> {
        if (ran) looked.incrementAndGet();
        return (Void) null;
      })).map(v -> looked.get());
    });
  }

  /**
   * Erases what the deleted account {@code userId} wrote, under a claim in the database ({@link #LEASE}): completes
   * with false, doing nothing, when the account is not deleted or someone else is erasing it. Running it again
   * changes nothing.
   */
  Future<Boolean> erase(long userId) {
    UUID holder = UUID.randomUUID();
    return pool.preparedQuery(CLAIM).execute(Tuple.of(userId, leaseSeconds, holder)).compose(rows -> {
      if (rows.size() == 0) return Future.succeededFuture(false);
      Claim claim = new Claim(userId, holder);
      // Through compose, so that even an exception thrown at once ends the claim.
      return Future.succeededFuture().compose(v -> eraseDeleted(userId)).eventually(claim::end).map(true);
    });
  }

  /**
   * A claim on an account's erasing, moved on every third of its lease while it works and ended after it. Its
   * moves and its end go one after the other, so an end never comes before a move still on its way (which would
   * leave the account claimed, and the job off it, for a lease).
   */
  private final class Claim {
    private final long userId;
    private final UUID holder;
    private final long timer;
    private Future<?> last = Future.succeededFuture();

    Claim(long userId, UUID holder) {
      this.userId = userId;
      this.holder = holder;
      this.timer = vertx.setPeriodic(Math.max(1, lease.toMillis() / 3), id -> renew());
    }

    private void renew() {
      last = last.transform(v -> pool.preparedQuery(RENEW)
          .execute(Tuple.of(userId, leaseSeconds, holder)).andThen(moved -> {
            if (moved.failed() || moved.result().size() == 0) {
              // The database did not answer (the next move tries again), or the claim's time passed and another
              // took it up: should another hold it, nothing is erased twice (each piece is gone).
              log.debug("Moving on the claim on account {}'s erasing failed: {}", userId,
                  moved.failed() ? moved.cause().toString() : "no longer held");
            }
          }));
    }

    /** Ends the claim; never fails (the claim's time passes by itself). */
    Future<Void> end() {
      vertx.cancelTimer(timer);
      last = last.transform(v -> pool.preparedQuery(RELEASE).execute(Tuple.of(userId, holder)));
      return last.transform(v -> Future.succeededFuture());
    }
  }

  private Future<Void> eraseDeleted(long userId) {
    // Acting as the author: each delete is the one its author could make.
    Principal author = new Principal(userId, null, "user", null, null, null, 0);
    return pool.preparedQuery(LIVE_COMMENTS).execute(Tuple.of(userId))
        .compose(rows -> Sequential.each(ids(rows, "id"), id -> gone(Comments.delete(events, id, author))))
        .compose(v -> pool.preparedQuery(LIVE_POSTS).execute(Tuple.of(userId)))
        .compose(rows -> Sequential.each(ids(rows, "id"), id -> gone(posts.delete(id, author))))
        .compose(v -> events.transaction(box -> box.connection().preparedQuery(ERASE_LEFT).execute(Tuple.of(userId))
            .compose(r -> box.connection().preparedQuery(DROP_VERSIONS).execute(Tuple.of(userId)))
            .compose(r -> box.connection().preparedQuery(SCRUB_COMMENTS).execute(Tuple.of(userId)))
            .compose(r -> box.connection().preparedQuery(SCRUB_POSTS).execute(Tuple.of(userId)))
            .compose(r -> box.connection().preparedQuery(SCRUB_MODERATORS).execute(Tuple.of(userId)))
            .compose(r -> box.connection().preparedQuery(ERASE_REPORT_WORDS).execute(Tuple.of(userId)))
            // Reports on what they wrote: nothing left to decide (their cards stayed in the queue, empty).
            .compose(r -> Reports.closeForErased(box, userId))
            // Again, for what a request already past the door wrote after the account went: a follow, a block, a
            // stored answer, the thread it joined; and the inbox, which the notifier may fill meanwhile.
            .compose(r -> Accounts.dropOwn(box.connection(), userId))
            .compose(r -> box.connection().preparedQuery(ERASED).execute(Tuple.of(userId)))))
        .mapEmpty();
  }

  /** A piece already gone (its thread deleted meanwhile: 404) is no failure here; the last step erases its words. */
  private static Future<Void> gone(Future<Void> delete) {
    return delete.recover(e -> e instanceof Problem p && p.status() == 404 ? Future.succeededFuture()
        : Future.failedFuture(e));
  }

  private static List<Long> ids(Iterable<Row> rows, String column) {
    List<Long> ids = new ArrayList<>();
    rows.forEach(row -> ids.add(row.getLong(column)));
    return ids;
  }
}
