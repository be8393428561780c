package parley.readcache;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Votes written into a page's bytes give exactly the bytes of the page encoded with the votes put in. */
class LayoutTest {

  private static JsonObject item(long id, String body) {
    return new JsonObject().put("id", id).put("body", body).put("author", new JsonObject().put("username", "ünï"))
        .put("score", 0).put("myVote", null).put("pending", false);
  }

  private static Buffer encodedWith(JsonObject page, Map<Long, Integer> votes) {
    JsonObject copy = page.copy();
    copy.getJsonArray("items").forEach(o -> ((JsonObject) o).put("myVote", votes.get(((JsonObject) o).getLong("id"))));
    return copy.toBuffer();
  }

  @Test
  void votesWrittenInAreTheEncodedPagesBytes() {
    JsonObject page = new JsonObject().put("items", new JsonArray()
            .add(item(1, "plain")).add(item(2, "a body that says \"myVote\":null in quotes"))
            .add(item(3, "emoji 🙂 and \\ backslashes")).add(item(4, "last")))
        .put("nextCursor", null);
    Buffer body = page.toBuffer();
    Layout layout = Layout.of(body, false);
    assertTrue(layout.usable());
    for (Map<Long, Integer> votes : java.util.List.of(Map.<Long, Integer>of(), Map.of(1L, 1), Map.of(2L, -1, 4L, 1),
        Map.of(1L, -1, 2L, 1, 3L, 1, 4L, -1), Map.of(99L, 1))) {
      assertEquals(encodedWith(page, votes), layout.withVotes(body, votes), votes.toString());
    }
  }

  @Test
  void aSinglePostTakesItsVote() {
    JsonObject post = item(7, "a post");
    Layout layout = Layout.of(post.toBuffer(), true);
    assertTrue(layout.usable());
    assertEquals(post.copy().put("myVote", -1).toBuffer(), layout.withVotes(post.toBuffer(), Map.of(7L, -1)));
  }

  @Test
  void aPageWhoseMarksDoNotMatchItsItemsIsNotUsable() {
    JsonObject nested = new JsonObject().put("items", new JsonArray()
        .add(item(1, "x").put("quoted", new JsonObject().put("myVote", null))));
    assertFalse(Layout.of(nested.toBuffer(), false).usable());
    JsonObject missing = new JsonObject().put("items", new JsonArray().add(new JsonObject().put("id", 1)));
    assertFalse(Layout.of(missing.toBuffer(), false).usable());
  }
}
