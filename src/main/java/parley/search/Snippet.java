package parley.search;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A search result's snippet as HTML that is safe to insert: PostgreSQL's ts_headline marks the matched words with
 * two control characters that never occur in stored text (they are taken out of the text before it is marked); the
 * whole snippet is HTML-escaped and only those marks become {@code <mark>} and {@code </mark>}. The text marked is
 * the body as rendered (its HTML), so a snippet reads as the post does, not as its Markdown ("**finally**",
 * "- 3.5 m"): inline tags are taken out as if they were not there (so "@bob," keeps its comma against the name),
 * block tags become a boundary that reads as a pause ("one · two" for two list items, a paragraph after a sentence
 * just a space), and the entities the renderer wrote are read back before escaping. A snippet that starts after the
 * body's start, or stops before its end, says so with an ellipsis, as the cut between two fragments does.
 */
final class Snippet {

  /** Where ts_headline starts and stops a match. */
  static final char START = '\u0002';
  static final char STOP = '\u0003';
  /** Where a block of the body (paragraph, list item, heading, line break) ended. */
  static final char BLOCK = '\u0004';
  /** Where ts_headline joined two fragments. */
  static final char JOIN = '\u0005';

  /** Inline elements: the words inside them run on with the words around them. */
  private static final String INLINE = "a|strong|em|b|i|s|del|code|span|sup|sub|mark|abbr|kbd|small|u";
  /** Block elements and line breaks: where one ends and the next begins. */
  private static final String BLOCKS = "p|li|ul|ol|h[1-6]|blockquote|pre|br|hr|tr|td|th|table|div|details|summary";

  /**
   * ts_headline's options: the marks, and up to two fragments of at most 30 words around matches (so a match deep in
   * a long body shows with its context), joined by a mark of their own ({@link #JOIN}: {@link #html} makes it an
   * ellipsis, or a space where the two sit side by side); short words are kept at a fragment's ends. Written as SQL
   * (the marks are control characters, built with chr()). ts_headline also leaves out what its parser takes for HTML
   * tags and entities; whatever else the text holds is escaped by {@link #html}.
   */
  static final String OPTIONS = "'StartSel=' || chr(2) || ', StopSel=' || chr(3) || "
      + "', MaxWords=30, MinWords=12, ShortWord=0, MaxFragments=2, FragmentDelimiter=' || chr(5)";

  /** How much of the body's start and end comes back, to tell whether the snippet reaches them. */
  private static final int EDGE = 600;
  /** Words compared at each end. */
  private static final int EDGE_WORDS = 3;
  private static final Pattern INLINE_TAG = Pattern.compile("</?(" + INLINE + ")(\\s[^>]*)?>",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern TAG = Pattern.compile("<[^>]*>");
  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");
  private static final Pattern ENTITY = Pattern.compile("&#?[A-Za-z0-9]+;");

  private Snippet() {
  }

  /**
   * How many characters of a body's HTML the snippet is made from: all of a body up to this length, else this many
   * around the first place the query's words occur (the function {@code snippet_window}, migration V29). ts_headline
   * weighs every run of matches in what it is given: 40-45 ms for a 40,000-character post the query's words run
   * through, about 1 ms for this many characters.
   */
  static final int WINDOW = 3_000;
  /** How much of a body's HTML its {@link #EDGE} characters of text are read from, at each end. */
  private static final int EDGE_HTML = 3_000;

  /**
   * The snippet's columns for a body's HTML {@code column}, a tsquery and the words to place a long body's window
   * by (an array: see {@code snippet_window}): {@code snippet} (marked by ts_headline), {@code head} and {@code tail}
   * (the body's first and last characters, for {@link #html}). Each reads a bounded part of the body, whatever its
   * length.
   */
  static String columns(String column, String query, String words) {
    // A body whose bytes fit the window is all of it: most bodies, which then cost no function call (and the words
    // are not computed for a page of them). octet_length is read from a stored value's header, not decompressed.
    String window = "CASE WHEN octet_length(" + column + ") <= " + WINDOW + " THEN " + column + " ELSE snippet_window("
        + column + ", " + words + ", " + WINDOW + ") END";
    return "ts_headline('english', " + text(window) + ", "
        + query + ", " + OPTIONS + ") AS snippet, left(" + plain("left(" + column + ", " + EDGE_HTML + ")") + ", "
        + EDGE + ") AS head, right(" + plain("right(" + column + ", " + EDGE_HTML + ")") + ", " + EDGE + ") AS tail";
  }

  /**
   * The column {@code title_marked}: a post's title (plain text, not HTML) with every word the tsquery matched
   * marked, all of it kept (ts_headline's HighlightAll gives back the text as it was, marks added); for {@link #title}.
   */
  static String titleColumn(String column, String query) {
    return "ts_headline('english', translate(" + column + ", chr(2) || chr(3), ''), " + query
        + ", 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', HighlightAll=true') AS title_marked";
  }

  /**
   * A title marked by {@link #titleColumn} as HTML: every character escaped (a title is plain text: "&amp;" in it is
   * those five characters), the marks as mark elements; {@code title} itself, escaped, where nothing was marked.
   */
  static String title(String marked, String title) {
    String text = marked == null ? title.replace(String.valueOf(START), "").replace(String.valueOf(STOP), "") : marked;
    StringBuilder out = new StringBuilder(text.length() + 32);
    boolean open = false;
    for (int i = 0; i < text.length(); i++) {
      open = put(out, text.charAt(i), open);
    }
    if (open) out.append("</mark>");
    return out.toString();
  }

  /** SQL for the text of {@code column} without any tag (an inline one leaves nothing, any other a space). */
  private static String plain(String column) {
    return "regexp_replace(regexp_replace(" + column + ", '</?(" + INLINE + ")(\\s[^>]*)?>', '', 'gi'), '<[^>]*>', "
        + "' ', 'g')";
  }

  /** SQL for the text of {@code column} to be marked: without the marks, inline tags gone, block tags a boundary. */
  static String text(String column) {
    return "regexp_replace(regexp_replace(translate(" + column + ", chr(2) || chr(3) || chr(4) || chr(5), ''), "
        + "'</?(" + INLINE + ")(\\s[^>]*)?>', '', 'gi'), '</?(" + BLOCKS + ")(\\s[^>]*)?/?>', chr(4), 'gi')";
  }

  /**
   * The marked text as HTML: its entities read back, then everything escaped, runs of white space as one space,
   * block boundaries as a pause, the marks as mark elements, and an ellipsis at an end that is not the body's
   * ({@code head} and {@code tail} the body's first and last characters; null: not known, no ellipsis).
   */
  static String html(String marked, String head, String tail) {
    if (marked == null) return "";
    marked = joined(marked, head, tail);
    String body = html(marked);
    if (body.isEmpty()) return body;
    List<String> words = words(marked);
    boolean cutBefore = head != null && !startsWith(words(head), words);
    boolean cutAfter = tail != null && !endsWith(words(tail), words);
    // ts_headline starts and stops its passages at words: a body's own first and last marks ("@alice, …", "… it?")
    // are put back where the snippet reaches them.
    String lead = cutBefore || head == null ? "" : edge(head, true);
    String end = cutAfter || tail == null ? "" : edge(tail, false);
    if (!lead.isEmpty() && !body.startsWith(lead) && !body.startsWith("<mark>" + lead)) body = lead + body;
    if (!end.isEmpty() && !body.endsWith(end) && !body.endsWith(end + "</mark>")) body = body + end;
    return (cutBefore ? "… " : "") + body + (cutAfter ? " …" : "");
  }

  /**
   * The fragments joined: by a space where the body has them side by side (ts_headline joins two fragments it chose
   * apart even where nothing lies between them: a page review saw "was … enough" in "was enough"), by an ellipsis
   * otherwise. Side by side means the words around the seam, {@link #EDGE_WORDS} each side and four at least, come one
   * after the other in the body's start or end as {@code head} and {@code tail} give them (all of a short body);
   * where that cannot be told, the ellipsis stays.
   */
  private static String joined(String marked, String head, String tail) {
    if (marked.indexOf(JOIN) < 0) return marked;
    String[] fragments = marked.split(String.valueOf(JOIN), -1);
    StringBuilder out = new StringBuilder(fragments[0]);
    for (int i = 1; i < fragments.length; i++) {
      out.append(sideBySide(fragments[i - 1], fragments[i], head, tail) ? " " : " … ").append(fragments[i]);
    }
    return out.toString();
  }

  private static boolean sideBySide(String before, String after, String head, String tail) {
    List<String> left = words(before);
    List<String> right = words(after);
    int n = Math.min(EDGE_WORDS, left.size());
    int m = Math.min(EDGE_WORDS, right.size());
    if (n + m < 4) return false;
    List<String> seam = new ArrayList<>(left.subList(left.size() - n, left.size()));
    seam.addAll(right.subList(0, m));
    // ts_headline leaves entities out ("don&#39;t" reads "dont"): so are they here.
    return head != null && Collections.indexOfSubList(words(withoutEntities(head)), seam) >= 0
        || tail != null && Collections.indexOfSubList(words(withoutEntities(tail)), seam) >= 0;
  }

  private static String withoutEntities(String html) {
    return ENTITY.matcher(html).replaceAll("");
  }

  /** What comes before the first word (or after the last) of some plain text, escaped; nothing past a few marks. */
  private static String edge(String text, boolean first) {
    String plain = unescaped(text);
    Matcher m = WORD.matcher(plain);
    if (!m.find()) return "";
    int start = m.start();
    int stop = m.end();
    while (m.find()) stop = m.end();
    String marks = (first ? plain.substring(0, start) : plain.substring(stop)).strip();
    if (marks.isEmpty() || marks.length() > 4 || marks.chars().anyMatch(Character::isWhitespace)) return "";
    return html(marks);
  }

  /** {@link #html(String, String, String)} without the ellipses. */
  static String html(String marked) {
    if (marked == null) return "";
    marked = unescaped(marked);
    StringBuilder out = new StringBuilder(marked.length() + 32);
    boolean open = false;
    boolean space = false;
    boolean block = false;
    // The last character of the text written (not of its escaped form, nor a mark): whether a block ended a sentence.
    char last = '.';
    for (int i = 0; i < marked.length(); i++) {
      char c = marked.charAt(i);
      if (c == BLOCK) {
        block = true;
        continue;
      }
      if (Character.isWhitespace(c)) {
        space = true;
        continue;
      }
      if (out.length() > 0 && (block || space)) {
        // A block that ended in a sentence's end needs no more than a space; one that did not gets a pause.
        out.append(block && ".!?:;…".indexOf(last) < 0 ? " · " : " ");
      }
      space = false;
      block = false;
      open = put(out, c, open);
      if (c != START && c != STOP) last = c;
    }
    if (open) out.append("</mark>");
    return out.toString();
  }

  /**
   * {@code c} appended to {@code out}: a mark as a mark element's tag (never one inside another), any other character
   * escaped; whether a mark is open after it.
   */
  private static boolean put(StringBuilder out, char c, boolean open) {
    switch (c) {
      case START -> {
        if (!open) out.append("<mark>");
        return true;
      }
      case STOP -> {
        if (open) out.append("</mark>");
        return false;
      }
      case '&' -> out.append("&amp;");
      case '<' -> out.append("&lt;");
      case '>' -> out.append("&gt;");
      case '"' -> out.append("&quot;");
      case '\'' -> out.append("&#39;");
      default -> out.append(c);
    }
    return open;
  }

  /** The entities the Markdown renderer writes, read back (everything is escaped again on the way out). */
  private static String unescaped(String html) {
    return html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
        .replace("&amp;", "&");
  }

  /** The words of some HTML, its tags and marks left out as {@link #text} leaves them: what the ends are compared by. */
  private static List<String> words(String html) {
    List<String> out = new ArrayList<>();
    Matcher m = WORD.matcher(TAG.matcher(INLINE_TAG.matcher(html).replaceAll("")).replaceAll(" "));
    while (m.find()) out.add(m.group());
    return out;
  }

  private static boolean startsWith(List<String> body, List<String> snippet) {
    int n = Math.min(EDGE_WORDS, snippet.size());
    return body.size() >= n && body.subList(0, n).equals(snippet.subList(0, n));
  }

  private static boolean endsWith(List<String> body, List<String> snippet) {
    int n = Math.min(EDGE_WORDS, snippet.size());
    return body.size() >= n && body.subList(body.size() - n, body.size())
        .equals(snippet.subList(snippet.size() - n, snippet.size()));
  }
}
