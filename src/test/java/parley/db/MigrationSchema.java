package parley.db;

import org.flywaydb.core.Flyway;
import parley.TestParley;

/** Parley's migrations in a schema of a test's own, up to a version (null: all), to check what one does to data. */
final class MigrationSchema {

  private MigrationSchema() {
  }

  static Flyway flyway(String schema, String target) throws Exception {
    var config = Flyway.configure().dataSource(TestParley.db()).schemas(schema).locations("classpath:db/migration");
    return (target == null ? config : config.target(target)).load();
  }
}
