package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.js;
import static parley.browser.BrowserSupport.openPost;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;

/**
 * Images from other sites in posts and comments wait for a click: loading one tells its site who reads the page and
 * when (a one-pixel image in a comment would log every reader, moderators included). The site's own images load; a
 * reader may choose, in Settings, to show the others without asking, on that browser.
 */
@ExtendWith(TestParley.class)
class RemoteImagesBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  /** The src of every img element in {@code where}, as the page has them. */
  private static List<?> images(WebDriver page, String where) {
    return (List<?>) js(page, "return [...document.querySelectorAll(arguments[0] + ' img')]"
        + ".map(i => i.getAttribute('src'));", where);
  }

  @Test
  void imagesFromOtherSitesWaitForAClickOrTheReadersChoice() {
    Session bob = api.register("bob");
    Session alice = api.register("alice");
    String own = base + "/favicon.svg";
    String chart = "https://images.example.invalid/chart.png";
    String pixel = "https://tracker.example.invalid/p.gif";
    Api.Response created = api.post("/api/posts", bob, new JsonObject().put("title", "Charts")
        .put("body", "See ![the chart](" + chart + ") and ![our icon](" + own + ") ![written as a path](/favicon.svg).\n\n"
            // Words that would turn the site's name around (a right-to-left override), draw nothing (a braille
            // blank, a zero-width space) or close the quote early; and an image over plain http, which the
            // Content-Security-Policy refuses: it is asked for over https, as a browser on an https page does.
            + "![safe\u202Egnp.golb\u2800\u200B\u201Dx](https://spoof.example.invalid/a.png) "
            + "![old](http://plain.example.invalid/o.png)\n\n```\n" + "wide_code_line(); ".repeat(40) + "\n```"));
    assertEquals(201, created.status(), created.toString());
    long post = created.json().getLong("id");
    long comment = api.comment(bob, post, "Nice [![](" + pixel + ")](https://example.org/)", null);
    // This site's address, but no image file: a live stream's (six of them held a reader's every connection, a
    // review). It waits for a click as another site's image does.
    long stream = api.comment(bob, post, "![live](" + base + "/api/posts/" + post + "/events)", null);

    WebDriver page = browsers.open("reader");
    openPost(page, base, post);
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#comment-" + comment)));
    assertEquals(List.of(own, "/favicon.svg"), images(page, "#post-body"),
        "the site's own image loads, its address whole or a path; the others wait");
    waitFor(page, 10).until(p -> (Boolean) js(p, "return [...document.querySelectorAll('#post-body img')]"
        + ".every(i => i.complete && i.naturalWidth > 0);"));
    assertEquals(List.of(), images(page, "#comment-" + comment));
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#comment-" + stream
        + " button.remote-image")));
    assertEquals(List.of(), images(page, "#comment-" + stream), "an API path on this site waits too");
    // A long line of code scrolls inside its block, which takes focus so a keyboard can scroll it (axe's
    // scrollable-region-focusable, a page review).
    assertEquals(0L, js(page, "return document.querySelector('#post-body pre').tabIndex;"));
    List<WebElement> buttons = page.findElements(By.cssSelector("#post-body button.remote-image"));
    assertEquals(List.of("Show image from images.example.invalid: “the chart”",
        "Show image from spoof.example.invalid: “safe gnp.golbx”", "Show image from plain.example.invalid: “old”"),
        buttons.stream().map(WebElement::getText).toList(),
        "the site first; the words after it, without what would reorder them, draw nothing or close the quote");
    WebElement showPixel = page.findElement(By.cssSelector("#comment-" + comment + " button.remote-image"));
    assertEquals("Show image from tracker.example.invalid", showPixel.getText(), "an image without words says so");

    // From the keyboard: the image takes the button's place and its focus.
    buttons.get(0).sendKeys(org.openqa.selenium.Keys.ENTER);
    assertEquals(List.of(chart, own, "/favicon.svg"), images(page, "#post-body"),
        "the click puts the image back, in its place");
    assertEquals(chart, js(page, "return document.activeElement.getAttribute('src');"), "focus stays where it was");
    // Inside a link, the click shows the image and goes nowhere.
    showPixel.click();
    assertEquals(base + "/posts/" + post, page.getCurrentUrl().replaceAll("#.*$", ""));
    assertEquals(List.of(pixel), images(page, "#comment-" + comment));

    // A reader's choice, on this browser: shown without asking, until it is taken back.
    signIn(page, base, alice);
    page.get(base + "/settings");
    WebElement choice = waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("remote-images")));
    assertTrue(!choice.isSelected(), "off by default");
    choice.click();
    openPost(page, base, post);
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#comment-" + comment)));
    assertEquals(List.of(chart, own, "/favicon.svg", "https://spoof.example.invalid/a.png",
        "https://plain.example.invalid/o.png"),
        images(page, "#post-body"), "an http image asked for over https");
    assertEquals(List.of(pixel), images(page, "#comment-" + comment));
    assertEquals(1L, js(page, "return document.querySelectorAll('button.remote-image').length;"),
        "only the API path on this site still waits: it always does");
    assertEquals(List.of(), images(page, "#comment-" + stream));

    page.get(base + "/settings");
    choice = waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("remote-images")));
    assertTrue(choice.isSelected(), "the choice is kept");
    choice.click();
    openPost(page, base, post);
    waitFor(page, 10).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#comment-" + comment)));
    assertEquals(List.of(own, "/favicon.svg"), images(page, "#post-body"));

    // A new post's preview, on the front page, goes through the same door (its first version forgot the import, and
    // the preview said "setBodyHtml is not defined").
    page.get(base + "/");
    waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("composer-title"))).click();
    page.findElement(By.cssSelector("#post-form [name=body]")).sendKeys("**Bold** and ![the chart](" + chart + ")");
    page.findElement(By.id("preview-button")).click();
    WebElement preview = waitFor(page, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("preview")));
    assertEquals("Bold", preview.findElement(By.tagName("strong")).getText(), "the server's rendering");
    assertEquals("Show image from images.example.invalid: “the chart”",
        preview.findElement(By.cssSelector("button.remote-image")).getText());
  }
}
