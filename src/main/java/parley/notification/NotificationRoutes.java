package parley.notification;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import parley.access.Principal;
import parley.http.Fields;
import parley.http.Page;
import parley.http.PathIds;
import parley.http.Problem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The inbox, its settings and thread following, over REST: a thin adapter over {@link Notifications}. */
public final class NotificationRoutes {

  private static final int MAX_IDS = 200;

  private final Notifications notifications;

  public NotificationRoutes(Notifications notifications) {
    this.notifications = notifications;
  }

  public void mount(Router router) {
    router.get("/api/me/notifications").handler(this::list);
    router.get("/api/me/notifications/unread").handler(this::unread);
    router.post("/api/me/notifications/read").handler(this::read);
    router.get("/api/me/notification-settings").handler(this::settings);
    router.put("/api/me/notification-settings").handler(this::saveSettings);
    router.get("/api/posts/:postId/follow").handler(this::following);
    router.put("/api/posts/:postId/follow").handler(ctx -> follow(ctx, true));
    router.delete("/api/posts/:postId/follow").handler(ctx -> follow(ctx, false));
  }

  private void list(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    String order = ctx.request().getParam("order", "newest");
    if (!order.equals("newest") && !order.equals("unread")) throw Problem.invalid("order", "must be newest or unread");
    Page page = Page.sorted(ctx, 20, 100);
    boolean unreadFirst = order.equals("unread");
    // The unread-first order's cursors carry whether the page ended among the unread: one of the newest-first order
    // (an id alone) would be read as "among the unread" and give a page of the other list.
    // And the other way round: the unread-first order's cursor was taken by the newest-first order, its key ignored.
    if (unreadFirst ? page.after() != null && !"0".equals(page.afterKey()) && !"1".equals(page.afterKey())
        : page.afterKey() != null) {
      throw Problem.invalid("cursor", "is not a cursor of this order");
    }
    notifications.list(me.id(), page, unreadFirst)
        .compose(items -> notifications.unread(me.id()).map(unread -> {
          JsonObject json = unreadFirst
              ? page.respond(items, Notifications.Notification::readKey, Notifications.Notification::id,
                  Notifications.Notification::toJson)
              : page.respond(items, Notifications.Notification::id, Notifications.Notification::toJson);
          return json.put("unread", unread);
        }))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private void unread(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    notifications.unread(me.id())
        .onSuccess(unread -> ctx.json(new JsonObject().put("unread", unread)))
        .onFailure(ctx::fail);
  }

  /** {"upTo": id} marks everything up to it; {"ids": [...]} marks those; only ever the caller's own. */
  private void read(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Fields fields = Fields.of(ctx).only("upTo", "ids");
    Long upTo = fields.optionalId("upTo");
    JsonObject body = fields.json();
    List<Long> ids = new ArrayList<>();
    Object raw = body == null ? null : body.getValue("ids");
    if (raw != null) {
      if (!(raw instanceof JsonArray list) || list.size() > MAX_IDS) {
        fields.error("ids", "must be a list of at most " + MAX_IDS + " ids");
      } else {
        for (Object id : list) {
          // As Fields.optionalId: a JSON integer that fits (not 1.0, 1e20 or 2^64 + 41, which would wrap to 41).
          if ((id instanceof Integer || id instanceof Long) && ((Number) id).longValue() > 0) {
            ids.add(((Number) id).longValue());
          } else {
            fields.error("ids", "must hold positive whole numbers");
            break;
          }
        }
      }
    }
    // Something to mark: {"upTo": null} or {"ids": []} alone would be a 200 that did nothing.
    boolean upToGiven = body != null && body.getValue("upTo") != null;
    if (!upToGiven && (raw == null || raw instanceof JsonArray list && list.isEmpty())) {
      fields.error("upTo", "give upTo or at least one id in ids");
    }
    fields.check();
    notifications.markRead(me.id(), upTo, ids)
        .onSuccess(unread -> ctx.json(new JsonObject().put("unread", unread)))
        .onFailure(ctx::fail);
  }

  private void settings(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    notifications.settings(me.id()).onSuccess(ctx::json).onFailure(ctx::fail);
  }

  private void saveSettings(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    Fields fields = Fields.of(ctx);
    JsonObject body = fields.json();
    Map<String, Boolean> changes = new LinkedHashMap<>();
    if (body != null) {
      for (String name : body.fieldNames()) {
        if (!Notifications.settingNames().contains(name)) {
          fields.error(name, "is not a setting (" + String.join(", ", Notifications.settingNames()) + ")");
        } else if (!(body.getValue(name) instanceof Boolean b)) {
          fields.error(name, "must be true or false");
        } else {
          changes.put(name, b);
        }
      }
    }
    if (changes.isEmpty() && body != null && body.isEmpty()) fields.error("settings", "give at least one setting");
    fields.check();
    notifications.saveSettings(me.id(), changes).onSuccess(ctx::json).onFailure(ctx::fail);
  }

  private void following(RoutingContext ctx) {
    Principal me = Principal.required(ctx);
    long postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    notifications.following(postId, me.id(), me.isModerator())
        .onSuccess(following -> ctx.json(new JsonObject().put("following", following)))
        .onFailure(ctx::fail);
  }

  private void follow(RoutingContext ctx, boolean follow) {
    Principal me = Principal.required(ctx);
    Fields.none(ctx);
    long postId = PathIds.parse(ctx.pathParam("postId"), "No such post.");
    notifications.follow(postId, me.id(), me.isModerator(), follow)
        .onSuccess(following -> ctx.json(new JsonObject().put("following", following)))
        .onFailure(ctx::fail);
  }
}
