package parley.browser;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Classic script-injection payloads for {@link ScriptInjectionTest}. Each one, if it ever ran, would call
 * {@code window.__xss(n)} with its own number (or assign {@code window.__xss} or {@code document.title}), so a run
 * names the payload that got through.
 *
 * <p>Each payload also says what a reader must see once it is rendered as Markdown (raw HTML is escaped, links keep
 * their text but lose a bad target, entities and backslash escapes are decoded). In plain-text fields (titles,
 * reasons) a reader must see the text itself, trimmed as the server trims it.
 */
final class Payloads {

  /**
   * One payload.
   *
   * @param n            the number it would report to {@code window.__xss}
   * @param text         what is sent
   * @param markdownText what a reader sees when it is rendered as Markdown, or null when that is {@code text}
   *                     itself (image alt text counts as seen: a browser shows it for a broken image)
   */
  record Payload(int n, String text, String markdownText) {

    /** As a trimmed plain-text field (title, report details, moderator reasons) stores and shows it. */
    String plain() {
      return text.strip();
    }

    /** The words a reader sees once the server has rendered it as Markdown. */
    String markdown() {
      return markdownText == null ? text : markdownText;
    }

    /**
     * The documented rule for post sources: only absolute http and https URLs are kept, and none with a user name or
     * password before the host ("https://javascript:x@example.org/" is refused).
     */
    boolean isWebUrl() {
      String s = text.strip().toLowerCase(Locale.ROOT);
      if (!s.startsWith("http://") && !s.startsWith("https://")) return false;
      try {
        return new java.net.URI(text.strip()).getRawUserInfo() == null;
      } catch (java.net.URISyntaxException e) {
        return false;
      }
    }

    @Override
    public String toString() {
      return "payload " + n + " " + text.replace("\n", "\\n").replace("\t", "\\t");
    }
  }

  private static Payload same(int n, String text) {
    return new Payload(n, text, null);
  }

  private static Payload shows(int n, String text, String markdownText) {
    return new Payload(n, text, markdownText);
  }

  /** Rendered payloads: every field that takes text stores them, and every page must show them as text. */
  static final List<Payload> ALL = List.of(
      // Raw HTML and script elements. The Markdown renderer escapes raw HTML, so it reads exactly as written.
      same(1, "<script>window.__xss(1)</script>"),
      same(2, "<ScRiPt >window.__xss(2)</sCrIpT>"),
      same(3, "<img src=x onerror=window.__xss(3)>"),
      same(4, "<svg onload=window.__xss(4)>"),
      same(5, "<iframe srcdoc=\"<script>parent.__xss(5)</script>\"></iframe>"),
      same(6, "<iframe src=\"javascript:parent.__xss(6)\"></iframe>"),
      same(7, "<object data=\"data:text/html,<script>parent.__xss(7)</script>\"></object>"),
      same(8, "<a href=\"javascript:window.__xss(8)\">click 8</a>"),
      same(9, "<form><button formaction=javascript:window.__xss(9)>go 9</button></form>"),
      same(10, "<base href=\"javascript:window.__xss(10)//\">"),
      // Breaking out of an attribute value or of the element the text lands in.
      same(11, "\"><img src=x onerror=window.__xss(11)>"),
      same(12, "'><svg onload=window.__xss(12)>"),
      same(13, "\" onmouseover=\"window.__xss(13)\" x=\""),
      same(14, "</title><script>window.__xss(14)</script>"),
      same(15, "</textarea><script>window.__xss(15)</script>"),
      // Template syntaxes: harmless unless some code evaluates them.
      same(16, "${window.__xss(16)}"),
      shows(17, "`-window.__xss(17)-`", "-window.__xss(17)-"),
      // Mutation XSS: markup that changes meaning when a sanitiser's output is parsed again.
      same(18, "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss(18)>"),
      same(19, "<noscript><p title=\"</noscript><img src=x onerror=window.__xss(19)>\">"),
      same(20, "<style><img src=x onerror=window.__xss(20)></style>"),
      same(21, "<!--><img src=x onerror=window.__xss(21)>-->"),
      // Encodings: escapes and entities that a careless decoder would turn back into markup.
      same(22, "\\u003cscript\\u003ewindow.__xss(22)\\u003c/script\\u003e"),
      shows(23, "&lt;img src=x onerror=window.__xss(23)&gt;", "<img src=x onerror=window.__xss(23)>"),
      shows(24, "&#60;script&#62;window.__xss(24)&#60;/script&#62;", "<script>window.__xss(24)</script>"),
      same(25, "\uFF1Cscript\uFF1Ewindow.__xss(25)\uFF1C/script\uFF1E"),
      shows(26, "\\<script>window.__xss(26)\\</script>", "<script>window.__xss(26)</script>"),
      shows(27, "&#0;<script>window.__xss(27)</script>", "\uFFFD<script>window.__xss(27)</script>"),
      // Payloads that would assign rather than call.
      same(28, "<img src=x onerror=\"window.__xss=28\">"),
      same(29, "<img src=x onerror=\"document.title='xss 29'\">"),
      // Markdown links and images with script targets: the text stays, the target must not.
      shows(30, "[xss 30](javascript:window.__xss(30))", "xss 30"),
      shows(31, "[xss 31](JaVaScRiPt:window.__xss(31))", "xss 31"),
      shows(32, "[xss 32](&#106;avascript:window.__xss(32))", "xss 32"),
      shows(33, "[xss 33](java&#x09;script:window.__xss(33))", "xss 33"),
      shows(34, "[xss 34](data:text/html,%3Cscript%3Eparent.__xss(34)%3C/script%3E)", "xss 34"),
      shows(35, "![xss 35](javascript:window.__xss(35))", "xss 35"),
      shows(36, "![xss 36](data:image/svg+xml,%3Csvg%20onload%3Dwindow.__xss(36)%3E)", "xss 36"),
      shows(37, "<javascript:window.__xss(37)>", "javascript:window.__xss(37)"),
      shows(38, "<JaVaScRiPt:window.__xss(38)>", "JaVaScRiPt:window.__xss(38)"),
      shows(39, "[xss 39][r39]\n\n[r39]: javascript:window.__xss(39)", "xss 39"),
      shows(40, "[xss 40]\n\n[xss 40]: javascript:window.__xss(40) \"title 40\"", "xss 40"),
      shows(41, "[xss 41](vbscript:window.__xss(41))", "xss 41"),
      shows(42, "[xss 42](  javascript:window.__xss(42)  \"title 42\")", "xss 42"),
      shows(43, "[xss 43](<javascript:window.__xss(43)>)", "xss 43"),
      shows(44, "[xss 44](javascript&colon;window.__xss(44))", "xss 44"),
      shows(45, "[xss 45](javascript://%0Awindow.__xss(45))", "xss 45"),
      // Script URLs as plain text; as post sources the server must refuse them.
      same(46, "javascript:window.__xss(46)"),
      same(47, "data:text/html,<script>window.__xss(47)</script>"),
      same(48, "  JaVaScRiPt:window.__xss(48)"),
      same(49, "https:javascript:window.__xss(49)"),
      same(50, "java\tscript:window.__xss(50)"),
      // Real http(s) URLs carrying script: valid sources, so they are stored and must be shown safely.
      same(51, "https://example.org/?q='onmouseover='window.__xss(51)'"),
      same(52, "https://example.org/#javascript:window.__xss(52)"),
      same(53, "https://javascript:window.__xss(53)@example.org/"),
      same(54, "https://example.org/%22%3E%3Cscript%3Ewindow.__xss(54)%3C/script%3E"),
      same(55, "https://example.org/'-window.__xss(55)-'"),
      same(56, "https://example.org/?next=javascript:window.__xss(56)"),
      same(57, "https://example.org/?c='+window.__xss(57)+'"),
      same(58, "https://example.org/?x=%3C/script%3E%3Csvg/onload=window.__xss(58)%3E"),
      same(59, "https://example.org/?cb=window.__xss(59)//"),
      same(60, "HTTPS://EXAMPLE.ORG/%27%3E%3Cimg%20src=x%20onerror=window.__xss(60)%3E"));

  /** Payloads with a NUL character: the API refuses NUL in every text field, so these can never be stored. */
  static final List<Payload> WITH_NUL = List.of(
      same(61, "<scr\u0000ipt>window.__xss(61)</script>"),
      same(62, "<img src=x onerror=window.__xss(62)\u0000>"));

  /**
   * An email address that is a payload: the local part may hold quotes, slashes and equals signs (angle brackets and
   * double quotes are refused), enough to break out of a single-quoted attribute. No page shows an address; the
   * sign-in page takes it as a login.
   */
  static final Payload EMAIL = same(63, "x'/onfocus='window.__xss=63'autofocus='@example.org");
  /** The address payload before addresses were checked as providers hand them out: refused now. */
  static final String REFUSED_EMAIL = "\"><svg/onload=window.__xss(63)>@example.org";

  private Payloads() {
  }

  /** The payloads in groups of {@code size}, in order. */
  static List<List<Payload>> groups(int size) {
    List<List<Payload>> groups = new ArrayList<>();
    for (int i = 0; i < ALL.size(); i += size) groups.add(ALL.subList(i, Math.min(ALL.size(), i + size)));
    return groups;
  }

  /** Every payload as its own Markdown paragraph, so each is parsed as if it stood alone. */
  static String asOneMarkdownBody() {
    return ALL.stream().map(Payload::text).collect(Collectors.joining("\n\n"));
  }

  /** As many whole payloads as fit in {@code maxLength} code points, one per line, in order. */
  static String packed(int maxLength) {
    StringBuilder sb = new StringBuilder();
    for (Payload p : ALL) {
      String next = sb.isEmpty() ? p.plain() : "\n" + p.plain();
      if (sb.codePointCount(0, sb.length()) + next.codePointCount(0, next.length()) > maxLength) break;
      sb.append(next);
    }
    return sb.toString();
  }
}
