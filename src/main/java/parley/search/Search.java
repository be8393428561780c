package parley.search;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import parley.access.Visibility;
import parley.http.Iso;
import parley.http.Page;
import parley.http.Problem;
import parley.http.ProblemType;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Search over what a reader may see in a list: posts and comments by PostgreSQL full-text search (the stored
 * {@code search} tsvectors and their GIN indexes, V11), people by a prefix of their username. Posts and comments are
 * ranked by ts_rank_cd (a title match weighs more than a body match) and then by id, newest first, with a keyset
 * cursor of (rank, id); people come in username order.
 *
 * <p>Each search is bounded: it runs in its own transaction with a statement_timeout, and {@link SearchSlots} caps
 * how many run at once on a node.
 *
 * <p>Every query applies {@link Visibility}: nothing deleted, hidden or pending, no comment on a post that is not
 * listed, nothing by someone the reader blocked (a comment is left out when the reader blocked its author or the
 * post's author, whose title it would show), and no one the reader blocked among people.
 */
public final class Search {

  /**
   * The reader's query $1 as a tsquery (websearch syntax: "phrases", -exclusions, or), or NULL when it can match
   * nothing useful: no words but stop words and punctuation (checked with to_tsvector first, because building an
   * empty tsquery makes PostgreSQL send a notice the client would log), or only exclusions (which would match almost
   * everything and rank it all). A sub-select, so it is computed once per execution (an InitPlan) even in a generic
   * plan, not once per row in the rank, the recheck and the snippet.
   */
  static final String QUERY = "(SELECT CASE WHEN to_tsvector('english', $1) = ''::tsvector THEN NULL"
      + " WHEN querytree(websearch_to_tsquery('english', $1)) = 'T' THEN NULL"
      + " ELSE websearch_to_tsquery('english', $1) END)";

  /**
   * Posts: $1 the query, $2 the reader (or 0), $3 and $4 the cursor's rank and id (or nulls), $5 the fetch size.
   * Ranking is narrow: the inner query reads only posts (found through posts_search) and keeps only what ordering
   * needs (id, rank); every visibility rule is a filter on that scan (blocks compared with the reader's block list,
   * read once), so nothing can come between the sort and its LIMIT and the sort keeps only the page's rows (a top-N
   * heapsort in memory, however many match). Only the page's rows are then joined for their title and author and
   * given a snippet, the costly part. Public for the plan tests.
   */
  public static final String POSTS = """
      SELECT p.id, p.title, u.username, p.created_at, pa.comment_count, p.score, h.rank,
             ts_headline('english', %s, %s, %s) AS snippet
        FROM (
          SELECT p.id, ts_rank_cd(p.search, %s) AS rank
            FROM posts p
           WHERE p.search @@ %s AND %s AND %s
             AND ($3::real IS NULL OR (ts_rank_cd(p.search, %s), p.id) < ($3::real, $4::bigint))
           ORDER BY rank DESC, p.id DESC
           LIMIT $5) h
        JOIN posts p ON p.id = h.id JOIN users u ON u.id = p.author_id JOIN post_activity pa ON pa.post_id = p.id
       ORDER BY h.rank DESC, h.id DESC""".formatted(Snippet.unmarked("p.body"), QUERY, Snippet.OPTIONS, QUERY, QUERY,
      Visibility.listed("p"), Visibility.notBlockedAmong("$2", "p.author_id"), QUERY);

  /**
   * Comments, with the same parameters and the same narrow ranking as {@link #POSTS}, through comments_search. The
   * post's visibility is a sub-select per match on posts_pkey, not a join: a join the planner could place above the
   * sort (it cannot know how many rows match a word) would unbound the sort, or hash every post for a rare word.
   */
  public static final String COMMENTS = """
      SELECT c.id, c.post_id, p.title AS post_title, u.username, c.created_at, h.rank,
             ts_headline('english', %s, %s, %s) AS snippet
        FROM (
          SELECT c.id, ts_rank_cd(c.search, %s) AS rank
            FROM comments c
           WHERE c.search @@ %s AND %s AND %s
             AND (SELECT %s AND %s FROM posts p WHERE p.id = c.post_id)
             AND ($3::real IS NULL OR (ts_rank_cd(c.search, %s), c.id) < ($3::real, $4::bigint))
           ORDER BY rank DESC, c.id DESC
           LIMIT $5) h
        JOIN comments c ON c.id = h.id JOIN posts p ON p.id = c.post_id JOIN users u ON u.id = c.author_id
       ORDER BY h.rank DESC, h.id DESC""".formatted(Snippet.unmarked("c.body"), QUERY, Snippet.OPTIONS, QUERY, QUERY,
      Visibility.listed("c"), Visibility.notBlockedAmong("$2", "c.author_id"), Visibility.listed("p"),
      Visibility.notBlockedAmong("$2", "p.author_id"), QUERY);

  /**
   * People whose username starts with $1 (a LIKE prefix, escaped), ignoring case, in username order after the
   * cursor's $3; $2 the reader (or 0), $4 the fetch size. Range and order both come from users_username_prefix (its
   * text_pattern_ops order is ~<~, so the query orders and pages by those operators).
   */
  static final String USERS = """
      SELECT u.id, u.username, u.created_at, lower(u.username) AS key
        FROM users u
       WHERE lower(u.username) LIKE lower($1) || '%%'
         AND ($3::text IS NULL OR lower(u.username) ~>~ $3::text)
         AND %s
       ORDER BY lower(u.username) USING ~<~
       LIMIT $4""".formatted(Visibility.notBlocked("$2", "u.id"));

  /** A username cursor's key: a username, lowercased (usernames are unique ignoring case). */
  private static final Pattern USERNAME_KEY = Pattern.compile("[a-z0-9_-]{1,30}");

  /** A post found: the list item without the body, with its snippet. */
  record PostHit(long id, String title, String author, OffsetDateTime createdAt, int commentCount, int score,
      float rank, String snippet) {

    JsonObject toJson() {
      return new JsonObject().put("id", id).put("title", title).put("author", new JsonObject().put("username", author))
          .put("createdAt", Iso.format(createdAt)).put("commentCount", commentCount).put("score", score)
          .put("snippet", snippet);
    }
  }

  /** A comment found, with its post's title and its permalink. */
  record CommentHit(long id, long postId, String postTitle, String author, OffsetDateTime createdAt, float rank,
      String snippet) {

    JsonObject toJson() {
      return new JsonObject().put("id", id).put("postId", postId).put("postTitle", postTitle)
          .put("author", new JsonObject().put("username", author)).put("createdAt", Iso.format(createdAt))
          .put("snippet", snippet).put("url", "/posts/" + postId + "#comment-" + id);
    }
  }

  /** A person found. */
  record UserHit(long id, String username, OffsetDateTime createdAt, String key) {

    JsonObject toJson() {
      return new JsonObject().put("username", username).put("createdAt", Iso.format(createdAt));
    }
  }

  /** PostgreSQL's SQLSTATE for a statement it cancelled, here because it ran past statement_timeout. */
  private static final String QUERY_CANCELED = "57014";

  private final Pool pool;
  private final long timeoutMillis;

  /** Searches through the pool, each cancelled by PostgreSQL when it runs longer than {@code timeout}. */
  public Search(Pool pool, Duration timeout) {
    this.pool = pool;
    this.timeoutMillis = Math.max(1, timeout.toMillis());
  }

  /** A page of posts matching the query, best first. */
  Future<List<PostHit>> posts(SearchQuery query, Page page, long readerId) {
    Tuple args = ranked(query, page, readerId);
    return bounded(POSTS, args).map(rows -> list(rows, row ->
        new PostHit(row.getLong("id"), row.getString("title"), row.getString("username"),
            row.getOffsetDateTime("created_at"), row.getInteger("comment_count"), row.getInteger("score"),
            row.getFloat("rank"), Snippet.html(row.getString("snippet")))));
  }

  /** A page of comments matching the query, best first. */
  Future<List<CommentHit>> comments(SearchQuery query, Page page, long readerId) {
    Tuple args = ranked(query, page, readerId);
    return bounded(COMMENTS, args).map(rows -> list(rows, row ->
        new CommentHit(row.getLong("id"), row.getLong("post_id"), row.getString("post_title"),
            row.getString("username"), row.getOffsetDateTime("created_at"), row.getFloat("rank"),
            Snippet.html(row.getString("snippet")))));
  }

  /** A page of people whose username starts with the query. */
  Future<List<UserHit>> users(SearchQuery query, Page page, long readerId) {
    String after = null;
    if (page.after() != null) {
      after = page.afterKey();
      if (after == null || !USERNAME_KEY.matcher(after).matches()) throw badCursor();
    }
    Tuple args = Tuple.of(query.likePrefix(), readerId, after, page.fetchSize());
    return bounded(USERS, args).map(rows -> list(rows, row ->
        new UserHit(row.getLong("id"), row.getString("username"), row.getOffsetDateTime("created_at"),
            row.getString("key"))));
  }

  /**
   * Runs one search in its own read-only transaction whose statement_timeout is the search's time (SET LOCAL: it
   * ends with the transaction, so the connection goes back to the pool as it was). A search PostgreSQL cancels for
   * running out of time is answered 422 search-too-broad; it only read, so nothing changed.
   */
  private Future<RowSet<Row>> bounded(String sql, Tuple args) {
    return pool.withTransaction(conn -> conn.query("SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = " + timeoutMillis)
            .execute()
            .compose(v -> conn.preparedQuery(sql).execute(args)))
        .recover(e -> Future.failedFuture(e instanceof PgException pg && QUERY_CANCELED.equals(pg.getSqlState())
            ? ProblemType.SEARCH_TOO_BROAD.problem("This search matches too much to rank in time. Narrow it: add "
                + "words, use rarer ones, or put a phrase in quotes.")
            : e));
  }

  /** The cursor's key for a ranked hit: the rank exactly (Float.toString reads back as the same float). */
  static String rankKey(float rank) {
    return Float.toString(rank);
  }

  /** $1..$5 of a ranked search, the cursor's rank checked to be one this server could have issued. */
  private static Tuple ranked(SearchQuery query, Page page, long readerId) {
    Float rank = null;
    if (page.after() != null) {
      try {
        rank = page.afterKey() == null ? null : Float.valueOf(page.afterKey());
      } catch (NumberFormatException e) {
        rank = null;
      }
      if (rank == null || rank.isNaN() || rank.isInfinite() || rank < 0) throw badCursor();
    }
    return Tuple.of(query.text(), readerId, rank, page.after(), page.fetchSize());
  }

  private static Problem badCursor() {
    return Problem.invalid("cursor", "is not a cursor of this search");
  }

  private static <T> List<T> list(RowSet<Row> rows, Function<Row, T> fromRow) {
    List<T> out = new ArrayList<>(rows.size());
    rows.forEach(row -> out.add(fromRow.apply(row)));
    return out;
  }
}
