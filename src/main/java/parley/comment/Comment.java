package parley.comment;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import parley.http.Iso;

import java.time.OffsetDateTime;

/**
 * A comment as readers see it. A deleted comment is a tombstone: it keeps its id, parent and time so replies keep
 * their place, but its body and author are gone.
 */
record Comment(long id, long postId, Long parentId, long authorId, String author, String body, String bodyHtml,
    OffsetDateTime createdAt, OffsetDateTime editedAt, boolean deleted) {

  /** The columns {@link #fromRow} reads; {@code c} is comments and {@code u} its author. */
  static final String COLUMNS = "c.id, c.post_id, c.parent_id, c.author_id, u.username, c.body, c.body_html, "
      + "c.created_at, c.edited_at, c.deleted_at IS NOT NULL AS deleted";

  static Comment fromRow(Row row) {
    return new Comment(row.getLong("id"), row.getLong("post_id"), row.getLong("parent_id"), row.getLong("author_id"),
        row.getString("username"), row.getString("body"), row.getString("body_html"),
        row.getOffsetDateTime("created_at"), row.getOffsetDateTime("edited_at"), row.getBoolean("deleted"));
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("postId", postId)
        .put("parentId", parentId)
        .put("author", deleted ? null : new JsonObject().put("username", author))
        .put("body", deleted ? null : body)
        .put("bodyHtml", deleted ? null : bodyHtml)
        .put("createdAt", Iso.format(createdAt))
        .put("editedAt", Iso.format(editedAt))
        .put("deleted", deleted);
  }
}
