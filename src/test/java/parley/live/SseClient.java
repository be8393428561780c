package parley.live;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Server-Sent Events client, read on its own thread: each record's event name and data, in order, and the
 * end of the stream. Tests wait on it with a timeout (never a sleep).
 */
public final class SseClient implements AutoCloseable {

  /** One record: its {@code event:} name ("message" when absent) and its {@code data:}. */
  public record Record(String event, String data) {
    public JsonObject json() {
      return new JsonObject(data);
    }
  }

  private static final Record END = new Record("", "");
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final BlockingQueue<Record> records = new LinkedBlockingQueue<>();
  private final InputStream body;

  private SseClient(InputStream body) {
    this.body = body;
    Thread reader = new Thread(this::read, "sse-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Opens a stream; fails the test unless the server answers 200 with text/event-stream. */
  public static SseClient open(String url, String authorization) throws Exception {
    HttpResponse<InputStream> response = request(url, authorization);
    assertEquals(200, response.statusCode(), () -> "SSE refused: " + response.statusCode());
    assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    return new SseClient(response.body());
  }

  /** The status a stream request is answered with (the body is closed at once). */
  public static int status(String url, String authorization) throws Exception {
    HttpResponse<InputStream> response = request(url, authorization);
    response.body().close();
    return response.statusCode();
  }

  private static HttpResponse<InputStream> request(String url, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(java.time.Duration.ofSeconds(10));
    if (authorization != null) request.header("Authorization", authorization);
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  private void read() {
    String event = "message";
    StringBuilder data = null;
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) records.add(new Record(event, data.toString()));
          event = "message";
          data = null;
        } else if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
        }
      }
    } catch (IOException | RuntimeException e) {
      // closed by the test, or cut by the server (not ended as a response)
      cut = true;
    }
    records.add(END);
  }

  /** Whether the stream was cut rather than ended as a whole response (its last chunk). */
  private volatile boolean cut;

  /** As {@link #awaitEnd}, and the server ended it as a whole response rather than cutting the connection. */
  public void awaitCleanEnd() throws InterruptedException {
    awaitEnd();
    assertTrue(!cut, "the stream was cut, not ended");
  }

  /** The next record, whatever it is; fails if the stream ended. */
  public Record nextRecord() throws InterruptedException {
    Record record = records.poll(LiveClient.WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(record, "no SSE record within " + LiveClient.WAIT_SECONDS + " s");
    assertTrue(record != END, "the stream ended");
    return record;
  }

  /** The next event's data as JSON (an envelope). */
  public JsonObject next() throws InterruptedException {
    return nextRecord().json();
  }

  /** Waits for the server to end the stream, skipping records; fails if it does not within the wait. */
  public void awaitEnd() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LiveClient.WAIT_SECONDS);
    while (System.nanoTime() < deadline) {
      Record record = records.poll(100, TimeUnit.MILLISECONDS);
      if (record == END) return;
    }
    throw new AssertionError("the stream did not end within " + LiveClient.WAIT_SECONDS + " s");
  }

  @Override
  public void close() throws IOException {
    body.close();
  }
}
