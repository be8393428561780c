package parley.events;

import io.vertx.core.json.JsonObject;

/**
 * One committed event, as it travels to readers: its topic, seq, type, whose content it is, and the envelope
 * {type, topic, seq, at, data} every client receives, encoded once. Immutable, so one instance can be handed to
 * every event loop; how a transport frames it is live/'s business.
 */
public final class LiveEvent {

  private final String topic;
  private final long seq;
  private final String type;
  private final Long authorId;
  private final String envelope;
  private final long publishedAt;

  /**
   * @param authorId whose content this is (for per-reader filtering), or null
   * @param envelope the JSON text every client receives as the message body
   */
  LiveEvent(String topic, long seq, String type, Long authorId, String envelope) {
    this(topic, seq, type, authorId, envelope, 0);
  }

  /** @param publishedAt when it was published on the bus (epoch ms, the publishing node's clock), or 0 */
  LiveEvent(String topic, long seq, String type, Long authorId, String envelope, long publishedAt) {
    this.topic = topic;
    this.seq = seq;
    this.type = type;
    this.authorId = authorId;
    this.envelope = envelope;
    this.publishedAt = publishedAt;
  }

  /** Builds the envelope around data that is already JSON text (from the REST model or from the log). */
  public static LiveEvent of(String topic, long seq, String type, String at, Long authorId, String dataJson) {
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

  /** When it was published on the bus (epoch ms), or 0 for an event read from the log. */
  public long publishedAt() {
    return publishedAt;
  }

  /** The envelope of the message a client gets when its resume point is no longer in the log: refetch over REST. */
  public static String resyncEnvelope(String topic, Long seq) {
    return new JsonObject().put("type", EventType.RESYNC.wireName()).put("topic", topic).put("seq", seq)
        .put("at", null).put("data", null).encode();
  }

  @Override
  public String toString() {
    return topic + "#" + seq + " " + type;
  }
}
