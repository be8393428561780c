package parley.browser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;

/**
 * Following people in a real browser: the profile's Follow button, the feed's Following tab (signed in only), and a
 * post's summary written in the composer and shown in the feed instead of the body's opening words.
 */
@ExtendWith(TestParley.class)
class FollowingBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  @Test
  void followingSomeoneFromTheirProfileFillsTheFollowingTab() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    Session carol = api.register("carol");
    api.createPost(alice, "Alice writes about bridges");
    api.createPost(carol, "Carol writes about tunnels");

    WebDriver page = browsers.open("bob");
    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#feed li")));
    assertFalse(page.findElement(By.id("following-tab")).isDisplayed(), "signed out, there is no Following tab");
    page.get(base + "/?sort=following");
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#feed li")));
    assertEquals(2, titles(page).size(), "signed out, ?sort=following falls back to every post: " + titles(page));

    signIn(page, base, bob);
    page.get(base + "/u/alice");
    By toggle = By.id("follow-toggle");
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Follow alice"));
    page.findElement(toggle).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Unfollow alice"));
    assertTrue(api.get("/api/users/alice/follow", bob).json().getBoolean("following"), "the click was saved");
    page.navigate().refresh();
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Unfollow alice"));

    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("following-tab"))).click();
    waitFor(page, 10).until(d -> titles(d).equals(List.of("Alice writes about bridges")));
    assertTrue(page.getCurrentUrl().endsWith("/?sort=following"), page.getCurrentUrl());

    page.get(base + "/u/alice");
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Unfollow alice"));
    page.findElement(toggle).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Follow alice"));
    page.get(base + "/?sort=following");
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.id("feed")));
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.cssSelector("#empty h2"), "No posts from people you follow"));
    assertEquals(List.of(), titles(page));

    // Blocking her takes Follow away (her posts are hidden from bob) and leaves the focus on the button pressed,
    // across the page's reload; unblocking brings Follow back.
    page.get(base + "/u/alice");
    waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("block-toggle"))).click();
    page.switchTo().alert().accept();
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("block-toggle"), "Unblock alice"));
    assertTrue(page.findElements(toggle).isEmpty(), "no Follow beside a block");
    waitFor(page, 5).until(d -> "block-toggle".equals(d.switchTo().activeElement().getDomAttribute("id")));
    // Her counts still say what she wrote; the lists say why they show none of it.
    assertTrue(page.findElement(By.id("profile-meta")).getText().contains("1 post"),
        page.findElement(By.id("profile-meta")).getText());
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.cssSelector("#profile-posts li"),
        "Hidden from you."));
    assertEquals("No comments.", page.findElement(By.cssSelector("#profile-comments li")).getText(),
        "she wrote none: nothing to hide");
    page.findElement(By.id("block-toggle")).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Follow alice"));
  }

  @Test
  void aSummaryWrittenInTheComposerIsWhatTheFeedShows() {
    Session alice = api.register("alice");
    WebDriver page = browsers.open("alice");
    signIn(page, base, alice);
    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("composer-title"))).click();
    page.findElement(By.id("post-title")).sendKeys("Harbour footbridge");
    page.findElement(By.id("post-description")).sendKeys("What the council decided, in two lines.");
    page.findElement(By.id("post-body")).sendKeys("The long body that the feed should not quote.");
    page.findElement(By.cssSelector("#post-form button[type=submit]")).click();
    waitFor(page, 10).until(ExpectedConditions.urlMatches("/posts/[0-9]+$"));

    page.get(base + "/");
    By excerpt = By.cssSelector("#feed li .excerpt");
    waitFor(page, 10).until(ExpectedConditions.textToBe(excerpt, "What the council decided, in two lines."));
    long id = Long.parseLong(page.findElement(By.cssSelector("#feed li a[href^='/posts/']")).getAttribute("href")
        .replaceAll(".*/posts/", ""));
    assertEquals("What the council decided, in two lines.",
        api.get("/api/posts/" + id).json().getString("description"));
  }

  @Test
  void aReaderFollowsAndMutesAThreadFromItsPage() {
    Session alice = api.register("alice");
    Session bob = api.register("bob");
    long post = api.createPost(alice, "Tides at the harbour");
    By toggle = By.id("follow-thread");
    By state = By.id("follow-thread-state");

    WebDriver page = browsers.open("bob");
    page.get(base + "/posts/" + post);
    waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("signed-out-manage")));
    assertTrue(page.findElements(toggle).isEmpty(), "signed out, there is nothing to follow with");

    signIn(page, base, bob);
    page.get(base + "/posts/" + post);
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Follow thread"));
    assertEquals("New comments here do not notify you.", page.findElement(state).getText());
    page.findElement(toggle).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Mute thread"));
    assertEquals("You are notified of new comments here.", page.findElement(state).getText());
    assertTrue(api.get("/api/posts/" + post + "/follow", bob).json().getBoolean("following"), "the click was saved");
    page.navigate().refresh();
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Mute thread"));
    page.findElement(toggle).click();
    waitFor(page, 10).until(ExpectedConditions.textToBe(toggle, "Follow thread"));
    assertFalse(api.get("/api/posts/" + post + "/follow", bob).json().getBoolean("following"), "the mute was saved");

    // The post's author follows their own thread from the start, and can mute it.
    WebDriver author = browsers.open("alice");
    signIn(author, base, alice);
    author.get(base + "/posts/" + post);
    waitFor(author, 10).until(ExpectedConditions.textToBe(toggle, "Mute thread"));
  }

  @Test
  void atPhoneWidthTheFollowButtonAndTheFeedsTabsFit() {
    Session author = api.register("a_rather_long_username_x");
    Session reader = api.register("reader");
    api.createPost(author, "A post with a long title that has to wrap somewhere on a phone screen, and does");
    assertEquals(200, api.put("/api/users/a_rather_long_username_x/follow", reader, null).status());

    ChromeDriver page = browsers.open("phone");
    page.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
    signIn(page, base, reader);
    page.get(base + "/u/a_rather_long_username_x");
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("follow-toggle"), "Unfollow a_rather_long_username_x"));
    assertFitsTheScreen(page, "#follow-toggle, header.site, main h1");
    // The header's words that act are all underlined alike, "Sign out" (a button) as the links beside it.
    assertEquals(List.of(), js(page, "return [...document.querySelectorAll('header.site nav a:not(.button), "
        + "header.site nav button.link')].filter(e => e.offsetParent !== null "
        + "&& !getComputedStyle(e).textDecorationLine.includes('underline')).map(e => e.textContent.trim());"),
        "not underlined in the phone's header");
    // An empty list says so, and only that (it once read "null" above "No comments.").
    waitFor(page, 10).until(ExpectedConditions.textToBe(By.id("profile-comments"), "No comments."));

    page.get(base + "/?sort=following");
    waitFor(page, 10).until(d -> titles(d).size() == 1);
    assertTrue(page.findElement(By.id("following-tab")).isDisplayed(), "the Following tab is on a phone too");
    assertFitsTheScreen(page, "#following-tab, #feed li, header.site");
  }

  private static void assertFitsTheScreen(ChromeDriver page, String selectors) {
    assertEquals(390L, ((Number) js(page, "return document.documentElement.clientWidth;")).longValue());
    assertTrue((Boolean) js(page, "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;"),
        page.getCurrentUrl() + " scrolls sideways: " + js(page, "return document.documentElement.scrollWidth;"));
    assertEquals(0L, js(page, "return [...document.querySelectorAll(arguments[0])].filter(e => "
        + "e.getBoundingClientRect().right > document.documentElement.clientWidth "
        + "|| e.getBoundingClientRect().left < 0).length;", selectors), selectors + " fit on " + page.getCurrentUrl());
  }

  @SuppressWarnings("unchecked")
  private static List<String> titles(WebDriver page) {
    return (List<String>) js(page, "return [...document.querySelectorAll('#feed li h2, #feed li .title')]"
        + ".map(e => e.textContent.trim());");
  }
}
