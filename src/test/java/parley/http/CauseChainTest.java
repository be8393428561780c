package parley.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The error handler reads a failure's causes to tell an outage from a bug; a chain that comes back on itself must end
 * (it looped for ever on the event loop before: only a cause that was its own exception stopped the walk).
 */
class CauseChainTest {

  @Test
  void aChainOfCausesIsReadOnceEachOutermostFirst() {
    IOException reset = new IOException("Connection reset");
    RuntimeException wrapped = new RuntimeException("write failed", reset);
    assertEquals(List.of(wrapped, reset), ProblemHandler.causes(wrapped));
    assertTrue(ProblemHandler.databaseUnavailable(wrapped));
  }

  @Test
  void aChainThatComesBackOnItselfEndsWhereItWouldRepeat() throws Exception {
    RuntimeException outer = new RuntimeException("outer");
    IllegalStateException inner = new IllegalStateException("inner", outer);
    outer.initCause(inner);
    // On a thread of its own, so a regression fails this test rather than hanging the build.
    CompletableFuture<List<Throwable>> read = CompletableFuture.supplyAsync(() -> ProblemHandler.causes(outer));
    List<Throwable> chain = read.get(10, TimeUnit.SECONDS);
    assertEquals(2, chain.size());
    assertSame(outer, chain.get(0));
    assertSame(inner, chain.get(1));
    assertFalse(CompletableFuture.supplyAsync(() -> ProblemHandler.databaseUnavailable(outer))
        .get(10, TimeUnit.SECONDS), "neither is an outage");
  }

  /**
   * Which PostgreSQL errors are the database's state (503, try again) and which the request's or a bug's: each state
   * named in {@link ProblemHandler#transientState}, read through a wrapper as a request's failure arrives.
   */
  @Test
  void theDatabasesOwnStatesAreOutagesAndTheRequestsErrorsAreNot() {
    for (String state : List.of("25006", "57014", "55P03", "40001", "40P01", "53100", "53200", "53300", "58030",
        "28P01", "28000", "3D000", "57P01", "08006")) {
      RuntimeException failure = new RuntimeException("wrapped", new io.vertx.pgclient.PgException("m", "ERROR", state,
          null));
      assertTrue(ProblemHandler.databaseUnavailable(failure), state);
    }
    for (String state : List.of("23505", "23503", "42601", "42501", "22P02", "XX000", "XX001", "0A000")) {
      assertFalse(ProblemHandler.databaseUnavailable(new io.vertx.pgclient.PgException("m", "ERROR", state, null)),
          state);
    }
  }
}
