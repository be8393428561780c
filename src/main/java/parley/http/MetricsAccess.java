package parley.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Who may scrape {@code /metrics}: clients whose address is in one of the configured ranges
 * ({@code PARLEY_METRICS_ALLOW}, loopback only by default). Metrics say how busy the site is, who is online and
 * how it is failing; they are for the operator's Prometheus, not for the public.
 *
 * <p>The address is the socket's peer, or, behind a trusted proxy, the client the proxy names. A request relayed by
 * a proxy that is not trusted (it carries {@code X-Forwarded-For} or {@code Forwarded}) is refused: a reverse proxy
 * on the same machine connects from loopback, and would otherwise open the metrics to everyone it serves.
 */
public final class MetricsAccess {

  /** An IPv4 or IPv6 literal (no names: a range must not depend on DNS). */
  private static final Pattern LITERAL = Pattern.compile("[0-9a-fA-F:.]+");

  private MetricsAccess() {
  }

  /** A CIDR range: an address and how many leading bits must match. */
  public record Range(byte[] network, int bits) {

    static Range parse(String cidr) {
      String[] parts = cidr.strip().split("/", 2);
      if (!LITERAL.matcher(parts[0]).matches()) throw new IllegalArgumentException("not an IP range: " + cidr);
      try {
        byte[] address = InetAddress.getByName(parts[0]).getAddress();
        int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : address.length * 8;
        if (bits < 0 || bits > address.length * 8) throw new IllegalArgumentException("bad prefix length: " + cidr);
        return new Range(address, bits);
      } catch (UnknownHostException | NumberFormatException e) {
        throw new IllegalArgumentException("not an IP range: " + cidr, e);
      }
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) return false;
      for (int bit = 0; bit < bits; bit++) {
        int mask = 0x80 >>> (bit % 8);
        if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) return false;
      }
      return true;
    }
  }

  /** Checks the ranges now, so a bad setting stops start-up instead of refusing every scrape. */
  public static List<Range> ranges(List<String> cidrs) {
    return cidrs.stream().map(Range::parse).toList();
  }

  /** A handler that passes allowed clients on and answers everyone else 403. */
  public static Handler<RoutingContext> allow(List<String> cidrs, List<String> trustedProxies) {
    List<Range> ranges = ranges(cidrs);
    return ctx -> {
      String peer = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().host();
      boolean relayed = ctx.request().getHeader("X-Forwarded-For") != null || ctx.request().getHeader("Forwarded") != null;
      if (peer == null || (relayed && !trustedProxies.contains(peer))) {
        ctx.fail(Problem.forbidden("Metrics are not served through this proxy."));
        return;
      }
      if (allowed(ranges, ClientIp.of(ctx, trustedProxies))) {
        ctx.next();
      } else {
        ctx.fail(Problem.forbidden("Metrics are only served to the addresses in PARLEY_METRICS_ALLOW."));
      }
    };
  }

  /** Whether an address (a literal, never a name) is in one of the ranges. */
  public static boolean allowed(List<Range> ranges, String ip) {
    if (ip == null || !LITERAL.matcher(ip).matches()) return false;
    try {
      byte[] address = InetAddress.getByName(ip).getAddress();
      return ranges.stream().anyMatch(r -> r.contains(address));
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
