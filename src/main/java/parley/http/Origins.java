package parley.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Origins named in the settings ({@code scheme://host[:port]}), checked once at start and written as a browser does. */
public final class Origins {

  private Origins() {
  }

  /**
   * {@code raw} as a browser serializes an origin, lower-cased: http or https, a host, no user info, path, query or
   * fragment, no default port. {@code "null"} and {@code "*"} are refused. Where {@code tidy}, a trailing "/" and a
   * default port are left out instead of refused (a URL written by hand); otherwise they are refused, since a browser
   * never sends them and a listed origin with them would never match. A refusal names {@code setting}.
   */
  public static String canonical(String setting, String raw, boolean tidy) {
    String problem = null;
    String origin = null;
    try {
      URI uri = new URI(raw.strip());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      int usualPort = scheme.equals("http") ? 80 : 443;
      String path = uri.getRawPath() == null ? "" : uri.getRawPath();
      if (!scheme.equals("http") && !scheme.equals("https")) {
        problem = "must start with http:// or https://";
      } else if (uri.getHost() == null || uri.getRawUserInfo() != null) {
        problem = "must name a host";
      } else if (!(path.isEmpty() || tidy && path.equals("/")) || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        problem = tidy ? "must have no path" : "must have no path, not even a trailing /";
      } else if (uri.getPort() == usualPort && !tidy) {
        problem = "must leave out the default port";
      } else {
        boolean port = uri.getPort() != -1 && uri.getPort() != usualPort;
        origin = scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (port ? ":" + uri.getPort() : "");
      }
    } catch (URISyntaxException e) {
      problem = "is not a URL";
    }
    if (problem != null) {
      throw new IllegalArgumentException(setting + ": '" + raw + "' " + problem
          + " (an origin is scheme://host or scheme://host:port)");
    }
    return origin;
  }
}
