package parley.live;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.streams.ReadStream;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Vert.x as the event-bus bridge should see it: the same instance, except that the consumers the bridge registers,
 * one per socket and address the client names, are placeholders that register nothing.
 *
 * <p>Parley never publishes on those addresses: events reach sockets through the hub, which checks each reader's
 * right to each event, and the {@link Relay}. A real consumer would receive nothing and cost a great deal: on a
 * clustered bus a cluster-wide registration (a Hazelcast write when a client registers and again when it leaves);
 * on any bus a consumer with its own message queue (about 5 KiB per socket and topic), and a handler list per
 * address that is copied on every registration and scanned on every removal, so 18,000 sockets on one thread made
 * both quadratic. A placeholder answers the calls the bridge makes (handler, completion, address, unregister) and
 * holds nothing, and a message somebody does publish on a topic's address reaches no socket unchecked. The bridge
 * has no option for this, and it takes the event bus from the Vert.x instance it is given, hence this view.
 */
final class BridgeBus {

  private BridgeBus() {
  }

  static Vertx view(Vertx vertx) {
    EventBus bus = withoutConsumers(vertx.eventBus());
    return (Vertx) Proxy.newProxyInstance(BridgeBus.class.getClassLoader(), new Class<?>[] {Vertx.class},
        (proxy, method, args) -> "eventBus".equals(method.getName()) && method.getParameterCount() == 0
            ? bus
            : forward(vertx, method, args));
  }

  private static EventBus withoutConsumers(EventBus bus) {
    return (EventBus) Proxy.newProxyInstance(BridgeBus.class.getClassLoader(), new Class<?>[] {EventBus.class},
        (proxy, method, args) -> {
          Class<?>[] types = method.getParameterTypes();
          if ("consumer".equals(method.getName()) && types.length == 1 && types[0] == String.class) {
            return new Placeholder<>((String) args[0]);
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

  /** A consumer that is registered nowhere and so never receives a message. */
  private static final class Placeholder<T> implements MessageConsumer<T> {

    private final String address;
    private boolean registered = true;

    Placeholder(String address) {
      this.address = address;
    }

    @Override
    public MessageConsumer<T> handler(Handler<Message<T>> handler) {
      return this;
    }

    @Override
    public MessageConsumer<T> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }

    @Override
    public MessageConsumer<T> endHandler(Handler<Void> endHandler) {
      return this;
    }

    @Override
    public MessageConsumer<T> pause() {
      return this;
    }

    @Override
    public MessageConsumer<T> resume() {
      return this;
    }

    @Override
    public MessageConsumer<T> fetch(long amount) {
      return this;
    }

    @Override
    public ReadStream<T> bodyStream() {
      throw new UnsupportedOperationException("the bridge's consumers carry no messages");
    }

    @Override
    public boolean isRegistered() {
      return registered;
    }

    @Override
    public String address() {
      return address;
    }

    @Override
    public Future<Void> completion() {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> unregister() {
      registered = false;
      return Future.succeededFuture();
    }
  }
}
