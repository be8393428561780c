package parley;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 written byte by byte over a plain socket, for requests no well-behaved client would send: raw NUL and
 * non-ASCII bytes in the request line, broken escapes, conflicting framing headers, half-sent requests.
 */
public final class RawHttp {

  /** A response as read off the wire: status, headers (lower-case names) and body; -1 if none came (closed or reset). */
  public record Reply(int status, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private RawHttp() {
  }

  /** Sends the bytes on a new connection (from the given local address, or any) and reads until the server closes. */
  public static Reply send(String localAddress, int port, byte[] request) throws IOException {
    try (Socket socket = new Socket()) {
      if (localAddress != null) socket.bind(new InetSocketAddress(localAddress, 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    }
  }

  public static Reply send(int port, String request) throws IOException {
    return send(null, port, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Reads one response: the head, then Content-Length bytes of body (or until the server closes). */
  public static Reply read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try {
      int b;
      while ((b = in.read()) != -1) {
        head.write(b);
        byte[] h = head.toByteArray();
        int n = h.length;
        if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') break;
      }
    } catch (SocketTimeoutException e) {
      // fall through with what came
    } catch (SocketException e) {
      // A reset ends the reply too: Linux resets a connection closed with bytes its server never read (a connection
      // refused at accept, on the epoll transport, before its request was read).
      if (!"Connection reset".equals(e.getMessage())) throw e;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    if (text.isEmpty()) return new Reply(-1, Map.of(), "");
    String[] lines = text.split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
    }
    String length = headers.get("content-length");
    byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
    return new Reply(status, headers, new String(body, StandardCharsets.UTF_8));
  }
}
