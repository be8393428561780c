package parley.live;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import parley.events.LiveEvent;

/**
 * One event on its way to the readers of one event loop, with each transport's frame built the first time a reader
 * of that transport needs it and then written to every other as is: the bridge's {"type":"rec"} frame, and the
 * Server-Sent Events record (the id is the seq, so Last-Event-ID resumes exactly after it).
 */
final class Delivery {

  final LiveEvent event;
  private String bridgeFrame;
  private ByteBuf bridgeMessage;
  private Buffer sseFrame;

  Delivery(LiveEvent event) {
    this.event = event;
  }

  String bridgeFrame() {
    if (bridgeFrame == null) bridgeFrame = bridgeFrame(event.topic(), event.envelope());
    return bridgeFrame;
  }

  /** The bridge's frame as a raw WebSocket's message, encoded once for every reader ({@link FrameWriter}). */
  ByteBuf bridgeMessage() {
    if (bridgeMessage == null) bridgeMessage = bridgeMessage(bridgeFrame());
    return bridgeMessage;
  }

  static ByteBuf bridgeMessage(String frame) {
    return FrameWriter.encode(frame, BridgeRoutes.MAX_WEBSOCKET_FRAME_BYTES);
  }

  Buffer sseFrame() {
    if (sseFrame == null) {
      sseFrame = Buffer.buffer("id: " + event.seq() + "\nevent: " + event.type() + "\ndata: " + event.envelope() + "\n\n");
    }
    return sseFrame;
  }

  /** The bridge's frame for a message on an address, exactly what a client registered on it expects. */
  static String bridgeFrame(String address, String body) {
    return "{\"type\":\"rec\",\"address\":" + Json.encode(address) + ",\"body\":" + body + "}";
  }

  /** Tells a bridge reader its resume point is gone (or unknowable) and it must refetch over REST. */
  static String bridgeResync(String topic, Long headSeq) {
    return bridgeFrame(topic, LiveEvent.resyncEnvelope(topic, headSeq));
  }

  /** The same for an SSE reader; the id moves Last-Event-ID to the head, so a reconnect resumes from there. */
  static Buffer sseResync(String topic, Long headSeq) {
    String id = headSeq == null ? "" : "id: " + headSeq + "\n";
    return Buffer.buffer(id + "event: resync\ndata: " + LiveEvent.resyncEnvelope(topic, headSeq) + "\n\n");
  }
}
