package parley.readcache;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Where a cached page's items stand in its bytes: each item's id and the offset of the {@code null} of its
 * {@code "myVote":null}, in the items' order. A reader's votes are then written into a copy of the bytes, with no
 * parse and no encoding, giving exactly the bytes encoding the page with their votes put in would give (the value
 * replaces {@code null} in place, the key keeps its position).
 *
 * <p>Found once per cached page: the page is parsed for its ids and the bytes searched for {@code "myVote":null}.
 * That text cannot occur inside a string (a quote there is escaped), and unless it occurs exactly once per item the
 * layout is not {@link #usable()} (its ids are still right) and the reader's page is made the slow way, by parsing
 * and encoding.
 *
 * @param nulls null when not usable
 */
record Layout(long[] ids, int[] nulls) {

  private static final byte[] MARK = "\"myVote\":null".getBytes(StandardCharsets.UTF_8);
  private static final int NULL = 4;

  /** @param single a single item (a post), not a list of them under {@code items} */
  static Layout of(Buffer body, boolean single) {
    JsonObject json = new JsonObject(body);
    long[] ids;
    if (single) {
      ids = new long[] {json.getLong("id")};
    } else {
      JsonArray items = json.getJsonArray("items");
      ids = new long[items.size()];
      for (int i = 0; i < ids.length; i++) ids[i] = items.getJsonObject(i).getLong("id");
    }
    byte[] bytes = body.getBytes();
    int[] nulls = new int[ids.length];
    int found = 0;
    for (int at = indexOf(bytes, 0); at >= 0; at = indexOf(bytes, at + MARK.length)) {
      if (found == ids.length) return new Layout(ids, null);
      nulls[found++] = at + MARK.length - NULL;
    }
    return new Layout(ids, found == ids.length ? nulls : null);
  }

  boolean usable() {
    return nulls != null;
  }

  /** The body with each item's {@code myVote} set to the reader's vote on it (votes by item id). */
  Buffer withVotes(Buffer body, Map<Long, Integer> votes) {
    if (votes.isEmpty()) return body;
    Buffer out = Buffer.buffer(body.length() + 2 * votes.size());
    int from = 0;
    for (int i = 0; i < ids.length; i++) {
      Integer vote = votes.get(ids[i]);
      if (vote == null) continue;
      out.appendBuffer(body, from, nulls[i] - from).appendString(Integer.toString(vote));
      from = nulls[i] + NULL;
    }
    return out.appendBuffer(body, from, body.length() - from);
  }

  private static int indexOf(byte[] bytes, int from) {
    outer:
    for (int i = from; i <= bytes.length - MARK.length; i++) {
      for (int j = 0; j < MARK.length; j++) {
        if (bytes[i + j] != MARK[j]) continue outer;
      }
      return i;
    }
    return -1;
  }
}
