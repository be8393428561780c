package parley.search;

/**
 * A search result's snippet as HTML that is safe to insert: PostgreSQL's ts_headline marks the matched words with
 * two control characters that never occur in stored text (they are taken out of the text before it is marked); the
 * whole snippet is HTML-escaped and only those marks become {@code <mark>} and {@code </mark>}. The text marked is
 * the body as rendered (its HTML, whose tags ts_headline's parser leaves out), so a snippet reads as the post does,
 * not as its Markdown ("**finally**", "- 3.5 m"); the entities the renderer wrote are read back before escaping.
 */
final class Snippet {

  /** Where ts_headline starts and stops a match. */
  static final char START = '\u0002';
  static final char STOP = '\u0003';

  /**
   * ts_headline's options: the marks, and up to two fragments of at most 30 words around matches (so a match deep in
   * a long body shows with its context), joined by an ellipsis; short words are kept at a fragment's ends. Written
   * as SQL (the marks are control characters, built with chr()). ts_headline also leaves out what its parser takes
   * for HTML tags and entities; whatever else the text holds is escaped by {@link #html}.
   */
  static final String OPTIONS = "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || "
      + "', MaxWords=30, MinWords=12, ShortWord=0, MaxFragments=2, FragmentDelimiter=\" … \"'";

  private Snippet() {
  }

  /** SQL for the text of {@code column} without the marks, ready to be marked. */
  static String unmarked(String column) {
    return "translate(" + column + ", chr(2) || chr(3), '')";
  }

  /**
   * The marked text (rendered HTML without its tags) as HTML: its entities read back, then everything escaped, runs
   * of white space as one space, the marks as mark elements.
   */
  static String html(String marked) {
    if (marked == null) return "";
    marked = marked.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
        .replace("&amp;", "&");
    StringBuilder out = new StringBuilder(marked.length() + 32);
    boolean open = false;
    boolean space = false;
    for (int i = 0; i < marked.length(); i++) {
      char c = marked.charAt(i);
      if (Character.isWhitespace(c)) {
        space = true;
        continue;
      }
      if (space && out.length() > 0) out.append(' ');
      space = false;
      switch (c) {
        case START -> {
          if (!open) out.append("<mark>");
          open = true;
        }
        case STOP -> {
          if (open) out.append("</mark>");
          open = false;
        }
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    if (open) out.append("</mark>");
    return out.toString();
  }
}
