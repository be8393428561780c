package parley.http;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks a request's path and query before any route reads them: every {@code %} escape complete, the decoded bytes
 * valid UTF-8, and no NUL or other control character anywhere. What fails is a 400 at the door, so no route, path
 * parameter, query parameter or SQL statement ever sees such bytes (PostgreSQL would refuse a NUL in text with an
 * error, and Vert.x would throw on a broken escape).
 */
public final class RequestTarget {

  private RequestTarget() {
  }

  /** Why a raw path or query is refused, or null when it is well formed. */
  public static String problemWith(String raw, boolean query) {
    if (raw == null) return null;
    ByteBuffer bytes = ByteBuffer.allocate(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c <= 0x20 || c >= 0x7f) return "contains a character that must be percent-encoded";
      if (c == '%') {
        if (i + 2 >= raw.length() || hex(raw.charAt(i + 1)) < 0 || hex(raw.charAt(i + 2)) < 0) {
          return "has a broken percent-escape";
        }
        bytes.put((byte) (hex(raw.charAt(i + 1)) * 16 + hex(raw.charAt(i + 2))));
        i += 2;
      } else if (query && c == '+') {
        bytes.put((byte) ' ');
      } else {
        bytes.put((byte) c);
      }
    }
    bytes.flip();
    CharBuffer decoded;
    try {
      decoded = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes);
    } catch (CharacterCodingException e) {
      return "is not valid UTF-8";
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c < 0x20 || c == 0x7f) return "contains a control character";
    }
    return null;
  }

  /**
   * A parameter the query gives more than once ({@code ?limit=1&limit=500}), as a problem may name it (a long name
   * cut), or null: no route takes a list in the query, and which of two values counts differs between servers and
   * the proxies and filters in front of them.
   */
  public static String repeatedParameter(io.vertx.core.MultiMap params) {
    for (String name : params.names()) {
      if (params.getAll(name).size() > 1) return Fields.shown(name);
    }
    return null;
  }

  /**
   * A parameter whose name has a capital letter, as a problem may name it, or null. Every API parameter is lower
   * case, and Vert.x reads names regardless of case: "?Q=x" would count as "q" where a proxy or filter does not.
   */
  public static String capitalName(io.vertx.core.MultiMap params) {
    for (java.util.Map.Entry<String, String> entry : params) {
      String name = entry.getKey();
      if (!name.equals(name.toLowerCase(java.util.Locale.ROOT))) return Fields.shown(name);
    }
    return null;
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
}
