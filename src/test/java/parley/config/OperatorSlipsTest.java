package parley.config;

import org.junit.jupiter.api.Test;
import parley.Main;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator's slips in the environment (a probe): spaces around a value are not part of it, and a logging setting
 * logback would not understand is refused rather than silencing the log or meaning DEBUG.
 */
class OperatorSlipsTest {

  @Test
  void aNameThatIsNoSettingIsSaidWithTheSettingItWasLikelyMeantToBe(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("parley.json");
    java.nio.file.Files.writeString(file, "{\"PARLEY_DATADIR\": \"/srv/parley\", \"DATABASE_URL\": \"postgres://h/db\"}");
    Map<String, String> env = Map.of("PARLEY_DB_TIMOUT", "5s", "PARLEY_PORT", "8081", "HOME", "/root",
        "PARLEY_NOTHING_LIKE_ANY_OF_THEM", "1", AppConfig.CONFIG_FILE, file.toString());
    assertEquals(java.util.List.of(
        "PARLEY_DB_TIMOUT in the environment is not a Parley setting and is ignored; did you mean PARLEY_DB_TIMEOUT?",
        "PARLEY_NOTHING_LIKE_ANY_OF_THEM in the environment is not a Parley setting and is ignored (the settings are "
            + "listed in the README)",
        "PARLEY_DATADIR in the PARLEY_CONFIG file is not a Parley setting and is ignored; did you mean "
            + "PARLEY_DATA_DIR?"), AppConfig.unknownSettings(env));
    assertEquals(java.util.List.of(), AppConfig.unknownSettings(Map.of("PARLEY_PORT", "8081", "PATH", "/bin")));
    // Cluster settings on a node that is not clustered are said, as ignored.
    assertEquals(java.util.List.of("PARLEY_CLUSTER_MEMBERS is set but PARLEY_CLUSTER is not true: this node runs "
        + "alone, and ignores it"), AppConfig.unknownSettings(Map.of("PARLEY_CLUSTER_MEMBERS", "10.0.0.2:5701")));
    assertEquals(java.util.List.of(), AppConfig.unknownSettings(Map.of("PARLEY_CLUSTER_MEMBERS", "10.0.0.2:5701",
        "PARLEY_CLUSTER", "yes")));
    assertEquals(java.util.List.of(), AppConfig.unknownSettings(Map.of("PARLEY_CLUSTER_MEMBERS", " ")), "blank is unset");
    // Another program's setting two letters from DATABASE_URL is none of Parley's business.
    assertEquals(java.util.List.of(), AppConfig.unknownSettings(Map.of("DATABASE_SSL", "true", "DATABASE_TTL", "5")));
    // Names a letter or two from a setting's, and settings in lower case, are said too.
    assertEquals(java.util.List.of(
        "DATABSE_URL in the environment is not a Parley setting and is ignored; did you mean DATABASE_URL?",
        "PARLY_PORT in the environment is not a Parley setting and is ignored; did you mean PARLEY_PORT?",
        "parley_port in the environment is not a Parley setting and is ignored; did you mean PARLEY_PORT?"),
        AppConfig.unknownSettings(Map.of("DATABSE_URL", "x", "PARLY_PORT", "1", "parley_port", "2", "HOME", "/root",
            "LANG", "C", "JAVA_HOME", "/usr/lib/jvm", "SHELL", "/bin/sh", "TERM", "xterm")));
  }

  /** A blank value is unset in the file as in the environment (the file's was refused). */
  @Test
  void aBlankValueInTheFileIsUnsetAsInTheEnvironment(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path file = dir.resolve("parley.json");
    java.nio.file.Files.writeString(file, "{\"PARLEY_PORT\": \" \", \"PARLEY_DB_TIMEOUT\": \"\"}");
    AppConfig config = AppConfig.from(Map.of(AppConfig.CONFIG_FILE, file.toString()));
    assertEquals(8080, config.port());
    assertEquals(java.time.Duration.ofSeconds(5), config.databaseTimeout());
    assertEquals(8080, AppConfig.from(Map.of(AppConfig.PORT, "")).port());
  }

  /**
   * A file's {@code null} is unset (it was the text "null": the member who registered as "null" became the admin),
   * and a file that cannot be read is refused without its text, which may be a secret (a review).
   */
  @Test
  void aNullInTheFileIsUnsetAndAnUnreadableFileIsRefusedWithoutItsText(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("parley.json");
    java.nio.file.Files.writeString(file, "{\"PARLEY_ADMIN\": null, \"PARLEY_PORT\": null}");
    AppConfig config = AppConfig.from(Map.of(AppConfig.CONFIG_FILE, file.toString()));
    assertTrue(config.admin().isEmpty(), String.valueOf(config.admin()));
    assertEquals(8080, config.port());

    java.nio.file.Files.writeString(file, "{\"PARLEY_PORT\": 9000,\n \"PARLEY_JWT_SECRET\": SuperSecretKeyText}");
    String unquoted = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(AppConfig.CONFIG_FILE, file.toString()))).getMessage();
    assertFalse(unquoted.contains("SuperSecret"), unquoted);
    assertTrue(unquoted.contains("it is not a JSON object of settings (line 2, column"), unquoted);

    java.nio.file.Files.write(file, new byte[] {'{', '"', 'P', '"', ':', '"', (byte) 0xC3, '"', '}'});
    String latin = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(AppConfig.CONFIG_FILE, file.toString()))).getMessage();
    assertTrue(latin.endsWith("it is not UTF-8 text"), latin);

    String absent = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> AppConfig.from(Map.of(AppConfig.CONFIG_FILE, dir.resolve("absent.json").toString()))).getMessage();
    assertTrue(absent.endsWith("(NoSuchFileException)"), absent);

    java.nio.file.Files.writeString(file, "{\"PARLEY_LOG_LEVEL\": \"WARN\"}");
    assertEquals(java.util.List.of("PARLEY_LOG_LEVEL in the PARLEY_CONFIG file is ignored: logback reads the log's "
        + "settings from the environment only, before this file is read; set it there"),
        AppConfig.unknownSettings(Map.of(AppConfig.CONFIG_FILE, file.toString())));
  }

  /** Digits of other scripts were read as numbers (a port of ١٨٣٠٢), and 10,000 HTTP instances exhausted the heap. */
  @Test
  void numbersAreAsciiDigitsAndHttpInstancesAreBounded() {
    for (Map<String, String> env : java.util.List.of(Map.of(AppConfig.PORT, "\u0661\u0668\u0663\u0660\u0662"),
        Map.of(AppConfig.DATABASE_TIMEOUT, "\u0661\u0660s"), Map.of(AppConfig.HTTP_INSTANCES, "10000"),
        Map.of(WebhookSettings.POLL, "9999999999999ms"), Map.of(WebhookSettings.BACKOFF_MAX, "9223372036854775807ms"))) {
      String refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> AppConfig.from(env)).getMessage();
      assertTrue(refused.startsWith(env.keySet().iterator().next()), env + ": " + refused);
    }
    assertEquals(256, AppConfig.from(Map.of(AppConfig.HTTP_INSTANCES, "256")).httpInstances());
    assertEquals(java.time.Duration.ofMillis(250),
        AppConfig.from(Map.of(WebhookSettings.POLL, "250ms")).webhooks().poll());
  }

  /** A 1ms webhook poll was taken: a query a millisecond on every node. Retries, likewise, have a floor. */
  @Test
  void webhookPollsAndRetriesHaveAFloor() {
    for (String[] slip : new String[][] {{WebhookSettings.POLL, "1ms"}, {WebhookSettings.POLL, "49ms"},
        {WebhookSettings.BACKOFF_BASE, "1ms"}, {WebhookSettings.BACKOFF_BASE, "99ms"}}) {
      String refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> AppConfig.from(Map.of(slip[0], slip[1]))).getMessage();
      assertEquals(slip[0] + " must be at least " + (slip[0].equals(WebhookSettings.POLL) ? "50ms" : "100ms"), refused);
    }
    assertEquals(java.time.Duration.ofMillis(50), AppConfig.from(Map.of(WebhookSettings.POLL, "50ms")).webhooks().poll());
    assertEquals(java.time.Duration.ofMillis(100),
        AppConfig.from(Map.of(WebhookSettings.BACKOFF_BASE, "100ms")).webhooks().backoffBase());
  }

  /**
   * Paths a review found taken at the start and failing later: a backup directory reached through a link into the
   * data directory, or that is a file; a data directory with a quote or a line break (initdb failed after the keys
   * were written). And a data directory that cannot be made is said in a line, not 15 of trace.
   */
  @Test
  void pathsThatCannotWorkAreRefusedAtTheStartInALine(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    java.nio.file.Files.createDirectories(data);
    Path link = dir.resolve("link");
    java.nio.file.Files.createSymbolicLink(link, data);
    Path file = dir.resolve("a-file");
    java.nio.file.Files.writeString(file, "x");
    Map<Map<String, String>, String> refused = Map.of(
        Map.of(AppConfig.DATA_DIR, data.toString(), BackupSettings.DIR, link.resolve("backups").toString()),
        BackupSettings.DIR + " cannot be inside " + AppConfig.DATA_DIR,
        Map.of(AppConfig.DATA_DIR, data.toString(), BackupSettings.DIR, file.toString()),
        BackupSettings.DIR + " (" + file + ") is a file, not a directory",
        Map.of(AppConfig.DATA_DIR, dir.resolve("say \"hi\"").toString()),
        AppConfig.DATA_DIR + " must not hold a double quote or a control character",
        Map.of(AppConfig.DATA_DIR, dir.resolve("two\nlines").toString()),
        AppConfig.DATA_DIR + " must not hold a double quote or a control character");
    refused.forEach((env, why) -> {
      String message = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> AppConfig.from(env)).getMessage();
      assertTrue(message.startsWith(why), env + ": " + message);
    });
    java.io.IOException under = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> java.nio.file.Files.createDirectories(file.resolve("data")));
    String line = Main.fileProblem(new java.io.UncheckedIOException((java.io.IOException) under));
    assertTrue(line.startsWith(file.resolve("data") + " cannot be used (") && line.endsWith("): check PARLEY_DATA_DIR "
        + "and the other paths in the settings"), line);
    assertNull(Main.fileProblem(new IllegalStateException("no file in it")));
  }

  /** PARLEY_JWT_SECRET replaced the data directory's own key without a word, signing everyone out (a review). */
  @Test
  void aTokenKeyThatReplacesTheDataDirectorysIsSaid(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    java.nio.file.Files.writeString(dir.resolve("jwt-secret"), "the-key-the-directory-had-from-its-first-start");
    String other = "another-key-given-in-the-environment-0123456789";
    try (parley.CapturedLog log = new parley.CapturedLog(parley.account.Tokens.class)) {
      assertEquals(other, parley.account.Tokens.resolveSecret(AppConfig.from(Map.of(AppConfig.DATA_DIR,
          dir.toString(), AppConfig.JWT_SECRET, other))));
      assertEquals(List.of("PARLEY_JWT_SECRET is used instead of the token key in " + dir.resolve("jwt-secret")
          + ": tokens signed with that key are refused"), log.messages());
    }
    try (parley.CapturedLog log = new parley.CapturedLog(parley.account.Tokens.class)) {
      parley.account.Tokens.resolveSecret(AppConfig.from(Map.of(AppConfig.DATA_DIR, dir.toString(),
          AppConfig.JWT_SECRET, "the-key-the-directory-had-from-its-first-start")));
      assertEquals(List.of(), log.messages(), "the same key is no news");
    }
  }

  /** The names Parley knows are the ones the README's table lists, no more and no fewer. */
  @Test
  void theSettingsParleyKnowsAreTheOnesTheReadmeLists() throws Exception {
    java.util.SortedSet<String> listed = new java.util.TreeSet<>();
    java.util.regex.Matcher row = java.util.regex.Pattern.compile("(?m)^\\| `((?:PARLEY_[A-Z0-9_]+)|DATABASE_URL)`")
        .matcher(java.nio.file.Files.readString(Path.of("README.md")));
    while (row.find()) listed.add(row.group(1));
    java.util.SortedSet<String> limits = new java.util.TreeSet<>(AppConfig.DEFAULT_LIMITS.keySet());
    java.util.SortedSet<String> known = new java.util.TreeSet<>(AppConfig.NAMES);
    assertTrue(known.containsAll(limits), "every rate limit is known");
    assertEquals(known, listed);
  }

  /** Values no node should run with were taken: a wait meant in milliseconds, one past what a long can hold. */
  @Test
  void valuesPastWhatANodeShouldRunWithAreRefusedSayingWhy() {
    Map<Map<String, String>, String> refused = Map.of(
        Map.of(AppConfig.DATABASE_TIMEOUT, "5000"),
        "PARLEY_DB_TIMEOUT must be at most 10m, got 5000 s (a number without a unit is seconds; 5000ms is five seconds)",
        Map.of(AppConfig.TOKEN_TTL, "99999999999999d"), "PARLEY_TOKEN_TTL must be at most 3650d, got '99999999999999d'",
        Map.of(AppConfig.EVENT_RETENTION, "-1s"), "PARLEY_EVENT_RETENTION must not be negative",
        Map.of(AppConfig.SEARCH_CONCURRENCY, "8"),
        "PARLEY_SEARCH_CONCURRENCY (8) must be below PARLEY_DB_POOL_SIZE (8): searches would hold every connection",
        Map.of(AppConfig.SHUTDOWN_GRACE, "3600"), "PARLEY_SHUTDOWN_GRACE must be at most 10m, got 3600 s (a number "
            + "without a unit is seconds; 5000ms is five seconds)");
    refused.forEach((env, why) -> assertEquals(why, org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> AppConfig.from(env)).getMessage()));
    for (String name : List.of("boss@example.org", "Jos\u00e9", "ab")) {
      String why = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> AppConfig.from(Map.of(AppConfig.ADMIN, name))).getMessage();
      assertTrue(why.startsWith("PARLEY_ADMIN must be a username"), why);
    }
    // The embedded database takes 100 connections: pools past it failed requests under load (a review).
    assertEquals("PARLEY_DB_POOL_SIZE + PARLEY_DB_LIVE_POOL_SIZE (500 + 2) must be at most 90 with the embedded "
        + "database, which takes 100 connections in all", org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> AppConfig.from(Map.of(AppConfig.DATABASE_POOL_SIZE, "500"))).getMessage());
    assertEquals(500, AppConfig.from(Map.of(AppConfig.DATABASE_POOL_SIZE, "500", AppConfig.DATABASE_URL,
        "postgresql://u:p@db:5432/parley", AppConfig.JWT_SECRET, "x".repeat(40))).databasePoolSize());
    assertEquals(java.time.Duration.ofSeconds(5), AppConfig.from(Map.of(AppConfig.DATABASE_TIMEOUT, "5000ms"))
        .databaseTimeout());
    assertEquals(java.time.Duration.ofDays(3650), AppConfig.from(Map.of(AppConfig.EVENT_RETENTION, "3650d"))
        .eventRetention());
    // A smaller pool gets fewer searches at once by default, never the whole pool.
    assertEquals(4, AppConfig.from(Map.of()).searchConcurrency());
    assertEquals(2, AppConfig.from(Map.of(AppConfig.DATABASE_POOL_SIZE, "3")).searchConcurrency());
    assertEquals(1, AppConfig.from(Map.of(AppConfig.DATABASE_POOL_SIZE, "1")).searchConcurrency());
  }

  @Test
  void spacesAroundAValueAreNotPartOfIt() {
    AppConfig config = AppConfig.from(Map.of(AppConfig.DATA_DIR, "/srv/parley ", AppConfig.PORT, " 8081 ",
        AppConfig.ADMIN, " boss"));
    assertEquals(Path.of("/srv/parley"), config.dataDir());
    assertEquals(8081, config.port());
    assertEquals("boss", config.admin().orElseThrow());
  }

  @Test
  void trustedProxiesAreAddressesInTheFormAPeerHas() {
    assertEquals(java.util.List.of("0:0:0:0:0:0:0:1", "10.0.0.1"),
        AppConfig.from(Map.of(AppConfig.TRUSTED_PROXIES, "::1, 10.0.0.1")).trustedProxies());
    for (String bad : new String[] {"proxy.internal", "10.0.0.0/8", "localhost"}) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> AppConfig.from(Map.of(AppConfig.TRUSTED_PROXIES, bad)), bad);
      assertTrue(e.getMessage().startsWith(AppConfig.TRUSTED_PROXIES), e.getMessage());
    }
  }

  /** The backup command reads the server's settings, the PARLEY_CONFIG file's too (it looked in ./data instead). */
  @Test
  void theBackupCommandFindsTheDataDirectoryTheConfigFileNames() throws Exception {
    Path dir = java.nio.file.Files.createTempDirectory("parley-slips");
    Path file = dir.resolve("parley.json");
    Path dataDir = dir.resolve("elsewhere");
    java.nio.file.Files.writeString(file, new io.vertx.core.json.JsonObject().put(AppConfig.DATA_DIR, dataDir.toString())
        .encode());
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream said = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(said, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertEquals(1, Main.backup(new String[] {"backup", dir.resolve("copy").toString()},
          Map.of(AppConfig.CONFIG_FILE, file.toString())));
      assertEquals(2, Main.backup(new String[] {"backup", dir.resolve("copy").toString()},
          Map.of(AppConfig.CONFIG_FILE, file.toString(), AppConfig.DATABASE_URL, "postgresql://u:p@db:5432/parley")));
    } finally {
      System.setErr(err);
    }
    String text = said.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(text.contains("No embedded PostgreSQL in " + dataDir), text);
    assertTrue(text.contains("DATABASE_URL is set"), text);
  }

  @Test
  void theBackupsRestoreHintIsOneShellWordWhateverThePath() throws Exception {
    // A review's backup into "t/o'brien $HOME" was told PARLEY_DATA_DIR='…/o'brien $HOME', which no shell reads so.
    for (String path : List.of("/backups/o'brien $HOME", "/b/'", "/b/''x\\y\"z`w`", "/plain")) {
      Process sh = new ProcessBuilder("sh", "-c", "printf %s " + Main.shellQuoted(path)).start();
      String said = new String(sh.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertEquals(0, sh.waitFor());
      assertEquals(path, said);
    }
  }

  @Test
  void loggingSettingsLogbackWouldNotUnderstandAreRefused() {
    assertNull(Main.logSettingsProblem(Map.of()));
    assertNull(Main.logSettingsProblem(Map.of("PARLEY_LOG_FORMAT", "json", "PARLEY_LOG_LEVEL", "warn",
        "PARLEY_ACCESS_LOG", "OFF")));
    for (Map<String, String> env : java.util.List.of(Map.of("PARLEY_LOG_FORMAT", "JSON"),
        Map.of("PARLEY_LOG_FORMAT", "json "), Map.of("PARLEY_LOG_FORMAT", "xml"),
        Map.of("PARLEY_LOG_LEVEL", "warning"), Map.of("PARLEY_ACCESS_LOG", "none"))) {
      String problem = Main.logSettingsProblem(env);
      String name = env.keySet().iterator().next();
      assertTrue(problem != null && problem.startsWith(name), env + ": " + problem);
    }
  }
}
