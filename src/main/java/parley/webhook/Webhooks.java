package parley.webhook;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Visibility;
import parley.events.EventType;
import parley.events.Topics;
import parley.http.Iso;
import parley.http.Problem;
import parley.moderation.AuditLog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The webhook endpoints, their positions over the event log and their delivery log, in SQL: what the admin routes
 * and the {@link Sender} share. Only the public topics are ever numbered for delivery (threads and the feed), and an
 * event that goes to both a thread and the feed is sent once, from the thread.
 */
public final class Webhooks {

  /** The public topics, as a predicate on events {@code e} (the partial index events_public_xid repeats it). */
  static final String PUBLIC_TOPIC = "e.topic NOT LIKE 'parley.user.%' AND e.topic <> '" + Topics.MOD + "'";

  private static final String HEAD = "SELECT COALESCE(max(position), 0) AS head FROM webhook_positions";

  private static final String CREATE = "INSERT INTO webhooks (url, event_types, secret, description, cursor, "
      + "created_by) VALUES ($1, $2, $3, $4, (" + HEAD + "), $5) RETURNING " + Endpoint.COLUMNS;

  private static final String LIST = "SELECT " + Endpoint.COLUMNS + " FROM webhooks ORDER BY id";

  private static final String ONE = "SELECT " + Endpoint.COLUMNS + " FROM webhooks WHERE id = $1";

  private static final String DELETE = "DELETE FROM webhooks WHERE id = $1 RETURNING url";

  private static final String RESUME = "UPDATE webhooks SET status = 'active', attempts = 0, failing_since = NULL, "
      + "next_attempt_at = now() WHERE id = $1 RETURNING " + Endpoint.COLUMNS;

  /**
   * Delivers again from a position: the cursor goes back, never forward (one past it passed over the events still
   * waiting between: a review lost two that way, with a 200), and any retry wait ends. Its lease is taken from a turn
   * that may be running, which then stops at its next event (it would have moved the cursor on again).
   */
  private static final String REPLAY = "UPDATE webhooks SET cursor = $2, status = 'active', attempts = 0, "
      + "failing_since = NULL, last_error = NULL, next_attempt_at = now(), lease_owner = NULL, lease_until = NULL "
      + "WHERE id = $1 AND $2 <= cursor RETURNING " + Endpoint.COLUMNS;

  /**
   * Passes over the events before a position, which no receiver will take (one it answers 400 for ever, say): the
   * cursor goes forward to just before it, never past the newest event, and any retry wait ends; the lease as for
   * {@link #REPLAY}.
   */
  private static final String SKIP = "UPDATE webhooks SET cursor = $2, status = 'active', attempts = 0, "
      + "failing_since = NULL, last_error = NULL, next_attempt_at = now(), lease_owner = NULL, lease_until = NULL "
      + "WHERE id = $1 AND $2 > cursor AND $2 <= (" + HEAD + ") RETURNING " + Endpoint.COLUMNS;

  private static final String CURSOR = "SELECT cursor, (" + HEAD + ") AS head FROM webhooks WHERE id = $1";

  private static final String DELIVERIES = "SELECT * FROM webhook_deliveries WHERE webhook_id = $1 "
      + "AND id < COALESCE($2, 9223372036854775807) ORDER BY id DESC LIMIT $3";

  private static final String DELIVERY = "SELECT * FROM webhook_deliveries WHERE webhook_id = $1 AND id = $2";

  /** Keeps the delivery log within its age and the newest 1000 attempts per endpoint. */
  private static final String PRUNE_LOG = """
      DELETE FROM webhook_deliveries d
       WHERE d.at < now() - make_interval(secs => $1)
          OR d.id < (SELECT min(id) FROM (SELECT id FROM webhook_deliveries k WHERE k.webhook_id = d.webhook_id
                                           ORDER BY id DESC LIMIT 1000) newest)""";

  /**
   * Positions older than the log keeps of events every endpoint has passed, or that are gone from the event log
   * (pruned): those join nothing, and an endpoint left failing (its cursor the lowest for good) kept every position
   * after it, one row per public event for as long as it stayed (a review read the comment above, which said so,
   * against the statement, which did not).
   */
  private static final String PRUNE_POSITIONS = """
      DELETE FROM webhook_positions p WHERE p.sealed_at < now() - make_interval(secs => $1)
         AND (p.position <= (SELECT COALESCE(min(cursor), 9223372036854775807) FROM webhooks)
              OR NOT EXISTS (SELECT 1 FROM events e WHERE e.topic = p.topic AND e.seq = p.seq))""";

  /** Whether a signed-out reader may read the content an event {@code e} carries, as it stands now. */
  static final String READABLE_NOW = """
      CASE WHEN e.subject LIKE 'post:%%' THEN EXISTS (SELECT 1 FROM posts x
                  WHERE x.id = substr(e.subject, 6)::bigint AND %1$s)
           WHEN e.subject LIKE 'comment:%%' THEN EXISTS (SELECT 1 FROM comments c JOIN posts x ON x.id = c.post_id
                  WHERE c.id = substr(e.subject, 9)::bigint AND %2$s AND %1$s)
           WHEN e.type IN ('%3$s', '%4$s') THEN EXISTS (SELECT 1 FROM posts x
                  WHERE x.id = COALESCE(e.data->>'postId', e.data->>'id')::bigint AND %1$s)
           WHEN e.type = '%5$s' THEN EXISTS (SELECT 1 FROM comments c JOIN posts x ON x.id = c.post_id
                  WHERE c.id = (e.data->>'id')::bigint AND %2$s AND %1$s)
           ELSE true END""".formatted(Visibility.listed("x"), Visibility.listed("c"), EventType.POST_SCORE.wireName(),
      EventType.POST_STATS.wireName(), EventType.COMMENT_SCORE.wireName());

  private final Pool pool;

  public Webhooks(Pool pool) {
    this.pool = pool;
  }

  /** The event types an endpoint may ask for: those a signed-out reader can hear (on a thread or the feed). */
  public static Set<String> sendableTypes() {
    Set<String> types = new TreeSet<>();
    for (EventType type : EventType.values()) {
      if (type.audiences().contains(EventType.Audience.THREAD) || type.audiences().contains(EventType.Audience.FEED)) {
        types.add(type.wireName());
      }
    }
    return types;
  }

  /** Of these types, the ones taken from the feed: those that do not also go to the thread (sent from there). */
  static List<String> fromFeed(List<String> types) {
    return known(types, false);
  }

  /** Of these types, the ones taken from threads. */
  static List<String> fromThreads(List<String> types) {
    return known(types, true);
  }

  /**
   * The types the catalogue knows that are (or are not) taken from threads. A stored type the catalogue no longer has
   * (a version that renamed it) is in neither list: nothing of it is sent. It threw, in the middle of a round's claims,
   * and left the node counting a turn that never ran (a review's suspicion).
   */
  private static List<String> known(List<String> types, boolean fromThreads) {
    return types.stream().filter(t -> {
      EventType type = EventType.named(t);
      return type != null && type.audiences().contains(EventType.Audience.THREAD) == fromThreads;
    }).toList();
  }

  Future<Endpoint> create(Principal actor, String url, List<String> types, String secret, String description) {
    return pool.withTransaction(conn -> conn.preparedQuery(CREATE)
        .execute(Tuple.of(url, types.toArray(String[]::new), secret, description, actor.id()))
        .map(rows -> Endpoint.fromRow(rows.iterator().next()))
        .compose(e -> AuditLog.append(conn, actor, "webhook.created", "webhook", e.id(), null,
            new JsonObject().put("url", Endpoint.origin(url)).put("events", types)).map(e)));
  }

  Future<List<Endpoint>> list() {
    return pool.preparedQuery(LIST).execute().map(rows -> {
      List<Endpoint> all = new ArrayList<>();
      rows.forEach(row -> all.add(Endpoint.fromRow(row)));
      return all;
    });
  }

  public Future<Endpoint> get(long id) {
    return pool.preparedQuery(ONE).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such webhook.");
      return Endpoint.fromRow(rows.iterator().next());
    });
  }

  Future<Void> delete(Principal actor, long id) {
    return pool.withTransaction(conn -> conn.preparedQuery(DELETE).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such webhook.");
      return AuditLog.append(conn, actor, "webhook.deleted", "webhook", id, null,
          new JsonObject().put("url", Endpoint.origin(rows.iterator().next().getString("url")))).mapEmpty();
    }));
  }

  Future<Endpoint> resume(Principal actor, long id) {
    return changed(actor, id, "webhook.resumed", RESUME, Tuple.of(id), new JsonObject());
  }

  Future<Endpoint> replay(Principal actor, long id, long from) {
    return changed(actor, id, "webhook.replayed", REPLAY, Tuple.of(id, from - 1), new JsonObject().put("from", from))
        .recover(e -> refusedAt(id, e, (cursor, head) -> Problem.invalid("from", "is past the next event the webhook "
            + "sends (" + (cursor + 1) + "): a replay sends events again and passes over none (see skip)")));
  }

  Future<Endpoint> skip(Principal actor, long id, long to) {
    return changed(actor, id, "webhook.skipped", SKIP, Tuple.of(id, to - 1), new JsonObject().put("to", to))
        .recover(e -> refusedAt(id, e, (cursor, head) -> Problem.invalid("to", to - 1 <= cursor
            ? "is not past the next event the webhook sends (" + (cursor + 1) + "): there is nothing to pass over"
            : "is past the newest event (" + head + ") and the one after it")));
  }

  /**
   * Why a replay or skip changed no row: no such webhook ({@code e}, the 404), or the position, explained by
   * {@code why} from the webhook's cursor and the log's newest position.
   */
  private Future<Endpoint> refusedAt(long id, Throwable e, java.util.function.BiFunction<Long, Long, Problem> why) {
    if (!(e instanceof Problem p) || p.status() != 404) return Future.failedFuture(e);
    return pool.preparedQuery(CURSOR).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(e);
      Row row = rows.iterator().next();
      return Future.failedFuture(why.apply(row.getLong("cursor"), row.getLong("head")));
    });
  }

  private Future<Endpoint> changed(Principal actor, long id, String action, String sql, Tuple args,
      JsonObject details) {
    return pool.withTransaction(conn -> conn.preparedQuery(sql).execute(args).compose(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such webhook.");
      Endpoint e = Endpoint.fromRow(rows.iterator().next());
      return AuditLog.append(conn, actor, action, "webhook", id, null, details).map(e);
    }));
  }

  /** An audit-log entry for an admin action on an endpoint that changes no row of its own (a redelivery). */
  Future<Void> audit(Principal actor, long id, String action, JsonObject details) {
    return AuditLog.append(pool, actor, action, "webhook", id, null, details).mapEmpty();
  }

  Future<List<JsonObject>> deliveries(long id, Long before, int limit) {
    return get(id).compose(e -> pool.preparedQuery(DELIVERIES).execute(Tuple.of(id, before, limit)))
        .map(rows -> {
          List<JsonObject> page = new ArrayList<>();
          rows.forEach(row -> page.add(deliveryJson(row)));
          return page;
        });
  }

  Future<JsonObject> delivery(long id, long deliveryId) {
    return pool.preparedQuery(DELIVERY).execute(Tuple.of(id, deliveryId)).map(rows -> {
      if (rows.size() == 0) throw Problem.notFound("No such delivery.");
      return deliveryJson(rows.iterator().next());
    });
  }

  static JsonObject deliveryJson(Row row) {
    return new JsonObject().put("id", row.getLong("id")).put("webhookId", row.getLong("webhook_id"))
        .put("position", row.getLong("position")).put("messageId", row.getString("message_id"))
        .put("eventType", row.getString("event_type")).put("topic", row.getString("topic"))
        .put("seq", row.getLong("seq")).put("attempt", row.getInteger("attempt"))
        .put("outcome", row.getString("outcome")).put("statusCode", row.getInteger("status_code"))
        .put("latencyMs", row.getInteger("latency_ms")).put("error", row.getString("error"))
        .put("redelivery", row.getBoolean("redelivery")).put("at", Iso.format(row.getOffsetDateTime("at")));
  }

  /** Keeps the delivery log and the positions within their retention. */
  public static Future<Void> prune(Pool pool, Duration retention) {
    Tuple age = Tuple.of((double) retention.toSeconds());
    return pool.preparedQuery(PRUNE_LOG).execute(age)
        .compose(v -> pool.preparedQuery(PRUNE_POSITIONS).execute(age)).mapEmpty();
  }
}
