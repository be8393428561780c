package parley.vote;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.db.CommitUnconfirmed;
import parley.access.Visibility;
import parley.http.Problem;
import parley.post.Threads;

import java.util.ArrayList;
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

    /**
     * Locks the item and reads who wrote it, its thread, and whether it may take votes. A comment's post row is
     * locked first (FOR SHARE: votes on one thread's comments do not wait for each other), as every write to a
     * thread takes it first ({@link parley.post.Threads}): a hide, restore or delete of the post then waits for the
     * batch, and this statement and the votes' own see the same post. Unlocked, the post was read as this
     * statement's snapshot had it and the votes' statements read it later: a hide committed between them made an
     * allowed vote change nothing (a 500), and a restore made a refused one count (a probe, 2026-12-04).
     */
    String lock() {
      return this == POST
          ? "SELECT p.author_id, p.id AS post_id, NOT (" + Visibility.open("p") + ") AS restricted FROM posts p "
              + "WHERE p.id = $1 AND " + Visibility.exists("p") + " FOR NO KEY UPDATE"
          : Threads.sharedPostOfComment("$1")
              + "SELECT c.author_id, c.post_id, NOT (" + Visibility.open("c") + " AND " + Visibility.open("p")
              + ") AS restricted FROM comments c JOIN p ON p.id = c.post_id WHERE c.id = $1 AND "
              + Visibility.exists("c") + " AND " + Visibility.exists("p") + " AND " + AUTHOR_HERE
              + " FOR NO KEY UPDATE OF c";
    }

    /**
     * Whether the voter ($2) may vote on the item now, as {@link #refusal} decides it from the lock's row: it exists,
     * is neither hidden nor pending, and is not the voter's own unless $own says their own is allowed.
     */
    private String allowed(String own) {
      return this == POST
          ? "SELECT 1 FROM posts p WHERE p.id = $1 AND " + Visibility.exists("p") + " AND " + Visibility.open("p")
              + " AND (p.author_id <> $2 OR " + own + ")"
          : "SELECT 1 FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = $1 AND " + Visibility.exists("c")
              + " AND " + Visibility.exists("p") + " AND " + AUTHOR_HERE + " AND " + Visibility.open("c") + " AND "
              + Visibility.open("p") + " AND (c.author_id <> $2 OR " + own + ")";
    }

    /** A comment whose author deleted their account reads as a tombstone (Comment.COLUMNS), and takes no vote. */
    private static final String AUTHOR_HERE = "NOT " + Visibility.authorDeleted("c.author_id");

    /**
     * Puts the voter's vote ($3) in place of any earlier one and moves the counts by the difference, if the voter
     * may vote ($4: whether their own item is allowed); otherwise changes nothing and returns no row.
     */
    String put() {
      return "WITH ok AS (" + allowed("$4") + "), "
          + "old AS (SELECT value FROM " + votes + " WHERE " + key + " = $1 AND user_id = $2), "
          + "put AS (INSERT INTO " + votes + " (" + key + ", user_id, value) SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM ok) "
          + "ON CONFLICT (" + key + ", user_id) DO UPDATE SET value = EXCLUDED.value, created_at = now()) "
          + "UPDATE " + table + " SET upvotes = upvotes + ($3 = 1)::int - (COALESCE((SELECT value FROM old), 0) = 1)::int, "
          + "downvotes = downvotes + ($3 = -1)::int - (COALESCE((SELECT value FROM old), 0) = -1)::int "
          + "WHERE id = $1 AND EXISTS (SELECT 1 FROM ok) RETURNING upvotes, downvotes";
    }

    /** Takes the voter's vote back, if any, and the counts with it, if the voter may vote ($3 as put's $4). */
    String withdraw() {
      return "WITH ok AS (" + allowed("$3") + "), "
          + "old AS (DELETE FROM " + votes + " WHERE " + key + " = $1 AND user_id = $2 AND EXISTS (SELECT 1 FROM ok) "
          + "RETURNING value) "
          + "UPDATE " + table + " SET upvotes = upvotes - (COALESCE((SELECT value FROM old), 0) = 1)::int, "
          + "downvotes = downvotes - (COALESCE((SELECT value FROM old), 0) = -1)::int "
          + "WHERE id = $1 AND EXISTS (SELECT 1 FROM ok) RETURNING upvotes, downvotes";
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

  /** Votes on one item waiting for its batch in flight, beyond which more are refused with a 503. */
  static final int MAX_WAITING = 2_000;
  /** Votes applied in one transaction at most. */
  static final int MAX_BATCH = 200;

  private final Pool pool;
  private final boolean downvotes;
  /**
   * Votes waiting for their item's batch in flight, by item ("post:12"); an item is here while a batch of it runs.
   * Touched only from this verticle's event loop (a Votes belongs to one HTTP verticle).
   */
  private final Map<String, List<Pending>> waiting = new HashMap<>();
  /**
   * The event-loop thread of the verticle this belongs to (where it was made), the only one that may touch
   * {@link #waiting}. (Requests run on duplicates of the verticle's context, so the thread is what is compared.)
   */
  private final Thread owner;

  /**
   * Told of a vote counted after its caller had been answered (503 at the request deadline, "may have been saved"):
   * the score board still has to hear of it, or the read cache would keep the old counts and no score event would
   * go out.
   */
  private volatile java.util.function.BiConsumer<Tally, Long> countedLate = (tally, voter) -> { };

  /** Made on the HTTP verticle's context, and called only from it (as its routes are). */
  public Votes(Pool pool, boolean downvotes) {
    this.pool = pool;
    this.downvotes = downvotes;
    this.owner = Context.isOnEventLoopThread() ? Thread.currentThread() : null;
  }

  /** Who hears of a vote counted after its caller was answered (the score board, as the routes tell it otherwise). */
  public void whenCountedLate(java.util.function.BiConsumer<Tally, Long> listener) {
    this.countedLate = listener;
  }

  public boolean downvotesAllowed() {
    return downvotes;
  }

  /** Votes {@code value} (1 or -1), replacing the voter's earlier vote on the item. */
  public Future<Tally> vote(Kind kind, long id, Principal voter, int value) {
    if (value == -1 && !downvotes) throw Problem.invalid("value", "must be 1: this community has no down votes");
    return change(kind, id, voter, false, kind.put(), Tuple.of(id, voter.id(), (short) value, false), value);
  }

  /**
   * A RealWorld "favorite": an up vote on a post that its own author may give too (RealWorld lets authors favorite
   * their own articles; Parley's own API keeps refusing self-votes).
   */
  public Future<Tally> favorite(long postId, Principal voter) {
    return change(Kind.POST, postId, voter, true, Kind.POST.put(), Tuple.of(postId, voter.id(), (short) 1, true), 1);
  }

  /** Takes a favorite back: withdraws the caller's up vote on the post, their own post included. */
  public Future<Tally> unfavorite(long postId, Principal voter) {
    return change(Kind.POST, postId, voter, true, Kind.POST.withdraw(), Tuple.of(postId, voter.id(), true), null);
  }

  /** Withdraws the voter's vote on the item, if there is one. */
  public Future<Tally> withdraw(Kind kind, long id, Principal voter) {
    return change(kind, id, voter, false, kind.withdraw(), Tuple.of(id, voter.id(), false), null);
  }

  /**
   * One vote, counted in its item's next batch. Each item has at most one batch in flight per event loop: votes that
   * arrive while it runs wait for it and then go together, in one transaction (BEGIN, the item's lock, each vote's
   * change, COMMIT), sent as one pipelined batch: PostgreSQL runs the statements in order, so nothing waits on
   * Parley's event loop while the row is locked, and a hot item pays one lock and one durable flush for many votes
   * rather than one each. A hot post then holds at most one pool connection per event loop, instead of filling the
   * pool (and its queue) with votes that would only wait on each other's lock.
   */
  private Future<Tally> change(Kind kind, long id, Principal voter, boolean ownAllowed, String sql, Tuple args,
      Integer myVote) {
    onOwnLoop();
    Pending vote = new Pending(voter, ownAllowed, sql, args, myVote, Promise.promise());
    String key = kind.word + ":" + id;
    List<Pending> next = waiting.get(key);
    if (next == null) {
      waiting.put(key, new ArrayList<>());
      run(kind, id, key, List.of(vote));
    } else if (next.size() >= MAX_WAITING) {
      throw Problem.unavailable("Too many votes on this " + kind.word + " at once: try again in a moment.", 1);
    } else {
      next.add(vote);
    }
    return vote.done.future();
  }

  /** The batching map is not thread-safe: a caller on another thread would race this verticle's votes. */
  private void onOwnLoop() {
    if (owner != null && Thread.currentThread() != owner) {
      throw new IllegalStateException("Votes used off its verticle's event loop, on " + Thread.currentThread());
    }
  }

  /** Runs a batch, then the votes that arrived meanwhile (at most {@link #MAX_BATCH} at a time). */
  private void run(Kind kind, long id, String key, List<Pending> batch) {
    apply(kind, id, batch).onComplete(ignored -> {
      onOwnLoop();
      List<Pending> next = waiting.get(key);
      if (next.isEmpty()) {
        waiting.remove(key);
        return;
      }
      List<Pending> now = new ArrayList<>(next.subList(0, Math.min(MAX_BATCH, next.size())));
      next.subList(0, now.size()).clear();
      run(kind, id, key, now);
    });
  }

  /**
   * One transaction for a batch of votes on one item. Each vote's change re-checks in SQL what the lock's row
   * decides in Java for its voter ({@link #refusal}), so a refused vote changes nothing while the others count;
   * each statement sees the row locked and the batch's earlier votes, so the voter's earlier vote it reads is the
   * current one and the counts it returns are those right after it. Any failed statement turns the COMMIT into a
   * rollback, and every vote of the batch fails with it.
   */
  private Future<Void> apply(Kind kind, long id, List<Pending> batch) {
    return pool.withConnection(conn -> {
      Future<?> begin = conn.query("BEGIN").execute();
      Future<RowSet<Row>> lock = conn.preparedQuery(kind.lock()).execute(Tuple.of(id));
      List<Future<RowSet<Row>>> changes = new ArrayList<>(batch.size());
      for (Pending vote : batch) changes.add(conn.preparedQuery(vote.sql).execute(vote.args));
      Future<?> commit = conn.query("COMMIT").execute();
      List<Future<?>> all = new ArrayList<>(List.of(begin, lock));
      all.addAll(changes);
      all.add(commit);
      // The whole batch went out at once, COMMIT included: a connection lost now may have lost only its answers.
      return Future.all(all)
          .recover(failure -> Future.failedFuture(CommitUnconfirmed.afterCommitSent(failure)))
          .map(v -> {
            for (int i = 0; i < batch.size(); i++) settle(kind, id, batch.get(i), lock.result(), changes.get(i).result());
            return (Void) null;
          });
    }).onFailure(e -> batch.forEach(vote -> vote.done.tryFail(e))).mapEmpty();
  }

  private void settle(Kind kind, long id, Pending vote, RowSet<Row> locked, RowSet<Row> counts) {
    try {
      refusal(kind, locked, vote.voter, vote.ownAllowed);
      if (counts.size() == 0) {
        // Cannot happen while the guard and refusal() agree: fail loudly rather than report a vote not counted.
        throw new IllegalStateException("vote on " + kind.word + " " + id + " was allowed but changed nothing");
      }
      Tally tally = tally(kind, id, locked.iterator().next().getLong("post_id"), counts.iterator().next(),
          vote.myVote);
      if (!vote.done.tryComplete(tally)) countedLate.accept(tally, vote.voter.id());
    } catch (RuntimeException refused) {
      vote.done.tryFail(refused);
    }
  }

  /** A vote waiting for its item's batch, and what its caller is told. */
  private record Pending(Principal voter, boolean ownAllowed, String sql, Tuple args, Integer myVote,
      Promise<Tally> done) {
  }

  private static Tally tally(Kind kind, long id, long postId, Row row, Integer myVote) {
    return new Tally(kind, id, postId, row.getInteger("upvotes"), row.getInteger("downvotes"), myVote);
  }

  /** Refuses what may not be voted on, from the locked item's row (none when it does not exist). */
  private static void refusal(Kind kind, RowSet<Row> rows, Principal voter, boolean ownAllowed) {
    if (rows.size() == 0) throw Problem.notFound("No such " + kind.word + ".");
    Row row = rows.iterator().next();
    long authorId = row.getLong("author_id");
    boolean restricted = row.getBoolean("restricted");
    if (restricted && !Visibility.seesHidden(voter, authorId)) throw Problem.notFound("No such " + kind.word + ".");
    if (authorId == voter.id() && !ownAllowed) throw Problem.forbidden("You cannot vote on your own " + kind.word + ".");
    if (restricted) {
      // A comment is restricted by its own state or by its post's: say both, the voter sees which.
      String what = kind == Kind.POST ? "This post" : "This comment or its post";
      throw Problem.conflict(what + " is hidden or waiting for review: it takes no votes.");
    }
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
