package parley.http;

import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * The client's IP address for rate limits: the socket's peer, unless that peer is a configured trusted proxy, in
 * which case the nearest address in X-Forwarded-For that is not itself a trusted proxy. X-Forwarded-For from
 * anyone else is ignored, so a client cannot pick its own identity. Several X-Forwarded-For lines are one list, in
 * their order (RFC 9110, 5.3): a proxy that adds a line of its own rather than appending to the client's (HAProxy's
 * {@code option forwardfor}) puts the address it saw last, so reading the first line alone let a client name itself
 * with a line of its own (a review).
 */
public final class ClientIp {

  private ClientIp() {
  }

  public static String of(RoutingContext ctx, List<String> trustedProxies) {
    String peer = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
    if (!trustedProxies.contains(peer)) return peer;
    List<String> lines = ctx.request().headers().getAll("X-Forwarded-For");
    if (lines.isEmpty()) return peer;
    String[] hops = String.join(",", lines).split(",");
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
