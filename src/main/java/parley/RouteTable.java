package parley;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The routes behind a guard, as "METHOD /path", read off the routers themselves: the permission tests check every
 * one of them, so a route added behind a guard is tested without anyone listing it.
 */
public final class RouteTable {

  private final Set<String> routes = new ConcurrentSkipListSet<>();

  /** Records a guarded router's routes (every HTTP verticle mounts the same ones; the set keeps one copy). */
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
