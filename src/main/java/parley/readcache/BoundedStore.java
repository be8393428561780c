package parley.readcache;

import io.vertx.core.buffer.Buffer;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cached responses within a bound of entries and bytes, least recently used out first. Split into segments, each a
 * small synchronized LRU map with its share of the bounds, so the node's event loops rarely wait for each other.
 */
final class BoundedStore {

  /** A response body (and its gzip encoding) as it was read under a version of its scope, and when. */
  record Entry(Buffer body, Buffer gzipped, long version, long storedAt) {
    long bytes(String key) {
      // The bodies, the key's chars, and roughly what the map entry and records cost.
      return body.length() + gzipped.length() + 2L * key.length() + 120;
    }
  }

  private static final int SEGMENTS = 16;

  private final Segment[] segments = new Segment[SEGMENTS];
  private final AtomicLong entries = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  BoundedStore(int maxEntries, long maxBytes) {
    for (int i = 0; i < SEGMENTS; i++) {
      segments[i] = new Segment(Math.max(1, maxEntries / SEGMENTS), Math.max(1, maxBytes / SEGMENTS));
    }
  }

  Entry get(String key) {
    return segment(key).get(key);
  }

  void put(String key, Entry entry) {
    segment(key).put(key, entry);
  }

  void remove(String key, Entry entry) {
    segment(key).remove(key, entry);
  }

  void clear() {
    for (Segment segment : segments) segment.clear();
  }

  long entries() {
    return entries.get();
  }

  long bytes() {
    return bytes.get();
  }

  private Segment segment(String key) {
    return segments[Math.floorMod(key.hashCode(), SEGMENTS)];
  }

  private final class Segment {
    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<String, Entry> map = new LinkedHashMap<>(64, 0.75f, true);
    private long used;

    Segment(int maxEntries, long maxBytes) {
      this.maxEntries = maxEntries;
      this.maxBytes = maxBytes;
    }

    synchronized Entry get(String key) {
      return map.get(key);
    }

    synchronized void put(String key, Entry entry) {
      long size = entry.bytes(key);
      if (size > maxBytes) return;
      Entry old = map.put(key, entry);
      if (old != null) forget(key, old);
      used += size;
      entries.incrementAndGet();
      bytes.addAndGet(size);
      Iterator<Map.Entry<String, Entry>> eldest = map.entrySet().iterator();
      while ((map.size() > maxEntries || used > maxBytes) && eldest.hasNext()) {
        Map.Entry<String, Entry> e = eldest.next();
        eldest.remove();
        forget(e.getKey(), e.getValue());
      }
    }

    synchronized void remove(String key, Entry entry) {
      if (map.remove(key, entry)) forget(key, entry);
    }

    synchronized void clear() {
      map.forEach(this::forget);
      map.clear();
    }

    private void forget(String key, Entry entry) {
      long size = entry.bytes(key);
      used -= size;
      entries.decrementAndGet();
      bytes.addAndGet(-size);
    }
  }
}
