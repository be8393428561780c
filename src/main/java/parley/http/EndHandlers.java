package parley.http;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * A request's end handlers that also run when the sending of a file is cut short. In Vert.x 5.0.7 a
 * {@code sendFile} whose client goes midway fires neither the response's end handler nor its close handler (the
 * response counts as written once the file is handed to the connection), so {@link RoutingContext#addEndHandler}
 * never runs for it: a cut download had no access-log line, and a write counted in flight ({@link InFlight}) stayed
 * counted for good. Who sends a file calls {@link #cut} when its sending fails; each handler runs once either way.
 */
public final class EndHandlers {

  private static final String KEY = "parley.endHandlers";

  private EndHandlers() {
  }

  /** As {@link RoutingContext#addEndHandler}, and also run by {@link #cut}; never twice. */
  public static void add(RoutingContext ctx, Handler<AsyncResult<Void>> handler) {
    boolean[] ran = new boolean[1];  // one event loop: the request's
    Handler<AsyncResult<Void>> once = result -> {
      if (ran[0]) return;
      ran[0] = true;
      handler.handle(result);
    };
    ctx.addEndHandler(once);
    List<Handler<AsyncResult<Void>>> added = ctx.get(KEY);
    if (added == null) {
      added = new ArrayList<>();
      ctx.put(KEY, added);
    }
    added.add(once);
  }

  /** The response's file was not all sent ({@code cause}): runs the end handlers Vert.x will not. */
  public static void cut(RoutingContext ctx, Throwable cause) {
    List<Handler<AsyncResult<Void>>> added = ctx.get(KEY);
    if (added == null) return;
    for (Handler<AsyncResult<Void>> handler : List.copyOf(added)) handler.handle(Future.failedFuture(cause));
  }
}
