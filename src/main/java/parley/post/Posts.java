package parley.post;

import parley.account.Mentions;
import parley.markdown.Markdown;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import parley.events.EventLog;
import parley.events.EventType;
import parley.events.Publication;
import parley.events.Topics;
import parley.http.Idempotency;
import parley.http.Page;
import parley.access.Principal;
import parley.access.Visibility;
import parley.http.Problem;
import parley.moderation.AuditLog;
import parley.report.Claims;
import parley.report.Reports;
import parley.screening.Filter;
import parley.screening.Screening;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The post feature's API for the rest of Parley: posts in PostgreSQL. A deleted post is kept (soft delete) but no
 * reader path returns it. Every change writes its events in the same transaction.
 */
public final class Posts {

  private static final String INSERT = """
      WITH p AS (
        INSERT INTO posts (author_id, title, body, body_html, excerpt, sources, pending_at, pending_reason, tags,
                           description)
        VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::text IS NOT NULL THEN now() END, $7, $8, $9)
        RETURNING *),
      -- What the posts_activity trigger writes, which this statement's snapshot cannot see.
      pa AS (SELECT id AS post_id, 0 AS comment_count, created_at AS last_activity_at FROM p)
      SELECT %s FROM p JOIN users u ON u.id = p.author_id JOIN pa ON pa.post_id = p.id""".formatted(Post.COLUMNS);

  /**
   * The post, its thread's current seq (read in one snapshot, so a resume from that seq misses nothing), and
   * whether the reader $2 (or 0) blocked its author.
   */
  private static final String FIND = "SELECT " + Post.COLUMNS + ", COALESCE(t.seq, 0) AS seq,"
      + " b.blocker_id IS NOT NULL AS author_blocked"
      + " FROM posts p JOIN users u ON u.id = p.author_id " + Post.ACTIVITY
      + " LEFT JOIN topic_seqs t ON t.topic = '" + Topics.POST_PREFIX + "' || p.id"
      + " " + Visibility.blockedJoin("b", "$2", "p.author_id")
      + " WHERE p.id = $1 AND " + Visibility.exists("p");

  /**
   * Newest first, keyset on id through the posts_feed index; $1 is the last id seen (or null), $3 the reader (or
   * 0), whose blocked authors are left out.
   */
  /** The feed's statement for one order (public for the plan tests). */
  public static String list(FeedSort sort) {
    return "SELECT " + Post.COLUMNS
        + " FROM posts p JOIN users u ON u.id = p.author_id " + Post.ACTIVITY
        + " WHERE " + Visibility.listed("p") + " AND " + sort.where()
        + " AND ($1::text IS NULL OR p.tags @> ARRAY[$1::text])"
        + " AND " + Visibility.notBlocked("$3", "p.author_id")
        + " ORDER BY " + sort.orderBy() + " LIMIT $2";
  }

  /** One statement per sort, built once. */
  private static final java.util.Map<FeedSort, String> LISTS = new java.util.EnumMap<>(FeedSort.class);

  static {
    for (FeedSort sort : FeedSort.values()) LISTS.put(sort, list(sort));
  }

  /**
   * The most used tags on listed posts, with how many posts carry each; $2 is the reader (0 signed out), whose
   * blocked authors' posts are not counted (a count would show them). The counts are kept as posts change (V35's
   * tag_counts) and the most used read off its index: counted from every post, this took 64 ms at 100,000 posts
   * (docs/benchmarks/reads-at-scale.md). A reader who blocked anyone gets the second branch (the first is then empty,
   * and the second for everyone else): every tag's count less their blocked authors' listed posts carrying it, read
   * through posts_by_author. Public for the plan tests.
   */
  public static final String TAGS = """
      (SELECT tag, posts FROM tag_counts WHERE posts > 0 AND NOT %1$s ORDER BY posts DESC, tag LIMIT $1)
      UNION ALL
      (SELECT c.tag, c.posts - COALESCE(x.n, 0) AS posts
         FROM tag_counts c
         LEFT JOIN (SELECT t.tag, count(*) AS n
                      FROM blocks b JOIN posts p ON p.author_id = b.blocked_id, unnest(p.tags) AS t(tag)
                     WHERE b.blocker_id = $2 AND %2$s
                     GROUP BY t.tag) x ON x.tag = c.tag
        WHERE c.posts - COALESCE(x.n, 0) > 0 AND %1$s
        ORDER BY 2 DESC, 1 LIMIT $1)
      ORDER BY posts DESC, tag""".formatted(Visibility.blocksAnyone("$2"), Visibility.listed("p"));

  private static final String SET_TAGS = "UPDATE posts SET tags = $2 WHERE id = $1";

  /**
   * A profile's posts, newest first, through posts_by_author; no row at all when the user does not exist. The user
   * themself ($4) also gets their hidden and pending ones: a second branch, empty for anyone else, so that the listed
   * branch keeps its partial index; it reads all of the author's restricted posts (a few) and the outer sort pages
   * them, since no index orders them by id (QueriesTest checks both plans).
   */
  static final String BY_AUTHOR = """
      SELECT %s
        FROM users a
        LEFT JOIN LATERAL (
          SELECT * FROM (
            (SELECT * FROM posts
              WHERE author_id = a.id AND %s
                AND id < COALESCE($2, 9223372036854775807)
                AND %s
              ORDER BY id DESC
              LIMIT $3)
            UNION ALL
            (SELECT * FROM posts
              WHERE author_id = a.id AND a.id = $4 AND deleted_at IS NULL AND %s
                AND id < COALESCE($2, 9223372036854775807))) mine
           ORDER BY id DESC
           LIMIT $3) p ON true
        LEFT JOIN users u ON u.id = p.author_id
        LEFT JOIN post_activity pa ON pa.post_id = p.id
       WHERE lower(a.username) = lower($1)
       ORDER BY p.id DESC""".formatted(Post.COLUMNS, Visibility.listed(""), Visibility.notBlocked("$4", "a.id"),
          Visibility.restrictedRow(""));

  private static final String UPDATE = """
      UPDATE posts
         SET title = COALESCE($2, title),
             body = COALESCE($3, body),
             body_html = COALESCE($4, body_html),
             excerpt = COALESCE($5, excerpt),
             sources = COALESCE($6, sources),
             tags = COALESCE($7, tags),
             description = COALESCE($8, description),
             edited_at = now()
       WHERE id = $1""";

  private static final String SOFT_DELETE = "UPDATE posts SET deleted_at = now() WHERE id = $1";

  /** A post with its thread's seq, for GET /api/posts/{id}, and whether the reader blocked its author. */
  public record Read(Post post, long seq, boolean authorBlocked) {
  }

  /** A thread as the live side needs it: who wrote it, whether it is hidden, and its seq, from one snapshot. */
  public record ThreadState(long authorId, boolean hidden, long seq) {
    /** The seq, if this reader may read the thread (not hidden from them). */
    public Optional<Long> readableAt(Principal reader) {
      return Visibility.readable(reader, authorId, hidden) ? Optional.of(seq) : Optional.empty();
    }
  }

  private final Pool pool;
  private final EventLog events;
  private final Screening screening;

  /** Posts read through {@code pool}, written through {@code events}' transactions and screened on the way in. */
  public Posts(Pool pool, EventLog events, Screening screening) {
    this.pool = pool;
    this.events = events;
    this.screening = screening;
  }

  Pool pool() {
    return pool;
  }

  /** The thread's state, or empty if its post does not exist or was deleted. */
  public Future<Optional<ThreadState>> thread(long postId) {
    return find(postId, 0).map(found -> found.map(read ->
        new ThreadState(read.post().authorId(), read.post().restricted(), read.seq())));
  }

  /**
   * Writes a new post: published at once (to the feed and the moderators), or, when screening holds it, pending
   * (to the moderators' queue and its author only).
   */
  public Future<Post> insert(Principal author, PostInput input, Idempotency.Claim<Post> claim) {
    return events.transaction(claim, box -> {
      SqlConnection conn = box.connection();
      return Mentions.render(conn, input.body())
          .compose(rendered -> screening.screen(conn, author, Screening.Kind.POST, screened(input),
                  rendered.links() + input.sources().size())
              .compose(verdict -> conn.preparedQuery(INSERT)
                  .execute(Tuple.of(author.id(), input.title(), input.body(), rendered.html(), rendered.excerpt(),
                      input.sources().toArray(String[]::new), verdict.heldFor(), input.tags().toArray(String[]::new),
                      input.description()))
                  .map(rows -> Post.fromRow(rows.iterator().next()))
                  .compose(post -> box.publish(post.pending()
                      ? Publication.of(EventType.POST_PENDING, author.id(), post.toJson())
                          .forModerators(post.toJson().put("pendingReason", verdict.heldFor()))
                      : created(post)).map(post))));
    });
  }

  /** What the holds read of a post as it stands: as {@link #screened(PostInput)}. */
  private static String screened(Post post) {
    return String.join("\n", post.title(), post.description() == null ? "" : post.description(), post.body(),
        String.join("\n", post.sources()));
  }

  /** Where a post's links out lead, as the holds count them for a new post: its body's and its sources. */
  private static List<String> links(Post post) {
    List<String> all = new java.util.ArrayList<>(Markdown.linkTargets(post.bodyHtml()));
    all.addAll(post.sources());
    return all;
  }

  /** The text screening reads: title, description, body and sources (those the input has). */
  private static String screened(PostInput input) {
    return String.join("\n", input.title() == null ? "" : input.title(),
        input.description() == null ? "" : input.description(), input.body() == null ? "" : input.body(),
        input.sources() == null ? "" : String.join("\n", input.sources()));
  }

  /** A post's arrival, for the feed and the moderators: when it is written, or when a moderator approves it. */
  private static Publication created(Post post) {
    return Publication.of(EventType.POST_CREATED, post.authorId(), post.toJson()).forFeed(post.toListItemJson());
  }

  /** The arrival of a post a moderator just approved, read in the approval's transaction. */
  public Future<Publication> published(SqlClient client, long id) {
    return findIn(client, id).map(Posts::created);
  }

  public Future<Optional<Read>> find(long id, long readerId) {
    return pool.preparedQuery(FIND).execute(Tuple.of(id, readerId)).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      Row row = rows.iterator().next();
      return Optional.of(new Read(Post.fromRow(row), row.getLong("seq"), row.getBoolean("author_blocked")));
    });
  }

  /**
   * A user's posts, or empty when there is no such user: the listed ones, and for the user themself ({@code readerId})
   * their hidden and pending ones too, so that what is held or was removed can be found again.
   */
  public Future<Optional<List<Post>>> byAuthor(String username, Page page, long readerId) {
    return pool.preparedQuery(BY_AUTHOR).execute(Tuple.of(username, page.after(), page.fetchSize(), readerId))
        .map(rows -> {
          if (rows.size() == 0) return Optional.empty();
          List<Post> posts = new ArrayList<>();
          rows.forEach(row -> {
            if (row.getLong("id") != null) posts.add(Post.fromRow(row));
          });
          return Optional.of(posts);
        });
  }

  /** A page of the feed in one order, optionally of one tag. */
  Future<List<Post>> list(Page page, long readerId, FeedSort sort, FeedSort.Period period, String tag) {
    Tuple args = sort.cursor(Tuple.of(tag, page.fetchSize(), readerId), page, period);
    return pool.preparedQuery(LISTS.get(sort)).execute(args).map(Posts::posts);
  }

  /** The newest listed posts as anyone signed out sees them, optionally of one tag: what the Atom feeds carry. */
  public Future<List<Post>> newest(int limit, String tag) {
    return list(new Page(limit, null, null), 0, FeedSort.NEW, FeedSort.Period.ALL, tag)
        .map(posts -> posts.size() > limit ? posts.subList(0, limit) : posts);
  }

  /** Whether {@code tag} is a tag as posts carry them (lowercase letters, digits and inner hyphens, 1 to 30). */
  public static boolean isTag(String tag) {
    return tag != null && PostInput.TAG.matcher(tag).matches();
  }

  /** The most used tags and their post counts, as {@code readerId} (0: signed out) sees the posts. */
  public Future<List<io.vertx.core.json.JsonObject>> tags(int limit, long readerId) {
    return pool.preparedQuery(TAGS).execute(Tuple.of(limit, readerId)).map(rows -> {
      List<io.vertx.core.json.JsonObject> tags = new ArrayList<>();
      rows.forEach(row -> tags.add(new io.vertx.core.json.JsonObject().put("tag", row.getString("tag"))
          .put("posts", row.getLong("posts"))));
      return tags;
    });
  }

  /** Sets a post's tags: its author or a moderator may. A feed event tells open pages. */
  Future<Post> setTags(long id, Principal caller, List<String> tags) {
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return lockForAuthor(conn, id, caller, true, "retag")
          .compose(thread -> conn.preparedQuery(SET_TAGS).execute(Tuple.tuple().addLong(id).addArrayOfString(tags.toArray(String[]::new))))
          .compose(v -> findIn(conn, id))
          // A hidden or pending post has no public readers: its tags are news to no one on the feed or the thread.
          .compose(post -> post.restricted() ? Future.succeededFuture(post)
              : box.publish(Publication.of(EventType.POST_EDITED, post.authorId(), post.toJson())
                  .onThread(id).forFeed(post.toListItemJson())).map(post));
    });
  }

  /** Edits a post; only its author may. */
  public Future<Post> update(long id, Principal caller, PostInput input) {
    return events.transaction(box -> {
      SqlConnection conn = box.connection();
      return lockForAuthor(conn, id, caller, false)
          .compose(v -> screening.screenEdit(conn, caller, screened(input)))
          .compose(filters -> findIn(conn, id).compose(before -> write(conn, id, input)
              .compose(v -> findIn(conn, id))
              .compose(after -> reportIfHeld(box, caller, filters, before, after))))
          // Earlier copies in the log (its arrival on the feed, earlier edits) carry the new version, in each
          // topic's shape.
          .compose(post -> box.renew("post:" + id, post.toJson(), Topics.post(id))
              .compose(v -> box.renew("post:" + id, post.toListItemJson(), Topics.FEED)).map(post))
          // A pending post has no readers yet: its edit is news to the moderators who will review it, no one else.
          .compose(post -> box.publish(post.pending()
              ? Publication.of(EventType.POST_PENDING_EDITED, post.authorId(), post.toJson())
              : Publication.of(EventType.POST_EDITED, post.authorId(), post.toJson())
                  .onThread(id).forFeed(post.toListItemJson())).map(post));
    });
  }

  /** The edit itself: a new body rendered (mentions linked) and the row updated; fields not sent stay as they were. */
  private static Future<Void> write(SqlConnection conn, long id, PostInput input) {
    Future<Markdown.Rendered> rendered = input.body() == null ? Future.succeededFuture(null)
        : Mentions.render(conn, input.body());
    return rendered.compose(r -> conn.preparedQuery(UPDATE).execute(Tuple.of(id, input.title(), input.body(),
        r == null ? null : r.html(), r == null ? null : r.excerpt(),
        input.sources() == null ? null : input.sources().toArray(String[]::new),
        input.tags() == null ? null : input.tags().toArray(String[]::new), input.description()))).mapEmpty();
  }

  /**
   * Published content edited into what the holds hold is reported to the moderators by Parley, in the edit's
   * transaction (V22); pending content is theirs to read anyway.
   */
  private Future<Post> reportIfHeld(EventLog.Outbox box, Principal caller, List<Filter> filters, Post before,
      Post after) {
    String why = after.pending() ? null
        : screening.reviewEdit(caller, filters, screened(before), links(before), screened(after), links(after));
    Future<Void> reported = why == null ? Future.succeededFuture()
        : Reports.fileForScreening(box, Reports.Target.POST, after.id(), why);
    return reported.map(after);
  }

  /** Soft-deletes a post; its author or a moderator may. */
  public Future<Void> delete(long id, Principal caller) {
    JsonObject removed = new JsonObject().put("id", id);
    return events.transaction(box -> lockForAuthor(box.connection(), id, caller, true)
        .compose(thread -> box.connection().preparedQuery(SOFT_DELETE).execute(Tuple.of(id))
            .compose(v -> box.scrub("post:" + id, removed.copy().put("removed", true), true))
            .compose(v -> box.scrubThread(id))
            // Nobody is on what is gone: its claim, and its comments', end with it.
            .compose(v -> Claims.gone(box, Reports.Target.POST, id, caller))
            // A moderator's deletion of someone else's post is in the audit log, as a hide is.
            .compose(v -> AuditLog.deletion(box.connection(), caller, thread.authorId(), "post", id, new JsonObject()))
            .map(entry -> entry.map(e -> removed.copy().put("entry", e.toJson())).orElse(removed))
            // A pending post was never published: it goes without a word on the feed or its thread, as a pending
            // comment does; the moderators' card of it and its author's other tabs are told.
            .compose(mods -> box.publish(thread.pending()
                ? Publication.of(EventType.POST_PENDING_DELETED, thread.authorId(), removed).forModerators(mods)
                : Publication.of(EventType.POST_DELETED, thread.authorId(), removed).onThread(id)
                    .forModerators(mods))))
        .mapEmpty());
  }

  /** Locks the post row for this transaction after checking it exists and the caller may change it. */
  private static Future<Threads.Locked> lockForAuthor(SqlConnection conn, long id, Principal caller,
      boolean moderatorMay) {
    return lockForAuthor(conn, id, caller, moderatorMay, "delete");
  }

  /** As above; {@code verb} is what a moderator may also do ("delete", "retag"), for the refusal's words. */
  private static Future<Threads.Locked> lockForAuthor(SqlConnection conn, long id, Principal caller,
      boolean moderatorMay, String verb) {
    return Threads.lock(conn, id).map(found -> {
      Threads.Locked thread = found.orElseThrow(() -> Problem.notFound("No such post."));
      long authorId = thread.authorId();
      if (!Visibility.readable(caller, authorId, thread.hidden() || thread.pending())) {
        throw Problem.notFound("No such post.");
      }
      if (authorId != caller.id() && !(moderatorMay && caller.isModerator())) {
        throw Problem.forbidden(moderatorMay ? "Only the post's author or a moderator may " + verb + " it."
            : "Only the post's author may edit it.");
      }
      // Its author may still delete a post a moderator hid, not change it; a moderator may still tidy its tags.
      if (thread.hidden() && !moderatorMay) throw Problem.conflict("A moderator hid this post; it can't be edited.");
      if (thread.hidden() && "retag".equals(verb) && !caller.isModerator()) {
        throw Problem.conflict("A moderator hid this post; its tags can't be changed.");
      }
      return thread;
    });
  }

  /** A post's public JSON, exactly as GET /api/posts/{id} shows its author, read in the caller's transaction. */
  public Future<JsonObject> json(SqlClient client, long id) {
    return findIn(client, id).map(Post::toJson);
  }

  private static Future<Post> findIn(SqlClient client, long id) {
    return client.preparedQuery(FIND).execute(Tuple.of(id, 0L)).map(rows -> Post.fromRow(rows.iterator().next()));
  }

  private static List<Post> posts(RowSet<Row> rows) {
    List<Post> posts = new ArrayList<>(rows.size());
    rows.forEach(row -> posts.add(Post.fromRow(row)));
    return posts;
  }
}
