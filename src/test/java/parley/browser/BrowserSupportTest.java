package parley.browser;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;

/** The tests' browsers themselves. */
class BrowserSupportTest {

  /**
   * A browser quit is gone, with every process it started: Debian's /usr/bin/chromium-headless-shell is a script that
   * runs the shell as its child, and ChromeDriver, quitting, ended the script alone: each run of the suite left its
   * shells running (105 of their processes after an evening's runs), until the binary was named instead.
   */
  @Test
  void aBrowserQuitLeavesNoProcessBehind() throws Exception {
    BrowserSupport.requireBrowser();
    BrowserSupport.Browser browser = BrowserSupport.start("quit");
    List<ProcessHandle> started;
    try {
      String profile = String.valueOf(((Map<?, ?>) browser.driver().getCapabilities().getCapability("chrome"))
          .get("userDataDir"));
      String argument = "--user-data-dir=" + profile;
      started = ProcessHandle.allProcesses()
          .filter(p -> p.info().arguments().map(a -> Arrays.asList(a).contains(argument)).orElse(false))
          .toList();
      assertFalse(started.isEmpty(), "the browser's processes, found by their profile " + profile);
    } finally {
      browser.driver().quit();
      BrowserSupport.deleteQuietly(browser.profile());
    }
    for (ProcessHandle p : started) {
      try {
        p.onExit().get(15, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        p.destroyForcibly();
        throw new AssertionError("still running 15 s after the quit: "
            + p.info().commandLine().orElse("pid " + p.pid()));
      }
    }
  }
}
