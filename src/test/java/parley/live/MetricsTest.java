package parley.live;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.OwnServer;
import parley.RawHttp;
import parley.TestParley;
import parley.config.AppConfig;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} after a small run of real traffic: the series an operator graphs are there with values that
 * follow from the run, labelled by route templates and topic kinds (never raw paths, ids or event-bus addresses);
 * and nobody but the allowed addresses may read them.
 */
@ExtendWith(TestParley.class)
class MetricsTest {

  /** A server of its own, so the counts below are this test's alone; one report an hour, to see a refusal. */
  @RegisterExtension
  static final OwnServer SERVER = new OwnServer(Map.of(AppConfig.LIMIT_REPORTS, "1/1h"));

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Api api = new Api("http://localhost:" + SERVER.port());

  /** The value of one series (its full name with labels, as Prometheus prints it). */
  private static double value(String scrape, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(scrape);
    assertTrue(m.find(), "no series " + series + " in:\n" + scrape);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void socketsFollowingATopicCostNoEventBusConsumerEach() throws Exception {
    // The node holds one consumer per followed topic (the Relay's); the bridge's own per-socket consumers are
    // placeholders (BridgeBus), so ten more sockets on the thread add no handler (and its queue) to the bus.
    Session alice = api.register("alice");
    long post = api.createPost(alice, "Followed");
    List<LiveClient> sockets = new ArrayList<>();
    try {
      double withOne = handlersWith(sockets, 1, alice, post);
      double withEleven = handlersWith(sockets, 10, alice, post);
      assertEquals(withOne, withEleven, "ten more sockets on the topic changed the bus's handler count");
    } finally {
      sockets.forEach(LiveClient::close);
    }
  }

  /** Opens more sockets on the post's thread, sees every open one get a new comment, and reads the bus's handlers. */
  private double handlersWith(List<LiveClient> sockets, int more, Session author, long post) throws Exception {
    String topic = "parley.post." + post;
    long seq = api.get("/api/posts/" + post).json().getLong("seq");
    for (int i = 0; i < more; i++) {
      LiveClient socket = LiveClient.connect(SERVER.port());
      sockets.add(socket);
      socket.register(topic, null, seq);
    }
    // Once the comment arrives on every socket, every registration is done.
    long live = api.comment(author, post, "to " + sockets.size(), null);
    for (LiveClient socket : sockets) assertEquals(live, socket.nextEvent(topic).getJsonObject("data").getLong("id"));
    return value(api.get("/metrics").body(), "vertx_eventbus_handlers");
  }

  @Test
  void aSmallRunShowsUpInTheSeriesAnOperatorGraphs() throws Exception {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Measured");
    long first = api.comment(bob, post, "first", null);
    String topic = "parley.post." + post;

    Response scrape;
    try (LiveClient socket = LiveClient.connect(SERVER.port());
         SseClient stream = SseClient.open(api.baseUrl() + "/api/posts/" + post + "/events?since=0", null)) {
      socket.register(topic, null, 0L);
      assertEquals(first, socket.nextEvent(topic).getJsonObject("data").getLong("id"), "replayed");
      assertEquals(first, stream.next().getJsonObject("data").getLong("id"), "replayed over SSE");
      long second = api.comment(bob, post, "second", null);
      assertEquals(second, socket.nextEvent(topic).getJsonObject("data").getLong("id"), "delivered live");
      assertEquals(second, stream.next().getJsonObject("data").getLong("id"), "delivered live over SSE");

      assertEquals(201, api.post("/api/reports", alice, new JsonObject()
          .put("targetType", "comment").put("targetId", first).put("reason", "spam")).status());
      assertEquals(429, api.post("/api/reports", alice, new JsonObject()
          .put("targetType", "comment").put("targetId", second).put("reason", "spam")).status());

      // The notifications are made just after each comment commits: counted once they are (on a busy machine the
      // second one could still be on its way when the scrape was taken).
      // This test's own server's notifier (it waited for the shared server's, which had nothing to do: the fresh-clone
      // CI once scraped before the second notification's event).
      SERVER.running().notifier().idle().toCompletionStage().toCompletableFuture()
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
      scrape = api.get("/metrics");
    }
    assertEquals(200, scrape.status());
    assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
    String m = scrape.body();

    // HTTP rate and latency per route template.
    String comments = "code=\"201\",method=\"POST\",route=\"/api/posts/:postId/comments\"";
    assertEquals(2, value(m, "vertx_http_server_requests_total{" + comments + "}"));
    assertEquals(2, value(m, "vertx_http_server_response_time_seconds_count{" + comments + "}"));
    assertTrue(value(m, "vertx_http_server_response_time_seconds_sum{" + comments + "}") > 0);
    assertEquals(1, value(m, "vertx_http_server_requests_total{code=\"429\",method=\"POST\",route=\"/api/reports\"}"));

    // Open sockets and streams, and what they follow, while they were open.
    assertEquals(1, value(m, "parley_live_sockets"));
    assertEquals(1, value(m, "parley_live_sse_streams"));
    assertEquals(2, value(m, "parley_live_subscriptions{kind=\"post\"}"));
    assertEquals(0, value(m, "parley_live_subscriptions{kind=\"mod\"}"));

    // Events published by kind: two comments on alice's post, each on the thread, the feed (stats), the
    // moderators and alice's own topic (a reply, and its notification); the post itself on the feed and the
    // moderators' topic.
    assertEquals(2, value(m, "parley_events_published_total{kind=\"post\"}"));
    assertEquals(4, value(m, "parley_events_published_total{kind=\"user\"}"));
    assertEquals(3, value(m, "parley_events_published_total{kind=\"feed\"}"));
    // ... and the report, on the moderators' topic.
    assertEquals(4, value(m, "parley_events_published_total{kind=\"mod\"}"));
    // Delivered live once per reader (the second comment, to the socket and the stream), replayed once per reader.
    assertEquals(2, value(m, "parley_live_events_delivered_total{kind=\"post\"}"));
    assertEquals(2, value(m, "parley_live_events_replayed_total{kind=\"post\"}"));
    // The lag from publication to hand-off: measured for the live event on each event loop that follows it.
    double lagged = value(m, "parley_live_delivery_lag_seconds_count");
    assertTrue(lagged >= 1, "lag measured: " + lagged);
    assertTrue(value(m, "parley_live_delivery_lag_seconds_max") < 5, "a sane lag");
    assertTrue(m.contains("parley_live_delivery_lag_seconds_bucket{le="), "buckets, to add up across nodes");
    assertEquals(0, value(m, "parley_live_slow_consumer_closes_total{transport=\"bridge\"}"));

    // The database pools: size, in use, waiting.
    assertTrue(value(m, "vertx_pool_in_use{pool_name=\"parley-rest\",pool_type=\"sql\"}") >= 0);
    assertTrue(value(m, "vertx_pool_queue_pending{pool_name=\"parley-rest\",pool_type=\"sql\"}") >= 0);
    assertTrue(value(m, "vertx_pool_usage_seconds_count{pool_name=\"parley-rest\",pool_type=\"sql\"}") >= 1);
    assertTrue(value(m, "vertx_pool_queue_time_seconds_count{pool_name=\"parley-live\",pool_type=\"sql\"}") >= 1);

    // The node's one comment writer: the two comments, each its own group at this pace, timed whole and by phase.
    assertEquals(2, value(m, "parley_comment_group_seconds_count"));
    assertEquals(2, value(m, "parley_comment_group_size_sum"));
    double group = value(m, "parley_comment_group_seconds_sum");
    double phases = 0;
    for (String phase : List.of("connection", "reads", "insert", "commit")) {
      assertEquals(2, value(m, "parley_comment_group_phase_seconds_count{phase=\"" + phase + "\"}"), phase);
      phases += value(m, "parley_comment_group_phase_seconds_sum{phase=\"" + phase + "\"}");
    }
    assertTrue(phases > 0 && phases <= group, "the phases (" + phases + " s) lie within the groups (" + group + " s)");

    assertEquals(1, value(m, "parley_rate_limit_refusals_total{limit=\"PARLEY_LIMIT_REPORTS\"}"));
    assertEquals(0, value(m, "parley_rate_limit_refusals_total{limit=\"PARLEY_LIMIT_COMMENTS\"}"));
    assertEquals(1, value(m, "parley_cluster_members"));

    // Bounded labels only: no raw path, no id, no event-bus address.
    assertFalse(m.contains("/api/posts/" + post), "a raw path became a label");
    assertFalse(m.contains("address=\""), "an event-bus address became a label");
    assertFalse(m.contains(topic), "a topic became a label");
    assertFalse(m.contains("route=\"/api/>"), "a chain of guard routes became the label");
  }

  @Test
  void aMethodAClientMakesUpAddsNoSeries() throws Exception {
    // The method is the client's to name: each made-up one used to add a set of series, for good (a probe's 28,000
    // of them filled the heap). They are counted under "other".
    for (int i = 0; i < 20; i++) {
      RawHttp.Reply reply = RawHttp.send(SERVER.port(), "MADEUP" + i + " /api/posts HTTP/1.1\r\nHost: localhost\r\n"
          + "Connection: close\r\n\r\n");
      assertEquals(405, reply.status(), reply.toString());
    }
    String scrape = HTTP.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertFalse(scrape.contains("MADEUP"), "a made-up method became a label");
    Matcher other = Pattern.compile("^vertx_http_server_requests_total\\{[^}]*method=\"other\"[^}]*\\} (\\S+)$",
        Pattern.MULTILINE).matcher(scrape);
    double counted = 0;
    while (other.find()) counted += Double.parseDouble(other.group(1));
    assertTrue(counted >= 20, "the made-up methods' requests are counted as other: " + counted);
  }

  @Test
  void anAddressOutsideTheAllowedRangesIsRefused() throws Exception {
    // The machine's own non-loopback address reaches the same server, but is not loopback.
    InetAddress outside = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .filter(i -> {
          try {
            return i.isUp() && !i.isLoopback();
          } catch (java.net.SocketException e) {
            return false;
          }
        })
        .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
        .findFirst().orElse(null);
    assertNotNull(outside, "this machine has a non-loopback IPv4 address to test from");
    HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://" + outside.getHostAddress() + ":" + SERVER.port() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(403, refused.statusCode(), refused.body());
    assertTrue(refused.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
    assertFalse(refused.body().contains("parley_"), "no metrics in the refusal");
    assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + SERVER.port() + "/health/live"))
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode(), "the server is reachable otherwise");
  }

  @Test
  void aRequestRelayedByAProxyThatIsNotTrustedIsRefusedEvenFromLoopback() throws Exception {
    // A reverse proxy on the same machine connects from 127.0.0.1: its requests must not count as local.
    for (Map.Entry<String, String> header : Map.of("X-Forwarded-For", "203.0.113.9",
        "Forwarded", "for=203.0.113.9").entrySet()) {
      HttpResponse<String> relayed = HTTP.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + "/metrics"))
          .header(header.getKey(), header.getValue()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(403, relayed.statusCode(), header + ": " + relayed.body());
    }
  }

  @Test
  void theAllowedRangesAreConfigurable() throws Exception {
    parley.Main.Running elsewhere = TestParley.startServer(Map.of(AppConfig.METRICS_ALLOW, "10.0.0.0/8"));
    try {
      Response refused = new Api("http://localhost:" + elsewhere.port()).get("/metrics");
      assertEquals(403, refused.status(), "loopback is not in 10.0.0.0/8");
    } finally {
      elsewhere.stop();
    }
  }
}
