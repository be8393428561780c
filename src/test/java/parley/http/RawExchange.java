package parley.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * A bare HTTP/1.1 client on a socket. The request goes out exactly as given, byte for byte, so a test can send what
 * java.net.http refuses to send: broken percent-escapes and raw non-ASCII bytes in the path, any method name, a body
 * on GET, a body framed twice, headers it calls restricted. Each exchange has its own connection ({@code Connection:
 * close}), so nothing one request does can leak into the next.
 */
final class RawExchange {

  /** Reads that take longer than this mean the server hung; only event streams stay open, and those are not read. */
  private static final int READ_TIMEOUT_MS = 15_000;
  private static final int MAX_HEAD_BYTES = 64 * 1024;

  private RawExchange() {
  }

  /** How a request's body is delimited. {@code INVALID_LENGTH} sends a Content-Length that is not a number. */
  enum Framing { CONTENT_LENGTH, CHUNKED, BOTH, INVALID_LENGTH }

  /** A header whose value is sent as ISO-8859-1, one byte per char, so it may hold raw non-ASCII bytes. */
  record Header(String name, String value) {
  }

  /**
   * One request. {@code path} and {@code query} are the raw request target (one byte per char, not decoded); a null
   * query sends no {@code ?}; a null body sends no body and no framing headers.
   */
  record Request(String method, String path, String query, List<Header> headers, byte[] body, Framing framing) {

    String target() {
      return query == null ? path : path + "?" + query;
    }

    Request withMethod(String m) {
      return new Request(m, path, query, headers, body, framing);
    }

    Request withPath(String p) {
      return new Request(method, p, query, headers, body, framing);
    }

    Request withQuery(String q) {
      return new Request(method, path, q, headers, body, framing);
    }

    Request withHeaders(List<Header> h) {
      return new Request(method, path, query, List.copyOf(h), body, framing);
    }

    Request withBody(byte[] b, Framing f) {
      return new Request(method, path, query, headers, b, f);
    }

    /** The request as a reader can check it: non-printable bytes escaped, long parts cut. */
    String describe() {
      StringBuilder s = new StringBuilder(printable(method + " " + target(), 400)).append(" HTTP/1.1");
      for (Header h : headers) s.append("\n  ").append(printable(h.name() + ": " + h.value(), 200));
      if (body != null) {
        s.append("\n  [body ").append(body.length).append(" bytes, ").append(framing).append("] ")
            .append(printable(new String(body, StandardCharsets.ISO_8859_1), 400));
      }
      return s.toString();
    }
  }

  /** A response; {@code body} is empty for HEAD and event streams (a stream is never read, it would not end). */
  record Response(int status, Map<String, List<String>> headers, byte[] body) {

    String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : values.get(0);
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String describe() {
      return status + " " + headers + "\n  " + printable(text(), 600);
    }
  }

  /** Sends one request and reads its response. Fails when the server answers nothing, or not HTTP. */
  static Response exchange(String host, int port, Request request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 5_000);
      socket.setSoTimeout(READ_TIMEOUT_MS);
      IOException writeFailure = null;
      try {
        OutputStream out = socket.getOutputStream();
        out.write(encode(request));
        out.flush();
      } catch (IOException e) {
        // The server may answer (413, 400) and close before it has read the whole request; its answer still counts.
        writeFailure = e;
      }
      try {
        return read(new BufferedInputStream(socket.getInputStream()), request.method());
      } catch (IOException e) {
        if (writeFailure != null) e.addSuppressed(writeFailure);
        throw e;
      }
    }
  }

  static byte[] encode(Request request) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder();
    head.append(request.method()).append(' ').append(request.target()).append(" HTTP/1.1\r\n");
    for (Header h : request.headers()) head.append(h.name()).append(": ").append(h.value()).append("\r\n");
    head.append("Connection: close\r\n");
    byte[] body = request.body();
    if (body != null) {
      switch (request.framing()) {
        case CONTENT_LENGTH -> head.append("Content-Length: ").append(body.length).append("\r\n");
        case CHUNKED -> head.append("Transfer-Encoding: chunked\r\n");
        case BOTH -> head.append("Content-Length: ").append(body.length).append("\r\nTransfer-Encoding: chunked\r\n");
        case INVALID_LENGTH -> head.append("Content-Length: ").append(body.length).append("x\r\n");
      }
    }
    head.append("\r\n");
    out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      switch (request.framing()) {
        case CONTENT_LENGTH -> out.writeBytes(body);
        case CHUNKED, BOTH -> {
          if (body.length > 0) {
            out.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(body);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        case INVALID_LENGTH -> {
          // no body: a server that cannot read the length must not wait for one
        }
      }
    }
    return out.toByteArray();
  }

  private static Response read(InputStream in, String method) throws IOException {
    while (true) {
      List<String> lines = readHead(in);
      String[] statusLine = lines.get(0).split(" ", 3);
      if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response: " + printable(lines.get(0), 200));
      }
      int status = Integer.parseInt(statusLine[1]);
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (String line : lines.subList(1, lines.size())) {
        int colon = line.indexOf(':');
        if (colon <= 0) throw new IOException("malformed response header: " + printable(line, 200));
        headers.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(line.substring(colon + 1).strip());
      }
      if (status >= 100 && status < 200) continue; // an interim answer (100 Continue); the real one follows
      Response head = new Response(status, headers, new byte[0]);
      String type = head.header("content-type");
      if ("HEAD".equals(method) || status == 204 || status == 304
          || (type != null && type.toLowerCase(Locale.ROOT).startsWith("text/event-stream"))) {
        return head;
      }
      byte[] body;
      String length = head.header("content-length");
      if (head.header("transfer-encoding") != null && head.header("transfer-encoding").toLowerCase(Locale.ROOT)
          .contains("chunked")) {
        body = readChunked(in);
      } else if (length != null) {
        body = in.readNBytes(Integer.parseInt(length));
        if (body.length != Integer.parseInt(length)) throw new EOFException("response body cut short");
      } else {
        body = in.readAllBytes();
      }
      return new Response(status, headers, decompress(body, head.header("content-encoding")));
    }
  }

  private static List<String> readHead(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int total = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException(lines.isEmpty() && line.size() == 0 ? "no response at all" : "response head cut short");
      }
      if (++total > MAX_HEAD_BYTES) throw new IOException("response head too large");
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);
        if (text.isEmpty()) return lines;
        lines.add(text);
        line.reset();
      } else {
        line.write(b);
      }
    }
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in);
      int semicolon = sizeLine.indexOf(';');
      int size = Integer.parseInt((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).strip(), 16);
      if (size == 0) {
        while (!readLine(in).isEmpty()) {
          // trailers
        }
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes(size);
      if (chunk.length != size) throw new EOFException("chunk cut short");
      body.writeBytes(chunk);
      readLine(in);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) throw new EOFException("chunked body cut short");
      if (b != '\r') line.write(b);
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  private static byte[] decompress(byte[] body, String encoding) throws IOException {
    if (encoding == null || body.length == 0) return body;
    return switch (encoding.toLowerCase(Locale.ROOT)) {
      case "gzip" -> new GZIPInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
      case "deflate" -> new InflaterInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
      default -> body;
    };
  }

  /** Text for a failure message: control and non-ASCII chars as escapes, cut to {@code max} chars. */
  static String printable(String s, int max) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length() && out.length() < max; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7f) out.append(c);
      else if (c == '\n') out.append("\\n");
      else if (c == '\r') out.append("\\r");
      else if (c <= 0xff) out.append(String.format("\\x%02x", (int) c));
      else out.append(String.format("\\u%04x", (int) c));
    }
    if (out.length() >= max) out.append("…(").append(s.length()).append(" chars)");
    return out.toString();
  }
}
