package parley.export;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
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
import parley.account.Accounts;
import parley.db.BoundedPool;
import parley.db.EmbeddedDatabase;
import parley.http.Iso;
import parley.http.Slots;
import parley.notification.Notifications;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * A member's own data as one JSON document: the account, then everything it wrote (posts, comments, and every earlier
 * version of each), its votes, whom and which threads it follows, whom it blocked, the reports it filed and the
 * names it had. All of it is read in one snapshot (a REPEATABLE READ, READ ONLY transaction), so the parts agree with
 * one another. A section is read through a cursor a batch at a time into a private file, each batch written before
 * the next is read, so a member with a hundred thousand comments costs the server one batch of memory; the file is
 * sent once whole, so the database connection and the snapshot are let go in seconds whatever the client's speed,
 * the answer has a Content-Length, and a failure is a problem answer, never half a file.
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

  /**
   * How many files a node writes at once: each holds a pool connection while it is read from the database (seconds,
   * for a member of 100,000 comments); sending them takes none.
   */
  static final int CONCURRENT = 2;

  /**
   * How many files a node has on their way out at most, written or being written and not yet sent and deleted: each
   * is on the data directory's disk (PostgreSQL's) for as long as its client takes, so a few members reading slowly
   * must not fill it.
   */
  static final int OUTGOING = 8;

  /** Seconds a member refused for want of a slot is asked to wait: about as long as one file takes to write. */
  static final long RETRY_AFTER_SECONDS = 5;

  /**
   * One snapshot for the whole document. Sent as a statement of its own, not through the client's Transaction, so
   * that its end (ROLLBACK) can be sent without waiting on a database that stopped answering (see {@link #write}).
   * The planner is told every row of each cursor is read ({@code cursor_tuple_fraction}), so it picks the member's
   * rows by their author's index and sorts them, rather than walking the whole table in order for a first row soon.
   */
  private static final String BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
      + "SET LOCAL cursor_tuple_fraction = 1";

  /** The title of a member's comment's thread while they may read it (as their report list names it). */
  private static final String THREAD_TITLE = "CASE WHEN %s AND %s THEN p.title END AS post_title"
      .formatted(Visibility.readableBy("p", "$1", "false"), Visibility.notBlocked("$1", "p.author_id"));

  /** Every post of an author, through the three indexes on its author ({@link Visibility#everyPost}). */
  private static final String EVERY_POST = Visibility.everyPost("p");

  /** Every comment of an author, likewise ({@link Visibility#everyComment}). */
  private static final String EVERY_COMMENT = Visibility.everyComment("c");

  /** One part of the document: its name, its statement ($1 the member's id), and a row as JSON. */
  private record Section(String name, String sql, Function<Row, JsonObject> json) {
  }

  private static final List<Section> SECTIONS = List.of(
      new Section("posts", """
          SELECT id, title, description, body, sources, tags, created_at, edited_at, deleted_at, hidden_at,
                 hidden_reason, pending_at IS NOT NULL AS pending, rejected_reason, locked_at, upvotes, downvotes
            FROM posts p WHERE p.author_id = $1 AND %s ORDER BY id""".formatted(EVERY_POST), row -> new JsonObject()
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
           WHERE p.author_id = $1 AND %s ORDER BY r.post_id, r.id""".formatted(EVERY_POST), row -> new JsonObject()
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
           WHERE c.author_id = $1 AND %s ORDER BY c.id""".formatted(THREAD_TITLE, EVERY_COMMENT), row -> {
            // A comment its author or a moderator deleted has its body erased (''); one a moderator declined keeps
            // it (the moderators still read it), and so does the file.
            String body = row.getString("body");
            boolean erased = row.getOffsetDateTime("deleted_at") != null && body.isEmpty();
            return new JsonObject()
                .put("id", row.getLong("id"))
                .put("postId", row.getLong("post_id"))
                .put("postTitle", row.getString("post_title"))
                .put("parentId", row.getLong("parent_id"))
                .put("body", erased ? null : body)
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
           WHERE c.author_id = $1 AND %s ORDER BY r.comment_id, r.id""".formatted(EVERY_COMMENT), row -> new JsonObject()
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
          .put("resolvedAt", time(row, "resolved_at"))),
      // The names the member had: their own renames, as the moderators' log records them.
      new Section("renames", """
          SELECT details ->> 'from' AS old_name, details ->> 'to' AS new_name, created_at
            FROM mod_log WHERE target_type = 'user' AND target_id = $1 AND action = 'user.renamed'
           ORDER BY id""", row -> new JsonObject()
          .put("from", row.getString("old_name"))
          .put("to", row.getString("new_name"))
          .put("at", time(row, "created_at"))));

  private final Vertx vertx;
  private final BoundedPool pool;
  private final Path dir;

  /** @param dir where files are written before they are sent ({@link #directory}, made by {@link #prepare}) */
  public AccountExport(Vertx vertx, BoundedPool pool, Path dir) {
    this.vertx = vertx;
    this.pool = pool;
    this.dir = dir;
  }

  /** The node's export slots, shared by its HTTP verticles. */
  public static Slots slots() {
    return new Slots(CONCURRENT, "Too many account exports are being prepared on this server; try again shortly.",
        RETRY_AFTER_SECONDS);
  }

  /** The node's slots for files on their way out ({@link #OUTGOING}), shared by its HTTP verticles. */
  public static Slots outgoing() {
    return new Slots(OUTGOING, "Too many account exports are on their way out from this server; try again in a "
        + "minute.", 60);
  }

  /** Where files are written before they are sent, in the data directory (private, as the directory is). */
  public static Path directory(Path dataDir) {
    return dataDir.resolve("exports");
  }

  /**
   * Makes {@link #directory} if need be, and deletes a file an earlier run left there (a node stopped while one was
   * sent) once it is an hour old. Blocking: at the start, off the event loop.
   */
  public static void prepare(Path dataDir) throws IOException {
    Path dir = directory(dataDir);
    EmbeddedDatabase.createPrivateDirectory(dir);
    Instant old = Instant.now().minus(Duration.ofHours(1));
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "export-*.json")) {
      for (Path file : files) {
        if (Files.getLastModifiedTime(file).toInstant().isBefore(old)) Files.deleteIfExists(file);
      }
    }
  }

  /** Each section's statement ($1: the member's id), for the plan tests. */
  public static List<String> statements() {
    return SECTIONS.stream().map(Section::sql).toList();
  }

  /** A member's file, whole, and the name it is saved under. */
  public record Export(Path file, String username) {
  }

  /**
   * Writes the member's document, whole, to a new private file: the caller sends it, then {@link #discard}s it. All
   * of it is read in one snapshot, the account first (401 if it is gone); each statement has the database deadline
   * (503). The connection and its snapshot are let go as soon as the file is written, however slowly the client then
   * reads it; and on any failure the file is deleted and the caller answers with a problem: a partial file is never
   * sent.
   */
  public Future<Export> write(long userId) {
    return pool.getConnection().compose(conn -> {
      Future<Export> written = pool.bound(conn.query(BEGIN).execute())
          .compose(v -> pool.bound(Accounts.me(conn, userId)))
          .compose(user -> pool.bound(Notifications.settings(conn, userId)).compose(settings -> file(conn, userId,
              new JsonObject().put("account", user.toJson()).put("notificationSettings", settings))
              .map(file -> new Export(file, user.username()))));
      // The snapshot ends and the connection goes back whenever PostgreSQL answers: one that stopped answering holds
      // neither the member's answer (503 at the deadline) nor the slot.
      written.onComplete(done -> conn.query("ROLLBACK").execute().onComplete(ended -> conn.close()));
      return written;
    });
  }

  /** Deletes a file once sent (or not). */
  public void discard(Export export) {
    try {
      vertx.fileSystem().delete(export.file().toString()).onFailure(e ->
          log.warn("Could not delete the sent export {}: {}", export.file(), e.toString()));
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // The node is stopping and its workers are gone (a probe: a download cut by a shutdown left its file, and an
      // ERROR): the file goes now, an unlink, on the way out.
      try {
        Files.deleteIfExists(export.file());
      } catch (IOException e) {
        log.warn("Could not delete the export {} on the way out: {}", export.file(), e.toString());
      }
    }
  }

  /** The document in a new file of its own, or no file at all. */
  private Future<Path> file(SqlConnection conn, long userId, JsonObject head) {
    Path file = dir.resolve("export-" + UUID.randomUUID() + ".json");
    return vertx.fileSystem().open(file.toString(), new OpenOptions().setWrite(true).setCreateNew(true)
            .setPerms("rw-------"))
        .compose(out -> out.write(opening(head))
            .compose(v -> sections(conn, userId, out, 0))
            .compose(v -> out.write(Buffer.buffer("\n}\n")))
            .compose(v -> out.close())
            .recover(e -> out.close().transform(closed -> Future.<Void>failedFuture(e))))
        .map(file)
        .recover(e -> vertx.fileSystem().delete(file.toString()).transform(deleted -> Future.failedFuture(e)));
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

  private Future<Void> sections(SqlConnection conn, long userId, AsyncFile out, int index) {
    if (index == SECTIONS.size()) return Future.succeededFuture();
    Section section = SECTIONS.get(index);
    return out.write(Buffer.buffer(",\n  \"" + section.name() + "\": ["))
        .compose(v -> pool.bound(conn.prepare(section.sql())))
        .compose(statement -> {
          Cursor cursor = statement.cursor(Tuple.of(userId));
          // Closed without waiting for it: a database that stopped answering must not hold the answer past its
          // deadline (a probe: a frozen backend kept the member waiting, and the slot taken, for the whole freeze).
          return rows(cursor, section, out, true).andThen(done -> statement.close());
        })
        .compose(v -> sections(conn, userId, out, index + 1));
  }

  /** A section's rows, a batch at a time: each batch is in the file before the next is read. */
  private Future<Void> rows(Cursor cursor, Section section, AsyncFile out, boolean first) {
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
      return out.write(batch).compose(v -> more ? rows(cursor, section, out, first && !wrote)
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
