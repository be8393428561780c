package parley.events;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * One committed event, as it travels to readers. The envelope {type, topic, seq, at, data} is encoded once; the
 * frame for each transport is built once per event on each event loop and then written to every reader as is.
 */
public final class LiveEvent {

  private final String topic;
  private final long seq;
  private final String type;
  private final Long authorId;
  private final String envelope;
  private String bridgeFrame;
  private Buffer sseFrame;

  /**
   * @param authorId whose content this is (for per-reader filtering), or null
   * @param envelope the JSON text every client receives as the message body
   */
  LiveEvent(String topic, long seq, String type, Long authorId, String envelope) {
    this.topic = topic;
    this.seq = seq;
    this.type = type;
    this.authorId = authorId;
    this.envelope = envelope;
  }

  /** Builds the envelope around data that is already JSON text (from the REST model or from the log). */
  static LiveEvent of(String topic, long seq, String type, String at, Long authorId, String dataJson) {
    String head = new JsonObject().put("type", type).put("topic", topic).put("seq", seq).put("at", at).encode();
    String envelope = head.substring(0, head.length() - 1) + ",\"data\":" + dataJson + "}";
    return new LiveEvent(topic, seq, type, authorId, envelope);
  }

  public String topic() {
    return topic;
  }

  public long seq() {
    return seq;
  }

  public String type() {
    return type;
  }

  public Long authorId() {
    return authorId;
  }

  public String envelope() {
    return envelope;
  }

  /** The message a client gets when its resume point is no longer in the log: refetch over REST. */
  public static String resyncEnvelope(String topic, Long seq) {
    return new JsonObject().put("type", EventType.RESYNC.wireName()).put("topic", topic).put("seq", seq).put("at", null)
        .put("data", null).encode();
  }

  /** The bridge's "rec" frame, exactly what a client registered on the topic expects. */
  public String bridgeFrame() {
    if (bridgeFrame == null) bridgeFrame = bridgeFrame(topic, envelope);
    return bridgeFrame;
  }

  public static String bridgeFrame(String address, String body) {
    return "{\"type\":\"rec\",\"address\":" + Json.encode(address) + ",\"body\":" + body + "}";
  }

  /** The Server-Sent Events record: the id is the seq, so Last-Event-ID resumes exactly after it. */
  public Buffer sseFrame() {
    if (sseFrame == null) sseFrame = Buffer.buffer("id: " + seq + "\nevent: " + type + "\ndata: " + envelope + "\n\n");
    return sseFrame;
  }

  @Override
  public String toString() {
    return topic + "#" + seq + " " + type;
  }
}
