package parley.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cursor is read only by the list, and the sort, that issued it: one with a sort key sent to a list in id order, or
 * Best's sent to New or Old, was read as a bare id and answered 200 with a wrong page (an empty one, when a thread
 * switched from Best to Old); a review found it on every list but the feed. Now 400 on {@code cursor}, and the lists'
 * own cursors still page.
 */
@ExtendWith(TestParley.class)
class CursorsTest {

  private final Api api = Api.local();

  private static String keyed(long id, String key) {
    return Page.encode(key, id);
  }

  private static void refused(Response r, String what) {
    assertEquals(400, r.status(), what + ": " + r);
    assertEquals(List.of("cursor"), r.errorFields(), what);
  }

  @Test
  void aCursorWithASortKeyIsRefusedByTheListsInIdOrder() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("sam_mod", "moderator");
    long post = api.createPost(alice, "First");
    api.createPost(alice, "Second");
    api.comment(alice, post, "One", null);
    api.comment(alice, post, "Two", null);
    String forged = keyed(post, "garbage");
    for (String path : List.of("/api/users/alice/posts", "/api/users/alice/comments", "/api/feed/following",
        "/api/me/blocks", "/api/me/reports", "/api/mod/log")) {
      refused(api.get(path + "?cursor=" + forged, path.startsWith("/api/mod") ? mod : alice), path);
    }

    // Their own cursors page as before.
    Response first = api.get("/api/users/alice/posts?limit=1", alice);
    assertEquals(200, first.status(), first.toString());
    String next = first.json().getString("nextCursor");
    assertNotNull(next, first.toString());
    Response second = api.get("/api/users/alice/posts?limit=1&cursor=" + next, alice);
    assertEquals(200, second.status(), second.toString());
    assertEquals(List.of(post), second.ids());
  }

  @Test
  void aThreadsBestCursorIsRefusedByNewAndOldAndTheirsByBest() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Thread");
    for (String body : List.of("One", "Two", "Three")) api.comment(alice, post, body, null);
    String path = "/api/posts/" + post + "/comments?limit=1";

    String best = api.get(path + "&sort=best").json().getString("nextCursor");
    String old = api.get(path + "&sort=old").json().getString("nextCursor");
    assertNotNull(best);
    assertNotNull(old);
    refused(api.get(path + "&sort=old&cursor=" + best), "Best's cursor sent to Old");
    refused(api.get(path + "&sort=new&cursor=" + best, alice), "Best's cursor sent to New, signed in");
    refused(api.get(path + "&sort=best&cursor=" + old), "Old's cursor sent to Best");

    Response second = api.get(path + "&sort=old&cursor=" + old);
    assertEquals(200, second.status(), second.toString());
    assertEquals(1, second.ids().size());
    assertTrue(api.get(path + "&sort=best&cursor=" + best).status() == 200);
    // Best's own shape with a key it never issues: parseDouble took every one of these (a hostile review).
    long last = api.get(path + "&sort=best").ids().get(0);
    for (String key : List.of("NaN", "Infinity", "-Infinity", "1e309", "-1e309", "0x1p3", "1d", "2.0", "-0.5", "-1.0",
        " 0.5", "0.5 ", "")) {
      refused(api.get(path + "&sort=best&cursor=" + keyed(last, key)), "best key " + key);
    }
    assertEquals(200, api.get(path + "&sort=best&cursor=" + keyed(last, "0.0")).status());
    assertEquals(200, api.get(path + "&sort=best&cursor=" + keyed(last, "1.0E-5")).status());
    // What PostgreSQL's arithmetic gives for no up votes of 15 (with down votes on), and the server then issues.
    assertEquals(200, api.get(path + "&sort=best&cursor=" + keyed(last, "-2.2096511667503485E-17")).status());
  }
}
