package parley.post;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.http.Page;
import parley.http.Principal;
import parley.http.Problem;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Posts in PostgreSQL. A deleted post is kept (soft delete) but no reader path returns it. */
final class PostRepository {

  private static final String INSERT = """
      WITH p AS (
        INSERT INTO posts (author_id, title, body, body_html, excerpt, sources)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING *)
      SELECT %s FROM p JOIN users u ON u.id = p.author_id""".formatted(Post.COLUMNS);

  private static final String FIND = "SELECT " + Post.COLUMNS
      + " FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1 AND p.deleted_at IS NULL";

  /** Newest first, keyset on id through the posts_feed index; $1 is the last id seen (or null). */
  private static final String LIST = "SELECT " + Post.COLUMNS
      + " FROM posts p JOIN users u ON u.id = p.author_id"
      + " WHERE p.deleted_at IS NULL AND p.id < COALESCE($1, 9223372036854775807)"
      + " ORDER BY p.id DESC LIMIT $2";

  private static final String LOCK = "SELECT author_id FROM posts WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE";

  private static final String UPDATE = """
      UPDATE posts
         SET title = COALESCE($2, title),
             body = COALESCE($3, body),
             body_html = COALESCE($4, body_html),
             excerpt = COALESCE($5, excerpt),
             sources = COALESCE($6, sources),
             edited_at = now()
       WHERE id = $1""";

  private static final String SOFT_DELETE = "UPDATE posts SET deleted_at = now() WHERE id = $1";

  private final Pool pool;

  PostRepository(Pool pool) {
    this.pool = pool;
  }

  Future<Post> insert(long authorId, PostInput input) {
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT)
        .execute(Tuple.of(authorId, input.title(), input.body(), input.rendered().html(), input.rendered().excerpt(),
            input.sources().toArray(String[]::new)))
        .map(rows -> Post.fromRow(rows.iterator().next())));
  }

  Future<Optional<Post>> find(long id) {
    return find(pool, id);
  }

  Future<List<Post>> list(Page page) {
    return pool.preparedQuery(LIST).execute(Tuple.of(page.after(), page.fetchSize())).map(PostRepository::posts);
  }

  /** Edits a post; only its author may. */
  Future<Post> update(long id, Principal caller, PostInput input) {
    return pool.withTransaction(conn -> lockForAuthor(conn, id, caller, false)
        .compose(v -> conn.preparedQuery(UPDATE).execute(Tuple.of(id, input.title(), input.body(),
            input.rendered() == null ? null : input.rendered().html(),
            input.rendered() == null ? null : input.rendered().excerpt(),
            input.sources() == null ? null : input.sources().toArray(String[]::new))))
        .compose(v -> find(conn, id))
        .map(Optional::orElseThrow));
  }

  /** Soft-deletes a post; its author or a moderator may. */
  Future<Void> delete(long id, Principal caller) {
    return pool.withTransaction(conn -> lockForAuthor(conn, id, caller, true)
        .compose(v -> conn.preparedQuery(SOFT_DELETE).execute(Tuple.of(id)))
        .mapEmpty());
  }

  /** Locks the post row for this transaction after checking it exists and the caller may change it. */
  private static Future<Void> lockForAuthor(SqlConnection conn, long id, Principal caller, boolean moderatorMay) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such post.");
      long authorId = rows.iterator().next().getLong("author_id");
      if (authorId != caller.id() && !(moderatorMay && caller.isModerator())) {
        throw Problem.forbidden(moderatorMay ? "Only the post's author or a moderator may delete it."
            : "Only the post's author may edit it.");
      }
      return null;
    });
  }

  private static Future<Optional<Post>> find(io.vertx.sqlclient.SqlClient client, long id) {
    return client.preparedQuery(FIND).execute(Tuple.of(id)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(Post.fromRow(rows.iterator().next())));
  }

  private static List<Post> posts(RowSet<Row> rows) {
    List<Post> posts = new ArrayList<>(rows.size());
    rows.forEach(row -> posts.add(Post.fromRow(row)));
    return posts;
  }
}
