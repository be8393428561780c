package parley.live;

import parley.events.Topics;
import parley.access.Principal;

import java.time.Instant;
import java.util.Set;

/**
 * Who is on the other end of a live subscription: anonymous, or a user whose token expires at a known time. The
 * principal is refreshed when the account changes (ban, role), so restricted topics are re-checked at once.
 */
public final class Reader {

  private Principal principal;
  private final long expiresAt;
  private final boolean signedIn;
  /** The version of the user's tokens when this reader's token was checked; a newer one means it was revoked. */
  private final int tokenVersion;
  private Set<Long> blocks = Set.of();

  private Reader(Principal principal, long expiresAt) {
    this.principal = principal;
    this.expiresAt = expiresAt;
    this.signedIn = principal != null;
    this.tokenVersion = principal == null ? 0 : principal.tokenVersion();
  }

  public static Reader anonymous() {
    return new Reader(null, Long.MAX_VALUE);
  }

  public static Reader of(Principal principal, long expiresAtEpochSeconds) {
    return new Reader(principal, expiresAtEpochSeconds);
  }

  /** The signed-in user, or null. */
  public Principal principal() {
    return principal;
  }

  void refresh(Principal current) {
    this.principal = current;
  }

  /** The users this reader has blocked (their content is withheld from them). */
  public Set<Long> blocks() {
    return blocks;
  }

  void blocks(Set<Long> blocked) {
    this.blocks = Set.copyOf(blocked);
  }

  /** When the token this reader presented expires, in epoch seconds. */
  long expiresAt() {
    return expiresAt;
  }

  public boolean expired(long nowEpochSeconds) {
    return nowEpochSeconds >= expiresAt;
  }

  /** Signed in with a token that was revoked since (sign-out everywhere, new password) or whose account is gone. */
  public boolean revoked() {
    return signedIn && (principal == null || principal.tokenVersion() != tokenVersion);
  }

  /**
   * Whether this reader may follow a topic right now. A revoked token, or a banned user's, follows nothing (a banned
   * person may still read public threads without signing in, like anyone); restricted topics also end with the
   * token's expiry and the role.
   */
  public boolean mayFollow(String topic, long nowEpochSeconds) {
    if (revoked()) return false;
    if (signedIn && principal.isBanned(Instant.ofEpochSecond(nowEpochSeconds))) return false;
    boolean active = principal != null && nowEpochSeconds < expiresAt;
    if (Topics.MOD.equals(topic)) {
      return active && principal.isModerator();
    }
    Long owner = Topics.userOf(topic);
    if (owner != null) {
      return active && principal.id() == owner;
    }
    return true;
  }

  /** Topics whose right to read can lapse; only these are swept for expiry. */
  static boolean isRestricted(String topic) {
    return Topics.MOD.equals(topic) || Topics.userOf(topic) != null;
  }
}
