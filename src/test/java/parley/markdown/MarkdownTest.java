package parley.markdown;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** No Markdown input may put script into a page. */
class MarkdownTest {

  private static String html(String markdown) {
    return Markdown.render(markdown).html();
  }

  @Test
  void rendersOrdinaryMarkdown() {
    assertEquals("<p>Hello <em>world</em> and <strong>you</strong></p>\n", html("Hello *world* and **you**"));
    assertTrue(html("- a\n- b").contains("<ul>"));
    assertTrue(html("`code`").contains("<code>code</code>"));
  }

  @Test
  void rawHtmlIsEscaped() {
    String out = html("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\nhi <b onclick=x>b</b>");
    assertFalse(out.contains("<script"), out);
    assertFalse(out.contains("<img"), out);
    assertFalse(out.contains("<b "), out);
    assertTrue(out.contains("&lt;script&gt;"), out);
  }

  @Test
  void linksKeepOnlyWebAndMailSchemes() {
    assertTrue(html("[a](https://example.org/x)").contains("href=\"https://example.org/x\""));
    assertTrue(html("[a](http://example.org)").contains("href=\"http://example.org\""));
    assertTrue(html("[a](mailto:me@example.org)").contains("href=\"mailto:me@example.org\""));
    for (String evil : new String[] {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox", "/relative", "//evil.example"}) {
      String out = html("[click](" + evil.replace("\t", "&#9;") + ")");
      assertTrue(out.contains("href=\"\""), evil + " -> " + out);
    }
    assertTrue(html("<javascript:alert(1)>").contains("href=\"\"") || !html("<javascript:alert(1)>").contains("href"));
  }

  @Test
  void linksCarryRelNofollowUgcNoopener() {
    assertTrue(html("[a](https://example.org)").contains("rel=\"nofollow ugc noopener\""));
  }

  @Test
  void imagesOnlyLoadFromWebUrls() {
    assertTrue(html("![x](https://example.org/i.png)").contains("src=\"https://example.org/i.png\""));
    assertTrue(html("![x](javascript:alert(1))").contains("src=\"\""));
    assertTrue(html("![x](data:image/svg+xml;base64,AAAA)").contains("src=\"\""));
  }

  @Test
  void attributeBreakoutsAreEscaped() {
    String out = html("[a](https://example.org/\"onmouseover=\"alert(1))");
    assertFalse(out.contains("\"onmouseover"), out);
  }

  @Test
  void pathologicalNestingDoesNotCrash() {
    String out = html(">".repeat(40_000) + " deep");
    assertTrue(out.contains("deep"));
    String lists = html("- ".repeat(10_000) + "x");
    assertTrue(lists.contains("x"));
  }

  @Test
  void excerptIsPlainTextCutAtAWord() {
    Markdown.Rendered r = Markdown.render("# Title\n\nSome *emphasis* and a [link](https://example.org).\n\n"
        + "word ".repeat(200));
    assertTrue(r.excerpt().startsWith("Title Some emphasis and a link."), r.excerpt());
    assertFalse(r.excerpt().contains("https://"));
    assertTrue(r.excerpt().endsWith("…"));
    assertTrue(r.excerpt().length() <= 281);
  }
}
