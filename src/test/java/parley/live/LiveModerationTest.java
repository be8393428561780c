package parley.live;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Moderation and blocks on the live push: what a blocker's sockets and SSE streams withhold, how bans and demotions
 * cut restricted topics, and how reports, hides, restores and locks reach moderators, readers and authors.
 */
@ExtendWith(TestParley.class)
class LiveModerationTest {

  private final Api api = Api.local();

  private long seqOf(long postId) {
    return api.get("/api/posts/" + postId).json().getLong("seq");
  }

  /** Follows a thread from its current seq (as the reader, whose token the register carries, if any). */
  private LiveClient follow(long postId, Session as) throws Exception {
    LiveClient client = LiveClient.connect();
    client.register("parley.post." + postId, as == null ? null : as.token(), seqOf(postId));
    return client;
  }

  private static long commentIdOf(JsonObject event) {
    return event.getJsonObject("data").getLong("id");
  }

  /** The next frame that is not a delivery of an event type we are not waiting for on this topic. */
  private static JsonObject nextOfType(LiveClient client, String topic, String type) throws InterruptedException {
    while (true) {
      JsonObject frame = client.next();
      if ("rec".equals(frame.getString("type")) && topic.equals(frame.getString("address"))
          && !type.equals(frame.getJsonObject("body").getString("type"))) {
        continue;
      }
      assertEquals("rec", frame.getString("type"), frame.encode());
      assertEquals(topic, frame.getString("address"), frame.encode());
      return frame.getJsonObject("body");
    }
  }

  /** The next frame that is not an ordinary delivery on the topic: the revocation we are waiting for. */
  private static JsonObject nextNonDelivery(LiveClient client, String topic) throws InterruptedException {
    while (true) {
      JsonObject frame = client.next();
      if ("rec".equals(frame.getString("type")) && topic.equals(frame.getString("address"))) continue;
      return frame;
    }
  }

  private static void assertRevoked(JsonObject frame, String topic) {
    assertEquals("err", frame.getString("type"), frame.encode());
    assertEquals(topic, frame.getString("address"), frame.encode());
    assertEquals("access_revoked", frame.getString("body"), frame.encode());
  }

  // ---- 1. blocks on the bridge ----

  @Test
  void aBlockedAuthorsNewCommentsAreWithheldFromTheBlockerOnlyOverTheBridge() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    Session dave = api.register("dave");
    long post = api.createPost(carol, "Carol's thread");
    String topic = "parley.post." + post;
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());

    try (LiveClient blocker = follow(post, alice); LiveClient other = follow(post, dave);
         LiveClient anonymous = follow(post, null)) {
      long bobs = api.comment(bob, post, "bob says hi", null);
      long sentinel = api.comment(carol, post, "carol's sentinel", null);

      assertEquals(bobs, commentIdOf(other.nextEvent(topic)), "another signed-in reader gets bob's comment");
      assertEquals(sentinel, commentIdOf(other.nextEvent(topic)));
      assertEquals(bobs, commentIdOf(anonymous.nextEvent(topic)), "an anonymous reader gets bob's comment");
      assertEquals(sentinel, commentIdOf(anonymous.nextEvent(topic)));

      JsonObject first = blocker.nextEvent(topic);
      assertEquals("comment.created", first.getString("type"));
      assertEquals(sentinel, commentIdOf(first), "bob's comment never reached alice: " + first.encode());
      assertEquals(2, first.getLong("seq"), "the withheld event still used its seq");
    }
  }

  @Test
  void aBlockTakesEffectOnAnAlreadyOpenSocketAndUnblockingLiftsIt() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(carol, "Carol's thread");
    String topic = "parley.post." + post;

    try (LiveClient blocker = follow(post, alice); LiveClient other = follow(post, null)) {
      long before = api.comment(bob, post, "bob before the block", null);
      assertEquals(before, commentIdOf(blocker.nextEvent(topic)), "not blocked yet: alice gets bob's comment");
      assertEquals(before, commentIdOf(other.nextEvent(topic)));

      assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
      long during = api.comment(bob, post, "bob after the block", null);
      long sentinel = api.comment(carol, post, "carol's sentinel", null);
      assertEquals(during, commentIdOf(other.nextEvent(topic)));
      assertEquals(sentinel, commentIdOf(other.nextEvent(topic)));
      JsonObject next = blocker.nextEvent(topic);
      assertEquals(sentinel, commentIdOf(next), "the block applied to the open socket at once: " + next.encode());

      assertEquals(204, api.delete("/api/me/blocks/bob", alice).status());
      long after = api.comment(bob, post, "bob after the unblock", null);
      long sentinel2 = api.comment(carol, post, "carol's second sentinel", null);
      JsonObject restored = blocker.nextEvent(topic);
      assertEquals(after, commentIdOf(restored),
          "after unblocking, bob's comments reach alice's open socket again: " + restored.encode());
      assertEquals(sentinel2, commentIdOf(blocker.nextEvent(topic)));
    }
  }

  // ---- 2. blocks over SSE ----

  /** An SSE stream read on its own thread: each data line as JSON, in order. */
  private static final class SseStream implements AutoCloseable {
    private final BlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
    private final InputStream body;
    private final Thread reader;

    SseStream(String url, String authorization) throws Exception {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
      if (authorization != null) request.header("Authorization", authorization);
      HttpResponse<InputStream> response = HttpClient.newHttpClient()
          .send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, response.statusCode());
      assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
      body = response.body();
      reader = new Thread(() -> {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
          String line;
          while ((line = lines.readLine()) != null) {
            if (line.startsWith("data: ")) events.add(new JsonObject(line.substring(6)));
          }
        } catch (IOException | RuntimeException e) {
          // closed by the test
        }
      }, "sse-reader");
      reader.setDaemon(true);
      reader.start();
    }

    JsonObject next() throws InterruptedException {
      JsonObject event = events.poll(LiveClient.WAIT_SECONDS, TimeUnit.SECONDS);
      assertNotNull(event, "no SSE event within " + LiveClient.WAIT_SECONDS + " s");
      return event;
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  @Test
  void sseWithholdsABlockedAuthorsCommentsFromTheBlocker() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(carol, "Carol's thread");
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
    String url = api.baseUrl() + "/api/posts/" + post + "/events?since=" + seqOf(post);

    try (SseStream blocker = new SseStream(url, "Bearer " + alice.token());
         SseStream anonymous = new SseStream(url, null);
         SseStream other = new SseStream(url, "Bearer " + carol.token())) {
      long bobs = api.comment(bob, post, "bob says hi", null);
      long sentinel = api.comment(carol, post, "carol's sentinel", null);

      assertEquals(bobs, commentIdOf(anonymous.next()), "an anonymous stream carries bob's comment");
      assertEquals(sentinel, commentIdOf(anonymous.next()));
      assertEquals(bobs, commentIdOf(other.next()), "another user's stream carries bob's comment");
      assertEquals(sentinel, commentIdOf(other.next()));
      JsonObject first = blocker.next();
      assertEquals("comment.created", first.getString("type"), first.encode());
      assertEquals(sentinel, commentIdOf(first), "bob's comment never reached alice's stream: " + first.encode());
    }
  }

  // ---- 3. bans ----

  @Test
  void aBanRefusesWritesAndCutsTheBannedUsersOwnTopicWithinASecond() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(carol, "Carol's thread");
    long bobComment = api.comment(bob, post, "bob's comment", null);
    String mine = "parley.user." + bob.id();
    String thread = "parley.post." + post;

    try (LiveClient socket = LiveClient.connect()) {
      socket.register(mine, bob.token(), 0L);
      // Make sure the subscription is live before the ban: a reply reaches bob's topic.
      long warmUp = api.comment(carol, post, "reply to bob", bobComment);
      JsonObject reply = socket.nextEvent(mine);
      assertEquals("reply.created", reply.getString("type"));
      assertEquals(warmUp, commentIdOf(reply));
      socket.register(thread, null, seqOf(post));

      Response ban = api.post("/api/mod/users/bob/ban", mod, new JsonObject().put("reason", "spam"));
      long bannedAt = System.nanoTime();
      assertEquals(204, ban.status(), ban.toString());
      JsonObject cut = socket.next();
      long cutAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - bannedAt);
      assertRevoked(cut, mine);
      assertTrue(cutAfterMillis < 1500, "cut within about a second of the ban, took " + cutAfterMillis + " ms");

      Response write = api.post("/api/posts/" + post + "/comments", bob, new JsonObject().put("body", "still here?"));
      assertEquals(403, write.status(), write.toString());
      Response newPost = api.post("/api/posts", bob, new JsonObject().put("title", "t").put("body", "b"));
      assertEquals(403, newPost.status(), newPost.toString());

      // Nothing more on bob's topic: a reply to him would reach it between these two thread events.
      long second = api.comment(carol, post, "another reply to bob", bobComment);
      long third = api.comment(carol, post, "sentinel", null);
      assertEquals(second, commentIdOf(socket.nextEvent(thread)));
      assertEquals(third, commentIdOf(socket.nextEvent(thread)), "bob's topic stays cut");
    }
  }

  // ---- 4. demotion ----

  @Test
  void aDemotedModeratorLosesTheModTopic() throws Exception {
    Session admin = api.registerWithRole("boss", "admin");
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    String thread = "parley.post." + post;

    try (LiveClient socket = LiveClient.connect()) {
      socket.register("parley.mod", mod.token(), 0L);
      assertEquals("resync", socket.nextEvent("parley.mod").getString("type"), "the mod topic is live");
      socket.register(thread, null, seqOf(post));

      Response demote = api.put("/api/admin/users/mod/role", admin, new JsonObject().put("role", "user"));
      long demotedAt = System.nanoTime();
      assertEquals(204, demote.status(), demote.toString());
      // The role change itself may still be announced on parley.mod before the cut.
      JsonObject cut = nextNonDelivery(socket, "parley.mod");
      long cutAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - demotedAt);
      assertRevoked(cut, "parley.mod");
      assertTrue(cutAfterMillis < 1500, "cut within about a second of the demotion, took " + cutAfterMillis + " ms");

      assertEquals(403, api.get("/api/mod/queue", mod).status(), "no more moderator REST either");

      // New comments go to parley.mod after their thread event; none reach this socket any more.
      long first = api.comment(alice, post, "one", null);
      long second = api.comment(alice, post, "two", null);
      assertEquals(first, commentIdOf(socket.nextEvent(thread)));
      assertEquals(second, commentIdOf(socket.nextEvent(thread)), "parley.mod stays cut");
    }
  }

  // ---- 5. reports reach every moderator ----

  @Test
  void twoModeratorsBothSeeAReportCreatedAndResolved() throws Exception {
    Session mod1 = api.registerWithRole("mod1", "moderator");
    Session mod2 = api.registerWithRole("mod2", "moderator");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    long comment = api.comment(alice, post, "questionable", null);

    try (LiveClient s1 = LiveClient.connect(); LiveClient s2 = LiveClient.connect()) {
      s1.register("parley.mod", mod1.token(), 0L);
      s2.register("parley.mod", mod2.token(), 0L);
      assertEquals("resync", s1.nextEvent("parley.mod").getString("type"));
      assertEquals("resync", s2.nextEvent("parley.mod").getString("type"));

      Response report = api.post("/api/reports", bob, new JsonObject()
          .put("targetType", "comment").put("targetId", comment).put("reason", "spam"));
      assertEquals(201, report.status(), report.toString());
      long reportId = report.json().getLong("id");

      for (LiveClient s : new LiveClient[] {s1, s2}) {
        JsonObject created = nextOfType(s, "parley.mod", "report.created");
        JsonObject data = created.getJsonObject("data");
        assertEquals(reportId, data.getLong("id"), data.encode());
        assertEquals("comment", data.getString("targetType"));
        assertEquals(comment, data.getLong("targetId"));
        assertEquals("spam", data.getString("reason"));
        assertEquals(new JsonObject().put("username", "bob"), data.getJsonObject("reporter"));
      }

      Response resolved = api.post("/api/mod/reports/" + reportId + "/resolve", mod1,
          new JsonObject().put("action", "dismiss"));
      assertEquals(204, resolved.status(), resolved.toString());

      for (LiveClient s : new LiveClient[] {s1, s2}) {
        JsonObject event = nextOfType(s, "parley.mod", "report.resolved");
        JsonObject data = event.getJsonObject("data");
        assertEquals("comment", data.getString("targetType"), data.encode());
        assertEquals(comment, data.getLong("targetId"));
        assertEquals("dismiss", data.getString("action"));
        assertEquals(new JsonObject().put("username", "mod1"), data.getJsonObject("resolvedBy"));
        assertEquals(java.util.List.of(reportId), data.getJsonArray("reportIds").stream()
            .map(n -> ((Number) n).longValue()).toList(), data.encode());
      }
    }
  }

  // ---- 6. hides, restores and locks ----

  @Test
  void hidesRestoresAndLocksReachThreadReadersAndTheAuthor() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session carol = api.register("carol");
    Session bob = api.register("bob");
    long post = api.createPost(carol, "Carol's thread");
    long bobComment = api.comment(bob, post, "something rude", null);
    String thread = "parley.post." + post;
    String bobs = "parley.user." + bob.id();

    try (LiveClient reader = follow(post, null); LiveClient author = LiveClient.connect()) {
      author.register(bobs, bob.token(), 0L);

      Response hide = api.post("/api/mod/comments/" + bobComment + "/hide", mod,
          new JsonObject().put("reason", "rude"));
      assertEquals(204, hide.status(), hide.toString());
      JsonObject hidden = reader.nextEvent(thread);
      assertEquals("comment.hidden", hidden.getString("type"));
      assertEquals(new JsonObject().put("id", bobComment).put("postId", post), hidden.getJsonObject("data"));

      JsonObject toAuthor = author.nextEvent(bobs);
      assertEquals("comment.hidden", toAuthor.getString("type"));
      assertEquals(bobComment, toAuthor.getJsonObject("data").getLong("id"));
      assertEquals(post, toAuthor.getJsonObject("data").getLong("postId"));

      Response restore = api.post("/api/mod/comments/" + bobComment + "/restore", mod, null);
      assertEquals(204, restore.status(), restore.toString());
      JsonObject restored = reader.nextEvent(thread);
      assertEquals("comment.restored", restored.getString("type"));
      assertEquals(api.get("/api/comments/" + bobComment).json(), restored.getJsonObject("data"),
          "the full comment, exactly as the REST API shows it");
      assertEquals("something rude", restored.getJsonObject("data").getString("body"));
      JsonObject restoredToAuthor = author.nextEvent(bobs);
      assertEquals("comment.restored", restoredToAuthor.getString("type"));
      assertEquals(bobComment, restoredToAuthor.getJsonObject("data").getLong("id"));

      Response lock = api.post("/api/mod/posts/" + post + "/lock", mod, null);
      assertEquals(204, lock.status(), lock.toString());
      JsonObject locked = reader.nextEvent(thread);
      assertEquals("post.locked", locked.getString("type"));
      assertEquals(post, locked.getJsonObject("data").getLong("id"));
    }
  }
}
