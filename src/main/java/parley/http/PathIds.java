package parley.http;

/** Ids in paths: anything but a positive whole number names nothing, so it is a 404 like an unknown id. */
public final class PathIds {

  private PathIds() {
  }

  public static long parse(String raw, String notFoundDetail) {
    try {
      long id = Long.parseLong(raw);
      if (id > 0) return id;
    } catch (NumberFormatException e) {
      // falls through
    }
    throw Problem.notFound(notFoundDetail);
  }
}
