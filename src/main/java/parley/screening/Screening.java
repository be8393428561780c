package parley.screening;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import parley.access.Principal;
import parley.access.Visibility;
import parley.config.Holds;
import parley.http.Problem;
import parley.http.ProblemType;

import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pre-moderation: decides, inside the transaction that writes a new post or comment, whether it is published, held
 * for review (it becomes pending) or refused. In order: a filter entry that refuses (422 naming the rule), then the
 * holds: a filter entry that holds, more links than allowed, and a new account's first posts and comments.
 * Moderators and admins are never screened. An edit is refused as new content is; what would hold new content
 * is reported to the moderators when an edit brings it ({@link #reviewEdit}), and the content stays published.
 */
public final class Screening {

  /** What becomes of a new post or comment: published, or held with the reason moderators see. */
  public record Verdict(String heldFor) {
    public static final Verdict PUBLISH = new Verdict(null);

    public boolean held() {
      return heldFor != null;
    }
  }

  /** Which kind of content is screened (a new account's allowance differs). */
  public enum Kind { POST, COMMENT }

  /**
   * A digest of the moderators' list as texts are screened by it: each entry's id, kind, action and pattern (its
   * length first, so no two lists read alike), in id order. A group of new comments screened by the list the node
   * read last compares that list's digest with this in its own insert (parley.comment.CommentWriter), and writes
   * nothing if they differ. SHA-256, not md5: a PostgreSQL in FIPS mode refuses md5() (a review).
   */
  public static final String DIGEST = "SELECT encode(sha256(convert_to(coalesce(string_agg(d.id || ' ' || d.kind "
      + "|| ' ' || d.action || ' ' || length(d.pattern) || ' ' || d.pattern, ' ' ORDER BY d.id), ''), 'UTF8')), "
      + "'hex') FROM mod_filters d";

  /** The list, oldest first, with its {@link #DIGEST} on every row (one row of nulls but the digest if empty). */
  private static final String FILTERS = """
      WITH f AS (
        SELECT f.id, f.kind, f.pattern, f.action, f.created_at, u.username
          FROM mod_filters f LEFT JOIN users u ON u.id = f.created_by)
      SELECT (%s) AS digest, f.* FROM (VALUES (1)) one LEFT JOIN f ON true ORDER BY f.id""".formatted(DIGEST);

  /** How many of the author's posts ($2) and comments ($3) are published, counting up to what the rule needs. */
  private static final String PUBLISHED = """
      SELECT (SELECT count(*) FROM (SELECT 1 FROM posts p WHERE p.author_id = $1 AND %s LIMIT $2) x) AS posts,
             (SELECT count(*) FROM (SELECT 1 FROM comments c WHERE c.author_id = $1 AND %s LIMIT $3) y) AS comments
      """.formatted(Visibility.listed("p"), Visibility.listed("c"));

  private final Holds holds;
  /** Compiled entries by id and text, so each is compiled once per node. */
  private final Map<String, java.util.regex.Pattern> compiled = new ConcurrentHashMap<>();
  /** The word index of the list last read (see {@link #words}); read and replaced by any event loop. */
  private volatile Words lastWords;
  /** The list last read, with its digest (see {@link #lastListed}); read and replaced by any event loop. */
  private volatile Listed lastListed;

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Screening.class);
  /** The entries never run that were named at WARN, once each per node. */
  private final java.util.Set<String> warned = ConcurrentHashMap.newKeySet();

  /** Stands, in {@link #compiled}, for an entry that is never run (a map holds no null). */
  private static final java.util.regex.Pattern NEVER_RUN = java.util.regex.Pattern.compile("(?!)");

  public Screening(Holds holds) {
    this.holds = holds;
  }

  /** The moderators' list as read at one moment, oldest first, and its {@link #DIGEST} (null: not checked). */
  public record Listed(List<Filter> filters, String digest) {
    /** For writes no one screened is in: nothing to screen by, nothing to check. */
    public static final Listed NONE = new Listed(List.of(), null);
  }

  /** The moderators' list, oldest first. */
  public Future<List<Filter>> filters(SqlClient client) {
    return listed(client).map(Listed::filters);
  }

  /**
   * The list this node read last, or null before its first read: screening by it saves a read, but only a write that
   * checks its digest in the same statement as its insert may (as CommentWriter's groups do), since another node or
   * a moderator's request may have changed the list since.
   */
  public Listed lastListed() {
    return lastListed;
  }

  /** The moderators' list and its digest, read in one statement (and kept as {@link #lastListed}). */
  public Future<Listed> listed(SqlClient client) {
    return client.preparedQuery(FILTERS).execute().map(rows -> {
      List<Filter> filters = new ArrayList<>(rows.size());
      String digest = null;
      for (Row row : rows) {
        digest = row.getString("digest");
        if (row.getLong("id") == null) continue;
        String kind = row.getString("kind");
        String pattern = row.getString("pattern");
        // An entry listed before a rule refused its kind of pattern is kept and never run (null: UNSURE, held).
        java.util.regex.Pattern matcher = compiled.computeIfAbsent(kind + ":" + pattern, key -> {
          try {
            return Filter.compile(kind, pattern);
          } catch (IllegalArgumentException refused) {
            return NEVER_RUN;
          }
        });
        if (matcher == NEVER_RUN) {
          matcher = null;
          if (warned.add(kind + ":" + pattern)) {
            log.warn("Filter {} ({}) costs too much to run, so it is not run and every text it would check is held "
                + "for review: remove it (DELETE /api/mod/filters/{}) and add a cheaper one", row.getLong("id"),
                pattern, row.getLong("id"));
          }
        }
        filters.add(new Filter(row.getLong("id"), kind, pattern, row.getString("action"), row.getString("username"),
            row.getOffsetDateTime("created_at"), matcher));
      }
      Listed listed = new Listed(List.copyOf(filters), digest);
      lastListed = listed;
      return listed;
    });
  }

  /** Screens a new post or comment by {@code author}: its whole text, and its count of links out. */
  public Future<Verdict> screen(SqlClient client, Principal author, Kind kind, String text, int links) {
    return screen(client, author, kind, text, Future.succeededFuture(links));
  }

  /**
   * As {@link #screen(SqlClient, Principal, Kind, String, int)}, with the count of links still to come (the text is
   * rendered once its mentions are looked up). Both of screening's reads, the list and a new account's count, are
   * sent at once, without waiting for each other or for the links: one round trip, whichever decides.
   */
  public Future<Verdict> screen(SqlClient client, Principal author, Kind kind, String text, Future<Integer> links) {
    if (author.isModerator()) return Future.succeededFuture(Verdict.PUBLISH);
    return screen(client, author, kind, text, filters(client), links);
  }

  /**
   * As {@link #screen(SqlClient, Principal, Kind, String, Future)}, with the moderators' list already asked for (one
   * read for many comments written together: the caller reads it only if one of their authors is screened).
   */
  public Future<Verdict> screen(SqlClient client, Principal author, Kind kind, String text, Future<List<Filter>> listed,
      Future<Integer> links) {
    if (author.isModerator()) return Future.succeededFuture(Verdict.PUBLISH);
    Future<Verdict> newAccount = newAccount(client, author, kind);
    return listed.compose(filters -> links.compose(count -> {
      long[] steps = {Filter.STEPS_PER_MATCH};
      BitSet words = words(filters).mayMatch(text);
      Filter unsure = refuseIfListed(filters, words, text, steps);
      if (unsure != null) return Future.succeededFuture(new Verdict(unsure.unsure()));
      for (int i = 0; i < filters.size(); i++) {
        Filter filter = filters.get(i);
        if (!Filter.HOLD.equals(filter.action())) continue;
        Filter.Outcome outcome = test(filter, i, words, text, steps);
        if (outcome == Filter.Outcome.MATCH) {
          return Future.succeededFuture(new Verdict("matches " + filter.describe() + " (filter " + filter.id() + ")"));
        }
        // Not "matches": it did not (a review found long posts held as matching a word they did not contain).
        if (outcome == Filter.Outcome.UNSURE) return Future.succeededFuture(new Verdict(filter.unsure()));
      }
      if (count > holds.maxLinks()) {
        return Future.succeededFuture(new Verdict(count + " links (more than " + holds.maxLinks() + ")"));
      }
      return newAccount;
    }));
  }

  /**
   * Checks an edit against the refusing entries (422 for one that matches {@code text}, the edit's own words); an edit
   * is never held. The list read, for {@link #reviewEdit} (empty for moderators and admins, who are not screened).
   */
  public Future<List<Filter>> screenEdit(SqlClient client, Principal author, String text) {
    if (author.isModerator()) return Future.succeededFuture(List.of());
    return filters(client).map(filters -> {
      refuseIfListed(filters, words(filters).mayMatch(text), text, new long[] {Filter.STEPS_PER_MATCH});
      return filters;
    });
  }

  /**
   * Why the moderators should look at an edit of published content, or null: an entry that would hold the text as
   * edited as new content (a hold entry that matches it, or any entry that cannot check it in time) where the text
   * before was clear of it; or more links out than {@code PARLEY_HOLD_LINKS} where the edit brought in a link the
   * text before did not have (added, or swapped for another). What the holds would have held as new content stays
   * published when it comes by an edit, and is reported to the moderators instead (Reports.fileForScreening): spammers post
   * something harmless and edit their links in once it is published. {@code filters} as {@link #screenEdit} read
   * them; the links are the targets of every link out, as often as each occurs. Moderators and admins: null.
   */
  public String reviewEdit(Principal author, List<Filter> filters, String before, List<String> linksBefore,
      String after, List<String> linksAfter) {
    if (author.isModerator()) return null;
    long[] stepsAfter = {Filter.STEPS_PER_MATCH};
    long[] stepsBefore = {Filter.STEPS_PER_MATCH};
    Words words = words(filters);
    BitSet wordsAfter = words.mayMatch(after);
    BitSet wordsBefore = null;
    for (int i = 0; i < filters.size(); i++) {
      Filter filter = filters.get(i);
      Filter.Outcome now = test(filter, i, wordsAfter, after, stepsAfter);
      boolean holds = Filter.HOLD.equals(filter.action()) ? now != Filter.Outcome.NO_MATCH
          : now == Filter.Outcome.UNSURE;
      if (holds && wordsBefore == null) wordsBefore = words.mayMatch(before);
      if (holds && test(filter, i, wordsBefore, before, stepsBefore) == Filter.Outcome.NO_MATCH) {
        String which = " (filter " + filter.id() + ")";
        if (now != Filter.Outcome.UNSURE) return "Edited to match " + filter.describe() + which;
        return filter.compiled() == null ? "Edited: " + filter.unsure() : "Edited into what " + filter.unsure();
      }
    }
    if (linksAfter.size() > holds.maxLinks() && !new HashSet<>(linksBefore).containsAll(linksAfter)) {
      return "Edited to " + linksAfter.size() + " links (more than " + holds.maxLinks() + ")";
    }
    return null;
  }

  /**
   * The list's entry at {@code i} checked against {@code text}: a word entry {@code words} (its {@link Words#mayMatch})
   * leaves out does not match, and is not run.
   */
  private static Filter.Outcome test(Filter filter, int i, BitSet words, String text, long[] steps) {
    if (Filter.WORD.equals(filter.kind()) && !words.get(i)) return Filter.Outcome.NO_MATCH;
    return filter.test(text, steps);
  }

  /** The word index of a list: the last one made, while the list read is the same (the list changes rarely). */
  private Words words(List<Filter> filters) {
    Words last = lastWords;
    if (last != null && (last.filters() == filters || last.filters().equals(filters))) return last;
    Words made = new Words(filters);
    lastWords = made;
    return made;
  }

  /**
   * Refuses a text a refusing entry matches; returns the first refusing entry that could not tell in time (the text
   * is then held rather than refused), or null.
   */
  private static Filter refuseIfListed(List<Filter> filters, BitSet words, String text, long[] steps) {
    Filter unsure = null;
    for (int i = 0; i < filters.size(); i++) {
      Filter filter = filters.get(i);
      if (!Filter.REFUSE.equals(filter.action())) continue;
      Filter.Outcome outcome = test(filter, i, words, text, steps);
      if (outcome == Filter.Outcome.UNSURE && unsure == null) unsure = filter;
      if (outcome == Filter.Outcome.MATCH) {
        throw new Problem(ProblemType.REFUSED, "This community does not accept posts or comments containing "
            + filter.describe() + ".")
            .with(new JsonObject().put("rule", new JsonObject().put("id", filter.id()).put("kind", filter.kind())
                .put("pattern", filter.pattern())));
      }
    }
    return unsure;
  }

  /** Whether a new account's allowance holds this one; reads (and so sends) its count only for a young account. */
  private Future<Verdict> newAccount(SqlClient client, Principal author, Kind kind) {
    int allowance = kind == Kind.POST ? holds.newPosts() : holds.newComments();
    boolean young = author.createdAt() != null
        && author.createdAt().toInstant().isAfter(Instant.now().minus(holds.newAccountAge()));
    if (!young || allowance == 0) return Future.succeededFuture(Verdict.PUBLISH);
    return client.preparedQuery(PUBLISHED).execute(Tuple.of(author.id(), holds.newPosts(), holds.newComments()))
        .map(rows -> {
          Row row = rows.iterator().next();
          long published = kind == Kind.POST ? row.getLong("posts") : row.getLong("comments");
          if (published >= allowance) return Verdict.PUBLISH;
          return new Verdict("new account: its first " + (kind == Kind.POST ? "posts" : "comments")
              + " are reviewed (" + published + " of " + allowance + " published when it was held)");
        });
  }
}
