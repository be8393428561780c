package parley.comment;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.OwnServer;
import parley.TestParley;
import parley.config.AppConfig;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A comment written in its own transaction (Comments.ADD: {@code PARLEY_COMMENT_GROUP_SIZE=1}, and the way a failed
 * group's comments are written again) decides as a group does: written, or refused for the same reasons with the
 * same answers. The shared server writes in groups; this one never does.
 */
@ExtendWith(TestParley.class)
class CommentAloneTest {

  @RegisterExtension
  static final OwnServer ALONE = new OwnServer(Map.of(AppConfig.COMMENT_GROUP_SIZE, "1"));

  private final Api api = new Api("http://localhost:" + ALONE.port());

  @Test
  void aLoneCommentIsWrittenOrRefusedAsInAGroup() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session mod = api.registerWithRole("mona", "moderator");
    long post = api.createPost(alice, "Alone");
    Response first = comment(post, bob, null);
    assertEquals(201, first.status(), first.body());
    Response reply = comment(post, alice, first.json().getLong("id"));
    assertEquals(201, reply.status(), reply.body());
    assertEquals(2, api.get("/api/posts/" + post).json().getInteger("commentCount"));

    String refusal = "This post is hidden or waiting for review: it takes no comments.";
    for (String state : new String[] {"pending_at", "hidden_at"}) {
      TestParley.sql("UPDATE posts SET " + state + " = now() WHERE id = " + post);
      assertProblem(comment(post, bob, null), 404, "No such post.");
      assertProblem(comment(post, alice, null), 409, refusal);
      assertProblem(comment(post, mod, null), 409, refusal);
      TestParley.sql("UPDATE posts SET " + state + " = NULL WHERE id = " + post);
    }
    // Blocks, both ways: alice blocked bob, so neither comments on the other's post nor replies to the other.
    long bobsPost = api.createPost(bob, "Bob's");
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
    assertProblem(comment(post, bob, null), 403, "You can't comment here.");
    assertProblem(comment(bobsPost, alice, null), 403,
        "You blocked the author of this post: unblock them to comment here.");
    assertProblem(comment(post, alice, first.json().getLong("id")), 403,
        "You blocked the author of this post or of the comment you are replying to: unblock them to reply.");
    assertEquals(204, api.delete("/api/me/blocks/bob", alice).status());
    TestParley.sql("UPDATE posts SET locked_at = now() WHERE id = " + post);
    assertProblem(comment(post, bob, null), 409, "This thread is locked: it takes no new comments.");
    assertProblem(comment(post + 1000, bob, null), 404, "No such post.");
    assertEquals(2, TestParley.count("SELECT count(*) FROM comments WHERE post_id = " + post),
        "nothing refused was written");
  }

  private Response comment(long post, Session as, Long parentId) {
    return api.post("/api/posts/" + post + "/comments", as,
        new JsonObject().put("body", "A comment by " + as.username()).put("parentId", parentId));
  }

  private static void assertProblem(Response r, int status, String detail) {
    assertEquals(status, r.status(), r.body());
    assertEquals("application/problem+json", r.contentType());
    assertEquals(detail, r.json().getString("detail"));
  }
}
