package parley.readcache;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that ask for a big page and never read it hold little of the node's memory (a review: 250 of them held
 * all its direct memory, 768 MB, and the next responses failed with OutOfMemoryError): a page goes to the connection
 * a slice at a time, and whole to every client that reads it.
 */
@ExtendWith(TestParley.class)
class SlowReadersTest {

  private static final Pattern DIRECT = Pattern.compile("jvm_buffer_memory_used_bytes\\{[^}]*id=\"direct\"[^}]*} ([0-9.Ee+]+)");

  private final Api api = Api.local();

  private double directBytes() {
    Matcher m = DIRECT.matcher(api.get("/metrics").body());
    assertTrue(m.find(), "the metric is there");
    return Double.parseDouble(m.group(1));
  }

  @Test
  void clientsThatDoNotReadABigPageHoldLittleMemory() throws Exception {
    Session alice = api.register("alice");
    long post = api.createPost(alice, "A long thread");
    String words = "A long comment, with words enough to weigh. ".repeat(225);
    for (int i = 0; i < 200; i++) api.comment(alice, post, i + " " + words, null);
    String path = "/api/posts/" + post + "/comments?limit=200";
    Api.Response whole = api.get(path);
    assertEquals(200, whole.status());
    assertTrue(whole.body().length() > 2_000_000, "a big page: " + whole.body().length() + " characters");
    assertEquals(200, new JsonObject(whole.body()).getJsonArray("items").size());

    double before = directBytes();
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", java.net.URI.create(TestParley.baseUrl()).getPort()));
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        stalled.add(s);
      }
      // Every one of them answered as far as its connection takes, and the page read whole meanwhile.
      Api.Response again = api.get(path);
      assertEquals(whole.body(), again.body(), "a reader gets the page whole, slice after slice");
      double held = directBytes() - before;
      // Handed over whole, the 40 pages of 4 MB were held in direct memory, up to 160 MB; a slice at a time, about
      // half a megabyte in all here.
      assertTrue(held < 40e6, "40 connections that read nothing hold " + (long) held + " bytes of direct memory");
    } finally {
      for (Socket s : stalled) s.close();
    }
  }
}
