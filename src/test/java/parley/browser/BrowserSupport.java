package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import parley.Api;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real browsers for tests: Debian's Chromium driven by Debian's ChromeDriver, headless, each with a fresh profile.
 * Nothing is downloaded (the binaries are given explicitly, so Selenium Manager is never asked).
 *
 * <p>Use as an instance {@code @RegisterExtension}: {@link #open()} starts a browser for the current test; every
 * browser is quit after the test. When a test fails, each browser's screenshot and console log are saved under
 * {@code target/browser-failures/}. Without Chromium or ChromeDriver, a test that opens a browser is skipped,
 * unless the environment variable {@code PARLEY_REQUIRE_BROWSER} is set, which makes that a failure (CI sets it).
 */
public final class BrowserSupport implements AfterTestExecutionCallback, AfterEachCallback {

  public static final Path CHROMIUM = Path.of(System.getProperty("parley.chromium", "/usr/bin/chromium"));
  public static final Path CHROMEDRIVER = Path.of(System.getProperty("parley.chromedriver", "/usr/bin/chromedriver"));
  public static final Path FAILURES = Path.of("target", "browser-failures");
  public static final String REQUIRE = "PARLEY_REQUIRE_BROWSER";

  static {
    // Never let Selenium phone home or go looking for drivers and browsers of its own.
    System.setProperty("SE_AVOID_STATS", "true");
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
  }

  private final List<Browser> browsers = new ArrayList<>();

  /** One browser: its driver, the profile directory to delete afterwards and a name for failure reports. */
  public record Browser(String name, ChromeDriver driver, Path profile) {
  }

  // ---------- availability ----------

  /** Skips (or, with PARLEY_REQUIRE_BROWSER, fails) when Chromium or ChromeDriver is not installed. */
  public static void requireBrowser() {
    String missing = missing();
    if (missing == null) return;
    String message = "Browser tests need " + missing + " (Debian packages chromium and chromium-driver: "
        + "apt-get install chromium chromium-driver)";
    if (System.getenv(REQUIRE) != null && !System.getenv(REQUIRE).isBlank()) {
      Assertions.fail(message + "; " + REQUIRE + " is set, so this is a failure, not a skip");
    }
    Assumptions.abort(message + "; skipped (set " + REQUIRE + "=1 to make this a failure)");
  }

  private static String missing() {
    List<String> missing = new ArrayList<>();
    if (!Files.isExecutable(CHROMIUM)) missing.add(CHROMIUM.toString());
    if (!Files.isExecutable(CHROMEDRIVER)) missing.add(CHROMEDRIVER.toString());
    return missing.isEmpty() ? null : String.join(" and ", missing);
  }

  // ---------- lifecycle ----------

  @Override
  public void afterTestExecution(ExtensionContext context) {
    if (context.getExecutionException().isEmpty()) return;
    String test = (context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName())
        .replaceAll("[^A-Za-z0-9_.-]", "_");
    for (Browser browser : browsers) {
      try {
        saveFailure(browser, test);
      } catch (Exception e) {
        System.err.println("Could not save the failure report of browser " + browser.name() + ": " + e);
      }
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    for (Browser browser : browsers) {
      try {
        browser.driver().quit();
      } catch (Exception e) {
        System.err.println("Could not quit browser " + browser.name() + ": " + e);
      }
      deleteQuietly(browser.profile());
    }
    browsers.clear();
  }

  private static void saveFailure(Browser browser, String test) throws IOException {
    Files.createDirectories(FAILURES);
    String base = test + "-" + browser.name();
    File shot = browser.driver().getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), FAILURES.resolve(base + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    StringBuilder log = new StringBuilder();
    log.append("URL: ").append(browser.driver().getCurrentUrl()).append('\n');
    log.append("Live status: ").append(String.valueOf(browser.driver().executeScript(
        "const s = document.getElementById('live-status'); return s ? s.textContent : null;"))).append("\n\n");
    for (LogEntry entry : browser.driver().manage().logs().get(LogType.BROWSER)) {
      log.append(Instant.ofEpochMilli(entry.getTimestamp())).append(' ').append(entry.getLevel()).append(' ')
          .append(entry.getMessage()).append('\n');
    }
    Files.writeString(FAILURES.resolve(base + "-console.log"), log);
    Files.writeString(FAILURES.resolve(base + ".html"), browser.driver().getPageSource());
    System.err.println("Saved " + FAILURES.resolve(base + ".png").toAbsolutePath() + " and its console log");
  }

  // ---------- browsers ----------

  /** Starts a browser for the current test, named browser1, browser2, … in failure reports. */
  public ChromeDriver open() {
    return open("browser" + (browsers.size() + 1));
  }

  /** Starts a named browser for the current test; it is quit after the test. */
  public ChromeDriver open(String name) {
    requireBrowser();
    Browser browser = start(name);
    browsers.add(browser);
    return browser.driver();
  }

  /** Starts a browser outside any test (the caller quits it and deletes its profile). */
  public static Browser start(String name) {
    Path profile;
    try {
      profile = Files.createTempDirectory("parley-chromium-");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1280,900", "--user-data-dir=" + profile);
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
      return new Browser(name, driver, profile);
    } catch (RuntimeException e) {
      deleteQuietly(profile);
      throw e;
    }
  }

  static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temp profile is harmless
    }
  }

  // ---------- helpers the tests share ----------

  /** Waits up to {@code seconds}, polling every 50 ms. */
  public static WebDriverWait waitFor(WebDriver driver, double seconds) {
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofMillis((long) (seconds * 1000)), Duration.ofMillis(50));
    return wait;
  }

  /**
   * Signs the browser in as a user the test registered over REST: the session goes into localStorage
   * ('parley.session', see webroot/js/session.js) exactly as the login page would store it.
   */
  public static void signIn(WebDriver driver, String baseUrl, Api.Session user) {
    Api.Response me = new Api(baseUrl).get("/api/me", user);
    if (me.status() != 200) throw new IllegalStateException("GET /api/me: " + me);
    JsonObject account = me.json();
    JsonObject session = new JsonObject().put("token", user.token()).put("user", new JsonObject()
        .put("id", account.getLong("id")).put("username", account.getString("username"))
        .put("role", account.getString("role")));
    driver.get(baseUrl + "/login");
    ((JavascriptExecutor) driver).executeScript("localStorage.setItem('parley.session', arguments[0]);",
        session.encode());
  }

  /** Opens a post page and waits until its post is shown and its live connection is open. */
  public static void openPost(WebDriver driver, String baseUrl, long postId) {
    driver.get(baseUrl + "/posts/" + postId);
    waitFor(driver, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("post-title")));
    waitUntilLive(driver);
  }

  public static void waitUntilLive(WebDriver driver) {
    waitFor(driver, 10).until(ExpectedConditions.textToBe(By.id("live-status"), "Live"));
  }

  public static Object js(WebDriver driver, String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  public static byte[] screenshot(WebDriver driver) {
    return ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
  }
}
