package parley.comment;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.http.Page;
import parley.http.Principal;
import parley.http.Problem;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Comments in PostgreSQL. Every write locks its post's row first (adding a comment through the comment_count
 * update, editing or deleting through an explicit lock), so writes to one thread are serialised in one order and
 * writes to different threads never wait for each other.
 */
final class CommentRepository {

  private static final String COUNT_UP = "UPDATE posts SET comment_count = comment_count + 1 "
      + "WHERE id = $1 AND deleted_at IS NULL RETURNING id";

  private static final String PARENT = "SELECT post_id, deleted_at IS NOT NULL AS deleted FROM comments WHERE id = $1";

  private static final String INSERT = """
      WITH c AS (
        INSERT INTO comments (post_id, parent_id, author_id, body, body_html)
        VALUES ($1, $2, $3, $4, $5)
        RETURNING *)
      SELECT %s FROM c JOIN users u ON u.id = c.author_id""".formatted(Comment.COLUMNS);

  /**
   * One page of a thread, oldest first, in one query: the post row decides 404 (no row) versus an empty page
   * (one row of nulls); comments come through the comments_thread index.
   */
  private static final String LIST = """
      SELECT %s
        FROM posts p
        LEFT JOIN LATERAL (
          SELECT * FROM comments
           WHERE post_id = p.id AND id > COALESCE($2, 0)
           ORDER BY id
           LIMIT $3) c ON true
        LEFT JOIN users u ON u.id = c.author_id
       WHERE p.id = $1 AND p.deleted_at IS NULL
       ORDER BY c.id""".formatted(Comment.COLUMNS);

  private static final String FIND = "SELECT " + Comment.COLUMNS
      + " FROM comments c JOIN posts p ON p.id = c.post_id JOIN users u ON u.id = c.author_id"
      + " WHERE c.id = $1 AND p.deleted_at IS NULL";

  private static final String LOCK_POST = "SELECT p.id FROM posts p "
      + "WHERE p.id = (SELECT post_id FROM comments WHERE id = $1) AND p.deleted_at IS NULL FOR NO KEY UPDATE";

  private static final String LOCK_COMMENT = "SELECT author_id, post_id, deleted_at IS NOT NULL AS deleted "
      + "FROM comments WHERE id = $1 FOR NO KEY UPDATE";

  private static final String UPDATE = "UPDATE comments SET body = $2, body_html = $3, edited_at = now() WHERE id = $1";

  private static final String TOMBSTONE = "UPDATE comments SET body = '', body_html = '', deleted_at = now() WHERE id = $1";

  private static final String COUNT_DOWN = "UPDATE posts SET comment_count = comment_count - 1 WHERE id = $1";

  private final Pool pool;

  CommentRepository(Pool pool) {
    this.pool = pool;
  }

  Future<Comment> insert(long postId, long authorId, CommentInput input) {
    return pool.withTransaction(conn -> conn.preparedQuery(COUNT_UP).execute(Tuple.of(postId))
        .compose(rows -> {
          if (rows.size() == 0) throw Problem.notFound("No such post.");
          return input.parentId() == null ? Future.succeededFuture() : checkParent(conn, postId, input.parentId());
        })
        .compose(v -> conn.preparedQuery(INSERT)
            .execute(Tuple.of(postId, input.parentId(), authorId, input.body(), input.rendered().html())))
        .map(rows -> Comment.fromRow(rows.iterator().next())));
  }

  /** A page of the thread, or empty when the post does not exist (or was deleted). */
  Future<Optional<List<Comment>>> list(long postId, Page page) {
    return pool.preparedQuery(LIST).execute(Tuple.of(postId, page.after(), page.fetchSize())).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      List<Comment> comments = new ArrayList<>(rows.size());
      for (Row row : rows) {
        if (row.getLong("id") != null) comments.add(Comment.fromRow(row));
      }
      return Optional.of(comments);
    });
  }

  Future<Optional<Comment>> find(long id) {
    return find(pool, id);
  }

  /** Edits a comment's body; only its author may, and not once it is deleted. */
  Future<Comment> update(long id, Principal caller, CommentInput input) {
    return pool.withTransaction(conn -> lock(conn, id)
        .compose(target -> {
          if (target.authorId() != caller.id()) throw Problem.forbidden("Only the comment's author may edit it.");
          if (target.deleted()) throw Problem.conflict("The comment was deleted.");
          return conn.preparedQuery(UPDATE).execute(Tuple.of(id, input.body(), input.rendered().html()));
        })
        .compose(v -> find(conn, id))
        .map(Optional::orElseThrow));
  }

  /**
   * Turns a comment into a tombstone and keeps the post's count exact; its author or a moderator may. Deleting a
   * tombstone again changes nothing.
   */
  Future<Void> delete(long id, Principal caller) {
    return pool.withTransaction(conn -> lock(conn, id).compose(target -> {
      if (target.authorId() != caller.id() && !caller.isModerator()) {
        throw Problem.forbidden("Only the comment's author or a moderator may delete it.");
      }
      if (target.deleted()) return Future.succeededFuture();
      return conn.preparedQuery(TOMBSTONE).execute(Tuple.of(id))
          .compose(v -> conn.preparedQuery(COUNT_DOWN).execute(Tuple.of(target.postId())))
          .mapEmpty();
    }));
  }

  private record Target(long authorId, long postId, boolean deleted) {
  }

  /** Locks the comment's post, then the comment: the same order as every other write to the thread. */
  private static Future<Target> lock(SqlConnection conn, long id) {
    return conn.preparedQuery(LOCK_POST).execute(Tuple.of(id))
        .compose(posts -> {
          if (posts.size() == 0) throw Problem.notFound("No such comment.");
          return conn.preparedQuery(LOCK_COMMENT).execute(Tuple.of(id));
        })
        .map(rows -> {
          Row row = rows.iterator().next();
          return new Target(row.getLong("author_id"), row.getLong("post_id"), row.getBoolean("deleted"));
        });
  }

  private static Future<Void> checkParent(SqlConnection conn, long postId, long parentId) {
    return conn.preparedQuery(PARENT).execute(Tuple.of(parentId)).map(rows -> {
      if (rows.size() == 0 || rows.iterator().next().getLong("post_id") != postId) {
        throw Problem.invalid("parentId", "must be a comment on this post");
      }
      if (rows.iterator().next().getBoolean("deleted")) {
        throw Problem.conflict("parentId", "the comment you are replying to was deleted");
      }
      return null;
    });
  }

  private static Future<Optional<Comment>> find(SqlClient client, long id) {
    return client.preparedQuery(FIND).execute(Tuple.of(id)).map(rows ->
        rows.size() == 0 ? Optional.empty() : Optional.of(Comment.fromRow(rows.iterator().next())));
  }
}
