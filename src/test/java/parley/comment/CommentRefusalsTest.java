package parley.comment;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A new comment's statements go to PostgreSQL in batches, each sent without waiting for its answers (the INSERT
 * goes out behind the thread's lock and the parent and block check). These tests hold Comments.insert to what it
 * promised before: each refusal is the one that comes first in the old order (filter 422, no post 404, locked
 * thread 409, bad parent 400 or 409, blocked 403) even when later statements of the batch failed too, and a
 * refused comment leaves nothing behind: no comment, no event, no counter moved, no idempotency key.
 */
@ExtendWith(TestParley.class)
class CommentRefusalsTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Api api = Api.local();

  /** Posts a comment the way the web app does, with an Idempotency-Key, so a refusal must leave no key either. */
  private static Response comment(Session as, long postId, JsonObject body) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(TestParley.baseUrl() + "/api/posts/" + postId + "/comments"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + as.token())
        .header("Idempotency-Key", UUID.randomUUID().toString())
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body(), r.headers());
  }

  /**
   * Everything a comment could write, as one string: comments, events, topic counters, post counts and keys. Taken
   * once the notifications of the writes before are made (their events would otherwise land between two of these).
   */
  private static String written() throws Exception {
    TestParley.notificationsMade();
    return TestParley.count("SELECT count(*) FROM comments") + " comments, "
        + TestParley.count("SELECT count(*) FROM events") + " events, "
        + TestParley.count("SELECT COALESCE(sum(seq), 0) FROM topic_seqs") + " topic seqs, "
        + TestParley.count("SELECT COALESCE(sum(comment_count), 0) FROM post_activity") + " counted, "
        + TestParley.count("SELECT count(*) FROM idempotency_keys") + " keys";
  }

  private static void assertRefused(Response r, int status, String type, String before) throws Exception {
    assertEquals(status, r.status(), r.toString());
    assertEquals("application/problem+json", r.contentType());
    assertTrue(r.json().getString("type").endsWith("/" + type), r.toString());
    assertEquals(before, written(), "a refused comment writes nothing");
  }

  private static void lock(long postId) throws Exception {
    TestParley.sql("UPDATE posts SET locked_at = now() WHERE id = " + postId);
  }

  private static void refuseWord(String word) throws Exception {
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) "
        + "SELECT 'word', '" + word + "', 'refuse', min(id) FROM users");
  }

  @Test
  void aLockedThreadIs409AndWritesNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Locked");
    api.comment(alice, post, "before the lock", null);
    lock(post);
    String before = written();
    assertRefused(comment(bob, post, new JsonObject().put("body", "too late")), 409, "conflict", before);
  }

  @Test
  void aLockedThreadIs409EvenWhenTheParentIsBadToo() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Locked");
    lock(post);
    String before = written();
    // The parent does not exist: the INSERT sent behind the lock fails on its foreign key, and the lock still wins.
    assertRefused(comment(alice, post, new JsonObject().put("body", "reply").put("parentId", 987654)), 409,
        "conflict", before);
  }

  @Test
  void aMissingPostIs404EvenWithABadParent() throws Exception {
    Session alice = api.register("alice");
    api.createPost(alice, "Elsewhere");
    String before = written();
    assertRefused(comment(alice, 424242, new JsonObject().put("body", "hello")), 404, "not-found", before);
    assertRefused(comment(alice, 424242, new JsonObject().put("body", "hello").put("parentId", 987654)), 404,
        "not-found", before);
  }

  @Test
  void aDeletedPostIs404() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Gone");
    assertEquals(204, api.delete("/api/posts/" + post, alice).status());
    String before = written();
    assertRefused(comment(alice, post, new JsonObject().put("body", "hello")), 404, "not-found", before);
  }

  @Test
  void aParentThatDoesNotExistIs400NotA500() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    String before = written();
    // The INSERT behind the parent check fails on its foreign key; the parent check's answer is the one reported.
    Response r = comment(alice, post, new JsonObject().put("body", "reply").put("parentId", 987654));
    assertRefused(r, 400, "validation", before);
    assertEquals("parentId", r.json().getJsonArray("errors").getJsonObject(0).getString("field"));
  }

  @Test
  void aParentOnAnotherPostIs400() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    long other = api.createPost(alice, "Other");
    long elsewhere = api.comment(alice, other, "on the other post", null);
    String before = written();
    assertRefused(comment(alice, post, new JsonObject().put("body", "reply").put("parentId", elsewhere)), 400,
        "validation", before);
  }

  @Test
  void aRemovedParentIs409() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    long parent = api.comment(bob, post, "soon gone", null);
    assertEquals(204, api.delete("/api/comments/" + parent, bob).status());
    String before = written();
    assertRefused(comment(alice, post, new JsonObject().put("body", "reply").put("parentId", parent)), 409,
        "conflict", before);
  }

  @Test
  void commentingOnTheThreadOfSomeoneWhoBlockedYouIs403() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
    String before = written();
    assertRefused(comment(bob, post, new JsonObject().put("body", "hi")), 403, "forbidden", before);
  }

  @Test
  void replyingToSomeoneWhoBlockedYouIs403() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Thread");
    long parent = api.comment(carol, post, "carol's", null);
    assertEquals(204, api.put("/api/me/blocks/bob", carol, null).status());
    String before = written();
    assertRefused(comment(bob, post, new JsonObject().put("body", "reply").put("parentId", parent)), 403,
        "forbidden", before);
    // The same person may still comment on the thread itself: only the parent's author blocked them.
    assertEquals(201, comment(bob, post, new JsonObject().put("body", "top level")).status());
  }

  @Test
  void aBadParentComesBeforeABlock() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
    String before = written();
    assertRefused(comment(bob, post, new JsonObject().put("body", "reply").put("parentId", 987654)), 400,
        "validation", before);
  }

  @Test
  void aRefusingFilterIs422AndComesBeforeEverythingElse() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    refuseWord("casino");
    String before = written();
    assertRefused(comment(bob, post, new JsonObject().put("body", "visit my casino")), 422, "refused", before);
    lock(post);
    assertRefused(comment(bob, post, new JsonObject().put("body", "visit my casino")), 422, "refused", before);
    assertRefused(comment(bob, 424242, new JsonObject().put("body", "visit my casino")), 422, "refused", before);
  }

  @Test
  void aCommentAfterARefusalIsWrittenAsUsual() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    assertEquals(400, comment(bob, post, new JsonObject().put("body", "reply").put("parentId", 987654)).status());
    Response ok = comment(bob, post, new JsonObject().put("body", "fine"));
    assertEquals(201, ok.status(), ok.toString());
    assertEquals(1, TestParley.count("SELECT comment_count FROM post_activity WHERE post_id = " + post));
    assertEquals(1, TestParley.count("SELECT seq FROM topic_seqs WHERE topic = 'parley.post." + post + "'"),
        "the refused comment took no number on the thread");
  }

  @Test
  void refusalsLeaveNoTransactionOpenOnThePool() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
    for (int i = 0; i < 12; i++) {
      // More refusals than the pool has connections, each failing at a different point of the batches.
      assertEquals(403, comment(bob, post, new JsonObject().put("body", "blocked")).status());
      assertEquals(400, comment(alice, post, new JsonObject().put("body", "r").put("parentId", 987654)).status());
      assertEquals(404, comment(alice, 424242, new JsonObject().put("body", "nowhere")).status());
    }
    // Each refusal's ROLLBACK is answered before its response is sent, so no connection is left mid-transaction.
    assertEquals(0, TestParley.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
        + TestParley.APP_NAME + "' AND state LIKE 'idle in transaction%'"));
  }
}
