package parley.live;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.access.Principal;
import parley.events.Topics;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * While a changed account is read again (a role taken away, a ban), its subscriptions keep what arrives instead of
 * delivering it: a moderator demoted a moment ago is sent nothing more of parley.mod, and one whose change left them a
 * moderator gets everything that waited, in order. The hub and the event bus are the real ones; the readers'
 * transports are stand-ins, and the account's new state is handed to the hub as the node's reload would.
 */
@ExtendWith(VertxExtension.class)
class AccountHoldTest {

  private static final long MOD_ID = 7;

  /** A reader's transport: what it was sent, and why it was cut. */
  private static final class Recording extends RecordingSink {
    String revoked;

    @Override
    public void overflow() {
      throw new AssertionError("nobody is too slow here");
    }

    @Override
    public void revoke(String topic, String reason) {
      revoked = reason;
    }

    @Override
    public boolean isClosed() {
      return revoked != null;
    }
  }

  private static Principal principal(long id, String role) {
    return new Principal(id, "user" + id, role, OffsetDateTime.now().minusDays(30), null, null, 0);
  }

  private static void publish(Vertx vertx, long seq) {
    RecordingSink.publish(vertx, Topics.MOD, "comment.created", seq);
  }

  /**
   * The held moderator and a witness (another moderator, subscribed after, so reached after): once the witness has
   * an event, the held one has been offered it too; then the account's new state arrives.
   */
  private static void run(Vertx vertx, VertxTestContext test, String roleAfter, Recording held,
      Runnable verify) {
    run(vertx, test, roleAfter, held, false, verify);
  }

  /** @param staleReadFirst a read of the account begun before the hold finishes first, and must release nothing */
  private static void run(Vertx vertx, VertxTestContext test, String roleAfter, Recording held,
      boolean staleReadFirst, Runnable verify) {
    Recording witness = new Recording();
    long[] staleRead = {0};
    vertx.getOrCreateContext().runOnContext(v -> {
      LiveHub hub = new LiveHub(vertx, null, new Relay(vertx), DeliveryFilter.EVERYONE,
          new LiveMeters(new SimpleMeterRegistry()), 10_000, Duration.ofSeconds(10), () -> false);
      long expires = System.currentTimeMillis() / 1000 + 3600;
      Future.all(hub.subscribe(held, Reader.of(principal(MOD_ID, "moderator"), expires), Topics.MOD, null),
          hub.subscribe(witness, Reader.of(principal(MOD_ID + 1, "moderator"), expires), Topics.MOD, null))
          .onComplete(test.succeeding(all -> {
            witness.onSend = () -> {
              if (witness.seqs.size() < 2) return;
              test.verify(() -> {
                assertEquals(List.of(), held.seqs, "nothing while the account is read again");
                if (staleReadFirst) {
                  hub.accountChanged(MOD_ID, principal(MOD_ID, "moderator"), Set.of(), 0, staleRead[0]);
                  assertEquals(List.of(), held.seqs, "a read begun before the hold releases nothing");
                }
                hub.accountChanged(MOD_ID, principal(MOD_ID, roleAfter), Set.of(), 0, hub.readStarted());
                verify.run();
                hub.close();
              });
              test.completeNow();
            };
            staleRead[0] = hub.readStarted();
            hub.hold(MOD_ID);
            publish(vertx, 1);
            publish(vertx, 2);
          }));
    });
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aDemotedModeratorIsSentNothingOfWhatArrivedWhileTheAccountWasRead(Vertx vertx, VertxTestContext test) {
    Recording held = new Recording();
    run(vertx, test, "user", held, () -> {
      assertEquals("access_revoked", held.revoked);
      assertEquals(List.of(), held.seqs, "what waited is not delivered to a reader who may no longer have it");
    });
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aReadOfTheAccountBegunBeforeTheHoldReleasesNothing(Vertx vertx, VertxTestContext test) {
    Recording held = new Recording();
    run(vertx, test, "user", held, true, () -> {
      assertEquals("access_revoked", held.revoked);
      assertEquals(List.of(), held.seqs);
    });
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aModeratorStillGetsEverythingThatWaitedInOrder(Vertx vertx, VertxTestContext test) {
    Recording held = new Recording();
    run(vertx, test, "moderator", held, () -> {
      assertEquals(null, held.revoked);
      assertEquals(List.of(1L, 2L), held.seqs);
    });
  }
}
