package parley.markdown;

import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Block;
import org.commonmark.node.Code;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Image;
import org.commonmark.node.Link;
import org.commonmark.node.Node;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.commonmark.renderer.html.UrlSanitizer;

import java.util.Locale;

/**
 * Turns user Markdown into HTML that is safe to insert into a page: raw HTML is escaped, only http, https and
 * mailto links survive (images: http and https), and every link carries rel="nofollow ugc noopener". Rendering
 * happens once, when content is written; readers get the stored result.
 */
public final class Markdown {

  /** The HTML and a plain-text excerpt of one piece of Markdown. */
  public record Rendered(String html, String excerpt) {
  }

  private static final int EXCERPT_LENGTH = 280;
  private static final Parser PARSER = Parser.builder().build();
  private static final HtmlRenderer HTML = HtmlRenderer.builder()
      .escapeHtml(true)
      .sanitizeUrls(true)
      .urlSanitizer(new SchemeAllowList())
      .percentEncodeUrls(true)
      .attributeProviderFactory(context -> (node, tag, attributes) -> {
        if (node instanceof Link) attributes.put("rel", "nofollow ugc noopener");
        if (node instanceof Image) attributes.put("loading", "lazy");
      })
      .build();

  private Markdown() {
  }

  public static Rendered render(String markdown) {
    try {
      Node document = PARSER.parse(markdown);
      return new Rendered(HTML.render(document), excerpt(plainText(document)));
    } catch (StackOverflowError e) {
      // Pathological nesting (thousands of ">" or list levels) is shown as plain text rather than refused.
      return new Rendered("<p>" + escape(markdown) + "</p>\n", excerpt(markdown));
    }
  }

  /** The words a reader sees, without markup, link targets or image addresses. */
  private static String plainText(Node document) {
    StringBuilder sb = new StringBuilder();
    document.accept(new AbstractVisitor() {
      @Override
      public void visit(Text text) {
        sb.append(text.getLiteral());
      }

      @Override
      public void visit(Code code) {
        sb.append(code.getLiteral());
      }

      @Override
      public void visit(SoftLineBreak lineBreak) {
        sb.append(' ');
      }

      @Override
      public void visit(HardLineBreak lineBreak) {
        sb.append(' ');
      }

      @Override
      protected void visitChildren(Node parent) {
        super.visitChildren(parent);
        if (parent instanceof Block) sb.append(' ');
      }

      @Override
      public void visit(Image image) {
        // alt text is not part of the prose
      }
    });
    return sb.toString();
  }

  static String excerpt(String text) {
    String flat = text.replaceAll("\\s+", " ").strip();
    if (flat.codePointCount(0, flat.length()) <= EXCERPT_LENGTH) return flat;
    int end = flat.offsetByCodePoints(0, EXCERPT_LENGTH);
    int space = flat.lastIndexOf(' ', end);
    return flat.substring(0, space > EXCERPT_LENGTH / 2 ? space : end).stripTrailing() + "…";
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;").replace("'", "&#39;");
  }

  /** Keeps a URL only when its scheme is on the list; browsers ignore control characters, so we do too. */
  private static final class SchemeAllowList implements UrlSanitizer {
    @Override
    public String sanitizeLinkUrl(String url) {
      String s = normalise(url);
      return s.startsWith("https://") || s.startsWith("http://") || s.startsWith("mailto:") ? url : "";
    }

    @Override
    public String sanitizeImageUrl(String url) {
      String s = normalise(url);
      return s.startsWith("https://") || s.startsWith("http://") ? url : "";
    }

    private static String normalise(String url) {
      StringBuilder sb = new StringBuilder(url.length());
      url.codePoints().filter(c -> c > 0x20 && c != 0x7f).forEach(sb::appendCodePoint);
      return sb.toString().toLowerCase(Locale.ROOT);
    }
  }
}
