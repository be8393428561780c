package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Visibility;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Iso;
import parley.http.Problem;
import parley.markdown.Markdown;
import parley.report.Claims;
import parley.screening.Filter;
import parley.screening.Screening;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * What moderators read and keep beside their actions: the pending queue, the recent-content stream, the word and
 * pattern list (every change in the audit log), and a user's card (their record and the moderators' private notes).
 */
public final class Review {

  /** Pending posts and comments, oldest first ($1 limit), with why each was held. */
  private static final String PENDING = """
      SELECT * FROM (
        SELECT 'post' AS target_type, p.id, p.id AS post_id, NULL::bigint AS parent_id, p.title AS post_title,
               p.body, p.body_html, p.created_at, p.edited_at, p.pending_at, p.pending_reason, u.username,
               u.created_at AS joined
          FROM posts p JOIN users u ON u.id = p.author_id
         WHERE p.pending_at IS NOT NULL AND p.deleted_at IS NULL
        UNION ALL
        SELECT 'comment', c.id, c.post_id, c.parent_id, cp.title, c.body, c.body_html, c.created_at, c.edited_at,
               c.pending_at, c.pending_reason, u.username, u.created_at
          FROM comments c JOIN posts cp ON cp.id = c.post_id JOIN users u ON u.id = c.author_id
         WHERE c.pending_at IS NOT NULL AND c.deleted_at IS NULL) q
       ORDER BY pending_at, target_type, id
       LIMIT $1""";

  private static final String PENDING_COUNT = """
      SELECT (SELECT count(*) FROM posts WHERE pending_at IS NOT NULL AND deleted_at IS NULL)
           + (SELECT count(*) FROM comments WHERE pending_at IS NOT NULL AND deleted_at IS NULL) AS total""";

  /**
   * The newest posts and comments in every state, newest first ($1 limit): the new-content stream's history. A post's
   * excerpt is its stored one; a comment's is made of the start of its Markdown ({@link #COMMENT_EXCERPT}).
   */
  private static final String RECENT = """
      SELECT * FROM (
        (SELECT 'post' AS target_type, p.id, p.id AS post_id, p.title AS post_title, p.excerpt, p.created_at,
                p.edited_at, u.username, p.hidden_at IS NOT NULL AS hidden, p.pending_at IS NOT NULL AS pending
           FROM posts p JOIN users u ON u.id = p.author_id WHERE p.deleted_at IS NULL ORDER BY p.id DESC LIMIT $1)
        UNION ALL
        (SELECT 'comment', c.id, c.post_id, cp.title, left(c.body, 4000), c.created_at, c.edited_at, u.username,
                c.hidden_at IS NOT NULL, c.pending_at IS NOT NULL
           FROM comments c JOIN posts cp ON cp.id = c.post_id JOIN users u ON u.id = c.author_id
          WHERE c.deleted_at IS NULL ORDER BY c.id DESC LIMIT $1)) q
       ORDER BY created_at DESC
       LIMIT $1""";

  private static final String ADD_FILTER = "INSERT INTO mod_filters (kind, pattern, action, created_by) "
      + "VALUES ($1, $2, $3, $4) RETURNING id, created_at";

  private static final String REMOVE_FILTER = "DELETE FROM mod_filters WHERE id = $1 RETURNING kind, pattern, action";

  /**
   * A member as moderators see them, with their counts. Their published posts and comments, and the reports filed
   * against their content, are kept as that content changes ({@link parley.account.MemberCounts}; counted here, the
   * card read every post and comment of the member, then each one's reports: 93 ms for a member with 20,000
   * comments, docs/benchmarks/reads-at-scale.md); what a moderator hid or holds is counted, through the author's
   * partial indexes of such content. Public for the plan tests.
   */
  public static final String USER = """
      SELECT u.id, u.username, u.role, u.created_at, u.banned_until, u.ban_reason,
             COALESCE(m.posts, 0) AS posts, %s AS comments,
             (SELECT count(*) FROM posts p WHERE p.author_id = u.id AND p.hidden_at IS NOT NULL)
               + (SELECT count(*) FROM comments c WHERE c.author_id = u.id AND c.hidden_at IS NOT NULL) AS hidden,
             (SELECT count(*) FROM posts p WHERE p.author_id = u.id AND p.pending_at IS NOT NULL
                 AND p.deleted_at IS NULL)
               + (SELECT count(*) FROM comments c WHERE c.author_id = u.id AND %s AND c.pending_at IS NOT NULL
                 AND c.deleted_at IS NULL) AS pending,
             COALESCE(m.reports, 0) AS reports,
             (SELECT count(*) FROM mod_log l WHERE l.target_type = 'user' AND l.target_id = u.id
                 AND l.action = 'user.banned') AS bans
        FROM users u LEFT JOIN member_counts m ON m.user_id = u.id
       WHERE lower(u.username) = lower($1)""".formatted(parley.account.MemberCounts.comments("u.id"),
          Visibility.restrictedRow("c"));

  private static final String NOTES = "SELECT n.id, n.body, n.created_at, a.username FROM user_notes n "
      + "JOIN users a ON a.id = n.author_id WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT 50";

  private static final String ADD_NOTE = "INSERT INTO user_notes (user_id, author_id, body) VALUES ($1, $2, $3) "
      + "RETURNING id, created_at";

  private static final String USER_ID = "SELECT id, username FROM users WHERE lower(username) = lower($1)";

  /**
   * A thread as its moderators need it on the page ($1 the post): the post, then each of its comments that is hidden,
   * held for review or has open reports, oldest first; for each, who hid it, when and why, who locked the thread and
   * when (the latest such entry of the audit log: the one in force while the content is hidden or locked), why it was
   * held, its open reports by reason, and the words of the newest three open reports that give any (the reporter's
   * own details, with who and when): what a moderator reads before acting on the thread itself. No row: no such post.
   * Public for the plan tests.
   */
  public static final String THREAD = """
      WITH p AS (
        SELECT id, hidden_at, hidden_reason, locked_at, pending_at, pending_reason FROM posts
         WHERE id = $1 AND deleted_at IS NULL
      ), items AS (
        SELECT 'post'::text AS target_type, p.id, p.hidden_at, p.hidden_reason, p.locked_at, p.pending_at,
               p.pending_reason FROM p
        UNION ALL
        SELECT 'comment', c.id, c.hidden_at, c.hidden_reason, NULL::timestamptz, c.pending_at, c.pending_reason
          FROM comments c JOIN p ON c.post_id = p.id
         WHERE c.id IN (
                 -- The thread's hidden and held comments, and its reported ones: each through an index of its own
                 -- (V23), so the read is of what it returns, not of every comment of the thread.
                 SELECT f.id FROM comments f
                  WHERE f.post_id = $1 AND f.deleted_at IS NULL AND (f.hidden_at IS NOT NULL OR f.pending_at IS NOT NULL)
                 UNION
                 SELECT r.target_id FROM reports r WHERE r.post_id = $1 AND r.status = 'open' AND r.target_type = 'comment')
           AND c.deleted_at IS NULL
      )
      SELECT i.target_type, i.id, i.hidden_at, i.hidden_reason, i.locked_at, i.pending_at, i.pending_reason,
             CASE WHEN i.hidden_at IS NOT NULL THEN (SELECT u.username FROM mod_log l JOIN users u ON u.id = l.actor_id
               WHERE l.target_type = i.target_type AND l.target_id = i.id AND l.action = i.target_type || '.hidden'
               ORDER BY l.id DESC LIMIT 1) END AS hidden_by,
             CASE WHEN i.locked_at IS NOT NULL THEN (SELECT u.username FROM mod_log l JOIN users u ON u.id = l.actor_id
               WHERE l.target_type = 'post' AND l.target_id = i.id AND l.action = 'post.locked'
               ORDER BY l.id DESC LIMIT 1) END AS locked_by,
             CASE WHEN i.locked_at IS NOT NULL THEN (SELECT l.reason FROM mod_log l
               WHERE l.target_type = 'post' AND l.target_id = i.id AND l.action = 'post.locked'
               ORDER BY l.id DESC LIMIT 1) END AS locked_reason,
             (SELECT min(r.id) FROM reports r
               WHERE r.status = 'open' AND r.target_type = i.target_type AND r.target_id = i.id) AS open_report,
             (SELECT max(r.id) FROM reports r
               WHERE r.status = 'open' AND r.target_type = i.target_type AND r.target_id = i.id) AS newest_report,
             (SELECT jsonb_object_agg(r.reason, r.n) FROM (SELECT reason, count(*) AS n FROM reports
               WHERE status = 'open' AND target_type = i.target_type AND target_id = i.id GROUP BY reason) r) AS reports,
             (SELECT jsonb_agg(jsonb_build_object('reason', r.reason, 'details', r.details, 'by', u.username,
                       'at', r.created_at) ORDER BY r.id DESC)
                FROM (SELECT id, reason, details, reporter_id, created_at FROM reports
                       WHERE status = 'open' AND target_type = i.target_type AND target_id = i.id AND details IS NOT NULL
                       ORDER BY id DESC LIMIT 3) r
                LEFT JOIN users u ON u.id = r.reporter_id) AS report_notes,
             cu.username AS claimed_by, mc.claimed_at, mc.expires_at AS claimed_until
        FROM items i
        -- Who is on it (Claims): a live claim of someone who may still moderate.
        LEFT JOIN (mod_claims mc JOIN users cu ON cu.id = mc.moderator_id AND %s)
          ON mc.target_type = i.target_type AND mc.target_id = i.id AND mc.expires_at > now()
       ORDER BY i.target_type = 'comment', i.id""".formatted(Claims.active("cu"));

  private static final int HISTORY = 20;

  private final Pool pool;
  private final EventLog events;
  private final Screening screening;

  public Review(Pool pool, EventLog events, Screening screening) {
    this.pool = pool;
    this.events = events;
    this.screening = screening;
  }

  /** The oldest pending items (up to {@code limit}) and how many are waiting in all. */
  Future<JsonObject> pending(int limit) {
    return pool.preparedQuery(PENDING).execute(Tuple.of(limit)).compose(rows -> {
      JsonArray items = new JsonArray();
      for (Row row : rows) {
        items.add(new JsonObject()
            .put("targetType", row.getString("target_type"))
            .put("id", row.getLong("id"))
            .put("postId", row.getLong("post_id"))
            .put("parentId", row.getLong("parent_id"))
            .put("postTitle", row.getString("post_title"))
            .put("author", new JsonObject().put("username", row.getString("username"))
                .put("createdAt", Iso.format(row.getOffsetDateTime("joined"))))
            .put("body", row.getString("body"))
            .put("bodyHtml", row.getString("body_html"))
            .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")))
            .put("editedAt", Iso.format(row.getOffsetDateTime("edited_at")))
            .put("reason", row.getString("pending_reason")));
      }
      return pool.query(PENDING_COUNT).execute()
          .map(count -> new JsonObject().put("items", items).put("total", count.iterator().next().getLong("total")));
    });
  }

  /**
   * The characters of a comment's prose the stream's history shows, as a post's excerpt: its words, not its Markdown
   * (a page review: "**prams**"), the way the live stream shows an item's rendered text.
   */
  private static final int COMMENT_EXCERPT = 280;

  /** The newest content in every state, for the new-content stream. */
  Future<JsonObject> recent(int limit) {
    return pool.preparedQuery(RECENT).execute(Tuple.of(limit)).map(rows -> {
      JsonArray items = new JsonArray();
      for (Row row : rows) {
        items.add(new JsonObject()
            .put("targetType", row.getString("target_type"))
            .put("id", row.getLong("id"))
            .put("postId", row.getLong("post_id"))
            .put("postTitle", row.getString("post_title"))
            .put("excerpt", "comment".equals(row.getString("target_type"))
                ? Markdown.excerptOf(row.getString("excerpt"), COMMENT_EXCERPT) : row.getString("excerpt"))
            .put("author", new JsonObject().put("username", row.getString("username")))
            .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")))
            .put("editedAt", Iso.format(row.getOffsetDateTime("edited_at")))
            .put("hidden", row.getBoolean("hidden"))
            .put("pending", row.getBoolean("pending")));
      }
      return new JsonObject().put("items", items);
    });
  }

  Future<List<Filter>> filters() {
    return screening.filters(pool);
  }

  /** Adds an entry to the list; in the audit log and on parley.mod. */
  Future<Filter> addFilter(Principal actor, String kind, String pattern, String action) {
    return events.transaction(box -> box.connection().preparedQuery(ADD_FILTER)
        .execute(Tuple.of(kind, pattern, action, actor.id()))
        .recover(failure -> {
          if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
            return Future.failedFuture(Problem.conflict("pattern", "that " + kind + " is already on the list"));
          }
          return Future.failedFuture(failure);
        })
        .compose(rows -> {
          Row row = rows.iterator().next();
          Filter filter = new Filter(row.getLong("id"), kind, pattern, action, actor.username(),
              row.getOffsetDateTime("created_at"), null);
          JsonObject details = new JsonObject().put("kind", kind).put("pattern", pattern).put("action", action);
          return AuditLog.append(box.connection(), actor, EventType.FILTER_ADDED.wireName(), "filter", filter.id(),
                  null, details)
              .compose(entry -> box.publish(Publication.of(EventType.FILTER_ADDED, null, entry.toJson())))
              .map(filter);
        }));
  }

  /** Removes an entry; in the audit log and on parley.mod. */
  Future<Void> removeFilter(Principal actor, long id) {
    return events.transaction(box -> box.connection().preparedQuery(REMOVE_FILTER).execute(Tuple.of(id))
        .compose(rows -> {
          if (rows.size() == 0) throw Problem.notFound("No such filter.");
          Row row = rows.iterator().next();
          JsonObject details = new JsonObject().put("kind", row.getString("kind"))
              .put("pattern", row.getString("pattern")).put("action", row.getString("action"));
          return AuditLog.append(box.connection(), actor, EventType.FILTER_REMOVED.wireName(), "filter", id, null,
                  details)
              .compose(entry -> box.publish(Publication.of(EventType.FILTER_REMOVED, null, entry.toJson())));
        }).mapEmpty());
  }

  /**
   * What moderators see on a thread beyond what its readers see: {@code post} and {@code comments} (only those hidden,
   * held or reported), each with {@code hidden} ({by, at, reason}, or null), {@code pending} ({at, reason}: why it was
   * held, or null), {@code reports} (open reports by reason) and,
   * for the post, {@code locked} ({by, at, reason}, or null: the reason the thread's moderators are given, which was
   * only in the audit log, a page review). {@code by} is null where the audit log names nobody (a change
   * made by hand in the database).
   */
  Future<JsonObject> thread(long postId) {
    return pool.preparedQuery(THREAD).execute(Tuple.of(postId)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such post.");
      JsonObject thread = new JsonObject();
      JsonArray comments = new JsonArray();
      for (Row row : rows) {
        JsonObject reports = row.getJsonObject("reports");
        JsonObject item = new JsonObject().put("id", row.getLong("id"))
            .put("hidden", row.getOffsetDateTime("hidden_at") == null ? null : new JsonObject()
                .put("by", by(row.getString("hidden_by"))).put("at", Iso.format(row.getOffsetDateTime("hidden_at")))
                .put("reason", row.getString("hidden_reason")))
            .put("pending", row.getOffsetDateTime("pending_at") == null ? null : new JsonObject()
                .put("at", Iso.format(row.getOffsetDateTime("pending_at"))).put("reason", row.getString("pending_reason")))
            .put("reports", reports == null ? new JsonObject() : reports)
            // One of its open reports, to settle them all from the thread (resolving one settles its target's all).
            .put("openReport", row.getLong("open_report"))
            // The newest of them: a dismissal from here closes none filed after the line was read.
            .put("newestReport", row.getLong("newest_report"))
            .put("reportNotes", reportNotes(row.getJsonArray("report_notes")))
            .put("claim", row.getString("claimed_by") == null ? null : Claims.json(row.getString("target_type"),
                row.getLong("id"), row.getString("claimed_by"), Iso.format(row.getOffsetDateTime("claimed_at")),
                Iso.format(row.getOffsetDateTime("claimed_until"))));
        if ("post".equals(row.getString("target_type"))) {
          thread.put("post", item.put("locked", row.getOffsetDateTime("locked_at") == null ? null : new JsonObject()
              .put("by", by(row.getString("locked_by"))).put("at", Iso.format(row.getOffsetDateTime("locked_at")))
              .put("reason", row.getString("locked_reason"))));
        } else {
          comments.add(item);
        }
      }
      return thread.put("comments", comments);
    });
  }

  /** The reports' own words as the API gives them: {reason, details, by: {username}, at}, newest first. */
  private static JsonArray reportNotes(JsonArray rows) {
    JsonArray notes = new JsonArray();
    if (rows == null) return notes;
    for (int i = 0; i < rows.size(); i++) {
      JsonObject r = rows.getJsonObject(i);
      notes.add(new JsonObject().put("reason", r.getString("reason")).put("details", r.getString("details"))
          .put("by", by(r.getString("by")))
          .put("at", Iso.format(OffsetDateTime.parse(r.getString("at")))));
    }
    return notes;
  }

  private static JsonObject by(String username) {
    return username == null ? null : new JsonObject().put("username", username);
  }

  /** A user's card: who they are, their record, the latest moderation of them and their content, and the notes. */
  Future<JsonObject> card(String username) {
    return pool.preparedQuery(USER).execute(Tuple.of(username)).compose(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such user.");
      Row u = rows.iterator().next();
      long id = u.getLong("id");
      // A ban while it lasts (an ended one is history, below); one for good has no end to show.
      OffsetDateTime until = u.getOffsetDateTime("banned_until");
      JsonObject ban = until == null || !until.toInstant().isAfter(Instant.now()) ? null : new JsonObject()
          .put("until", Principal.endless(until) ? null : Iso.format(until)).put("reason", u.getString("ban_reason"));
      JsonObject card = new JsonObject()
          .put("username", u.getString("username"))
          .put("role", u.getString("role"))
          .put("createdAt", Iso.format(u.getOffsetDateTime("created_at")))
          .put("ban", ban)
          .put("counts", new JsonObject().put("posts", u.getLong("posts")).put("comments", u.getLong("comments"))
              .put("hidden", u.getLong("hidden")).put("pending", u.getLong("pending")).put("reports", u.getLong("reports"))
              .put("bans", u.getLong("bans")));
      return AuditLog.about(pool, id, HISTORY)
          .compose(history -> pool.preparedQuery(NOTES).execute(Tuple.of(id)).map(notes -> {
            JsonArray list = new JsonArray();
            for (Row n : notes) list.add(note(n.getLong("id"), n.getString("username"), n.getString("body"),
                n.getOffsetDateTime("created_at")));
            return card.put("history", new JsonArray(history.stream().map(AuditLog.Entry::toJson).toList()))
                .put("notes", list);
          }));
    });
  }

  /** Adds a private note on a user (moderators only ever see it); in the audit log, without its text. */
  Future<JsonObject> addNote(Principal actor, String username, String body) {
    return events.transaction(box -> box.connection().preparedQuery(USER_ID).execute(Tuple.of(username))
        .compose(users -> {
          if (users.size() == 0) throw Problem.notFound("No such user.");
          Row user = users.iterator().next();
          long userId = user.getLong("id");
          return box.connection().preparedQuery(ADD_NOTE).execute(Tuple.of(userId, actor.id(), body))
              .compose(rows -> {
                Row row = rows.iterator().next();
                JsonObject note = note(row.getLong("id"), actor.username(), body, row.getOffsetDateTime("created_at"));
                return AuditLog.append(box.connection(), actor, EventType.USER_NOTED.wireName(), "user", userId, null,
                        new JsonObject().put("username", user.getString("username")).put("noteId", note.getLong("id")))
                    .compose(entry -> box.publish(Publication.of(EventType.USER_NOTED, null, entry.toJson())))
                    .map(note);
              });
        }));
  }

  private static JsonObject note(long id, String author, String body, java.time.OffsetDateTime at) {
    // A moderator who deleted their account names no one now.
    return new JsonObject().put("id", id).put("author", author == null ? null : new JsonObject().put("username", author))
        .put("body", body)
        .put("createdAt", Iso.format(at));
  }
}
