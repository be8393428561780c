package parley.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * Answers a request whose body the HTTP decoder cannot read (a chunk size that is not hexadecimal, overflows or is
 * negative; a trailer line that is not a header) with a 400 problem, and closes the connection. Vert.x fails the
 * whole connection on such a body: the client got no answer at all, and the request's route logged the decoder's
 * exception with its stack trace at ERROR, for anyone who sent one (found by sending them; ProblemsTest). A body
 * sent with a transfer coding other than chunked alone, which the decoder would read as chunked only, is answered
 * 501 and closed the same way; so is a request whose Host Vert.x's own check would throw on ({@link #hostThatThrows}).
 *
 * <p>It sits just before Vert.x's handler in each HTTP/1 connection's pipeline, so it sees the decoded parts of a
 * request before Vert.x does, and Vert.x's responses on their way out: a request that was answered already (a route
 * may answer before it reads the body), or one behind another still owed its answer (pipelined), is only closed. A
 * request whose head cannot be read goes on to Vert.x, which answers it ({@link ProblemHandler#invalidRequest}).
 */
final class UnreadableBody extends ChannelDuplexHandler {

  private static final Logger log = LoggerFactory.getLogger(UnreadableBody.class);
  private static final String NAME = "parley-unreadable-body";
  /** Vert.x's own handler in an HTTP/1 connection's pipeline, and its request decoder. */
  private static final String VERTX_HANDLER = "handler";
  private static final String VERTX_DECODER = "httpDecoder";
  private static final byte[] PROBLEM = Problem.badRequest("The request's body could not be read as HTTP.")
      .toJson().encode().getBytes(StandardCharsets.UTF_8);
  private static final byte[] UNSUPPORTED_VERSION = Problem.badRequest("The request could not be read as HTTP: "
      + "send HTTP/1.1.").toJson().encode().getBytes(StandardCharsets.UTF_8);
  private static final byte[] UNSUPPORTED_CODING = ProblemType.NOT_IMPLEMENTED.problem("The request's "
      + "Transfer-Encoding is not supported: send the body with Content-Length, or with Transfer-Encoding: chunked "
      + "alone.").toJson().encode().getBytes(StandardCharsets.UTF_8);
  private static final byte[] BAD_HOST = Problem.badRequest("The Host header does not name a host.").toJson()
      .encode().getBytes(StandardCharsets.UTF_8);
  private static final byte[] UNFRAMED = Problem.badRequest("The request's body has no length: with "
      + "Transfer-Encoding, chunked must be its last coding, in HTTP/1.1.").toJson().encode()
      .getBytes(StandardCharsets.UTF_8);

  /** Requests owed an answer on one connection (pipelined) beyond which it is closed: the compressor's limit is 128. */
  static final int MAX_PIPELINED = 100;

  /** Request heads read, and final responses (not 1xx) begun, on this connection: equal when none is owed. */
  private long requests;
  private long responses;
  /** Whether the connection is being closed: nothing more of it is read. */
  private boolean failed;

  /** Puts the handler in an HTTP/1 connection's pipeline; other pipelines (none today) are left as they are. */
  static void install(Channel channel) {
    ChannelPipeline pipeline = channel.pipeline();
    boolean http1 = pipeline.get(VERTX_HANDLER) != null && pipeline.get(VERTX_DECODER) != null;
    if (http1 && pipeline.get(NAME) == null) pipeline.addBefore(VERTX_HANDLER, NAME, new UnreadableBody());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      // A new request's head (or one that could not be read, which Vert.x answers itself).
      requests++;
      if (requests - responses > MAX_PIPELINED) {
        // The server's compressor (Netty's HttpContentEncoder, before this handler) refuses the 129th request owed
        // an answer with an exception, and then each one after it, each logged with its stack trace: a review's one
        // connection sending a thousand requests without reading the answers wrote 871 of them (27,000 lines). No
        // client waits on a hundred answers at once: the connection is closed, and its decoder taken out first, so
        // that the requests already read behind this one are not decoded and refused one by one (a second review).
        log.debug("more than {} requests owed an answer on one connection from {}: closed", MAX_PIPELINED,
            ctx.channel().remoteAddress());
        failed = true;
        ReferenceCountUtil.release(msg);
        if (ctx.pipeline().get(VERTX_DECODER) != null) ctx.pipeline().remove(VERTX_DECODER);
        ctx.close();
        return;
      }
      HttpVersion version = request.protocolVersion();
      if (request.decoderResult().isSuccess() && version != HttpVersion.HTTP_1_0 && version != HttpVersion.HTTP_1_1) {
        // Another version (HTTP/1.2, FOO/1.1, a lower-case http/1.1, HTTP/2.0 spoken as text): Vert.x answers it
        // 501 with no body, echoing the client's own version token in its status line. Answered as any request
        // that cannot be read, in HTTP/1.1, and closed.
        log.debug("unsupported HTTP version from {}: {}", ctx.channel().remoteAddress(), version);
        refuse(ctx, msg, HttpResponseStatus.BAD_REQUEST, UNSUPPORTED_VERSION);
        return;
      }
      if (request.decoderResult().isSuccess() && hostThatThrows(request)) {
        log.debug("unreadable Host from {}: {}", ctx.channel().remoteAddress(), request.headers().getAll("Host"));
        refuse(ctx, msg, HttpResponseStatus.BAD_REQUEST, BAD_HOST);
        return;
      }
      Framing framing = framing(request);
      if (framing != Framing.READABLE) {
        // "gzip, chunked" or "foo, chunked": the decoder reads the chunks and nothing more, so the body would be
        // taken for what it is not, and a proxy in front that applied the other coding would read another body than
        // this server: a coding the server does not understand is a 501 (RFC 9112, 6.1). Without chunked last (or
        // in HTTP/1.0, which has no transfer codings) the body's length cannot be known: a 400 (6.1, 6.3).
        log.debug("unreadable transfer coding from {}: {}", ctx.channel().remoteAddress(),
            request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
        if (framing == Framing.UNSUPPORTED) {
          refuse(ctx, msg, HttpResponseStatus.NOT_IMPLEMENTED, UNSUPPORTED_CODING);
        } else {
          refuse(ctx, msg, HttpResponseStatus.BAD_REQUEST, UNFRAMED);
        }
        return;
      }
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      log.debug("unreadable request body from {}: {}", ctx.channel().remoteAddress(), content.decoderResult().cause());
      refuse(ctx, msg, HttpResponseStatus.BAD_REQUEST, PROBLEM);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  /**
   * Drops what was read, answers the request with {@code problem} and closes the connection. The answer is this
   * request's only if it is the one request owed one: with an earlier one still to be answered (pipelined), a 400
   * now would be read as that one's answer; with this one answered already, as the next's. Then the connection is
   * only closed.
   */
  private void refuse(ChannelHandlerContext ctx, Object msg, HttpResponseStatus status, byte[] problem) {
    failed = true;
    ReferenceCountUtil.release(msg);
    if (requests - responses == 1) {
      ctx.writeAndFlush(problem(status, problem)).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response) {
      // A "100 Continue" is not the answer; the one that follows it is.
      if (response.status().code() >= 200) responses++;
      if (response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
        // A WebSocket from here on: nothing of HTTP to watch, and a live socket holds no more than it needs.
        ctx.write(msg, promise);
        ctx.pipeline().remove(this);
        return;
      }
    }
    ctx.write(msg, promise);
  }

  /**
   * Whether a Host header holds a "%" outside an IP literal's brackets. Vert.x 5.0.7's check of a request's authority
   * (HostAndPortImpl.parseRegName, before any route) reads the two characters after a "%" at the index 38 and 39 (the
   * code of "%" plus one and two, not its place plus one and two): a shorter Host with two characters after its "%"
   * ("a%zz", "x%41y") threw StringIndexOutOfBoundsException, logged at ERROR, and the request was never answered
   * (a probe, 2026-12-04); a longer one was judged by the wrong characters. No client names a host with a
   * percent-encoding, so any such Host is a 400, as Vert.x answers the hosts it can read and refuses.
   */
  private static boolean hostThatThrows(HttpRequest request) {
    for (String host : request.headers().getAll(HttpHeaderNames.HOST)) {
      if (host.indexOf('%') >= 0 && !host.startsWith("[")) return true;
    }
    return false;
  }

  /** What a request's Transfer-Encoding makes of its body. */
  private enum Framing { READABLE, UNSUPPORTED, UNFRAMED }

  /**
   * READABLE with no Transfer-Encoding or chunked alone (its list's empty elements ignored, RFC 9110 5.6.1, over one
   * header line or several); UNFRAMED when chunked is not the last coding, or in HTTP/1.0; UNSUPPORTED when chunked
   * comes last after another coding (chunked twice included).
   */
  private static Framing framing(HttpRequest request) {
    java.util.List<String> lines = request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (lines.isEmpty()) return Framing.READABLE;
    if (request.protocolVersion() != HttpVersion.HTTP_1_1) return Framing.UNFRAMED;
    java.util.List<String> codings = new java.util.ArrayList<>();
    for (String line : lines) {
      for (String coding : line.split(",", -1)) {
        if (!coding.isBlank()) codings.add(coding.strip());
      }
    }
    if (codings.isEmpty() || !codings.get(codings.size() - 1).equalsIgnoreCase("chunked")) return Framing.UNFRAMED;
    return codings.size() == 1 ? Framing.READABLE : Framing.UNSUPPORTED;
  }

  private static FullHttpResponse problem(HttpResponseStatus status, byte[] problem) {
    ByteBuf body = Unpooled.wrappedBuffer(problem);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, ProblemHandler.CONTENT_TYPE)
        .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set("X-Content-Type-Options", "nosniff")
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return response;
  }
}
