package parley.live;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes Parley's own frames to a raw bridge WebSocket (/eventbus/websocket) as bytes encoded once per event, not
 * once per reader.
 *
 * <p>Through Vert.x, each of a big thread's readers paid for the same frame again: the text encoded to UTF-8, copied
 * into a WebSocket frame, queued on the connection, framed by Netty's encoder and copied again into a direct buffer
 * for the socket. An event's frame is now one direct buffer, built once per event loop ({@link #encode}), of which
 * each reader's channel is handed a view: the kernel reads the same bytes for every socket.
 *
 * <p>It sits in the socket's channel pipeline just after the WebSocket codec, so everything nearer the network (a
 * {@link FlushHold}, and TLS if there ever is any) sees these bytes as it sees Vert.x's, and it watches for a close
 * frame either way: once the closing handshake has begun nothing more is written. The channel's writability is the
 * socket's queue: Vert.x sets its high water mark from the socket's write queue size, and these writes count against
 * it (Vert.x's own queue, which they bypass, never sees them).
 *
 * <p>The bridge's own frames (its pongs and its error replies) still go through Vert.x; they carry no order with
 * Parley's events. All of Parley's frames to a socket go this way, so they keep theirs.
 */
final class FrameWriter extends ChannelDuplexHandler {

  private static final String NAME = "parley-frames";

  private final VoidChannelPromise quiet;
  private ChannelHandlerContext ctx;
  private boolean closing;
  private Runnable onWritable;

  private FrameWriter(Channel channel) {
    // A write to a socket that has just gone fails quietly: its close reaches the bridge by the usual way.
    this.quiet = new VoidChannelPromise(channel, false);
  }

  /**
   * Puts a writer just after the WebSocket codec of {@code channel}; null if the channel is not a WebSocket's (the
   * socket's frames then go through Vert.x).
   */
  static FrameWriter install(Channel channel) {
    ChannelPipeline pipeline = channel.pipeline();
    ChannelHandlerContext encoder = pipeline.context(WebSocketFrameEncoder.class);
    ChannelHandlerContext decoder = pipeline.context(WebSocketFrameDecoder.class);
    if (encoder == null || decoder == null) return null;
    List<String> names = pipeline.names();
    String after = names.indexOf(encoder.name()) > names.indexOf(decoder.name()) ? encoder.name() : decoder.name();
    FrameWriter writer = new FrameWriter(channel);
    pipeline.addAfter(after, NAME, writer);
    return writer;
  }

  /**
   * One text message as a WebSocket sends it from a server (unmasked), split into frames of at most
   * {@code maxFrameBytes} of payload as Vert.x splits a message over the server's frame size. The buffer cannot be
   * released (its memory goes with the garbage collector), and every write is handed a view of it: a retained view
   * would cost two atomic updates of the shared count per reader, and they were a fifth of a delivery in the profile
   * (each a full fence on a loop that has just written to another socket).
   */
  static ByteBuf encode(String text, int maxFrameBytes) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    int frames = Math.max(1, (payload.length + maxFrameBytes - 1) / maxFrameBytes);
    int size = payload.length;
    for (int i = 0; i < frames; i++) size += header(Math.min(maxFrameBytes, payload.length - i * maxFrameBytes));
    ByteBuffer bytes = ByteBuffer.allocateDirect(size);
    for (int i = 0; i < frames; i++) {
      int offset = i * maxFrameBytes;
      int length = Math.min(maxFrameBytes, payload.length - offset);
      int fin = i == frames - 1 ? 0x80 : 0;
      int opcode = i == 0 ? 0x1 : 0x0;  // text, then continuations
      bytes.put((byte) (fin | opcode));
      if (length < 126) {
        bytes.put((byte) length);
      } else if (length < 65536) {
        bytes.put((byte) 126).putShort((short) length);
      } else {
        bytes.put((byte) 127).putLong(length);
      }
      bytes.put(payload, offset, length);
    }
    bytes.flip();
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes));
  }

  private static int header(int length) {
    return length < 126 ? 2 : length < 65536 ? 4 : 10;
  }

  /** Writes one encoded message (from {@link #encode}) and flushes it, unless the socket is closing. */
  void send(ByteBuf message) {
    if (closing || ctx == null) return;
    ctx.write(message.duplicate(), quiet);
    ctx.flush();
  }

  /** Writes nothing more: the socket is being closed. */
  void stop() {
    closing = true;
  }

  /**
   * Whether the socket's queue is below its bound. A channel that has closed has no queue: it is not a slow reader
   * (counting it as one would close it again with 4001 and count an ordinary disconnect as slow); its close reaches
   * the bridge by the usual way.
   */
  boolean writable() {
    return ctx == null || !ctx.channel().isActive() || ctx.channel().isWritable();
  }

  /** Whether the closing handshake has begun (a close frame was sent or received). */
  boolean closing() {
    return closing;
  }

  /** Called (on the socket's event loop) each time the socket's queue falls back below its low water mark. */
  void onWritable(Runnable action) {
    this.onWritable = action;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof CloseWebSocketFrame) closing = true;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof CloseWebSocketFrame) closing = true;
    ctx.write(msg, promise);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Runnable action = onWritable;
    if (action != null && ctx.channel().isWritable()) action.run();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    ctx.fireChannelInactive();
  }
}
