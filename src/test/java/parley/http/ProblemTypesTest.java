package parley.http;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every problem code is catalogued once, and docs/API.md's error table and the problem types page (where each
 * problem's {@code type} leads) say exactly the same.
 */
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

  @Test
  void theProblemTypesPageHasOneSectionPerCodeWithItsStatusAndTitle() throws Exception {
    String page = Files.readString(Path.of("webroot", "problems.html"));
    Matcher m = Pattern.compile("<section id=\"([a-z-]+)\">\\s*<h2><code>([a-z-]+)</code> · (\\d{3}|4xx) ([^<]+)</h2>")
        .matcher(page);
    Set<String> explained = new TreeSet<>();
    while (m.find()) {
      assertEquals(m.group(1), m.group(2), "a section's id is its code");
      explained.add(m.group(2) + " " + m.group(3) + " " + m.group(4));
    }
    Set<String> catalogued = new TreeSet<>();
    for (ProblemType type : ProblemType.values()) {
      String status = type == ProblemType.CLIENT_ERROR ? "4xx" : Integer.toString(type.status());
      catalogued.add(type.code() + " " + status + " " + type.title());
    }
    assertEquals(catalogued, explained);
  }
}
