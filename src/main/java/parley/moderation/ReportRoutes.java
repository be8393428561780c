package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import parley.config.AppConfig;
import parley.access.Visibility;
import parley.events.EventLog;
import parley.events.Topics;
import parley.http.Fields;
import parley.http.Idempotency;
import parley.http.Iso;
import parley.http.Page;
import parley.access.Principal;
import parley.http.Problem;
import parley.http.RateLimiter;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reporting posts and comments to the moderators, and each reporter's own list of what they reported. */
public final class ReportRoutes {

  static final Set<String> REASONS = Set.of("spam", "harassment", "hate", "misinformation", "off_topic", "other");

  /** The target's author, if the reporter can see it (not deleted; hidden only to its author and moderators). */
  private static final String POST_TARGET = "SELECT author_id, hidden_at IS NOT NULL AS hidden FROM posts "
      + "WHERE id = $1 AND deleted_at IS NULL";

  private static final String COMMENT_TARGET = "SELECT c.author_id, c.hidden_at IS NOT NULL OR p.hidden_at IS NOT NULL "
      + "AS hidden FROM comments c JOIN posts p ON p.id = c.post_id "
      + "WHERE c.id = $1 AND c.deleted_at IS NULL AND p.deleted_at IS NULL";

  private static final String INSERT = "INSERT INTO reports (reporter_id, target_type, target_id, reason, details) "
      + "VALUES ($1, $2, $3, $4, $5) RETURNING id, status, created_at";

  private static final String MINE = "SELECT id, target_type, target_id, reason, details, status, created_at, "
      + "resolved_at FROM reports WHERE reporter_id = $1 AND id < COALESCE($2, 9223372036854775807) "
      + "ORDER BY id DESC LIMIT $3";

  private final EventLog events;
  private final RateLimiter limits;

  public ReportRoutes(EventLog events, RateLimiter limits) {
    this.events = events;
    this.limits = limits;
  }

  public void mount(Router router) {
    router.post("/api/reports").handler(this::report);
    router.get("/api/me/reports").handler(this::mine);
  }

  private void report(RoutingContext ctx) {
    Principal reporter = Principal.active(ctx);
    Fields fields = Fields.of(ctx);
    String type = fields.text("targetType", 1, 20, true);
    if (type != null && !type.equals("post") && !type.equals("comment")) {
      fields.error("targetType", "must be post or comment");
    }
    Long targetId = fields.optionalId("targetId");
    if (targetId == null && !fields.has("targetId")) fields.error("targetId", "is required");
    String reason = fields.text("reason", 1, 20, true);
    if (reason != null && !REASONS.contains(reason)) {
      fields.error("reason", "must be one of spam, harassment, hate, misinformation, off_topic, other");
    }
    String details = fields.optionalText("details", 0, 1_000, true);
    fields.check();
    Idempotency.<JsonObject>create(ctx, events.pool(), Idempotency.key(ctx, reporter.id()),
        () -> limits.take(AppConfig.LIMIT_REPORTS, "user:" + reporter.id()),
        claim -> events.transaction(claim, box -> box.connection()
            .preparedQuery("post".equals(type) ? POST_TARGET : COMMENT_TARGET).execute(Tuple.of(targetId))
            .compose(rows -> {
              if (rows.size() == 0) throw Problem.notFound("No such " + type + ".");
              Row target = rows.iterator().next();
              long authorId = target.getLong("author_id");
              if (target.getBoolean("hidden") && !Visibility.seesHidden(reporter, authorId)) {
                throw Problem.notFound("No such " + type + ".");
              }
              if (authorId == reporter.id()) throw Problem.badRequest("You cannot report your own " + type + ".");
              return box.connection().preparedQuery(INSERT)
                  .execute(Tuple.of(reporter.id(), type, targetId, reason, details))
                  .recover(ReportRoutes::duplicate);
            })
            .compose(rows -> {
              Row row = rows.iterator().next();
              JsonObject report = new JsonObject()
                  .put("id", row.getLong("id"))
                  .put("targetType", type)
                  .put("targetId", targetId)
                  .put("reason", reason)
                  .put("details", details)
                  .put("status", row.getString("status"))
                  .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")));
              JsonObject forModerators = report.copy()
                  .put("reporter", new JsonObject().put("username", reporter.username()));
              return box.append(Topics.MOD, "report.created", forModerators, null).map(report);
            })),
        report -> new Idempotency.Reply(201, null, report.encode()));
  }

  private static <T> Future<T> duplicate(Throwable failure) {
    if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      return Future.failedFuture(Problem.conflict("You already reported this, and your report is still open."));
    }
    return Future.failedFuture(failure);
  }

  private void mine(RoutingContext ctx) {
    Principal reporter = Principal.required(ctx);
    Page page = Page.of(ctx, 20, 100);
    events.pool().preparedQuery(MINE).execute(Tuple.of(reporter.id(), page.after(), page.fetchSize()))
        .map(rows -> {
          List<Row> list = new ArrayList<>();
          rows.forEach(list::add);
          return page.respond(list, row -> row.getLong("id"), row -> new JsonObject()
              .put("id", row.getLong("id"))
              .put("targetType", row.getString("target_type"))
              .put("targetId", row.getLong("target_id"))
              .put("reason", row.getString("reason"))
              .put("details", row.getString("details"))
              .put("status", row.getString("status"))
              .put("createdAt", Iso.format(row.getOffsetDateTime("created_at")))
              .put("resolvedAt", Iso.format(row.getOffsetDateTime("resolved_at"))));
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
