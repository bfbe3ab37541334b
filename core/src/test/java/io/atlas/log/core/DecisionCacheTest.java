package io.atlas.log.core;

import io.atlas.log.Decision;
import org.junit.jupiter.api.Test;

import static io.atlas.log.core.TestLogs.decision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class DecisionCacheTest {

    @Test
    void aReadThatRacedWithAnInvalidationIsNotCached() {
        DecisionCache<byte[]> cache = new DecisionCache<>(10);
        Decision<byte[]> stale = decision(5);
        long generation = cache.generation();   // a reader starts reading seq 5 from the backend
        cache.invalidateFrom(5);                 // meanwhile truncateFrom(5) runs
        cache.putIfCurrent(5, stale, generation); // the reader finishes: too late
        assertNull(cache.get(5));
        cache.putIfCurrent(5, stale, cache.generation());
        assertSame(stale, cache.get(5));
    }

    @Test
    void boundedAndLeastRecentlyUsedFirst() {
        DecisionCache<byte[]> cache = new DecisionCache<>(3);
        for (long s = 1; s <= 3; s++) {
            cache.put(s, decision(s));
        }
        cache.get(1);
        cache.put(4, decision(4)); // evicts 2, the least recently used
        assertNull(cache.get(2));
        assertEquals(3, cache.size());
        cache.invalidateUpTo(3);
        assertEquals(1, cache.size());
        assertEquals(decision(4), cache.get(4));
    }

    @Test
    void sizeZeroDisablesIt() {
        DecisionCache<byte[]> cache = new DecisionCache<>(0);
        cache.put(1, decision(1));
        assertNull(cache.get(1));
        assertEquals(0, cache.size());
        assertEquals(1, cache.misses());
    }
}
