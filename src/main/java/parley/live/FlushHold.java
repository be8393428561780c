package parley.live;

import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Lets the hub write a burst of frames to one bridge socket (a page of replay) with one flush, so a page reaches the
 * network in one write instead of one system call per frame. Vert.x flushes every WebSocket message written outside
 * the connection's own read, and a replay is written from a database reply, so without this each replayed frame
 * was a write of its own: a reconnect storm of 10,000 readers missing 100 events each was a million of them.
 *
 * <p>It sits at the head of the socket's channel pipeline. While held, a flush is noted instead of passed on; the
 * release passes one on. Nothing else changes: frames are written (and counted against the socket's write queue) in
 * the order they were written, and a burst that fills the queue is flushed at once, so a reader who stops reading
 * shows up as before. Holds and releases come from the socket's own event loop, like every write of the hub.
 */
final class FlushHold extends ChannelDuplexHandler {

  private static final String NAME = "parley-flush-hold";

  private final Counter flushes;
  private ChannelHandlerContext ctx;
  private int holds;
  private boolean pending;

  private FlushHold(Counter flushes) {
    this.flushes = flushes;
  }

  /** Puts a hold at the head of the socket's channel (see {@link GuardedSocket#channelOf}). */
  static FlushHold install(Channel channel, Counter flushes) {
    FlushHold hold = new FlushHold(flushes);
    channel.pipeline().addFirst(NAME, hold);
    return hold;
  }

  /** Runs {@code writes} with flushes held, then flushes once if any was asked for. */
  void burst(Runnable writes) {
    if (ctx == null || !ctx.executor().inEventLoop()) {
      writes.run();
      return;
    }
    holds++;
    try {
      writes.run();
    } finally {
      if (--holds == 0 && pending) flushNow();
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    if (holds > 0 && ctx.channel().isWritable()) {
      pending = true;
    } else {
      flushNow();
    }
  }

  /** A burst that filled the socket's queue goes out now, as it would have without the hold. */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (pending && !ctx.channel().isWritable()) flushNow();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (pending) flushNow();
    ctx.close(promise);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (pending) flushNow();
  }

  private void flushNow() {
    pending = false;
    flushes.increment();
    ctx.flush();
  }
}
