package io.atlas.log;

import java.time.Duration;

/**
 * Counters of one open log since it was opened, for operators to chart. A snapshot: immutable.
 *
 * @param decisionsStored    decisions acknowledged
 * @param bytesWritten       decision, checkpoint, configuration and metadata bytes handed to the
 *                           backend (after compression, with the record envelope)
 * @param syncs              decision syncs performed (group commits count once)
 * @param meanBatchPerSync   mean decisions made durable per sync
 * @param maxBatchPerSync    most decisions made durable by one sync
 * @param syncLatencyP50     median sync latency (over the most recent syncs)
 * @param syncLatencyP99     99th percentile sync latency (over the most recent syncs)
 * @param syncLatencyMax     slowest sync since open
 * @param cacheHits          decision reads served from the cache
 * @param cacheMisses        decision reads that went to the backend
 * @param checkpointsStored  checkpoints stored
 * @param compactions        compactions performed (manual or on checkpoint)
 * @param lastRecoveryTime   duration of the last {@link PersistentLog#recover()}, zero if none ran
 */
public record LogStats(long decisionsStored,
                       long bytesWritten,
                       long syncs,
                       double meanBatchPerSync,
                       long maxBatchPerSync,
                       Duration syncLatencyP50,
                       Duration syncLatencyP99,
                       Duration syncLatencyMax,
                       long cacheHits,
                       long cacheMisses,
                       long checkpointsStored,
                       long compactions,
                       Duration lastRecoveryTime) {
}
