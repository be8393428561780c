package parley.live;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;
import parley.access.Principal;
import parley.events.EventLog;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a reader's rights allow is checked for what a replay sends as for what goes live: a hide that lands while a
 * registration is admitted is not skipped by a resume point past it, and a replay whose reader's account is being
 * read again (a role taken away) sends nothing until it has been. The hub is the real one, on the test server's log;
 * the reader's transport is a stand-in that records what it was sent and why it was closed.
 */
@ExtendWith(TestParley.class)
class ReplayRightsTest {

  private final Api api = Api.local();

  /** Records what it is sent; its replay turns are given when the test says so. */
  private static final class Recording extends RecordingSink {
    final List<String> closed = new ArrayList<>();
    final List<Long> resyncs = new ArrayList<>();
    final AtomicInteger turnsEnded = new AtomicInteger();
    Promise<Void> gate;

    @Override
    public Future<Void> replayTurn() {
      return gate == null ? Future.succeededFuture() : gate.future();
    }

    @Override
    public void endReplayTurn() {
      turnsEnded.incrementAndGet();
    }

    @Override
    public void resync(String topic, Long headSeq) {
      resyncs.add(headSeq);
    }

    @Override
    public void overflow() {
      closed.add("slow");
    }

    @Override
    public void reconnect(String why) {
      closed.add("reconnect: " + why);
    }

    @Override
    public void revoke(String topic, String reason) {
      closed.add(reason);
    }

    @Override
    public boolean isClosed() {
      return !closed.isEmpty();
    }
  }

  private static LiveHub hub(Vertx vertx) throws Exception {
    EventLog log = new EventLog(vertx, TestParley.server().running().database().pool());
    return new LiveHub(vertx, log, new Relay(vertx), DeliveryFilter.EVERYONE, new LiveMeters(new SimpleMeterRegistry()),
        10_000, Duration.ofSeconds(10), () -> false);
  }

  /** Runs on one of the server's event loops, as the hub's callers do, and waits for the answer. */
  private static <T> T onLoop(Callable<T> work) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    TestParley.server().running().vertx().getOrCreateContext().runOnContext(v -> {
      try {
        done.complete(work.call());
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    return done.get(10, TimeUnit.SECONDS);
  }

  private long seqOf(long post, Session as) {
    return api.get("/api/posts/" + post, as).json().getLong("seq");
  }

  private void hide(Session mod, long post) {
    Api.Response r = api.post("/api/mod/posts/" + post + "/hide", mod, new JsonObject().put("reason", "off topic"));
    assertEquals(204, r.status(), r.toString());
  }

  /**
   * The reader was admitted while the thread could be read (at {@code admittedAt}); a moderator hid it before the
   * subscription started, and the reader says it has seen the hide already ({@code since}): it learns the thread is
   * closed to it, and nothing more of it is sent. Without the check, a resume point at the head started the
   * subscription live, past the hide, and the hidden thread went on reaching an anonymous reader.
   */
  private void hiddenBetweenAdmissionAndStart(long sinceAfterHead) throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    long post = api.createPost(alice, "A thread about to be hidden");
    api.comment(alice, post, "before", null);
    long admittedAt = seqOf(post, alice);
    hide(mod, post);
    long head = seqOf(post, alice);
    String topic = "parley.post." + post;
    Recording sink = new Recording();
    LiveHub hub = onLoop(() -> hub(TestParley.server().running().vertx()));
    onLoop(() -> hub.subscribe(sink, Reader.anonymous(), topic, head + sinceAfterHead, hub.accountChanges(),
        admittedAt)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    TestParley.awaitUntil(() -> onLoop(() -> !sink.closed.isEmpty()), "the reader is told the thread is closed to it");
    onLoop(() -> {
      hub.close();
      return null;
    });
    assertEquals(List.of("access_revoked"), onLoop(() -> List.copyOf(sink.closed)));
    assertEquals(List.of(), onLoop(() -> List.copyOf(sink.seqs)), "nothing of the hidden thread is sent");
  }

  @Test
  void aHideBetweenAdmissionAndAResumePointAtTheHeadEndsTheSubscription() throws Exception {
    hiddenBetweenAdmissionAndStart(0);
  }

  @Test
  void aHideBetweenAdmissionAndAResumePointPastTheHeadEndsTheSubscription() throws Exception {
    hiddenBetweenAdmissionAndStart(1_000);
  }

  /**
   * A moderator replaying a thread whose account is being read again (here: the hold a role change announces) is sent
   * nothing of the replay until it has been; demoted, they are closed to be admitted afresh, and nothing is sent.
   */
  private record Held(Recording sink, long head) {
  }

  private Held replayWhileHeld(String roleAfter) throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "A thread replayed");
    for (int i = 0; i < 3; i++) api.comment(alice, post, "comment " + i, null);
    long head = seqOf(post, alice);
    long modId = api.registerWithRole("mod", "moderator").id();
    Principal before = new Principal(modId, "mod", "moderator", OffsetDateTime.now().minusDays(30), null, null, 0);
    long expires = System.currentTimeMillis() / 1000 + 3600;
    Recording sink = new Recording();
    sink.gate = Promise.promise();
    LiveHub hub = onLoop(() -> hub(TestParley.server().running().vertx()));
    onLoop(() -> {
      hub.reloadsWith(id -> Future.succeededFuture());
      return hub.subscribe(sink, Reader.of(before, expires), "parley.post." + post, 0L, hub.accountChanges());
    }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    long readAt = onLoop(() -> {
      hub.hold(modId);
      long started = hub.readStarted();
      sink.gate.complete();
      return started;
    });
    TestParley.awaitUntil(() -> onLoop(() -> sink.turnsEnded.get() > 0), "the replay's first page was read");
    assertEquals(List.of(), onLoop(() -> List.copyOf(sink.seqs)), "nothing is sent while the account is read again");
    Principal after = new Principal(modId, "mod", roleAfter, OffsetDateTime.now().minusDays(30), null, null, 0);
    onLoop(() -> {
      hub.accountChanged(modId, after, Set.of(), 0, readAt);
      return null;
    });
    return new Held(sink, head);
  }

  @Test
  void aReplayWaitsForItsReadersRightsAndGoesOnWithThem() throws Exception {
    Held held = replayWhileHeld("moderator");
    Recording sink = held.sink();
    List<Long> thread = java.util.stream.LongStream.rangeClosed(1, held.head()).boxed().toList();
    TestParley.awaitUntil(() -> onLoop(() -> sink.seqs.size() == thread.size()), "the thread once the account is read");
    assertEquals(thread, onLoop(() -> List.copyOf(sink.seqs)));
    assertEquals(List.of(), onLoop(() -> List.copyOf(sink.closed)));
  }

  @Test
  void aDemotedModeratorsReplaySendsNothingAndClosesToBeAdmittedAfresh() throws Exception {
    Recording sink = replayWhileHeld("user").sink();
    assertEquals(List.of("reconnect: access changed"), onLoop(() -> List.copyOf(sink.closed)));
    assertEquals(List.of(), onLoop(() -> List.copyOf(sink.seqs)));
  }

  /**
   * A subscription set up across an account change (the reader's account was read before it, the change seen after)
   * sends nothing until the account has been read again: it used to start at once on the rights read before.
   */
  @Test
  void aSubscriptionSetUpAcrossAnAccountChangeSendsNothingUntilTheAccountIsRead() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "A thread followed");
    api.comment(alice, post, "before", null);
    long head = seqOf(post, alice);
    long modId = api.registerWithRole("mod", "moderator").id();
    Principal mod = new Principal(modId, "mod", "moderator", OffsetDateTime.now().minusDays(30), null, null, 0);
    long expires = System.currentTimeMillis() / 1000 + 3600;
    String topic = "parley.post." + post;
    Recording sink = new Recording();
    Recording witness = new Recording();
    List<Long> reloads = new ArrayList<>();
    LiveHub hub = onLoop(() -> hub(TestParley.server().running().vertx()));
    onLoop(() -> {
      hub.reloadsWith(id -> {
        reloads.add(id);
        return Future.succeededFuture();
      });
      return Future.all(hub.subscribe(sink, Reader.of(mod, expires), topic, null, hub.accountChanges() - 1),
          hub.subscribe(witness, Reader.anonymous(), topic, null, hub.accountChanges()));
    }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(modId), onLoop(() -> List.copyOf(reloads)), "the account is read again");
    api.comment(alice, post, "while the account is read", null);
    TestParley.awaitUntil(() -> onLoop(() -> witness.seqs.contains(head + 1)), "the event reached the hub");
    assertEquals(List.of(), onLoop(() -> List.copyOf(sink.seqs)), "nothing before the account is read");
    onLoop(() -> {
      hub.accountChanged(modId, mod, Set.of(), 0, hub.readStarted());
      return null;
    });
    assertEquals(List.of(head + 1), onLoop(() -> List.copyOf(sink.seqs)), "what waited, once it is");
    onLoop(() -> {
      hub.close();
      return null;
    });
  }
}
