package parley.export;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.admin.Admin;
import parley.config.AppConfig;
import parley.http.EndHandlers;
import parley.http.Fields;
import parley.http.Problem;
import parley.http.RateLimiter;
import parley.http.RequestGuards;
import parley.http.Slots;

import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * GET /api/me/export: the caller's own data as a JSON file ({@link AccountExport}). A banned member may download
 * theirs too: it is theirs, and a ban is no reason to keep it from them. And an admin's
 * POST /api/admin/users/{username}/export, the same file, for a member who asks for it and cannot sign in; with a
 * reason, kept in the audit log.
 */
public final class ExportRoutes {

  private final AccountExport export;
  private final Slots slots;
  private final Slots outgoing;
  private final RateLimiter limits;
  private final Admin admin;

  /**
   * @param slots    the node's slots for writing files ({@link AccountExport#slots})
   * @param outgoing the node's slots for files written and not yet sent ({@link AccountExport#outgoing})
   * @param admin    whose audit log an admin's export of someone's data is entered in
   */
  public ExportRoutes(AccountExport export, Slots slots, Slots outgoing, RateLimiter limits, Admin admin) {
    this.export = export;
    this.slots = slots;
    this.outgoing = outgoing;
    this.limits = limits;
    this.admin = admin;
  }

  public void mount(Router router) {
    router.get("/api/me/export").handler(this::export);
  }

  /** On the admins' router (/api/admin), whose guard lets only active admins through. */
  public void mountAdmin(Router admins) {
    admins.post("/users/:username/export").handler(this::exportFor);
  }

  /**
   * Taken in this order: a place among the files on their way out (503 when the node has as many as it may), a slot
   * to write one (503 when the node is writing as many as it may), one of the account's exports (429); then the file
   * is written whole (401 if the account is gone, 503 if the database is); only then does the 200 start, with the
   * file's length, and the file is deleted once sent (or not), which gives its place back. A HEAD says what a GET would be answered,
   * without writing the file or counting against the limit.
   */
  private void export(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    String subject = "user:" + me.id();
    if (Boolean.TRUE.equals(ctx.get(RequestGuards.HEAD))) {
      outgoing.run(() -> slots.run(() -> limits.take(AppConfig.LIMIT_EXPORTS, subject)
              .onSuccess(v -> limits.giveBack(AppConfig.LIMIT_EXPORTS, subject))))
          .onSuccess(v -> attachment(ctx.response(), me.username()).end())
          .onFailure(ctx::fail);
      return;
    }
    // The file's own slot is held until it is sent (or not) and deleted: files on their way out are on the data
    // directory's disk, PostgreSQL's, for as long as their clients take, and there are at most so many.
    outgoing.run(() -> slots.run(() -> limits.take(AppConfig.LIMIT_EXPORTS, subject).compose(v -> export.write(me.id())))
            .compose(file -> send(ctx, file)))
        .onFailure(ctx::fail);
  }

  /**
   * An admin downloads a member's data for them: a member who asked by mail, who cannot sign in, or who is banned and
   * wants their words. The file is the member's own export, byte for byte in shape; the audit entry
   * ({@code user.exported}, with the reason) is written once the file is, and before any of it is sent: no file leaves
   * without its entry, and a refusal writes none. Not rate-limited (admins are few, and each export is audited), but
   * it takes the node's slots as a member's does.
   */
  private void exportFor(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    Fields fields = Fields.of(ctx).only("reason");
    String reason = fields.text("reason", 1, 1_000, true);
    fields.check();
    admin.user(ctx.pathParam("username")).compose(target -> outgoing.run(() -> slots.run(() -> export.write(target.id())
                // The account deleted since it was looked up: it is no one's now.
                .recover(e -> Future.failedFuture(e instanceof Problem p && p.status() == 401
                    ? Problem.notFound("No such user.") : e))
                .compose(file -> admin.exported(target, actor, reason).transform(audited -> {
                  if (audited.succeeded()) return Future.succeededFuture(file);
                  export.discard(file);
                  return Future.failedFuture(audited.cause());
                })))
            .compose(file -> send(ctx, file))))
        .onFailure(ctx::fail);
  }

  /**
   * Sends the written file, then deletes it, whatever happens: its client may have gone while it was written (a
   * probe: the file was left until a later start). Never compressed: the server would gzip the whole file on its
   * event loop (seconds, for a big one; a probe) and send it without its length.
   */
  private Future<Void> send(RoutingContext ctx, AccountExport.Export file) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      export.discard(file);
      return Future.succeededFuture();
    }
    Future<Void> sent;
    try {
      sent = attachment(response, file.username()).putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY)
          .sendFile(file.file().toString());
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    return sent.transform(done -> {
      export.discard(file);
      // Cut short (the client gone, the idle timeout, a stop): Vert.x runs no end handler for it.
      if (done.failed()) EndHandlers.cut(ctx, done.cause());
      return Future.succeededFuture();
    });
  }

  /** A 200 that browsers save as parley-NAME-DATE.json (a name is letters, digits, _ and -: nothing to escape). */
  private static HttpServerResponse attachment(HttpServerResponse response, String username) {
    return response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .putHeader("Content-Disposition", "attachment; filename=\"parley-" + username + "-"
            + LocalDate.now(ZoneOffset.UTC) + ".json\"");
  }
}
