package parley.atom;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import parley.Api;
import parley.Api.Response;
import parley.Api.Session;
import parley.TestParley;

import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Atom feeds, read as a feed reader would: well-formed Atom 1.0 with what anyone signed out may see. */
@ExtendWith(TestParley.class)
class AtomTest {

  private static final String ATOM = "http://www.w3.org/2005/Atom";

  private final Api api = Api.local();

  private long post(Session as, String title, String body, String... tags) {
    Response r = api.post("/api/posts", as, new JsonObject().put("title", title).put("body", body)
        .put("tags", new JsonArray(List.of(tags))));
    assertEquals(201, r.status(), r.toString());
    return r.json().getLong("id");
  }

  /** Fetches a feed, checks its type and parses it with the JDK's namespace-aware parser (failing on bad XML). */
  private Document feed(String path) throws Exception {
    Response r = api.raw("GET", path, null, null, null);
    assertEquals(200, r.status(), r.toString());
    assertEquals("application/atom+xml; charset=utf-8", r.contentType());
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    DocumentBuilder builder = factory.newDocumentBuilder();
    builder.setErrorHandler(null);
    Document doc = builder.parse(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)));
    assertEquals(ATOM, doc.getDocumentElement().getNamespaceURI());
    assertEquals("feed", doc.getDocumentElement().getLocalName());
    return doc;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node n = nodes.item(i);
      if (n instanceof Element e && ATOM.equals(e.getNamespaceURI()) && name.equals(e.getLocalName())) out.add(e);
    }
    return out;
  }

  private static String text(Element parent, String name) {
    List<Element> found = children(parent, name);
    assertEquals(1, found.size(), "exactly one " + name);
    return found.get(0).getTextContent();
  }

  private static Element link(Element parent, String rel) {
    return children(parent, "link").stream().filter(l -> rel.equals(l.getAttribute("rel"))).findFirst()
        .orElseThrow(() -> new AssertionError("no link rel=" + rel));
  }

  private static List<Element> entries(Document doc) {
    return children(doc.getDocumentElement(), "entry");
  }

  @Test
  void theFeedIsAtom10WithTheNewestListedPostsFirst() throws Exception {
    Session alice = api.register("alice");
    long first = post(alice, "First", "The first post.");
    long second = post(alice, "Second", "The second post, with **bold** words.", "gardening");
    Document doc = feed("/feed.atom");
    Element feed = doc.getDocumentElement();
    String base = TestParley.baseUrl();
    assertEquals(base + "/feed.atom", text(feed, "id"));
    assertEquals("Parley", text(feed, "title"));
    assertEquals(base + "/feed.atom", link(feed, "self").getAttribute("href"));
    assertEquals("application/atom+xml", link(feed, "self").getAttribute("type"));
    assertEquals(base + "/", link(feed, "alternate").getAttribute("href"));

    List<Element> entries = entries(doc);
    assertEquals(2, entries.size());
    Element newest = entries.get(0);
    assertEquals(base + "/posts/" + second, text(newest, "id"));
    assertEquals("Second", text(newest, "title"));
    assertEquals(base + "/posts/" + second, link(newest, "alternate").getAttribute("href"));
    assertEquals("alice", text(children(newest, "author").get(0), "name"));
    assertEquals(api.get("/api/posts/" + second).json().getString("createdAt"), text(newest, "published"));
    assertEquals(text(newest, "published"), text(newest, "updated"));
    assertEquals("The second post, with bold words.", text(newest, "summary"), "the post's excerpt");
    assertEquals("gardening", children(newest, "category").get(0).getAttribute("term"));
    assertEquals(base + "/posts/" + first, text(entries.get(1), "id"));
    // The feed changed when its latest entry did; every time is RFC 3339.
    assertEquals(text(newest, "updated"), text(feed, "updated"));
    Instant.parse(text(feed, "updated"));
  }

  @Test
  void anEditShowsAsTheEntrysUpdatedTime() throws Exception {
    Session alice = api.register("alice");
    long id = post(alice, "Draft", "Before.");
    assertEquals(200, api.patch("/api/posts/" + id, alice, new JsonObject().put("body", "After.")).status());
    Element entry = entries(feed("/feed.atom")).get(0);
    assertTrue(Instant.parse(text(entry, "updated")).isAfter(Instant.parse(text(entry, "published"))));
    assertEquals("After.", text(entry, "summary"));
  }

  @Test
  void markupInTitlesAndBodiesArrivesAsTextNeverAsMarkup() throws Exception {
    Session alice = api.register("alice");
    String title = "<script>alert('t')</script> & \"friends\" ]]> <![CDATA[x]]>";
    post(alice, title, "Body with <b>tags</b> & an &amp; entity, ]]> and <!-- a comment -->");
    Response raw = api.raw("GET", "/feed.atom", null, null, null);
    assertFalse(raw.body().contains("<script>"), raw.body());
    assertFalse(raw.body().contains("<!-- a comment"), raw.body());
    Element entry = entries(feed("/feed.atom")).get(0);
    assertEquals(title, text(entry, "title"));
    assertEquals(0, children(entry, "title").get(0).getElementsByTagName("*").getLength(), "no child elements");
    assertNotNull(text(entry, "summary"));
  }

  @Test
  void charactersXmlCannotCarryAreLeftOut() {
    assertEquals("ab\tc", AtomFeed.escape("a\u0001b\tc\ud800"));
    assertEquals("&lt;&amp;&gt;&quot;&apos;\ud83c\udf31", AtomFeed.escape("<&>\"'\ud83c\udf31"));
  }

  @Test
  void hiddenDeletedAndPendingPostsAreNotInTheFeed() throws Exception {
    Session alice = api.register("alice");
    Session mod = api.registerWithRole("mod", "moderator");
    long kept = post(alice, "Kept", "Kept.");
    long hidden = post(alice, "Hidden", "Hidden.");
    long deleted = post(alice, "Deleted", "Deleted.");
    assertEquals(204, api.post("/api/mod/posts/" + hidden + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    assertEquals(204, api.delete("/api/posts/" + deleted, alice).status());
    TestParley.sql("INSERT INTO mod_filters (kind, pattern, action, created_by) VALUES ('word', 'heldword', 'hold', "
        + mod.id() + ")");
    post(alice, "Pending heldword", "Waiting.");
    List<Element> entries = entries(feed("/feed.atom"));
    assertEquals(List.of(TestParley.baseUrl() + "/posts/" + kept), entries.stream().map(e -> text(e, "id")).toList());
  }

  @Test
  void theFeedCarriesTwentyPosts() throws Exception {
    Session alice = api.register("alice");
    for (int i = 0; i < 22; i++) post(alice, "Post " + i, "Body " + i);
    List<Element> entries = entries(feed("/feed.atom"));
    assertEquals(20, entries.size());
    assertEquals("Post 21", text(entries.get(0), "title"));
  }

  @Test
  void aTagsFeedHoldsThatTagsPostsOnly() throws Exception {
    Session alice = api.register("alice");
    long tagged = post(alice, "Tomatoes", "Red.", "gardening", "food");
    post(alice, "Bread", "Baked.", "food");
    long hidden = post(alice, "Hidden tomatoes", "Gone.", "gardening");
    Session mod = api.registerWithRole("mod", "moderator");
    assertEquals(204, api.post("/api/mod/posts/" + hidden + "/hide", mod, new JsonObject().put("reason", "x"))
        .status());
    Document doc = feed("/tags/gardening/feed.atom");
    Element feed = doc.getDocumentElement();
    String base = TestParley.baseUrl();
    assertEquals(base + "/tags/gardening/feed.atom", text(feed, "id"));
    assertEquals(base + "/tags/gardening/feed.atom", link(feed, "self").getAttribute("href"));
    assertTrue(text(feed, "title").contains("gardening"), text(feed, "title"));
    assertEquals(List.of(base + "/posts/" + tagged), entries(doc).stream().map(e -> text(e, "id")).toList());
    assertEquals(2, entries(feed("/tags/food/feed.atom")).size());
    // A tag nobody used yet is an empty feed, still with its required elements.
    Document empty = feed("/tags/nothing-yet/feed.atom");
    assertTrue(entries(empty).isEmpty());
    Instant.parse(text(empty.getDocumentElement(), "updated"));
  }

  @Test
  void aTagThatCannotBeOneIs404() {
    for (String tag : List.of("Gardening", "-x", "x-", "a_b", "a".repeat(31), "%20", "%3Cscript%3E", "a.b")) {
      Response r = api.raw("GET", "/tags/" + tag + "/feed.atom", null, null, null);
      assertEquals(404, r.status(), tag + ": " + r);
      assertEquals("application/problem+json", r.contentType(), tag);
    }
  }

  @Test
  void theFrontPageAdvertisesTheFeed() {
    String html = api.raw("GET", "/", null, null, null).body();
    assertTrue(html.contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/feed.atom\""), html);
  }
}
