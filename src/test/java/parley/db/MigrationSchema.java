package parley.db;

import org.flywaydb.core.Flyway;
import parley.TestParley;

import java.sql.Connection;
import java.sql.Statement;

/** Parley's migrations in a schema of a test's own, up to a version (null: all), to check what one does to data. */
final class MigrationSchema {

  private MigrationSchema() {
  }

  /** A check's work on a schema (the statement's search_path is the schema). */
  interface Check {
    void run(Statement s) throws Exception;
  }

  /**
   * Migrates {@code schema} up to {@code before}, runs {@code check} with that schema as the statement's search_path
   * (it migrates the rest itself, with {@code flyway(schema, null)}, once its data is in), then drops the schema.
   */
  static void check(String schema, String before, Check check) throws Exception {
    try (Connection c = TestParley.db().getConnection(); Statement s = c.createStatement()) {
      try {
        flyway(schema, before).migrate();
        s.execute("SET search_path TO " + schema);
        check.run(s);
      } finally {
        s.execute("RESET search_path");
        s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  static Flyway flyway(String schema, String target) throws Exception {
    var config = Flyway.configure().dataSource(TestParley.db()).schemas(schema).locations("classpath:db/migration");
    return (target == null ? config : config.target(target)).load();
  }
}
