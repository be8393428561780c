package parley.comment;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import parley.http.Iso;
import parley.access.Principal;
import parley.access.Visibility;

import java.time.OffsetDateTime;

/**
 * A comment as readers see it. A deleted comment is a tombstone: it keeps its id, parent and time so replies keep
 * their place, but its body and author are gone.
 */
public record Comment(long id, long postId, Long parentId, long authorId, String author, String authorRole,
    String body, String bodyHtml,
    OffsetDateTime createdAt, OffsetDateTime editedAt, boolean deleted, boolean hidden, boolean pending, int upvotes,
    int downvotes, double best, String hiddenReason) {

  /**
   * The columns {@link #fromRow} reads; {@code c} is comments and {@code u} its author (their role as it is now). A
   * comment whose author deleted their account is a tombstone from that moment, as the erasing that deletes it
   * (AccountDeletion, minutes for a big account) will make it: its words are not shown meanwhile under no name.
   */
  static final String COLUMNS = "c.id, c.post_id, c.parent_id, c.author_id, u.username, u.role AS author_role, "
      + "c.body, c.body_html, c.created_at, c.edited_at, "
      + "(c.deleted_at IS NOT NULL OR u.deleted_at IS NOT NULL) AS deleted, c.hidden_at IS NOT NULL AS hidden, "
      + "c.pending_at IS NOT NULL AS pending, c.upvotes, c.downvotes, c.best, c.hidden_reason";

  static Comment fromRow(Row row) {
    return new Comment(row.getLong("id"), row.getLong("post_id"), row.getLong("parent_id"), row.getLong("author_id"),
        row.getString("username"), row.getString("author_role"), row.getString("body"), row.getString("body_html"),
        row.getOffsetDateTime("created_at"), row.getOffsetDateTime("edited_at"), row.getBoolean("deleted"),
        row.getBoolean("hidden"), row.getBoolean("pending"), row.getInteger("upvotes"), row.getInteger("downvotes"),
        row.getDouble("best"), row.getString("hidden_reason"));
  }

  /**
   * The whole comment (its author and moderators see a hidden one like this, marked hidden, with the reason the
   * moderator gave, which its author is also sent).
   */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("postId", postId)
        .put("parentId", parentId)
        .put("author", deleted ? null : new JsonObject().put("username", author).put("role", authorRole))
        .put("body", deleted ? null : body)
        .put("bodyHtml", deleted ? null : bodyHtml)
        .put("createdAt", Iso.format(createdAt))
        .put("editedAt", Iso.format(editedAt))
        .put("deleted", deleted)
        .put("hidden", hidden)
        .put("hiddenReason", hidden && !deleted ? hiddenReason : null)
        .put("pending", pending)
        .put("score", upvotes - downvotes)
        .put("upvotes", upvotes)
        .put("downvotes", downvotes)
        .put("myVote", null);
  }

  /**
   * The comment as this reader may see it: a hidden comment is a tombstone ("removed by a moderator") except for
   * its author and moderators, and a blocked author's comment is a placeholder, so reply chains stay intact.
   */
  public JsonObject toJsonFor(Principal reader, boolean authorBlocked) {
    if (deleted) return toJson();
    if (authorBlocked) return withoutContent().put("blocked", true);
    if (!Visibility.readable(reader, authorId, hidden || pending)) return withoutContent();
    return toJson();
  }

  private JsonObject withoutContent() {
    return toJson().put("author", null).put("body", null).put("bodyHtml", null).put("hiddenReason", null);
  }
}
