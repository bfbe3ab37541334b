package io.atlas.log.core;

import io.atlas.log.LogStats;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link LogStats}. Sync latencies are kept in a ring of the most recent ones. */
final class LogMetrics {

    static final int LATENCY_RING = 1024;

    private final LongAdder decisionsStored = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder checkpointsStored = new LongAdder();
    private final LongAdder compactions = new LongAdder();
    private volatile long lastRecoveryNanos;

    private final long[] latencies = new long[LATENCY_RING];
    private long syncs;
    private long syncedDecisions;
    private long maxBatch;
    private long maxLatency;

    void decisionsStored(int count, long bytes) {
        decisionsStored.add(count);
        bytesWritten.add(bytes);
    }

    void bytesWritten(long bytes) {
        bytesWritten.add(bytes);
    }

    void checkpointStored() {
        checkpointsStored.increment();
    }

    void compacted() {
        compactions.increment();
    }

    void recovered(long nanos) {
        lastRecoveryNanos = nanos;
    }

    synchronized void synced(long nanos, long batch) {
        latencies[(int) (syncs % LATENCY_RING)] = nanos;
        syncs++;
        syncedDecisions += batch;
        maxBatch = Math.max(maxBatch, batch);
        maxLatency = Math.max(maxLatency, nanos);
    }

    LogStats snapshot(long cacheHits, long cacheMisses) {
        long[] recent;
        long s;
        long decisions;
        long mb;
        long ml;
        synchronized (this) {
            s = syncs;
            recent = Arrays.copyOf(latencies, (int) Math.min(s, LATENCY_RING));
            decisions = syncedDecisions;
            mb = maxBatch;
            ml = maxLatency;
        }
        Arrays.sort(recent);
        return new LogStats(decisionsStored.sum(), bytesWritten.sum(), s,
                s == 0 ? 0.0 : (double) decisions / s, mb,
                Duration.ofNanos(percentile(recent, 50)), Duration.ofNanos(percentile(recent, 99)),
                Duration.ofNanos(ml), cacheHits, cacheMisses, checkpointsStored.sum(), compactions.sum(),
                Duration.ofNanos(lastRecoveryNanos));
    }

    /** Nearest-rank percentile of sorted values; 0 when there are none. */
    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
