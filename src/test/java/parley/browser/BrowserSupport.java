package parley.browser;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
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
 * Real browsers for tests: Debian's Chromium driven by Debian's ChromeDriver, headless, each starting from a fresh
 * profile's state. Nothing is downloaded (the binaries are given explicitly, so Selenium Manager is never asked).
 *
 * <p>Use as an instance {@code @RegisterExtension}: {@link #open()} gives the current test a browser. After a test
 * that passed, its browsers are reset and kept for the next test in this JVM (starting Chromium and loading its
 * first page took 2.5 s of the 2-core CI machine, 52 times a run): a new tab replaces every tab the test had (so no
 * page, socket, emulation or injected script of it is left), and cookies, the cache and the test server's storage
 * are cleared. A browser that fails its reset, or any browser of a test that failed, is quit instead, and
 * {@code PARLEY_FRESH_BROWSERS=1} quits every browser after its test. When a test fails, each browser's screenshot
 * and console log are saved under
 * {@code target/browser-failures/}. Without Chromium or ChromeDriver, a test that opens a browser is skipped,
 * unless the environment variable {@code PARLEY_REQUIRE_BROWSER} is set, which makes that a failure (CI sets it).
 */
public final class BrowserSupport implements AfterTestExecutionCallback, AfterEachCallback {

  /**
   * The browser: Debian's {@code chromium-headless-shell} where it is installed, else its {@code chromium};
   * {@code -Dparley.chromium} names another. The shell is Chromium's own headless build, the same Blink and V8 as
   * the desktop browser's headless mode without the desktop browser around them; every browser test passes in both,
   * and in the shell they took a third less CPU (585 s against 883 s for the browser classes, 2026-12-08).
   */
  public static final Path CHROMIUM = Path.of(System.getProperty("parley.chromium", defaultChromium()));
  private static final boolean SHELL = CHROMIUM.getFileName().toString().contains("headless-shell");
  public static final Path CHROMEDRIVER = Path.of(System.getProperty("parley.chromedriver", "/usr/bin/chromedriver"));
  public static final Path FAILURES = Path.of("target", "browser-failures");
  public static final String REQUIRE = "PARLEY_REQUIRE_BROWSER";

  static {
    // Never let Selenium phone home or go looking for drivers and browsers of its own.
    System.setProperty("SE_AVOID_STATS", "true");
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
  }

  private final List<Browser> browsers = new ArrayList<>();

  /** Browsers reset after a passing test, for the next one in this JVM; quit when the JVM exits. */
  private static final java.util.ArrayDeque<Browser> IDLE = new java.util.ArrayDeque<>();
  private static final boolean REUSE = System.getenv("PARLEY_FRESH_BROWSERS") == null
      || System.getenv("PARLEY_FRESH_BROWSERS").isBlank();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (IDLE) {
        IDLE.forEach(BrowserSupport::quit);
        IDLE.clear();
      }
    }, "quit-idle-browsers"));
  }

  /**
   * One browser: its driver, the profile directory to delete afterwards (null when ChromeDriver made it) and a name
   * for failure reports.
   */
  public record Browser(String name, ChromeDriver driver, Path profile) {
  }

  // ---------- availability ----------

  /** Skips (or, with PARLEY_REQUIRE_BROWSER, fails) when Chromium or ChromeDriver is not installed. */
  public static void requireBrowser() {
    String missing = missing();
    if (missing == null) return;
    String message = "Browser tests need " + missing + " (Debian packages chromium-headless-shell or chromium, and "
        + "chromium-driver: apt-get install chromium-headless-shell chromium-driver)";
    if (System.getenv(REQUIRE) != null && !System.getenv(REQUIRE).isBlank()) {
      Assertions.fail(message + "; " + REQUIRE + " is set, so this is a failure, not a skip");
    }
    Assumptions.abort(message + "; skipped (set " + REQUIRE + "=1 to make this a failure)");
  }

  private static String defaultChromium() {
    // The binary, not /usr/bin's wrapper: the wrapper runs it as a child, and ChromeDriver, quitting, ended the
    // wrapper alone, leaving every shell the suite started running (BrowserSupportTest).
    Path shell = Path.of("/usr/lib/chromium/chromium-headless-shell");
    return Files.isExecutable(shell) ? shell.toString() : "/usr/bin/chromium";
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
    boolean passed = context.getExecutionException().isEmpty();
    for (Browser browser : browsers) {
      if (REUSE && passed && reset(browser.driver())) {
        synchronized (IDLE) {
          IDLE.addLast(browser);
        }
      } else {
        quit(browser);
      }
    }
    browsers.clear();
  }

  private static void quit(Browser browser) {
    try {
      browser.driver().quit();
    } catch (Exception e) {
      System.err.println("Could not quit browser " + browser.name() + ": " + e);
    }
    deleteQuietly(browser.profile());
  }

  /**
   * Brings a browser back to a fresh profile's state for the next test: one new tab (every tab of the test closed,
   * with its pages, sockets, emulated media or screen and injected scripts), no cookies, an empty cache, no storage
   * for the test server or for any site a tab was on, default timeouts and window size. False if that failed.
   */
  private static boolean reset(ChromeDriver driver) {
    try {
      java.util.Set<String> origins = new java.util.LinkedHashSet<>();
      origins.add(origin(parley.TestParley.baseUrl()));
      java.util.Set<String> tabs = driver.getWindowHandles();
      for (String tab : tabs) {
        driver.switchTo().window(tab);
        String origin = origin(driver.getCurrentUrl());
        if (origin != null) origins.add(origin);
      }
      driver.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
      String fresh = driver.getWindowHandle();
      for (String tab : tabs) {
        driver.switchTo().window(tab);
        driver.close();
      }
      driver.switchTo().window(fresh);
      driver.executeCdpCommand("Network.clearBrowserCookies", Map.of());
      driver.executeCdpCommand("Network.clearBrowserCache", Map.of());
      for (String origin : origins) {
        driver.executeCdpCommand("Storage.clearDataForOrigin", Map.of("origin", origin, "storageTypes", "all"));
      }
      driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
      driver.manage().timeouts().implicitlyWait(Duration.ZERO);
      driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
      return driver.getWindowHandles().size() == 1;
    } catch (RuntimeException e) {
      System.err.println("Could not reset a browser for the next test; quitting it: " + e);
      return false;
    }
  }

  /** scheme://host:port of an http(s) URL, or null for any other (about:blank, data:). */
  private static String origin(String url) {
    if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) return null;
    java.net.URI uri = java.net.URI.create(url);
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
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

  /** Gives the current test a named browser: one a test before it left (reset), or a new one. */
  public ChromeDriver open(String name) {
    requireBrowser();
    Browser kept;
    synchronized (IDLE) {
      kept = IDLE.pollFirst();
    }
    Browser browser = kept != null ? new Browser(name, kept.driver(), kept.profile()) : start(name);
    browsers.add(browser);
    return browser.driver();
  }

  /** Starts a browser outside any test (the caller quits it and deletes its profile). */
  public static Browser start(String name) {
    Path profile;
    try {
      profile = SHELL ? null : Files.createTempDirectory("parley-chromium-");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // The shell is headless without asking, and ChromeDriver never hears from it given a profile of its own
    // (--user-data-dir: the session hangs), so it gets the temporary one ChromeDriver makes and deletes on quit.
    if (!SHELL) options.addArguments("--headless=new", "--user-data-dir=" + profile);
    options.addArguments("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1280,900");
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    // What a kept browser would remember of earlier tests' forms (autocomplete entries, saved passwords) and offer
    // in pop-ups over the page: off, as in a fresh profile.
    options.setExperimentalOption("prefs", Map.of("autofill.profile_enabled", false,
        "autofill.credit_card_enabled", false, "credentials_enable_service", false,
        "profile.password_manager_enabled", false));
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

  /**
   * The moderators' dashboard, signed in as {@code moderator} and live, with the card of {@code author} opened from
   * the report card of their {@code comment}: the card's dialog.
   */
  public static WebElement openAuthorsCard(WebDriver driver, String baseUrl, Api.Session moderator, long comment,
      String author) {
    signIn(driver, baseUrl, moderator);
    driver.get(baseUrl + "/mod");
    waitFor(driver, 10).until(ExpectedConditions.visibilityOfElementLocated(By.id("mod-panels")));
    waitUntilLive(driver);
    waitFor(driver, 10).until(ExpectedConditions.elementToBeClickable(By.xpath("//li[@id='target-comment-" + comment
        + "']//button[contains(@class,'person') and normalize-space()='" + author + "']"))).click();
    return waitFor(driver, 5).until(ExpectedConditions.visibilityOfElementLocated(By.id("user-card")));
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
