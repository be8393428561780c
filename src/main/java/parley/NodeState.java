package parley;

import parley.account.LoginThrottle;
import parley.events.CommitListeners;
import parley.http.ConnectionGuard;
import parley.http.RateLimiter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import parley.live.LiveMeters;
import parley.web.Pages;
import parley.live.Relay;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every HTTP verticle of this node shares: the rate limits, the login throttle, the per-address connection
 * counts and read turns, whether the node is draining (shutting down: not ready for new traffic), and the table of routes that
 * only moderators or admins may call (the permission tests read it) and the table of every route (the contract test
 * reads it), and the in-process listeners of committed writes, the live relay (one event-bus subscription per
 * followed topic for the whole node), the meters, the cap on searches running at once, the read cache, the
 * authenticator's cache of accounts, the password hashing's threads, and which verticle writes the node's new
 * comments.
 */
record NodeState(RateLimiter limits, LoginThrottle logins, ConnectionGuard connections, parley.http.ReadTurns reads,
    AtomicBoolean draining,
    RouteTable restrictedRoutes, RouteTable routes, CommitListeners commits, Relay relay, LiveMeters liveMeters,
    PrometheusMeterRegistry meters, Pages.Templates pages, parley.vote.ScoreBoard scores,
    parley.http.Slots searches, parley.http.Slots exports, parley.http.Slots exportsOut, parley.readcache.ReadCache readCache,
    parley.account.AccountCache accounts, parley.account.PasswordHashing hashing,
    parley.comment.CommentWriter.Writers commentWriters) {

  /** Forgets buckets and throttles that have recovered: called once a minute. */
  void sweep() {
    limits.sweep();
    logins.sweep();
  }
}
