package parley.http;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every problem code is catalogued once, and docs/API.md's error table says exactly the same. */
class ProblemTypesTest {

  @Test
  void apiMdsErrorTableListsEveryProblemTypeWithItsStatus() throws Exception {
    Pattern row = Pattern.compile("^\\| (\\d{3}|4xx) \\| `([a-z-]+)` \\|");
    Set<String> documented = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("docs", "API.md"))) {
      Matcher m = row.matcher(line);
      if (m.find()) documented.add(m.group(1) + " " + m.group(2));
    }
    Set<String> catalogued = new TreeSet<>();
    for (ProblemType type : ProblemType.values()) {
      String status = type == ProblemType.CLIENT_ERROR ? "4xx" : Integer.toString(type.status());
      catalogued.add(status + " " + type.code());
    }
    assertEquals(catalogued, documented);
  }
}
