package parley.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * In-process consumers of committed writes (notifications, webhooks, metrics): each is told the events of every
 * write on this node once its transaction has committed, and never for one that rolled back. They run on the event
 * loop that made the write, after its events were published; a listener that fails is logged and cannot undo or
 * delay the write. One registry per node, shared by every {@link EventLog}.
 */
public final class CommitListeners {

  private static final Logger log = LoggerFactory.getLogger(CommitListeners.class);

  private final List<Consumer<List<LiveEvent>>> listeners = new CopyOnWriteArrayList<>();

  /** Adds a listener; returns a handle that removes it. */
  public Runnable add(Consumer<List<LiveEvent>> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  void committed(List<LiveEvent> events) {
    if (events.isEmpty()) return;
    for (Consumer<List<LiveEvent>> listener : listeners) {
      try {
        listener.accept(events);
      } catch (RuntimeException e) {
        log.warn("A commit listener failed: {}", e.toString());
      }
    }
  }
}
