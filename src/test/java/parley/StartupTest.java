package parley;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import parley.config.AppConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parley the way an operator starts it: embedded database under the data directory, restarts, refusals. */
class StartupTest {

  private static Map<String, String> embedded(Path dataDir) {
    Map<String, String> env = new HashMap<>();
    env.put(AppConfig.PORT, "0");
    env.put(AppConfig.DATA_DIR, dataDir.toString());
    env.put(AppConfig.HTTP_INSTANCES, "1");
    env.put(AppConfig.SHUTDOWN_GRACE, "1s");
    return env;
  }

  private static Main.Running start(Map<String, String> env) throws Exception {
    return Main.launch(AppConfig.from(env)).toCompletionStage().toCompletableFuture()
        .get(90, TimeUnit.SECONDS);
  }

  private static void stop(Main.Running running) throws Exception {
    running.stop();
  }

  @Test
  void embeddedModeKeepsEveryPostAndTheSigningKeyAcrossARestart(@TempDir Path dataDir) throws Exception {
    Main.Running first = start(embedded(dataDir));
    Api api = new Api("http://localhost:" + first.port());
    Api.Session alice = api.register("alice");
    long postId = api.createPost(alice, "Survives restarts");
    stop(first);

    Path key = dataDir.resolve("jwt-secret");
    assertTrue(Files.exists(key));
    assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(key));

    Main.Running second = start(embedded(dataDir));
    try {
      Api again = new Api("http://localhost:" + second.port());
      // A new account's first post waits for review by default: its author still reads it.
      Api.Response post = again.get("/api/posts/" + postId, alice);
      assertEquals(200, post.status());
      assertEquals("Survives restarts", post.json().getString("title"));
      assertEquals(200, again.get("/api/me", alice).status(), "a token from before the restart still verifies");
      assertEquals(200, again.post("/api/auth/login", null,
          new JsonObject().put("login", "alice").put("password", "correct horse")).status());
    } finally {
      stop(second);
    }
  }

  @Test
  void healthIs503WhenTheDatabaseDoesNotAnswer(@TempDir Path dataDir) throws Exception {
    Main.Running running = start(embedded(dataDir));
    Api api = new Api("http://localhost:" + running.port());
    assertEquals(200, api.get("/health").status());
    running.database().close(running.vertx()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Api.Response down = api.get("/health");
    assertEquals(503, down.status());
    assertEquals("application/problem+json", down.contentType());
    running.vertx().close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aTakenPortIsRefusedAtOnceBeforeTheDatabaseStarts(@TempDir Path dataDir) throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
      Map<String, String> env = embedded(dataDir);
      env.put(AppConfig.PORT, Integer.toString(taken.getLocalPort()));
      ExecutionException e = assertThrows(ExecutionException.class, () -> start(env));
      String message = e.getCause().getMessage();
      assertTrue(message.startsWith("cannot listen on 0.0.0.0:" + taken.getLocalPort()), message);
      assertTrue(message.contains(AppConfig.PORT), message);
      assertEquals(List.of(), listing(dataDir), "refused before the data directory was touched");
    }
  }

  /** A host this machine does not have was blamed on another Parley listening there (an operator's probe). */
  @Test
  void aHostThisMachineDoesNotHaveIsSaidForWhatItIs(@TempDir Path dataDir) throws Exception {
    Map<String, String> env = embedded(dataDir);
    env.put(AppConfig.HOST, "no-such-host.invalid");
    String message = assertThrows(ExecutionException.class, () -> start(env)).getCause().getMessage();
    assertTrue(message.contains("PARLEY_HOST 'no-such-host.invalid' is not a name this machine can resolve"), message);
    // TEST-NET-1 (RFC 5737): an address no machine here has.
    env.put(AppConfig.HOST, "192.0.2.1");
    message = assertThrows(ExecutionException.class, () -> start(env)).getCause().getMessage();
    assertTrue(message.contains("PARLEY_HOST must be one of this machine's addresses"), message);
    assertFalse(message.contains("another Parley"), message);
    assertEquals(List.of(), listing(dataDir), "refused before the data directory was touched");
  }

  private static List<String> listing(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).toList();
    }
  }

  /**
   * A database that takes the connection and never answers (frozen, or partitioned away after the handshake): the
   * start fails within three times PARLEY_DB_TIMEOUT, saying which database and why, where it waited without end
   * before any port listened (a probe, 2026-12-05).
   */
  @Test
  void aDatabaseThatNeverAnswersFailsTheStartInTimeSayingSo() throws Exception {
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Map<String, String> env = TestParley.environment();
      env.put(AppConfig.DATABASE_URL, "postgresql://parley:secret@127.0.0.1:" + silent.getLocalPort() + "/parley");
      env.put(AppConfig.DATABASE_TIMEOUT, "1s");
      ExecutionException e = assertThrows(ExecutionException.class, () -> Main.launch(AppConfig.from(env))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      String message = e.getCause().getMessage();
      assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
      assertTrue(message.contains("127.0.0.1:" + silent.getLocalPort() + "/parley could not be used"), message);
      assertTrue(message.contains("timed out"), message);
    }
  }

  /** A role that may sign in but not create tables: Flyway's trace, 60 lines, where one says what to grant. */
  @Test
  void aRoleThatMayNotCreateTablesIsSaidInALine() throws Exception {
    Map<String, String> env = TestParley.environment();
    TestParley.sql("DROP DATABASE IF EXISTS no_create_probe");
    TestParley.sql("DROP ROLE IF EXISTS no_create_probe");
    TestParley.sql("CREATE ROLE no_create_probe LOGIN PASSWORD 'probe'");
    // A new database's schema public is its owner's (PostgreSQL 15 and later): the role may connect, not create.
    TestParley.sql("CREATE DATABASE no_create_probe");
    try {
      env.put(AppConfig.DATABASE_URL, env.get(AppConfig.DATABASE_URL)
          .replaceAll("postgres:postgres@(localhost:\\d+)/postgres", "no_create_probe:probe@$1/no_create_probe"));
      ExecutionException e = assertThrows(ExecutionException.class, () -> Main.launch(AppConfig.from(env))
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
      String message = e.getCause().getMessage();
      assertTrue(message.startsWith("The migrations could not change the database at localhost:"), message);
      assertTrue(message.contains("/no_create_probe as no_create_probe (") && message.contains("SQLSTATE 42501"),
          message);
      assertTrue(message.endsWith("must own the database, or be granted CREATE on its schema"), message);
    } finally {
      TestParley.sql("DROP DATABASE IF EXISTS no_create_probe");
      TestParley.sql("DROP ROLE IF EXISTS no_create_probe");
    }
  }

  /**
   * An older Parley started on a schema a newer one migrated is refused, saying what to do: it used to serve there
   * with a WARN, and an upgrade review found its writes breaking what the newer one keeps.
   */
  @Test
  void anOlderParleyOnANewerSchemaIsRefused() throws Exception {
    Map<String, String> env = TestParley.environment();
    TestParley.sql("DROP DATABASE IF EXISTS newer_schema_probe");
    TestParley.sql("CREATE DATABASE newer_schema_probe");
    String url = env.get(AppConfig.DATABASE_URL).replace("/postgres?", "/newer_schema_probe?");
    env.put(AppConfig.DATABASE_URL, url);
    try {
      stop(start(env));
      String port = url.replaceAll(".*@localhost:(\\d+)/.*", "$1");
      try (java.sql.Connection c = java.sql.DriverManager.getConnection(
          "jdbc:postgresql://localhost:" + port + "/newer_schema_probe", "postgres", "postgres");
           java.sql.Statement st = c.createStatement()) {
        st.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
            + "installed_by, execution_time, success) SELECT max(installed_rank) + 1, '999', 'from a newer parley', "
            + "'SQL', 'V999__from_a_newer_parley.sql', 0, 'postgres', 1, true FROM flyway_schema_history");
      }
      ExecutionException e = assertThrows(ExecutionException.class, () -> start(env));
      assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
      String message = e.getCause().getMessage();
      assertTrue(message.startsWith("The database's schema is at version 999, newer than this Parley's migrations "
          + "reach ("), message);
      assertTrue(message.endsWith("restore the backup taken before the upgrade (README, \"Upgrading\")"), message);
    } finally {
      TestParley.sql("DROP DATABASE IF EXISTS newer_schema_probe WITH (FORCE)");
    }
  }

  /** A taken bus port failed the start after Hazelcast's, with Netty's trace (an operator's probe). */
  @Test
  void aTakenClusterBusPortIsRefusedBeforeTheClusterIsJoined() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Map<String, String> env = TestParley.environment();
      env.put(AppConfig.CLUSTER, "true");
      env.put(AppConfig.CLUSTER_BUS_PORT, Integer.toString(taken.getLocalPort()));
      ExecutionException e = assertThrows(ExecutionException.class, () -> Main.launch(AppConfig.from(env))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      String message = e.getCause().getMessage();
      assertTrue(message.startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()), message);
      assertTrue(message.endsWith(AppConfig.CLUSTER_BUS_PORT + " sets the port"), message);
    }
  }

  @Test
  void anExternalDatabaseWithoutASigningKeyRefusesToStart() throws Exception {
    Map<String, String> env = TestParley.environment();
    env.remove(AppConfig.JWT_SECRET);
    ExecutionException e = assertThrows(ExecutionException.class, () -> start(env));
    assertTrue(e.getCause().getMessage().contains(AppConfig.JWT_SECRET), e.getCause().getMessage());
  }

  @Test
  void aShortSigningKeyIsRefused() throws Exception {
    Map<String, String> env = TestParley.environment();
    env.put(AppConfig.JWT_SECRET, "short");
    ExecutionException e = assertThrows(ExecutionException.class, () -> start(env));
    assertTrue(e.getCause().getMessage().contains("at least 32"), e.getCause().getMessage());
  }

  @Test
  void settingsComeFromTheEnvironmentOverAJsonFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("parley.json");
    Files.writeString(file, new JsonObject().put(AppConfig.PORT, 9001).put(AppConfig.TOKEN_TTL, "30m")
        .put(AppConfig.ADMIN, "boss").encode());
    AppConfig config = AppConfig.from(Map.of(AppConfig.CONFIG_FILE, file.toString(), AppConfig.PORT, "9002"));
    assertEquals(9002, config.port());
    assertEquals(java.time.Duration.ofMinutes(30), config.tokenTtl());
    assertEquals("boss", config.admin().orElseThrow());
    assertTrue(config.embeddedDatabase());
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(AppConfig.PORT, "eighty")));
    assertThrows(IllegalArgumentException.class, () -> AppConfig.from(Map.of(AppConfig.TOKEN_TTL, "soon")));
  }

  @Test
  void theSearchRankLimitIsBoundedAtBothEnds() {
    String most = Integer.toString(AppConfig.MAX_SEARCH_RANK_LIMIT);
    assertEquals(AppConfig.MAX_SEARCH_RANK_LIMIT,
        AppConfig.from(Map.of(AppConfig.SEARCH_RANK_LIMIT, most)).searchRankLimit());
    assertEquals(1, AppConfig.from(Map.of(AppConfig.SEARCH_RANK_LIMIT, "1")).searchRankLimit());
    for (String bad : List.of("0", "-5", Integer.toString(AppConfig.MAX_SEARCH_RANK_LIMIT + 1), "2147483647")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> AppConfig.from(Map.of(AppConfig.SEARCH_RANK_LIMIT, bad)), bad);
      assertTrue(e.getMessage().contains(AppConfig.SEARCH_RANK_LIMIT), e.getMessage());
    }
  }
}
