package parley.live;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import parley.config.Limit;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.Map;

/**
 * One bridge socket and the topics it follows. Frames are written as text (on /eventbus/websocket, one WebSocket
 * text message per frame), in the bridge's own format: {"type":"rec","address":topic,"body":envelope}. On a raw
 * WebSocket they are written as bytes encoded once per event ({@link FrameWriter}); on a SockJS session, through it.
 */
final class BridgeSink implements Sink {

  /**
   * Close code for a reader that stopped reading, or one that must be admitted afresh ({@link #reconnect}): its
   * client should reconnect and resume with since.
   */
  static final int SLOW_CONSUMER = 4001;
  /** Close code for a registration the server could not check just now: reconnect after a pause and resume. */
  static final int BUSY = 4003;
  /** A live event asks the socket's queue once per this fraction of its bound written (see {@link #liveQueueFull}). */
  static final int QUEUE_CHECKS = 32;

  final SockJSSocket socket;
  /** Topic to its live subscription. */
  final Map<String, LiveHub.Subscription> subscriptions = new HashMap<>();
  /**
   * Topic to the registration being set up for it: a fresh object per register frame, so a subscription that
   * completes after its topic was unregistered (and perhaps registered again) knows it is stale.
   */
  final Map<String, Object> pending = new HashMap<>();
  /**
   * Addresses the bridge itself holds for this socket: from an accepted register until the client unregisters,
   * even after Parley revoked the subscription (the bridge answers a second register with its own error).
   */
  final Set<String> bridged = new HashSet<>();
  /** Registrations this socket may still make (PARLEY_LIMIT_LIVE_REGISTERS). */
  final GuardedSocket.TokenBucket registrations;
  private final Drain drain;
  /** Null when the socket's channel could not be reached: its bursts are then flushed frame by frame. */
  private final FlushHold flushHold;
  /** Null unless the socket is a raw WebSocket whose channel could be reached: frames then go through the socket. */
  private final FrameWriter frames;
  /** How many characters may be written between two questions to the socket's queue (see {@link #liveQueueFull}). */
  private final int checkEvery;
  /** Characters written since the socket's queue was last found below its bound. */
  private int sinceChecked;
  private boolean closed;

  BridgeSink(SockJSSocket socket, int maxQueueBytes, Limit registrationLimit, FlushHold flushHold,
      FrameWriter frames) {
    this.socket = socket;
    this.flushHold = flushHold;
    this.frames = frames;
    this.checkEvery = Math.max(1, maxQueueBytes / QUEUE_CHECKS);
    socket.setWriteQueueMaxSize(maxQueueBytes);
    this.drain = new Drain(socket, this::writeQueueFull);
    this.registrations = new GuardedSocket.TokenBucket(registrationLimit);
  }

  @Override
  public void send(String topic, Delivery delivery) {
    if (frames == null) {
      write(delivery.bridgeFrame());
    } else if (!closed) {
      frames.send(delivery.bridgeMessage());
    }
  }

  @Override
  public void burst(Runnable writes) {
    if (flushHold == null || closed) {
      writes.run();
    } else {
      flushHold.burst(writes);
    }
  }

  @Override
  public void resync(String topic, Long headSeq) {
    write(Delivery.bridgeResync(topic, headSeq));
  }

  /**
   * The socket can close under us before the bridge tells us (the peer went away mid-event): Vert.x then throws
   * on writes and queue checks, which must end this reader only, never the loop that feeds the others.
   */
  private void write(String frame) {
    if (closed) return;
    if (frames != null) {
      frames.send(Delivery.bridgeMessage(frame));
      return;
    }
    sinceChecked += frame.length();
    try {
      socket.write(frame);
    } catch (IllegalStateException gone) {
      markClosed();
    }
  }

  @Override
  public boolean writeQueueFull() {
    if (closed) return false;
    try {
      return socket.writeQueueFull();
    } catch (IllegalStateException gone) {
      markClosed();
      return false;
    }
  }

  /**
   * Asks the socket's queue only once a thirty-second of its bound has been written since it was last found with
   * room: on a thread with thousands of readers the question (the socket's lock, and the first touch of its state
   * for this event) was a fifth of a live delivery's cost (docs/BENCHMARKS.md, P2). A reader who stops reading is
   * found as before, with at most that much more queued than {@code PARLEY_LIVE_QUEUE_BYTES} (characters counted:
   * text outside Latin-1 takes up to three bytes a character).
   */
  @Override
  public boolean liveQueueFull() {
    if (frames != null) return writeQueueFull();
    if (sinceChecked < checkEvery) return false;
    if (writeQueueFull()) return true;
    sinceChecked = 0;
    return false;
  }

  @Override
  public Future<Void> replayTurn() {
    return drain.turn();
  }

  @Override
  public void endReplayTurn() {
    drain.endTurn();
  }

  @Override
  public String transport() {
    return BRIDGE;
  }

  @Override
  public void overflow() {
    reconnect("slow consumer");
  }

  @Override
  public void reconnect(String why) {
    if (closed) return;
    closed = true;
    socket.close(SLOW_CONSUMER, why + ": reconnect and resume with since");
  }

  /** WebSocket's "going away": the server is shutting down. */
  static final int GOING_AWAY = 1001;

  @Override
  public void goingAway() {
    if (closed) return;
    closed = true;
    socket.close(GOING_AWAY, "server shutting down: reconnect and resume with since");
  }

  /** The server could not set a subscription up just now (its database is busy or away): come back shortly. */
  void busy() {
    if (closed) return;
    closed = true;
    socket.close(BUSY, "busy: reconnect after a pause and resume with since");
  }

  /** The client registered faster than allowed: closed, so it backs off and reconnects. */
  void rateLimited() {
    if (closed) return;
    closed = true;
    socket.close(GuardedSocket.RATE_LIMITED, "too many registrations: back off, then reconnect");
  }

  @Override
  public void revoke(String topic, String reason) {
    subscriptions.remove(topic);
    // body carries the reason for raw clients; failureCode, failureType and message are what the official
    // client hands to the topic's handler as its error.
    write(new JsonObject().put("type", "err").put("address", topic).put("body", reason)
        .put("failureCode", 403).put("failureType", "RECIPIENT_FAILURE").put("message", reason).encode());
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  void markClosed() {
    closed = true;
    drain.clear();
  }
}
