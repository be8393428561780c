package parley.http;

import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * The client's IP address for rate limits: the socket's peer, unless that peer is a configured trusted proxy, in
 * which case the nearest address in X-Forwarded-For that is not itself a trusted proxy. X-Forwarded-For from
 * anyone else is ignored, so a client cannot pick its own identity.
 */
public final class ClientIp {

  private ClientIp() {
  }

  public static String of(RoutingContext ctx, List<String> trustedProxies) {
    String peer = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
    if (!trustedProxies.contains(peer)) return peer;
    String forwarded = ctx.request().getHeader("X-Forwarded-For");
    if (forwarded == null) return peer;
    String[] hops = forwarded.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = canonical(hops[i].strip());
      if (!hop.isEmpty() && !trustedProxies.contains(hop)) return hop;
    }
    return peer;
  }

  /** An address as Java writes it (as the peer's is, and the trusted proxies are), or the text as it is. */
  static String canonical(String hop) {
    String address = literal(hop);
    return address == null ? hop : address;
  }

  /** An IP address literal as Java writes it ({@code ::1} is {@code 0:0:0:0:0:0:0:1}), or null for anything else. */
  public static String literal(String text) {
    byte[] bytes = io.netty.util.NetUtil.createByteArrayFromIpAddressString(text);
    if (bytes == null) return null;
    try {
      return java.net.InetAddress.getByAddress(bytes).getHostAddress();
    } catch (java.net.UnknownHostException impossible) {
      return null;
    }
  }
}
