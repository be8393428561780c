package parley.http;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Safe retries for creating requests (posts, comments, reports): a client sends an {@code Idempotency-Key} header,
 * and a retry with the same key by the same account gets the first answer again and creates nothing.
 *
 * <p>The key is claimed inside the write's own transaction, before anything else (the write's first statements may
 * be sent behind the claim without waiting for it; a taken key makes PostgreSQL refuse them all), and the answer is
 * stored in that same transaction, after everything else: two requests with one key never both write (PostgreSQL makes the second claim wait for the
 * first transaction, then see its row), a write that rolls back leaves no key behind, and a write that committed
 * always has its answer stored. The same key with a different request is refused (422).
 */
public final class Idempotency {

  public static final String HEADER = "Idempotency-Key";

  /**
   * Keyed writes in flight on this node, by {@link Key#id}, each until its answer is known. A twin of one (the same
   * request sent twice at once) that a rate limit refused waits for it here and then gets its stored answer, never a
   * 429 (a probe: 9 of 12 twins got one); it waits here rather than in the database, so that a refusal stays one
   * lookup. A twin sent to another node is refused as before, unless the first has committed by then.
   */
  private static final java.util.concurrent.ConcurrentHashMap<String, Future<?>> WRITING =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static final String FIND = "SELECT request_hash, status, location, body FROM idempotency_keys "
      + "WHERE user_id = $1 AND key = $2";
  /**
   * A key already taken fails with a unique violation rather than answering nothing: the write's statements are sent
   * behind the claim without waiting for it (see EventLog), and this way PostgreSQL refuses all of them.
   */
  private static final String CLAIM = "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body) "
      + "VALUES ($1, $2, $3, 0, '')";
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String STORE = "UPDATE idempotency_keys SET status = $3, location = $4, body = $5 "
      + "WHERE user_id = $1 AND key = $2";
  /**
   * Several answers stored ($1..$5: user, key, status, location, body) and the claims of requests that were refused
   * given back ($6, $7), so a retry of those runs again, as it would after its own transaction rolled back.
   */
  private static final String STORE_MANY = """
      WITH released AS (
        DELETE FROM idempotency_keys k USING unnest($6::bigint[], $7::text[]) AS r(user_id, key)
         WHERE k.user_id = r.user_id AND k.key = r.key)
      UPDATE idempotency_keys k SET status = a.status, location = a.location, body = a.body
        FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[]) AS a(user_id, key, status, location, body)
       WHERE k.user_id = a.user_id AND k.key = a.key""";
  private static final String PRUNE = "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)";

  private Idempotency() {
  }

  /** An answer as it was sent: status, Location (or null) and the JSON body. */
  public record Reply(int status, String location, String body) {
  }

  /**
   * One request's key: whose, which, and a digest of the request it came with; {@code bytesHash} is the digest of its
   * body's bytes, as keys stored before bodies were compared as JSON were made (a retry sent across that upgrade, in
   * the key's 24 hours, still finds its answer).
   */
  public record Key(long userId, String key, String requestHash, String bytesHash) {

    /** The answer stored for this key, if a request with it committed; 422 if it was another request. */
    Future<Optional<Reply>> stored(SqlClient client) {
      return client.preparedQuery(FIND).execute(Tuple.of(userId, key)).map(rows -> {
        if (rows.size() == 0) return Optional.empty();
        var row = rows.iterator().next();
        String stored = row.getString("request_hash");
        if (!stored.equals(requestHash) && !stored.equals(bytesHash)) {
          throw ProblemType.IDEMPOTENCY_KEY_REUSED.problem("This Idempotency-Key was used for a different request.");
        }
        return Optional.of(new Reply(row.getInteger("status"), row.getString("location"), row.getString("body")));
      });
    }

    /** Which key of which account: a keyed write's name among those in flight ({@link #WRITING}). */
    String id() {
      return userId + " " + key;
    }
  }

  private static boolean isUniqueViolation(Throwable e) {
    return e instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
  }

  /**
   * The failure of a write whose key another request already holds: {@link #create} then answers with that
   * request's stored answer.
   */
  public static RuntimeException alreadyClaimed() {
    return new AlreadyClaimed();
  }

  /** Thrown inside a transaction whose key another request already holds: the transaction rolls back. */
  static final class AlreadyClaimed extends RuntimeException {
    AlreadyClaimed() {
      super("idempotency key already used", null, false, false);
    }
  }

  /**
   * What a write does with its key inside its transaction: {@link #take} first, {@link #store} last. {@link #NONE}
   * (no key) does nothing.
   */
  public interface Claim<T> {

    Future<Void> take(SqlConnection conn);

    Future<Void> store(SqlConnection conn, T result);

    /** The key claimed, or null for a write without one. */
    default Key key() {
      return null;
    }

    /** The answer stored for {@code result} (null without a key). */
    default Reply reply(T result) {
      return null;
    }

    static <T> Claim<T> none() {
      return new Claim<>() {
        @Override
        public Future<Void> take(SqlConnection conn) {
          return Future.succeededFuture();
        }

        @Override
        public Future<Void> store(SqlConnection conn, T result) {
          return Future.succeededFuture();
        }
      };
    }
  }

  /**
   * What a request's body means, for comparing a retry with the request its key first came with: a JSON body in one
   * form whatever its key order and whitespace (a client that serializes its retry anew is retrying, not reusing the
   * key for something else); any other body as its bytes.
   */
  static byte[] canonical(io.vertx.core.buffer.Buffer body) {
    try {
      Object parsed = io.vertx.core.json.Json.decodeValue(body);
      return io.vertx.core.json.Json.encode(sorted(parsed)).getBytes(StandardCharsets.UTF_8);
    } catch (RuntimeException notJson) {
      return body.getBytes();
    }
  }

  private static Object sorted(Object value) {
    if (value instanceof io.vertx.core.json.JsonObject object) {
      java.util.TreeMap<String, Object> keys = new java.util.TreeMap<>();
      object.forEach(entry -> keys.put(entry.getKey(), sorted(entry.getValue())));
      return new io.vertx.core.json.JsonObject(new java.util.LinkedHashMap<>(keys));
    }
    if (value instanceof io.vertx.core.json.JsonArray array) {
      io.vertx.core.json.JsonArray out = new io.vertx.core.json.JsonArray();
      array.forEach(item -> out.add(sorted(item)));
      return out;
    }
    return value;
  }

  /**
   * The path as the router reads it: dot segments resolved, unreserved characters unescaped ({@code %32} is
   * {@code 2}), no trailing slash. A retry of {@code /api/posts/2/comments} sent as {@code /api/posts/%32/comments/}
   * reaches the same route and is the same request (before 2026-12-03 it was refused 422 as another one).
   */
  static String resource(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** The request's key, or null when it sent none; a malformed key is a 400. */
  public static Key key(RoutingContext ctx, long userId) {
    String raw = ctx.request().getHeader(HEADER);
    if (raw == null) return null;
    if (raw.isEmpty() || raw.length() > 255 || !raw.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw Problem.invalid(HEADER, "must be 1 to 255 visible ASCII characters");
    }
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      MessageDigest bytes = MessageDigest.getInstance("SHA-256");
      byte[] line = (ctx.request().method() + " " + resource(ctx) + "\n").getBytes(StandardCharsets.UTF_8);
      digest.update(line);
      bytes.update(line);
      if (ctx.body().buffer() != null) {
        digest.update(canonical(ctx.body().buffer()));
        bytes.update(ctx.body().buffer().getBytes());
      }
      return new Key(userId, raw, HexFormat.of().formatHex(digest.digest()), HexFormat.of().formatHex(bytes.digest()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs a create with an optional key: {@code admit} runs (the rate limits, which fail with a 429), then
   * {@code write} with a claim that stores {@code reply} of its result in its transaction, and the reply is sent.
   * The stored answer is looked up only when it may exist: when the claim finds the key taken (a retry, or the same
   * key sent twice at once: the second waits for the first), and when a keyed request is refused by a rate limit (a
   * retry whose answer is stored, or whose first request is still being written on this node, gets that answer,
   * not a 429). A first request, by far the most common, makes no extra trip
   * for it.
   */
  public static <T> void create(RoutingContext ctx, Pool pool, Key key, Supplier<Future<Void>> admit,
      Function<Claim<T>, Future<T>> write, Function<T, Reply> reply) {
    Claim<T> claim = key == null ? Claim.none() : claim(key, reply);
    admit.get()
        .compose(
            v -> writing(key, write.apply(claim)).map(result -> new Sent(reply.apply(result), false))
                .recover(e -> e instanceof AlreadyClaimed
                    ? key.stored(pool).map(again -> new Sent(again.orElseThrow(conflict()), true))
                    : Future.failedFuture(e)),
            refused -> key != null && refused instanceof Problem p && p.status() == 429
                ? twinWritten(key).compose(v -> key.stored(pool)).compose(found -> found.isPresent()
                    ? Future.succeededFuture(new Sent(found.get(), true))
                    : Future.<Sent>failedFuture(refused))
                : Future.failedFuture(refused))
        .onSuccess(sent -> send(ctx, sent))
        .onFailure(ctx::fail);
  }

  /** Keeps a keyed write among those in flight on this node until it has its answer. */
  private static <T> Future<T> writing(Key key, Future<T> written) {
    if (key == null) return written;
    String id = key.id();
    WRITING.put(id, written);
    written.onComplete(ar -> WRITING.remove(id, written));
    return written;
  }

  /**
   * Completes when no write with this key is in flight on this node any more: a request that a rate limit refused
   * then finds its twin's answer, if it has one, as a retry would. Immediately when there is none (most refusals).
   */
  private static Future<Void> twinWritten(Key key) {
    Future<?> twin = WRITING.get(key.id());
    return twin == null ? Future.succeededFuture() : twin.transform(ar -> Future.succeededFuture());
  }

  private static Supplier<Problem> conflict() {
    return () -> Problem.conflict("A request with this Idempotency-Key is still being processed.");
  }

  private static <T> Claim<T> claim(Key key, Function<T, Reply> reply) {
    return new Claim<>() {
      @Override
      public Future<Void> take(SqlConnection conn) {
        return conn.preparedQuery(CLAIM).execute(Tuple.of(key.userId(), key.key(), key.requestHash()))
            .<Void>mapEmpty()
            .recover(e -> Future.failedFuture(isUniqueViolation(e) ? new AlreadyClaimed() : e));
      }

      @Override
      public Future<Void> store(SqlConnection conn, T result) {
        Reply r = reply.apply(result);
        return conn.preparedQuery(STORE).execute(Tuple.of(key.userId(), key.key(), r.status(), r.location(), r.body()))
            .mapEmpty();
      }

      @Override
      public Key key() {
        return key;
      }

      @Override
      public Reply reply(T result) {
        return reply.apply(result);
      }
    };
  }

  /**
   * Stores the answers of several claimed keys and gives back the claims of {@code released} (requests refused), in
   * one statement in the caller's transaction; nothing is sent when there is nothing to store or give back.
   */
  public static Future<Void> storeAll(SqlConnection conn, List<Key> answered, List<Reply> replies, List<Key> released) {
    if (answered.isEmpty() && released.isEmpty()) return Future.succeededFuture();
    int size = answered.size();
    Long[] users = new Long[size];
    String[] names = new String[size];
    Integer[] statuses = new Integer[size];
    String[] locations = new String[size];
    String[] bodies = new String[size];
    for (int i = 0; i < size; i++) {
      users[i] = answered.get(i).userId();
      names[i] = answered.get(i).key();
      statuses[i] = replies.get(i).status();
      locations[i] = replies.get(i).location();
      bodies[i] = replies.get(i).body();
    }
    Long[] releasedUsers = released.stream().map(Key::userId).toArray(Long[]::new);
    String[] releasedNames = released.stream().map(Key::key).toArray(String[]::new);
    return conn.preparedQuery(STORE_MANY)
        .execute(Tuple.of(users, names, statuses, locations, bodies, releasedUsers).addValue(releasedNames))
        .mapEmpty();
  }

  private record Sent(Reply reply, boolean replayed) {
  }

  private static void send(RoutingContext ctx, Sent sent) {
    if (sent.replayed()) ctx.response().putHeader("Idempotent-Replayed", "true");
    if (sent.reply().location() != null) ctx.response().putHeader(HttpHeaders.LOCATION, sent.reply().location());
    ctx.response().setStatusCode(sent.reply().status())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(sent.reply().body());
  }

  /** Forgets keys older than the retention (at least a day by default). */
  public static Future<Long> prune(Pool pool, Duration retention) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of((double) retention.toSeconds()))
        .map(rows -> (long) rows.rowCount());
  }
}
