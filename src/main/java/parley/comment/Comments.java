package parley.comment;

import parley.account.Mentions;
import parley.markdown.Markdown;
import parley.moderation.AuditLog;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.events.Topics;
import parley.http.Idempotency;
import parley.http.Page;
import parley.access.Principal;
import parley.http.Problem;
import parley.post.Threads;
import parley.access.Visibility;
import parley.report.Claims;
import parley.report.Reports;
import parley.screening.Screening;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.HashSet;
import java.util.Set;

/**
 * The comment feature's API for the rest of Parley: comments in PostgreSQL. Every write locks its post's row first
 * (through {@link Threads}: adding a comment in the statement that counts it, editing or deleting through an explicit
 * lock), then the thread's event counter, then any user counters
 * in id order: writes to one thread are serialised in one order, writes to different threads never wait for each
 * other, and no two writes can deadlock.
 */
public final class Comments {

  /**
   * A new comment, in one statement: the thread's post row locked ($1, see {@link Threads#lockForComment}); then
   * what decides whether it may be written, read once that lock is held: whether the post is hidden or pending,
   * whether the thread is locked, the parent ($2, or null) if it is a comment on this post, with its author and
   * state, and whether the post's author or the parent's has blocked the commenter ($3), or been blocked by them (a
   * block closes replies both ways); then, only if nothing refuses it, the thread's count moved ($7: 1, or 0 for a
   * pending comment) and the comment inserted ($4 body, $5 its HTML, $6 why it is held, or null). No row when the
   * post does not exist or was deleted; otherwise one, whose comment columns are null when it was refused.
   *
   * <p>The statement's snapshot is taken before it waits for the post row, so what a write holding that row changed
   * is seen only through row locks, which find the latest version: the post's own (FOR NO KEY UPDATE), and the
   * parent's, read FOR SHARE, so a parent hidden or deleted by such a write is seen (ThreadsTest). FOR KEY SHARE, the
   * lock the reply's foreign key takes anyway, would not do: it is satisfied by the old version of a row whose key
   * did not change. FOR SHARE waits for a vote on the parent in progress, and a vote on it waits for the reply's
   * commit; neither holds anything the other then needs. The block check reads the statement's snapshot: blocking
   * takes no thread's lock, so a block and a comment racing were never ordered.
   */
  private static final String ADD = """
      WITH p AS MATERIALIZED (%s),
      r AS MATERIALIZED (
        SELECT p.author_id AS post_author, p.locked, p.restricted, pc.id IS NOT NULL AS parent_found,
               pc.author_id AS parent_author, (pc.deleted_at IS NOT NULL OR %s) AS parent_deleted, %s, %s AS blocked,
               %s AS blocking, (pc.pending_at IS NOT NULL OR pc.rejected_reason IS NOT NULL) AS parent_unpublished
          FROM p LEFT JOIN LATERAL (
            SELECT * FROM comments WHERE id = $2::bigint AND post_id = p.id FOR SHARE) pc ON true),
      accepted AS (
        SELECT 1 FROM r WHERE NOT r.restricted AND NOT r.locked AND NOT r.blocked AND NOT r.blocking
           AND ($2::bigint IS NULL OR (r.parent_found AND NOT r.parent_deleted AND NOT r.parent_hidden))),
      counted AS (%s),
      c AS (
        INSERT INTO comments (post_id, parent_id, author_id, body, body_html, pending_at, pending_reason)
        SELECT $1, $2, $3, $4, $5, CASE WHEN $6::text IS NOT NULL THEN now() END, $6 FROM accepted
        RETURNING *)
      SELECT r.*, counted.comment_count, %s
        FROM r LEFT JOIN counted ON true LEFT JOIN c ON true LEFT JOIN users u ON u.id = c.author_id""".formatted(
      Threads.lockForComment("$1"), Visibility.authorDeleted("pc.author_id"),
      Visibility.restricted("pc", "parent_hidden"), Visibility.commenterBlocked("$3", "p.author_id", "pc.author_id"),
      Visibility.commenterBlocking("$3", "p.author_id", "pc.author_id"), Threads.countComment("$1", "$7", "accepted"),
      Comment.COLUMNS);

  /** Who a comment's arrival concerns besides its thread: the post's author and the parent comment's. */
  private static final String CONCERNED = "SELECT p.author_id AS post_author, pc.author_id AS parent_author "
      + "FROM comments c JOIN posts p ON p.id = c.post_id LEFT JOIN comments pc ON pc.id = c.parent_id WHERE c.id = $1";

  /**
   * One page of a thread, oldest first, in one query: the post row decides 404 (no row) versus an empty page
   * (one row of nulls) and carries the thread's seq from the same snapshot; comments come through the
   * comments_thread index.
   */
  /** A thread page's statement for one order (public for the plan tests). */
  public static String list(CommentSort sort) {
    return """
      SELECT %s, COALESCE(t.seq, 0) AS thread_seq, b.blocker_id IS NOT NULL AS author_blocked
        FROM posts p
        LEFT JOIN topic_seqs t ON t.topic = '%s' || p.id
        LEFT JOIN LATERAL (
          SELECT * FROM comments
           WHERE post_id = p.id AND %s AND %s
           ORDER BY %s
           LIMIT $3) c ON true
        LEFT JOIN users u ON u.id = c.author_id
        %s
       WHERE p.id = $1 AND %s
       ORDER BY %s""".formatted(Comment.COLUMNS, Topics.POST_PREFIX, sort.where(),
          Visibility.inThreadFor("", "$4", "$5"), sort.orderBy(""), Visibility.blockedJoin("b", "$4", "c.author_id"),
          Visibility.readableBy("p", "$4", "$5"), sort.orderBy("c."));
  }

  private static final java.util.Map<CommentSort, String> LISTS = new java.util.EnumMap<>(CommentSort.class);

  static {
    for (CommentSort sort : CommentSort.values()) LISTS.put(sort, list(sort));
  }

  /**
   * A profile's comments, newest first, with their post's title (null when the reader $4 blocked that post's author);
   * no row when the user does not exist; through comments_by_author. The user themself ($4) also gets their hidden and
   * pending ones on threads they may read: a second branch, empty for anyone else, so that the listed branch keeps
   * its partial index; it reads all of the author's restricted comments (a few) through comments_restricted_by_author,
   * and the outer sort pages them (QueriesTest checks both plans).
   */
  private static final String BY_AUTHOR = """
      SELECT %s,
             CASE WHEN %s THEN p.title END AS post_title
        FROM users a
        LEFT JOIN LATERAL (
          SELECT * FROM (
            (SELECT c.* FROM comments c JOIN posts x ON x.id = c.post_id
              WHERE c.author_id = a.id AND %s
                AND %s
                AND c.id < COALESCE($2, 9223372036854775807)
                AND %s
              ORDER BY c.id DESC
              LIMIT $3)
            UNION ALL
            (SELECT c.* FROM comments c JOIN posts x ON x.id = c.post_id
              WHERE c.author_id = a.id AND a.id = $4 AND %s AND c.deleted_at IS NULL
                AND %s
                AND c.id < COALESCE($2, 9223372036854775807))) mine
           ORDER BY id DESC
           LIMIT $3) c ON true
        LEFT JOIN users u ON u.id = c.author_id
        LEFT JOIN posts p ON p.id = c.post_id
       WHERE lower(a.username) = lower($1)
       ORDER BY c.id DESC""".formatted(Comment.COLUMNS, Visibility.notBlocked("$4", "p.author_id"),
          Visibility.listed("c"), Visibility.listed("x"), Visibility.notBlocked("$4", "a.id"),
          Visibility.restrictedRow("c"), Visibility.readableBy("x", "$4", "false"));

  /** A comment on a readable post, with whether $2 (the reader, or 0) blocked its author. */
  private static final String FIND = "SELECT " + Comment.COLUMNS + ", b.blocker_id IS NOT NULL AS author_blocked"
      + " FROM comments c JOIN posts p ON p.id = c.post_id JOIN users u ON u.id = c.author_id"
      + " " + Visibility.blockedJoin("b", "$2", "c.author_id")
      + " WHERE c.id = $1 AND " + Visibility.readableBy("p", "$2", "$3")
      + " AND " + Visibility.inThreadFor("c", "$2", "$3");

  private static final String LOCK_COMMENT = "SELECT author_id, post_id, deleted_at IS NOT NULL AS deleted, "
      + "hidden_at IS NOT NULL AS hidden, pending_at IS NOT NULL AS pending, body, body_html FROM comments "
      + "WHERE id = $1 FOR NO KEY UPDATE";

  private static final String UPDATE = "UPDATE comments SET body = $2, body_html = $3, edited_at = now() WHERE id = $1";

  /** Erases a deleted comment's text, and its earlier versions with it (V20). */
  private static final String TOMBSTONE = "WITH versions AS (DELETE FROM comment_revisions WHERE comment_id = $1) "
      + "UPDATE comments SET body = '', body_html = '', deleted_at = now() WHERE id = $1";

  /** A comment and whether the reader blocked its author. */
  public record Seen(Comment comment, boolean authorBlocked) {
  }

  /** A page of a thread as one reader sees it, and the thread's seq at the moment it was read. */
  public record ThreadPage(List<Seen> comments, long seq) {
  }

  private final Pool pool;
  private final EventLog events;
  private final Screening screening;
  private final int maxGroup;
  private final Counter arrived;
  /** This verticle's part in the node's group commit: its groups if it is the node's writer, its hand-over if not. */
  private final CommentWriter writer;

  /**
   * Comments read through {@code pool}, written through {@code events}' transactions and screened on the way in;
   * at most {@code maxGroup} new comments in one transaction (see {@link #insert}). Made on the HTTP verticle's
   * context and called only from it, as its routes are.
   */
  public Comments(Pool pool, EventLog events, Screening screening, int maxGroup, Duration waitLimit,
      MeterRegistry meters, CommentWriter.Writers writers) {
    this.pool = pool;
    this.events = events;
    this.screening = screening;
    this.maxGroup = maxGroup;
    // Registered once per node: every HTTP verticle's Comments counts into the same meters.
    this.arrived = Counter.builder("parley_comment_group_members")
        .description("New comments to write, in groups or (PARLEY_COMMENT_GROUP_SIZE 1) alone").register(meters);
    this.writer = new CommentWriter(events, screening, maxGroup, waitLimit, meters, writers, this::insertAlone);
  }

  Pool pool() {
    return pool;
  }

  /**
   * Writes a new comment: published at once (to the thread, the post's and parent's authors and the moderators), or,
   * when screening holds it, pending (to the moderators' queue and its author only, and not counted).
   *
   * <p><b>Group commit</b> ({@link CommentWriter}). The node writes at most one group of new comments at a time, on
   * one event loop (the writer's: a comment that arrives on another is handed to it, and answered back on its own). A
   * comment that arrives while none is in flight starts one at once, alone; comments that arrive while one is in
   * flight wait for it and then go together, up to {@code maxGroup} of them, in one transaction whose statements
   * each serve the whole group, so PostgreSQL pays for each statement, and the durable commit, once per group rather
   * than once per comment. Each comment still gets its own answer: its own refusal, in the order a comment alone
   * would get it, changes nothing of the others'; its answer is given once the group's transaction has
   * ended (committed, or rolled back when it wrote nothing). A group whose transaction fails as a whole (a deadlock
   * with another writer, say) is written again one comment at a time ({@link #insertAlone}), so no comment is refused
   * for another's fault. Two comments with one Idempotency-Key never share a group: the second waits for the next
   * one, where its claim finds the first's answer, as it would have waited for the first's transaction.
   */
  public Future<Comment> insert(long postId, Principal author, CommentInput input, Idempotency.Claim<Comment> claim) {
    // Rendered here, on the request's own event loop and before any transaction (its mentions looked up with a
    // connection of its own, when it has any): inside the group's transaction the threads' rows would stay locked, and
    // its connection idle, while the writer's one loop rendered every comment of the group.
    long arrivedNanos = System.nanoTime();
    if (maxGroup > 1 && writer.refusesMore()) return Future.failedFuture(CommentWriter.tooManyWaiting());
    return Mentions.render(pool, input.body()).compose(rendered -> {
      arrived.increment();
      if (maxGroup == 1) {
        return insertAlone(postId, author, input, rendered, claim, arrivedNanos);
      }
      return writer.insert(postId, author, input, rendered, claim, arrivedNanos);
    });
  }

  /** Called by the HTTP verticle once its server listens: from then on the writer's stop waits for its own. */
  public void serving() {
    writer.serving();
  }

  /** Called by the HTTP verticle once its server has closed, before its context ends ({@link CommentWriter#stop}). */
  public Future<Void> stop(Duration bound) {
    return writer.stop(bound);
  }

  /**
   * Whether a group of new comments is in flight on this verticle's loop (only ever on the node's writer's, and for
   * comments from every loop): the live side yields its loop to it as to a request of its own. Read on that loop.
   */
  public boolean groupInFlight() {
    return writer.groupInFlight();
  }

  /**
   * A new comment in its own transaction: the way every comment was written before group commit, and the way a
   * group's comments are written again when the group's transaction failed.
   *
   * <p>Its Markdown {@code rendered} before (see {@link #insert}). In three round trips, each a batch of statements
   * sent together (see {@link EventLog}): BEGIN, the idempotency claim and the reads that decide what is written (the
   * moderators' filters, a new account's count);
   * then the comment's one statement ({@link #ADD}: the thread locked, the checks, the count and the INSERT); then
   * the events (one statement), the idempotency answer and COMMIT. The refusals come in the order they always did:
   * refused by a filter (422), no such post (404), a hidden or pending post (404, or 409 for those who can read it),
   * a locked thread (409), a bad parent (422, or 409 when it was removed), blocked (403); a refused comment writes
   * nothing, and its transaction rolls back.
   */
  Future<Comment> insertAlone(long postId, Principal author, CommentInput input, Markdown.Rendered rendered,
      Idempotency.Claim<Comment> claim, long arrivedNanos) {
    return events.transaction(claim, box -> screening.screen(box.connection(), author, Screening.Kind.COMMENT,
            input.body(), rendered.links())
        .compose(verdict -> write(box, postId, author, input, rendered, verdict)), arrivedNanos);
  }

  /** Writes the comment in its one statement, refuses it or sends its events (not waiting for them: see EventLog). */
  private static Future<Comment> write(EventLog.Outbox box, long postId, Principal author, CommentInput input,
      Markdown.Rendered rendered, Screening.Verdict verdict) {
    long authorId = author.id();
    Tuple args = Tuple.of(postId, input.parentId(), authorId, input.body(), rendered.html(), verdict.heldFor(),
        verdict.held() ? 0 : 1);
    return box.connection().preparedQuery(ADD).execute(args).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such post.");
      Row row = rows.iterator().next();
      takesComments(row, author);
      Long parent = parentAuthor(row, input.parentId(), author);
      Comment comment = Comment.fromRow(row);
      if (comment.pending()) {
        box.publish(Publication.of(EventType.COMMENT_PENDING, authorId, comment.toJson())
            .forModerators(comment.toJson().put("pendingReason", verdict.heldFor())));
      } else {
        List<Publication> out = created(comment, row.getLong("post_author"), parent);
        out.add(Threads.stats(postId, row.getInteger("comment_count")));
        box.publish(out.toArray(Publication[]::new));
      }
      return comment;
    });
  }

  /**
   * Refuses a comment on a thread that takes none: a hidden or pending post (a 404 for those who may not know it
   * exists; its author and moderators, who can read it, are told why, as a vote on it is), then a locked one.
   */
  static void takesComments(Row row, Principal author) {
    if (row.getBoolean("restricted")) {
      if (!Visibility.seesHidden(author, row.getLong("post_author"))) throw Problem.notFound("No such post.");
      throw Problem.conflict("This post is hidden or waiting for review: it takes no comments.");
    }
    if (row.getBoolean("locked")) throw Problem.conflict("This thread is locked: it takes no new comments.");
  }

  /**
   * Checks the parent is a live comment on the same post and that neither it nor the post is by someone who blocked
   * the commenter, or whom the commenter blocked; returns the parent's author (to notify), or null for a top-level
   * comment.
   */
  static Long parentAuthor(Row row, Long parentId, Principal commenter) {
    // parent_unpublished: never published (waiting for review, or rejected), so it exists for its author and the
    // moderators alone; to anyone else a reply to it is one to no comment at all.
    if (parentId != null) {
      // A comment never published is no comment to whoever may not read it: a 409 told anyone trying ids that a
      // held (or rejected) comment was there, and on which post (a probe).
      boolean unseen = row.getBoolean("parent_found") && row.getBoolean("parent_unpublished")
          && !Visibility.seesHidden(commenter, row.getLong("parent_author"));
      if (!row.getBoolean("parent_found") || unseen) throw Problem.invalid("parentId", "must be a comment on this post");
      if (row.getBoolean("parent_deleted") || row.getBoolean("parent_hidden")) {
        // Removed, or still waiting for review (nobody else can see it to reply to).
        throw Problem.conflict("parentId", "the comment you are replying to was removed or is not published");
      }
    }
    if (row.getBoolean("blocked")) throw Problem.forbidden("You can't comment here.");
    if (row.getBoolean("blocking")) {
      throw Problem.forbidden(parentId == null ? "You blocked the author of this post: unblock them to comment here."
          : "You blocked the author of this post or of the comment you are replying to: unblock them to reply.");
    }
    return parentId == null ? null : row.getLong("parent_author");
  }

  /**
   * A comment's arrival: for its thread and the moderators, and for the post's author and the parent comment's
   * (never the commenter themselves).
   */
  static List<Publication> created(Comment comment, long postAuthor, Long parentAuthor) {
    JsonObject json = comment.toJson();
    Set<Long> notify = new HashSet<>();
    notify.add(postAuthor);
    if (parentAuthor != null) notify.add(parentAuthor);
    notify.remove(comment.authorId());
    List<Publication> out = new ArrayList<>();
    out.add(Publication.of(EventType.COMMENT_CREATED, comment.authorId(), json).onThread(comment.postId()));
    out.add(Publication.of(EventType.REPLY_CREATED, comment.authorId(), json).toUsers(notify));
    return out;
  }

  /** The arrival of a comment a moderator just approved, read in the approval's transaction. */
  public Future<List<Publication>> published(SqlClient client, long id) {
    return findAny(client, id).compose(comment -> client.preparedQuery(CONCERNED).execute(Tuple.of(id))
        .map(rows -> {
          Row row = rows.iterator().next();
          return created(comment, row.getLong("post_author"), row.getLong("parent_author"));
        }));
  }

  /** A page of the thread as the reader may see it, or empty when the post does not exist for them. */
  public Future<Optional<ThreadPage>> list(long postId, Page page, Principal reader, CommentSort sort) {
    Tuple args = Tuple.of(postId, page.after(), page.fetchSize(), readerId(reader), reader != null && reader.isModerator());
    return pool.preparedQuery(LISTS.get(sort)).execute(sort.cursor(args, page)).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      List<Seen> comments = new ArrayList<>(rows.size());
      long seq = 0;
      for (Row row : rows) {
        seq = row.getLong("thread_seq");
        if (row.getLong("id") != null) comments.add(new Seen(Comment.fromRow(row), row.getBoolean("author_blocked")));
      }
      return Optional.of(new ThreadPage(comments, seq));
    });
  }

  /** A user's comments (each with its post's title), or empty when there is no such user. */
  public Future<Optional<List<JsonObject>>> byAuthor(String username, Page page, long readerId) {
    return pool.preparedQuery(BY_AUTHOR).execute(Tuple.of(username, page.after(), page.fetchSize(), readerId))
        .map(rows -> {
          if (rows.size() == 0) return Optional.empty();
          List<JsonObject> comments = new ArrayList<>();
          rows.forEach(row -> {
            if (row.getLong("id") != null) {
              comments.add(Comment.fromRow(row).toJson().put("postTitle", row.getString("post_title")));
            }
          });
          return Optional.of(comments);
        });
  }

  public Future<Optional<Seen>> find(long id, Principal reader) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(id, readerId(reader), reader != null && reader.isModerator()))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(new Seen(Comment.fromRow(rows.iterator().next()),
            rows.iterator().next().getBoolean("author_blocked"))));
  }

  private static long readerId(Principal reader) {
    return reader == null ? 0 : reader.id();
  }

  /** Edits a comment's body; only its author may, and not once it is deleted. */
  public Future<Comment> update(long id, Principal caller, CommentInput input) {
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return lock(conn, id)
          .compose(target -> {
            if (target.authorId() != caller.id()) {
              // What the caller may not read is not there for them: a 403 would say a held comment exists.
              if (unseen(target, caller)) throw Problem.notFound("No such comment.");
              throw Problem.forbidden("Only the comment's author may edit it.");
            }
            if (target.deleted()) throw Problem.conflict("The comment was deleted.");
            if (target.hidden()) throw Problem.conflict("A moderator removed this comment; it can't be edited.");
            if (target.postHidden() && !caller.isModerator()) {
              // Whoever may not read the hidden thread (all but its author) finds no comment there, as a read
              // does: a 409 naming the hide told a commenter that the thread was hidden rather than deleted.
              if (target.postAuthorId() != caller.id()) throw Problem.notFound("No such comment.");
              // Readers of a hidden thread hear nothing more from it, so nothing in it changes either.
              throw Problem.conflict("A moderator hid this thread; its comments can't be edited.");
            }
            return screening.screenEdit(conn, caller, input.body())
                .compose(filters -> Mentions.render(conn, input.body()).compose(rendered -> {
                  // Pending content is the moderators' to read anyway; published content they hear of (V22).
                  String why = target.pending() ? null : screening.reviewEdit(caller, filters, target.body(),
                      Markdown.linkTargets(target.bodyHtml()), input.body(), Markdown.linkTargets(rendered.html()));
                  return conn.preparedQuery(UPDATE).execute(Tuple.of(id, input.body(), rendered.html())).map(why);
                }));
          })
          .compose(why -> findAny(conn, id).compose(comment -> (why == null ? Future.<Void>succeededFuture()
              : Reports.fileForScreening(box, Reports.Target.COMMENT, id, why)).map(comment)))
          // Earlier copies in the log (its arrival, a reply to someone, earlier edits) carry the new version.
          .compose(comment -> box.renew("comment:" + id, comment.toJson(), null).map(comment))
          // A pending comment has no readers yet: its edit is news to the moderators who will review it, no one else.
          .compose(comment -> box.publish(comment.pending()
              ? Publication.of(EventType.COMMENT_PENDING_EDITED, comment.authorId(), comment.toJson())
              : Publication.of(EventType.COMMENT_EDITED, comment.authorId(), comment.toJson())
                  .onThread(comment.postId())).map(comment));
    });
  }

  /**
   * Turns a comment into a tombstone and keeps the post's count exact; its author or a moderator may. Deleting a
   * tombstone again changes nothing.
   */
  public Future<Void> delete(long id, Principal caller) {
    return delete(events, id, caller);
  }

  /** No post named: the comment's id alone addresses it. */
  private static final long ANY_POST = -1;

  /**
   * As {@link #delete(long, Principal)}, for an address that names the comment's post too (RealWorld's
   * {@code /articles/:slug/comments/:id}): a comment on another post, or one deleted already, is not there (404). Its
   * author deletes it wherever it is, as on Parley's own route (a lookup through what the author may read refused
   * one in a thread hidden since: a review).
   */
  public Future<Void> deleteOn(long postId, long id, Principal caller) {
    return delete(events, id, caller, postId);
  }

  /** As {@link #delete(long, Principal)}, through {@code events}' transactions: for work outside a verticle's routes. */
  public static Future<Void> delete(EventLog events, long id, Principal caller) {
    return delete(events, id, caller, ANY_POST);
  }

  /** The deletion; {@code onPost} the post the address names, or {@link #ANY_POST}. */
  private static Future<Void> delete(EventLog events, long id, Principal caller, long onPost) {
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return lock(conn, id).compose(target -> {
        if (onPost != ANY_POST && (target.postId() != onPost || target.deleted())) {
          throw Problem.notFound("No such comment.");
        }
        if (target.authorId() != caller.id() && !caller.isModerator()) {
          if (unseen(target, caller)) throw Problem.notFound("No such comment.");
          throw Problem.forbidden("Only the comment's author or a moderator may delete it.");
        }
        if (target.deleted()) return Future.succeededFuture();
        JsonObject removed = new JsonObject().put("id", id).put("postId", target.postId());
        // Nobody is on what is gone: its claim ends with it (said to the moderators, whose card of it goes). A
        // moderator's deletion of someone else's comment is theirs to answer for: in the audit log, as a hide is
        // (it was in none: a page review).
        Future<JsonObject> forModerators = Claims.gone(box, Reports.Target.COMMENT, id, caller)
            .compose(v -> AuditLog.deletion(conn, caller, target.authorId(), "comment", id,
                new JsonObject().put("postId", target.postId())))
            .map(entry -> entry.map(e -> removed.copy().put("entry", e.toJson())).orElse(removed));
        // A pending comment was never published: only the moderators (whose card of it goes) and its author's
        // other tabs hear of it (open pages kept it, "waiting for review", until a reload: a page review).
        if (target.pending()) {
          return forModerators.compose(mods -> conn.preparedQuery(TOMBSTONE).execute(Tuple.of(id))
              .compose(v -> box.publish(Publication.of(EventType.COMMENT_PENDING_DELETED, target.authorId(), removed)
                  .forModerators(mods)))).mapEmpty();
        }
        // The body is erased from the log's copies too, so no replay can bring it back.
        Future<?> tombstone = forModerators.compose(mods -> conn.preparedQuery(TOMBSTONE).execute(Tuple.of(id))
            .compose(v -> box.scrub("comment:" + id, removed.copy().put("removed", true), true))
            .compose(v -> box.publish(Publication.of(EventType.COMMENT_DELETED, target.authorId(), removed)
                .onThread(target.postId()).forModerators(mods))));
        // A hidden comment was taken out of the count when it was hidden; a pending one was never in it.
        if (target.hidden() || target.pending()) return tombstone.mapEmpty();
        return tombstone
            .compose(v -> Threads.recount(conn, target.postId(), -1))
            .compose(stats -> stats.isPresent() ? box.publish(stats.get()) : Future.succeededFuture());
      });
    });
  }

  private record Target(long authorId, long postId, boolean deleted, boolean hidden, boolean pending,
      boolean postHidden, long postAuthorId, String body, String bodyHtml) {
  }

  /**
   * Whether someone other than its author cannot read the comment: held for review, or in a hidden thread (which its
   * post's author still reads).
   */
  private static boolean unseen(Target target, Principal caller) {
    return !caller.isModerator() && (target.pending() || target.postHidden() && target.postAuthorId() != caller.id());
  }

  /** Locks the comment's post, then the comment: the same order as every other write to the thread. */
  private static Future<Target> lock(SqlConnection conn, long id) {
    return Threads.lockOfComment(conn, id)
        .compose(found -> {
          Threads.Locked post = found.orElseThrow(() -> Problem.notFound("No such comment."));
          return conn.preparedQuery(LOCK_COMMENT).execute(Tuple.of(id)).map(rows -> {
            Row row = rows.iterator().next();
            return new Target(row.getLong("author_id"), row.getLong("post_id"), row.getBoolean("deleted"),
                row.getBoolean("hidden"), row.getBoolean("pending"), post.hidden(), post.authorId(),
                row.getString("body"), row.getString("body_html"));
          });
        });
  }

  /** A comment's public JSON, exactly as GET /api/comments/{id} shows it, read in the caller's transaction. */
  public Future<JsonObject> json(SqlClient client, long id) {
    return findAny(client, id).map(Comment::toJson);
  }

  /** The comment as it stands, for the events of a write (whoever may see it). */
  private static Future<Comment> findAny(SqlClient client, long id) {
    return client.preparedQuery(FIND).execute(Tuple.of(id, 0L, true))
        .map(rows -> Comment.fromRow(rows.iterator().next()));
  }
}
