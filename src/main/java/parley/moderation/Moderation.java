package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Standing;
import parley.comment.Comments;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Page;
import parley.http.Problem;
import parley.post.Posts;
import parley.post.Threads;
import parley.report.Claims;
import parley.report.Reports;
import parley.report.Reports.Target;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Moderators' actions on content: hide and restore posts and comments, lock and unlock threads, and resolve reports.
 * Each action locks the thread's post row first (like every write to a thread), changes the content, keeps the
 * comment count, erases hidden content from the log's readers' copies, settles the reports it answers, appends its
 * audit-log row and publishes its event, all in one transaction; the events go out only once it commits.
 *
 * <p>Every action is one {@link Action}: a statement and the event it publishes. They share one flow, so a new
 * content state (approve and reject, for pre-moderation) is one more entry, not one more copy of the flow.
 */
public final class Moderation {

  /** Whether a post is left out of every list (hidden or waiting for review), as a column of an action's UPDATE. */
  private static final String UNLISTED = "hidden_at IS NOT NULL OR pending_at IS NOT NULL AS unlisted";

  /** What a moderator can do to content, and what each does. */
  public enum Action {
    HIDE_POST(Target.POST, EventType.POST_HIDDEN, true, true, 0,
        "The post is already hidden, waiting for review, or deleted.",
        "UPDATE posts SET hidden_at = now(), hidden_reason = $2 WHERE id = $1 AND hidden_at IS NULL "
            + "AND pending_at IS NULL AND deleted_at IS NULL RETURNING id AS post_id, author_id, false AS deleted"),
    RESTORE_POST(Target.POST, EventType.POST_RESTORED, false, false, 0, "The post is not hidden.",
        "UPDATE posts SET hidden_at = NULL, hidden_reason = NULL WHERE id = $1 AND hidden_at IS NOT NULL "
            + "AND deleted_at IS NULL RETURNING id AS post_id, author_id, false AS deleted"),
    /** Said on the feed too, unless the post is not listed (hidden or waiting for review): see {@link Moderation#UNLISTED}. */
    LOCK_POST(Target.POST, EventType.POST_LOCKED, false, false, 0, "The post is already locked.",
        "UPDATE posts SET locked_at = now() WHERE id = $1 AND locked_at IS NULL AND deleted_at IS NULL "
            + "RETURNING id AS post_id, author_id, false AS deleted, " + UNLISTED),
    UNLOCK_POST(Target.POST, EventType.POST_UNLOCKED, false, false, 0, "The post is not locked.",
        "UPDATE posts SET locked_at = NULL WHERE id = $1 AND locked_at IS NOT NULL AND deleted_at IS NULL "
            + "RETURNING id AS post_id, author_id, false AS deleted, " + UNLISTED),
    /** Publishes a pending post as if it had just been written: to the feed, and its mentions are notified. */
    APPROVE_POST(Target.POST, EventType.POST_APPROVED, false, false, 0, "The post is not waiting for review.",
        "UPDATE posts SET pending_at = NULL WHERE id = $1 AND pending_at IS NOT NULL AND deleted_at IS NULL "
            + "RETURNING id AS post_id, author_id, false AS deleted"),
    /** Removes a pending post for good; its author is told why. */
    REJECT_POST(Target.POST, EventType.POST_REJECTED, false, true, 0, "The post is not waiting for review.",
        "UPDATE posts SET deleted_at = now(), rejected_reason = $2 WHERE id = $1 AND pending_at IS NOT NULL "
            + "AND deleted_at IS NULL RETURNING id AS post_id, author_id, false AS deleted"),
    /** Not a comment its author deleted: nothing is left to hide, and its restore would be refused. */
    HIDE_COMMENT(Target.COMMENT, EventType.COMMENT_HIDDEN, true, true, -1,
        "The comment is already hidden, waiting for review, or deleted.",
        "UPDATE comments SET hidden_at = now(), hidden_reason = $2 WHERE id = $1 AND hidden_at IS NULL "
            + "AND pending_at IS NULL AND deleted_at IS NULL "
            + "RETURNING post_id, author_id, deleted_at IS NOT NULL AS deleted"),
    RESTORE_COMMENT(Target.COMMENT, EventType.COMMENT_RESTORED, false, false, 1,
        "The comment is not hidden (or its author deleted it).",
        "UPDATE comments SET hidden_at = NULL, hidden_reason = NULL WHERE id = $1 AND hidden_at IS NOT NULL "
            + "AND deleted_at IS NULL RETURNING post_id, author_id, deleted_at IS NOT NULL AS deleted"),
    /** Publishes a pending comment as if it had just been written: live to its thread, counted, notified. */
    APPROVE_COMMENT(Target.COMMENT, EventType.COMMENT_APPROVED, false, false, 1,
        "The comment is not waiting for review.",
        "UPDATE comments SET pending_at = NULL WHERE id = $1 AND pending_at IS NOT NULL AND deleted_at IS NULL "
            + "RETURNING post_id, author_id, false AS deleted"),
    /** Removes a pending comment for good (it was never counted); its author is told why. */
    REJECT_COMMENT(Target.COMMENT, EventType.COMMENT_REJECTED, false, true, 0,
        "The comment is not waiting for review.",
        "UPDATE comments SET deleted_at = now(), rejected_reason = $2 WHERE id = $1 AND pending_at IS NOT NULL "
            + "AND deleted_at IS NULL RETURNING post_id, author_id, false AS deleted");

    final Target target;
    final EventType event;
    /** Takes content away from readers: erases their copies in the log and settles its open reports. */
    final boolean hides;
    /** Requires a reason ({"reason": …}), which the author is told. */
    final boolean needsReason;
    /** How the thread's count of visible comments moves (for a comment that is not deleted). */
    final int countDelta;
    final String conflict;
    final String sql;

    Action(Target target, EventType event, boolean hides, boolean needsReason, int countDelta, String conflict,
        String sql) {
      this.target = target;
      this.event = event;
      this.hides = hides;
      this.needsReason = needsReason;
      this.countDelta = countDelta;
      this.conflict = conflict;
      this.sql = sql;
    }

    /** The hide action for a report's target. */
    static Action hide(Target target) {
      return target == Target.POST ? HIDE_POST : HIDE_COMMENT;
    }

    boolean takesReason() {
      return needsReason;
    }

    /** Settles an item of a queue (reported content hidden, held content approved or declined): ends its claim. */
    boolean decides() {
      return hides || this == APPROVE_POST || this == APPROVE_COMMENT || this == REJECT_POST || this == REJECT_COMMENT;
    }

    /** Publishes pending content. */
    boolean approves() {
      return this == APPROVE_POST || this == APPROVE_COMMENT;
    }

    /** The audit log names the action as the event does. */
    String auditName() {
      return event.wireName();
    }
  }

  private final Pool pool;
  private final EventLog events;
  private final Posts posts;
  private final Comments comments;

  public Moderation(Pool pool, EventLog events, Posts posts, Comments comments) {
    this.pool = pool;
    this.events = events;
    this.posts = posts;
    this.comments = comments;
  }

  /** The audit log, newest first. */
  Future<List<AuditLog.Entry>> log(Page page) {
    return AuditLog.list(pool, page);
  }

  /**
   * The editedAt a moderator read before acting: {@code given} false when they did not say; {@code editedAt} null
   * when the content had never been edited.
   */
  public record Seen(boolean given, Instant editedAt) {
    public static final Seen ANY = new Seen(false, null);
  }

  private static final String EDITED_POST = "SELECT edited_at FROM posts WHERE id = $1 FOR NO KEY UPDATE";
  private static final String EDITED_COMMENT = "SELECT edited_at FROM comments WHERE id = $1 FOR NO KEY UPDATE";

  /** A member's published posts, or comments, oldest first (through the author indexes of live rows). */
  private static final String PUBLISHED_POSTS = "SELECT id FROM posts WHERE author_id = $1 AND deleted_at IS NULL "
      + "AND hidden_at IS NULL AND pending_at IS NULL ORDER BY id";
  private static final String PUBLISHED_COMMENTS = "SELECT id FROM comments WHERE author_id = $1 "
      + "AND deleted_at IS NULL AND hidden_at IS NULL AND pending_at IS NULL ORDER BY id";
  /** What of theirs waits for review. */
  private static final String PENDING_POSTS = "SELECT id FROM posts WHERE author_id = $1 AND deleted_at IS NULL "
      + "AND pending_at IS NOT NULL ORDER BY id";
  private static final String PENDING_COMMENTS = "SELECT id FROM comments WHERE author_id = $1 "
      + "AND deleted_at IS NULL AND pending_at IS NOT NULL ORDER BY id";

  /** What {@link #takeDown} did: posts and comments hidden, and held ones declined. */
  public record TakenDown(int hiddenPosts, int hiddenComments, int rejectedPosts, int rejectedComments) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("hidden", new JsonObject().put("posts", hiddenPosts).put("comments", hiddenComments))
          .put("rejected", new JsonObject().put("posts", rejectedPosts).put("comments", rejectedComments));
    }
  }

  /**
   * Takes down everything a member has on the site (a spammer's wave, with their ban): every published post and
   * comment hidden, and everything waiting for review declined, each with {@code reason}, each as its own action
   * would be (one transaction each, its audit entry, its live events, its reports settled, its author told), one
   * after another so the pool stays free for everyone else. What another moderator or the author changed meanwhile
   * (hidden, deleted, decided already: 404 or 409) is left as it is.
   */
  public Future<TakenDown> takeDown(long authorId, Principal actor, String reason) {
    int[] done = new int[4];
    return passes(authorId, actor, reason, done, MAX_PASSES).map(v -> new TakenDown(done[0], done[1], done[2], done[3]));
  }

  /**
   * At most this many reads of what is still up: a write already past the door when the ban landed (a probe: five
   * comments of a member posting from eight threads) commits after the first read; a pass that finds nothing ends it.
   */
  private static final int MAX_PASSES = 3;

  private Future<Void> passes(long authorId, Principal actor, String reason, int[] done, int left) {
    int before = done[0] + done[1] + done[2] + done[3];
    return each(PUBLISHED_POSTS, authorId, id -> stillActing(Action.HIDE_POST, id, actor, reason), done, 0)
        .compose(v -> each(PUBLISHED_COMMENTS, authorId,
            id -> stillActing(Action.HIDE_COMMENT, id, actor, reason), done, 1))
        .compose(v -> each(PENDING_POSTS, authorId, id -> stillActing(Action.REJECT_POST, id, actor, reason), done, 2))
        .compose(v -> each(PENDING_COMMENTS, authorId,
            id -> stillActing(Action.REJECT_COMMENT, id, actor, reason), done, 3))
        .compose(v -> done[0] + done[1] + done[2] + done[3] > before && left > 1
            ? passes(authorId, actor, reason, done, left - 1) : Future.succeededFuture());
  }

  /**
   * One piece of a takedown, in the name of a moderator whose standing is read again in its own transaction: a
   * takedown lasts seconds to minutes, and one demoted or banned meanwhile must not go on acting (a probe: 2,272
   * hides entered in the name of a moderator demoted during one); the 403 ends the takedown there.
   */
  private Future<Void> stillActing(Action action, long id, Principal actor, String reason) {
    return events.transaction(box -> Standing.still(box.connection(), actor, "moderator")
        .compose(v -> act(box, action, id, actor, reason, false, Seen.ANY)).mapEmpty());
  }

  private Future<Void> each(String query, long authorId, java.util.function.LongFunction<Future<Void>> action,
      int[] done, int slot) {
    // One at a time (parley.db.Sequential): a chain built up front ran down thousands of pieces at once on a failure.
    return pool.preparedQuery(query).execute(Tuple.of(authorId)).compose(rows -> parley.db.Sequential.each(rows,
        row -> action.apply(row.getLong("id"))
            .map(x -> {
              done[slot]++;
              return (Void) null;
            })
            .recover(e -> e instanceof Problem p && (p.status() == 404 || p.status() == 409)
                ? Future.succeededFuture() : Future.failedFuture(e))));
  }

  /** Carries out an action on a post or comment. */
  Future<Void> act(Action action, long id, Principal actor, String reason) {
    return events.transaction(box -> act(box, action, id, actor, reason, false, Seen.ANY).mapEmpty());
  }

  /** Approves pending content; refused (409) if it was edited after the moderator read it, when they say when. */
  Future<Void> approve(Action action, long id, Principal actor, String reason, Seen seen) {
    return events.transaction(box -> act(box, action, id, actor, reason, false, seen).mapEmpty());
  }

  /**
   * Holds the content's row as an edit does, so no edit lands between this check and the action, and refuses the
   * action if the content is not as the moderator read it.
   */
  private static Future<Void> asSeen(SqlConnection conn, Action action, long id, Seen seen) {
    if (!seen.given()) return Future.succeededFuture();
    return conn.preparedQuery(action.target == Target.POST ? EDITED_POST : EDITED_COMMENT).execute(Tuple.of(id))
        .map(rows -> {
          if (rows.size() == 0) return null;  // gone: the action's own statement says so
          OffsetDateTime edited = rows.iterator().next().getOffsetDateTime("edited_at");
          Instant now = edited == null ? null : edited.toInstant().truncatedTo(ChronoUnit.MILLIS);
          Instant read = seen.editedAt() == null ? null : seen.editedAt().truncatedTo(ChronoUnit.MILLIS);
          if (!Objects.equals(now, read)) {
            throw Problem.conflict("editedAt", "It was edited after you read it: read it again before you approve it.");
          }
          return null;
        });
  }

  /**
   * The one flow of every content action; returns the reports it settled. Through a report, hiding what is already
   * hidden is not a conflict: the reports are closed as actioned.
   */
  private Future<List<Long>> act(EventLog.Outbox box, Action action, long id, Principal actor, String reason,
      boolean fromReport, Seen seen) {
    SqlConnection conn = box.connection();
    String notFound = action.target == Target.POST ? "No such post." : "No such comment.";
    Future<Optional<Threads.Locked>> locked = action.target == Target.POST ? Threads.lock(conn, id)
        : Threads.lockOfComment(conn, id);
    Tuple args = action.takesReason() ? Tuple.of(id, reason) : Tuple.of(id);
    return locked
        .compose(thread -> {
          if (thread.isEmpty()) {
            // A report's target is gone with its post (deleted): resolving the reports with a hide closes them, as
            // for a target already hidden, rather than leaving them open with a 404 that only dismiss gets past.
            if (fromReport && action.hides) return alreadyHidden(box, actor, action.target, id, reason);
            throw Problem.notFound(notFound);
          }
          if (action == Action.APPROVE_COMMENT && thread.get().hidden()) {
            // Its arrival would go to the parent comment's author on their own topic, which stays open to them while
            // the thread does not (a review: a reply approved into a hidden post reached them, text and all).
            throw Problem.conflict("The post is hidden: restore it before you approve its comments.");
          }
          return asSeen(conn, action, id, seen)
              .compose(v -> conn.preparedQuery(action.sql).execute(args))
              .compose(rows -> changed(box, action, id, actor, reason, fromReport, rows));
        });
  }

  /** What an action that changed its target's row ({@code rows}: none when it changed nothing) goes on to do. */
  private Future<List<Long>> changed(EventLog.Outbox box, Action action, long id, Principal actor, String reason,
      boolean fromReport, io.vertx.sqlclient.RowSet<Row> rows) {
    SqlConnection conn = box.connection();
    if (rows.size() == 0) {
      if (fromReport && action.hides) return alreadyHidden(box, actor, action.target, id, reason);
      throw Problem.conflict(action.conflict);
    }
    Row row = rows.iterator().next();
    Changed changed = new Changed(action, id, row.getLong("post_id"), row.getLong("author_id"), reason);
    boolean counts = action.countDelta != 0 && !row.getBoolean("deleted");
    Future<Optional<Publication>> stats = counts
        ? Threads.recount(conn, changed.postId, action.countDelta)
        : Future.succeededFuture(Optional.empty());
    return stats.compose(count -> settle(box, changed, actor)
        .compose(reportIds -> AuditLog.append(conn, actor, action.auditName(), action.target.wireName(), id,
                reason, changed.auditDetails(reportIds))
            .compose(entry -> threadCopy(conn, changed).compose(data -> arrival(conn, changed).compose(arrived -> {
              List<Publication> out = new ArrayList<>();
              Publication event = Publication.of(action.event, changed.authorId, data).onThread(changed.postId)
                  .forModerators(entry.toJson()).forAuthor(changed.noteForAuthor());
              // The feed never names a post its readers may not see.
              if (row.getColumnIndex("unlisted") >= 0 && row.getBoolean("unlisted")) event.notOnFeed();
              out.add(event);
              out.addAll(arrived);
              count.ifPresent(out::add);
              return box.publish(out.toArray(Publication[]::new));
            })))
            .compose(v -> action.decides() ? Claims.decided(box, action.target, id, actor) : Future.<Void>succeededFuture())
            .map(reportIds)));
  }

  /** One changed post or comment: its ids, whose it is, and why. */
  private record Changed(Action action, long id, long postId, long authorId, String reason) {

    /** The ids readers get (all that is left of content taken away). */
    JsonObject ids() {
      JsonObject ids = new JsonObject().put("id", id);
      return action.target == Target.COMMENT ? ids.put("postId", postId) : ids;
    }

    JsonObject noteForAuthor() {
      return action.needsReason ? ids().put("reason", reason) : ids();
    }

    JsonObject auditDetails(List<Long> reportIds) {
      JsonObject details = new JsonObject();
      if (action.target == Target.COMMENT) details.put("postId", postId);
      if (action.hides) details.put("reportIds", new JsonArray(reportIds));
      return details;
    }
  }

  /** Hiding erases the content from readers' copies in the log and settles the reports on it. */
  private static Future<List<Long>> settle(EventLog.Outbox box, Changed changed, Principal actor) {
    if (!changed.action.hides) return Future.succeededFuture(List.of());
    Target target = changed.action.target;
    // Moderators keep their copies: they still see hidden content.
    return box.scrub(target.wireName() + ":" + changed.id, changed.ids().put("removed", true), false)
        .compose(v -> target == Target.POST ? box.scrubThread(changed.id) : Future.<Void>succeededFuture())
        .compose(v -> Reports.close(box.connection(), target, changed.id, "actioned", actor, changed.reason));
  }

  /** An approval publishes the content as its writing would have: the same events, now. */
  private Future<List<Publication>> arrival(SqlConnection conn, Changed changed) {
    return switch (changed.action) {
      case APPROVE_POST -> posts.published(conn, changed.id).map(List::of);
      case APPROVE_COMMENT -> comments.published(conn, changed.id);
      default -> Future.succeededFuture(List.of());
    };
  }

  /** What the thread's readers get: the content as it now stands when restored, only its ids otherwise. */
  private Future<JsonObject> threadCopy(SqlConnection conn, Changed changed) {
    if (changed.action.event.content() == EventType.Content.NONE) return Future.succeededFuture(changed.ids());
    return changed.action.target == Target.POST ? posts.json(conn, changed.id) : comments.json(conn, changed.id);
  }

  /** A report on content that is already hidden: close it as actioned, and say so in the audit log. */
  private static Future<List<Long>> alreadyHidden(EventLog.Outbox box, Principal actor, Target target, long id,
      String reason) {
    SqlConnection conn = box.connection();
    return Reports.close(conn, target, id, "actioned", actor, reason).compose(ids -> ids.isEmpty()
        ? Future.succeededFuture(ids)
        : AuditLog.append(conn, actor, AuditLog.REPORT_ACTIONED, target.wireName(), id, reason,
            new JsonObject().put("reportIds", new JsonArray(ids)))
            .compose(entry -> Claims.decided(box, target, id, actor)).map(ids));
  }

  /**
   * The 409 for a dismissal that settled nothing: the reports it was for were resolved meanwhile. When it was for
   * the reports a moderator saw ({@code upTo}) and one filed since is open, it says so: that one was never shown to
   * them, and the thread's line, drawn again, shows it now.
   */
  private static Future<List<Long>> alreadyResolved(SqlConnection conn, Reports.Reported target, Long upTo) {
    Future<Boolean> newer = upTo == null ? Future.succeededFuture(false)
        : Reports.anyOpen(conn, target.type(), target.id());
    return newer.compose(open -> Future.failedFuture(Problem.conflict(open
        ? "The reports you saw are no longer open (another moderator settled them). A report filed since is still "
            + "open: read it before you settle it."
        : "The reports on this content are already resolved.")));
  }

  /** Resolves every open report on the target of report {@code reportId}: dismiss, or hide the target. */
  Future<Void> resolve(long reportId, Principal actor, boolean hide, String note, Long upTo) {
    return events.transaction(box -> Reports.targetOf(box.connection(), reportId).compose(target -> {
      Future<List<Long>> settled = hide
          ? act(box, Action.hide(target.type()), target.id(), actor, note == null ? "Reported content" : note, true,
              Seen.ANY)
          : Reports.close(box.connection(), target.type(), target.id(), "dismissed", actor, note, upTo).compose(ids -> {
            if (ids.isEmpty()) return alreadyResolved(box.connection(), target, upTo);
            return AuditLog.append(box.connection(), actor, AuditLog.REPORT_DISMISSED, target.type().wireName(), target.id(),
                note, new JsonObject().put("reportIds", new JsonArray(ids))).map(ids);
          });
      return settled.compose(ids -> {
        if (ids.isEmpty()) throw Problem.conflict("The reports on this content are already resolved.");
        // A hide settles every report (and its claim, in act). A dismissal up to upTo may leave one filed since open:
        // then the item is not decided, whoever is on it stays, and the dashboards read it again rather than saying
        // it was handled (stillOpen).
        Future<Boolean> stillOpen = hide ? Future.succeededFuture(false)
            : Reports.anyOpen(box.connection(), target.type(), target.id()).compose(open -> open
                ? Future.succeededFuture(true)
                : Claims.decided(box, target.type(), target.id(), actor).map(false));
        return stillOpen.compose(open -> box.publish(Publication.of(EventType.REPORT_RESOLVED, null, new JsonObject()
            .put("targetType", target.type().wireName()).put("targetId", target.id())
            .put("action", hide ? "hide" : "dismiss").put("note", note).put("reportIds", new JsonArray(ids))
            .put("resolvedBy", new JsonObject().put("username", actor.username())).put("stillOpen", open))));
      });
    }));
  }
}
