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

    // A moderator's page is their own read, not the shared one (a review found it sent whole).
    Session mod = api.registerWithRole("mod", "moderator");
    double before = directBytes();
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", java.net.URI.create(TestParley.baseUrl()).getPort()));
        OutputStream out = s.getOutputStream();
        String as = i % 2 == 0 ? "" : "Authorization: Bearer " + mod.token() + "\r\n";
        out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + as + "\r\n")
            .getBytes(StandardCharsets.US_ASCII));
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

  /**
   * The RealWorld API's comment list is the whole thread, built for each request: at most about a million characters
   * of bodies, sent a slice at a time, and its read turn kept until it is sent (so clients that never read theirs hold
   * at most their address's turns of it, once their kernel buffers are full: not shown here, loopback's take a
   * megabyte), where a hostile review ran a node out of heap with 24 connections asking for a 20 MB list.
   */
  @Test
  void theRealWorldCommentListIsBoundedAndHoldsItsTurnUntilSent() throws Exception {
    Session alice = api.register("rw_alice");
    long post = api.createPost(alice, "A thread of long comments");
    String words = "Long words for a long list, read by RealWorld. ".repeat(210);
    for (int i = 0; i < 120; i++) api.comment(alice, post, i + " " + words, null);
    String path = "/realworld/api/articles/x-" + post + "/comments";
    Api.Response whole = api.get(path);
    assertEquals(200, whole.status());
    io.vertx.core.json.JsonArray listed = new JsonObject(whole.body()).getJsonArray("comments");
    long chars = listed.stream().mapToLong(c -> ((JsonObject) c).getString("body").length()).sum();
    assertTrue(listed.size() > 90 && listed.size() < 120, listed.size() + " of 120, oldest first");
    assertTrue(chars <= 1 << 20, chars + " characters");
    assertTrue(((JsonObject) listed.getValue(0)).getString("body").startsWith("0 "), "oldest first");

    double before = directBytes();
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", java.net.URI.create(TestParley.baseUrl()).getPort()));
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        stalled.add(s);
      }
      // Each answer, a megabyte, goes a slice at a time: what the kernel's buffers do not take waits in the heap,
      // one list per read turn of the address (here loopback's buffers take it whole), never in direct memory.
      double held = directBytes() - before;
      assertTrue(held < 8e6, "8 connections that read nothing hold " + (long) held + " bytes of direct memory");
    } finally {
      for (Socket s : stalled) s.close();
    }
    // Closed, they give their turns back.
    Api.Response again = null;
    for (int i = 0; i < 50 && (again == null || again.status() != 200); i++) {
      again = api.get(path);
    }
    assertTrue(whole.body().equals(again.body()), "the same list, whole");
  }

  /**
   * A client that reads a big page slowly, for longer than the header timeout, gets all of it: the slices that wait
   * for the connection to drain go on as it does (a review feared the wait for the next request's head, which
   * closes the connection, would cut the page's tail once its last slice was handed over).
   */
  @Test
  void aSlowReaderGetsThePageWhole() throws Exception {
    parley.Main.Running server = TestParley.startServer(java.util.Map.of(
        parley.config.AppConfig.HTTP_HEADER_TIMEOUT, "1s"));
    try {
      Api own = new Api("http://localhost:" + server.port());
      Session alice = own.register("alice");
      long post = own.createPost(alice, "A thread read slowly");
      String words = "A comment read slowly, a few words at a time. ".repeat(200);
      for (int i = 0; i < 80; i++) own.comment(alice, post, i + " " + words, null);
      try (Socket s = new Socket()) {
        s.setReceiveBufferSize(4096);
        s.setSoTimeout(20_000);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()));
        s.getOutputStream().write(("GET /api/posts/" + post + "/comments?limit=200 HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        java.io.InputStream in = s.getInputStream();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        long contentLength = -1;
        int headEnd = -1;
        for (int n; (n = in.read(chunk)) >= 0; ) {
          got.write(chunk, 0, n);
          if (headEnd < 0) {
            String head = got.toString(StandardCharsets.ISO_8859_1);
            headEnd = head.indexOf("\r\n\r\n");
            Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            if (headEnd >= 0 && length.find()) contentLength = Long.parseLong(length.group(1));
          }
          if (headEnd >= 0 && got.size() - headEnd - 4 >= contentLength) break;
          Thread.sleep(10);  // under 800 KB a second: the page takes seconds, past the 1 s header timeout
        }
        assertTrue(contentLength > 1_000_000, "a page of " + contentLength + " bytes");
        assertEquals(contentLength, got.size() - headEnd - 4, "the whole page, not its head alone");
      }
    } finally {
      server.stop();
    }
  }
}
