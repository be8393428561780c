package parley.post;

import parley.http.Fields;
import parley.http.Problem;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * A validated post body, for creating (every field required but sources) or editing (any field, at least one).
 * The Markdown is rendered once, in the write's transaction (where its mentions are looked up), so the stored HTML
 * is what every reader gets.
 */
record PostInput(String title, String body, List<String> sources) {

  static final int MAX_TITLE = 200;
  static final int MAX_BODY = 40_000;
  static final int MAX_SOURCES = 10;
  static final int MAX_URL = 2_000;

  static PostInput forCreate(Fields fields) {
    String title = fields.text("title", 1, MAX_TITLE, true);
    String body = fields.text("body", 1, MAX_BODY, false);
    List<String> sources = sources(fields);
    fields.check();
    return new PostInput(title, body, sources == null ? List.of() : sources);
  }

  static PostInput forEdit(Fields fields) {
    String title = fields.optionalText("title", 1, MAX_TITLE, true);
    String body = fields.optionalText("body", 1, MAX_BODY, false);
    List<String> sources = sources(fields);
    fields.check();
    if (title == null && body == null && sources == null) {
      throw Problem.badRequest("Give at least one of title, body or sources to change.");
    }
    return new PostInput(title, body, sources);
  }

  private static List<String> sources(Fields fields) {
    List<String> sources = fields.optionalStrings("sources", MAX_SOURCES, MAX_URL);
    if (sources == null) return null;
    for (int i = 0; i < sources.size(); i++) {
      if (sources.get(i) != null && !isWebUrl(sources.get(i))) fields.error("sources[" + i + "]", "must be an http or https URL");
    }
    return sources;
  }

  static boolean isWebUrl(String s) {
    try {
      URI uri = new URI(s);
      String scheme = uri.getScheme();
      return scheme != null && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          && uri.getHost() != null && !uri.getHost().isEmpty();
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
