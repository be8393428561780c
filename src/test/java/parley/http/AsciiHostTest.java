package parley.http;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A host in another script is written in its ASCII form, and nothing else of the address changes: its escapes stay
 * as written (a review's webhook "?token=a%26b%3Dc%2Bd" was stored as "?token=a&b=c+d", another token, and
 * "/services/a%2Fb" as "/services/a/b", another path).
 */
class AsciiHostTest {

  private static String ascii(String url) throws Exception {
    return Fields.withAsciiHost(new URI(url)).toString();
  }

  @Test
  void onlyTheHostChanges() throws Exception {
    assertEquals("https://xn--bcher-kva.example/services/a%2Fb?token=a%26b%3Dc%2Bd",
        ascii("https://bücher.example/services/a%2Fb?token=a%26b%3Dc%2Bd"));
    assertEquals("https://xn--bcher-kva.example:8443/regal?x=%C3%BC#teil%20zwei",
        ascii("https://bücher.example:8443/regal?x=%C3%BC#teil%20zwei"));
    assertEquals("http://xn--bcher-kva.example", ascii("http://bücher.example"));
    assertEquals("https://xn--bcher-kva.example/regal?x=ü", ascii("https://bücher.example/regal?x=ü"));
  }

  @Test
  void anAddressWithAnAsciiHostOrNoNameIsAsItWas() throws Exception {
    for (String url : new String[] {"https://example.org/a%2Fb?x=%26", "https://user@bücher.example/",
        "https://bücher.example:http/"}) {
      assertEquals(url, ascii(url));
    }
  }
}
