package parley.report;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
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
import java.util.ArrayList;
import java.util.List;

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

  /** How long a claim lasts unless taken again (the dashboard's "Keep it" takes it again). */
  public static final Duration HOLD = Duration.ofMinutes(15);
  /** A moderator holds at most this many at once (a dashboard shows 100 cards; a script cannot grow the table). */
  public static final int MAX_HELD = 50;

  /** Whether the claim's moderator may still moderate (a demoted or banned one's claims are nobody's). */
  private static final String ACTIVE = active("u");

  /** {@link #ACTIVE} of the users row named {@code users} in a query. */
  public static String active(String users) {
    return "%1$s.role <> 'user' AND (%1$s.banned_until IS NULL OR %1$s.banned_until <= now())".formatted(users);
  }

  /**
   * The acting moderator's row, held against their other takes until this one commits: one moderator's takes run one
   * at a time, so two of them neither deadlock over each other's expired rows (a probe: two cards taken at once after
   * a break, 6 times in 10) nor both pass the count of {@link #MAX_HELD} (a probe: 53 held). A ban or demotion, which
   * holds the same row, waits for the take and then ends its claim, or the take waits and is refused.
   */
  private static final String ACTING = "SELECT role, banned_until IS NOT NULL AND banned_until > now() AS banned "
      + "FROM users WHERE id = $1 FOR NO KEY UPDATE";
  /**
   * The item, held against a decision until the take commits (a hide or approval changes its row, so it waits, then
   * ends the claim; or the take waits and sees the decision): whether it waits for review. A comment of a deleted
   * post is gone too.
   */
  private static final String POST = "SELECT pending_at IS NOT NULL AS held FROM posts WHERE id = $1 "
      + "AND deleted_at IS NULL FOR SHARE";
  private static final String COMMENT = "SELECT c.pending_at IS NOT NULL AS held FROM comments c "
      + "JOIN posts p ON p.id = c.post_id WHERE c.id = $1 AND c.deleted_at IS NULL AND p.deleted_at IS NULL "
      + "FOR SHARE OF c";
  /** Its open reports, held against their dismissal (which changes them) until the take commits. */
  private static final String OPEN_REPORTS = "SELECT id FROM reports WHERE target_type = $1 AND target_id = $2 "
      + "AND status = 'open' FOR SHARE";
  private static final String ANY_POST = "SELECT 1 FROM posts WHERE id = $1";
  private static final String ANY_COMMENT = "SELECT 1 FROM comments WHERE id = $1";
  /** The moderator's expired rows but the one being taken; a row another transaction holds is left for next time. */
  private static final String PURGE_EXPIRED = "DELETE FROM mod_claims WHERE ctid IN (SELECT ctid FROM mod_claims "
      + "WHERE moderator_id = $1 AND expires_at <= now() AND NOT (target_type = $2 AND target_id = $3) "
      + "FOR UPDATE SKIP LOCKED)";
  private static final String HELD = "SELECT count(*) AS held FROM mod_claims WHERE moderator_id = $1 "
      + "AND expires_at > now() AND NOT (target_type = $2 AND target_id = $3)";
  /**
   * Takes or renews the claim: a renewal keeps its start; an expired claim, or one whose moderator may no longer
   * moderate, is replaced. Someone else's live claim is left, and ON CONFLICT has then locked it until this
   * transaction ends, so the holder read next is the one that refused it (and the one a take-over names).
   */
  private static final String TAKE = """
      INSERT INTO mod_claims AS c (target_type, target_id, moderator_id, claimed_at, expires_at)
      VALUES ($1, $2, $3, now(), now() + make_interval(secs => $4))
      ON CONFLICT (target_type, target_id) DO UPDATE SET moderator_id = EXCLUDED.moderator_id,
        claimed_at = CASE WHEN c.moderator_id = EXCLUDED.moderator_id AND c.expires_at > now() THEN c.claimed_at
          ELSE now() END,
        expires_at = EXCLUDED.expires_at
      WHERE c.moderator_id = EXCLUDED.moderator_id OR c.expires_at <= now()
        OR NOT EXISTS (SELECT FROM users u WHERE u.id = c.moderator_id AND %s)
      RETURNING claimed_at, expires_at""".formatted(ACTIVE);
  /** A take-over of the claim read (and locked) just before. */
  private static final String TAKE_OVER = "UPDATE mod_claims SET moderator_id = $3, claimed_at = now(), "
      + "expires_at = now() + make_interval(secs => $4) WHERE target_type = $1 AND target_id = $2 "
      + "RETURNING claimed_at, expires_at";
  /** The claim on one item, live or not, with its moderator's name and standing; held until the transaction ends. */
  private static final String ONE = "SELECT c.moderator_id, u.username, c.claimed_at, c.expires_at, "
      + "c.expires_at > now() AND " + ACTIVE + " AS live FROM mod_claims c JOIN users u ON u.id = c.moderator_id "
      + "WHERE c.target_type = $1 AND c.target_id = $2 FOR UPDATE OF c";
  private static final String DROP = "DELETE FROM mod_claims WHERE target_type = $1 AND target_id = $2";
  /** A decision's end of the claim on its item: who held it, if anyone still did. */
  private static final String DECIDED = "DELETE FROM mod_claims c USING users u WHERE c.target_type = $1 "
      + "AND c.target_id = $2 AND u.id = c.moderator_id RETURNING c.target_type, c.target_id, u.username, "
      + "c.expires_at > now() AND " + ACTIVE + " AS live";
  /**
   * A ban's or demotion's end of every claim of the moderator: the ones that were live (not by {@link #ACTIVE}, which
   * the ban or demotion just made false).
   */
  private static final String REVOKED = "DELETE FROM mod_claims WHERE moderator_id = $1 "
      + "RETURNING target_type, target_id, $2::text AS username, expires_at > now() AS live";
  /** An author's deletion of their post or comment ends the claim on it (and a post's, on its comments). */
  private static final String GONE = "DELETE FROM mod_claims c USING users u WHERE u.id = c.moderator_id AND ("
      + "(c.target_type = $1 AND c.target_id = $2) OR ($1 = 'post' AND c.target_type = 'comment' "
      + "AND c.target_id IN (SELECT id FROM comments WHERE post_id = $2))) "
      + "RETURNING c.target_type, c.target_id, u.username, c.expires_at > now() AND " + ACTIVE + " AS live";
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
   * or was deleted; 409 if nothing about it waits for a decision (no open report, not held), if another active
   * moderator holds it and {@code takeOver} is false (the problem names them under {@code claim}), or if the actor
   * already holds {@link #MAX_HELD}.
   */
  public Future<JsonObject> take(Principal actor, Target type, long id, boolean takeOver) {
    String notFound = type == Target.POST ? "No such post." : "No such comment.";
    Tuple item = Tuple.of(type.wireName(), id);
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return conn.preparedQuery(ACTING).execute(Tuple.of(actor.id()))
          .compose(rows -> {
            if (rows.size() == 0) Standing.check(null, false, "moderator");
            Row me = rows.iterator().next();
            Standing.check(me.getString("role"), me.getBoolean("banned"), "moderator");
            return conn.preparedQuery(type == Target.POST ? POST : COMMENT).execute(Tuple.of(id));
          })
          .compose(found -> {
            if (found.size() == 0) throw Problem.notFound(notFound);
            if (found.iterator().next().getBoolean("held")) return Future.<Void>succeededFuture();
            return conn.preparedQuery(OPEN_REPORTS).execute(item).map(reports -> {
              if (reports.size() == 0) {
                throw Problem.conflict("Nothing about this " + type.wireName()
                    + " waits for a decision: it has no open report and is not held for review.");
              }
              return (Void) null;
            });
          })
          .compose(v -> conn.preparedQuery(PURGE_EXPIRED).execute(Tuple.of(actor.id(), type.wireName(), id)))
          .compose(v -> conn.preparedQuery(HELD).execute(Tuple.of(actor.id(), type.wireName(), id)))
          .compose(count -> {
            if (count.iterator().next().getLong("held") >= MAX_HELD) {
              throw Problem.conflict("You are on " + MAX_HELD + " items already: let some go first.");
            }
            double seconds = HOLD.toSeconds();
            return conn.preparedQuery(TAKE).execute(Tuple.of(type.wireName(), id, actor.id(), seconds))
                .compose(taken -> {
                  if (taken.size() > 0) return Future.succeededFuture(claimed(taken, type, id, actor, null));
                  // Someone else's live claim, locked now by the conflict: refused, or taken over naming them.
                  return conn.preparedQuery(ONE).execute(item).compose(held -> {
                    Row holder = held.iterator().next();
                    if (!takeOver) throw heldBy(holder, type, id);
                    return conn.preparedQuery(TAKE_OVER).execute(Tuple.of(type.wireName(), id, actor.id(), seconds))
                        .map(over -> claimed(over, type, id, actor, holder.getString("username")));
                  });
                });
          })
          .compose(claim -> {
            JsonObject data = claim.copy();
            if (claim.containsKey("from")) claim.remove("from");
            return box.publish(Publication.of(EventType.CLAIM_TAKEN, null, data)).map(claim);
          });
    });
  }

  /** The claim a take wrote ({@code from}: whose it was, for the event, when taken over). */
  private static JsonObject claimed(RowSet<Row> rows, Target type, long id, Principal actor,
      String from) {
    Row row = rows.iterator().next();
    JsonObject claim = json(type.wireName(), id, actor.username(), Iso.format(row.getOffsetDateTime("claimed_at")),
        Iso.format(row.getOffsetDateTime("expires_at")));
    return from == null ? claim : claim.put("from", new JsonObject().put("username", from));
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
   * Ends the claim on an item that a moderator's decision has just settled, inside the decision's transaction, and
   * announces it with the decision when someone still held it.
   */
  public static Future<Void> decided(EventLog.Outbox box, Target type, long id, Principal actor) {
    return box.connection().preparedQuery(DECIDED).execute(Tuple.of(type.wireName(), id))
        .compose(rows -> announceEnded(box, rows, "decided", actor));
  }

  /**
   * Ends every claim of a moderator who may no longer moderate (banned, or made a plain member), inside that change's
   * transaction: the other dashboards hear each one end, and a lifted ban does not bring them back.
   */
  public static Future<Void> revoke(EventLog.Outbox box, long moderatorId, String moderator, Principal by) {
    return box.connection().preparedQuery(REVOKED).execute(Tuple.of(moderatorId, moderator))
        .compose(rows -> announceEnded(box, rows, "revoked", by));
  }

  /** Ends the claims on content its author deleted (a post's take its comments' with them), in the deletion's transaction. */
  public static Future<Void> gone(EventLog.Outbox box, Target type, long id, Principal by) {
    return box.connection().preparedQuery(GONE).execute(Tuple.of(type.wireName(), id))
        .compose(rows -> announceEnded(box, rows, "deleted", by));
  }

  /** {@code claim.released} for each claim a statement ended (target_type, target_id, username, live) that was live. */
  private static Future<Void> announceEnded(EventLog.Outbox box, RowSet<Row> rows, String why, Principal by) {
    List<Publication> out = new ArrayList<>();
    for (Row row : rows) {
      if (!row.getBoolean("live")) continue;
      out.add(Publication.of(EventType.CLAIM_RELEASED, null, ended(Target.named(row.getString("target_type")),
          row.getLong("target_id"), row.getString("username"), why, by)));
    }
    return out.isEmpty() ? Future.succeededFuture() : box.publishMany(out);
  }

  private static Problem heldBy(Row held, Target type, long id) {
    String who = held.getString("username");
    return Problem.conflict(who + " is on this (since " + Iso.format(held.getOffsetDateTime("claimed_at"))
            + "): take it over to act as its reviewer.")
        .with(new JsonObject().put("claim", json(type.wireName(), id, who,
            Iso.format(held.getOffsetDateTime("claimed_at")),
            Iso.format(held.getOffsetDateTime("expires_at")))));
  }

  public static JsonObject json(String type, long id, String moderator, String since, String until) {
    return new JsonObject().put("targetType", type).put("targetId", id)
        .put("moderator", new JsonObject().put("username", moderator)).put("since", since).put("until", until);
  }

  /**
   * A claim's end: whose it was, why it ended, and who ended it (null for an account's erasure, which names no one:
   * the deleted account has no name left).
   */
  private static JsonObject ended(Target type, long id, String moderator, String why, Principal by) {
    return new JsonObject().put("targetType", type.wireName()).put("targetId", id)
        .put("moderator", new JsonObject().put("username", moderator)).put("ended", why)
        .put("by", by.username() == null ? null : new JsonObject().put("username", by.username()));
  }
}
