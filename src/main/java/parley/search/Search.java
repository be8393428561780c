package parley.search;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.access.Visibility;
import parley.http.Iso;
import parley.http.Page;
import parley.http.Problem;
import parley.http.ProblemType;
import parley.http.Slots;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;

/**
 * Search over what a reader may see in a list: posts and comments by PostgreSQL full-text search (the stored
 * {@code search} tsvectors and their GIN indexes, V11), people by a prefix of their username. Posts and comments are
 * ranked by ts_rank_cd (a title match weighs more than a body match) and then by id, newest first, with a keyset
 * cursor of (rank, id); people come in username order.
 *
 * <p>How many matches are ranked is bounded too. A query is first probed on the newest {@link #PROBE_ROWS} rows of
 * its table, a fixed cost whatever the word, and the matches in the whole table estimated from that. When there are
 * about {@code rankLimit} or fewer, every match is found through the GIN index and ranked (the best of all). When
 * there are more, only the newest {@code rankLimit} matches among the newest {@link #SCAN_FACTOR} times
 * {@code rankLimit} rows are ranked, found one of two ways ({@link #way}): for a word in most rows, by reading the
 * table newest first on its primary key and testing each row (done after a few thousand); for a single word in a
 * few percent, whose newest matches are spread over all of those rows, through the GIN index and the primary key's
 * range at once (a BitmapAnd), so that only the window's matches are read. The first page decides, and its cursor
 * carries the decision and the window of ids it ranked, so later pages rank the same matches whatever was written
 * since; a later page of every match is judged again ({@link #ranked}), since anyone can write a cursor that says so.
 *
 * <p>Each search is bounded: it runs in its own transaction with a statement_timeout, and {@link #slots} caps
 * how many run at once on a node.
 *
 * <p>Every query applies {@link Visibility}: nothing deleted, hidden or pending, no comment on a post that is not
 * listed, nothing by someone the reader blocked (a comment is left out when the reader blocked its author or the
 * post's author, whose title it would show), and no one the reader blocked among people.
 */
public final class Search {

  /** How many of a table's newest rows the probe reads to judge how common a query is. */
  static final int PROBE_ROWS = 1_000;

  /** A search of the newest matches reads at most this many rows per match it may rank. Public for the plan tests. */
  public static final int SCAN_FACTOR = 10;

  /**
   * How many matches of a word found through the GIN index cost as much as one row read and tested newest first: the
   * word's bitmap holds every match it has in the table. Measured with pgbench at 1,000,000 comments, against 10,000
   * rows read: the index was cheaper for words the probe put at 7,000 and 13,000 matches, dearer at 17,000 and 40,000
   * (docs/benchmarks/P10.md).
   */
  static final double INDEX_MATCHES_PER_ROW = 1.5;

  /**
   * The reader's query $1 ({@link SearchQuery#tsText}) as a tsquery (websearch syntax: "phrases", -exclusions, or),
   * or NULL when it can match nothing useful: no words but stop words and punctuation (checked with to_tsvector
   * first, because building an empty tsquery makes PostgreSQL send a notice the client would log), or only
   * exclusions (which would match almost everything and rank it all). When $1 ends in "*" its last word also matches
   * the words it begins ("sourd" finds sourdough): the tsquery's last lexeme, which is that word's, becomes a prefix
   * (SearchQuery adds the "*" only after a plain word; a stop word, which websearch drops, is checked here). A
   * sub-select, so it is computed once per execution (an InitPlan) even in a generic plan, not once per row in the
   * rank, the recheck and the snippet.
   */
  static final String QUERY = "(SELECT CASE WHEN to_tsvector('english', $1) = ''::tsvector THEN NULL"
      + " WHEN querytree(websearch_to_tsquery('english', $1)) = 'T' THEN NULL"
      + " WHEN right($1, 1) = '*' AND to_tsvector('english', substring($1 from '(\\S+)\\*$')) <> ''::tsvector"
      + " THEN regexp_replace(websearch_to_tsquery('english', $1)::text, '''$', ''':*')::tsquery"
      + " ELSE websearch_to_tsquery('english', $1) END)";

  /**
   * The words a long body's snippet is placed by ({@link Snippet#columns}): the tsquery's lexemes but those it
   * excludes, and the words of $1 as typed (lower case, three letters or more, no stop words), for a stem that is not
   * the start of its word ("cherri"). A sub-select, computed once per execution.
   */
  static final String WORDS = "(SELECT coalesce(array_agg(DISTINCT w.x), '{}') FROM ("
      + "SELECT m[1] AS x FROM regexp_matches(coalesce(querytree(" + QUERY + ")::text, ''), '(?<!!)''([^'']+)''', 'g') m"
      + " UNION ALL SELECT x FROM regexp_split_to_table(lower($1), '[^[:alnum:]]+') x"
      + " WHERE length(x) >= 3 AND to_tsvector('english', x) <> ''::tsvector) w)";

  /** Every visibility rule on a post found, and on a comment found (its post's state a sub-select: see COMMENTS). */
  private static final String VISIBLE_POST = Visibility.listed("p") + " AND "
      + Visibility.notBlockedAmong("$2", "p.author_id");
  private static final String VISIBLE_COMMENT = Visibility.listed("c") + " AND "
      + Visibility.notBlockedAmong("$2", "c.author_id") + " AND (SELECT " + VISIBLE_POST
      + " FROM posts p WHERE p.id = c.post_id)";

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
             %s, %s
        FROM (
          SELECT p.id, ts_rank_cd(p.search, %s) AS rank
            FROM posts p
           WHERE p.search @@ %s AND %s
             AND ($3::real IS NULL OR (ts_rank_cd(p.search, %s), p.id) < ($3::real, $4::bigint))
           ORDER BY rank DESC, p.id DESC
           LIMIT $5) h
        JOIN posts p ON p.id = h.id JOIN users u ON u.id = p.author_id JOIN post_activity pa ON pa.post_id = p.id
       ORDER BY h.rank DESC, h.id DESC""".formatted(Snippet.columns("p.body_html", QUERY, WORDS),
      Snippet.titleColumn("p.title", QUERY), QUERY, QUERY, VISIBLE_POST, QUERY);

  /**
   * A found comment's words, none when its author deleted their account: the erasing that empties it takes minutes
   * for a big account, and its words are not shown meanwhile under no name (as a thread shows it: a tombstone).
   */
  private static final String COMMENT_WORDS = "CASE WHEN u.deleted_at IS NULL THEN c.body_html ELSE '' END";

  /**
   * Comments, with the same parameters and the same narrow ranking as {@link #POSTS}, through comments_search. The
   * post's visibility is a sub-select per match on posts_pkey, not a join: a join the planner could place above the
   * sort (it cannot know how many rows match a word) would unbound the sort, or hash every post for a rare word.
   */
  public static final String COMMENTS = """
      SELECT c.id, c.post_id, p.title AS post_title, u.username, c.created_at, h.rank,
             %s
        FROM (
          SELECT c.id, ts_rank_cd(c.search, %s) AS rank
            FROM comments c
           WHERE c.search @@ %s AND %s
             AND ($3::real IS NULL OR (ts_rank_cd(c.search, %s), c.id) < ($3::real, $4::bigint))
           ORDER BY rank DESC, c.id DESC
           LIMIT $5) h
        JOIN comments c ON c.id = h.id JOIN posts p ON p.id = c.post_id JOIN users u ON u.id = c.author_id
       ORDER BY h.rank DESC, h.id DESC""".formatted(Snippet.columns(COMMENT_WORDS, QUERY, WORDS), QUERY, QUERY,
      VISIBLE_COMMENT, QUERY);

  /**
   * How common $1 is in a table: of its newest {@link #PROBE_ROWS} rows (read backwards on the primary key: a fixed
   * cost whatever the query), how many match, and the span of its ids (two probes of the primary key), from which
   * the matches in the whole table are estimated; and the query's nodes (1: a single word, or a prefix), for
   * {@link #way}. Not through the GIN index: GIN only makes bitmaps, and the bitmap
   * of a word in most rows is built whole before any LIMIT can stop the scan. The query's own density is measured,
   * so phrases, exclusions and "or" are judged as they will run. The query stays a sub-select, computed once: as a
   * FROM item it would be inlined, and the tsquery built again for every row.
   *
   * <p>Only listed matches count ({@code listed}: every visibility rule that is the same for every reader, on a row
   * {@code w}), because the way chosen shows in the answer ({@code rankedAmong}, the cursor, the time taken): counted
   * among every row, a hidden or held row's words tipped a query made to sit at the threshold from "all" to "newest",
   * and a prefix search spelled them out a few letters at a time (a review, 2026-12-07). What a reader's blocks leave
   * out is public to everyone else, so it is counted.
   */
  static String probe(String table, String columns, String listed) {
    return """
        SELECT count(*) AS examined, count(*) FILTER (WHERE w.search @@ %s AND %s) AS matched,
               (SELECT max(id) - min(id) + 1 FROM %s) AS span, (SELECT numnode(%s)) AS nodes
          FROM (SELECT search, deleted_at, hidden_at, pending_at%s FROM %s ORDER BY id DESC LIMIT %d) w""".formatted(
        QUERY, listed, table, QUERY, columns, table, PROBE_ROWS);
  }

  /**
   * The lowest id of the window a search of the newest matches ranks in: the newest $8 ids up to $7 (up to the
   * table's newest), and not below $6. Ids, not rows: a window counted in rows needs the $8th newest row's id,
   * read off the primary key, and for rows not yet vacuumed that read visits each row (as dear as reading them).
   * Ids come from a sequence, so the two differ only by the gaps a rolled-back insert leaves. {@code table} is the
   * table.
   */
  private static String windowLow(String table) {
    return "greatest($6::bigint, (SELECT max(x.id) FROM %s x WHERE x.id <= $7::bigint) - $8 + 1)".formatted(table);
  }

  /**
   * The newest matches only, ranked: $1 to $5 as in {@link #POSTS}; $6 and $7 the window of ids (the whole range on
   * a first page, the first page's window after it), of which the newest $8 ids ({@link #windowLow}); $9 the most
   * matches ranked. The innermost query, with its own LIMIT, reads the window newest first on the table's primary
   * key whatever the planner estimates for the word (a LIMIT keeps the filters out of it); each row is tested and the
   * visible matches, newest first, ranked until $9 are found. The window's ids (low, high) come with each row for the
   * next cursor. {@code table} is the table, {@code t} its alias, {@code visible} every visibility rule on a row of it.
   */
  private static String newest(String table, String t, String visible) {
    // The inner scan's bounds stay $6 and $7 (its LIMIT stops it at $8 rows, which span at least the window's $8
    // ids): bounded by an expression, PostgreSQL's custom plans estimated its rows and read the whole range.
    return newestOf("""
        FROM (SELECT * FROM %1$s %2$s WHERE %2$s.id BETWEEN $6::bigint AND $7::bigint
               ORDER BY %2$s.id DESC LIMIT $8) %2$s
       WHERE %2$s.id >= %5$s AND %2$s.search @@ %4$s AND %3$s""".formatted(table, t, visible, QUERY,
        windowLow(table)), t);
  }

  /**
   * {@link #newest} for a single word in a few percent of the rows ({@link Way#NEWEST_INDEXED}): the same parameters
   * and the same matches in the same window, but found through the GIN index and the primary key's range at once (a
   * BitmapAnd), so that only the window's matches are read and tested, not every row around them. The bitmap holds
   * every match the word has in the table, which for a word in most rows costs more than reading the rows:
   * {@link #way} decides.
   */
  private static String newestIndexed(String table, String t, String visible) {
    return newestOf("""
        FROM %1$s %2$s
       WHERE %2$s.id BETWEEN %5$s AND $7::bigint
         AND %2$s.search @@ %4$s AND %3$s""".formatted(table, t, visible, QUERY, windowLow(table)), t);
  }

  /** The newest $9 rows that {@code matches} (a FROM and a WHERE over alias {@code t}) finds, ranked, cut to a page. */
  private static String newestOf(String matches, String t) {
    return """
        SELECT n.id, n.rank, n.low, n.high
          FROM (
            SELECT m.id, m.rank, min(m.id) OVER () AS low, max(m.id) OVER () AS high
              FROM (
                SELECT %1$s.id, ts_rank_cd(%1$s.search, %2$s) AS rank
                %3$s
                 ORDER BY %1$s.id DESC
                 LIMIT $9) m) n
         WHERE $3::real IS NULL OR (n.rank, n.id) < ($3::real, $4::bigint)
         ORDER BY n.rank DESC, n.id DESC
         LIMIT $5""".formatted(t, QUERY, matches);
  }

  /** {@link #POSTS} for the newest matches ranked by {@code newest} ({@link #newest} or {@link #newestIndexed}). */
  private static String postsAmong(String newest) {
    return """
        SELECT p.id, p.title, u.username, p.created_at, pa.comment_count, p.score, h.rank, h.low, h.high,
               %s, %s
          FROM (%s) h
          JOIN posts p ON p.id = h.id JOIN users u ON u.id = p.author_id JOIN post_activity pa ON pa.post_id = p.id
         ORDER BY h.rank DESC, h.id DESC""".formatted(Snippet.columns("p.body_html", QUERY, WORDS),
        Snippet.titleColumn("p.title", QUERY), newest);
  }

  /** {@link #COMMENTS} for the newest matches ranked by {@code newest}. */
  private static String commentsAmong(String newest) {
    return """
        SELECT c.id, c.post_id, p.title AS post_title, u.username, c.created_at, h.rank, h.low, h.high,
               %s
          FROM (%s) h
          JOIN comments c ON c.id = h.id JOIN posts p ON p.id = c.post_id JOIN users u ON u.id = c.author_id
         ORDER BY h.rank DESC, h.id DESC""".formatted(Snippet.columns(COMMENT_WORDS, QUERY, WORDS), newest);
  }

  /**
   * {@link #POSTS} and {@link #COMMENTS} for a query that matches many: the newest matches only, read newest first
   * ({@link #newest}) or found through the index ({@link #newestIndexed}). Public for the plan tests.
   */
  public static final String POSTS_NEWEST = postsAmong(newest("posts", "p", VISIBLE_POST));
  public static final String POSTS_NEWEST_INDEXED = postsAmong(newestIndexed("posts", "p", VISIBLE_POST));
  public static final String COMMENTS_NEWEST = commentsAmong(newest("comments", "c", VISIBLE_COMMENT));
  public static final String COMMENTS_NEWEST_INDEXED = commentsAmong(newestIndexed("comments", "c", VISIBLE_COMMENT));

  /** The probe of posts and of comments (see {@link #probe}). Public for the plan tests. */
  public static final String POSTS_PROBE = probe("posts", "", Visibility.listed("w"));
  public static final String COMMENTS_PROBE = probe("comments", ", post_id", Visibility.listed("w")
      + " AND (SELECT " + Visibility.listed("p") + " FROM posts p WHERE p.id = w.post_id)");

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

  /**
   * A post found: the list item without the body, with its snippet, its title with the words found in it marked
   * (escaped HTML, as the snippet), and its cursor key.
   */
  record PostHit(long id, String title, String titleHtml, String author, OffsetDateTime createdAt, int commentCount,
      int score, float rank, String snippet, String key) {

    JsonObject toJson() {
      return new JsonObject().put("id", id).put("title", title).put("titleHtml", titleHtml)
          .put("author", new JsonObject().put("username", author)).put("createdAt", Iso.format(createdAt))
          .put("commentCount", commentCount).put("score", score).put("snippet", snippet);
    }
  }

  /** A comment found, with its post's title, its permalink and its cursor key. */
  record CommentHit(long id, long postId, String postTitle, String author, OffsetDateTime createdAt, float rank,
      String snippet, String key) {

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

  /** The ids a search of the newest matches ranked: from its oldest match to its newest. */
  record Window(long low, long high) {

    /** Every id: a first page's window, before it is known. */
    static final Window ANY = new Window(0, Long.MAX_VALUE);
  }

  /**
   * Where a ranked page resumes: after (rank, id), found the {@code way} the first page's were, among the newest
   * matches in {@code window} (null for every match). Nothing (all null) on a first page.
   */
  record RankedCursor(Float rank, Long id, Window window, Way way) {

    static final RankedCursor FIRST = new RankedCursor(null, null, null, null);

    /**
     * The cursor's key read back: "rank" (every match ranked), "newest:low:high:rank" or "indexed:low:high:rank",
     * each part checked to be one this server could have issued.
     */
    static RankedCursor of(Page page) {
      if (page.after() == null) return FIRST;
      String key = page.afterKey();
      if (key == null) throw badCursor();
      Window window = null;
      Way way = Way.EVERY;
      for (Way newest : List.of(Way.NEWEST_READ, Way.NEWEST_INDEXED)) {
        if (key.startsWith(newest.prefix)) way = newest;
      }
      if (way != Way.EVERY) {
        String[] parts = key.substring(way.prefix.length()).split(":", -1);
        if (parts.length != 3) throw badCursor();
        try {
          window = new Window(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        } catch (NumberFormatException e) {
          throw badCursor();
        }
        if (window.low() < 1 || window.high() < window.low()) throw badCursor();
        key = parts[2];
      }
      Float rank;
      try {
        rank = Float.valueOf(key);
      } catch (NumberFormatException e) {
        throw badCursor();
      }
      if (rank.isNaN() || rank.isInfinite() || rank < 0) throw badCursor();
      return new RankedCursor(rank, page.after(), window, way);
    }

    boolean first() {
      return rank == null;
    }
  }

  /** PostgreSQL's SQLSTATE for a statement it cancelled, here because it ran past statement_timeout. */
  private static final String QUERY_CANCELED = "57014";

  /**
   * The node's search slots ({@code PARLEY_SEARCH_CONCURRENCY}); a refused search is asked to wait 2 s, about as long
   * as PARLEY_SEARCH_TIMEOUT lets one run.
   */
  public static Slots slots(int capacity) {
    return new Slots(capacity, "Too many searches are running on this server; try again shortly.", 2);
  }

  private final Pool pool;
  private final long timeoutMillis;
  private final int rankLimit;

  /**
   * Searches through the pool, each cancelled by PostgreSQL when it runs longer than {@code timeout}, ranking at most
   * about {@code rankLimit} matches: a query estimated to match more ranks its newest {@code rankLimit} matches.
   */
  public Search(Pool pool, Duration timeout, int rankLimit) {
    if (rankLimit < 1) throw new IllegalArgumentException("rankLimit must be at least 1");
    this.pool = pool;
    this.timeoutMillis = Math.max(1, timeout.toMillis());
    this.rankLimit = rankLimit;
  }

  /**
   * One page of ranked hits, and whether they were ranked among the newest {@code rankLimit} matches only (a common
   * query) rather than among every match.
   */
  record Ranked<T>(List<T> hits, boolean newestOnly, int rankLimit) {

    /** The page as the API answers it: the list's fields, then how its hits were ranked. */
    JsonObject respond(Page page, Function<T, String> key, ToLongFunction<T> id, Function<T, JsonObject> toJson) {
      JsonObject body = page.respond(hits, key, id, toJson).put("rankedAmong", newestOnly ? "newest" : "all");
      return newestOnly ? body.put("rankLimit", rankLimit) : body;
    }
  }

  /** A page of posts matching the query, best first. */
  Future<Ranked<PostHit>> posts(SearchQuery query, Page page, long readerId) {
    RankedCursor cursor = RankedCursor.of(page);
    return bounded(conn -> ranked(conn, POST_STATEMENTS, query, page, readerId, cursor,
        (row, key) -> new PostHit(row.getLong("id"), row.getString("title"),
            Snippet.title(row.getString("title_marked"), row.getString("title")), row.getString("username"),
            row.getOffsetDateTime("created_at"), row.getInteger("comment_count"), row.getInteger("score"),
            row.getFloat("rank"), Snippet.html(row.getString("snippet"), row.getString("head"), row.getString("tail")), key)));
  }

  /** A page of comments matching the query, best first. */
  Future<Ranked<CommentHit>> comments(SearchQuery query, Page page, long readerId) {
    RankedCursor cursor = RankedCursor.of(page);
    return bounded(conn -> ranked(conn, COMMENT_STATEMENTS, query, page, readerId, cursor,
        (row, key) -> new CommentHit(row.getLong("id"), row.getLong("post_id"), row.getString("post_title"),
            row.getString("username"), row.getOffsetDateTime("created_at"), row.getFloat("rank"),
            Snippet.html(row.getString("snippet"), row.getString("head"), row.getString("tail")), key)));
  }

  /** A page of people whose username starts with the query. */
  Future<List<UserHit>> users(SearchQuery query, Page page, long readerId) {
    String after = null;
    if (page.after() != null) {
      after = page.afterKey();
      if (after == null || !USERNAME_KEY.matcher(after).matches()) throw badCursor();
    }
    Tuple args = Tuple.of(query.likePrefix(), readerId, after, page.fetchSize());
    return bounded(conn -> conn.preparedQuery(USERS).execute(args).map(rows -> list(rows, row ->
        new UserHit(row.getLong("id"), row.getString("username"), row.getOffsetDateTime("created_at"),
            row.getString("key")))));
  }

  /**
   * How a first page's matches are found and ranked, from its probe ({@link #way}): every match, through the GIN
   * index; or the newest only, read newest first on the primary key, or found through the GIN index and the primary
   * key's range at once.
   */
  public enum Way {
    EVERY(null), NEWEST_READ("newest:"), NEWEST_INDEXED("indexed:");

    /** Its cursor keys' prefix (low:high:rank follow), or null: an every-match cursor's key is its rank alone. */
    final String prefix;

    Way(String prefix) {
      this.prefix = prefix;
    }
  }

  /** A table's search statements: every match, the newest read, the newest indexed, and the probe. */
  private record Statements(String every, String newestRead, String newestIndexed, String probe) {

    String of(Way way) {
      return switch (way) {
        case EVERY -> every;
        case NEWEST_READ -> newestRead;
        case NEWEST_INDEXED -> newestIndexed;
      };
    }
  }

  private static final Statements POST_STATEMENTS = new Statements(POSTS, POSTS_NEWEST, POSTS_NEWEST_INDEXED,
      POSTS_PROBE);
  private static final Statements COMMENT_STATEMENTS = new Statements(COMMENTS, COMMENTS_NEWEST,
      COMMENTS_NEWEST_INDEXED, COMMENTS_PROBE);

  /**
   * One ranked page: among every match ($1 to $5) or among the newest ($1 to $9). A first page asks the probe how
   * common the query is. A later page of the newest goes the way and keeps the window its cursor says: whatever a
   * reader writes there, the statement reads at most {@code rankLimit} times {@link #SCAN_FACTOR} rows. A later page
   * of every match is judged again, because a cursor is not a secret (anyone can write one that says "every match"
   * for a word in most rows, the whole-table ranking the probe exists to refuse, a review found): still rare, it goes
   * on among every match; common now (forged, or matches written since the page before), it goes on from its rank
   * and id among the newest, in a window taken as a first page's would be.
   */
  private <T> Future<Ranked<T>> ranked(SqlConnection conn, Statements statements, SearchQuery query, Page page,
      long readerId, RankedCursor cursor, BiFunction<Row, String, T> fromRow) {
    boolean judged = cursor.first() || cursor.way() == Way.EVERY;
    Future<Way> chosen = judged ? way(conn, statements.probe(), query) : Future.succeededFuture(cursor.way());
    return chosen.compose(way -> {
      if (way == Way.EVERY) {
        return conn.preparedQuery(statements.every())
            .execute(Tuple.of(query.tsText(), readerId, cursor.rank(), cursor.id(), page.fetchSize()))
            .map(rows -> new Ranked<>(list(rows, row -> fromRow.apply(row, Float.toString(row.getFloat("rank")))),
                false, rankLimit));
      }
      Window window = judged ? Window.ANY : cursor.window();
      Tuple args = Tuple.tuple().addValue(query.tsText()).addValue(readerId).addValue(cursor.rank())
          .addValue(cursor.id()).addValue(page.fetchSize()).addValue(window.low()).addValue(window.high())
          .addValue((long) rankLimit * SCAN_FACTOR).addValue((long) rankLimit);
      return conn.preparedQuery(statements.of(way)).execute(args).map(rows -> new Ranked<>(list(rows, row -> {
        // The first page's window is what it ranked; later pages keep it, so they rank the same matches.
        Window ranked = judged ? new Window(row.getLong("low"), row.getLong("high")) : window;
        return fromRow.apply(row, way.prefix + ranked.low() + ":" + ranked.high() + ":" + row.getFloat("rank"));
      }), true, rankLimit));
    });
  }

  /** The way the probe's figures choose for the query. */
  private Future<Way> way(SqlConnection conn, String probe, SearchQuery query) {
    return conn.preparedQuery(probe).execute(Tuple.of(query.tsText())).map(rows -> {
      Row row = rows.iterator().next();
      Long span = row.getLong("span");
      Integer nodes = row.getInteger("nodes");
      return way(row.getLong("examined"), row.getLong("matched"), span == null ? 0 : span,
          nodes == null ? 0 : nodes, rankLimit);
    });
  }

  /**
   * Whether the query is estimated to match more than {@code rankLimit} rows, from a probe's figures: the share of
   * the newest rows that match, times the span of the table's ids. Public for the plan tests.
   */
  public static boolean common(long examined, long matched, long span, int rankLimit) {
    return matched > 0 && (double) matched / examined * span > rankLimit;
  }

  /**
   * The way a probe's figures choose. A query that is not {@link #common} has every match ranked. Otherwise its newest
   * matches are, read newest first (about {@code rankLimit} rows over the share that match, at most
   * {@link #SCAN_FACTOR} times {@code rankLimit}) unless it is a single word (one node) whose estimated matches in
   * the whole table cost less through the index ({@link #INDEX_MATCHES_PER_ROW} of them to a row read): a word in a
   * few percent. A query of several words is always read: the index's cost is its words' matches, which the probe
   * does not see (two common words can make a rare pair). Public for the plan tests.
   */
  public static Way way(long examined, long matched, long span, int nodes, int rankLimit) {
    if (!common(examined, matched, span, rankLimit)) return Way.EVERY;
    double estimated = (double) matched / examined * span;
    double read = Math.min((double) rankLimit * SCAN_FACTOR, (double) rankLimit * examined / matched);
    return nodes == 1 && estimated < INDEX_MATCHES_PER_ROW * read ? Way.NEWEST_INDEXED : Way.NEWEST_READ;
  }

  /**
   * Runs one search in its own read-only transaction whose statement_timeout is the search's time (SET LOCAL: it
   * ends with the transaction, so the connection goes back to the pool as it was). A search PostgreSQL cancels for
   * running out of time is answered 422 search-too-broad; it only read, so nothing changed.
   */
  private <T> Future<T> bounded(Function<SqlConnection, Future<T>> search) {
    return pool.withTransaction(conn -> conn.query("SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = "
                + timeoutMillis)
            .execute()
            .compose(v -> search.apply(conn)))
        .recover(e -> Future.failedFuture(e instanceof PgException pg && QUERY_CANCELED.equals(pg.getSqlState())
            ? ProblemType.SEARCH_TOO_BROAD.problem("This search matches too much to rank in time. Narrow it: add "
                + "words, use rarer ones, or put a phrase in quotes.")
            : e));
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
