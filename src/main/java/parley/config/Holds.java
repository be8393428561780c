package parley.config;

import java.time.Duration;
import java.util.Map;

/**
 * Pre-moderation by rule: an account younger than {@code newAccountAge} has its posts and comments held for review
 * until {@code newPosts} posts and {@code newComments} comments of it are published, and anything with more than
 * {@code maxLinks} links is held whoever wrote it. Moderators and admins are never held. (Word and pattern filters
 * are managed by moderators at run time, not here.)
 */
public record Holds(Duration newAccountAge, int newPosts, int newComments, int maxLinks) {

  public static final String NEW_ACCOUNT_AGE = "PARLEY_HOLD_NEW_ACCOUNT_AGE";
  public static final String NEW_POSTS = "PARLEY_HOLD_NEW_POSTS";
  public static final String NEW_COMMENTS = "PARLEY_HOLD_NEW_COMMENTS";
  public static final String MAX_LINKS = "PARLEY_HOLD_LINKS";

  public Holds {
    if (newAccountAge.isNegative()) throw new IllegalArgumentException(NEW_ACCOUNT_AGE + " must not be negative");
    if (newPosts < 0) throw new IllegalArgumentException(NEW_POSTS + " must be 0 or more");
    if (newComments < 0) throw new IllegalArgumentException(NEW_COMMENTS + " must be 0 or more");
    if (maxLinks < 0) throw new IllegalArgumentException(MAX_LINKS + " must be 0 or more");
  }

  static Holds from(Map<String, String> values) {
    return new Holds(AppConfig.duration(values, NEW_ACCOUNT_AGE, Duration.ofDays(1)),
        AppConfig.intValue(values, NEW_POSTS, 1), AppConfig.intValue(values, NEW_COMMENTS, 2),
        AppConfig.intValue(values, MAX_LINKS, 5));
  }
}
