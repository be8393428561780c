package parley.live;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A raw bridge WebSocket is written an event's frame as bytes encoded once ({@link FrameWriter}): the bytes must be
 * exactly the WebSocket messages Vert.x would have sent (read back here with Netty's own client-side decoder), and
 * nothing may follow a close frame, sent or received.
 */
@ExtendWith(TestParley.class)
class FrameWriterTest {

  private static final int MAX = BridgeRoutes.MAX_WEBSOCKET_FRAME_BYTES;

  @Test
  void aShortMessageIsOneUnmaskedTextFrame() {
    List<WebSocketFrame> frames = decode(FrameWriter.encode("{\"type\":\"rec\"}", MAX));
    assertEquals(1, frames.size());
    TextWebSocketFrame frame = assertInstanceOf(TextWebSocketFrame.class, frames.get(0));
    assertTrue(frame.isFinalFragment());
    assertEquals("{\"type\":\"rec\"}", frame.text());
  }

  @Test
  void everyLengthEncodingAndEveryFragmentationReadsBackAsTheSameText() {
    // 125 and 126 bytes cross the first length form, 65,536 the second; "€" is three bytes and "𝄞" four, so some
    // frame boundaries fall inside a character (a message is valid UTF-8 as a whole, not per frame).
    for (String text : List.of("x".repeat(125), "x".repeat(126), "é".repeat(200), "€".repeat(MAX / 3 + 1),
        "𝄞".repeat(MAX), "a" + "€".repeat(30_000))) {
      for (int max : new int[] {MAX, 100, 70_000}) {
        List<WebSocketFrame> frames = decode(FrameWriter.encode(text, max));
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        assertEquals(Math.max(1, (bytes + max - 1) / max), frames.size(), "frames of at most " + max + " bytes");
        assertInstanceOf(TextWebSocketFrame.class, frames.get(0));
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (int i = 0; i < frames.size(); i++) {
          WebSocketFrame frame = frames.get(i);
          if (i > 0) assertInstanceOf(ContinuationWebSocketFrame.class, frame);
          assertEquals(i == frames.size() - 1, frame.isFinalFragment());
          assertTrue(frame.content().readableBytes() <= max);
          byte[] part = new byte[frame.content().readableBytes()];
          frame.content().readBytes(part);
          whole.writeBytes(part);
          frame.release();
        }
        assertEquals(text, whole.toString(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void theWriterSitsBehindTheWebSocketCodecAndEachWriteIsAViewOfTheSameBytes() {
    EmbeddedChannel channel = webSocket();
    FrameWriter writer = FrameWriter.install(channel);
    assertNotNull(writer);
    List<String> names = channel.pipeline().names();
    assertTrue(names.indexOf("parley-frames") > names.indexOf("wsencoder"));
    assertTrue(names.indexOf("parley-frames") > names.indexOf("wsdecoder"));
    ByteBuf message = FrameWriter.encode("{\"n\":1}", MAX);
    writer.send(message);
    writer.send(message);
    ByteBuf first = channel.readOutbound();
    ByteBuf second = channel.readOutbound();
    assertEquals(message, first);
    assertEquals(message, second);
    assertFalse(first.release());
    assertFalse(second.release());
    assertEquals(message, FrameWriter.encode("{\"n\":1}", MAX), "the event's own bytes are left as they were, for the next reader");
    assertNull(FrameWriter.install(new EmbeddedChannel()), "no WebSocket codec: frames go through Vert.x");
  }

  @Test
  void aSocketThatHasGoneIsNotASlowOne() {
    EmbeddedChannel channel = webSocket();
    FrameWriter writer = FrameWriter.install(channel);
    assertTrue(writer.writable());
    channel.close();
    assertFalse(channel.isWritable(), "Netty says a closed channel is not writable");
    assertTrue(writer.writable(), "but its queue is not full: the reader left, it did not stop reading");
  }

  @Test
  void nothingIsWrittenOnceACloseFrameWasReceivedOrSentOrTheSocketStopped() {
    ByteBuf message = FrameWriter.encode("{\"n\":1}", MAX);

    EmbeddedChannel received = webSocket();
    FrameWriter afterReceived = FrameWriter.install(received);
    received.writeInbound(new CloseWebSocketFrame(1000, "bye"));
    assertTrue(afterReceived.closing());
    afterReceived.send(message);
    assertNull(received.readOutbound(), "nothing after the client's close");
    received.releaseInbound();

    EmbeddedChannel sent = webSocket();
    FrameWriter afterSent = FrameWriter.install(sent);
    assertFalse(afterSent.closing());
    sent.writeAndFlush(new CloseWebSocketFrame(4001, "slow consumer"));
    ((ByteBuf) sent.readOutbound()).release();
    afterSent.send(message);
    assertNull(sent.readOutbound(), "nothing after the server's own close");

    EmbeddedChannel stopped = webSocket();
    FrameWriter afterStop = FrameWriter.install(stopped);
    afterStop.stop();
    afterStop.send(message);
    assertNull(stopped.readOutbound(), "nothing once the socket is being closed, even before its close frame is out");
  }

  @Test
  void aCommentLongerThanOneFrameReachesARawSocketReaderWhole() throws Exception {
    Api api = Api.local();
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Long");
    String topic = "parley.post." + post;
    long seq = api.get("/api/posts/" + post).json().getLong("seq");
    String body = "𝄞 " + "€".repeat(9_990);  // about 30,000 bytes of body alone: two frames at least
    try (LiveClient reader = LiveClient.connect()) {
      reader.register(topic, null, seq);
      JsonObject posted = api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", body)).json();
      JsonObject event = reader.nextEvent(topic);
      assertEquals(posted, event.getJsonObject("data"), "the data is exactly what the REST API returned");
      assertEquals(body, event.getJsonObject("data").getString("body"));
    }
  }

  /** A server-side WebSocket codec, named as Netty's handshake names it. */
  private static EmbeddedChannel webSocket() {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("wsencoder", new WebSocket08FrameEncoder(false));
    channel.pipeline().addLast("wsdecoder", new WebSocket08FrameDecoder(true, false, MAX));
    return channel;
  }

  /** Reads bytes as a client does (unmasked frames from a server). */
  private static List<WebSocketFrame> decode(ByteBuf message) {
    EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 20));
    client.writeInbound(Unpooled.copiedBuffer(message.duplicate()));
    List<WebSocketFrame> frames = new ArrayList<>();
    for (Object frame; (frame = client.readInbound()) != null; ) frames.add((WebSocketFrame) frame);
    return frames;
  }
}
