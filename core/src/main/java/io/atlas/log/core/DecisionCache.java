package io.atlas.log.core;

import io.atlas.log.Decision;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * An LRU cache of decoded decisions by seq, bounded by {@code cacheSize} entries (0 disables it).
 * Thread-safe. Filled by stores and by point reads; scans ({@code forEachDecisionAfter},
 * {@code recover}) neither use nor fill it, so one pass over the log does not evict the hot tail.
 * Truncation and compaction bump a generation counter, so a reader that fetched a record before an
 * invalidation cannot put the stale decision back afterwards.
 */
final class DecisionCache<P> {

    private final int capacity;
    private final LinkedHashMap<Long, Decision<P>> map;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private long generation;

    DecisionCache(int capacity) {
        this.capacity = capacity;
        this.map = new LinkedHashMap<>(Math.min(capacity, 1024) * 4 / 3 + 1, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Decision<P>> eldest) {
                return size() > DecisionCache.this.capacity;
            }
        };
    }

    boolean enabled() {
        return capacity > 0;
    }

    /** The cached decision, counting a hit, or null counting a miss. */
    Decision<P> get(long seq) {
        if (capacity == 0) {
            misses.increment();
            return null;
        }
        Decision<P> d;
        synchronized (this) {
            d = map.get(seq);
        }
        (d == null ? misses : hits).increment();
        return d;
    }

    /** The generation a reader must pass to {@link #putIfCurrent}. */
    synchronized long generation() {
        return generation;
    }

    /** Caches a decision just read, unless an invalidation happened since {@code generation}. */
    void putIfCurrent(long seq, Decision<P> d, long generation) {
        if (capacity == 0) {
            return;
        }
        synchronized (this) {
            if (this.generation == generation) {
                map.put(seq, d);
            }
        }
    }

    /** Caches a decision just stored (called under the log's write lock). */
    void put(long seq, Decision<P> d) {
        if (capacity == 0) {
            return;
        }
        synchronized (this) {
            map.put(seq, d);
        }
    }

    /** Drops every entry with seq {@code >= seq} (truncation of a suffix). */
    synchronized void invalidateFrom(long seq) {
        generation++;
        map.keySet().removeIf(k -> k >= seq);
    }

    /** Drops every entry with seq {@code <= seq} (compaction). */
    synchronized void invalidateUpTo(long seq) {
        generation++;
        map.keySet().removeIf(k -> k <= seq);
    }

    synchronized int size() {
        return map.size();
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }
}
