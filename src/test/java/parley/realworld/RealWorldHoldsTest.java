package parley.realworld;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.Main;
import parley.TestParley;
import parley.config.Holds;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under Parley's default holds a new account's first article and comments wait for a moderator: the RealWorld
 * surface creates them normally (201/200 with "pending": true), shows them to their author only, and lists them
 * nowhere until they are approved.
 */
@ExtendWith(TestParley.class)
class RealWorldHoldsTest {

  private static Main.Running server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    server = TestParley.startServer(new java.util.HashMap<>(Map.of(Holds.NEW_POSTS, "1", Holds.NEW_COMMENTS, "2",
        Holds.MAX_LINKS, "5", Holds.NEW_ACCOUNT_AGE, "1d")));
    api = new Api("http://localhost:" + server.port());
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  private Response rw(String method, String path, Session as, JsonObject body) {
    return api.raw(method, "/realworld/api" + path, as == null ? null : "Token " + as.token(),
        body == null ? null : body.encode(), "application/json");
  }

  @Test
  void aHeldArticleIsCreatedReadableByItsAuthorAndListedNowhereUntilApproved() throws Exception {
    Session newcomer = api.register("newcomer");
    Session reader = api.register("reader");
    Session mod = api.registerWithRole("mod_mo", "moderator");
    Response created = rw("POST", "/articles", newcomer, new JsonObject().put("article", new JsonObject()
        .put("title", "First!").put("description", "Hello").put("body", "My first article")
        .put("tagList", new JsonArray().add("intro"))));
    assertEquals(201, created.status(), created.toString());
    JsonObject article = created.json().getJsonObject("article");
    assertTrue(article.getBoolean("pending"));
    String slug = article.getString("slug");

    assertEquals(200, rw("GET", "/articles/" + slug, newcomer, null).status(), "its author reads it");
    assertEquals(404, rw("GET", "/articles/" + slug, reader, null).status());
    assertEquals(404, rw("GET", "/articles/" + slug, null, null).status());
    assertEquals(0, rw("GET", "/articles", newcomer, null).json().getInteger("articlesCount"), "in no list");

    long id = Articles.idOf(slug);
    assertEquals(204, api.post("/api/mod/posts/" + id + "/approve", mod, null).status());
    assertEquals(200, rw("GET", "/articles/" + slug, reader, null).status());
    assertEquals(1, rw("GET", "/articles", null, null).json().getInteger("articlesCount"));
  }

  @Test
  void aHeldCommentIsInTheThreadForItsAuthorOnly() throws Exception {
    Session author = api.register("old_hand");
    TestParley.sql("UPDATE users SET created_at = now() - interval '30 days' WHERE id = " + author.id());
    long post = api.createPost(author, "Established");
    Session newcomer = api.register("fresh_face");
    String slug = "established-" + post;

    Response comment = rw("POST", "/articles/" + slug + "/comments", newcomer,
        new JsonObject().put("comment", new JsonObject().put("body", "Hi all")));
    assertEquals(200, comment.status(), comment.toString());
    assertTrue(comment.json().getJsonObject("comment").getBoolean("pending"));
    assertEquals(1, rw("GET", "/articles/" + slug + "/comments", newcomer, null).json().getJsonArray("comments").size());
    assertEquals(0, rw("GET", "/articles/" + slug + "/comments", author, null).json().getJsonArray("comments").size());
    assertEquals(0, rw("GET", "/articles/" + slug + "/comments", null, null).json().getJsonArray("comments").size());
  }
}
