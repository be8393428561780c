package parley.account;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.TestParley;
import parley.markdown.Markdown;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mentions are looked up once for a text parsed once, and a long text is parsed and rendered on a worker thread, not
 * on the event loop that serves everyone else's requests.
 */
@ExtendWith(TestParley.class)
class MentionsTest {

  private static <T> T onEventLoop(Supplier<Future<T>> work) throws Exception {
    Promise<T> done = Promise.promise();
    io.vertx.core.Context context = TestParley.server().running().vertx().getOrCreateContext();
    context.runOnContext(v -> work.get().onComplete(done));
    return done.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aLongTextIsParsedOnAWorkerAndAShortOneWhereItIs() throws Exception {
    String shortText = onEventLoop(() -> Mentions.offLoop(Mentions.OFF_LOOP_FROM - 1,
        () -> Thread.currentThread().getName()));
    String longText = onEventLoop(() -> Mentions.offLoop(Mentions.OFF_LOOP_FROM,
        () -> Thread.currentThread().getName()));
    assertTrue(shortText.contains("eventloop"), shortText);
    assertTrue(longText.contains("worker"), longText);
  }

  @Test
  void aTextRenderedThroughTheWorkerIsTheTextRenderedInPlaceWithItsMentionsLinked() throws Exception {
    Api.Session alice = Api.local().register("Alice_R");
    String pathological = "*_".repeat(5_000) + " hello @alice_r and @nobody_here " + "[".repeat(3_000);
    String plain = "Short, for @ALICE_R.";
    io.vertx.sqlclient.Pool pool = TestParley.server().running().database().pool();
    List<Markdown.Rendered> rendered = onEventLoop(() -> Mentions.renderAll(pool, List.of(pathological, plain)));
    Map<String, String> users = Map.of("alice_r", "Alice_R");
    assertEquals(Markdown.render(pathological, users), rendered.get(0));
    assertEquals(Markdown.render(plain, users), rendered.get(1));
    assertTrue(rendered.get(0).html().contains("href=\"/u/Alice_R\""), "the mention is linked");
    assertTrue(rendered.get(1).html().contains("href=\"/u/Alice_R\""), "the mention is linked");
    assertEquals(List.of(Map.of("alice_r", new Mentions.Mentioned(alice.id(), "Alice_R"))),
        onEventLoop(() -> Mentions.mentionedIn(pool, List.of(pathological))));
  }
}
