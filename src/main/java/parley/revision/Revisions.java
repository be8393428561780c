package parley.revision;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.http.Iso;
import parley.http.Page;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The earlier versions of posts and comments, newest first: what each edit replaced (kept by V20's triggers). The
 * current version is the post or comment itself.
 */
public final class Revisions {

  private static final String OF_POST = """
      SELECT id, title, body, sources, written_at, replaced_at FROM post_revisions
       WHERE post_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3""";
  private static final String OF_COMMENT = """
      SELECT id, body, written_at, replaced_at FROM comment_revisions
       WHERE comment_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3""";

  private final Pool pool;

  public Revisions(Pool pool) {
    this.pool = pool;
  }

  /** A page of a post's earlier versions: {items: [{id, title, body, sources, writtenAt, replacedAt}], nextCursor}. */
  public Future<JsonObject> ofPost(long postId, Page page) {
    return pool.preparedQuery(OF_POST).execute(Tuple.of(postId, page.after(), page.fetchSize()))
        .map(rows -> page.respond(list(rows), json -> json.getLong("id"), json -> json));
  }

  /** A page of a comment's earlier versions: {items: [{id, body, writtenAt, replacedAt}], nextCursor}. */
  public Future<JsonObject> ofComment(long commentId, Page page) {
    return pool.preparedQuery(OF_COMMENT).execute(Tuple.of(commentId, page.after(), page.fetchSize()))
        .map(rows -> page.respond(list(rows), json -> json.getLong("id"), json -> json));
  }

  private static List<JsonObject> list(Iterable<Row> rows) {
    List<JsonObject> out = new ArrayList<>();
    for (Row row : rows) {
      boolean post = row.getColumnIndex("title") >= 0;
      JsonObject json = new JsonObject().put("id", row.getLong("id"));
      if (post) json.put("title", row.getString("title"));
      json.put("body", row.getString("body"));
      if (post) json.put("sources", new JsonArray(Arrays.asList(row.getArrayOfStrings("sources"))));
      out.add(json.put("writtenAt", Iso.format(row.getOffsetDateTime("written_at")))
          .put("replacedAt", Iso.format(row.getOffsetDateTime("replaced_at"))));
    }
    return out;
  }
}
