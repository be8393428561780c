package parley.moderation;

import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.http.Fields;
import parley.http.Page;
import parley.http.PathIds;
import parley.http.Problem;
import parley.report.Claims;
import parley.report.Reports;
import parley.screening.Filter;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The moderators' tools on content, mounted on the moderators' router (/api/mod, whose guard lets only active
 * moderators and admins through): hide and restore, lock and unlock, resolve reports, and the audit log. A thin
 * adapter over {@link Moderation}.
 */
public final class ModerationRoutes {

  private static final int MAX_REASON = 1_000;

  private static final int MAX_NOTE = 2_000;
  private static final int MAX_PATTERN = 200;

  private final Moderation moderation;
  private final Review review;
  private final Claims claims;

  public ModerationRoutes(Moderation moderation, Review review, Claims claims) {
    this.moderation = moderation;
    this.review = review;
    this.claims = claims;
  }

  public void mount(Router mod) {
    mod.post("/reports/:reportId/resolve").handler(this::resolve);
    mod.post("/posts/:postId/hide").handler(ctx -> act(ctx, Moderation.Action.HIDE_POST));
    mod.post("/posts/:postId/restore").handler(ctx -> act(ctx, Moderation.Action.RESTORE_POST));
    mod.post("/comments/:commentId/hide").handler(ctx -> act(ctx, Moderation.Action.HIDE_COMMENT));
    mod.post("/comments/:commentId/restore").handler(ctx -> act(ctx, Moderation.Action.RESTORE_COMMENT));
    mod.post("/posts/:postId/lock").handler(ctx -> act(ctx, Moderation.Action.LOCK_POST));
    mod.post("/posts/:postId/unlock").handler(ctx -> act(ctx, Moderation.Action.UNLOCK_POST));
    mod.post("/posts/:postId/approve").handler(ctx -> act(ctx, Moderation.Action.APPROVE_POST));
    mod.post("/posts/:postId/reject").handler(ctx -> act(ctx, Moderation.Action.REJECT_POST));
    mod.post("/comments/:commentId/approve").handler(ctx -> act(ctx, Moderation.Action.APPROVE_COMMENT));
    mod.post("/comments/:commentId/reject").handler(ctx -> act(ctx, Moderation.Action.REJECT_COMMENT));
    mod.get("/claims").handler(ctx -> {
      Principal.moderator(ctx);
      claims.list().onSuccess(ctx::json).onFailure(ctx::fail);
    });
    mod.put("/posts/:postId/claim").handler(ctx -> claim(ctx, Reports.Target.POST));
    mod.put("/comments/:commentId/claim").handler(ctx -> claim(ctx, Reports.Target.COMMENT));
    mod.delete("/posts/:postId/claim").handler(ctx -> letGo(ctx, Reports.Target.POST));
    mod.delete("/comments/:commentId/claim").handler(ctx -> letGo(ctx, Reports.Target.COMMENT));
    mod.get("/posts/:postId/moderation").handler(ctx -> {
      Principal.moderator(ctx);
      review.thread(PathIds.parse(ctx.pathParam("postId"), "No such post.")).onSuccess(ctx::json)
          .onFailure(ctx::fail);
    });
    mod.get("/log").handler(this::log);
    mod.get("/pending").handler(ctx -> {
      review.pending(Page.limitOnly(ctx, 50, 200)).onSuccess(ctx::json).onFailure(ctx::fail);
    });
    mod.get("/recent").handler(ctx -> {
      review.recent(Page.limitOnly(ctx, 30, 100)).onSuccess(ctx::json).onFailure(ctx::fail);
    });
    mod.get("/filters").handler(ctx -> review.filters()
        .onSuccess(list -> ctx.json(new JsonObject().put("items", new JsonArray(list.stream().map(Filter::toJson)
            .toList()))))
        .onFailure(ctx::fail));
    mod.post("/filters").handler(this::addFilter);
    mod.delete("/filters/:filterId").handler(ctx -> respond(ctx, review.removeFilter(Principal.moderator(ctx),
        PathIds.parse(ctx.pathParam("filterId"), "No such filter."))));
    mod.get("/users/:username").handler(ctx -> {
      Principal.moderator(ctx);
      review.card(ctx.pathParam("username")).onSuccess(ctx::json).onFailure(ctx::fail);
    });
    mod.post("/users/:username/notes").handler(this::addNote);
  }

  /** The post or comment of a claim route's path (404 for an id that cannot be one). */
  private static long target(RoutingContext ctx, Reports.Target type) {
    return type == Reports.Target.POST ? PathIds.parse(ctx.pathParam("postId"), "No such post.")
        : PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
  }

  /** Takes or renews a claim: {"takeOver": true} to take it from another moderator; the body may be absent. */
  private void claim(RoutingContext ctx, Reports.Target type) {
    Principal actor = Principal.moderator(ctx);
    long id = target(ctx, type);
    boolean takeOver = false;
    if (Fields.sent(ctx)) {
      Fields fields = Fields.of(ctx).only("takeOver");
      takeOver = fields.optionalFlag("takeOver", false);
      fields.check();
    }
    claims.take(actor, type, id, takeOver).onSuccess(ctx::json).onFailure(ctx::fail);
  }

  private void letGo(RoutingContext ctx, Reports.Target type) {
    Principal actor = Principal.moderator(ctx);
    respond(ctx, claims.release(actor, type, target(ctx, type)));
  }

  private void addFilter(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    Fields fields = Fields.of(ctx).only("kind", "pattern", "action");
    String kind = fields.text("kind", 1, 20, true);
    if (kind != null && !kind.equals(Filter.WORD) && !kind.equals(Filter.PATTERN)) {
      fields.error("kind", "must be word or pattern");
    }
    String pattern = fields.text("pattern", 1, MAX_PATTERN, true);
    String action = fields.text("action", 1, 20, true);
    if (action != null && !action.equals(Filter.HOLD) && !action.equals(Filter.REFUSE)) {
      fields.error("action", "must be hold or refuse");
    }
    if (pattern != null && (Filter.WORD.equals(kind) || Filter.PATTERN.equals(kind))) {
      String costly = Filter.PATTERN.equals(kind) ? Filter.tooCostly(pattern) : null;
      if (costly != null) {
        fields.error("pattern", "would cost too much to check on every post and comment: it has " + costly);
      } else {
        try {
          Filter.compile(kind, pattern);
        } catch (IllegalArgumentException e) {
          fields.error("pattern", "is not a valid regular expression: " + e.getMessage());
        }
      }
    }
    fields.check();
    review.addFilter(actor, kind, pattern, action)
        .onSuccess(filter -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(filter.toJson().encode()))
        .onFailure(ctx::fail);
  }

  private void addNote(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    Fields fields = Fields.of(ctx).only("body");
    String body = fields.text("body", 1, MAX_NOTE, true);
    fields.check();
    review.addNote(actor, ctx.pathParam("username"), body)
        .onSuccess(note -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(note.encode()))
        .onFailure(ctx::fail);
  }

  private void resolve(RoutingContext ctx) {
    Principal actor = Principal.moderator(ctx);
    long reportId = PathIds.parse(ctx.pathParam("reportId"), "No such report.");
    Fields fields = Fields.of(ctx).only("action", "note", "upTo");
    String action = fields.text("action", 1, 20, true);
    if (action != null && !action.equals("dismiss") && !action.equals("hide")) {
      fields.error("action", "must be dismiss or hide");
    }
    String note = fields.optionalText("note", 1, MAX_REASON, true);
    // The newest report the moderator was shown: a dismissal closes none filed since (the dashboard sends it five
    // seconds after the click, its undo window, and a report filed then was dismissed unread: a review).
    Long upTo = fields.optionalId("upTo");
    fields.check();
    respond(ctx, moderation.resolve(reportId, actor, "hide".equals(action), note, upTo));
  }

  private void act(RoutingContext ctx, Moderation.Action action) {
    Principal actor = Principal.moderator(ctx);
    long id = action.target == Reports.Target.POST
        ? PathIds.parse(ctx.pathParam("postId"), "No such post.")
        : PathIds.parse(ctx.pathParam("commentId"), "No such comment.");
    if (action.approves()) {
      approve(ctx, action, id, actor);
      return;
    }
    respond(ctx, moderation.act(action, id, actor, reason(ctx, action.takesReason())));
  }

  /**
   * An approval, optionally of the text as the moderator read it: {@code editedAt} is the content's editedAt they saw
   * (null when it had never been edited), and an edit made since refuses the approval (409) instead of publishing a
   * text nobody reviewed.
   */
  private void approve(RoutingContext ctx, Moderation.Action action, long id, Principal actor) {
    String reason = null;
    Moderation.Seen seen = Moderation.Seen.ANY;
    if (Fields.sent(ctx)) {
      Fields fields = Fields.of(ctx).only("reason", "editedAt");
      reason = fields.optionalText("reason", 1, MAX_REASON, true);
      if (fields.isNull("editedAt")) {
        seen = new Moderation.Seen(true, null);
      } else {
        String raw = fields.optionalText("editedAt", 1, 64, true);
        if (raw != null) {
          try {
            seen = new Moderation.Seen(true, OffsetDateTime.parse(raw).toInstant());
          } catch (DateTimeParseException e) {
            fields.error("editedAt", "must be the editedAt you read (an ISO-8601 time), or null if it was never edited");
          }
        }
      }
      fields.check();
    }
    respond(ctx, moderation.approve(action, id, actor, reason, seen));
  }

  /** A reason: required to hide ({reason}), optional otherwise (and the body itself may be absent). */
  static String reason(RoutingContext ctx, boolean required) {
    if (!Fields.sent(ctx)) {
      if (required) throw Problem.invalid("reason", "is required");
      return null;
    }
    Fields fields = Fields.of(ctx).only("reason");
    String reason = required ? fields.text("reason", 1, MAX_REASON, true)
        : fields.optionalText("reason", 1, MAX_REASON, true);
    fields.check();
    return reason;
  }

  private void log(RoutingContext ctx) {
    Page page = Page.of(ctx, 50, 200);
    moderation.log(page)
        .onSuccess(entries -> ctx.json(page.respond(entries, AuditLog.Entry::id, AuditLog.Entry::toJson)))
        .onFailure(ctx::fail);
  }

  private static void respond(RoutingContext ctx, Future<?> done) {
    done.onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }
}
