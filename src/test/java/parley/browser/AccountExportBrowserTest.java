package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import parley.Api;
import parley.Api.Session;
import parley.TestParley;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static parley.browser.BrowserSupport.signIn;
import static parley.browser.BrowserSupport.waitFor;

/**
 * Downloading one's data from the settings page, in a real browser: the button saves the file the server names,
 * whole, and a refusal is said on the page with no file saved. And an admin downloading a member's data for them
 * from the member's card.
 */
@ExtendWith(TestParley.class)
class AccountExportBrowserTest {

  @RegisterExtension
  final BrowserSupport browsers = new BrowserSupport();

  private final Api api = Api.local();
  private final String base = TestParley.baseUrl();

  /** Opens the settings signed in as {@code who}, with downloads saved to {@code downloads}; returns the button. */
  private WebElement openExport(ChromeDriver page, Session who, Path downloads) {
    page.executeCdpCommand("Browser.setDownloadBehavior",
        Map.of("behavior", "allow", "downloadPath", downloads.toString()));
    signIn(page, base, who);
    page.get(base + "/settings");
    return waitFor(page, 10).until(ExpectedConditions.elementToBeClickable(By.id("export-start")));
  }

  private static void allowNoDownloads(ChromeDriver page) {
    page.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "default"));
  }

  @Test
  void theButtonSavesTheWholeFileTheServerNames() throws Exception {
    Session alice = api.register("alice");
    api.createPost(alice, "Alice's sourdough");
    Path downloads = Files.createTempDirectory("parley-downloads-");
    ChromeDriver page = browsers.open("alice");
    try {
      openExport(page, alice, downloads).click();
      String name = "parley-alice-" + LocalDate.now(ZoneOffset.UTC) + ".json";
      WebElement done = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("export-done")));
      waitFor(page, 10).until(ExpectedConditions.textToBePresentInElement(done, "downloaded"));
      assertEquals("Your file " + name + " is downloaded.", done.getText());
      assertEquals("Download your data", page.findElement(By.id("export-start")).getText(), "the button is back");
      Path file = downloads.resolve(name);
      // Chromium writes the file under a temporary name and renames it once whole.
      waitFor(page, 10).until(ignored -> Files.exists(file));
      JsonObject saved = new JsonObject(Files.readString(file));
      assertEquals("alice", saved.getJsonObject("account").getString("username"));
      assertEquals("Alice's sourdough", saved.getJsonArray("posts").getJsonObject(0).getString("title"));
    } finally {
      allowNoDownloads(page);
      BrowserSupport.deleteQuietly(downloads);
    }
  }

  @Test
  void aSessionEndedElsewhereIsSaidOnThePageAndNothingIsSaved() throws Exception {
    Session alice = api.register("alice");
    Path downloads = Files.createTempDirectory("parley-downloads-");
    ChromeDriver page = browsers.open("alice");
    try {
      WebElement button = openExport(page, alice, downloads);
      assertEquals(204, api.post("/api/auth/logout-all", alice, null).status());
      button.click();
      WebElement error = waitFor(page, 10).until(ExpectedConditions.visibilityOfElementLocated(
          By.cssSelector("#export-form .form-error")));
      waitFor(page, 10).until(ExpectedConditions.textToBePresentInElement(error, "session"));
      assertEquals("Your session has ended: sign in again to do that.", error.getText());
      assertEquals("", page.findElement(By.id("export-done")).getText());
      try (Stream<Path> saved = Files.list(downloads)) {
        assertEquals(0, saved.count(), "no file");
      }
      assertTrue(page.findElement(By.id("export-start")).isEnabled());
    } finally {
      allowNoDownloads(page);
      BrowserSupport.deleteQuietly(downloads);
    }
  }

  /**
   * An admin downloads a member's data from the member's card on the dashboard: a reason first (refused without,
   * nothing saved or logged), then the member's file is saved and the audit log says who did it and why, live.
   */
  @Test
  void anAdminDownloadsAMembersDataFromTheirCard() throws Exception {
    Session boss = api.registerWithRole("boss", "admin");
    Session troll = api.register("troll");
    Session reader = api.register("reader");
    long post = api.createPost(reader, "A thread");
    long comment = api.comment(troll, post, "Trolling", null);
    assertEquals(201, api.post("/api/reports", reader, new JsonObject().put("targetType", "comment")
        .put("targetId", comment).put("reason", "spam")).status());
    Path downloads = Files.createTempDirectory("parley-downloads-");
    ChromeDriver page = browsers.open("admin");
    try {
      page.executeCdpCommand("Browser.setDownloadBehavior",
          Map.of("behavior", "allow", "downloadPath", downloads.toString()));
      WebElement dialog = BrowserSupport.openAuthorsCard(page, base, boss, comment, "troll");
      WebElement start = waitFor(page, 5).until(ExpectedConditions.elementToBeClickable(By.xpath(
          "//dialog[@id='user-card']//button[normalize-space()='Download their data']")));

      // No reason: said by the field; no file, no entry.
      start.click();
      WebElement reason = dialog.findElement(By.cssSelector(".export-data-form textarea"));
      waitFor(page, 5).until(d -> "true".equals(reason.getDomAttribute("aria-invalid")));
      assertEquals(reason, page.switchTo().activeElement());
      assertEquals(0, TestParley.count("SELECT count(*) FROM mod_log WHERE action = 'user.exported'"));

      reason.sendKeys("Asked by mail for a copy");
      start.click();
      String name = "parley-troll-" + LocalDate.now(ZoneOffset.UTC) + ".json";
      WebElement done = dialog.findElement(By.cssSelector(".export-data-done"));
      waitFor(page, 10).until(ExpectedConditions.textToBePresentInElement(done, "downloaded"));
      assertEquals(name + " is downloaded: send it to troll yourself.", done.getText());
      assertEquals("", reason.getDomProperty("value"), "the reason is cleared for the next one");
      Path file = downloads.resolve(name);
      waitFor(page, 10).until(ignored -> Files.exists(file));
      JsonObject saved = new JsonObject(Files.readString(file));
      assertEquals("troll", saved.getJsonObject("account").getString("username"));
      assertEquals("Trolling", saved.getJsonArray("comments").getJsonObject(0).getString("body"));
      waitFor(page, 10).until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"),
          "boss downloaded troll's data for them: Asked by mail for a copy"));
    } finally {
      allowNoDownloads(page);
      BrowserSupport.deleteQuietly(downloads);
    }
  }
}
