package parley.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import parley.config.WebhookSettings;
import parley.events.EventType;
import parley.events.LiveEvent;
import parley.events.Topics;
import parley.http.Iso;

import java.net.InetAddress;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends webhooks from this node. Every poll it (1) numbers newly committed public events in commit order, if no
 * other node is doing so (the sealer), then (2) leases the endpoints that are due and have something after their
 * cursor, one node per endpoint, and sends their events one at a time in position order; the cursor moves only
 * after a 2xx. A failure ends the endpoint's turn with a retry time (exponential backoff with jitter); a streak of
 * failures longer than the retry period marks it failing until an admin resumes it. Nothing here blocks an event
 * loop: name resolution runs on lookup threads of its own, HTTP on the Vert.x client.
 */
public final class Sender {

  private static final Logger log = LoggerFactory.getLogger(Sender.class);
  /** A round fails on every poll while the database is away: told once per 10 s, with a count (RELIABILITY.md). */
  private final parley.http.ThrottledWarning roundFailed =
      new parley.http.ThrottledWarning(log, java.time.Duration.ofSeconds(10));
  private static final int ENDPOINTS_PER_POLL = 16;
  /**
   * Host lookups run on threads of their own, one for each endpoint a round serves at once: {@link InetAddress} blocks
   * for as long as the resolver takes (seconds per try when it does not answer), and on Vert.x's shared worker pool
   * a resolver that hangs would hold the threads that parse long Markdown and read files for the web app.
   */
  public static final String LOOKUP_POOL = "parley-webhook-lookups";
  public static final int LOOKUP_THREADS = ENDPOINTS_PER_POLL;
  private static final int EVENTS_PER_TURN = 100;
  private static final int MAX_ERROR = 500;
  /** How long after an attempt's deadline its backstop fires (the lease is the timeout and 5 s). */
  private static final long BACKSTOP_MS = 100;

  private static final String SEAL_LOCK = "SELECT horizon::text AS horizon FROM webhook_sealer WHERE id = 1 "
      + "FOR UPDATE SKIP LOCKED";

  /**
   * Numbers every committed public event of a transaction at or above the horizon that has no position yet, in an
   * order that keeps each topic's seq order (a topic's seqs commit in order), then moves the horizon to the oldest
   * transaction still running: everything below it has finished, so nothing committed later can belong below it.
   * With no endpoint registered nothing is numbered and the horizon just moves on.
   */
  private static final String SEAL = """
      WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x),
      fresh AS (
        SELECT e.topic, e.seq, max(e.at) OVER (PARTITION BY e.topic ORDER BY e.seq) AS settled
          FROM events e
         WHERE e.xid >= $1::text::xid8 AND\s""" + Webhooks.PUBLIC_TOPIC + """

           AND EXISTS (SELECT 1 FROM webhooks)
           AND NOT EXISTS (SELECT 1 FROM webhook_positions p WHERE p.topic = e.topic AND p.seq = e.seq)),
      ins AS (
        INSERT INTO webhook_positions (position, topic, seq)
        SELECT nextval('webhook_position_seq'), f.topic, f.seq
          FROM (SELECT topic, seq FROM fresh ORDER BY settled, topic, seq) f
        RETURNING 1)
      UPDATE webhook_sealer SET horizon = GREATEST(horizon, (SELECT x FROM h)) WHERE id = 1
      RETURNING (SELECT count(*) FROM ins) AS sealed""";

  /**
   * Leases the due endpoints, each under a name of its own claim (the node's, and a random part): a turn's updates
   * hold only while the lease is still that claim's. With the node's name alone, a replay or skip that took the lease
   * from a turn let the same node's next claim give it back to that turn too, which went on sending beside the new
   * one and moved the cursor past the replay (a review).
   */
  private static final String CLAIM = """
      UPDATE webhooks w SET lease_owner = $1 || '/' || gen_random_uuid(),
             lease_until = now() + make_interval(secs => $2)
       WHERE w.id IN (SELECT id FROM webhooks
                       WHERE status = 'active' AND next_attempt_at <= now()
                         AND (lease_until IS NULL OR lease_until < now())
                         AND cursor < (SELECT COALESCE(max(position), 0) FROM webhook_positions)
                       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING lease_owner AS lease,\s""" + Endpoint.COLUMNS;

  private static final String HEAD = "SELECT COALESCE(max(position), 0) AS head FROM webhook_positions";

  /** The next events after a cursor, up to a head, of the endpoint's types, with whether their content is public. */
  private static final String NEXT = """
      SELECT p.position, e.topic, e.seq, e.type, e.at, e.data::text AS data, e.author_id, e.subject,
             %s AS readable
        FROM webhook_positions p JOIN events e ON e.topic = p.topic AND e.seq = p.seq
       WHERE p.position > $1 AND p.position <= $2
         AND ((e.topic = '%s' AND e.type = ANY($3)) OR (e.topic <> '%s' AND e.type = ANY($4)))
       ORDER BY p.position LIMIT $5""".formatted(Webhooks.READABLE_NOW, Topics.FEED, Topics.FEED);

  /** One event by position, for a redelivery. */
  static final String AT = """
      SELECT p.position, e.topic, e.seq, e.type, e.at, e.data::text AS data, e.author_id, e.subject,
             %s AS readable
        FROM webhook_positions p JOIN events e ON e.topic = p.topic AND e.seq = p.seq
       WHERE p.position = $1""".formatted(Webhooks.READABLE_NOW);

  private static final String LOG = "INSERT INTO webhook_deliveries (webhook_id, position, message_id, event_type, "
      + "topic, seq, attempt, outcome, status_code, latency_ms, error, redelivery) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *";

  private static final String DELIVERED = """
      UPDATE webhooks SET cursor = $2, attempts = 0, failing_since = NULL, last_error = NULL,
             lease_until = now() + make_interval(secs => $3)
       WHERE id = $1 AND lease_owner = $4 AND cursor < $2 RETURNING id""";

  private static final String PASSED = "UPDATE webhooks SET cursor = $2 WHERE id = $1 AND lease_owner = $3 "
      + "AND cursor < $2";

  private static final String FAILED = """
      UPDATE webhooks SET attempts = attempts + 1, failing_since = COALESCE(failing_since, now()), last_error = $3,
             next_attempt_at = now() + make_interval(secs => $4),
             status = CASE WHEN COALESCE(failing_since, now()) <= now() - make_interval(secs => $5)
                           THEN 'failing' ELSE status END,
             lease_owner = NULL, lease_until = NULL
       WHERE id = $1 AND lease_owner = $2""";

  private static final String RELEASE = "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL "
      + "WHERE id = $1 AND lease_owner = $2";

  /**
   * A turn used up while the endpoint is still behind: its lease goes, and it is due again behind every endpoint that
   * was due before now (claims take the longest due first), so it does not take the room straight back.
   */
  private static final String YIELD = "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL, "
      + "next_attempt_at = GREATEST(next_attempt_at, now()) WHERE id = $1 AND lease_owner = $2";

  /** An event ready to send: its position, the envelope, and what identifies it. */
  record Message(long position, String topic, long seq, String type, String body) {
    String id() {
      return "evt_" + position;
    }
  }

  /** How one attempt went. */
  record Outcome(boolean ok, Integer status, int latencyMs, String error) {
  }

  private final Vertx vertx;
  private final Pool pool;
  private final WebhookSettings settings;
  private final java.util.function.BooleanSupplier stopping;
  private final HttpClientAgent client;
  private final WorkerExecutor lookups;
  private final String node = UUID.randomUUID().toString();
  private long timer = -1;
  /** A round is sealing or claiming. */
  private boolean busy;
  /** Endpoints whose turn is running on this node (at most {@link #ENDPOINTS_PER_POLL}, one lookup thread each). */
  private int turning;

  public Sender(Vertx vertx, Pool pool, WebhookSettings settings) {
    this(vertx, pool, settings, () -> false);
  }

  /**
   * @param stopping whether the node is shutting down: no round starts then, and one cut off by the database pool
   *                 closing is not a failure to warn about (its claims lapse with their lease and are retried)
   */
  public Sender(Vertx vertx, Pool pool, WebhookSettings settings, java.util.function.BooleanSupplier stopping) {
    this.vertx = vertx;
    this.pool = pool;
    this.settings = settings;
    this.stopping = stopping;
    this.lookups = vertx.createSharedWorkerExecutor(LOOKUP_POOL, LOOKUP_THREADS);
    int timeout = (int) settings.timeout().toMillis();
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout(timeout)
        .setIdleTimeout(timeout)
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setKeepAlive(true)
        .setTrustAll(false)
        .setVerifyHost(true));
  }

  /** Starts polling, when this node delivers at all. */
  public void start() {
    if (!settings.deliver()) return;
    timer = vertx.setPeriodic(settings.poll().toMillis(), id -> poll());
  }

  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  /**
   * One round: seals what committed, then claims as many due endpoints as this node has room for and starts their
   * turns. Rounds never overlap on a node, but turns are not part of them: each endpoint's turn runs at its own pace,
   * and the next round claims for the room the finished ones left. (A round used to wait for all its turns, so an
   * endpoint that took 5 s to answer each event held every other endpoint's events back for as long as its turn of
   * up to 100 events lasted: 30 s and more in a probe, where the documented delay is one poll.)
   */
  Future<Void> poll() {
    if (busy || stopping.getAsBoolean()) return Future.succeededFuture();
    int room = ENDPOINTS_PER_POLL - turning;
    if (room <= 0) return Future.succeededFuture();
    busy = true;
    return seal()
        .compose(v -> pool.preparedQuery(CLAIM).execute(Tuple.of(node, seconds(settings.lease().toMillis()), room)))
        .<Void>map(rows -> {
          rows.forEach(row -> {
            turning++;
            Future<Void> turn;
            try {
              turn = turn(Endpoint.fromRow(row), row.getString("lease"), EVENTS_PER_TURN,
                  System.nanoTime() + settings.timeout().toNanos());
            } catch (RuntimeException e) {
              // Counted, and its room given back: the lease runs out and the endpoint is claimed again.
              log.warn("Webhook turn could not start: {}", e.toString());
              turn = Future.failedFuture(e);
            }
            turn.onComplete(ar -> turning--);
          });
          return null;
        })
        .onSuccess(v -> roundFailed.recovered())
        .onFailure(e -> {
          if (stopping.getAsBoolean()) {
            log.debug("Webhook round cut off by the shutdown: {}", e.toString());
          } else {
            roundFailed.warn("Webhook round failed: {}", e.toString());
          }
        })
        .eventually(() -> {
          busy = false;
          return Future.succeededFuture();
        });
  }

  private Future<Void> seal() {
    return pool.withTransaction(conn -> conn.query(SEAL_LOCK).execute().compose(rows -> {
      if (rows.size() == 0) return Future.succeededFuture();
      return conn.preparedQuery(SEAL).execute(Tuple.of(rows.iterator().next().getString("horizon"))).mapEmpty();
    }));
  }

  /**
   * Sends an endpoint's next events in order until it is caught up, an attempt fails, or its turn is used up: 100
   * events, or the time of one request ({@code until}, after which no further event is started). A node serves 16
   * endpoints at once; a turn bounded by count only let 16 receivers that answer slowly but in time (each event just
   * under the timeout) hold every room for 100 events each, and no other endpoint was sent anything meanwhile (a
   * review: 16 minutes at the defaults).
   */
  private Future<Void> turn(Endpoint endpoint, String lease, int left, long until) {
    List<String> feed = Webhooks.fromFeed(endpoint.eventTypes());
    List<String> threads = Webhooks.fromThreads(endpoint.eventTypes());
    return pool.preparedQuery(HEAD).execute().compose(h -> {
      long head = h.iterator().next().getLong("head");
      return pool.preparedQuery(NEXT).execute(Tuple.of(endpoint.cursor(), head, feed.toArray(String[]::new),
          threads.toArray(String[]::new), Math.min(left, 20))).compose(rows -> {
            if (rows.size() == 0) {
              // Nothing of its types up to the head: pass over what is there.
              return pool.preparedQuery(PASSED).execute(Tuple.of(endpoint.id(), head, lease))
                  .compose(v -> release(endpoint, lease));
            }
            List<Message> batch = new java.util.ArrayList<>();
            rows.forEach(row -> batch.add(message(row)));
            return sendInOrder(endpoint, lease, batch, 0, left, until);
          });
    }).recover(e -> {
      if (deleted(e)) {
        log.debug("Webhook {} was deleted during its turn", endpoint.id());
        return Future.succeededFuture();
      }
      if (stopping.getAsBoolean()) {
        log.debug("Webhook {} turn cut off by the shutdown: {}", endpoint.id(), e.toString());
      } else {
        log.warn("Webhook {} turn failed: {}", endpoint.id(), e.toString());
      }
      return release(endpoint, lease);
    });
  }

  /**
   * Whether a failure is an attempt's log row refused because its endpoint was deleted meanwhile (the deliveries'
   * foreign key): the endpoint is gone, so there is nothing to warn about or retry.
   */
  private static boolean deleted(Throwable e) {
    return e instanceof io.vertx.pgclient.PgException pg && "23503".equals(pg.getSqlState());
  }

  private Future<Void> sendInOrder(Endpoint endpoint, String lease, List<Message> batch, int index, int left,
      long until) {
    // At least one event a turn; the cursor has moved past every one delivered, so the next turn goes on from there.
    if (index > 0 && (left <= 0 || System.nanoTime() > until)) return yieldTurn(endpoint, lease);
    if (index == batch.size()) {
      long last = batch.get(batch.size() - 1).position();
      return turn(withCursor(endpoint, last), lease, left, until);
    }
    // The batch's first event was read just now; each later one is read again before it is sent, so that what was
    // hidden, deleted or edited while the ones before it were sent goes as it is now (a review had a hidden comment's
    // text delivered 12 s after the hide, from the batch's copy).
    Future<Message> now = index == 0 ? Future.succeededFuture(batch.get(0))
        : pool.preparedQuery(AT).execute(Tuple.of(batch.get(index).position()))
            .map(rows -> rows.size() == 0 ? null : message(rows.iterator().next()));
    return now.compose(m -> {
      // Gone from the log since (its retention): passed over, as the next read would have.
      if (m == null) return sendInOrder(endpoint, lease, batch, index + 1, left, until);
      return send(endpoint, lease, batch, index, left, until, m);
    });
  }

  private Future<Void> send(Endpoint endpoint, String lease, List<Message> batch, int index, int left, long until,
      Message m) {
    int attempt = endpoint.attempts() + 1;
    return attempt(endpoint, m).compose(outcome -> {
      if (outcome.ok()) {
        return pool.preparedQuery(DELIVERED).execute(Tuple.of(endpoint.id(), m.position(),
                seconds(settings.lease().toMillis()), lease))
            .compose(moved -> logAttempt(endpoint.id(), m, attempt, outcome, false).compose(v -> {
              // The lease is no longer this turn's: a replay or a skip took it (and set the cursor), or it ran out
              // and another turn has the endpoint. Going on would send beside that turn, out of order.
              if (moved.rowCount() == 0) return Future.<Void>succeededFuture();
              return sendInOrder(withCursor(endpoint, m.position()), lease, batch, index + 1, left - 1, until);
            }));
      }
      long delay = backoff(attempt);
      return pool.preparedQuery(FAILED).execute(Tuple.of(endpoint.id(), lease, stored(outcome.error()),
              seconds(delay), (double) settings.retryFor().toSeconds()))
          .compose(v -> logAttempt(endpoint.id(), m, attempt, outcome, false)).mapEmpty();
    });
  }

  private static Endpoint withCursor(Endpoint e, long cursor) {
    return new Endpoint(e.id(), e.url(), e.eventTypes(), e.secret(), e.description(), e.status(), cursor, 0,
        null, e.nextAttemptAt(), null, e.createdAt());
  }

  private Future<Void> release(Endpoint endpoint, String lease) {
    return pool.preparedQuery(RELEASE).execute(Tuple.of(endpoint.id(), lease)).mapEmpty();
  }

  private Future<Void> yieldTurn(Endpoint endpoint, String lease) {
    return pool.preparedQuery(YIELD).execute(Tuple.of(endpoint.id(), lease)).mapEmpty();
  }

  /** Base, doubled per attempt, capped, then jittered to between half and all of it (milliseconds). */
  long backoff(int attempt) {
    double base = settings.backoffBase().toMillis() * Math.pow(2, Math.min(attempt - 1, 30));
    double capped = Math.min(base, settings.backoffMax().toMillis());
    return (long) (capped / 2 + ThreadLocalRandom.current().nextDouble() * capped / 2);
  }

  /** Sends one event once more, outside the order (an admin's redelivery); logs it, moves no cursor. */
  Future<JsonObject> redeliver(Endpoint endpoint, long position) {
    return pool.preparedQuery(AT).execute(Tuple.of(position)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(parley.http.Problem.notFound("That event is no longer in the log."));
      }
      Message m = message(rows.iterator().next());
      return attempt(endpoint, m).compose(outcome -> logAttempt(endpoint.id(), m, 1, outcome, true))
          .recover(e -> Future.failedFuture(deleted(e) ? parley.http.Problem.notFound("No such webhook.") : e));
    });
  }

  private Future<JsonObject> logAttempt(long webhookId, Message m, int attempt, Outcome o, boolean redelivery) {
    return pool.preparedQuery(LOG).execute(Tuple.from(Arrays.asList(webhookId, m.position(), m.id(), m.type(),
            m.topic(), m.seq(), attempt, o.ok() ? "delivered" : "failed", o.status(), o.latencyMs(),
            stored(o.error()), redelivery)))
        .map(rows -> Webhooks.deliveryJson(rows.iterator().next()));
  }

  /** Events that carry no words but a post's or comment's score or comment count. */
  private static final java.util.Set<String> COUNTS = java.util.Set.of(EventType.POST_SCORE.wireName(),
      EventType.POST_STATS.wireName(), EventType.COMMENT_SCORE.wireName());

  /**
   * The envelope of docs/LIVE.md. Content a signed-out reader may no longer read (hidden, pending, deleted, or in
   * such a thread) is replaced by its ids and {@code "removed": true}, as the log's own scrubbed copies are.
   */
  static Message message(Row row) {
    String topic = row.getString("topic");
    String type = row.getString("type");
    String data = row.getString("data");
    String subject = row.getString("subject");
    if (EventType.carriesContent(type) && !row.getBoolean("readable") && subject != null) {
      long id = Long.parseLong(subject.substring(subject.indexOf(':') + 1));
      JsonObject ids = new JsonObject().put("id", id);
      if (subject.startsWith("comment:") && Topics.postOf(topic) != null) ids.put("postId", Topics.postOf(topic));
      data = ids.put("removed", true).encode();
    } else if (COUNTS.contains(type) && !row.getBoolean("readable")) {
      // A score or a count of a post or comment hidden, pending or deleted since: its ids only, as the feed never
      // names a post its readers may not see, nor its count.
      JsonObject counted = new JsonObject(data);
      JsonObject ids = new JsonObject();
      for (String key : List.of("id", "postId")) {
        if (counted.containsKey(key)) ids.put(key, counted.getValue(key));
      }
      data = ids.put("removed", true).encode();
    }
    String envelope = LiveEvent.of(topic, row.getLong("seq"), type, Iso.format(row.getOffsetDateTime("at")),
        null, data).envelope();
    return new Message(row.getLong("position"), topic, row.getLong("seq"), type, envelope);
  }

  /** One signed POST: resolves the host (off the event loop), refuses non-public addresses, pins the address. */
  Future<Outcome> attempt(Endpoint endpoint, Message m) {
    long started = System.nanoTime();
    URI uri = URI.create(endpoint.url());
    boolean https = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() == -1 ? (https ? 443 : 80) : uri.getPort();
    String host = uri.getHost();
    // One deadline for the whole attempt, the lookup included: a resolver slower than the lease (the timeout and
    // 5 s) let the endpoint be claimed again while this turn still waited, and the two turns sent out of order.
    long timeout = settings.timeout().toMillis();
    // Why the attempt's own deadline cut it, if it did: the reset's failure says only "Stream reset: 0".
    java.util.concurrent.atomic.AtomicReference<String> cutOff = new java.util.concurrent.atomic.AtomicReference<>();
    return resolve(host).timeout(timeout, TimeUnit.MILLISECONDS).compose(address -> {
      long timestamp = System.currentTimeMillis() / 1000;
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) path += "?" + uri.getRawQuery();
      RequestOptions options = new RequestOptions()
          .setMethod(HttpMethod.POST)
          .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
          .setHost(host)
          .setPort(port)
          .setSsl(https)
          .setURI(path)
          .setFollowRedirects(false)
          .setConnectTimeout(settings.timeout().toMillis())
          .setIdleTimeout(settings.timeout().toMillis())
          .putHeader("content-type", "application/json")
          .putHeader("user-agent", "Parley-Webhooks")
          .putHeader("webhook-id", m.id())
          .putHeader("webhook-timestamp", Long.toString(timestamp))
          .putHeader("webhook-signature", Signature.sign(endpoint.secret(), m.id(), timestamp, m.body()));
      long leftForAll = timeout - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      if (leftForAll <= 0) {
        return Future.<Integer>failedFuture(new TimeoutException("No answer within " + timeout + " ms"));
      }
      options.setConnectTimeout(leftForAll);
      return client.request(options)
          .compose(request -> {
            long left = timeout - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (left <= 0) {
              // A connection that came after the attempt gave up: nothing is sent on it.
              request.reset();
              return Future.<Integer>failedFuture(new TimeoutException("No connection within " + timeout + " ms"));
            }
            // At the attempt's deadline the request is reset, which closes its connection: a receiver that answers
            // a byte at a time is never idle, and its connection, left reading after the attempt gave up, held one
            // of the client's few per address until the receiver closed it; with them all held, every endpoint on
            // that address failed (a review).
            long deadline = vertx.setTimer(left, t -> {
              cutOff.set("No whole answer within " + timeout + " ms");
              request.reset(0, new TimeoutException(cutOff.get()));
            });
            return request.send(Buffer.buffer(m.body()))
                .compose(response -> {
                  response.handler(ignored -> { });
                  return response.end().map(v -> response.statusCode());
                })
                .andThen(done -> vertx.cancelTimer(deadline));
          })
          // A backstop a little after the attempt's own deadline above, which resets the request and says why: at
          // the same instant, the two timers of one event loop raced, and this one's bare "Timeout 999 (ms) fired"
          // was logged for the attempt, its request left to the idle timeout (a CI run, 2026-12-07).
          .timeout(leftForAll + BACKSTOP_MS, TimeUnit.MILLISECONDS);
    }).map(status -> new Outcome(status >= 200 && status < 300, status, elapsed(started),
            status >= 200 && status < 300 ? null : "HTTP " + status))
        .recover(e -> Future.succeededFuture(new Outcome(false, null, elapsed(started), cutOff.get() != null
            ? cutOff.get() : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
  }

  /**
   * Resolves a host on the node's lookup threads ({@link #LOOKUP_POOL}: every sender's handle shares them); fails when
   * any of its addresses is not public (unless allowed).
   */
  Future<InetAddress> resolve(String host) {
    boolean allowPrivate = settings.allowPrivate();
    return lookups.executeBlocking(() -> {
      InetAddress[] all = InetAddress.getAllByName(host);
      if (!allowPrivate) {
        for (InetAddress a : all) {
          if (!Addresses.isPublic(a)) {
            throw new NotPublic(host + " resolves to " + a.getHostAddress() + ", which is not a public address");
          }
        }
      }
      return all[0];
    }, false);
  }

  /** A host that resolves to a loopback, private, link-local or otherwise non-public address. */
  static final class NotPublic extends Exception {
    NotPublic(String message) {
      super(message, null, false, false);
    }
  }

  private static int elapsed(long started) {
    return (int) TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
  }

  private static double seconds(long millis) {
    return millis / 1000.0;
  }

  /**
   * An attempt's error as it is stored: the client's message can carry the receiver's own bytes ("invalid version
   * format: HT\0TP/1.1"), and PostgreSQL refuses a NUL. The attempt's failure was then never recorded, so a review's
   * receiver answering with one was tried again at every poll, without backoff, log or "failing". Control characters
   * and unpaired surrogates become U+FFFD; at most {@link #MAX_ERROR} characters, never half a pair.
   */
  static String stored(String s) {
    if (s == null) return null;
    String clean = UNSTORABLE.matcher(s).replaceAll("\uFFFD");
    return clean.codePointCount(0, clean.length()) <= MAX_ERROR ? clean
        : clean.substring(0, clean.offsetByCodePoints(0, MAX_ERROR));
  }

  private static final java.util.regex.Pattern UNSTORABLE = java.util.regex.Pattern.compile("[\\p{Cc}\\p{Cs}]");
}
