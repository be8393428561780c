package parley.http;

/**
 * Ids in paths: anything but a positive whole number as the server writes it (ASCII digits, no sign, no leading zero)
 * names nothing, so it is a 404 like an unknown id.
 */
public final class PathIds {

  private PathIds() {
  }

  public static long parse(String raw, String notFoundDetail) {
    Long id = Numbers.parse(raw);
    if (id != null && id > 0 && raw.charAt(0) != '0') return id;
    throw Problem.notFound(notFoundDetail);
  }
}
