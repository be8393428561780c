package parley.realworld;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Visibility;
import parley.http.Problem;
import parley.post.Post;

import java.text.Normalizer;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RealWorld's read model over Parley's tables: articles (posts) with their author's profile, whether the reader
 * favorited (up-voted) them and follows their author, offset pages with a total, and profiles. Every query is built
 * from {@link Visibility}'s fragments, so it shows exactly what Parley's own reads show. Writes never happen here:
 * they go through Posts, Comments, Votes, Follows and Accounts.
 */
public final class Articles {

  /** $1 is the reader (0 when signed out). */
  private static final String SELECT = "SELECT " + Post.COLUMNS + ", u.bio AS author_bio, u.image AS author_image, "
      + "EXISTS (SELECT 1 FROM post_votes v WHERE v.post_id = p.id AND v.user_id = $1 AND v.value = 1) AS favorited, "
      + "EXISTS (SELECT 1 FROM user_follows f WHERE f.follower_id = $1 AND f.followee_id = p.author_id) AS following";

  /** Posts and their authors (a page adds {@link Post#ACTIVITY}; the total needs no activity). */
  private static final String FROM = " FROM posts p JOIN users u ON u.id = p.author_id";

  /**
   * One page of GET /articles or /articles/feed, newest first, and the total of all its pages: the visibility rules
   * for reader $1, then only the filters asked for, each with the next parameter ($2, $3, …), then the page's LIMIT
   * and OFFSET. Only those asked for: written as "$2 IS NULL OR …" for every filter, one statement's generic plan
   * (the one PostgreSQL settles on for a cached statement) had to serve an author's list too, and began at the
   * authors, joining every post and sorting them all for a page of the newest: 330-380 ms at 100,000 posts, against
   * 0.2-0.4 for a plan that reads posts_pkey backwards and stops after the page (docs/REALWORLD.md). The total once
   * came with the page, as count(*) OVER (), which also evaluated every listed post before the page; it is now its
   * own statement, asked with the page; for the whole list and for a tag alone, it is read off the counts kept as
   * posts change ({@link #LISTED_TOTAL}, {@link #TAG_TOTAL}). Two statements for each combination of filters the
   * routes ask for, each prepared once per connection. Public for the plan tests.
   */
  public record Filtered(String page, String count, Tuple pageArgs, Tuple countArgs) {

    public static Filtered of(String tag, String author, String favoritedBy, boolean feed, long readerId, int limit,
        int offset) {
      StringBuilder where = new StringBuilder(" WHERE ").append(Visibility.listed("p")).append(" AND ")
          .append(Visibility.notBlocked("$1", "p.author_id"));
      List<Object> args = new ArrayList<>(List.of(readerId));
      if (tag != null) {
        args.add(tag);
        where.append(" AND p.tags @> ARRAY[$").append(args.size()).append("::text]");
      }
      if (author != null) {
        args.add(author);
        where.append(" AND lower(u.username) = lower($").append(args.size()).append("::text)");
      }
      if (favoritedBy != null) {
        args.add(favoritedBy);
        // Only the reader's own: a favorite is an up vote, and who voted is nobody else's business (any caller, signed
        // out too, could list any member's up votes by name: a review). Another's name finds nothing.
        where.append(" AND EXISTS (SELECT 1 FROM post_votes v JOIN users fu ON fu.id = v.user_id WHERE v.post_id = "
            + "p.id AND v.value = 1 AND v.user_id = $1 AND lower(fu.username) = lower($").append(args.size())
            .append("::text))");
      }
      if (feed) {
        where.append(" AND EXISTS (SELECT 1 FROM user_follows f WHERE f.follower_id = $1 AND f.followee_id = "
            + "p.author_id)");
      }
      Tuple countArgs = Tuple.from(args);
      int n = args.size();
      args.addAll(List.of(limit, offset));
      String count = author != null || favoritedBy != null || feed ? "SELECT count(*) AS total" + FROM + where
          : tag != null ? TAG_TOTAL : LISTED_TOTAL;
      return new Filtered(SELECT + FROM + " " + Post.ACTIVITY + where + " ORDER BY p.id DESC LIMIT $" + (n + 1)
          + " OFFSET $" + (n + 2), count, Tuple.from(args), countArgs);
    }
  }

  /** The listed posts of the authors reader $1 blocked: what a total kept for everyone counts that they are not shown. */
  private static final String BLOCKED = "SELECT count(*) FROM blocks b JOIN posts p ON p.author_id = b.blocked_id "
      + "WHERE b.blocker_id = $1 AND " + Visibility.listed("p");

  /**
   * The total of the whole list: the listed posts, kept as posts change (V38's listed_posts), less those of the
   * authors the reader blocked. Counting them took 14-26 ms at 100,000 posts on PostgreSQL 15, on every RealWorld
   * home page, growing with the site (docs/benchmarks/reads-at-scale.md).
   */
  private static final String LISTED_TOTAL = "SELECT (SELECT COALESCE(sum(posts), 0) FROM listed_posts)::bigint - ("
      + BLOCKED + ") AS total";

  /**
   * A tag's total ($2): its count kept in tag_counts (V35), less the blocked authors' listed posts with that tag. The
   * tag is tested as "$2 = ANY (p.tags)", which the tags' index cannot answer, so the blocked authors' posts are read
   * through posts_by_author: written "p.tags @> …", the plan read every post with the tag through posts_tags to find
   * the few by a blocked author.
   */
  private static final String TAG_TOTAL = "SELECT COALESCE((SELECT posts FROM tag_counts WHERE tag = $2), 0) - ("
      + BLOCKED + " AND $2::text = ANY (p.tags)) AS total";

  /** One article as the reader $1 (a moderator if $3) may read it, and whether they blocked its author. */
  private static final String ONE = SELECT + ", b.blocker_id IS NOT NULL AS author_blocked"
      + " FROM posts p JOIN users u ON u.id = p.author_id " + Post.ACTIVITY + " "
      + Visibility.blockedJoin("b", "$1", "p.author_id")
      + " WHERE p.id = $2 AND " + Visibility.readableBy("p", "$1", "$3");

  private static final String PROFILE = "SELECT u.id, u.username, u.bio, u.image, EXISTS (SELECT 1 FROM user_follows f "
      + "WHERE f.follower_id = $1 AND f.followee_id = u.id) AS following FROM users u WHERE lower(u.username) = lower($2)";

  private static final String PROFILES = "SELECT u.id, u.username, u.bio, u.image, EXISTS (SELECT 1 FROM user_follows f "
      + "WHERE f.follower_id = $1 AND f.followee_id = u.id) AS following FROM users u WHERE u.id = ANY($2)";

  /** RealWorld's clients expect the fraction of a second always (Parley's API leaves ".000" out). */
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
      .withZone(ZoneOffset.UTC);
  private static final Pattern SLUG_ID = Pattern.compile("(?:^|-)([1-9][0-9]{0,17})$");

  /** What GET /articles asks for. */
  record Query(String tag, String author, String favoritedBy, boolean feed, int limit, int offset) {
  }

  /** A page of articles and how many there are in all. */
  record Slice(List<JsonObject> articles, long count) {
  }

  private final Pool pool;

  Articles(Pool pool) {
    this.pool = pool;
  }

  /**
   * A page and the total ({@link Filtered}), both asked at once, each a read of the pool's (bounded by the request
   * deadline as reads are); answered once both have answered.
   */
  Future<Slice> list(Query query, long readerId) {
    Filtered filtered = Filtered.of(query.tag(), query.author(), query.favoritedBy(), query.feed(), readerId,
        query.limit(), query.offset());
    Future<RowSet<Row>> rows = pool.preparedQuery(filtered.page()).execute(filtered.pageArgs());
    Future<RowSet<Row>> count = pool.preparedQuery(filtered.count()).execute(filtered.countArgs());
    return Future.join(rows, count).map(both -> {
      List<JsonObject> articles = new ArrayList<>(rows.result().size());
      for (Row row : rows.result()) articles.add(article(row, false));
      return new Slice(articles, count.result().iterator().next().getLong("total"));
    });
  }

  /** The article as this reader may read it; 404 when it does not exist for them or they blocked its author. */
  Future<JsonObject> one(long id, Principal reader) {
    long readerId = reader == null ? 0 : reader.id();
    return pool.preparedQuery(ONE).execute(Tuple.of(readerId, id, reader != null && reader.isModerator()))
        .map(rows -> {
          if (rows.size() == 0) throw Problem.notFound("No such article.");
          Row row = rows.iterator().next();
          if (row.getBoolean("author_blocked")) throw Problem.notFound("No such article.");
          return article(row, true);
        });
  }

  Future<Optional<JsonObject>> profile(String username, long readerId) {
    return pool.preparedQuery(PROFILE).execute(Tuple.of(readerId, username))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(profile(rows.iterator().next())));
  }

  /** The profiles of these users, by id, as the reader sees them (for comment authors). */
  Future<Map<Long, JsonObject>> profiles(long readerId, List<Long> ids) {
    Map<Long, JsonObject> out = new HashMap<>();
    if (ids.isEmpty()) return Future.succeededFuture(out);
    return pool.preparedQuery(PROFILES).execute(Tuple.tuple().addLong(readerId).addArrayOfLong(ids.toArray(Long[]::new)))
        .map(rows -> {
          rows.forEach(row -> out.put(row.getLong("id"), profile(row)));
          return out;
        });
  }

  private static JsonObject profile(Row row) {
    return new JsonObject().put("username", row.getString("username")).put("bio", row.getString("bio"))
        .put("image", row.getString("image")).put("following", row.getBoolean("following"));
  }

  private static JsonObject article(Row row, boolean withBody) {
    Post post = Post.fromRow(row);
    JsonObject json = new JsonObject()
        .put("slug", slug(post.title(), post.id()))
        .put("title", post.title())
        .put("description", post.description());
    if (withBody) json.put("body", post.body());
    json.put("tagList", new JsonArray(post.tags().stream().sorted().toList()))
        .put("createdAt", time(post.createdAt()))
        .put("updatedAt", time(post.editedAt() == null ? post.createdAt() : post.editedAt()))
        .put("favorited", row.getBoolean("favorited"))
        .put("favoritesCount", post.upvotes())
        .put("author", new JsonObject().put("username", post.author()).put("bio", row.getString("author_bio"))
            .put("image", row.getString("author_image")).put("following", row.getBoolean("following")));
    // Only its author and moderators ever read a held or hidden article; they are told why nobody else can.
    if (post.pending()) json.put("pending", true);
    if (post.hidden()) json.put("hidden", true);
    return json;
  }

  static String time(OffsetDateTime time) {
    return TIME.format(time);
  }

  /**
   * The title in lowercase ASCII words joined by hyphens, then the post's id: unique and stable, since only the id
   * is read back ({@link #idOf}), so an old slug still finds an article whose title changed.
   */
  static String slug(String title, long id) {
    String ascii = Normalizer.normalize(title, Normalizer.Form.NFD).replaceAll("\\p{M}", "").toLowerCase(Locale.ROOT);
    String words = ascii.replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (words.length() > 60) words = words.substring(0, 60).replaceAll("-+$", "");
    return words.isEmpty() ? Long.toString(id) : words + "-" + id;
  }

  /** The post id a slug names; a slug that ends in no id names nothing (404). */
  static long idOf(String slug) {
    Matcher m = SLUG_ID.matcher(slug == null ? "" : slug);
    if (!m.find()) throw Problem.notFound("No such article.");
    return Long.parseLong(m.group(1));
  }
}
