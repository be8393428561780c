package parley.webhook;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Addresses as a resolver gives them, not as a literal is read: Java reads the literal {@code [::ffff:127.0.0.1]} as
 * the IPv4 address 127.0.0.1, but a name whose AAAA record is that address resolves to an {@link Inet6Address} with
 * those bytes (a review registered one, and its hook was sent to loopback). Each IPv6 form that embeds an IPv4
 * address is judged by that address.
 */
class AddressesTest {

  /** An IPv6 address as a resolver returns it, never turned into IPv4. */
  private static InetAddress v6(int... bytes) throws Exception {
    byte[] b = new byte[16];
    for (int i = 0; i < 16; i++) b[i] = (byte) bytes[i];
    return Inet6Address.getByAddress(null, b, -1);
  }

  private static int[] embedding(int[] prefix12, int a, int b, int c, int d) {
    int[] all = new int[16];
    System.arraycopy(prefix12, 0, all, 0, 12);
    all[12] = a;
    all[13] = b;
    all[14] = c;
    all[15] = d;
    return all;
  }

  private static final int[] MAPPED = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  private static final int[] TRANSLATED = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
  private static final int[] NAT64 = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  private static final int[] COMPATIBLE = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

  @Test
  void anIpv6FormOfAPrivateIpv4AddressIsRefusedAsThatAddressIs() throws Exception {
    int[][] privates = {{127, 0, 0, 1}, {169, 254, 169, 254}, {10, 0, 0, 1}, {192, 168, 1, 1}, {172, 16, 0, 1},
        {100, 64, 0, 1}, {0, 0, 0, 0}};
    for (int[] prefix : new int[][] {MAPPED, TRANSLATED, NAT64, COMPATIBLE}) {
      for (int[] v4 : privates) {
        InetAddress address = v6(embedding(prefix, v4[0], v4[1], v4[2], v4[3]));
        assertEquals(false, Addresses.isPublic(address), address + " (" + java.util.Arrays.toString(v4) + ")");
      }
    }
  }

  @Test
  void anIpv6FormOfAPublicIpv4AddressIsPublicWhereItsFormIsRead() throws Exception {
    for (int[] prefix : new int[][] {MAPPED, TRANSLATED, NAT64}) {
      InetAddress address = v6(embedding(prefix, 1, 1, 1, 1));
      assertEquals(true, Addresses.isPublic(address), address.toString());
    }
    // IPv4-compatible addresses (::a.b.c.d) are deprecated and refused whatever they embed.
    assertEquals(false, Addresses.isPublic(v6(embedding(COMPATIBLE, 1, 1, 1, 1))));
  }
}
