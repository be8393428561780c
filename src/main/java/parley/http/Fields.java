package parley.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a JSON request body field by field, collecting every invalid field before it answers, so a client learns
 * all of its mistakes in one 400. Lengths count Unicode code points, not UTF-16 units.
 */
public final class Fields {

  /**
   * Request bodies are read as RFC 8259 JSON and nothing looser: a name given twice in one object is refused (which
   * one counts differs between parsers, so a check in front of Parley could read one and Parley the other; I-JSON,
   * RFC 7493, forbids it), and so are comments, which Vert.x's own parser takes.
   */
  private static final com.fasterxml.jackson.core.JsonFactory STRICT = com.fasterxml.jackson.core.JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_JAVA_COMMENTS)
      .build();
  private static final java.util.regex.Pattern DUPLICATE = java.util.regex.Pattern.compile("Duplicate field '(.*?)'");

  private final JsonObject json;
  private final List<Problem.FieldError> errors = new ArrayList<>();

  private Fields(JsonObject json) {
    this.json = json;
  }

  /** The request body as a JSON object; anything else is a 400. */
  public static Fields of(RoutingContext ctx) {
    return new Fields(body(ctx));
  }

  /** Whether the request came with a body at all: requests whose fields are all optional may come without one. */
  public static boolean sent(RoutingContext ctx) {
    return ctx.body().buffer() != null && ctx.body().buffer().length() > 0;
  }

  /**
   * The request body as a JSON object, read as UTF-8 and nothing else (RFC 8259): the JSON parser alone would take
   * UTF-16 and UTF-32 by their byte patterns and an overlong form such as C0 AF as "/", which byte-level checks in
   * front of Parley would not see as "/". A leading byte order mark is ignored, as RFC 8259 allows. Anything else is
   * a 400.
   */
  public static JsonObject body(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) throw Problem.badRequest("The request body must be a JSON object.");
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body.getBytes())).toString();
    } catch (CharacterCodingException e) {
      throw Problem.badRequest("The request body is not valid UTF-8.");
    }
    if (text.startsWith("\uFEFF")) text = text.substring(1);
    Object value;
    try {
      value = strict(text);
    } catch (DecodeException e) {
      java.util.regex.Matcher twice = DUPLICATE.matcher(String.valueOf(e.getMessage()));
      if (twice.find()) throw Problem.badRequest("The request body names a field twice: " + shown(twice.group(1)) + ".");
      throw Problem.badRequest("The request body is not valid JSON.");
    }
    if (!(value instanceof JsonObject object)) throw Problem.badRequest("The request body must be a JSON object.");
    return object;
  }

  /**
   * {@code text} read as RFC 8259 JSON and nothing looser, as a request body is (no name given twice in an object, no
   * comments): a JSON object is a JsonObject, an array a JsonArray. Anything else throws DecodeException, whose message
   * says "Duplicate field 'name'" for a name given twice.
   */
  public static Object strict(String text) {
    try {
      return JacksonCodec.fromParser(STRICT.createParser(text), Object.class);
    } catch (java.io.IOException e) {
      throw new DecodeException(String.valueOf(e.getMessage()), e);
    }
  }

  /**
   * Checks that field {@code name} holds a link a page may show: http or https with a host, and no user name or
   * password before it ("https://bank.example@evil.example/" reads as the bank's address and is not; RFC 3986
   * deprecates passwords in URLs). Records the field's error and returns false otherwise.
   */
  public boolean webLink(String name, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      error(name, "must be an http or https URL");
      return false;
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || host(uri) == null) {
      error(name, "must be an http or https URL");
      return false;
    }
    if (uri.getRawUserInfo() != null) {
      error(name, "must not carry a user name or password");
      return false;
    }
    return true;
  }

  /**
   * A link's host; an internationalized one ("bücher.example", which java.net.URI does not take for a host) is
   * checked in its ASCII form. Null when there is none.
   */
  private static String host(URI uri) {
    String host = withAsciiHost(uri).getHost();
    return host == null || host.isEmpty() ? null : host;
  }

  /**
   * The URI with an internationalized host ("bücher.example", for which java.net.URI reads no host) written in its
   * ASCII form ("xn--bcher-kva.example"); as it is when it has a host already, user info, a port that is no port,
   * or a name that has no ASCII form.
   */
  public static URI withAsciiHost(URI uri) {
    String authority = uri.getAuthority();
    if (uri.getHost() != null || authority == null || authority.contains("@")) return uri;
    int colon = authority.lastIndexOf(':');
    if (colon >= 0 && !authority.substring(colon + 1).matches("[0-9]{1,5}")) return uri;
    String name = colon >= 0 ? authority.substring(0, colon) : authority;
    try {
      // Only the host changes: the path, query and fragment stay as written, escapes and all (rebuilt from their
      // decoded forms, a webhook's "?token=a%26b" became "?token=a&b", and "/a%2Fb" "/a/b": a review).
      String ascii = java.net.IDN.toASCII(name, java.net.IDN.USE_STD3_ASCII_RULES);
      return new URI(uri.getScheme() + "://" + ascii + (colon >= 0 ? authority.substring(colon) : "")
          + (uri.getRawPath() == null ? "" : uri.getRawPath())
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
          + (uri.getRawFragment() == null ? "" : "#" + uri.getRawFragment()));
    } catch (IllegalArgumentException | URISyntaxException e) {
      return uri;
    }
  }

  /**
   * A request that takes no fields (a follow, a block, signing out everywhere): no body, an empty one, or {}; any
   * field is refused as {@link #only} refuses it.
   */
  public static void none(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) return;
    Fields fields = of(ctx);
    fields.only();
    fields.check();
  }

  /**
   * Refuses every field of the body but {@code names}: one the request does not take is a client's mistake (a
   * misspelt {@code "untill"}, a guessed {@code "days"} on a ban, {@code "following": false} on a follow), and
   * ignoring it would do the request as if the field were absent, which for a ban means a permanent one. Every
   * unknown field is named, with the ones the request takes.
   */
  public Fields only(String... names) {
    java.util.Set<String> known = java.util.Set.of(names);
    String takes = names.length == 0 ? "this request takes none" : "this request takes " + String.join(", ", names);
    for (String name : json.fieldNames()) {
      if (!known.contains(name)) error(shown(name), "is not a field of this request (" + takes + ")");
    }
    return this;
  }

  /**
   * A client's name (a field, a query parameter) as a problem names it: a long one cut (a client's mistake need not
   * be echoed whole).
   */
  static String shown(String name) {
    return name.codePointCount(0, name.length()) <= 64 ? name
        : name.substring(0, name.offsetByCodePoints(0, 64)) + "…";
  }

  /** The body these fields are read from. */
  public JsonObject json() {
    return json;
  }

  /** Fields of a JSON object nested in a body (RealWorld wraps its fields: {"article": {...}}). */
  public static Fields of(JsonObject object) {
    return new Fields(object);
  }

  public boolean has(String name) {
    return json.containsKey(name);
  }

  /** Whether the field was sent as an explicit JSON null. */
  public boolean isNull(String name) {
    return json.containsKey(name) && json.getValue(name) == null;
  }

  /** A required string of min..max code points; trimmed first when {@code trim}. */
  public String text(String name, int min, int max, boolean trim) {
    if (!json.containsKey(name) || json.getValue(name) == null) {
      error(name, "is required");
      return null;
    }
    return presentText(name, min, max, trim);
  }

  /** Like {@link #text} but absent is fine (null is returned); an explicit null is still invalid. */
  public String optionalText(String name, int min, int max, boolean trim) {
    if (!json.containsKey(name)) return null;
    if (json.getValue(name) == null) {
      error(name, "must not be null");
      return null;
    }
    return presentText(name, min, max, trim);
  }

  private String presentText(String name, int min, int max, boolean trim) {
    if (!(json.getValue(name) instanceof String raw)) {
      error(name, "must be a string");
      return null;
    }
    String s = trim ? raw.strip() : raw;
    return checkText(name, s, min, max);
  }

  /**
   * Whether a text shows anything: a character that is not a space of any kind (no-break spaces included) nor an
   * invisible format character (zero-width joiners, direction overrides). A title of U+200D or U+202E alone was
   * stored as a post nobody could see the name of.
   */
  public static boolean hasVisibleCharacter(String s) {
    return s.codePoints().anyMatch(Fields::visible);
  }

  /**
   * A character that shows on its own: not a space, a format or control character, a mark (which shows only on a
   * letter), a variation selector, the Hangul fillers or the blank Braille pattern (letters that draw nothing).
   */
  private static boolean visible(int cp) {
    if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || Character.isISOControl(cp)) return false;
    int type = Character.getType(cp);
    if (type == Character.FORMAT || type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK) {
      return false;
    }
    return cp != 0x115F && cp != 0x1160 && cp != 0x3164 && cp != 0xFFA0 && cp != 0x2800;
  }

  private String checkText(String name, String s, int min, int max) {
    int length = s.codePointCount(0, s.length());
    if (s.indexOf('\u0000') >= 0) {
      error(name, "must not contain NUL characters");
    } else if (hasControlCharacter(s)) {
      error(name, "must not contain control characters (tab and line breaks are fine)");
    } else if (hasLoneSurrogate(s)) {
      // JSON can escape half of a UTF-16 pair (backslash, "ud800"); it has no UTF-8 form: it would be stored as "?".
      error(name, "must be valid Unicode (half of a surrogate pair is not a character)");
    } else if (length < min || (min > 0 && !hasVisibleCharacter(s))) {
      // Nothing at all is "empty" whatever the minimum: an empty email was told "must be at least 3 characters".
      error(name, min <= 1 || length == 0 ? "must not be empty"
          : length < min ? "must be at least " + min + " characters" : "must not be only spaces");
    } else if (length > max) {
      error(name, "must be at most " + max + " characters");
    } else {
      return s;
    }
    return null;
  }

  /**
   * C0 controls other than tab, line feed and carriage return, DEL, and C1 controls: nobody types them, a terminal
   * or a log viewer may act on them (ESC), and no page shows them.
   */
  private static boolean hasControlCharacter(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c <= 0x9F)) return true;
    }
    return false;
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * An optional array of strings (absent gives null); each element is checked like {@link #text} and an invalid
   * one leaves a null in its place, so callers can report further problems by index.
   */
  public List<String> optionalStrings(String name, int maxItems, int maxLength) {
    if (!json.containsKey(name)) return null;
    if (!(json.getValue(name) instanceof JsonArray array)) {
      error(name, "must be an array of strings");
      return null;
    }
    if (array.size() > maxItems) {
      error(name, "must have at most " + maxItems + " items");
      return null;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String field = name + "[" + i + "]";
      if (array.getValue(i) instanceof String s) {
        out.add(checkText(field, s.strip(), 1, maxLength));
      } else {
        error(field, "must be a string");
        out.add(null);
      }
    }
    return out;
  }

  /** An optional positive whole-number id; absent or null gives null. */
  public Long optionalId(String name) {
    Object value = json.getValue(name);
    if (value == null) return null;
    if (value instanceof Number n && (n instanceof Integer || n instanceof Long) && n.longValue() > 0) {
      return n.longValue();
    }
    error(name, "must be a positive whole number");
    return null;
  }

  /** An optional whole number (a JSON integer, not 1.0 or "1"); absent or null gives null. */
  public Long optionalWholeNumber(String name) {
    Object value = json.getValue(name);
    if (value == null) return null;
    if (value instanceof Integer || value instanceof Long) return ((Number) value).longValue();
    error(name, "must be a whole number");
    return null;
  }

  /** An optional JSON boolean (not "true" or 1); absent or null gives {@code fallback}. */
  public boolean optionalFlag(String name, boolean fallback) {
    Object value = json.getValue(name);
    if (value == null) return fallback;
    if (value instanceof Boolean b) return b;
    error(name, "must be true or false");
    return fallback;
  }

  /** Records an error found by the caller's own rule. */
  public void error(String field, String message) {
    errors.add(new Problem.FieldError(field, message));
  }

  /** Whether an error was recorded for {@code field} already. */
  public boolean hasError(String field) {
    return errors.stream().anyMatch(e -> e.field().equals(field));
  }

  /** Throws the collected errors as one 400, if there are any. */
  public void check() {
    if (!errors.isEmpty()) throw Problem.invalid(errors);
  }
}
