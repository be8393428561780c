package parley.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import parley.access.Principal;
import parley.config.WebhookSettings;
import parley.http.Fields;
import parley.http.Page;
import parley.http.PathIds;
import parley.http.Problem;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;

/**
 * The admins' webhook routes (under /api/admin, whose guard lets only admins through): register, list, show,
 * delete, resume a failing endpoint, replay from a position, read the delivery log, redeliver one delivery.
 */
public final class WebhookRoutes {

  static final int MAX_URL = 2000;
  static final int MAX_TYPES = 50;
  static final int MAX_DESCRIPTION = 500;

  private final Webhooks webhooks;
  private final Sender sender;
  private final WebhookSettings settings;

  public WebhookRoutes(Vertx vertx, Pool pool, WebhookSettings settings) {
    this.webhooks = new Webhooks(pool);
    this.sender = new Sender(vertx, pool, settings);
    this.settings = settings;
  }

  public void mountAdmin(Router admins) {
    admins.get("/webhooks").handler(this::list);
    admins.post("/webhooks").handler(this::create);
    admins.get("/webhooks/:webhookId").handler(this::show);
    admins.delete("/webhooks/:webhookId").handler(this::delete);
    admins.post("/webhooks/:webhookId/resume").handler(this::resume);
    admins.post("/webhooks/:webhookId/replay").handler(this::replay);
    admins.post("/webhooks/:webhookId/skip").handler(this::skip);
    admins.get("/webhooks/:webhookId/deliveries").handler(this::deliveries);
    admins.post("/webhooks/:webhookId/deliveries/:deliveryId/redeliver").handler(this::redeliver);
  }

  private void list(RoutingContext ctx) {
    Principal.admin(ctx);
    webhooks.list().onSuccess(all -> ctx.json(new JsonObject()
            .put("items", new JsonArray(all.stream().map(Endpoint::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    Fields fields = Fields.of(ctx).only("url", "events", "secret", "description");
    String url = fields.text("url", 1, MAX_URL, true);
    URI uri = url == null ? null : checkUrl(fields, url);
    List<String> types = fields.optionalStrings("events", MAX_TYPES, 64);
    Set<String> sendable = Webhooks.sendableTypes();
    if (types == null) {
      if (!fields.has("events")) fields.error("events", "is required");
    } else if (types.isEmpty()) {
      fields.error("events", "must name at least one event type");
    } else {
      for (int i = 0; i < types.size(); i++) {
        if (types.get(i) != null && !sendable.contains(types.get(i))) {
          fields.error("events[" + i + "]", "must be one of " + String.join(", ", sendable));
        }
      }
    }
    String secret = fields.optionalText("secret", 1, 200, false);
    if (secret != null && !Signature.valid(secret)) {
      fields.error("secret", "must be whsec_ followed by the base64 of 24 to 64 random bytes");
    }
    String description = fields.optionalText("description", 0, MAX_DESCRIPTION, true);
    fields.check();
    List<String> distinct = types.stream().distinct().sorted().toList();
    String key = secret == null ? Signature.newSecret() : secret;
    sender.resolve(uri.getHost())
        .recover(e -> Future.failedFuture(e instanceof Sender.NotPublic
            ? Problem.invalid("url", e.getMessage() + "; endpoints must be on public addresses")
            : e instanceof UnknownHostException ? Problem.invalid("url", "its host cannot be resolved")
            : e))
        .compose(address -> webhooks.create(actor, uri.toString(), distinct, key, description))
        // The secret is shown this once.
        .onSuccess(e -> ctx.response().setStatusCode(201).putHeader("Location", "/api/admin/webhooks/" + e.id())
            .putHeader("Content-Type", "application/json").end(e.toJson().put("secret", key).encode()))
        .onFailure(ctx::fail);
  }

  /**
   * http or https, a host, no user info or fragment. An internationalized host ({@code bücher.example}, which
   * java.net.URI takes for no host) is kept in its ASCII form ({@code xn--bcher-kva.example}), as links are.
   */
  private static URI checkUrl(Fields fields, String url) {
    try {
      URI uri = Fields.withAsciiHost(new URI(url));
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
      String authority = uri.getRawAuthority();
      if (!scheme.equals("http") && !scheme.equals("https")) {
        fields.error("url", "must be an http or https URL");
      } else if ((uri.getHost() == null || uri.getHost().isEmpty()) && authority != null && !authority.contains("@")
          && authority.matches(".*[^\\]]:[0-9]{6,}")) {
        // A port of six digits or more: java.net.URI then reads no host at all.
        fields.error("url", "must have a valid port");
      } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
        fields.error("url", "must name a host");
      } else if (uri.getRawUserInfo() != null) {
        fields.error("url", "must not carry a user name or password");
      } else if (uri.getRawFragment() != null) {
        fields.error("url", "must not have a fragment");
      } else if (uri.getPort() == 0 || uri.getPort() > 65535) {
        fields.error("url", "must have a valid port");
      } else if (uri.toString().length() > MAX_URL) {
        // A host in another script is stored in its ASCII form, which is longer (a review's 500 from the table's check).
        fields.error("url", "must be at most " + MAX_URL + " characters with its host in ASCII form");
      } else {
        return uri;
      }
    } catch (URISyntaxException e) {
      fields.error("url", "must be a valid URL");
    }
    return null;
  }

  private void show(RoutingContext ctx) {
    Principal.admin(ctx);
    webhooks.get(id(ctx)).onSuccess(e -> ctx.json(e.toJson())).onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    webhooks.delete(actor, id(ctx)).onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }

  private void resume(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    Fields.none(ctx);
    webhooks.resume(actor, id(ctx)).onSuccess(e -> ctx.json(e.toJson())).onFailure(ctx::fail);
  }

  /** Body {"from": position}: everything from that position on is sent again, in order. */
  private void replay(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    long id = id(ctx);
    long from = position(ctx, "from");
    webhooks.replay(actor, id, from).onSuccess(e -> ctx.json(e.toJson())).onFailure(ctx::fail);
  }

  /** Body {"to": position}: every event before that position is passed over; the next sent is the first from it. */
  private void skip(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    long id = id(ctx);
    long to = position(ctx, "to");
    webhooks.skip(actor, id, to).onSuccess(e -> ctx.json(e.toJson())).onFailure(ctx::fail);
  }

  /** A body of one field, a position (an id): 400 when it is missing, null, not an id, or beside another field. */
  private static long position(RoutingContext ctx, String name) {
    Fields fields = Fields.of(ctx).only(name);
    Long position = fields.optionalId(name);
    if (position == null && (!fields.has(name) || fields.isNull(name))) fields.error(name, "is required");
    fields.check();
    return position;
  }

  private void deliveries(RoutingContext ctx) {
    Principal.admin(ctx);
    long id = id(ctx);
    int limit = Page.limitOnly(ctx, 50, 200);
    String rawBefore = ctx.request().getParam("before");
    Long before = null;
    if (rawBefore != null) {
      before = parley.http.Numbers.parse(rawBefore);
      if (before == null) throw Problem.invalid("before", "must be a delivery id");
    }
    webhooks.deliveries(id, before, limit)
        .onSuccess(items -> ctx.json(new JsonObject().put("items", new JsonArray(items))))
        .onFailure(ctx::fail);
  }

  /** Sends the delivery's event once more now, outside the order; the answer is the new attempt's log entry. */
  private void redeliver(RoutingContext ctx) {
    Principal actor = Principal.admin(ctx);
    Fields.none(ctx);
    long id = id(ctx);
    long deliveryId = PathIds.parse(ctx.pathParam("deliveryId"), "No such delivery.");
    webhooks.get(id)
        .compose(endpoint -> webhooks.delivery(id, deliveryId)
            .compose(d -> sender.redeliver(endpoint, d.getLong("position"))))
        .compose(entry -> webhooks.audit(actor, id, "webhook.redelivered",
            new JsonObject().put("delivery", deliveryId).put("position", entry.getLong("position"))).map(entry))
        .onSuccess(entry -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(entry.encode()))
        .onFailure(ctx::fail);
  }

  private static long id(RoutingContext ctx) {
    return PathIds.parse(ctx.pathParam("webhookId"), "No such webhook.");
  }
}
