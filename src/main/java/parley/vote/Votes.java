package parley.vote;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Visibility;
import parley.http.Problem;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Votes on posts and comments: one per account per item, up (1) or, where the community allows it, down (-1). A
 * vote locks its item's row, changes the item's counts and the voter's row in one transaction, so the counts are
 * always exactly the sum of the votes; the ranks (hot, best) follow from the counts (database triggers). Score
 * changes reach readers through {@link ScoreBoard}, coalesced.
 */
public final class Votes {

  /** What is voted on: the table names of each kind. */
  public enum Kind {
    POST("posts", "post_votes", "post_id", "post"),
    COMMENT("comments", "comment_votes", "comment_id", "comment");

    final String table;
    final String votes;
    final String key;
    final String word;

    Kind(String table, String votes, String key, String word) {
      this.table = table;
      this.votes = votes;
      this.key = key;
      this.word = word;
    }

    /** Locks the item and reads who wrote it, its thread, and whether it may take votes. */
    String lock() {
      return this == POST
          ? "SELECT p.author_id, p.id AS post_id, NOT (" + Visibility.open("p") + ") AS restricted FROM posts p "
              + "WHERE p.id = $1 AND " + Visibility.exists("p") + " FOR NO KEY UPDATE"
          : "SELECT c.author_id, c.post_id, NOT (" + Visibility.open("c") + " AND " + Visibility.open("p")
              + ") AS restricted FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = $1 AND "
              + Visibility.exists("c") + " AND " + Visibility.exists("p") + " FOR NO KEY UPDATE OF c";
    }

    /** Puts the voter's vote ($3) in place of any earlier one and moves the counts by the difference. */
    String put() {
      return "WITH old AS (SELECT value FROM " + votes + " WHERE " + key + " = $1 AND user_id = $2), "
          + "put AS (INSERT INTO " + votes + " (" + key + ", user_id, value) VALUES ($1, $2, $3) "
          + "ON CONFLICT (" + key + ", user_id) DO UPDATE SET value = EXCLUDED.value, created_at = now()) "
          + "UPDATE " + table + " SET upvotes = upvotes + ($3 = 1)::int - (COALESCE((SELECT value FROM old), 0) = 1)::int, "
          + "downvotes = downvotes + ($3 = -1)::int - (COALESCE((SELECT value FROM old), 0) = -1)::int "
          + "WHERE id = $1 RETURNING upvotes, downvotes";
    }

    /** Takes the voter's vote back, if any, and the counts with it. */
    String withdraw() {
      return "WITH old AS (DELETE FROM " + votes + " WHERE " + key + " = $1 AND user_id = $2 RETURNING value) "
          + "UPDATE " + table + " SET upvotes = upvotes - (COALESCE((SELECT value FROM old), 0) = 1)::int, "
          + "downvotes = downvotes - (COALESCE((SELECT value FROM old), 0) = -1)::int "
          + "WHERE id = $1 RETURNING upvotes, downvotes";
    }

    /** The reader's votes on a page of items ($2 their ids). */
    String mine() {
      return "SELECT " + key + " AS id, value FROM " + votes + " WHERE user_id = $1 AND " + key + " = ANY($2)";
    }
  }

  /** An item's counts after a vote, and the voter's own vote now (null once withdrawn). */
  public record Tally(Kind kind, long id, long postId, int upvotes, int downvotes, Integer myVote) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("score", upvotes - downvotes).put("upvotes", upvotes)
          .put("downvotes", downvotes).put("myVote", myVote);
    }
  }

  private final Pool pool;
  private final boolean downvotes;

  public Votes(Pool pool, boolean downvotes) {
    this.pool = pool;
    this.downvotes = downvotes;
  }

  public boolean downvotesAllowed() {
    return downvotes;
  }

  /** Votes {@code value} (1 or -1), replacing the voter's earlier vote on the item. */
  public Future<Tally> vote(Kind kind, long id, Principal voter, int value) {
    if (value == -1 && !downvotes) throw Problem.invalid("value", "must be 1: this community has no down votes");
    return vote(kind, id, voter, value, false);
  }

  /**
   * A RealWorld "favorite": an up vote on a post that its own author may give too (RealWorld lets authors favorite
   * their own articles; Parley's own API keeps refusing self-votes).
   */
  public Future<Tally> favorite(long postId, Principal voter) {
    return vote(Kind.POST, postId, voter, 1, true);
  }

  /** Takes a favorite back: withdraws the caller's up vote on the post, their own post included. */
  public Future<Tally> unfavorite(long postId, Principal voter) {
    return pool.withTransaction(conn -> lock(conn, Kind.POST, postId, voter, true)
        .compose(thread -> conn.preparedQuery(Kind.POST.withdraw()).execute(Tuple.of(postId, voter.id()))
            .map(rows -> tally(Kind.POST, postId, thread, rows.iterator().next(), null))));
  }

  private Future<Tally> vote(Kind kind, long id, Principal voter, int value, boolean ownAllowed) {
    return pool.withTransaction(conn -> lock(conn, kind, id, voter, ownAllowed)
        .compose(postId -> conn.preparedQuery(kind.put()).execute(Tuple.of(id, voter.id(), (short) value))
            .map(rows -> tally(kind, id, postId, rows.iterator().next(), value))));
  }

  /** Withdraws the voter's vote on the item, if there is one. */
  public Future<Tally> withdraw(Kind kind, long id, Principal voter) {
    return pool.withTransaction(conn -> lock(conn, kind, id, voter, false)
        .compose(postId -> conn.preparedQuery(kind.withdraw()).execute(Tuple.of(id, voter.id()))
            .map(rows -> tally(kind, id, postId, rows.iterator().next(), null))));
  }

  private static Tally tally(Kind kind, long id, long postId, Row row, Integer myVote) {
    return new Tally(kind, id, postId, row.getInteger("upvotes"), row.getInteger("downvotes"), myVote);
  }

  /** Locks the item; refuses what may not be voted on. Returns the item's thread. */
  private static Future<Long> lock(SqlConnection conn, Kind kind, long id, Principal voter, boolean ownAllowed) {
    return conn.preparedQuery(kind.lock()).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such " + kind.word + ".");
      Row row = rows.iterator().next();
      long authorId = row.getLong("author_id");
      boolean restricted = row.getBoolean("restricted");
      if (restricted && !Visibility.seesHidden(voter, authorId)) throw Problem.notFound("No such " + kind.word + ".");
      if (authorId == voter.id() && !ownAllowed) throw Problem.forbidden("You cannot vote on your own " + kind.word + ".");
      if (restricted) {
        throw Problem.conflict("This " + kind.word + " is hidden or waiting for review: it takes no votes.");
      }
      return row.getLong("post_id");
    });
  }

  /** Adds the reader's own vote ({@code myVote}: 1, -1 or null) to each item of a page. */
  public Future<List<JsonObject>> withMine(Kind kind, Principal reader, List<JsonObject> items) {
    if (reader == null || items.isEmpty()) {
      items.forEach(item -> item.put("myVote", null));
      return Future.succeededFuture(items);
    }
    Long[] ids = items.stream().map(item -> item.getLong("id")).toArray(Long[]::new);
    return pool.preparedQuery(kind.mine()).execute(Tuple.tuple().addLong(reader.id()).addArrayOfLong(ids)).map(rows -> {
      Map<Long, Integer> mine = new HashMap<>();
      rows.forEach(row -> mine.put(row.getLong("id"), (int) row.getShort("value")));
      items.forEach(item -> item.put("myVote", mine.get(item.getLong("id"))));
      return items;
    });
  }
}
