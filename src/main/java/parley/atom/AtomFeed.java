package parley.atom;

import parley.http.Iso;
import parley.post.Post;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * An Atom 1.0 document (RFC 4287) of posts: the feed's id is its own URL and each entry's id its post's URL, every
 * text is XML-escaped, and characters XML cannot carry at all are left out.
 *
 * @param origin    scheme, host and port the URLs start with ("https://parley.example")
 * @param selfPath  the feed's own path ("/feed.atom")
 * @param htmlPath  the page that shows the same posts ("/")
 * @param title     the feed's title
 */
record AtomFeed(String origin, String selfPath, String htmlPath, String title) {

  static final String CONTENT_TYPE = "application/atom+xml; charset=utf-8";

  /** The document for these posts, newest first. */
  String render(List<Post> posts) {
    String self = origin + selfPath;
    StringBuilder xml = new StringBuilder(2048 + posts.size() * 1024);
    xml.append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
        .append("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    element(xml, "  ", "id", self);
    element(xml, "  ", "title", title);
    element(xml, "  ", "updated", updated(posts));
    link(xml, "  ", "self", "application/atom+xml", self);
    link(xml, "  ", "alternate", "text/html", origin + htmlPath);
    element(xml, "  ", "generator", "Parley");
    for (Post post : posts) entry(xml, post);
    return xml.append("</feed>\n").toString();
  }

  private void entry(StringBuilder xml, Post post) {
    String url = origin + "/posts/" + post.id();
    xml.append("  <entry>\n");
    element(xml, "    ", "id", url);
    element(xml, "    ", "title", post.title());
    link(xml, "    ", "alternate", "text/html", url);
    xml.append("    <author>\n");
    element(xml, "      ", "name", post.author());
    element(xml, "      ", "uri", origin + "/u/" + post.author());
    xml.append("    </author>\n");
    element(xml, "    ", "published", Iso.format(post.createdAt()));
    element(xml, "    ", "updated", Iso.format(updatedAt(post)));
    for (String tag : post.tags()) xml.append("    <category term=\"").append(escape(tag)).append("\"/>\n");
    element(xml, "    ", "summary", post.excerpt());
    xml.append("  </entry>\n");
  }

  /** The latest change among the entries; with none, now (Atom requires the element). */
  private static String updated(List<Post> posts) {
    return posts.stream().map(AtomFeed::updatedAt).max(OffsetDateTime::compareTo).map(Iso::format)
        .orElseGet(() -> Iso.format(OffsetDateTime.ofInstant(Instant.now(), java.time.ZoneOffset.UTC)));
  }

  private static OffsetDateTime updatedAt(Post post) {
    return post.editedAt() == null ? post.createdAt() : post.editedAt();
  }

  private static void element(StringBuilder xml, String indent, String name, String text) {
    xml.append(indent).append('<').append(name).append('>').append(escape(text)).append("</").append(name)
        .append(">\n");
  }

  private static void link(StringBuilder xml, String indent, String rel, String type, String href) {
    xml.append(indent).append("<link rel=\"").append(rel).append("\" type=\"").append(type).append("\" href=\"")
        .append(escape(href)).append("\"/>\n");
  }

  /** Text for element content or an attribute value: markup characters escaped, characters XML 1.0 forbids dropped. */
  static String escape(String text) {
    if (text == null) return "";
    StringBuilder out = new StringBuilder(text.length() + 16);
    text.codePoints().forEach(c -> {
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&apos;");
        default -> {
          if (allowed(c)) out.appendCodePoint(c);
        }
      }
    });
    return out.toString();
  }

  /** XML 1.0's Char production: tab, newline, carriage return and the rest of Unicode but surrogates, FFFE, FFFF. */
  private static boolean allowed(int c) {
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
        || (c >= 0x10000 && c <= 0x10FFFF);
  }
}
