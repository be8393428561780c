package parley.notification;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;
import parley.live.LiveClient;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Notifications, kind by kind, and every case where someone must not be notified. Notifications are made after a
 * write commits, in commit order (what queued up meanwhile in one transaction); each test waits for a
 * notification's live announcement on the reader's own topic, and proves a silence with a later write that does
 * notify (a sentinel): when the sentinel's notification has arrived, anything the earlier write would have made has
 * been made too.
 */
@ExtendWith(TestParley.class)
class NotificationsTest {

  private final Api api = Api.local();
  private final List<LiveClient> sockets = new ArrayList<>();

  @AfterEach
  void closeSockets() {
    sockets.forEach(LiveClient::close);
  }

  /** A socket on the user's own topic, from its first event. */
  private LiveClient inbox(Session user) throws Exception {
    LiveClient socket = LiveClient.connect().withNotifications();
    sockets.add(socket);
    socket.register("parley.user." + user.id(), user.token(), 0L);
    return socket;
  }

  /** Notifications announced together (one notification.created with items) and not yet taken, by socket. */
  private final java.util.Map<LiveClient, java.util.ArrayDeque<JsonObject>> announcedTogether = new java.util.HashMap<>();

  /**
   * The next notification announced to the user, alone or with others of the same batch (a notification.created
   * with items, taken one by one); other events on their topic are skipped.
   */
  private JsonObject nextNotification(LiveClient socket, Session user) throws InterruptedException {
    java.util.ArrayDeque<JsonObject> waiting = announcedTogether.computeIfAbsent(socket, s -> new java.util.ArrayDeque<>());
    while (waiting.isEmpty()) {
      JsonObject event = socket.nextEvent("parley.user." + user.id());
      if (!"notification.created".equals(event.getString("type"))) continue;
      JsonObject data = event.getJsonObject("data");
      if (!data.containsKey("items")) return data;
      data.getJsonArray("items").forEach(item -> waiting.add((JsonObject) item));
    }
    return waiting.poll();
  }

  private JsonArray items(Session user) {
    Response r = api.get("/api/me/notifications", user);
    assertEquals(200, r.status(), r.toString());
    return r.json().getJsonArray("items");
  }

  private long unread(Session user) {
    return api.get("/api/me/notifications/unread", user).json().getLong("unread");
  }

  private long comment(Session as, long post, String body, Long parent) {
    return api.comment(as, post, body, parent);
  }

  @Test
  void aReplyNotifiesTheParentsAuthorAndACommentNotifiesThePostsAuthor() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(carol, "Carol's post");
    LiveClient aliceInbox = inbox(alice);
    LiveClient carolInbox = inbox(carol);
    long aliceComment = comment(alice, post, "First!", null);
    JsonObject toCarol = nextNotification(carolInbox, carol);
    assertEquals("comment", toCarol.getString("kind"));
    assertEquals(1, toCarol.getLong("unread"));

    long reply = comment(bob, post, "Replying to alice", aliceComment);
    JsonObject toAlice = nextNotification(aliceInbox, alice);
    assertEquals("reply", toAlice.getString("kind"));
    assertEquals(reply, toAlice.getLong("commentId"));
    assertEquals(post, toAlice.getLong("postId"));
    assertEquals(1, toAlice.getLong("unread"));
    JsonObject secondToCarol = nextNotification(carolInbox, carol);
    assertEquals("comment", secondToCarol.getString("kind"), "bob's reply is also a comment on carol's post");
    assertEquals(2, secondToCarol.getLong("unread"));

    JsonObject item = items(alice).getJsonObject(0);
    assertEquals("reply", item.getString("kind"));
    assertEquals(new JsonObject().put("username", "bob"), item.getJsonObject("actor"));
    assertEquals("Carol's post", item.getJsonObject("post").getString("title"));
    assertEquals("Replying to alice", item.getJsonObject("comment").getString("excerpt"));

    // The excerpt is the prose, not the Markdown, cut at a word.
    comment(bob, post, "**Bold** claim, see [the source](https://example.org/a-very-long-address) and `code`.\n\n"
        + "- first point\n- second point\n\n" + "word ".repeat(60), aliceComment);
    nextNotification(aliceInbox, alice);
    String excerpt = items(alice).getJsonObject(0).getJsonObject("comment").getString("excerpt");
    assertTrue(excerpt.startsWith("Bold claim, see the source and code. first point · second point word word"), excerpt);
    assertTrue(excerpt.endsWith("word…") && excerpt.length() <= 161, excerpt);
    assertEquals("/posts/" + post + "#comment-" + reply, item.getString("url"));
    assertFalse(item.getBoolean("read"));
    assertEquals(2, items(alice).size(), "alice's own comment notified nobody about herself");
    assertEquals(0, items(bob).size(), "the replier is not told of their own reply");
  }

  @Test
  void commentersAndExplicitFollowersHearOfNewCommentsAndAMutedThreadSendsNothing() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session dave = api.register("dave");
    Session erin = api.register("erin");
    long post = api.createPost(alice, "A thread");
    comment(dave, post, "dave was here", null);
    assertEquals(200, api.put("/api/posts/" + post + "/follow", erin, null).status());
    assertTrue(api.get("/api/posts/" + post + "/follow", erin).json().getBoolean("following"));
    assertTrue(api.get("/api/posts/" + post + "/follow", dave).json().getBoolean("following"), "commenters follow");
    assertFalse(api.get("/api/posts/" + post + "/follow", bob).json().getBoolean("following"));
    LiveClient daveInbox = inbox(dave);
    LiveClient erinInbox = inbox(erin);

    long bobs = comment(bob, post, "bob joins", null);
    assertEquals("followed", nextNotification(daveInbox, dave).getString("kind"));
    JsonObject toErin = nextNotification(erinInbox, erin);
    assertEquals("followed", toErin.getString("kind"));
    assertEquals(bobs, toErin.getLong("commentId"));

    // Dave mutes the thread: nothing from it any more, not even a reply to him.
    Response mute = api.delete("/api/posts/" + post + "/follow", dave);
    assertEquals(200, mute.status());
    assertFalse(mute.json().getBoolean("following"));
    long daveComment = comment(dave, post, "dave again", null);
    comment(bob, post, "replying to dave", daveComment);
    // The sentinel: erin still follows, so she hears of the reply; once she has, dave's silence is proven.
    nextNotification(erinInbox, erin);
    nextNotification(erinInbox, erin);
    assertEquals(1, items(dave).size(), "only the notification from before the mute");
  }

  /**
   * A mention an edit adds notifies, once: a forgotten @ put right was never heard of. Anyone already told of the
   * comment (its parent's author, someone it mentioned) is not told again, nor is a mention edited out and back.
   */
  @Test
  void aMentionAddedByAnEditNotifiesOnce() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Edits");
    long bobs = comment(bob, post, "a comment of bob's", null);
    long reply = comment(alice, post, "I agree", bobs);
    long other = comment(alice, post, "Thanks all", null);
    TestParley.notificationsMade();
    long bobBefore = items(bob).size();
    assertEquals(0, items(carol).size());

    assertEquals(200, api.patch("/api/comments/" + other, alice, new JsonObject().put("body", "Thanks @carol"))
        .status());
    assertEquals(200, api.patch("/api/comments/" + reply, alice, new JsonObject().put("body", "I agree, @bob"))
        .status());
    TestParley.notificationsMade();
    JsonArray toCarol = items(carol);
    assertEquals(1, toCarol.size(), toCarol.encode());
    assertEquals("mention", toCarol.getJsonObject(0).getString("kind"));
    assertEquals(other, toCarol.getJsonObject(0).getJsonObject("comment").getLong("id"));
    assertEquals(bobBefore, items(bob).size(), "bob was told of the reply already");

    assertEquals(200, api.patch("/api/comments/" + other, alice, new JsonObject().put("body", "Thanks")).status());
    assertEquals(200, api.patch("/api/comments/" + other, alice, new JsonObject().put("body", "Thanks @carol!"))
        .status());
    assertEquals(200, api.patch("/api/posts/" + post, alice, new JsonObject().put("body", "cc @carol")).status());
    assertEquals(200, api.patch("/api/posts/" + post, alice, new JsonObject().put("body", "cc @carol, again"))
        .status());
    TestParley.notificationsMade();
    JsonArray after = items(carol);
    assertEquals(2, after.size(), "the comment's mention once, the post's once: " + after.encode());
    assertNull(after.getJsonObject(0).getValue("comment"), "the newest is the post's");
  }

  /**
   * Ten people at most hear of one comment's mentions, however often it is edited: the cap was each text's, so each
   * edit told ten more (a review: twenty people from one comment and three edits). Within the cap, in the text's order.
   */
  @Test
  void editsMentionNoMoreThanTenPeopleForOneCommentInAll() throws Exception {
    Session alice = api.register("alice");
    List<Session> crowd = new ArrayList<>();
    for (int i = 0; i < 20; i++) crowd.add(api.register("crowd" + i));
    long post = api.createPost(alice, "Mentions, edited");
    StringBuilder first = new StringBuilder("Hello");
    for (int i = 0; i < 8; i++) first.append(" @").append(crowd.get(i).username());
    long c = comment(alice, post, first.toString(), null);
    StringBuilder edited = new StringBuilder("Hello");
    for (int i = 19; i >= 8; i--) edited.append(" @").append(crowd.get(i).username());
    assertEquals(200, api.patch("/api/comments/" + c, alice, new JsonObject().put("body", edited.toString())).status());
    assertEquals(200, api.patch("/api/comments/" + c, alice, new JsonObject().put("body", "Hello @crowd8 @crowd9"))
        .status());
    TestParley.notificationsMade();
    java.util.Set<String> told = new java.util.TreeSet<>();
    for (Session s : crowd) if (!items(s).isEmpty()) told.add(s.username());
    assertEquals(new java.util.TreeSet<>(List.of("crowd0", "crowd1", "crowd2", "crowd3", "crowd4", "crowd5", "crowd6",
        "crowd7", "crowd19", "crowd18")), told, "the first eight, then the edit's first two");
  }

  @Test
  void mentionsLinkExistingUsersAndNotifyTheFirstTenOnly() throws Exception {
    Session alice = api.register("alice");
    Session dave = api.register("Dave_M");
    List<Session> crowd = new ArrayList<>();
    for (int i = 0; i < 11; i++) crowd.add(api.register("user" + i));
    long post = api.createPost(alice, "Mentions");
    LiveClient daveInbox = inbox(dave);

    Response c = api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body",
        "Thanks @dave_m and @nobody_here; not `@user0` in code, nor mail@user1.org."));
    assertEquals(201, c.status(), c.toString());
    String html = c.json().getString("bodyHtml");
    assertTrue(html.contains("<a href=\"/u/Dave_M\" class=\"mention\">@dave_m</a>"), html);
    assertTrue(html.contains("@nobody_here"), "an unknown name stays plain text: " + html);
    assertFalse(html.contains("href=\"/u/nobody_here\""), html);
    assertFalse(html.contains("href=\"/u/user0\""), "not in code: " + html);
    assertFalse(html.contains("href=\"/u/user1\""), "not inside an address: " + html);
    JsonObject toDave = nextNotification(daveInbox, dave);
    assertEquals("mention", toDave.getString("kind"));

    StringBuilder many = new StringBuilder("Everyone:");
    for (Session s : crowd) many.append(" @").append(s.username());
    LiveClient lastInbox = inbox(crowd.get(10));
    LiveClient tenthInbox = inbox(crowd.get(9));
    Response all = api.post("/api/posts/" + post + "/comments", alice, new JsonObject().put("body", many.toString()));
    assertEquals(201, all.status());
    assertEquals("mention", nextNotification(tenthInbox, crowd.get(9)).getString("kind"), "the tenth is notified");
    assertTrue(all.json().getString("bodyHtml").contains("href=\"/u/user10\""), "the eleventh is still linked");
    // The sentinel: a reply to the eleventh, after which the mention would have been made if it were to be.
    long sentinelParent = comment(crowd.get(10), post, "here", null);
    comment(alice, post, "reply", sentinelParent);
    JsonObject first = nextNotification(lastInbox, crowd.get(10));
    assertEquals("reply", first.getString("kind"), "the eleventh mention notifies nobody: " + first);

    // A mention in a post notifies too.
    Response p = api.post("/api/posts", alice, new JsonObject().put("title", "Hi").put("body", "cc @Dave_M"));
    assertEquals(201, p.status());
    JsonObject inPost = nextNotification(daveInbox, dave);
    assertEquals("mention", inPost.getString("kind"));
    assertNull(inPost.getValue("commentId"));
  }

  @Test
  void nobodyHearsFromSomeoneTheyBlockedNorOfTheirOwnActionsNorOfKindsTheyTurnedOff() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(carol, "Thread");
    long aliceComment = comment(alice, post, "alice", null);
    LiveClient aliceInbox = inbox(alice);

    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());
    // Bob may not reply to alice any more (she blocked him); his comment would reach her as a follower.
    comment(bob, post, "bob comments", null);
    comment(alice, post, "alice replies to herself", aliceComment);
    // Sentinel: carol replies, and alice hears only that.
    long carols = comment(carol, post, "carol replies", aliceComment);
    JsonObject first = nextNotification(aliceInbox, alice);
    assertEquals(carols, first.getLong("commentId"), "nothing from bob, nothing from herself: " + first);

    Response off = api.put("/api/me/notification-settings", alice, new JsonObject().put("replies", false));
    assertEquals(200, off.status(), off.toString());
    assertFalse(off.json().getBoolean("replies"));
    assertTrue(off.json().getBoolean("mentions"));
    comment(carol, post, "another reply", aliceComment);
    long sentinel = comment(carol, post, "and @alice, a mention", null);
    JsonObject next = nextNotification(aliceInbox, alice);
    assertEquals(sentinel, next.getLong("commentId"), "replies are off, mentions are on: " + next);
    assertEquals("mention", next.getString("kind"));
  }

  /**
   * A block closes replies both ways, and a mention is one addressed by name: the blocker's mentions of the person
   * she blocked, in a comment, a post or an edit, tell them nothing (a review: the blocker's "@bobby" notified bobby,
   * whose reply was then refused). What is not addressed to them still comes: a comment in a thread they follow.
   */
  @Test
  void theBlockersMentionsDoNotReachThePersonSheBlocked() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(carol, "Thread");
    comment(bob, post, "bob follows this thread by commenting", null);
    LiveClient bobInbox = inbox(bob);
    assertEquals(204, api.put("/api/me/blocks/bob", alice, null).status());

    long mentioning = comment(alice, post, "hey @bob look", null);
    Response mentioningPost = api.post("/api/posts", alice, new JsonObject().put("title", "About @bob")
        .put("body", "hello @bob"));
    assertEquals(201, mentioningPost.status(), mentioningPost.toString());
    // An edit adding the name, in a thread bob does not follow (where he would be told of nothing else).
    long elsewhere = api.createPost(carol, "Elsewhere");
    long plain = comment(alice, elsewhere, "no names here", null);
    assertEquals(200, api.patch("/api/comments/" + plain, alice, new JsonObject().put("body", "now @bob")).status());
    assertEquals(200, api.patch("/api/posts/" + mentioningPost.json().getLong("id"), alice,
        new JsonObject().put("body", "hello again @bob")).status());
    // Sentinel: carol mentions bob, and that is the next he hears after the follows of alice's comments.
    long carols = comment(carol, post, "and @bob, from carol", null);
    JsonObject first = nextNotification(bobInbox, bob);
    assertEquals(mentioning, first.getLong("commentId"), first.encode());
    assertEquals("followed", first.getString("kind"), "alice's comment in a thread he follows, not her mention");
    JsonObject second = nextNotification(bobInbox, bob);
    assertEquals(carols, second.getLong("commentId"), "nothing from alice's post or edits: " + second);
    assertEquals("mention", second.getString("kind"));
    assertEquals(0, TestParley.count("SELECT count(*) FROM notifications WHERE user_id = " + bob.id()
        + " AND kind = 'mention' AND actor_id = " + alice.id()));
  }

  @Test
  void aNotificationAboutContentSinceHiddenOrFromSomeoneSinceBlockedLeavesTheListAndTheCount() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Thread");
    LiveClient aliceInbox = inbox(alice);
    long bobs = comment(bob, post, "rude", null);
    long carols = comment(carol, post, "nice", null);
    nextNotification(aliceInbox, alice);
    nextNotification(aliceInbox, alice);
    assertEquals(2, unread(alice));

    assertEquals(204, api.post("/api/mod/comments/" + bobs + "/hide", mod, new JsonObject().put("reason", "rude"))
        .status());
    assertEquals(1, unread(alice));
    assertEquals(carols, items(alice).getJsonObject(0).getJsonObject("comment").getLong("id"));
    assertEquals(204, api.put("/api/me/blocks/carol", alice, null).status());
    assertEquals(0, unread(alice));
    assertEquals(0, items(alice).size());
  }

  /**
   * A notification about someone's comment on the post of an author the reader blocked keeps the comment, not the
   * post's title (as a profile's comment list and the reader's own reports give it; a probe found the title there).
   */
  @Test
  void aNotificationOnABlockedAuthorsPostDoesNotNameThePost() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    long post = api.createPost(alice, "Alice's title");
    assertEquals(204, api.put("/api/me/blocks/alice", carol, null).status());
    LiveClient carolInbox = inbox(carol);
    comment(bob, post, "what do you think, @carol?", null);
    nextNotification(carolInbox, carol);
    JsonObject mention = items(carol).getJsonObject(0);
    assertEquals("mention", mention.getString("kind"));
    assertEquals(post, mention.getJsonObject("post").getLong("id"));
    assertNull(mention.getJsonObject("post").getValue("title"), mention.encode());
    assertTrue(mention.getJsonObject("comment").getString("excerpt").startsWith("what do you think"));
    assertEquals(204, api.delete("/api/me/blocks/alice", carol).status());
    assertEquals("Alice's title", items(carol).getJsonObject(0).getJsonObject("post").getString("title"));
  }

  @Test
  void moderationOfYourContentAndTheOutcomeOfYourReportsAreNotified() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    long aliceComment = comment(alice, post, "something", null);
    long bobComment = comment(bob, post, "spam spam", null);
    LiveClient aliceInbox = inbox(alice);
    LiveClient bobInbox = inbox(bob);
    assertEquals("comment", nextNotification(aliceInbox, alice).getString("kind"), "bob commented on her post");

    assertEquals(204, api.post("/api/mod/comments/" + aliceComment + "/hide", mod,
        new JsonObject().put("reason", "Off topic")).status());
    JsonObject hidden = nextNotification(aliceInbox, alice);
    assertEquals("moderation", hidden.getString("kind"));
    JsonObject item = items(alice).getJsonObject(0);
    assertEquals(new JsonObject().put("action", "comment.hidden").put("reason", "Off topic"), item.getJsonObject("detail"));
    assertNull(item.getValue("actor"), "which moderator hid it is the moderators' to know: " + item.encode());

    // Alice reports bob's comment; the moderator dismisses it; then she reports it again and it is hidden.
    Response report = api.post("/api/reports", alice, new JsonObject().put("targetType", "comment")
        .put("targetId", bobComment).put("reason", "spam"));
    assertEquals(201, report.status());
    assertEquals(204, api.post("/api/mod/reports/" + report.json().getLong("id") + "/resolve", mod,
        new JsonObject().put("action", "dismiss")).status());
    JsonObject dismissed = nextNotification(aliceInbox, alice);
    assertEquals("report", dismissed.getString("kind"));
    assertEquals(bobComment, dismissed.getLong("commentId"));

    Response again = api.post("/api/reports", alice, new JsonObject().put("targetType", "comment")
        .put("targetId", bobComment).put("reason", "spam"));
    assertEquals(204, api.post("/api/mod/comments/" + bobComment + "/hide", mod, new JsonObject().put("reason", "spam"))
        .status());
    assertEquals("report", nextNotification(aliceInbox, alice).getString("kind"));
    assertEquals("moderation", nextNotification(bobInbox, bob).getString("kind"), "bob hears his comment was hidden");
    JsonArray list = items(alice);
    JsonObject outcome = list.getJsonObject(0);
    assertEquals(new JsonObject().put("outcome", "hidden").put("targetType", "comment"), outcome.getJsonObject("detail"));
    assertNull(outcome.getJsonObject("comment").getString("excerpt"), "the hidden words are not repeated");
    assertEquals(new JsonObject().put("outcome", "dismissed").put("targetType", "comment"),
        list.getJsonObject(1).getJsonObject("detail"));
    assertNull(outcome.getValue("actor"), "who settled a report is not said: " + outcome.encode());
    assertNull(list.getJsonObject(1).getValue("actor"), list.getJsonObject(1).encode());
    assertNull(items(bob).getJsonObject(0).getValue("actor"), items(bob).getJsonObject(0).encode());
    assertNotNull(again.json().getLong("id"));
  }

  /**
   * A moderator's deletion of someone's post or comment tells its author, as a hide does (they were told nothing,
   * and found it gone); an author's own deletion, or a moderator's of their own, tells nobody.
   */
  @Test
  void aModeratorsDeletionIsToldToTheAuthorAndOnesOwnIsNot() throws Exception {
    Session mod = api.registerWithRole("mod", "moderator");
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(bob, "Bob's thread");
    long bobsOther = api.createPost(bob, "Bob's other thread");
    long aliceComment = comment(alice, post, "something regrettable", null);
    long aliceOwn = comment(alice, post, "something she takes back", null);
    long modComment = comment(mod, post, "a moderator's own words", null);
    TestParley.notificationsMade();
    LiveClient aliceInbox = inbox(alice);
    LiveClient bobInbox = inbox(bob);
    // What the comments made (bob's post; alice follows the thread she commented in), replayed to each inbox.
    int aliceBefore = items(alice).size();
    for (int i = 0; i < aliceBefore; i++) nextNotification(aliceInbox, alice);
    for (int i = items(bob).size(); i > 0; i--) nextNotification(bobInbox, bob);

    assertEquals(204, api.delete("/api/comments/" + aliceOwn, alice).status());
    assertEquals(204, api.delete("/api/comments/" + modComment, mod).status());
    assertEquals(204, api.delete("/api/comments/" + aliceComment, mod).status());
    assertEquals("moderation", nextNotification(aliceInbox, alice).getString("kind"));
    JsonArray list = items(alice);
    List<Object> told = list.stream().filter(n -> "moderation".equals(((JsonObject) n).getString("kind"))).toList();
    assertEquals(1, told.size(), "one, for the moderator's deletion: " + list.encodePrettily());
    JsonObject item = list.getJsonObject(0);
    assertEquals(new JsonObject().put("action", "comment.deleted"), item.getJsonObject("detail"));
    assertEquals("Bob's thread", item.getJsonObject("post").getString("title"));
    assertEquals(aliceComment, item.getJsonObject("comment").getLong("id"));
    assertNull(item.getJsonObject("comment").getString("excerpt"), "the deleted words are gone");
    assertNull(item.getValue("actor"), "which moderator is the moderators' to know: " + item.encode());

    assertEquals(204, api.delete("/api/posts/" + bobsOther, mod).status());
    JsonObject postTold = nextNotification(bobInbox, bob);
    assertEquals("moderation", postTold.getString("kind"));
    JsonObject bobs = items(bob).getJsonObject(0);
    assertEquals(new JsonObject().put("action", "post.deleted"), bobs.getJsonObject("detail"));
    assertEquals(bobsOther, bobs.getJsonObject("post").getLong("id"));
    assertEquals("Bob's other thread", bobs.getJsonObject("post").getString("title"), "his own post, named though gone");
    // Bob deletes his own thread: nothing more.
    assertEquals(204, api.delete("/api/posts/" + post, bob).status());
    TestParley.notificationsMade();
    assertEquals(1, items(bob).stream().filter(n -> "moderation".equals(((JsonObject) n).getString("kind"))).count(),
        items(bob).encodePrettily());
  }

  @Test
  void readingMarksOnlyYourOwnAndEveryTabHearsIt() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    long bobsPost = api.createPost(bob, "Bob's");
    LiveClient aliceTab1 = inbox(alice);
    LiveClient aliceTab2 = inbox(alice);
    LiveClient bobInbox = inbox(bob);
    comment(bob, post, "one", null);
    comment(bob, post, "two", null);
    comment(alice, bobsPost, "to bob", null);
    long first = nextNotification(aliceTab1, alice).getLong("id");
    long second = nextNotification(aliceTab1, alice).getLong("id");
    long bobs = nextNotification(bobInbox, bob).getLong("id");
    nextNotification(aliceTab2, alice);
    nextNotification(aliceTab2, alice);

    // Unread first, then by time; keyset pages.
    Response page1 = api.get("/api/me/notifications?order=unread&limit=1", alice);
    assertEquals(second, page1.json().getJsonArray("items").getJsonObject(0).getLong("id"));
    assertEquals(2, page1.json().getLong("unread"));
    String cursor = page1.json().getString("nextCursor");
    assertNotNull(cursor);
    Response page2 = api.get("/api/me/notifications?order=unread&limit=1&cursor=" + cursor, alice);
    assertEquals(first, page2.json().getJsonArray("items").getJsonObject(0).getLong("id"));
    // The newest-first order's cursor (an id alone) is not one of this order's: refused, not read as another list.
    String newestCursor = api.get("/api/me/notifications?limit=1", alice).json().getString("nextCursor");
    Response mixed = api.get("/api/me/notifications?order=unread&limit=1&cursor=" + newestCursor, alice);
    assertEquals(400, mixed.status(), mixed.toString());
    assertTrue(mixed.body().contains("is not a cursor of this order"), mixed.toString());
    // Nor the other way round (a probe: its key was ignored, and a page of the other list answered).
    Response mixedBack = api.get("/api/me/notifications?limit=1&cursor=" + cursor, alice);
    assertEquals(400, mixedBack.status(), mixedBack.toString());
    assertTrue(mixedBack.body().contains("is not a cursor of this order"), mixedBack.toString());

    // Alice names bob's notification too: it stays unread; hers are read.
    Response read = api.post("/api/me/notifications/read", alice, new JsonObject().put("ids", new JsonArray()
        .add(first).add(bobs)));
    assertEquals(200, read.status(), read.toString());
    assertEquals(1, read.json().getLong("unread"));
    assertEquals(1, unread(bob), "bob's stays unread");
    for (LiveClient tab : List.of(aliceTab1, aliceTab2)) {
      JsonObject event = tab.nextEvent("parley.user." + alice.id());
      assertEquals("notifications.read", event.getString("type"));
      assertEquals(1, event.getJsonObject("data").getLong("unread"));
      assertEquals(new JsonArray().add(first), event.getJsonObject("data").getJsonArray("ids"));
    }
    Response upTo = api.post("/api/me/notifications/read", alice, new JsonObject().put("upTo", second));
    assertEquals(0, upTo.json().getLong("unread"));
    assertEquals(0, aliceTab2.nextEvent("parley.user." + alice.id()).getJsonObject("data").getLong("unread"));

    // Page order after reading: newest first, all read.
    JsonArray after = items(alice);
    assertEquals(second, after.getJsonObject(0).getLong("id"));
    assertTrue(after.getJsonObject(0).getBoolean("read"));
  }

  @Test
  void notificationsACrashLeftOutAreMadeByTheCatchUpOnceEach() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Thread");
    LiveClient aliceInbox = inbox(alice);
    long bobs = comment(bob, post, "before the crash", null);
    nextNotification(aliceInbox, alice);
    Notifier notifier = TestParley.server().running().notifier();
    // As if the node had died between the comment's commit and its notifications: neither made nor marked handled.
    TestParley.sql("DELETE FROM notifications");
    TestParley.sql("DELETE FROM notification_sources");

    int handled = notifier.catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO)
        .toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(handled >= 1, "the comment's event was found: " + handled);
    JsonObject made = nextNotification(aliceInbox, alice);
    assertEquals(bobs, made.getLong("commentId"));
    assertEquals(1, items(alice).size());
    int again = notifier.catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO)
        .toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(0, again, "handled events are not gone over again");
    assertEquals(1, items(alice).size());
  }

  @Test
  void aFollowCountsFromWhenItWasMadeHoweverLateTheNotifierIs() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session erin = api.register("erin");
    long post = api.createPost(alice, "Thread");
    LiveClient aliceInbox = inbox(alice);
    comment(bob, post, "before erin followed", null);
    nextNotification(aliceInbox, alice);
    Notifier notifier = TestParley.server().running().notifier();
    // The notifier reaches bob's comment only after erin has followed (a slow node, or the catch-up after a crash).
    TestParley.sql("DELETE FROM notifications");
    TestParley.sql("DELETE FROM notification_sources");
    assertEquals(200, api.put("/api/posts/" + post + "/follow", erin, null).status());
    notifier.catchUp(java.time.Duration.ofMinutes(10), java.time.Duration.ZERO)
        .toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(1, items(alice).size(), "the post's author is told");
    assertEquals(0, items(erin).size(), "a comment from before the follow is not news to the follower");

    LiveClient erinInbox = inbox(erin);
    long later = comment(bob, post, "after erin followed", null);
    assertEquals(later, nextNotification(erinInbox, erin).getLong("commentId"));
  }

  /**
   * Parley never deletes a post, comment or account, but an operator may, by hand: the notifications about it go with
   * it (a post's, a comment's), an actor's name is forgotten, as the foreign keys did before V21; and a notification
   * whose post or comment is gone anyway (made by hand) is neither listed nor counted.
   */
  @Test
  void whatIsDeletedByHandTakesItsNotificationsWithItAndADanglingOneIsNotShown() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session erin = api.register("erin");
    long kept = api.createPost(alice, "Kept");
    long purged = api.createPost(alice, "Purged");
    LiveClient aliceInbox = inbox(alice);
    long onKept = comment(bob, kept, "stays", null);
    long purgedComment = comment(bob, kept, "purged by hand", null);
    long onPurged = comment(bob, purged, "in a purged thread", null);
    for (int i = 0; i < 3; i++) nextNotification(aliceInbox, alice);
    assertEquals(3, unread(alice));
    String aliceId = Long.toString(alice.id());
    TestParley.sql("INSERT INTO notifications (user_id, kind, source, post_id, actor_id) VALUES (" + aliceId
        + ", 'moderation', 'test:erin', " + kept + ", " + erin.id() + ")");

    TestParley.sql("DELETE FROM comments WHERE id = " + purgedComment);
    TestParley.sql("DELETE FROM comments WHERE id = " + onPurged);
    TestParley.sql("DELETE FROM posts WHERE id = " + purged);
    TestParley.sql("DELETE FROM users WHERE id = " + erin.id());
    assertEquals(0, TestParley.count("SELECT count(*) FROM notifications WHERE comment_id IN (" + purgedComment + ", "
        + onPurged + ") OR post_id = " + purged), "the purged comments' and post's notifications went with them");
    assertEquals(1, TestParley.count("SELECT count(*) FROM notifications WHERE source = 'test:erin' AND actor_id IS NULL"),
        "the deleted actor is forgotten, the notification kept");
    assertEquals(1, TestParley.count("SELECT count(*) FROM notifications WHERE comment_id = " + onKept));
    assertEquals(2, unread(alice), "the comment that stays, and the moderation note");

    // References to nothing, as a hand-made row could have: a post that does not exist, a comment that does not.
    TestParley.sql("INSERT INTO notifications (user_id, kind, source, post_id, comment_id, actor_id) VALUES (" + aliceId
        + ", 'comment', 'test:no-post', 999999999, NULL, " + bob.id() + "), (" + aliceId
        + ", 'reply', 'test:no-comment', " + kept + ", 999999999, " + bob.id() + ")");
    JsonArray items = items(alice);
    List<String> kinds = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) kinds.add(items.getJsonObject(i).getString("kind"));
    assertEquals(List.of("moderation", "comment"), kinds, items.encodePrettily());
    assertEquals(onKept, items.getJsonObject(1).getJsonObject("comment").getLong("id"));
    assertNull(items.getJsonObject(0).getJsonObject("actor"), "the deleted actor: " + items.getJsonObject(0));
    assertEquals(2, unread(alice), "the comment that stays and the moderation note; nothing dangling");
  }

  @Test
  void refusals() {
    Session alice = api.register("alice");
    assertEquals(401, api.get("/api/me/notifications", null).status());
    assertEquals(401, api.post("/api/me/notifications/read", null, new JsonObject().put("upTo", 1)).status());
    assertEquals(401, api.put("/api/posts/1/follow", null, null).status());
    for (JsonObject bad : List.of(new JsonObject(), new JsonObject().put("upTo", "x"), new JsonObject().put("ids", "1"),
        new JsonObject().put("ids", new JsonArray().add(-1)), new JsonObject().put("ids", new JsonArray().add(1.5)),
        new JsonObject().putNull("upTo"), new JsonObject().put("ids", new JsonArray()),
        new JsonObject().putNull("upTo").put("ids", new JsonArray()))) {
      Response r = api.post("/api/me/notifications/read", alice, bad);
      assertEquals(400, r.status(), bad + " " + r);
      assertEquals("application/problem+json", r.contentType(), r.toString());
    }
    // Numbers as written on the wire: a whole number too big for an id must not wrap to a small one (2^64 + 41 is 41
    // as a long), and 1.0 or 1e20 are not ids.
    for (String bad : List.of("{\"ids\":[18446744073709551657]}", "{\"ids\":[1.0]}", "{\"ids\":[1e20]}",
        "{\"upTo\":18446744073709551657}")) {
      Response r = api.raw("POST", "/api/me/notifications/read", "Bearer " + alice.token(), bad, "application/json");
      assertEquals(400, r.status(), bad + " " + r);
      assertEquals(List.of(bad.contains("upTo") ? "upTo" : "ids"), r.errorFields(), r.toString());
    }
    assertEquals(400, api.get("/api/me/notifications?order=sideways", alice).status());
    assertEquals(400, api.get("/api/me/notifications?limit=0", alice).status());
    assertEquals(400, api.put("/api/me/notification-settings", alice, new JsonObject().put("carrier_pigeon", true))
        .status());
    assertEquals(400, api.put("/api/me/notification-settings", alice, new JsonObject().put("replies", "no")).status());
    assertEquals(404, api.put("/api/posts/999999/follow", alice, null).status());
    assertEquals(404, api.get("/api/posts/abc/follow", alice).status());
    assertTrue(api.get("/api/me/notification-settings", alice).json().getBoolean("replies"), "unchanged");
  }
}
