package parley;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Routes as "METHOD /path", read off the routers themselves: the routes behind a guard, which the permission tests
 * check one by one, and every route of the server, which the contract test holds against the OpenAPI document. So a
 * route added anywhere is tested without anyone listing it.
 */
public final class RouteTable {

  private final Set<String> routes = new ConcurrentSkipListSet<>();

  /**
   * Records a router's routes that have a path and methods (every HTTP verticle mounts the same ones; the set keeps
   * one copy). Handlers for every path (guards) and regex routes (static files) have neither and are left out.
   */
  void record(String prefix, Router router) {
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null) continue;  // the guard itself
      Set<HttpMethod> methods = route.methods() == null ? Set.of() : route.methods();
      for (HttpMethod method : methods) routes.add(method.name() + " " + prefix + route.getPath());
    }
  }

  public List<String> routes() {
    return List.copyOf(new TreeSet<>(routes));
  }
}
