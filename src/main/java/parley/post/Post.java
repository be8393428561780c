package parley.post;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import parley.http.Iso;

import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;

/** A post as readers see it. */
public record Post(long id, long authorId, String title, String description, String body, String bodyHtml, String excerpt,
    List<String> sources, String author, String authorRole, OffsetDateTime createdAt, OffsetDateTime editedAt, int commentCount,
    boolean hidden, boolean locked, boolean pending, int upvotes, int downvotes, List<String> tags, double hot,
    OffsetDateTime lastActivityAt, String hiddenReason) {

  /**
   * The columns {@link #fromRow} reads; {@code p} is posts, {@code u} its author (their role as it is now, a badge
   * beside their name) and {@code pa} its activity (joined by {@link #ACTIVITY}); public for read models.
   */
  public static final String COLUMNS = "p.id, p.author_id, p.title, p.description, p.body, p.body_html, p.excerpt, p.sources, u.username, "
      + "u.role AS author_role, p.created_at, p.edited_at, pa.comment_count, p.hidden_at IS NOT NULL AS hidden, "
      + "p.locked_at IS NOT NULL AS locked, p.pending_at IS NOT NULL AS pending, p.upvotes, p.downvotes, p.tags, "
      + "p.hot, pa.last_activity_at, p.hidden_reason";

  /** The join that gives {@link #COLUMNS} the post's comment count and latest activity (kept by {@link Threads}). */
  public static final String ACTIVITY = "JOIN post_activity pa ON pa.post_id = p.id";

  public static Post fromRow(Row row) {
    return new Post(row.getLong("id"), row.getLong("author_id"), row.getString("title"), row.getString("description"),
        row.getString("body"),
        row.getString("body_html"), row.getString("excerpt"), Arrays.asList(row.getArrayOfStrings("sources")),
        row.getString("username"), row.getString("author_role"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("edited_at"),
        row.getInteger("comment_count"), row.getBoolean("hidden"), row.getBoolean("locked"),
        row.getBoolean("pending"), row.getInteger("upvotes"), row.getInteger("downvotes"),
        Arrays.asList(row.getArrayOfStrings("tags")), row.getDouble("hot"), row.getOffsetDateTime("last_activity_at"),
        row.getString("hidden_reason"));
  }

  public int score() {
    return upvotes - downvotes;
  }

  /** The votes as every representation carries them (the reader's own vote is added by the votes feature). */
  JsonObject withVotes(JsonObject json) {
    return json.put("score", score()).put("upvotes", upvotes).put("downvotes", downvotes).put("myVote", null)
        .put("tags", new JsonArray(tags));
  }

  /** Hidden or pending: readable only by its author and moderators. */
  public boolean restricted() {
    return hidden || pending;
  }

  /**
   * GET /api/posts/{id}: the whole post (a hidden one, which only its author and moderators read, with the reason the
   * moderator gave, which its author is also sent).
   */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id)
        .put("title", title)
        .put("description", description)
        .put("body", body)
        .put("bodyHtml", bodyHtml)
        .put("sources", new JsonArray(sources))
        .put("author", new JsonObject().put("username", author).put("role", authorRole))
        .put("createdAt", Iso.format(createdAt))
        .put("editedAt", Iso.format(editedAt))
        .put("commentCount", commentCount)
        .put("hidden", hidden)
        .put("hiddenReason", hidden ? hiddenReason : null)
        .put("pending", pending)
        .put("locked", locked)
        .put("lastActivityAt", Iso.format(lastActivityAt));
    return withVotes(json);
  }

  /** An item of GET /api/posts: an excerpt instead of the body. */
  public JsonObject toListItemJson() {
    JsonObject json = new JsonObject()
        .put("id", id)
        .put("title", title)
        .put("description", description)
        .put("author", new JsonObject().put("username", author).put("role", authorRole))
        .put("createdAt", Iso.format(createdAt))
        .put("editedAt", Iso.format(editedAt))
        .put("commentCount", commentCount)
        .put("locked", locked)
        .put("sources", new JsonArray(sources))
        .put("excerpt", excerpt)
        .put("lastActivityAt", Iso.format(lastActivityAt));
    return withVotes(json);
  }
}
