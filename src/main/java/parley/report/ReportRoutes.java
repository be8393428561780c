package parley.report;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.config.AppConfig;
import parley.http.Fields;
import parley.http.Idempotency;
import parley.http.Page;
import parley.http.Problem;
import parley.http.RateLimiter;

import java.util.Set;

/**
 * Reporting posts and comments to the moderators, each reporter's own list, and the moderators' queue. A thin
 * adapter over {@link Reports}.
 */
public final class ReportRoutes {

  private static final Set<String> QUEUE_STATUSES = Set.of("open", "dismissed", "actioned");

  private final Reports reports;
  private final RateLimiter limits;

  public ReportRoutes(Reports reports, RateLimiter limits) {
    this.reports = reports;
    this.limits = limits;
  }

  /** Routes for signed-in users. */
  public void mount(Router router) {
    router.post("/api/reports").handler(this::report);
    router.get("/api/me/reports").handler(this::mine);
  }

  /** Routes on the moderators' router (mounted at /api/mod, behind its guard). */
  public void mountModerator(Router mod) {
    mod.get("/queue").handler(this::queue);
  }

  private void report(RoutingContext ctx) {
    Principal reporter = Principal.active(ctx);
    Fields fields = Fields.of(ctx).only("targetType", "targetId", "reason", "details");
    String typeName = fields.text("targetType", 1, 20, true);
    Reports.Target type = Reports.Target.named(typeName);
    if (typeName != null && type == null) fields.error("targetType", "must be post or comment");
    boolean sent = fields.has("targetId");
    Long targetId = fields.optionalId("targetId");
    if (targetId == null && (!sent || fields.isNull("targetId"))) {
      fields.error("targetId", sent ? "must be a positive whole number" : "is required");
    }
    String reason = fields.text("reason", 1, 20, true);
    if (reason != null && !Reports.REASONS.contains(reason)) {
      fields.error("reason", "must be one of spam, harassment, hate, misinformation, off_topic, other");
    }
    String details = fields.optionalText("details", 0, 1_000, true);
    fields.check();
    Idempotency.<JsonObject>create(ctx, reports.pool(), Idempotency.key(ctx, reporter.id()),
        () -> limits.take(AppConfig.LIMIT_REPORTS, "user:" + reporter.id()),
        claim -> reports.create(reporter, type, targetId, reason, details, claim),
        report -> new Idempotency.Reply(201, null, report.encode()));
  }

  private void mine(RoutingContext ctx) {
    Principal reporter = Principal.required(ctx);
    Page page = Page.of(ctx, 20, 100);
    reports.mine(reporter.id(), page)
        .onSuccess(list -> ctx.json(page.respond(list, json -> json.getLong("id"), json -> json)))
        .onFailure(ctx::fail);
  }

  private void queue(RoutingContext ctx) {
    String status = ctx.request().getParam("status", "open");
    if (!QUEUE_STATUSES.contains(status)) throw Problem.invalid("status", "must be open, dismissed or actioned");
    String reason = ctx.request().getParam("reason");
    if (reason != null && !Reports.QUEUE_REASONS.contains(reason)) {
      throw Problem.invalid("reason",
          "must be one of spam, harassment, hate, misinformation, off_topic, other, screening");
    }
    Page page = Page.of(ctx, 20, 100);
    reports.queue(status, reason, page)
        .compose(items -> reports.queueSize(status, reason)
            .map(total -> page.respond(items, item -> item.getLong("firstReportId"), item -> item).put("total", total)))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }
}
