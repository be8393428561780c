package parley.readcache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import parley.config.ReadCacheSettings;
import parley.events.LiveEvent;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * This node's cache of the encoded responses anonymous readers get (a post, a thread's comment pages, the feed's
 * lists), so a hit costs no query and no JSON; and of each signed-in reader's overlay on them (their votes on the
 * page, whether anything of theirs changes it, their personalised bytes), so their hit costs none either
 * ({@link SignedInReads}).
 *
 * <p>The rule that keeps it safe: every response belongs to a scope (one thread, or the feed) whose <em>version</em>
 * is a sum of counters that only grow: one for everything, and one for the thread (or the feed). A write bumps the
 * counters of what it changed once it has committed (on this node before its own response is sent, see
 * {@link #committed}; on the other nodes when the cluster message arrives). A read notes its scope's version
 * <em>before</em> it queries, and its response is served again only while the version is still exactly that. So a
 * read whose snapshot predates a commit was noted before that commit's bump, and the bump retires it, whether it
 * lands before or after the read completes; a read that races a commit can never pin the old content. Content
 * changed by a write that is not told (a commit whose outcome the connection lost, a lost cluster message) ages out
 * after {@link #MAX_AGE_MS}. A reader's overlay follows the same rule with a second version, the reader's own
 * (everything's counter plus the reader's), bumped by every write that changes what they alone see (their votes,
 * their blocks, their content held, hidden, restored, approved or rejected), and is served only with the very
 * anonymous response it was made over.
 *
 * <p>Threads share {@value #THREAD_SLOTS} counters by post id, and readers {@value #READER_SLOTS} by user id: two in
 * one slot retire each other's entries, which costs hits, never correctness, and keeps the counters' memory fixed.
 * One per node, shared by its HTTP verticles.
 */
public final class ReadCache {

  /** The oldest a cached response may be: a backstop for a write whose invalidation never arrived. */
  static final long MAX_AGE_MS = 60_000;

  static final int THREAD_SLOTS = 4096;

  static final int READER_SLOTS = 16384;

  /** Where nodes tell each other what their writes made stale (internal, never bridged to clients). */
  static final String ADDRESS = "parley.internal.read-cache";

  private static final AtomicLong STAMPS = new AtomicLong();

  /**
   * A response body (and its gzip encoding) as it was read under a version of its scope, and when; with a stamp no
   * other entry has (readers' overlays name the entry they were made over by it, so they never hold it in memory),
   * and where its items' votes go, worked out once for the first signed-in reader.
   */
  static final class Entry {
    final Buffer body;
    final Buffer gzipped;
    final long version;
    final long storedAt;
    final long stamp = STAMPS.incrementAndGet();
    private volatile Layout layout;

    Entry(Buffer body, Buffer gzipped, long version, long storedAt) {
      this.body = body;
      this.gzipped = gzipped;
      this.version = version;
      this.storedAt = storedAt;
    }

    Layout layout(boolean single) {
      Layout known = layout;
      if (known == null) layout = known = Layout.of(body, single);
      return known;
    }

    long bytes() {
      return body.length() + gzipped.length();
    }
  }

  private final boolean on;
  private final boolean personalOn;
  private final BoundedStore<Entry> store;
  private final BoundedStore<SignedInReads.Overlay> overlays;
  private final String node = UUID.randomUUID().toString();
  private final AtomicLong everything = new AtomicLong();
  private final AtomicLong feed = new AtomicLong();
  private final AtomicLongArray threads = new AtomicLongArray(THREAD_SLOTS);
  private final AtomicLongArray readers = new AtomicLongArray(READER_SLOTS);
  private final Counter localInvalidations;
  private final Counter remoteInvalidations;
  private final MeterRegistry meters;
  private volatile Vertx vertx;
  /** Set while a node outside this one's cluster serves from its database ({@link #bypass}). */
  private volatile boolean bypassed;

  public ReadCache(ReadCacheSettings settings, MeterRegistry meters) {
    this.on = settings.on();
    this.personalOn = settings.personalOn();
    this.store = new BoundedStore<>(settings.maxEntries(), settings.maxBytes(), Entry::bytes);
    this.overlays = new BoundedStore<>(Math.max(1, settings.personalEntries()), Math.max(1, settings.personalBytes()),
        SignedInReads.Overlay::bytes);
    this.meters = meters;
    Gauge.builder("parley_read_cache_entries", store, BoundedStore::entries)
        .description("Responses in this node's anonymous read cache").register(meters);
    Gauge.builder("parley_read_cache_bytes", store, BoundedStore::bytes)
        .description("Bytes of responses in this node's anonymous read cache (bounded by PARLEY_READ_CACHE_MB)")
        .register(meters);
    Gauge.builder("parley_read_cache_overlays", overlays, BoundedStore::entries)
        .description("Signed-in readers' overlays in this node's read cache").register(meters);
    Gauge.builder("parley_read_cache_overlay_bytes", overlays, BoundedStore::bytes)
        .description("Bytes of readers' overlays in this node's read cache (bounded by PARLEY_READ_CACHE_PERSONAL_MB)")
        .register(meters);
    localInvalidations = invalidations("local");
    remoteInvalidations = invalidations("remote");
  }

  private Counter invalidations(String origin) {
    return Counter.builder("parley_read_cache_invalidations").tag("origin", origin)
        .description("Writes that made cached responses stale, by where they were made").register(meters);
  }

  /** A kind of cached response, with its hit and miss counters. */
  public final class Kind {
    private final Counter hits;
    private final Counter misses;
    private final Counter joined;

    private Kind(String name) {
      joined = Counter.builder("parley_read_cache_requests").tag("kind", name).tag("result", "joined")
          .description("Anonymous reads answered from the read cache (hit), from the database (miss), or by a "
              + "miss of the same page under way (joined)")
          .register(meters);
      hits = Counter.builder("parley_read_cache_requests").tag("kind", name).tag("result", "hit")
          .description("Anonymous reads answered from the read cache (hit), from the database (miss), or by a "
              + "miss of the same page under way (joined)")
          .register(meters);
      misses = Counter.builder("parley_read_cache_requests").tag("kind", name).tag("result", "miss")
          .description("Anonymous reads answered from the read cache (hit), from the database (miss), or by a "
              + "miss of the same page under way (joined)")
          .register(meters);
    }
  }

  /** Signed-in reads answered from the anonymous page ("anonymous") or by their own query ("own"). */
  Counter signedInCounter(String result) {
    return Counter.builder("parley_read_cache_signed_in").tag("result", result)
        .description("Signed-in reads answered from the anonymous page with the reader's votes (anonymous) or by "
            + "the reader's own uncached query (own)")
        .register(meters);
  }

  /** Signed-in reads of a cached page whose reader's overlay was kept ("hit") or had to be queried ("miss"). */
  Counter overlayCounter(String result) {
    return Counter.builder("parley_read_cache_overlays_requests").tag("result", result)
        .description("Signed-in reads of a cached page that found the reader's overlay kept (hit) or queried it "
            + "(miss)")
        .register(meters);
  }

  /** The kinds of response cached: a post, a page of a thread's comments, a page of the feed. */
  public Kind kind(String name) {
    return new Kind(name);
  }

  public boolean on() {
    return on && !bypassed;
  }

  /** Whether readers' overlays are kept (with the anonymous cache, and room for them). */
  boolean personalOn() {
    return personalOn && !bypassed;
  }

  /**
   * Reads go to the database, none kept, while {@code bypass} holds: a node outside this one's cluster serves from
   * its database ({@link parley.cluster.NodeRoster}), and its writes never reach this node's invalidations, so a page
   * kept here could show what it hid for up to a minute. Whatever was kept is dropped when it starts and when it ends.
   */
  public void bypass(boolean bypass) {
    if (bypass == bypassed) return;
    // Set before the clear when it starts, cleared before it ends: a read between the two finds nothing kept.
    if (bypass) bypassed = true;
    clear();
    bypassed = bypass;
  }

  /** Whether reads go around the cache for now ({@link #bypass}). */
  public boolean bypassed() {
    return bypassed;
  }

  /** The version of a thread's responses (its post and comment pages). */
  public LongSupplier thread(long postId) {
    int slot = slot(postId);
    return () -> everything.get() + threads.get(slot);
  }

  /** The version of the feed's lists. */
  public LongSupplier feed() {
    return () -> everything.get() + feed.get();
  }

  /** The version of a reader's own state: what of theirs changes what they read (votes, blocks, held content). */
  LongSupplier reader(long userId) {
    int slot = readerSlot(userId);
    return () -> everything.get() + readers.get(slot);
  }

  private static int slot(long postId) {
    return (int) Math.floorMod(postId ^ (postId >>> 17), (long) THREAD_SLOTS);
  }

  private static int readerSlot(long userId) {
    return (int) Math.floorMod(userId ^ (userId >>> 17), (long) READER_SLOTS);
  }

  /**
   * Answers an anonymous read: the cached body while its scope's version is the one it was read under, else the
   * body {@code load} reads (stored when no write made it stale meanwhile). Either way with the headers the
   * uncached path sends ({@code RoutingContext.json}'s), and to a client that takes gzip already compressed, as the
   * server's compression would have sent it, so a hit compresses nothing either. A failed load fails the request
   * and stores nothing.
   */
  public void respond(RoutingContext ctx, Kind kind, LongSupplier scope, String key, Supplier<Future<Buffer>> load) {
    boolean gzip = on() && acceptsGzip(ctx.request().getHeader(HttpHeaders.ACCEPT_ENCODING));
    lookup(kind, scope, key, load).onSuccess(entry -> send(ctx, gzip, entry.body, entry.gzipped))
        .onFailure(ctx::fail);
  }

  /**
   * Sends a body with the headers the uncached path sends ({@code RoutingContext.json}'s): to a client that takes
   * gzip (and {@code gzipped} at hand) already compressed, as the server's compression would have sent it.
   */
  static void send(RoutingContext ctx, boolean gzip, Buffer body, Buffer gzipped) {
    HttpServerResponse response = ctx.response();
    if (!response.headers().contains(HttpHeaders.CONTENT_TYPE)) {
      response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    }
    if (gzip && gzipped != null) {
      // The server's compressor leaves a response that already has a Content-Encoding alone.
      endInSlices(response.putHeader(HttpHeaders.CONTENT_ENCODING, "gzip"), ctx.request().version(), gzipped);
    } else {
      endInSlices(response, ctx.request().version(), body);
    }
  }

  /** The most of a body handed to the connection at once (see {@link #endInSlices}). */
  static final int SLICE = 64 * 1024;

  /**
   * Ends a response with {@code body}, handed to the connection a slice at a time, each once the one before has
   * gone out. A body handed over whole is copied whole into direct memory for the socket and held there until the
   * client has read it: a review's 250 connections that asked for a 3.6 MB page and never read it held the node's
   * whole direct memory (768 MB), and the next responses, another client's among them, failed with
   * OutOfMemoryError while every request stalled for seconds. A slice at a time, a client that does not read holds
   * what its connection's write queue holds, some 100 KiB, until its idle timeout closes it.
   */
  public static void endInSlices(HttpServerResponse response, io.vertx.core.http.HttpVersion version, Buffer body) {
    // HTTP/1.0 has no chunks, which the server's compressor would turn a response of several writes into: whole.
    // (A HEAD, rerouted as a GET, is sliced too: Netty drops its body's bytes, and its Content-Length is the GET's.)
    if (body.length() <= SLICE || version == io.vertx.core.http.HttpVersion.HTTP_1_0) {
      response.end(body);
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
    writeFrom(response, body, 0);
  }

  private static void writeFrom(HttpServerResponse response, Buffer body, int from) {
    int at = from;
    while (!response.closed()) {
      int end = Math.min(at + SLICE, body.length());
      if (end == body.length()) {
        response.end(body.slice(at, end));
        return;
      }
      response.write(body.slice(at, end));
      at = end;
      if (response.writeQueueFull()) {
        int next = at;
        response.drainHandler(v -> writeFrom(response, body, next));
        return;
      }
    }
  }

  /** The body of an anonymous read, from the cache or from {@code load}, by the rule in the class comment. */
  Future<Buffer> read(Kind kind, LongSupplier scope, String key, Supplier<Future<Buffer>> load) {
    return lookup(kind, scope, key, load).map(entry -> entry.body);
  }

  /** The cached response of an anonymous read, or the one {@code load} reads, by the rule in the class comment. */
  Future<Entry> lookup(Kind kind, LongSupplier scope, String key, Supplier<Future<Buffer>> load) {
    if (!on()) return load.get().map(body -> new Entry(body, null, 0, 0));
    long version = scope.getAsLong();
    Entry cached = store.get(key);
    if (cached != null) {
      if (cached.version == version && System.currentTimeMillis() - cached.storedAt < MAX_AGE_MS) {
        kind.hits.increment();
        return Future.succeededFuture(cached);
      }
      store.remove(key, cached);
    }
    // A miss for a key whose load is already under way on this thread, from the same version (no write told of
    // since it began), is answered by that load: a cold page asked for by many at once is one query and one
    // encoding, not one each (an overload review: 250 at once held the pool for seconds). Only on the same thread,
    // so that every response is written from its own connection's event loop.
    String here = Thread.currentThread().getId() + ":" + key;
    Loading under = loading.get(here);
    if (under != null && under.version == version) {
      kind.joined.increment();
      return under.entry;
    }
    kind.misses.increment();
    Promise<Entry> done = Promise.promise();
    Loading mine = new Loading(version, done.future());
    loading.put(here, mine);
    Future<Buffer> loaded;
    try {
      loaded = load.get();
    } catch (RuntimeException refused) {
      // A load that throws (a cursor its query refuses) is not under way: the next miss must not wait on it for ever
      // (a review found such an entry left for good, every later request for the page unanswered).
      loading.remove(here, mine);
      throw refused;
    }
    loaded.map(body -> {
      Entry read = new Entry(body, gzip(body), version, System.currentTimeMillis());
      // The version was noted before the query: if a write was told of since, this body may predate it.
      if (scope.getAsLong() == version) store.put(key, read);
      return read;
    }).onComplete(read -> {
      loading.remove(here, mine);
      done.handle(read);
    });
    return done.future();
  }

  /** A load under way: the version it began at, and its entry to be. */
  private record Loading(long version, Future<Entry> entry) {
  }

  /**
   * The loads under way, by the thread (event loop) that began each and its key, "thread:key": one per key and loop,
   * a later one of another version replacing it.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Loading> loading =
      new java.util.concurrent.ConcurrentHashMap<>();

  SignedInReads.Overlay overlay(String key) {
    return overlays.get(key);
  }

  void keep(String key, SignedInReads.Overlay overlay) {
    overlays.put(key, overlay);
  }

  void drop(String key, SignedInReads.Overlay overlay) {
    overlays.remove(key, overlay);
  }

  /** Whether an Accept-Encoding header takes gzip (named, and not with q=0). */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) return false;
    for (String coding : acceptEncoding.split(",")) {
      String[] parts = coding.split(";");
      if (!parts[0].strip().equalsIgnoreCase("gzip")) continue;
      for (int i = 1; i < parts.length; i++) {
        String param = parts[i].strip().toLowerCase(java.util.Locale.ROOT);
        if (param.startsWith("q=")) {
          try {
            return Double.parseDouble(param.substring(2)) > 0;
          } catch (NumberFormatException e) {
            return false;
          }
        }
      }
      return true;
    }
    return false;
  }

  static Buffer gzip(Buffer body) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(body.length() / 4 + 64);
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(bytes)) {
      out.write(body.getBytes());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return Buffer.buffer(bytes.toByteArray());
  }

  /** A commit listener: what this node's write made stale, retired before the write answers, and told to the cluster. */
  public void committed(List<LiveEvent> events) {
    invalidate(Invalidation.of(events));
  }

  /** Retires what a committed write made stale, here at once and on every other node when the message arrives. */
  public void invalidate(Invalidation stale) {
    if (stale.isEmpty()) return;
    apply(stale);
    localInvalidations.increment();
    if (vertx != null) {
      vertx.eventBus().publish(ADDRESS, stale.toJson().put("node", node));
    }
  }

  /** Responses held now. */
  public long entries() {
    return store.entries();
  }

  /** Bytes held now (bodies and an estimate of the keys and bookkeeping). */
  public long bytes() {
    return store.bytes();
  }

  /** Forgets everything (for a database changed behind the server's back, as tests do). */
  public void clear() {
    everything.incrementAndGet();
    store.clear();
    overlays.clear();
  }

  private void apply(Invalidation stale) {
    if (stale.everything()) everything.incrementAndGet();
    if (stale.feed()) feed.incrementAndGet();
    for (long post : stale.threads()) threads.incrementAndGet(slot(post));
    for (long reader : stale.readers()) readers.incrementAndGet(readerSlot(reader));
  }

  /** Hears the other nodes' invalidations (and sends this node's from now on). */
  public MessageConsumer<JsonObject> listen(Vertx vertx) {
    this.vertx = vertx;
    return vertx.eventBus().consumer(ADDRESS, message -> {
      JsonObject body = message.body();
      if (node.equals(body.getString("node"))) return;
      apply(Invalidation.fromJson(body));
      remoteInvalidations.increment();
    });
  }
}
