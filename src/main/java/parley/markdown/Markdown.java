package parley.markdown;

import org.commonmark.ext.autolink.AutolinkExtension;
import org.commonmark.ext.autolink.AutolinkType;
import org.commonmark.ext.gfm.strikethrough.Strikethrough;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.ext.gfm.tables.TableCell;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.Extension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Block;
import org.commonmark.node.Code;
import org.commonmark.node.Emphasis;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.Image;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Link;
import org.commonmark.node.ListItem;
import org.commonmark.node.Node;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.StrongEmphasis;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.commonmark.renderer.html.UrlSanitizer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns user Markdown into HTML that is safe to insert into a page: raw HTML is escaped, only http, https and
 * mailto links and paths on this site survive (images: http, https and this site's image files), bare web addresses
 * are linked, and every link out carries rel="nofollow ugc noopener" (a path on this site, or a mention, none).
 * Rendering
 * happens once, when content is written; readers get the stored result.
 */
public final class Markdown {

  /** The HTML and a plain-text excerpt of one piece of Markdown. */
  public record Rendered(String html, String excerpt) {

    /** How many links out of Parley it has (mentions of Parley's own users not counted). */
    public int links() {
      return Markdown.links(html);
    }
  }

  /** How many links out of Parley HTML this class rendered has (as stored with a post or comment). */
  public static int links(String html) {
    int count = 0;
    for (int at = html.indexOf(LINK_OUT); at >= 0; at = html.indexOf(LINK_OUT, at + 1)) count++;
    return count;
  }

  /** Where the links out of Parley in HTML this class rendered lead, in order, as often as they occur. */
  public static List<String> linkTargets(String html) {
    List<String> targets = new java.util.ArrayList<>();
    Matcher tag = LINK_TAG.matcher(html);
    while (tag.find()) {
      if (!tag.group().contains(LINK_OUT)) continue;
      Matcher href = HREF.matcher(tag.group());
      targets.add(href.find() ? href.group(1) : "");
    }
    return targets;
  }

  private static final int EXCERPT_LENGTH = 280;
  /** Where a mention links: the user's profile. */
  static final String MENTION_PREFIX = "/u/";
  private static final Pattern MENTION_LINK = Pattern.compile("/u/[A-Za-z0-9_-]{3,30}");
  /**
   * A bare address in prose ({@code https://…}, {@code www.…}) is a link, as on every forum; e-mail addresses stay
   * text (a mailto link only helps whoever harvests them). Autolinks go through the same scheme allow list, rel and
   * link count as written links.
   */
  private static final List<Extension> EXTENSIONS = List.of(
      AutolinkExtension.builder().linkTypes(AutolinkType.URL, AutolinkType.WWW).build(),
      // GitHub's tables and ~~strikethrough~~ (two tildes only: one is too often a "roughly").
      TablesExtension.create(), StrikethroughExtension.builder().requireTwoTildes(true).build());
  private static final Parser PARSER = Parser.builder().extensions(EXTENSIONS).build();
  /** What every rendered link out of Parley carries. */
  private static final String LINK_REL = "nofollow ugc noopener";
  private static final String LINK_OUT = "rel=\"" + LINK_REL + "\"";
  private static final Pattern LINK_TAG = Pattern.compile("<a\\s[^>]*>");
  private static final Pattern HREF = Pattern.compile("\\shref=\"([^\"]*)\"");

  private static final HtmlRenderer HTML = HtmlRenderer.builder()
      .extensions(EXTENSIONS)
      .escapeHtml(true)
      .sanitizeUrls(true)
      .urlSanitizer(new SchemeAllowList())
      .percentEncodeUrls(true)
      .attributeProviderFactory(context -> (node, tag, attributes) -> {
        if (node instanceof Link && "".equals(attributes.get("href"))) {
          // A refused target leaves no href (an empty one is a link to the page itself, which a click reloads) and
          // no rel (commonmark's sanitiser puts one on every link): it is the link's words and leads nowhere.
          attributes.remove("href");
          attributes.remove("rel");
        } else if (node instanceof Link link && MENTION_LINK.matcher(link.getDestination()).matches()) {
          // A link to a profile here, not to somewhere a spammer wants ranked.
          attributes.remove("rel");
          attributes.put("class", "mention");
        } else if (node instanceof Link link && onThisSite(link.getDestination())) {
          // A page of this site ("/posts/42"): not a link out, so neither ranked-away nor counted for the holds.
          attributes.remove("rel");
        } else if (node instanceof Link) {
          attributes.put("rel", LINK_REL);
        }
        if (node instanceof Image) attributes.put("loading", "lazy");
      })
      .build();

  private Markdown() {
  }

  /**
   * A text parsed once: the names it mentions, and its document, to render once their accounts are known. Rendered at
   * most once (linking the mentions changes the document).
   */
  public static final class Parsed {
    private final String markdown;
    /** Null when the nesting was too deep to parse: the text is then shown as it was written. */
    private final Node document;
    private final List<String> mentions;

    private Parsed(String markdown, Node document, List<String> mentions) {
      this.markdown = markdown;
      this.document = document;
      this.mentions = mentions;
    }

    /** The names {@code @mentioned} in prose (not in code or links), lower-cased, once each, in order. */
    public List<String> mentions() {
      return mentions;
    }
  }

  public static Rendered render(String markdown) {
    return render(markdown, Map.of());
  }

  /**
   * Renders with {@code @username} mentions of existing users linked to their profiles: {@code users} maps each
   * known name, lower-cased, to its spelling on the account. Other {@code @words} stay plain text, and so does a
   * mention inside code or inside a link.
   */
  public static Rendered render(String markdown, Map<String, String> users) {
    return render(parse(markdown), users);
  }

  /** Parses a text, for its mentions and then its rendering: one parse for both. */
  public static Parsed parse(String markdown) {
    try {
      Node document = PARSER.parse(markdown);
      LinkedHashSet<String> names = new LinkedHashSet<>();
      for (Mention m : mentionsIn(document)) names.add(m.name().toLowerCase(Locale.ROOT));
      return new Parsed(markdown, document, List.copyOf(names));
    } catch (StackOverflowError e) {
      return new Parsed(markdown, null, List.of());
    }
  }

  /** As {@link #render(String, Map)}, for a text already parsed. */
  public static Rendered render(Parsed parsed, Map<String, String> users) {
    if (parsed.document != null) {
      try {
        if (!users.isEmpty()) linkMentions(parsed.document, users);
        asciiAddresses(parsed.document);
        return new Rendered(wellFormed(HTML.render(parsed.document)), wellFormed(excerpt(plainText(parsed.document))));
      } catch (StackOverflowError e) {
        // shown as written, below
      }
    }
    // Pathological nesting (thousands of ">" or list levels) is shown as plain text rather than refused.
    return new Rendered("<p>" + escape(parsed.markdown) + "</p>\n", excerpt(parsed.markdown));
  }

  /** The names {@code @mentioned} in prose (not in code or links), lower-cased, once each, in order of appearance. */
  public static List<String> mentions(String markdown) {
    return parse(markdown).mentions();
  }

  /**
   * A name after an {@code @} that no name, address or path runs into, and that is not itself an address's user part:
   * {@code @bob@carol.org} (or {@code @bob@über.de}, {@code @bob@[10.0.0.1]}) is another site's bob (a fediverse
   * handle, or an address written after an @), not this site's (a review found it linked and notified);
   * {@code @bob.}, {@code @bob,} and {@code @bob@} at the end of a sentence are this site's.
   */
  private static final Pattern MENTION =
      Pattern.compile("(?<![A-Za-z0-9_.@/-])@([A-Za-z0-9_-]{3,30})(?![A-Za-z0-9_-])(?!@\\S)");

  /** A mention found in a text node: where in its literal, and the name. */
  private record Mention(Text text, int start, int end, String name) {
  }

  /**
   * The mentions in prose (not in code, links or images), in order, all found before anything is changed. A text
   * node's neighbours across emphasis count for what runs into a name: {@code **@bob**@carol.org} reads as
   * {@code @bob@carol.org}, another site's bob, though "@bob" is a node of its own (a review found it linked).
   */
  private static List<Mention> mentionsIn(Node document) {
    List<Text> texts = new ArrayList<>();
    document.accept(new AbstractVisitor() {
      @Override
      public void visit(Text text) {
        texts.add(text);
      }

      @Override
      public void visit(Link link) {
        // a mention inside a link's text stays as written
      }

      @Override
      public void visit(Image image) {
      }
    });
    List<Mention> found = new ArrayList<>();
    for (Text text : texts) {
      String literal = text.getLiteral();
      String before = neighbour(text, false);
      String after = neighbour(text, true);
      String prefix = before.isEmpty() ? "" : before.substring(before.length() - 1);
      String suffix = after.substring(0, Math.min(2, after.length()));
      Matcher m = MENTION.matcher(prefix + literal + suffix);
      m.useTransparentBounds(true).useAnchoringBounds(false)
          .region(prefix.length(), prefix.length() + literal.length());
      while (m.find()) {
        found.add(new Mention(text, m.start() - prefix.length(), m.end() - prefix.length(), m.group(1)));
      }
    }
    return found;
  }

  /**
   * The words a reader sees right before (or after) a text node when only emphasis lies between them, or "" at the
   * edge of a block, a line break, code or a link.
   */
  private static String neighbour(Text text, boolean after) {
    Node node = text;
    while (true) {
      Node sibling = after ? node.getNext() : node.getPrevious();
      if (sibling != null) {
        while (emphasis(sibling)) {
          sibling = after ? sibling.getFirstChild() : sibling.getLastChild();
        }
        return sibling instanceof Text t ? t.getLiteral() : "";
      }
      node = node.getParent();
      if (!emphasis(node)) return "";
    }
  }

  /** Markup that only changes how words look: what runs into a name across it still runs into it. */
  private static boolean emphasis(Node node) {
    return node instanceof Emphasis || node instanceof StrongEmphasis || node instanceof Strikethrough;
  }

  private static void linkMentions(Node document, Map<String, String> users) {
    List<Mention> mentions = mentionsIn(document);
    for (int i = 0; i < mentions.size(); ) {
      Text text = mentions.get(i).text();
      String literal = text.getLiteral();
      int at = 0;
      boolean changed = false;
      Node before = text;
      for (; i < mentions.size() && mentions.get(i).text() == text; i++) {
        Mention m = mentions.get(i);
        String user = users.get(m.name().toLowerCase(Locale.ROOT));
        if (user == null) continue;
        changed = true;
        if (m.start() > at) before = insertAfter(before, new Text(literal.substring(at, m.start())));
        Link link = new Link(MENTION_PREFIX + user, null);
        link.appendChild(new Text(literal.substring(m.start(), m.end())));
        before = insertAfter(before, link);
        at = m.end();
      }
      if (!changed) continue;
      if (at < literal.length()) insertAfter(before, new Text(literal.substring(at)));
      text.unlink();
    }
  }

  /** An address as a link's text: a scheme or www., then its host, then the rest. */
  private static final Pattern ADDRESS = Pattern.compile("(?i)^(https?://|(?=www\\.))([^/?#:\\s]+)(.*)$",
      Pattern.DOTALL);

  /**
   * A link whose text is a web address (a bare address in prose, or one written as its own link's text) shows its
   * host in ASCII form: "https://раураl.com/login", in Cyrillic letters, would read as paypal.com; shown as
   * "https://xn--l-7sba6dbr.com/login" it is what it is. Where it leads is unchanged.
   */
  private static void asciiAddresses(Node document) {
    document.accept(new AbstractVisitor() {
      @Override
      public void visit(Link link) {
        if (link.getFirstChild() instanceof Text text && text.getNext() == null) {
          Matcher m = ADDRESS.matcher(text.getLiteral());
          if (m.matches() && !m.group(2).chars().allMatch(c -> c < 0x80)) {
            try {
              text.setLiteral(m.group(1) + java.net.IDN.toASCII(m.group(2), java.net.IDN.ALLOW_UNASSIGNED)
                  + m.group(3));
            } catch (IllegalArgumentException notAHost) {
              // left as written: it is not a name a browser would go to either
            }
          }
        }
      }
    });
  }

  private static Node insertAfter(Node anchor, Node node) {
    anchor.insertAfter(node);
    return node;
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

      // HTML is shown as written (the renderer escapes it), so it is part of what a reader sees: an excerpt left it
      // out, and a post of "<div>Hello readers</div>" had an empty one (a probe). Code blocks show too.
      @Override
      public void visit(HtmlInline html) {
        sb.append(html.getLiteral());
      }

      @Override
      public void visit(HtmlBlock html) {
        sb.append(html.getLiteral()).append(' ');
      }

      @Override
      public void visit(FencedCodeBlock code) {
        sb.append(code.getLiteral()).append(' ');
      }

      @Override
      public void visit(IndentedCodeBlock code) {
        sb.append(code.getLiteral()).append(' ');
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
        // A heading runs into what follows it: "Be kind: No harassment.", not "Be kind No harassment." (a review).
        if (parent instanceof Heading && !sb.isEmpty() && ".,;:!?…".indexOf(sb.charAt(sb.length() - 1)) < 0) {
          sb.append(':');
        }
        if (parent instanceof Block) sb.append(' ');
        // A table's cells read apart: "Bikes 620 Peak 18:00", not "Bikes620Peak18:00".
        if (parent instanceof TableCell) sb.append(' ');
      }

      @Override
      public void visit(Image image) {
        // alt text is not part of the prose
      }

      @Override
      public void visit(ListItem item) {
        // A list's items read as a list on one line: "620 bikes · Evening peak", not "620 bikes Evening peak".
        // A nested list's first item follows its parent item's words the same way.
        boolean nested = item.getParent() != null && item.getParent().getParent() instanceof ListItem;
        if (item.getPrevious() != null || nested) sb.append("· ");
        visitChildren(item);
      }
    });
    return sb.toString();
  }

  static String excerpt(String text) {
    return cut(text, EXCERPT_LENGTH);
  }

  /**
   * The prose of a Markdown text as one line of at most {@code length} characters (and an ellipsis), cut at a word:
   * what a notification or a list shows of a comment, without its Markdown.
   */
  public static String excerptOf(String markdown, int length) {
    Parsed parsed = parse(markdown);
    String text = markdown;
    if (parsed.document != null) {
      try {
        text = plainText(parsed.document);
      } catch (StackOverflowError e) {
        // shown as written
      }
    }
    return wellFormed(cut(text, length));
  }

  private static String cut(String text, int length) {
    String flat = text.replaceAll("\\s+", " ").strip();
    if (flat.codePointCount(0, flat.length()) <= length) return flat;
    int end = flat.offsetByCodePoints(0, length);
    int space = flat.lastIndexOf(' ', end);
    // A cut after a sentence or a clause loses its stop: "matters more…", not "matters more.…".
    return flat.substring(0, space > length / 2 ? space : end).replaceAll("[\\s.,;:]+$", "") + "…";
  }

  /**
   * The text with any half of a surrogate pair, and any control character but tab and line breaks, replaced by
   * U+FFFD. Fields refuse them in what is sent, but a numeric character reference spells one ({@code &#xD800;},
   * {@code &#x1;}), which commonmark decodes as written: the preview answered JSON that is not Unicode, a stored page
   * showed "?", and control characters reached pages, excerpts and search snippets (a probe).
   */
  static String wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (!pairedAt(s, i)) return replaceUnfit(s);
        i++;
      } else if (refusedControl(c)) {
        return replaceUnfit(s);
      }
    }
    return s;
  }

  /** A control character the fields refuse (C0 but tab, line feed and carriage return; DEL; C1). */
  private static boolean refusedControl(char c) {
    return Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r';
  }

  /** Whether a whole surrogate pair starts at {@code i}. */
  private static boolean pairedAt(String s, int i) {
    return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
  }

  private static String replaceUnfit(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (pairedAt(s, i)) {
        sb.append(c).append(s.charAt(++i));
      } else {
        sb.append(Character.isSurrogate(c) || refusedControl(c) ? '\uFFFD' : c);
      }
    }
    return sb.toString();
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;").replace("'", "&#39;");
  }

  /**
   * Whether a URL is a path on this site ({@code /posts/42}, {@code /favicon.svg}): one slash, then not a second
   * slash or a backslash, which browsers read as the start of another host ({@code //evil.example},
   * {@code /\evil.example}), the characters browsers skip inside a URL (tabs, line breaks) skipped here too.
   */
  static boolean onThisSite(String url) {
    String s = normalise(url);
    return s.length() > 1 && s.charAt(0) == '/' && s.charAt(1) != '/' && s.charAt(1) != '\\'
        || s.equals("/");
  }

  /** A path on this site to a static image file (not under /api or /realworld), with no query. */
  private static final Pattern IMAGE_FILE =
      Pattern.compile("/(?!api/|realworld/)[^?#]*\\.(png|jpe?g|gif|svg|webp|avif|ico)(#.*)?");

  private static String normalise(String url) {
    StringBuilder sb = new StringBuilder(url.length());
    url.codePoints().filter(c -> c > 0x20 && c != 0x7f).forEach(sb::appendCodePoint);
    return sb.toString().toLowerCase(Locale.ROOT);
  }

  /**
   * Keeps a URL only when its scheme is on the list or it is a path on this site; browsers ignore control
   * characters, so we do too.
   */
  private static final class SchemeAllowList implements UrlSanitizer {
    @Override
    public String sanitizeLinkUrl(String url) {
      if (MENTION_LINK.matcher(url).matches() || onThisSite(url)) return url;
      String s = normalise(url);
      return s.startsWith("https://") || s.startsWith("http://") || s.startsWith("mailto:") ? url : "";
    }

    @Override
    public String sanitizeImageUrl(String url) {
      // A path on this site only to an image file: every reader's browser asks for it with the page, and an image
      // of an API path held live streams open (six of /api/posts/1/events held a reader's every connection for 15 s:
      // a review).
      if (onThisSite(url)) return IMAGE_FILE.matcher(normalise(url)).matches() ? url : "";
      String s = normalise(url);
      return s.startsWith("https://") || s.startsWith("http://") ? url : "";
    }
  }
}
