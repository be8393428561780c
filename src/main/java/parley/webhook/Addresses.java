package parley.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which addresses a webhook may be sent to: public unicast only, unless private ones are allowed. Refused: loopback,
 * unspecified, private (RFC 1918, unique local fc00::/7), link-local, carrier-grade NAT (100.64/10), multicast,
 * benchmarking (198.18/15, 2001:2::/48), reserved (0/8, 240/4, 192.0.0/24), documentation ranges (2001:db8::/32 and
 * 3fff::/20 among them), ORCHID (2001:10::/28, 2001:20::/28), SRv6 segment identifiers (5f00::/16), discard-only
 * 100::/64, and
 * IPv6 forms that embed an IPv4 address (IPv4-compatible, IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96,
 * NAT64 64:ff9b::/96, 6to4
 * 2002::/16), which are judged by that address, or whose embedded address cannot be read for certain (local-use
 * NAT64 64:ff9b:1::/48, Teredo 2001::/32), which are refused.
 */
final class Addresses {

  private Addresses() {
  }

  static boolean isPublic(InetAddress address) {
    if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
        || address.isSiteLocalAddress() || address.isMulticastAddress()) {
      return false;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) return isPublicV4(b);
    if (address instanceof Inet6Address) {
      int first = b[0] & 0xff;
      if ((first & 0xfe) == 0xfc) return false;                    // fc00::/7 unique local
      if (first == 0xfe && (b[1] & 0xc0) == 0xc0) return false;    // fec0::/10 old site-local
      if (first == 0x20 && b[1] == 0x01 && b[2] == 0x0d && (b[3] & 0xff) == 0xb8) return false; // 2001:db8::/32
      if (first == 0x3f && (b[1] & 0xff) == 0xff && (b[2] & 0xf0) == 0) return false; // 3fff::/20 documentation
      if (first == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0x02 && b[4] == 0 && b[5] == 0) {
        return false;                                               // 2001:2::/48 benchmarking
      }
      if (first == 0x20 && b[1] == 0x01 && b[2] == 0 && ((b[3] & 0xf0) == 0x10 || (b[3] & 0xf0) == 0x20)) {
        return false;                                               // 2001:10::/28, 2001:20::/28 ORCHID, ORCHIDv2
      }
      if (first == 0x5f && b[1] == 0x00) return false;             // 5f00::/16 SRv6 segment identifiers
      if (first == 0x20 && b[1] == 0x02) return isPublicV4(new byte[] {b[2], b[3], b[4], b[5]}); // 6to4
      boolean nat64 = first == 0x00 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
      if (nat64 && b[4] == 0 && b[5] == 0x01) return false;       // 64:ff9b:1::/48 local-use NAT64 (any layout)
      if (nat64) {                                                  // 64:ff9b::/96
        return isPublicV4(new byte[] {b[12], b[13], b[14], b[15]});
      }
      if (first == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) return false;   // 2001::/32 Teredo
      if (first == 0x01 && zeros(b, 1, 8)) return false;           // 100::/64 discard-only
      if (zeros(b, 0, 8) && (b[8] & 0xff) == 0xff && (b[9] & 0xff) == 0xff && b[10] == 0 && b[11] == 0) {
        return isPublicV4(new byte[] {b[12], b[13], b[14], b[15]});   // ::ffff:0:0:0/96 IPv4-translated
      }
      if (zeros(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        // ::ffff:0:0/96 IPv4-mapped. A literal is read as the IPv4 address already, but a name's AAAA record is not:
        // a review's name for ::ffff:127.0.0.1 was taken as public and its hook sent to loopback.
        return isPublicV4(new byte[] {b[12], b[13], b[14], b[15]});
      }
      if (zeros(b, 0, 12)) return false;                            // ::/96 (IPv4-compatible, ::1, ::)
      return true;
    }
    return false;
  }

  private static boolean zeros(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) return false;
    }
    return true;
  }

  private static boolean isPublicV4(byte[] b) {
    int a = b[0] & 0xff;
    int c = b[1] & 0xff;
    if (a == 0 || a == 10 || a == 127 || a >= 224) return false;   // this network, private, loopback, multicast, 240/4
    if (a == 100 && c >= 64 && c <= 127) return false;             // carrier-grade NAT
    if (a == 169 && c == 254) return false;                        // link-local
    if (a == 172 && c >= 16 && c <= 31) return false;
    if (a == 192 && c == 168) return false;
    if (a == 192 && c == 0 && (b[2] & 0xff) == 0) return false;    // IETF protocol assignments
    if (a == 192 && c == 0 && (b[2] & 0xff) == 2) return false;    // documentation
    if (a == 198 && (c == 18 || c == 19)) return false;            // benchmarking
    if (a == 198 && c == 51 && (b[2] & 0xff) == 100) return false;
    if (a == 203 && c == 0 && (b[2] & 0xff) == 113) return false;
    return true;
  }
}
