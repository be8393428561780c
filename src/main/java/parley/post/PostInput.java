package parley.post;

import parley.http.Fields;
import parley.http.Problem;

import java.util.List;

/**
 * A validated post body, for creating (every field required but sources) or editing (any field, at least one).
 * The Markdown is rendered once, in the write's transaction (where its mentions are looked up), so the stored HTML
 * is what every reader gets.
 */
public record PostInput(String title, String description, String body, List<String> sources, List<String> tags) {

  static final int MAX_TITLE = 200;
  /** A short summary shown in lists (RealWorld's "description"); optional, empty when not given. */
  static final int MAX_DESCRIPTION = 300;
  static final int MAX_BODY = 40_000;
  static final int MAX_SOURCES = 10;
  static final int MAX_URL = 2_000;
  static final int MAX_TAGS = 5;
  /** A tag: lowercase letters, digits and inner hyphens, 1 to 30 characters ("rust", "show-hn"). */
  static final java.util.regex.Pattern TAG = java.util.regex.Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?");

  /** The fields a post is written with over Parley's own API. */
  static final String[] FIELDS = {"title", "description", "body", "sources", "tags"};

  public static PostInput forCreate(Fields fields) {
    String title = fields.text("title", 1, MAX_TITLE, true);
    String description = fields.optionalText("description", 0, MAX_DESCRIPTION, true);
    String body = fields.text("body", 1, MAX_BODY, false);
    List<String> sources = sources(fields);
    List<String> tags = tags(fields);
    fields.check();
    return new PostInput(title, description == null ? "" : description, body, sources == null ? List.of() : sources,
        tags == null ? List.of() : tags);
  }

  public static PostInput forEdit(Fields fields) {
    String title = fields.optionalText("title", 1, MAX_TITLE, true);
    String description = fields.optionalText("description", 0, MAX_DESCRIPTION, true);
    String body = fields.optionalText("body", 1, MAX_BODY, false);
    List<String> sources = sources(fields);
    List<String> tags = tags(fields);
    fields.check();
    if (title == null && description == null && body == null && sources == null && tags == null) {
      throw Problem.badRequest("Give at least one of title, description, body, sources or tags to change.");
    }
    return new PostInput(title, description, body, sources, tags);
  }

  private static List<String> sources(Fields fields) {
    List<String> sources = fields.optionalStrings("sources", MAX_SOURCES, MAX_URL);
    if (sources == null) return null;
    for (int i = 0; i < sources.size(); i++) {
      if (sources.get(i) != null) fields.webLink("sources[" + i + "]", sources.get(i));
    }
    return sources;
  }

  /** Tags: up to five different ones, each trimmed and lower-cased, then checked; repeats are dropped first. */
  static List<String> tags(Fields fields) {
    // Read more than five: ["go", "Go", " go "] is one tag, counted after the repeats are dropped.
    List<String> raw = fields.optionalStrings("tags", MAX_TAGS * 4, 60);
    if (raw == null) return null;
    java.util.LinkedHashSet<String> tags = new java.util.LinkedHashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      if (raw.get(i) == null) continue; // already reported
      String tag = raw.get(i).toLowerCase(java.util.Locale.ROOT);
      if (!TAG.matcher(tag).matches()) {
        fields.error("tags[" + i + "]", "must be 1 to 30 letters a-z, digits or inner hyphens");
      } else {
        tags.add(tag);
      }
    }
    if (tags.size() > MAX_TAGS) fields.error("tags", "must hold at most " + MAX_TAGS + " different tags");
    return List.copyOf(tags);
  }
}
