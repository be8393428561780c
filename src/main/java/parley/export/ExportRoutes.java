package parley.export;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.account.Accounts;
import parley.config.AppConfig;
import parley.http.RateLimiter;
import parley.http.RequestGuards;
import parley.http.Slots;
import parley.notification.Notifications;

import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * GET /api/me/export: the caller's own data as a JSON file ({@link AccountExport}). A banned member may download
 * theirs too: it is theirs, and a ban is no reason to keep it from them.
 */
public final class ExportRoutes {

  private final Accounts accounts;
  private final Notifications notifications;
  private final AccountExport export;
  private final Slots slots;
  private final RateLimiter limits;

  public ExportRoutes(Accounts accounts, Notifications notifications, AccountExport export, Slots slots,
      RateLimiter limits) {
    this.accounts = accounts;
    this.notifications = notifications;
    this.export = export;
    this.slots = slots;
    this.limits = limits;
  }

  public void mount(Router router) {
    router.get("/api/me/export").handler(this::export);
  }

  /**
   * Taken in this order: a slot (503 when the node is writing as many as it may), then one of the account's exports
   * (429), then the account and its settings (401 if it was deleted); only then does the 200 start. What fails after
   * it cuts the connection ({@link AccountExport#write}): a refusal can no longer be a problem document.
   */
  private void export(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    if (Boolean.TRUE.equals(ctx.get(RequestGuards.HEAD))) {
      // What a download would be, without writing it (or counting it).
      attachment(ctx.response(), me.username()).end();
      return;
    }
    slots.run(() -> limits.take(AppConfig.LIMIT_EXPORTS, "user:" + me.id())
            .compose(v -> accounts.me(me.id()))
            .compose(user -> notifications.settings(me.id()).compose(settings -> {
              JsonObject head = new JsonObject().put("account", user.toJson()).put("notificationSettings", settings);
              return export.write(me.id(), head, attachment(ctx.response(), user.username()).setChunked(true));
            })))
        .onFailure(e -> {
          if (!ctx.response().headWritten()) ctx.fail(e);
        });
  }

  /** A 200 that browsers save as parley-NAME-DATE.json (a name is letters, digits, _ and -: nothing to escape). */
  private static HttpServerResponse attachment(HttpServerResponse response, String username) {
    return response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .putHeader("Content-Disposition", "attachment; filename=\"parley-" + username + "-"
            + LocalDate.now(ZoneOffset.UTC) + ".json\"");
  }
}
