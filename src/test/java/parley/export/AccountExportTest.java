package parley.export;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /api/me/export: a member downloads what they gave the site, all of it (what they deleted that the site still
 * keeps, every earlier version, what moderators did to it that the member is told), and nothing that is anyone
 * else's (others' words and addresses, the moderators' notes and the screening's reasons, the titles of threads the
 * member may no longer read).
 */
@ExtendWith(TestParley.class)
class AccountExportTest {

  private final Api api = Api.local();

  private static JsonObject export(Response response) {
    assertEquals(200, response.status(), response.toString());
    return new JsonObject(response.body());
  }

  private static JsonObject only(JsonObject file, String section) {
    JsonArray items = file.getJsonArray(section);
    assertEquals(1, items.size(), section + ": " + items);
    return items.getJsonObject(0);
  }

  @Test
  void theFileHoldsWhatTheMemberGaveAndNothingOfAnyoneElses() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    assertEquals(200, api.patch("/api/me", alice, new JsonObject().put("bio", "Bakes on Sundays")).status());
    assertEquals(200, api.put("/api/me/notification-settings", alice, new JsonObject().put("mentions", false))
        .status());

    // Her post, edited once (its first version kept), and one she deleted (the site keeps its words: so does the file).
    Response created = api.post("/api/posts", alice, new JsonObject().put("title", "Sourdough notes")
        .put("body", "First *draft*").put("sources", new JsonArray().add("https://example.org/bread"))
        .put("tags", new JsonArray().add("baking")));
    assertEquals(201, created.status(), created.toString());
    long hers = created.json().getLong("id");
    assertEquals(200, api.patch("/api/posts/" + hers, alice, new JsonObject().put("body", "Second draft")).status());
    long deletedPost = api.createPost(alice, "Deleted thoughts");
    assertEquals(204, api.delete("/api/posts/" + deletedPost, alice).status());

    // Her comments: one edited, one reply, one deleted, one hidden by a moderator (she is told why), one held by a
    // word filter (the filter's reason is the moderators'), one in a thread hidden since, one in a thread of someone
    // she has blocked since.
    long bobs = api.createPost(bob, "Bob's thread");
    long bobsComment = api.comment(bob, bobs, "bob's own words stay bob's", null);
    long edited = api.comment(alice, bobs, "alice, first take", null);
    assertEquals(200, api.patch("/api/comments/" + edited, alice, new JsonObject().put("body", "alice, second take"))
        .status());
    long reply = api.comment(alice, bobs, "alice replies", bobsComment);
    long deleted = api.comment(alice, bobs, "alice regrets this", null);
    assertEquals(204, api.delete("/api/comments/" + deleted, alice).status());
    long hidden = api.comment(alice, bobs, "alice oversteps", null);
    assertEquals(204, api.post("/api/mod/comments/" + hidden + "/hide", mod,
        new JsonObject().put("reason", "Too heated")).status());
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    Response held = api.post("/api/posts/" + bobs + "/comments", alice, new JsonObject().put("body", "heldword here"));
    assertEquals(true, held.json().getBoolean("pending"), held.toString());
    Response declined = api.post("/api/posts/" + bobs + "/comments", alice,
        new JsonObject().put("body", "heldword and declined"));
    long rejected = declined.json().getLong("id");
    Response rejection = api.post("/api/mod/comments/" + rejected + "/reject", mod,
        new JsonObject().put("reason", "Off topic here"));
    assertTrue(rejection.status() / 100 == 2, rejection.toString());
    long laterHidden = api.createPost(bob, "Hidden later");
    long inHiddenThread = api.comment(alice, laterHidden, "alice in a thread hidden later", null);
    assertEquals(204, api.post("/api/mod/posts/" + laterHidden + "/hide", mod,
        new JsonObject().put("reason", "spam")).status());
    long carols = api.createPost(carol, "Carol's secret title");
    long inBlockedThread = api.comment(alice, carols, "alice at carol's", null);

    // Votes, follows, a block, a report; and what others did about her, which is not hers.
    assertEquals(200, api.put("/api/posts/" + bobs + "/vote", alice, new JsonObject().put("value", 1)).status());
    assertEquals(200, api.put("/api/comments/" + bobsComment + "/vote", alice, new JsonObject().put("value", 1))
        .status());
    assertEquals(200, api.put("/api/comments/" + edited + "/vote", bob, new JsonObject().put("value", 1)).status());
    assertEquals(200, api.put("/api/users/bob/follow", alice, null).status());
    assertEquals(200, api.put("/api/users/alice/follow", carol, null).status());
    assertEquals(200, api.put("/api/posts/" + bobs + "/follow", alice, null).status());
    assertEquals(204, api.put("/api/me/blocks/carol", alice, null).status());
    assertEquals(204, api.put("/api/me/blocks/alice", bob, null).status());
    assertEquals(201, api.post("/api/reports", alice, new JsonObject().put("targetType", "comment")
        .put("targetId", bobsComment).put("reason", "other").put("details", "alice's report words")).status());
    assertEquals(201, api.post("/api/mod/users/alice/notes", mod, new JsonObject().put("body", "a moderator's note"))
        .status());

    Response response = api.get("/api/me/export", alice);
    JsonObject file = export(response);
    assertTrue(response.contentType().startsWith("application/json"), response.contentType());
    assertEquals("attachment; filename=\"parley-alice-" + LocalDate.now(ZoneOffset.UTC) + ".json\"",
        response.header("Content-Disposition"));
    assertEquals(List.of("format", "exportedAt", "account", "notificationSettings", "posts", "postVersions", "comments", "commentVersions",
        "postVotes", "commentVotes", "following", "threads", "blocks", "reports", "renames"),
        new ArrayList<>(file.fieldNames()));
    assertEquals(String.valueOf(response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
        response.header("Content-Length"), "sent whole, with its length");
    assertEquals(AccountExport.FORMAT, file.getInteger("format"));

    JsonObject account = file.getJsonObject("account");
    assertEquals("alice", account.getString("username"));
    assertEquals(alice.id(), account.getLong("id"));
    assertEquals("alice@example.org", account.getString("email"));
    assertEquals("Bakes on Sundays", account.getString("bio"));
    assertEquals(false, file.getJsonObject("notificationSettings").getBoolean("mentions"));
    assertEquals(true, file.getJsonObject("notificationSettings").getBoolean("replies"));

    JsonArray posts = file.getJsonArray("posts");
    assertEquals(List.of(hers, deletedPost), ids(posts, "id"));
    JsonObject post = posts.getJsonObject(0);
    assertEquals("Second draft", post.getString("body"));
    assertEquals(new JsonArray().add("https://example.org/bread"), post.getJsonArray("sources"));
    assertEquals(new JsonArray().add("baking"), post.getJsonArray("tags"));
    assertTrue(post.getString("editedAt") != null);
    assertNull(post.getString("deletedAt"));
    assertEquals("Deleted thoughts", posts.getJsonObject(1).getString("title"));
    assertTrue(posts.getJsonObject(1).getString("deletedAt") != null);
    JsonObject firstVersion = only(file, "postVersions");
    assertEquals(hers, firstVersion.getLong("postId"));
    assertEquals("First *draft*", firstVersion.getString("body"));

    JsonArray comments = file.getJsonArray("comments");
    assertEquals(List.of(edited, reply, deleted, hidden, held.json().getLong("id"), rejected, inHiddenThread,
        inBlockedThread), ids(comments, "id"));
    JsonObject first = comments.getJsonObject(0);
    assertEquals("alice, second take", first.getString("body"));
    assertEquals("Bob's thread", first.getString("postTitle"));
    assertEquals(1, first.getInteger("upvotes"), "bob's vote on it: counted, not named");
    assertEquals(bobsComment, comments.getJsonObject(1).getLong("parentId"));
    assertNull(comments.getJsonObject(2).getString("body"), "a deleted comment's words are gone from the site");
    assertTrue(comments.getJsonObject(2).getString("deletedAt") != null);
    assertEquals("Too heated", comments.getJsonObject(3).getString("hiddenReason"), "the reason she is shown");
    assertEquals(true, comments.getJsonObject(4).getBoolean("pending"));
    JsonObject declinedOne = comments.getJsonObject(5);
    assertEquals("heldword and declined", declinedOne.getString("body"), "the site keeps a declined comment's words");
    assertEquals("Off topic here", declinedOne.getString("rejectedReason"));
    assertTrue(declinedOne.getString("deletedAt") != null);
    assertNull(comments.getJsonObject(6).getString("postTitle"), "a thread hidden since is no longer hers to read");
    assertNull(comments.getJsonObject(7).getString("postTitle"), "nor the title of a blocked member's thread");
    JsonObject commentVersion = only(file, "commentVersions");
    assertEquals(edited, commentVersion.getLong("commentId"));
    assertEquals("alice, first take", commentVersion.getString("body"));

    assertEquals(new JsonObject().put("postId", bobs).put("value", 1), without(only(file, "postVotes"), "createdAt"));
    assertEquals(new JsonObject().put("commentId", bobsComment).put("postId", bobs).put("value", 1),
        without(only(file, "commentVotes"), "createdAt"));
    assertEquals("bob", only(file, "following").getString("username"), "whom she follows, not who follows her");
    JsonObject thread = only(file, "threads");
    assertEquals(bobs, thread.getLong("postId"));
    assertEquals(true, thread.getBoolean("following"));
    assertEquals("carol", only(file, "blocks").getString("username"), "whom she blocked, not who blocked her");
    JsonObject report = only(file, "reports");
    assertEquals("alice's report words", report.getString("details"));
    assertEquals(bobsComment, report.getLong("targetId"));
    assertEquals("open", report.getString("status"));

    // Nothing of anyone else's, anywhere in it.
    for (String theirs : List.of("bob's own words", "bob@example.org", "carol@example.org", "Carol's secret title",
        "Hidden later", "a moderator's note", "heldword\"", "word filter")) {
      assertFalse(response.body().contains(theirs), theirs + " is not alice's: " + response.body());
    }
  }

  @Test
  void aLongHistoryIsWrittenWholeInBatches() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Many comments");
    int many = AccountExport.BATCH * 2 + 17;
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + post + ", " + alice.id()
        + ", 'comment ' || n, '<p>comment ' || n || '</p>' FROM generate_series(1, " + many + ") n");
    JsonArray comments = export(api.get("/api/me/export", alice)).getJsonArray("comments");
    assertEquals(many, comments.size());
    for (int i = 0; i < many; i++) assertEquals("comment " + (i + 1), comments.getJsonObject(i).getString("body"));
  }

  /**
   * A client that asks for a big file and stops reading holds neither a slot nor the database: the file is written
   * whole before it is sent, so more members than the node writes at once get theirs meanwhile; and the file is
   * deleted once its client has gone.
   */
  @Test
  void aClientThatStopsReadingHoldsNoSlot() throws Exception {
    Session alice = withLongHistory(api.register("alice"));
    Session bob = api.register("bob");
    java.net.URI base = java.net.URI.create(TestParley.baseUrl());
    List<java.net.Socket> silent = new ArrayList<>();
    try {
      // As many as the node writes at once, each of whose answers has started (its status line is there), and which
      // read no more.
      for (int i = 0; i < AccountExport.CONCURRENT; i++) silent.add(stalled(alice));
      for (int i = 0; i < 3; i++) {
        Response meanwhile = api.get("/api/me/export", bob);
        assertEquals(200, meanwhile.status(), "while alice's clients stall: " + meanwhile);
      }
      // Bob's are deleted once sent (just after his client has the last byte); alice's wait for her clients.
      TestParley.awaitUntil(() -> {
        try (var files = java.nio.file.Files.list(AccountExport.directory(TestParley.DATA_DIR))) {
          return files.count() == AccountExport.CONCURRENT;
        }
      }, "alice's files, on their way out, and no other");
    } finally {
      for (java.net.Socket socket : silent) socket.close();
    }
    awaitNoFiles("the files deleted once their clients are gone");

    // A client gone while its file is written (a probe: the file stayed until a later start).
    try (java.net.Socket gone = new java.net.Socket(base.getHost(), base.getPort())) {
      gone.getOutputStream().write(("GET /api/me/export HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
          + alice.token() + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      gone.getOutputStream().flush();
    }
    awaitNoFiles("the file of a client gone before it was written deleted");

    // Never compressed, though the client would take gzip: the server would gzip the whole file on its event loop,
    // and send it without its length (a probe).
    java.net.http.HttpResponse<byte[]> gzip = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(base.resolve("/api/me/export")).header("Accept-Encoding", "gzip")
            .header("Authorization", "Bearer " + alice.token()).build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, gzip.statusCode());
    assertTrue(gzip.headers().firstValue("Content-Encoding").isEmpty(), gzip.headers().toString());
    assertEquals(gzip.body().length, gzip.headers().firstValueAsLong("Content-Length").orElse(-1));
    assertEquals(30_000, new JsonObject(new String(gzip.body(), java.nio.charset.StandardCharsets.UTF_8))
        .getJsonArray("comments").size());
  }

  /**
   * A download cut off while its file is being sent still ends its request: its access-log line says so, and an
   * admin's (a POST, counted as a write in flight while it lasts) stops being counted. Vert.x runs no end handler
   * for a file whose sending was cut short; before, neither happened (a probe found the missing line).
   */
  @Test
  void aDownloadCutOffMidFileStillEndsItsRequest() throws Exception {
    Session alice = withLongHistory(api.register("alice"));
    Session boss = api.registerWithRole("boss", "admin");
    try (parley.CapturedLog access = new parley.CapturedLog("parley.access")) {
      stalled(alice).close();
      TestParley.awaitUntil(() -> access.messages().stream().anyMatch(m -> m.startsWith("GET /api/me/export 200 ")
          && m.endsWith(" cut-off")), "the member's cut download is logged: " + access.messages());
      java.net.URI base = java.net.URI.create(TestParley.baseUrl());
      String body = new JsonObject().put("reason", "asked by mail").encode();
      try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
        socket.setReceiveBufferSize(4096);
        socket.getOutputStream().write(("POST /api/admin/users/alice/export HTTP/1.1\r\nHost: localhost\r\n"
            + "Authorization: Bearer " + boss.token() + "\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length() + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        assertEquals("HTTP/1.1 200", new String(socket.getInputStream().readNBytes(12),
            java.nio.charset.StandardCharsets.US_ASCII));
      }
      TestParley.awaitUntil(() -> access.messages().stream().anyMatch(m -> m.startsWith(
          "POST /api/admin/users/alice/export 200 ") && m.endsWith(" cut-off")), "the admin's too");
    }
    awaitNoFiles("both files deleted");
  }

  /**
   * Files on their way out are bounded per node: each is on the data directory's disk, PostgreSQL's, for as long as
   * its client takes, so members who read slowly cannot fill it. Past the bound a download is refused (503) until one
   * of them is done.
   */
  @Test
  void filesOnTheirWayOutAreBounded() throws Exception {
    Session alice = withLongHistory(api.register("alice"));
    Session bob = api.register("bob");
    List<java.net.Socket> silent = new ArrayList<>();
    try {
      for (int i = 0; i < AccountExport.OUTGOING; i++) silent.add(stalled(alice));
      Response refused = api.get("/api/me/export", bob);
      assertEquals(503, refused.status(), refused.toString());
      assertEquals("application/problem+json", refused.contentType());
      assertTrue(refused.json().getString("detail").contains("on their way out"), refused.toString());
      assertEquals(503, api.raw("HEAD", "/api/me/export", "Bearer " + bob.token(), null, null).status(),
          "a HEAD says so too");
      silent.remove(0).close();
      TestParley.awaitUntil(() -> api.get("/api/me/export", bob).status() == 200, "one slot back once a file is done");
    } finally {
      for (java.net.Socket socket : silent) socket.close();
    }
    awaitNoFiles("every file deleted once its client is gone");
  }

  /**
   * {@code who}, with 30,000 comments of a kilobyte: a file of about 30 MB, far more than the sockets' buffers hold,
   * so the server's sending stalls on a client that does not read.
   */
  private Session withLongHistory(Session who) throws Exception {
    long post = api.createPost(who, "Long history");
    TestParley.sql("INSERT INTO comments (post_id, author_id, body, body_html) SELECT " + post + ", " + who.id()
        + ", repeat('x', 1000) || n, '<p>x</p>' FROM generate_series(1, 30000) n");
    return who;
  }

  /** A client that asked for the member's file, has the start of the answer, and reads no more. */
  private static java.net.Socket stalled(Session as) throws Exception {
    java.net.URI base = java.net.URI.create(TestParley.baseUrl());
    java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort());
    socket.setReceiveBufferSize(4096);
    socket.getOutputStream().write(("GET /api/me/export HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
        + as.token() + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    byte[] status = socket.getInputStream().readNBytes(12);
    assertEquals("HTTP/1.1 200", new String(status, java.nio.charset.StandardCharsets.US_ASCII));
    return socket;
  }

  private static void awaitNoFiles(String what) throws Exception {
    java.nio.file.Path exports = AccountExport.directory(TestParley.DATA_DIR);
    TestParley.awaitUntil(() -> {
      try (var files = java.nio.file.Files.list(exports)) {
        return files.findAny().isEmpty();
      }
    }, what);
  }

  @Test
  void onlyItsOwnMemberGetsAFileAndABanDoesNotStopThem() throws Exception {
    Session alice = api.register("alice");
    Response anonymous = api.get("/api/me/export");
    assertEquals(401, anonymous.status(), anonymous.toString());
    assertEquals("application/problem+json", anonymous.contentType());
    assertEquals(401, api.raw("GET", "/api/me/export", "Bearer not-a-token", null, null).status());
    Response head = api.raw("HEAD", "/api/me/export", "Bearer " + alice.token(), null, null);
    assertEquals(200, head.status(), head.toString());
    assertEquals("", head.body());

    // A renamed member's file has the names they had, and is named by the name they have.
    Response renamed = api.patch("/api/me", alice, new JsonObject().put("username", "alicia")
        .put("currentPassword", "correct horse"));
    assertEquals(200, renamed.status(), renamed.toString());
    Session alicia = new Session(alice.token(), alice.id(), "alicia");
    Response again = api.get("/api/me/export", alicia);
    JsonObject rename = only(export(again), "renames");
    assertEquals("alice", rename.getString("from"));
    assertEquals("alicia", rename.getString("to"));
    assertTrue(again.header("Content-Disposition").contains("parley-alicia-"), again.header("Content-Disposition"));

    Session admin = api.registerWithRole("boss", "admin");
    Response ban = api.post("/api/mod/users/alicia/ban", admin, new JsonObject().put("reason", "spam"));
    assertTrue(ban.status() / 100 == 2, ban.toString());
    JsonObject banned = export(api.get("/api/me/export", alicia)).getJsonObject("account");
    assertEquals("spam", banned.getJsonObject("ban").getString("reason"), "she is told of her ban, as /api/me does");

    // A deleted account's token has no file: nothing of it is left to give.
    Session bob = api.register("bob");
    assertEquals(204, api.post("/api/me/delete", bob, new JsonObject().put("currentPassword", "correct horse"))
        .status());
    assertEquals(401, api.get("/api/me/export", bob).status());
  }

  @Test
  void anAdminDownloadsAMembersDataForThemAndTheAuditLogKeepsWhyOnlyWhenItIsSent() throws Exception {
    Session admin = api.registerWithRole("boss", "admin");
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Alice's thread");
    api.comment(alice, post, "alice's words", null);
    // She is banned and cannot sign in to download her own: an admin does it for her.
    assertTrue(api.post("/api/mod/users/alice/ban", mod, new JsonObject().put("reason", "spam")).status() / 100 == 2);

    // Refusals, each writing nothing: no reason, too long a reason, another field, a moderator, no one, no such
    // member, a deleted one.
    String path = "/api/admin/users/alice/export";
    JsonObject why = new JsonObject().put("reason", "She asked by mail (ticket 4411)");
    assertEquals(400, api.post(path, admin, new JsonObject()).status());
    assertEquals(400, api.post(path, admin, new JsonObject().put("reason", "   ")).status());
    assertEquals(400, api.post(path, admin, new JsonObject().put("reason", "x".repeat(1_001))).status());
    assertEquals(400, api.post(path, admin, why.copy().put("format", 2)).status());
    Response byMod = api.post(path, mod, why);
    assertEquals(403, byMod.status(), byMod.toString());
    assertEquals("application/problem+json", byMod.contentType());
    assertEquals(401, api.raw("POST", path, null, why.encode(), "application/json").status());
    assertEquals(404, api.post("/api/admin/users/nobody/export", admin, why).status());
    Session bob = api.register("bob");
    assertEquals(204, api.post("/api/me/delete", bob, new JsonObject().put("currentPassword", "correct horse"))
        .status());
    assertEquals(404, api.post("/api/admin/users/bob/export", admin, why).status(), "a deleted account is no one's");
    assertEquals(0, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.exported'"));

    Response response = api.post("/api/admin/users/ALICE/export", admin, why);
    JsonObject file = export(response);
    assertEquals("attachment; filename=\"parley-alice-" + LocalDate.now(ZoneOffset.UTC) + ".json\"",
        response.header("Content-Disposition"));
    assertEquals("alice", file.getJsonObject("account").getString("username"));
    assertEquals("spam", file.getJsonObject("account").getJsonObject("ban").getString("reason"));
    assertEquals("alice's words", only(file, "comments").getString("body"));
    assertEquals(post, only(file, "posts").getLong("id"));
    // The admin's file is the one she would get herself, but for its time.
    Response hers = api.raw("GET", "/api/me/export", "Bearer " + alice.token(), null, null);
    JsonObject own = export(hers);
    own.remove("exportedAt");
    JsonObject theirs = file.copy();
    theirs.remove("exportedAt");
    assertEquals(own, theirs);

    assertEquals(1, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.exported' AND actor_id = "
        + admin.id() + " AND target_type = 'user' AND target_id = " + alice.id()
        + " AND reason = 'She asked by mail (ticket 4411)' AND details ->> 'username' = 'alice'"));
    JsonObject entry = api.get("/api/mod/log", mod).json().getJsonArray("items").getJsonObject(0);
    assertEquals("user.exported", entry.getString("action"), entry.encode());
    assertEquals("boss", entry.getJsonObject("actor").getString("username"));
  }

  private static List<Long> ids(JsonArray items, String field) {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) ids.add(items.getJsonObject(i).getLong(field));
    return ids;
  }

  private static JsonObject without(JsonObject item, String field) {
    JsonObject copy = item.copy();
    assertTrue(copy.getString(field) != null, field + " is there");
    copy.remove(field);
    return copy;
  }
}
