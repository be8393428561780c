package parley.live;

import parley.TestParley;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A hand-made WebSocket client: a TCP socket, the upgrade request, and unmasked server frames read by hand. */
public final class RawSocket implements AutoCloseable {
  final Socket socket;
  final String handshake;
  final InputStream in;
  final OutputStream out;

  RawSocket(String... extraHeaders) throws IOException {
    this(0, extraHeaders);
  }

  RawSocket(int receiveBuffer, String... extraHeaders) throws IOException {
    this("/eventbus/websocket", receiveBuffer, extraHeaders);
  }

  RawSocket(String path, int receiveBuffer, String... extraHeaders) throws IOException {
    this(port(), path, receiveBuffer, extraHeaders);
  }

  /** A socket to another server (one a test started with its own settings). */
  public RawSocket(int port, String path, int receiveBuffer, String... extraHeaders) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer);
    socket.connect(new java.net.InetSocketAddress("localhost", port));
    socket.setSoTimeout(20_000);
    out = socket.getOutputStream();
    in = socket.getInputStream();
    StringBuilder request = new StringBuilder()
        .append("GET ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: localhost:").append(port).append("\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(new byte[16])).append("\r\n")
        .append("Sec-WebSocket-Version: 13\r\n");
    for (String header : extraHeaders) request.append(header).append("\r\n");
    out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    handshake = readHead();
  }

  static int port() {
    try {
      return TestParley.server().running().port();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) break;
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  public int status() {
    return Integer.parseInt(handshake.split(" ")[1]);
  }

  /** Sends one masked text frame (clients must mask). */
  public void sendText(String text) throws IOException {
    send(0x81, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends one masked frame of these bytes: {@code first} is its first byte (FIN and opcode). */
  void sendFrame(int first, byte[] payload) throws IOException {
    send(first, payload);
  }

  /** Sends one masked ping frame, the WebSocket protocol's own (at most 125 bytes of payload). */
  void sendPing(byte[] payload) throws IOException {
    send(0x89, payload);
  }

  private void send(int first, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(first);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else {
      frame.write(0x80 | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length & 0xff);
    }
    byte[] mask = {1, 2, 3, 4};
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) frame.write(payload[i] ^ mask[i % 4]);
    out.write(frame.toByteArray());
    out.flush();
  }

  /** Pongs read by the drains below. */
  int pongs;

  /** One frame from the server: its opcode and its payload. */
  private record Frame(int opcode, byte[] payload) {
  }

  /** The text of the data frames (text or binary) read by the drains below, in order. */
  public final java.util.List<String> messages = new java.util.ArrayList<>();

  /** The server's next frame, pongs counted and data kept; null when the stream ended. */
  private Frame nextFrame() throws IOException {
    int b0 = in.read();
    if (b0 < 0) return null;
    Frame frame = new Frame(b0 & 0x0f, readPayload());
    if (frame.opcode() == 0xA) pongs++;
    if (frame.opcode() == 0x1 || frame.opcode() == 0x2) messages.add(new String(frame.payload(), StandardCharsets.UTF_8));
    return frame;
  }

  /** Reads frames until the server's close frame and returns its status code (-1 if the stream just ended). */
  public int drainUntilClose() throws IOException {
    for (Frame f = nextFrame(); f != null; f = nextFrame()) {
      byte[] p = f.payload();
      if (f.opcode() == 0x8) return p.length >= 2 ? ((p[0] & 0xff) << 8) | (p[1] & 0xff) : 1005;
    }
    return -1;
  }

  /**
   * Reads until SockJS closes the session and returns the code of its close frame ({@code c[code,"reason"]});
   * -1 if the WebSocket closed or the stream ended without one.
   */
  int drainUntilSockJsClose() throws IOException {
    for (Frame f = nextFrame(); f != null && f.opcode() != 0x8; f = nextFrame()) {
      String text = new String(f.payload(), StandardCharsets.UTF_8);
      if (f.opcode() == 0x1 && text.startsWith("c[")) return new io.vertx.core.json.JsonArray(text.substring(1)).getInteger(0);
    }
    return -1;
  }

  /** Reads one message from the server (its frames up to the last fragment) and returns its text. */
  String readText() throws IOException {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    int b0;
    do {
      b0 = in.read();
      if (b0 < 0) throw new IOException("closed");
      message.write(readPayload());
    } while ((b0 & 0x80) == 0);
    return message.toString(StandardCharsets.UTF_8);
  }

  private byte[] readPayload() throws IOException {
    long length = in.read() & 0x7f;
    if (length == 126) length = (in.read() << 8) | in.read();
    else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) length = (length << 8) | in.read();
    }
    return in.readNBytes((int) length);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
