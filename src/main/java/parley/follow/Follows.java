package parley.follow;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.access.Visibility;
import parley.http.Page;
import parley.http.Problem;
import parley.post.Post;

import java.util.ArrayList;
import java.util.List;

/**
 * People following people: the following feature's API for the rest of Parley. Following someone puts their posts
 * in one's "Following" feed (listed posts only, never those of someone one blocked); it tells them nothing.
 */
public final class Follows {

  private static final String USER_ID = "SELECT id, username FROM users WHERE lower(username) = lower($1)";

  private static final String FOLLOW = "INSERT INTO user_follows (follower_id, followee_id) VALUES ($1, $2) "
      + "ON CONFLICT DO NOTHING";

  private static final String UNFOLLOW = "DELETE FROM user_follows WHERE follower_id = $1 AND followee_id = $2";

  private static final String FOLLOWING = "SELECT EXISTS (SELECT 1 FROM user_follows f JOIN users u "
      + "ON u.id = f.followee_id WHERE f.follower_id = $1 AND lower(u.username) = lower($2)) AS following";

  /**
   * The reader's ($1) following feed, newest first, keyset on id: the newest page of each followed author's listed
   * posts through posts_by_author (at most a page of ids each, from the index alone), the newest page of those, then
   * their rows. Written as a join of the follows and the posts, its plan read posts_pkey backwards testing each post
   * for a follow (a reader who follows a few quiet people read every post there is: 110-140 ms at 100,000 posts), or
   * read every post of each followed author and sorted them (docs/benchmarks/reads-at-scale.md). This reads at most
   * a page per followed author, whatever the size of the site.
   */
  public static final String FEED = "SELECT " + Post.COLUMNS
      + " FROM (SELECT l.id FROM user_follows f CROSS JOIN LATERAL (SELECT p.id FROM posts p"
      + " WHERE p.author_id = f.followee_id AND " + Visibility.listed("p")
      + " AND p.id < COALESCE($2, 9223372036854775807) ORDER BY p.id DESC LIMIT $3) l"
      + " WHERE f.follower_id = $1 AND " + Visibility.notBlocked("$1", "f.followee_id")
      + " ORDER BY l.id DESC LIMIT $3) page"
      + " JOIN posts p ON p.id = page.id JOIN users u ON u.id = p.author_id " + Post.ACTIVITY
      + " ORDER BY p.id DESC";

  private final Pool pool;

  public Follows(Pool pool) {
    this.pool = pool;
  }

  /**
   * Follows (or, with {@code follow} false, unfollows) the user, named in any case; completes with their name as
   * they spell it. 404 if there is none, 400 for oneself.
   */
  public Future<String> follow(long followerId, String username, boolean follow) {
    return user(username).compose(user -> {
      long id = user.getLong("id");
      if (id == followerId) throw Problem.invalid("username", "is you: you can't follow yourself");
      return pool.preparedQuery(follow ? FOLLOW : UNFOLLOW).execute(Tuple.of(followerId, id))
          .map(user.getString("username"));
    });
  }

  /** Whether the reader follows the user (false for anyone signed out, 0). */
  public Future<Boolean> following(long readerId, String username) {
    if (readerId == 0) return Future.succeededFuture(false);
    return pool.preparedQuery(FOLLOWING).execute(Tuple.of(readerId, username))
        .map(rows -> rows.iterator().next().getBoolean("following"));
  }

  /** A page of the posts of the people the reader follows, newest first. */
  public Future<List<Post>> feed(long readerId, Page page) {
    return pool.preparedQuery(FEED).execute(Tuple.of(readerId, page.after(), page.fetchSize())).map(rows -> {
      List<Post> posts = new ArrayList<>(rows.size());
      for (Row row : rows) posts.add(Post.fromRow(row));
      return posts;
    });
  }

  private Future<io.vertx.sqlclient.Row> user(String username) {
    return pool.preparedQuery(USER_ID).execute(Tuple.of(username)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such user.");
      return rows.iterator().next();
    });
  }
}
