package parley.live;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Vert.x as the event-bus bridge should see it: the same instance, except that a consumer it registers is local to
 * this node.
 *
 * <p>The bridge registers one consumer per socket and address on the address the client names. Parley never
 * publishes on those addresses (events reach sockets through the hub and the {@link Relay}), so these consumers
 * receive nothing; but on a clustered bus each one would be a cluster-wide registration, written to Hazelcast when
 * a client registers and removed when it leaves: tens of thousands of sockets would make as many cluster writes,
 * and every node would hold the list. Local consumers cost a map entry on this node. The bridge has no option for
 * this, and it takes the event bus from the Vert.x instance it is given, hence this view.
 */
final class LocalBus {

  private LocalBus() {
  }

  static Vertx view(Vertx vertx) {
    EventBus local = localConsumers(vertx.eventBus());
    return (Vertx) Proxy.newProxyInstance(LocalBus.class.getClassLoader(), new Class<?>[] {Vertx.class},
        (proxy, method, args) -> "eventBus".equals(method.getName()) && method.getParameterCount() == 0
            ? local
            : forward(vertx, method, args));
  }

  private static EventBus localConsumers(EventBus bus) {
    return (EventBus) Proxy.newProxyInstance(LocalBus.class.getClassLoader(), new Class<?>[] {EventBus.class},
        (proxy, method, args) -> {
          Class<?>[] types = method.getParameterTypes();
          if ("consumer".equals(method.getName()) && types.length > 0 && types[0] == String.class) {
            return forward(bus, EventBus.class.getMethod("localConsumer", types), args);
          }
          return forward(bus, method, args);
        });
  }

  private static Object forward(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
