package parley.db;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The embedded PostgreSQL servers a test starts as Parley starts its own, each in a data directory of its own under
 * {@code target/<folder>} (the binaries unpacked once for all), every one stopped after the test.
 */
final class EmbeddedServers implements AfterEachCallback {

  private final String folder;
  private final List<EmbeddedDatabase> started = new ArrayList<>();

  EmbeddedServers(String folder) {
    this.folder = folder;
  }

  /** A new data directory's path, not yet made ({@code what}: a word for it, in its name). */
  Path fresh(String what) throws Exception {
    Path dir = Path.of("target", folder, (what.isEmpty() ? "" : what + "-")
        + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
    Files.createDirectories(dir.getParent());
    return dir;
  }

  EmbeddedDatabase start(Path dataDir) throws Exception {
    return start(dataDir, null);
  }

  /** The same, on the ports {@code ports} gives ({@code null}: ports found free, as Parley finds them). */
  EmbeddedDatabase start(Path dataDir, EmbeddedDatabase.FreePorts ports) throws Exception {
    return start(dataDir, ports, java.util.Map.of());
  }

  /** The same, with PostgreSQL settings over Parley's. */
  EmbeddedDatabase start(Path dataDir, EmbeddedDatabase.FreePorts ports, java.util.Map<String, String> settings)
      throws Exception {
    EmbeddedDatabase.Options options = EmbeddedDatabase.Options.in(dataDir)
        .withBinaries(Path.of("target", "pg-bin").toAbsolutePath()).withSettings(settings);
    EmbeddedDatabase db = ports == null ? EmbeddedDatabase.start(options) : EmbeddedDatabase.start(options, ports);
    started.add(db);
    return db;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    started.forEach(EmbeddedDatabase::close);
    started.clear();
  }
}
