package parley.atom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import parley.OwnServer;
import parley.RawHttp;
import parley.TestParley;
import parley.config.AppConfig;
import parley.live.RawSocket;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code PARLEY_PUBLIC_URL}: a node that knows the address readers reach it at builds its feeds on it, whatever Host a
 * client sends (a shared cache keyed on the path alone cannot be handed a feed naming another site), and its pages'
 * origin may open live sockets behind a proxy that rewrites Host.
 */
@ExtendWith(TestParley.class)
class PublicUrlTest {

  @RegisterExtension
  static final OwnServer PUBLIC = new OwnServer(Map.of(AppConfig.PUBLIC_URL, "HTTPS://Forum.Example.org:443/"));

  @Test
  void theFeedsNameThePublicUrlWhateverHostTheRequestCarries() throws Exception {
    for (String path : new String[] {"/feed.atom", "/tags/gardening/feed.atom"}) {
      RawHttp.Reply reply = RawHttp.send(PUBLIC.port(), "GET " + path + " HTTP/1.1\r\nHost: evil.example\r\n"
          + "Connection: close\r\n\r\n");
      assertEquals(200, reply.status(), reply.body());
      assertTrue(reply.body().contains("<id>https://forum.example.org" + path + "</id>"), reply.body());
      assertFalse(reply.body().contains("evil.example"), reply.body());
    }
  }

  @Test
  void withoutOneTheFeedNamesTheRequestsHost() throws Exception {
    RawHttp.Reply reply = RawHttp.send(TestParley.server().running().port(), "GET /feed.atom HTTP/1.1\r\nHost: other.example:8443\r\n"
        + "Connection: close\r\n\r\n");
    assertEquals(200, reply.status(), reply.body());
    assertTrue(reply.body().contains("<id>http://other.example:8443/feed.atom</id>"), reply.body());
    // An empty port is the scheme's own (a probe: the feed named "http://other.example:0/feed.atom").
    RawHttp.Reply emptyPort = RawHttp.send(TestParley.server().running().port(), "GET /feed.atom HTTP/1.1\r\n"
        + "Host: other.example:\r\nConnection: close\r\n\r\n");
    assertEquals(200, emptyPort.status(), emptyPort.body());
    assertTrue(emptyPort.body().contains("<id>http://other.example/feed.atom</id>"), emptyPort.body());
    // An absolute target naming another host than Host: neither is the feed's, and the refusal says both.
    RawHttp.Reply twoHosts = RawHttp.send(TestParley.server().running().port(), "GET http://evil.example/feed.atom "
        + "HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n");
    assertEquals(400, twoHosts.status(), twoHosts.toString());
    assertTrue(twoHosts.body().contains("its Host header and its target name different ones"), twoHosts.body());
    // The same host in both: the feed is its (Vert.x's absoluteURI gave "http://other.examplehttp/feed.atom").
    RawHttp.Reply absolute = RawHttp.send(TestParley.server().running().port(), "GET http://other.example:8443/feed.atom "
        + "HTTP/1.1\r\nHost: other.example:8443\r\nConnection: close\r\n\r\n");
    assertEquals(200, absolute.status(), absolute.toString());
    assertTrue(absolute.body().contains("<id>http://other.example:8443/feed.atom</id>"), absolute.body());
  }

  @Test
  void thePublicOriginMayOpenLiveSocketsAndNoOtherForeignOneMay() throws Exception {
    try (RawSocket own = new RawSocket(PUBLIC.port(), "/eventbus/websocket", 65536,
        "Origin: https://forum.example.org")) {
      assertEquals(101, own.status(), "the public origin");
    }
    try (RawSocket foreign = new RawSocket(PUBLIC.port(), "/eventbus/websocket", 65536,
        "Origin: https://forum.example.org.evil.example")) {
      assertEquals(403, foreign.status(), "an origin that only starts like it");
    }
  }

  @Test
  void aPublicUrlIsAnOriginAndNothingElse() {
    assertEquals("https://forum.example.org", config("https://forum.example.org"));
    assertEquals("http://forum.example.org:8080", config("http://Forum.example.org:8080/"));
    assertEquals("http://forum.example.org", config("http://forum.example.org:80"));
    for (String bad : new String[] {"forum.example.org", "ftp://forum.example.org", "https://", "https://forum.example.org/forum",
        "https://user@forum.example.org", "https://forum.example.org/?a=1", "https://forum.example.org/#top", "https://exa mple.org"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(bad), bad);
      assertTrue(e.getMessage().startsWith(AppConfig.PUBLIC_URL), e.getMessage());
    }
  }

  private static String config(String publicUrl) {
    return AppConfig.from(Map.of(AppConfig.PUBLIC_URL, publicUrl)).publicUrl().orElseThrow();
  }
}
