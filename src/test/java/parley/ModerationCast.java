package parley;

import io.vertx.core.json.JsonObject;
import parley.Api.Response;
import parley.Api.Session;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cast and the helpers that the report, moderation and admin tests share: alice writes, bob is an ordinary
 * reader, mod moderates, boss administers. A test class extends this and calls {@link #cast()} from its own
 * {@code @BeforeEach}, which runs after {@link TestParley} has emptied the tables.
 *
 * <p>{@link #snapshot()} is what the refusal tests compare: everything moderation could change, so "a refused call
 * changes nothing" is checked against the whole database rather than against the one row the call named.
 */
public abstract class ModerationCast {

  protected final Api api = Api.local();

  protected Session alice;
  protected Session bob;
  protected Session mod;
  protected Session boss;

  /** Registers the four accounts, the two staff ones with their roles set directly in the database. */
  protected void cast() throws Exception {
    alice = api.register("alice");
    bob = api.register("bob");
    mod = api.registerWithRole("mod", "moderator");
    boss = api.registerWithRole("boss", "admin");
  }

  // ---- request bodies and calls ----

  protected static JsonObject reason(String reason) {
    return new JsonObject().put("reason", reason);
  }

  protected static JsonObject report(String type, long id, String reason) {
    return new JsonObject().put("targetType", type).put("targetId", id).put("reason", reason);
  }

  /** Reports a post or comment and returns the new report's id. */
  protected long reportId(Session as, String type, long id, String reason) {
    Response r = api.post("/api/reports", as, report(type, id, reason));
    assertEquals(201, r.status(), "report " + type + " " + id + ": " + r);
    return r.json().getLong("id");
  }

  /** A moderation action succeeded: they answer 204 with no body. */
  protected static void ok(Response r, String what) {
    assertEquals(204, r.status(), what + ": " + r);
  }

  protected void ban(Session as, String username, JsonObject body) {
    ok(api.post("/api/mod/users/" + username + "/ban", as, body), "ban " + username);
  }

  /** One comment of a thread as this reader gets it from the thread's list. */
  protected JsonObject commentAsSeenBy(Session reader, long postId, long commentId) {
    Response r = api.get("/api/posts/" + postId + "/comments", reader);
    assertEquals(200, r.status(), r.toString());
    return r.item(commentId);
  }

  protected static void assertProblem(Response r, int status, String what) {
    assertEquals(status, r.status(), what + ": " + r);
    assertEquals("application/problem+json", r.contentType(), what + ": content type");
    assertEquals(status, r.json().getInteger("status"), what + ": problem status");
  }

  // ---- what the database holds ----

  /** One text value from the database. */
  protected static String text(String query) throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(query)) {
      assertTrue(rs.next(), "no row for " + query);
      return rs.getString(1);
    }
  }

  /**
   * Everything moderation could change, as one string: posts, comments, accounts, reports, blocks and the audit log.
   * A refused call must leave it exactly as it was.
   */
  protected static String snapshot() throws Exception {
    return text("SELECT concat_ws(' | ', "
        + "(SELECT string_agg(id::text || ':' || (hidden_at IS NOT NULL)::text || ',' || (locked_at IS NOT NULL)::text"
        + " || ',' || (deleted_at IS NOT NULL)::text || ',' || (edited_at IS NOT NULL)::text || ',' || comment_count::text"
        + " || ',' || (pending_at IS NOT NULL)::text || ',' || title, ';' ORDER BY id) FROM posts"
        + " JOIN post_activity ON post_id = id), "
        + "(SELECT string_agg(id::text || ':' || (hidden_at IS NOT NULL)::text || ',' || (deleted_at IS NOT NULL)::text"
        + " || ',' || (edited_at IS NOT NULL)::text || ',' || (pending_at IS NOT NULL)::text, ';' ORDER BY id)"
        + " FROM comments), "
        + "(SELECT string_agg(id::text || ':' || kind || ',' || pattern || ',' || action, ';' ORDER BY id)"
        + " FROM mod_filters), "
        + "'notes=' || (SELECT count(*) FROM user_notes)::text, "
        + "(SELECT string_agg(username || ':' || role || ',' || coalesce(banned_until::text, '-'), ';' ORDER BY id)"
        + " FROM users), "
        + "(SELECT string_agg(id::text || ':' || status, ';' ORDER BY id) FROM reports), "
        + "(SELECT string_agg(blocker_id::text || '>' || blocked_id::text, ';' ORDER BY blocker_id, blocked_id)"
        + " FROM blocks), "
        + "(SELECT string_agg(target_type || target_id::text || ':' || moderator_id::text || ',' || expires_at::text, ';'"
        + " ORDER BY target_type, target_id) FROM mod_claims), "
        + "'log=' || (SELECT count(*) FROM mod_log)::text)");
  }

  /** The word that puts content on hold: a filter entry made straight in the database (no audit row). */
  protected static final String HELD_WORD = "heldword";

  protected static void holdWord() throws Exception {
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) "
        + "SELECT 'word', '" + HELD_WORD + "', 'hold', min(id) FROM users ON CONFLICT DO NOTHING");
  }

  /** A post of {@code as} that the filter holds for review; returns its id. */
  protected long pendingPost(Session as, String title) throws Exception {
    holdWord();
    Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", "a " + HELD_WORD));
    assertEquals(201, r.status(), r.toString());
    assertTrue(r.json().getBoolean("pending"), "held: " + r);
    return r.json().getLong("id");
  }

  /** A comment of {@code as} that the filter holds for review; returns its id. */
  protected long pendingComment(Session as, long post) throws Exception {
    holdWord();
    Response r = api.post("/api/posts/" + post + "/comments", as, new JsonObject().put("body", "a " + HELD_WORD));
    assertEquals(201, r.status(), r.toString());
    assertTrue(r.json().getBoolean("pending"), "held: " + r);
    return r.json().getLong("id");
  }

  protected static long logRows() throws Exception {
    return TestParley.count("SELECT count(*) FROM mod_log");
  }

  /** The newest audit row as "actor action targetType targetId". */
  protected static String newestLog() throws Exception {
    return text("SELECT u.username || ' ' || l.action || ' ' || l.target_type || ' ' || l.target_id::text "
        + "FROM mod_log l JOIN users u ON u.id = l.actor_id ORDER BY l.id DESC LIMIT 1");
  }
}
