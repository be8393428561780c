package parley.db;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The settings {@link DatabaseServer} takes after its data directory and port. */
class DatabaseServerSettingsTest {

  @Test
  void settingsAfterThePortAreKeptInOrder() {
    Map<String, String> settings = DatabaseServer.settings(new String[] {"dir", "5432",
        "shared_preload_libraries=pg_stat_statements", "work_mem=8MB", "search_path=a=b"});
    assertEquals(List.of("shared_preload_libraries", "work_mem", "search_path"), List.copyOf(settings.keySet()));
    assertEquals("a=b", settings.get("search_path"), "only the first = splits");
  }

  @Test
  void noSettingsGiveNone() {
    assertTrue(DatabaseServer.settings(new String[] {"dir"}).isEmpty());
    assertTrue(DatabaseServer.settings(new String[0]).isEmpty());
  }

  @Test
  void durabilityAndPrivacyCannotBeTurnedOffHereUnderAnySpelling() {
    for (String refused : List.of("fsync=off", "FSYNC=off", " synchronous_commit=off", "synchronous-commit=off",
        "full-page-writes=off", "full_page_writes=off", "listen_addresses=*", "hba_file=/tmp/trust.conf",
        "port=5433", "Unix-Socket-Directories=/tmp", "data_directory=/tmp/x", "config_file=/tmp/p.conf")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> DatabaseServer.settings(new String[] {"dir", "5432", refused}), refused);
      assertTrue(e.getMessage().contains("Parley sets"), e.getMessage());
    }
  }

  @Test
  void namesAreKeptAsPostgreSqlReadsThem() {
    assertEquals(Map.of("work_mem", "8MB"), DatabaseServer.settings(new String[] {"dir", "5432", " Work-Mem=8MB"}));
  }

  @Test
  void anArgumentThatIsNoSettingIsRefused() {
    for (String refused : List.of("work_mem", "=8MB", "")) {
      assertThrows(IllegalArgumentException.class,
          () -> DatabaseServer.settings(new String[] {"dir", "5432", refused}), refused);
    }
  }
}
