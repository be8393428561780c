package parley.live;

import io.vertx.core.Future;

/** Where a reader's events go: a bridge socket or an SSE stream. Used only from the reader's event loop. */
interface Sink {

  String BRIDGE = "bridge";
  String SSE = "sse";

  /** Which transport this is ({@link #BRIDGE} or {@link #SSE}), for metrics. */
  String transport();

  void send(String topic, Delivery delivery);

  /**
   * Runs {@code writes} (sends, resyncs, revocations to this sink) as one burst: a transport that can sends it to
   * the network at once, not frame by frame. Used for a page of replay.
   */
  default void burst(Runnable writes) {
    writes.run();
  }

  /** Tells the reader its resume point is gone (or unknowable) and it must refetch over REST. */
  void resync(String topic, Long headSeq);

  /** True when the transport already holds its bound of unsent bytes. */
  boolean writeQueueFull();

  /**
   * The check a live event makes before it is written: {@link #writeQueueFull()}, or a cheaper answer that finds a
   * full queue a little later (a transport may count what it was handed and ask its queue only now and then).
   */
  default boolean liveQueueFull() {
    return writeQueueFull();
  }

  /**
   * Completes when this connection may be given a page of replay: once the page any other of its subscriptions was
   * given has been written ({@link #endReplayTurn}) and the transport has room. A reader that stops reading then
   * holds at most one page past its bound, however many topics it follows; each taking its own page at once, a
   * socket that read nothing held a page for each of its 64 topics (a review's suspicion, 2026-12-07).
   */
  Future<Void> replayTurn();

  /** The page given at {@link #replayTurn} was written, or will not be: the next subscription may have its turn. */
  void endReplayTurn();

  /** The reader stopped reading: close the connection so its client reconnects and resumes. */
  void overflow();

  /**
   * Close the connection so its client reconnects and resumes with {@code since}, for a reason other than a slow
   * reader ({@code why}: a few words, the start of the close reason where the transport carries one). Resuming is
   * the same whatever the reason, so by default, as {@link #overflow}.
   */
  default void reconnect(String why) {
    overflow();
  }

  /**
   * The node is shutting down: the client should reconnect (to another node, or to this one when it is back) and
   * resume with {@code since}, at once rather than after the shutdown's grace. By default, as {@link #overflow}.
   */
  default void goingAway() {
    overflow();
  }

  /** The reader lost the right to a topic (token expired, demoted, banned): stop it and say why. */
  void revoke(String topic, String reason);

  boolean isClosed();
}
