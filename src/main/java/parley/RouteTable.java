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

  /**
   * The methods some route takes at {@code path} (its {@code :name} segments matching any one segment, a trailing
   * slash or none, as the router matches them), HEAD wherever GET is (the router answers it with the GET route,
   * without the body), for a 405's Allow header. A path outside the API that no route names is a static file's:
   * GET and HEAD.
   */
  public Set<String> methodsFor(String path) {
    Set<String> methods = new TreeSet<>();
    String trimmed = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String[] segments = trimmed.split("/", -1);
    for (String route : routes) {
      int space = route.indexOf(' ');
      if (matches(route.substring(space + 1).split("/", -1), segments)) methods.add(route.substring(0, space));
    }
    if (methods.isEmpty() && !under(trimmed, "/api") && !under(trimmed, "/eventbus")
        && !under(trimmed, parley.realworld.RealWorldRoutes.PREFIX)) {
      methods.add("GET");
    }
    if (methods.contains("GET")) methods.add("HEAD");
    return methods;
  }

  private static boolean under(String path, String prefix) {
    return path.equals(prefix) || path.startsWith(prefix + "/");
  }

  private static boolean matches(String[] template, String[] segments) {
    if (template.length != segments.length) return false;
    for (int i = 0; i < template.length; i++) {
      boolean parameter = template[i].startsWith(":") && !segments[i].isEmpty();
      if (!parameter && !template[i].equals(segments[i])) return false;
    }
    return true;
  }
}
