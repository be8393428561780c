package parley.db;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy in front of PostgreSQL that can stop answering without closing anything: what a server frozen or
 * partitioned away looks like to its clients (the connections stay open, every packet is acknowledged, no answer
 * comes). {@link #freeze()} holds back every answer: PostgreSQL still receives and runs what is sent (a frozen
 * server would not), so a test can see what the statements would have done had the answers come late.
 * {@link #freezeRepliesAfter(String)} holds back the answers of the one connection that sends the marker and then a
 * COMMIT, right after that COMMIT, so the commit happens and its client never hears of it. {@link #thaw()} forwards
 * whatever waited.
 */
final class FreezingProxy implements AutoCloseable {

  private static final byte[] COMMIT = "COMMIT".getBytes(StandardCharsets.US_ASCII);

  private final Vertx vertx = Vertx.vertx();
  private final int upstreamPort;
  private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
  private final NetServer server;
  private volatile boolean frozen;
  private volatile byte[] marker;
  private volatile boolean cut;

  FreezingProxy(int upstreamPort) throws Exception {
    this.upstreamPort = upstreamPort;
    this.server = vertx.createNetServer().connectHandler(this::accept);
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  int port() {
    return server.actualPort();
  }

  /** Holds back PostgreSQL's answers on every connection, and on those made from now on. */
  void freeze() {
    frozen = true;
    for (Pair pair : pairs) pair.context.runOnContext(v -> pair.upstream.pause());
  }

  /** Stops the answers of the connection that sends {@code text} and then a COMMIT, right after that COMMIT. */
  void freezeRepliesAfter(String text) {
    marker = text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * As {@link #freezeRepliesAfter}, then closes that connection's client side a moment later, its answers unsent:
   * the commit happens and the client loses its connection instead of waiting (a proxy or a failover cutting it).
   */
  void cutAfter(String text) {
    cut = true;
    marker = text.getBytes(StandardCharsets.UTF_8);
  }

  /** Forwards the answers again on every connection. */
  void thaw() {
    frozen = false;
    cut = false;
    marker = null;
    for (Pair pair : pairs) pair.context.runOnContext(v -> pair.thaw());
  }

  private void accept(NetSocket client) {
    client.pause();
    Context context = Vertx.currentContext();
    vertx.createNetClient().connect(upstreamPort, "127.0.0.1").onComplete(connected -> {
      if (connected.failed()) {
        client.close();
        return;
      }
      Pair pair = new Pair(context, client, connected.result());
      pairs.add(pair);
      pair.start();
    });
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private final class Pair {

    private final Context context;
    private final NetSocket client;
    private final NetSocket upstream;
    private boolean sawMarker;
    private boolean repliesFrozen;
    private Buffer tail = Buffer.buffer();

    Pair(Context context, NetSocket client, NetSocket upstream) {
      this.context = context;
      this.client = client;
      this.upstream = upstream;
    }

    void start() {
      client.handler(bytes -> {
        upstream.write(bytes);
        byte[] wanted = marker;
        if (wanted == null) return;
        // A statement may straddle two reads: look at the end of the last one too.
        Buffer seen = tail.copy().appendBuffer(bytes);
        tail = seen.length() > 256 ? seen.getBuffer(seen.length() - 256, seen.length()) : seen;
        if (!sawMarker) {
          // The COMMIT wanted comes after the marker's statement is answered, so in a later read: an earlier
          // transaction's COMMIT still in the tail is forgotten.
          if (contains(seen.getBytes(), wanted)) {
            sawMarker = true;
            tail = Buffer.buffer();
          }
          return;
        }
        if (contains(seen.getBytes(), COMMIT) && !repliesFrozen) {
          repliesFrozen = true;
          upstream.pause();
          // Long enough for PostgreSQL to have the COMMIT; the client then sees its connection closed.
          if (cut) vertx.setTimer(300, t -> client.close());
        }
      });
      upstream.handler(client::write);
      client.closeHandler(v -> {
        pairs.remove(this);
        upstream.close();
      });
      upstream.closeHandler(v -> {
        pairs.remove(this);
        client.close();
      });
      if (frozen) upstream.pause();
      client.resume();
    }

    void thaw() {
      repliesFrozen = false;
      sawMarker = false;
      upstream.resume();
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) continue outer;
      }
      return true;
    }
    return false;
  }
}
