package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Standing;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.http.Iso;
import parley.http.Problem;
import parley.report.Reports.Target;

import java.time.Duration;
import java.util.Optional;

/**
 * Who is on what in the moderators' queues, so that moderators who share them do not review the same item at once
 * (PRODUCT.md: "queues moderators can share without stepping on each other"). A moderator takes a reported or held
 * post or comment, and every other dashboard shows "kim_mod is on it" live ({@code claim.taken}, {@code
 * claim.released} on parley.mod).
 *
 * <p>A claim is advisory, as Discourse's optional claiming is: it refuses no action, since a moderator who must act
 * at once (a threat, a doxxing) must not wait for a colleague's coffee break; the dashboard asks before acting on an
 * item someone else holds. It ends when its moderator lets it go, when another takes it over (said so in the event),
 * when the item is decided (hidden, its reports settled, approved or declined: in the decision's own transaction),
 * or after {@link #HOLD} unless taken again. The claims of someone who is no longer an active moderator count for
 * nothing. No audit entry: a claim changes nothing anyone else sees but the dashboards.
 */
public final class Claims {

  /** How long a claim lasts unless taken again (the dashboard takes it again while its card stays open). */
  public static final Duration HOLD = Duration.ofMinutes(15);
  /** A moderator holds at most this many at once (a dashboard shows 100 cards; a script cannot grow the table). */
  public static final int MAX_HELD = 50;

  /** Whether the claim's moderator may still moderate (a demoted or banned one's claims are nobody's). */
  static final String ACTIVE = "u.role <> 'user' AND (u.banned_until IS NULL OR u.banned_until <= now())";

  private static final String LIVE_POST = "SELECT 1 FROM posts WHERE id = $1 AND deleted_at IS NULL";
  private static final String LIVE_COMMENT = "SELECT 1 FROM comments WHERE id = $1 AND deleted_at IS NULL";
  private static final String ANY_POST = "SELECT 1 FROM posts WHERE id = $1";
  private static final String ANY_COMMENT = "SELECT 1 FROM comments WHERE id = $1";
  private static final String PURGE_EXPIRED = "DELETE FROM mod_claims WHERE moderator_id = $1 AND expires_at <= now()";
  private static final String HELD = "SELECT count(*) AS held FROM mod_claims WHERE moderator_id = $1 "
      + "AND NOT (target_type = $2 AND target_id = $3)";
  /**
   * Takes or renews the claim: a renewal keeps its start; someone else's live claim is replaced only when taken over
   * ($4). When nothing is replaced, ON CONFLICT has still locked the holder's row until this transaction ends, so the
   * holder read next is the one that refused it.
   */
  private static final String TAKE = """
      INSERT INTO mod_claims AS c (target_type, target_id, moderator_id, claimed_at, expires_at)
      VALUES ($1, $2, $3, now(), now() + make_interval(secs => $5))
      ON CONFLICT (target_type, target_id) DO UPDATE SET moderator_id = EXCLUDED.moderator_id,
        claimed_at = CASE WHEN c.moderator_id = EXCLUDED.moderator_id AND c.expires_at > now() THEN c.claimed_at
          ELSE now() END,
        expires_at = EXCLUDED.expires_at
      WHERE c.moderator_id = EXCLUDED.moderator_id OR c.expires_at <= now() OR $4
        OR NOT EXISTS (SELECT FROM users u WHERE u.id = c.moderator_id AND %s)
      RETURNING claimed_at, expires_at""".formatted(ACTIVE);
  /** The claim on one item, live or not, with its moderator's name and standing; held until the transaction ends. */
  private static final String ONE = "SELECT c.moderator_id, u.username, c.claimed_at, c.expires_at, "
      + "c.expires_at > now() AND " + ACTIVE + " AS live FROM mod_claims c JOIN users u ON u.id = c.moderator_id "
      + "WHERE c.target_type = $1 AND c.target_id = $2 FOR UPDATE OF c";
  private static final String DROP = "DELETE FROM mod_claims WHERE target_type = $1 AND target_id = $2";
  /** A decision's end of the claim on its item: who held it, if anyone still did. */
  private static final String DECIDED = "DELETE FROM mod_claims c USING users u WHERE c.target_type = $1 "
      + "AND c.target_id = $2 AND u.id = c.moderator_id RETURNING u.username, c.expires_at > now() AND " + ACTIVE
      + " AS live";
  private static final String LIST = "SELECT c.target_type, c.target_id, u.username, c.claimed_at, c.expires_at "
      + "FROM mod_claims c JOIN users u ON u.id = c.moderator_id WHERE c.expires_at > now() AND " + ACTIVE
      + " ORDER BY c.claimed_at, c.target_type, c.target_id";

  private final Pool pool;
  private final EventLog events;

  public Claims(Pool pool, EventLog events) {
    this.pool = pool;
    this.events = events;
  }

  /** Every live claim, oldest first: {"items": [claim, …]}. */
  public Future<JsonObject> list() {
    return pool.preparedQuery(LIST).execute().map(rows -> {
      JsonArray items = new JsonArray();
      for (Row row : rows) {
        items.add(json(row.getString("target_type"), row.getLong("target_id"), row.getString("username"),
            Iso.format(row.getOffsetDateTime("claimed_at")),
            Iso.format(row.getOffsetDateTime("expires_at"))));
      }
      return new JsonObject().put("items", items);
    });
  }

  /**
   * Takes (or renews) the claim on a post or comment for {@code actor}: the claim. 404 if the content does not exist
   * or was deleted; 409 if another active moderator holds it and {@code takeOver} is false (the problem names them
   * under {@code claim}), or if the actor already holds {@link #MAX_HELD}.
   */
  public Future<JsonObject> take(Principal actor, Target type, long id, boolean takeOver) {
    String notFound = type == Target.POST ? "No such post." : "No such comment.";
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return Standing.still(conn, actor, "moderator")
          .compose(v -> conn.preparedQuery(type == Target.POST ? LIVE_POST : LIVE_COMMENT).execute(Tuple.of(id)))
          .compose(found -> {
            if (found.size() == 0) throw Problem.notFound(notFound);
            return conn.preparedQuery(ONE).execute(Tuple.of(type.wireName(), id));
          })
          .compose(before -> {
            Optional<Row> held = before.size() == 0 ? Optional.empty() : Optional.of(before.iterator().next());
            boolean othersLive = held.isPresent() && held.get().getBoolean("live")
                && held.get().getLong("moderator_id") != actor.id();
            if (othersLive && !takeOver) throw heldBy(held.get(), type, id);
            return conn.preparedQuery(PURGE_EXPIRED).execute(Tuple.of(actor.id()))
                .compose(v -> conn.preparedQuery(HELD).execute(Tuple.of(actor.id(), type.wireName(), id)))
                .compose(count -> {
                  if (count.iterator().next().getLong("held") >= MAX_HELD) {
                    throw Problem.conflict("You are on " + MAX_HELD + " items already: let some go first.");
                  }
                  return conn.preparedQuery(TAKE).execute(Tuple.of(type.wireName(), id, actor.id(), takeOver,
                      (double) HOLD.toSeconds()));
                })
                .compose(rows -> {
                  // Taken by someone else between the read and the insert: their row is locked now, so it is theirs.
                  if (rows.size() == 0) {
                    return conn.preparedQuery(ONE).execute(Tuple.of(type.wireName(), id)).<JsonObject>map(again -> {
                      throw heldBy(again.iterator().next(), type, id);
                    });
                  }
                  Row row = rows.iterator().next();
                  JsonObject claim = json(type.wireName(), id, actor.username(),
                      Iso.format(row.getOffsetDateTime("claimed_at")),
                      Iso.format(row.getOffsetDateTime("expires_at")));
                  JsonObject data = claim.copy();
                  if (othersLive) data.put("from", new JsonObject().put("username", held.get().getString("username")));
                  return box.publish(Publication.of(EventType.CLAIM_TAKEN, null, data)).map(claim);
                });
          });
    });
  }

  /**
   * Lets the actor's claim on an item go. Nothing to let go (no claim, or one that expired or whose moderator may no
   * longer moderate) is not an error: the item is free, as asked. 409 if another active moderator holds it; 404 if
   * the post or comment never existed.
   */
  public Future<Void> release(Principal actor, Target type, long id) {
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return conn.preparedQuery(ONE).execute(Tuple.of(type.wireName(), id)).compose(rows -> {
        if (rows.size() == 0) {
          return conn.preparedQuery(type == Target.POST ? ANY_POST : ANY_COMMENT).execute(Tuple.of(id)).map(found -> {
            if (found.size() == 0) throw Problem.notFound(type == Target.POST ? "No such post." : "No such comment.");
            return (Void) null;
          });
        }
        Row held = rows.iterator().next();
        boolean mine = held.getLong("moderator_id") == actor.id();
        if (held.getBoolean("live") && !mine) throw heldBy(held, type, id);
        return conn.preparedQuery(DROP).execute(Tuple.of(type.wireName(), id)).compose(v -> held.getBoolean("live")
            ? box.publish(Publication.of(EventType.CLAIM_RELEASED, null, ended(type, id, actor.username(), "released",
                actor)))
            : Future.<Void>succeededFuture());
      });
    });
  }

  /**
   * Ends the claim on an item that a moderator's decision has just settled, inside the decision's transaction: the
   * event to publish with it when someone still held it.
   */
  static Future<Optional<Publication>> decided(SqlConnection conn, Target type, long id, Principal actor) {
    return conn.preparedQuery(DECIDED).execute(Tuple.of(type.wireName(), id)).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      Row row = rows.iterator().next();
      if (!row.getBoolean("live")) return Optional.empty();
      return Optional.of(Publication.of(EventType.CLAIM_RELEASED, null,
          ended(type, id, row.getString("username"), "decided", actor)));
    });
  }

  private static Problem heldBy(Row held, Target type, long id) {
    String who = held.getString("username");
    return Problem.conflict(who + " is on this (since " + Iso.format(held.getOffsetDateTime("claimed_at"))
            + "): take it over to act as its reviewer.")
        .with(new JsonObject().put("claim", json(type.wireName(), id, who,
            Iso.format(held.getOffsetDateTime("claimed_at")),
            Iso.format(held.getOffsetDateTime("expires_at")))));
  }

  static JsonObject json(String type, long id, String moderator, String since, String until) {
    return new JsonObject().put("targetType", type).put("targetId", id)
        .put("moderator", new JsonObject().put("username", moderator)).put("since", since).put("until", until);
  }

  /** A claim's end: whose it was, why it ended ("released" or "decided"), and who ended it. */
  private static JsonObject ended(Target type, long id, String moderator, String why, Principal by) {
    return new JsonObject().put("targetType", type.wireName()).put("targetId", id)
        .put("moderator", new JsonObject().put("username", moderator)).put("ended", why)
        .put("by", new JsonObject().put("username", by.username()));
  }
}
