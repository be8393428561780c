package parley.export;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.access.Visibility;
import parley.db.BoundedPool;
import parley.http.Iso;
import parley.http.Slots;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Function;

/**
 * A member's own data as one JSON document, written to the response as it is read: the account, then everything it
 * wrote (posts, comments, and every earlier version of each), its votes, whom and which threads it follows, whom it
 * blocked, and the reports it filed. All of it is read in one snapshot (a REPEATABLE READ, READ ONLY transaction),
 * so the parts agree with one another; a section is read through a cursor a batch at a time and each batch is
 * written before the next is read, so a member with a hundred thousand comments costs the server one batch of
 * memory, and a client that reads slowly slows the reads down instead of piling them up.
 *
 * <p>The rule for what is in it: what the member gave the site, and what the site already shows them about it (a
 * hide's reason, a rejection's, the votes their content got, their ban), as of now. Nothing of anyone else's: the
 * threads they commented in are named only while the member may read them (as their own report list names them);
 * the moderators' notes, the screening's reasons for holding content and who settled a report stay the moderators'
 * (the API never shows them to the member either). A post the member deleted is in it with its words and
 * {@code deletedAt}: the site keeps them (until the account is deleted), so the member is told; a deleted comment's
 * words are gone from the site, and from the file.
 */
public final class AccountExport {

  private static final Logger log = LoggerFactory.getLogger(AccountExport.class);

  /** The document's shape, for whoever reads it later: a new field is no new version, a changed one is. */
  public static final int FORMAT = 1;

  /** Rows read and written at a time. */
  static final int BATCH = 200;

  /** How many exports a node writes at once: each holds a pool connection for as long as its client reads. */
  static final int CONCURRENT = 2;

  /**
   * How long one export may take, its client's reading included: past it the connection is cut, and the pool's
   * connection and the snapshot are let go (a client that stops reading would otherwise hold both for good).
   */
  static final Duration LIMIT = Duration.ofMinutes(5);

  private static final String SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

  /** The title of a member's comment's thread while they may read it (as their report list names it). */
  private static final String THREAD_TITLE = "CASE WHEN %s AND %s THEN p.title END AS post_title"
      .formatted(Visibility.readableBy("p", "$1", "false"), Visibility.notBlocked("$1", "p.author_id"));

  /** One part of the document: its name, its statement ($1 the member's id), and a row as JSON. */
  private record Section(String name, String sql, Function<Row, JsonObject> json) {
  }

  private static final List<Section> SECTIONS = List.of(
      new Section("posts", """
          SELECT id, title, description, body, sources, tags, created_at, edited_at, deleted_at, hidden_at,
                 hidden_reason, pending_at IS NOT NULL AS pending, rejected_reason, locked_at, upvotes, downvotes
            FROM posts WHERE author_id = $1 ORDER BY id""", row -> new JsonObject()
          .put("id", row.getLong("id"))
          .put("title", row.getString("title"))
          .put("description", row.getString("description"))
          .put("body", row.getString("body"))
          .put("sources", strings(row, "sources"))
          .put("tags", strings(row, "tags"))
          .put("createdAt", time(row, "created_at"))
          .put("editedAt", time(row, "edited_at"))
          .put("deletedAt", time(row, "deleted_at"))
          .put("hiddenAt", time(row, "hidden_at"))
          .put("hiddenReason", row.getString("hidden_reason"))
          .put("pending", row.getBoolean("pending"))
          .put("rejectedReason", row.getString("rejected_reason"))
          .put("lockedAt", time(row, "locked_at"))
          .put("upvotes", row.getInteger("upvotes"))
          .put("downvotes", row.getInteger("downvotes"))),
      new Section("postVersions", """
          SELECT r.post_id, r.title, r.body, r.sources, r.written_at, r.replaced_at
            FROM post_revisions r JOIN posts p ON p.id = r.post_id
           WHERE p.author_id = $1 ORDER BY r.post_id, r.id""", row -> new JsonObject()
          .put("postId", row.getLong("post_id"))
          .put("title", row.getString("title"))
          .put("body", row.getString("body"))
          .put("sources", strings(row, "sources"))
          .put("writtenAt", time(row, "written_at"))
          .put("replacedAt", time(row, "replaced_at"))),
      new Section("comments", """
          SELECT c.id, c.post_id, c.parent_id, c.body, c.created_at, c.edited_at, c.deleted_at, c.hidden_at,
                 c.hidden_reason, c.pending_at IS NOT NULL AS pending, c.rejected_reason, c.upvotes, c.downvotes,
                 %s
            FROM comments c JOIN posts p ON p.id = c.post_id
           WHERE c.author_id = $1 ORDER BY c.id""".formatted(THREAD_TITLE), row -> {
            boolean deleted = row.getOffsetDateTime("deleted_at") != null;
            return new JsonObject()
                .put("id", row.getLong("id"))
                .put("postId", row.getLong("post_id"))
                .put("postTitle", row.getString("post_title"))
                .put("parentId", row.getLong("parent_id"))
                // A deleted comment's body is erased ('' in its row): the file says there is none.
                .put("body", deleted ? null : row.getString("body"))
                .put("createdAt", time(row, "created_at"))
                .put("editedAt", time(row, "edited_at"))
                .put("deletedAt", time(row, "deleted_at"))
                .put("hiddenAt", time(row, "hidden_at"))
                .put("hiddenReason", row.getString("hidden_reason"))
                .put("pending", row.getBoolean("pending"))
                .put("rejectedReason", row.getString("rejected_reason"))
                .put("upvotes", row.getInteger("upvotes"))
                .put("downvotes", row.getInteger("downvotes"));
          }),
      new Section("commentVersions", """
          SELECT r.comment_id, r.body, r.written_at, r.replaced_at
            FROM comment_revisions r JOIN comments c ON c.id = r.comment_id
           WHERE c.author_id = $1 ORDER BY r.comment_id, r.id""", row -> new JsonObject()
          .put("commentId", row.getLong("comment_id"))
          .put("body", row.getString("body"))
          .put("writtenAt", time(row, "written_at"))
          .put("replacedAt", time(row, "replaced_at"))),
      new Section("postVotes", """
          SELECT post_id, value, created_at FROM post_votes WHERE user_id = $1 ORDER BY created_at, post_id""",
          row -> new JsonObject()
              .put("postId", row.getLong("post_id"))
              .put("value", row.getInteger("value"))
              .put("createdAt", time(row, "created_at"))),
      new Section("commentVotes", """
          SELECT v.comment_id, c.post_id, v.value, v.created_at
            FROM comment_votes v JOIN comments c ON c.id = v.comment_id
           WHERE v.user_id = $1 ORDER BY v.created_at, v.comment_id""", row -> new JsonObject()
          .put("commentId", row.getLong("comment_id"))
          .put("postId", row.getLong("post_id"))
          .put("value", row.getInteger("value"))
          .put("createdAt", time(row, "created_at"))),
      new Section("following", """
          SELECT u.username, f.created_at
            FROM user_follows f JOIN users u ON u.id = f.followee_id
           WHERE f.follower_id = $1 AND u.deleted_at IS NULL ORDER BY f.created_at, u.id""", AccountExport::someone),
      new Section("threads", """
          SELECT t.post_id, t.following, t.since, %s
            FROM thread_follows t JOIN posts p ON p.id = t.post_id
           WHERE t.user_id = $1 ORDER BY t.since, t.post_id""".formatted(THREAD_TITLE), row -> new JsonObject()
          .put("postId", row.getLong("post_id"))
          .put("postTitle", row.getString("post_title"))
          .put("following", row.getBoolean("following"))
          .put("since", time(row, "since"))),
      new Section("blocks", """
          SELECT u.username, b.created_at
            FROM blocks b JOIN users u ON u.id = b.blocked_id
           WHERE b.blocker_id = $1 AND u.deleted_at IS NULL ORDER BY b.created_at, u.id""", AccountExport::someone),
      new Section("reports", """
          SELECT id, target_type, target_id, reason, details, status, created_at, resolved_at
            FROM reports WHERE reporter_id = $1 ORDER BY id""", row -> new JsonObject()
          .put("id", row.getLong("id"))
          .put("targetType", row.getString("target_type"))
          .put("targetId", row.getLong("target_id"))
          .put("reason", row.getString("reason"))
          .put("details", row.getString("details"))
          .put("status", row.getString("status"))
          .put("createdAt", time(row, "created_at"))
          .put("resolvedAt", time(row, "resolved_at"))));

  private final Vertx vertx;
  private final BoundedPool pool;

  public AccountExport(Vertx vertx, BoundedPool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** The node's export slots, shared by its HTTP verticles. */
  public static Slots slots() {
    return new Slots(CONCURRENT, "Too many account exports are being written on this server; try again shortly.", 10);
  }

  /**
   * Writes the document to {@code response}, whose status and headers the caller has set: {@code head} (the account,
   * its settings) first, then each section. Completes when the document is whole; fails when the database or the
   * client failed on the way, or {@link #LIMIT} passed, and once the document has started the connection is then
   * cut, so that a partial document is never taken for a whole one (before it, the caller answers the failure).
   */
  public Future<Void> write(long userId, JsonObject head, HttpServerResponse response) {
    long deadline = vertx.setTimer(LIMIT.toMillis(), t -> {
      log.info("An account export ran past {} (its client reads too slowly, or stopped); its connection is cut",
          LIMIT);
      response.reset();
    });
    return pool.getConnection()
        .compose(conn -> pool.bound(conn.begin()).compose(tx -> pool.bound(conn.query(SNAPSHOT).execute())
                .compose(v -> response.write(opening(head)))
                .compose(v -> sections(conn, userId, response, 0))
                .compose(v -> response.end("\n}\n"))
                .eventually(() -> tx.rollback().otherwiseEmpty()))
            .eventually(conn::close))
        .andThen(done -> vertx.cancelTimer(deadline))
        .onFailure(e -> {
          // Before the 200 started, the caller answers with a problem (a database past its deadline: 503).
          if (!response.headWritten()) return;
          log.info("An account export stopped before its end: {}", e.toString());
          response.reset();
        });
  }

  /**
   * The document's start: its format, when, and {@code head}'s fields, each on a line of its own as every row of a
   * section is; the object is left open for the sections.
   */
  private static Buffer opening(JsonObject head) {
    JsonObject start = new JsonObject().put("format", FORMAT)
        .put("exportedAt", Iso.format(OffsetDateTime.now(ZoneOffset.UTC)));
    head.forEach(field -> start.put(field.getKey(), field.getValue()));
    Buffer text = Buffer.buffer("{");
    String separator = "\n  ";
    for (var field : start) {
      text.appendString(separator).appendString(Json.encode(field.getKey())).appendString(": ")
          .appendString(Json.encode(field.getValue()));
      separator = ",\n  ";
    }
    return text;
  }

  private Future<Void> sections(SqlConnection conn, long userId, HttpServerResponse response, int index) {
    if (index == SECTIONS.size()) return Future.succeededFuture();
    Section section = SECTIONS.get(index);
    return response.write(",\n  \"" + section.name() + "\": [")
        .compose(v -> pool.bound(conn.prepare(section.sql())))
        .compose(statement -> {
          Cursor cursor = statement.cursor(Tuple.of(userId));
          return rows(cursor, section, response, true).eventually(statement::close);
        })
        .compose(v -> sections(conn, userId, response, index + 1));
  }

  /** A section's rows, a batch at a time: each batch is on the wire before the next is read. */
  private Future<Void> rows(Cursor cursor, Section section, HttpServerResponse response, boolean first) {
    return pool.bound(cursor.read(BATCH)).compose(rows -> {
      Buffer batch = Buffer.buffer();
      boolean start = first;
      for (Row row : rows) {
        batch.appendString(start ? "\n    " : ",\n    ").appendString(section.json().apply(row).encode());
        start = false;
      }
      boolean more = cursor.hasMore();
      if (!more) batch.appendString(start ? "]" : "\n  ]");
      boolean wrote = !start;
      return response.write(batch).compose(v -> more ? rows(cursor, section, response, first && !wrote)
          : Future.succeededFuture());
    });
  }

  /** Someone the member chose (to follow, to block), and since when: a row of {@code username, created_at}. */
  private static JsonObject someone(Row row) {
    return new JsonObject().put("username", row.getString("username")).put("since", time(row, "created_at"));
  }

  private static String time(Row row, String column) {
    return Iso.format(row.getOffsetDateTime(column));
  }

  private static JsonArray strings(Row row, String column) {
    String[] values = row.getArrayOfStrings(column);
    return values == null ? new JsonArray() : new JsonArray(List.of(values));
  }
}
