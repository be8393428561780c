package parley.readcache;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Cached values (responses, readers' overlays) within a bound of entries and bytes, least recently used out first.
 * Split into segments, each a small synchronized LRU map with its share of the bounds, so the node's event loops
 * rarely wait for each other.
 */
final class BoundedStore<V> {

  private static final int SEGMENTS = 16;

  private final java.util.List<Segment> segments = new java.util.ArrayList<>(SEGMENTS);
  private final ToLongFunction<V> size;
  private final AtomicLong entries = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  /** @param size the bytes a value holds (its key and the map's bookkeeping are added here) */
  BoundedStore(int maxEntries, long maxBytes, ToLongFunction<V> size) {
    this.size = size;
    for (int i = 0; i < SEGMENTS; i++) {
      segments.add(new Segment(Math.max(1, maxEntries / SEGMENTS), Math.max(1, maxBytes / SEGMENTS)));
    }
  }

  private long bytes(String key, V value) {
    // The value, the key's chars, and roughly what the map entry and records cost.
    return size.applyAsLong(value) + 2L * key.length() + 120;
  }

  V get(String key) {
    return segment(key).get(key);
  }

  void put(String key, V entry) {
    segment(key).put(key, entry);
  }

  void remove(String key, V entry) {
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
    return segments.get(Math.floorMod(key.hashCode(), SEGMENTS));
  }

  private final class Segment {
    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<String, V> map = new LinkedHashMap<>(64, 0.75f, true);
    private long used;

    Segment(int maxEntries, long maxBytes) {
      this.maxEntries = maxEntries;
      this.maxBytes = maxBytes;
    }

    synchronized V get(String key) {
      return map.get(key);
    }

    synchronized void put(String key, V entry) {
      long size = bytes(key, entry);
      if (size > maxBytes) return;
      V old = map.put(key, entry);
      if (old != null) forget(key, old);
      used += size;
      entries.incrementAndGet();
      bytes.addAndGet(size);
      Iterator<Map.Entry<String, V>> eldest = map.entrySet().iterator();
      while ((map.size() > maxEntries || used > maxBytes) && eldest.hasNext()) {
        Map.Entry<String, V> e = eldest.next();
        eldest.remove();
        forget(e.getKey(), e.getValue());
      }
    }

    synchronized void remove(String key, V entry) {
      if (map.remove(key, entry)) forget(key, entry);
    }

    synchronized void clear() {
      map.forEach(this::forget);
      map.clear();
    }

    private void forget(String key, V entry) {
      long size = bytes(key, entry);
      used -= size;
      entries.decrementAndGet();
      bytes.addAndGet(-size);
    }
  }
}
