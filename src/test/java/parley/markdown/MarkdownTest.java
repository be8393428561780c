package parley.markdown;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No Markdown input may put script into a page: raw HTML is escaped, only web and mail links keep their href, and every
 * link carries rel="nofollow ugc noopener". These are the rules; PostsTest and CommentsTest only check that their
 * bodies go through them.
 */
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

  /** Inline HTML takes another path through the parser than an HTML block; both are escaped. */
  @Test
  void inlineHtmlInsideAParagraphIsEscapedLikeAnHtmlBlock() {
    String out = html("Hi <script>alert(1)</script> there");
    assertTrue(out.contains("&lt;script&gt;"), out);
    assertFalse(out.contains("<script"), out);
    assertTrue(out.startsWith("<p>Hi ") && out.contains(" there</p>"), "the words around it stay: " + out);
  }

  @Test
  void linksKeepOnlyWebAndMailSchemes() {
    assertTrue(html("[a](https://example.org/x)").contains("href=\"https://example.org/x\""));
    assertTrue(html("[a](http://example.org)").contains("href=\"http://example.org\""));
    assertTrue(html("[a](mailto:me@example.org)").contains("href=\"mailto:me@example.org\""));
    for (String evil : new String[] {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox", "relative", "//evil.example",
        "/\\evil.example", "/&#9;/evil.example", " //evil.example", "\\\\evil.example", "HTTPS:/evil.example/x"}) {
      String out = html("[click](" + evil.replace("\t", "&#9;") + ")");
      // No href at all: an empty one would be a link to the page itself.
      assertEquals("<p><a>click</a></p>\n", out, evil);
    }
    assertFalse(html("<javascript:alert(1)>").contains("href"));
  }

  /**
   * A path on this site ("/posts/42") is kept, as every forum keeps links between its own threads; it is not a link
   * out (no rel, not counted for the holds), and nothing a browser reads as another host passes for one.
   */
  @Test
  void aPathOnThisSiteIsKeptAndIsNotALinkOut() {
    String out = html("[the other thread](/posts/42#c-7) and [home](/)");
    assertEquals("<p><a href=\"/posts/42#c-7\">the other thread</a> and <a href=\"/\">home</a></p>\n", out);
    assertEquals(0, Markdown.links(out));
    assertEquals(java.util.List.of(), Markdown.linkTargets(out));
    assertTrue(Markdown.onThisSite("/posts/1"));
    for (String elsewhere : new String[] {"//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
        " //evil.example", "\t//evil.example", "posts/1", "", "https://example.org/"}) {
      assertFalse(Markdown.onThisSite(elsewhere), elsewhere);
    }
  }

  /** An emptied href is not enough: the scheme must not survive anywhere in the HTML, and the reader keeps the text. */
  @Test
  void aLinkWithAForbiddenSchemeKeepsItsTextAndLosesEveryTraceOfTheScheme() {
    for (String markdown : new String[] {"[click me](javascript:alert(1))",
        "[click me](javascript:alert(document.cookie))", "[click me](JaVaScRiPt:alert(1))"}) {
      String out = html(markdown);
      assertTrue(out.contains("click me"), markdown + " -> " + out);
      assertFalse(out.toLowerCase().contains("javascript"), markdown + " -> " + out);
    }
  }

  @Test
  void linksCarryRelNofollowUgcNoopener() {
    assertTrue(html("[a](https://example.org)").contains("rel=\"nofollow ugc noopener\""));
  }

  /** Every way Markdown writes a link ends up as the same kind of link, so none of them escapes the rel. */
  @Test
  void everyFormOfLinkKeepsItsHrefAndCarriesRel() {
    for (String[] link : new String[][] {
        {"[this](http://example.com)", "http://example.com"},
        {"[a](mailto:me@example.org)", "mailto:me@example.org"},
        {"<https://example.org/auto>", "https://example.org/auto"},
        {"bare https://example.org/bare.", "https://example.org/bare"},
        {"see www.example.org for more", "http://www.example.org"},
        {"[a][ref]\n\n[ref]: https://example.org/ref", "https://example.org/ref"}}) {
      String out = html(link[0]);
      assertTrue(out.contains("href=\"" + link[1] + "\""), link[0] + " -> " + out);
      assertTrue(out.contains("rel=\"nofollow ugc noopener\""), link[0] + " -> " + out);
    }
  }

  /**
   * A bare web address in prose is a link like any other (its trailing stop left out), and so counts for the holds;
   * not in code, not an e-mail address, and a bare address with a scheme the allow list refuses links nowhere.
   */
  @Test
  void bareWebAddressesInProseAreLinks() {
    String html = html("Read https://en.wikipedia.org/wiki/Analytical_Engine#Design, then (www.example.org).");
    assertEquals(java.util.List.of("https://en.wikipedia.org/wiki/Analytical_Engine#Design", "http://www.example.org"),
        Markdown.linkTargets(html), html);
    assertTrue(html.contains(">https://en.wikipedia.org/wiki/Analytical_Engine#Design</a>, then (<a "), html);
    assertEquals(0, Markdown.links(html("`https://example.org` and\n\n    https://example.org/code")));
    assertEquals(0, Markdown.links(html("write to me@example.org")));
    assertEquals(java.util.List.of("https://a.example", "https://b.example", "https://d.example"), Markdown.linkTargets(
        html("[a](https://a.example) https://b.example [https://c.example](https://d.example)")),
        "a written link's text is not linked again");
    String odd = html("ftp://files.example/x and javascript://%0aalert(1)");
    assertFalse(odd.toLowerCase().contains("href=\"javascript") || odd.contains("href=\"ftp"), odd);
  }

  /**
   * A link whose text is a web address shows its host in ASCII form, so a look-alike written in another script
   * (Cyrillic "раураl.com") does not read as the site it imitates; a written link's own words, and addresses that
   * are ASCII already, stay as written.
   */
  @Test
  void anAddressWithALookAlikeHostShowsItInAsciiForm() {
    String lookAlike = "\u0440\u0430\u0443\u0440\u0430l.com";
    String html = html("Log in at https://" + lookAlike + "/login or www." + lookAlike + " or [https://" + lookAlike
        + "](https://" + lookAlike + "/x) or [my bank](https://" + lookAlike + "/y), https://b\u00fccher.example/\u00e4");
    assertTrue(html.contains(">https://xn--l-7sba6dbr.com/login</a>"), html);
    assertTrue(html.contains(">www.xn--l-7sba6dbr.com</a>"), html);
    assertTrue(html.contains(">https://xn--l-7sba6dbr.com</a>"), html);
    assertTrue(html.contains(">my bank</a>"), html);
    assertTrue(html.contains(">https://xn--bcher-kva.example/\u00e4</a>"), "the path as written: " + html);
    assertFalse(html.contains(">https://" + lookAlike), html);
    assertTrue(html("see https://example.org/a").contains(">https://example.org/a</a>"));
  }

  /** Where the links out lead, as the holds compare them before and after an edit: every form, no mention. */
  @Test
  void linkTargetsAreEveryLinkOutInOrderAndNoMention() {
    String html = Markdown.render("[a](https://a.example) <https://b.example/x?y=1&z=2> [a again](https://a.example) "
        + "[@alice](/u/alice) ![i](https://i.example/p.png)\n\n[r][ref]\n\n[ref]: mailto:me@example.org").html();
    assertEquals(java.util.List.of("https://a.example", "https://b.example/x?y=1&amp;z=2", "https://a.example",
        "mailto:me@example.org"), Markdown.linkTargets(html), html);
    assertEquals(4, Markdown.links(html));
  }

  @Test
  void imagesOnlyLoadFromWebUrls() {
    assertTrue(html("![x](https://example.org/i.png)").contains("src=\"https://example.org/i.png\""));
    assertTrue(html("![x](javascript:alert(1))").contains("src=\"\""));
    assertTrue(html("![x](data:image/svg+xml;base64,AAAA)").contains("src=\"\""));
    assertTrue(html("![x](//evil.example/i.png)").contains("src=\"\""));
    assertTrue(html("![x](/\\evil.example/i.png)").contains("src=\"\""));
  }

  /** An image of this site's own ("/favicon.svg") shows: it was kept with an empty address and showed broken. */
  @Test
  void anImageOfThisSitesOwnIsKept() {
    assertEquals("<p><img src=\"/favicon.svg\" alt=\"logo\" loading=\"lazy\" /></p>\n", html("![logo](/favicon.svg)"));
    assertTrue(html("![a](/img/Photo.JPEG)").contains("src=\"/img/Photo.JPEG\""));
    // Only image files: every reader's browser asks for an image with the page, and six of a live stream's path held
    // a reader's every connection (a review).
    for (String notAnImage : new String[] {"/api/posts/1/events?i=0", "/api/posts/1/events?i=0.png", "/api/x.png",
        "/realworld/api/x.png", "/posts/1", "/metrics", "/favicon.svg?x=1"}) {
      assertTrue(html("![x](" + notAnImage + ")").contains("src=\"\""), notAnImage);
    }
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
  void aCharacterReferenceToHalfASurrogatePairBecomesTheReplacementCharacter() {
    Markdown.Rendered r = Markdown.render("a &#xD800; b &#55357;&#56832; c \uD83D\uDE00");
    // Two references that spell a whole pair between them make its character.
    assertEquals("<p>a \uFFFD b \uD83D\uDE00 c \uD83D\uDE00</p>\n", r.html());
    assertEquals("a \uFFFD b \uD83D\uDE00 c \uD83D\uDE00", r.excerpt());
    assertEquals("hi \uFFFD there", Markdown.excerptOf("hi &#xD800; there", 160), "the notifications' excerpt too");
  }

  @Test
  void aListReadsAsAListInTheExcerpt() {
    assertEquals("Counts: 620 bikes · Evening peak · 3 buses", Markdown.render("Counts:\n\n- 620 bikes\n- Evening peak\n"
        + "- 3 buses").excerpt());
    assertEquals("1. One Two", Markdown.render("1\\. One\n\n1. Two").excerpt(), "text, then a list of one item");
    assertEquals("Steps: first · then nested · last", Markdown.render("Steps:\n\n1. first\n   - then nested\n2. last")
        .excerpt());
  }

  /** A character reference cannot bring in the control characters the fields refuse (a probe: &#x1; reached pages). */
  @Test
  void characterReferencesToControlCharactersBecomeReplacementCharacters() {
    Markdown.Rendered r = Markdown.render("a &#x1; b &#x7f; c &#x85; d &#11; e &#9; f");
    for (String out : new String[] {r.html(), r.excerpt(), Markdown.excerptOf("a &#x1; b", 160)}) {
      assertFalse(out.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r'), out);
    }
    assertTrue(r.html().contains("a \uFFFD b \uFFFD c \uFFFD d \uFFFD e \t f"), r.html());
  }

  /** HTML is shown as written, so its text is part of the excerpt, as code is (a probe: "<div>Hi</div>" gave ""). */
  @Test
  void anExcerptKeepsTheHtmlAndCodeAReaderSees() {
    assertEquals("<div>Hello readers, this is my whole post.</div>",
        Markdown.render("<div>Hello readers, this is my whole post.</div>").excerpt());
    assertEquals("I think a<b and c>d are true", Markdown.render("I think a<b and c>d are true").excerpt());
    assertEquals("<!-- note --> Important text here", Markdown.render("<!-- note --> Important text here").excerpt());
    assertEquals("Run this: make all then that.", Markdown.render("Run this:\n\n```\nmake all\n```\n\nthen that.")
        .excerpt());
    assertEquals("Hello <b>@dave</b>", Markdown.excerptOf("Hello <b>@dave</b>", 160), "the notifications' too");
  }

  @Test
  void excerptIsPlainTextCutAtAWord() {
    Markdown.Rendered r = Markdown.render("# Title\n\nSome *emphasis* and a [link](https://example.org).\n\n"
        + "word ".repeat(200));
    assertTrue(r.excerpt().startsWith("Title: Some emphasis and a link."), "a heading runs on with a colon: "
        + r.excerpt());
    assertTrue(Markdown.render("## Be kind\n\nNo harassment.\n\n## Why?\n\nBecause.").excerpt()
        .startsWith("Be kind: No harassment. Why? Because."), "a heading with its own stop keeps it");
    assertFalse(r.excerpt().contains("https://"));
    assertTrue(r.excerpt().endsWith("…"));
    assertTrue(r.excerpt().length() <= 281);
    // Cut just after a full stop or a comma: the ellipsis takes its place.
    for (String stop : new String[] {".", ",", ";", ":"}) {
      String excerpt = Markdown.render("word ".repeat(54) + "more" + stop + " " + "y".repeat(40)).excerpt();
      assertTrue(excerpt.endsWith("word more…"), excerpt);
    }
  }

  @Test
  void aTextParsedOnceGivesItsMentionsAndRendersAsTheTextDoes() {
    String text = "Hi @Alice, see `@code` and [@linked](https://example.org) and @bob, @alice again";
    Markdown.Parsed parsed = Markdown.parse(text);
    assertEquals(java.util.List.of("alice", "bob"), parsed.mentions());
    assertEquals(parsed.mentions(), Markdown.mentions(text));
    java.util.Map<String, String> users = java.util.Map.of("alice", "Alice");
    Markdown.Rendered rendered = Markdown.render(parsed, users);
    assertEquals(Markdown.render(text, users), rendered);
    assertTrue(rendered.html().contains("<a href=\"/u/Alice\" class=\"mention\">@Alice</a>"), rendered.html());
    assertTrue(rendered.html().contains("<code>@code</code>"), rendered.html());
  }

  /** {@code @bob@carol.org} is another site's bob, not this one's (a review found it linked and notified). */
  @Test
  void aHandleOnAnotherSiteIsNoMention() {
    assertEquals(java.util.List.of(), Markdown.mentions("Ask @bob@carol.org or mail bob@carol.org"));
    assertEquals(java.util.List.of(), Markdown.mentions("@bob@\u00fcber.de @bob@_x.org @bob@-x.org @bob@[10.0.0.1] "
        + "@bob@@carol.org"));
    assertEquals(java.util.List.of("bob", "carol"), Markdown.mentions("Thanks @bob. And @carol, @ alone, @bob@"));
    java.util.Map<String, String> users = java.util.Map.of("bob", "bob");
    String html = Markdown.render("Ask @bob@carol.org", users).html();
    assertTrue(!html.contains("/u/bob"), html);
  }

  /**
   * Emphasis splits the text into nodes, but not what a reader reads: {@code **@bob**@carol.org} is still another
   * site's bob; an emphasised name on its own is a mention (the first was linked and notified: the check looked at
   * each node alone).
   */
  @Test
  void whatRunsIntoANameCountsAcrossEmphasis() {
    for (String text : new String[] {"**@bob**@carol.org", "*@bob*@carol.org", "**@bob**_@carol.org_",
        "***@bob***@carol.org", "**@bo**b", "a/**@bob**"}) {
      assertEquals(java.util.List.of(), Markdown.mentions(text), text);
      String html = Markdown.render(text, java.util.Map.of("bob", "bob", "bo", "bo")).html();
      assertFalse(html.contains("/u/"), text + " -> " + html);
    }
    assertEquals(java.util.List.of("bob", "carol"), Markdown.mentions("**@bob** and *@carol*, **@bob**. `@code`"));
    String html = Markdown.render("**@bob**, thanks", java.util.Map.of("bob", "Bob")).html();
    assertEquals("<p><strong><a href=\"/u/Bob\" class=\"mention\">@bob</a></strong>, thanks</p>\n", html);
    html = Markdown.render("@bob and @carol and @bob", java.util.Map.of("bob", "bob", "carol", "Carol")).html();
    assertEquals("<p><a href=\"/u/bob\" class=\"mention\">@bob</a> and <a href=\"/u/Carol\" class=\"mention\">"
        + "@carol</a> and <a href=\"/u/bob\" class=\"mention\">@bob</a></p>\n", html);
  }

  /** GitHub's tables: what people paste from elsewhere. Their cells are Markdown like the rest, escaped the same. */
  @Test
  void tablesRenderAsTablesWithTheirCellsEscapedAndLinkedLikeProse() {
    String out = html("| Station | Bikes |\n|:--|--:|\n| <b>North</b> | [620](https://example.org/n) |\n"
        + "| `South` | <script>x</script> |");
    assertTrue(out.startsWith("<table>\n<thead>\n<tr>\n<th align=\"left\">Station</th>"), out);
    assertTrue(out.contains("<td align=\"left\">&lt;b&gt;North&lt;/b&gt;</td>"), out);
    assertTrue(out.contains("<a rel=\"nofollow ugc noopener\" href=\"https://example.org/n\">620</a>"), out);
    assertTrue(out.contains("<td align=\"left\"><code>South</code></td>"), out);
    assertTrue(out.contains("&lt;script&gt;x&lt;/script&gt;"), out);
    assertFalse(out.contains("<script") || out.contains("<b>"), out);
    assertEquals(1, Markdown.render("| a | b |\n|---|---|\n| [x](https://example.org) | y |").links());
    // The excerpt reads the cells apart, a row after the other.
    assertEquals("Station Bikes North 620", Markdown.render("| Station | Bikes |\n|---|---|\n| North | 620 |").excerpt());
    // Without its delimiter row, lines with bars are prose.
    assertEquals("<p>a | b\nc | d</p>\n", html("a | b\nc | d"));
  }

  @Test
  void twoTildesStrikeThroughAndOneIsJustATilde() {
    assertEquals("<p><del>gone</del> and ~42 left</p>\n", html("~~gone~~ and ~42 left"));
    assertEquals("<p>~about~ right</p>\n", html("~about~ right"));
    // A mention struck through is still a mention of whoever the name runs into: another site's bob here.
    assertEquals(java.util.List.of(), Markdown.mentions("~~@bob~~@carol.org"));
    assertEquals(java.util.List.of("bob"), Markdown.mentions("~~@bob~~ left"));
  }
}
