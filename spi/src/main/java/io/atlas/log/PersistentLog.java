package io.atlas.log;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The durable log of one replica: decisions by sequence number, checkpoints, the configuration and
 * small protocol metadata. Opened with {@code io.atlas.log.core.PersistentLogs.open}.
 *
 * <h2>Threading</h2>
 * All methods are thread-safe. Writes are serialized; reads may run concurrently with writes and
 * see every write that returned before they started. {@code forEachDecisionAfter} sees a consistent
 * range as of its start.
 *
 * <h2>Sequence numbers</h2>
 * Decisions are stored in contiguous ascending order: the first decision of an empty log may have
 * any sequence number (above the last compaction point), every later one must be {@code lastSeqNo()+1}.
 *
 * <h2>Errors</h2>
 * Caller mistakes (nulls, negative or non-contiguous sequence numbers, oversized records, a closed
 * log) throw {@link IllegalArgumentException} or {@link IllegalStateException} and change nothing.
 * Storage failures throw {@link PersistentLogException} or a subclass. After a failed write or sync
 * the log is fail-stop: every later write throws until the log is reopened, and nothing written
 * after the failure is acknowledged (guarantee G8).
 *
 * @param <P> decision payload type
 * @param <S> checkpoint state type
 * @param <C> configuration type
 */
public interface PersistentLog<P, S, C> extends AutoCloseable {

    /**
     * Stores one decision; returns when it is stored as the {@link SyncPolicy} promises (durable for
     * {@code everyWrite}).
     *
     * @throws IllegalArgumentException if the decision is null, its sequence number is not the next
     *                                  one, or its encoded size exceeds the record limit
     * @throws PersistentLogException   if the write or sync failed
     */
    void storeDecision(Decision<P> decision);

    /**
     * Stores one decision without waiting for the sync. Validation happens at once (bad input throws
     * here, not through the future); the future completes with the decision's sequence number when it
     * is durable under the {@link SyncPolicy} (after the next background sync for {@code periodic},
     * at the next explicit {@link #sync()} or {@link #close()} for {@code none}), and completes
     * exceptionally with {@link PersistentLogException} if the write or sync failed.
     */
    CompletableFuture<SeqNo> storeDecisionAsync(Decision<P> decision);

    /**
     * Stores decisions as one batch with one sync. All or nothing with respect to validation: if any
     * decision is invalid, none is stored. An empty list is a no-op.
     */
    void storeDecisions(List<Decision<P>> decisions);

    /** The decision at {@code seqNo}, if stored and not compacted or truncated away. */
    Optional<Decision<P>> retrieveDecision(SeqNo seqNo);

    /** Every stored decision with a sequence number above {@code seqNo}, ascending. */
    List<Decision<P>> retrieveDecisionsAfter(SeqNo seqNo);

    /**
     * Calls {@code action} for every stored decision above {@code seqNo}, ascending, holding only a
     * bounded number of decisions in memory. Exceptions thrown by {@code action} propagate.
     *
     * <p>The iteration sees the stored range as of its start: {@link #compactLogUpTo} and
     * {@link #truncateFrom} called from other threads wait until it ends (called from {@code action}
     * itself they throw {@link IllegalStateException}), and compaction on checkpoint is left to the
     * next checkpoint. Decisions stored meanwhile above the range are not visited.
     */
    void forEachDecisionAfter(SeqNo seqNo, Consumer<Decision<P>> action);

    /** The lowest stored sequence number, empty when no decision is stored. */
    Optional<SeqNo> firstSeqNo();

    /** The highest stored sequence number, empty when no decision is stored. */
    Optional<SeqNo> lastSeqNo();

    /**
     * Stores a checkpoint atomically; durable on return under every {@link SyncPolicy}. Decisions up to
     * and including {@code seqNo} stored before it are synced first. Older checkpoints beyond the
     * retention setting are deleted after the new one is durable; with
     * {@link CompactionMode#ON_CHECKPOINT}, decisions below it are compacted.
     *
     * @throws IllegalArgumentException if an argument is null
     */
    void storeCheckpoint(SeqNo seqNo, S state);

    /** The checkpoint stored at exactly {@code seqNo}, if it is still retained. */
    Optional<S> retrieveCheckpoint(SeqNo seqNo);

    /** The checkpoint with the highest sequence number. */
    Optional<Checkpoint<S>> retrieveLastCheckpoint();

    /** Replaces the configuration atomically; durable on return. */
    void storeConfiguration(C configuration);

    /** The last stored configuration. */
    Optional<C> retrieveConfiguration();

    /**
     * Replaces the value of a small protocol-state entry (view, vote) atomically; durable on return.
     * Keys are 1-128 characters of {@code [A-Za-z0-9._-]}; values at most 1 MiB.
     */
    void storeMetadata(String key, byte[] value);

    /** The value last stored under {@code key}. */
    Optional<byte[]> retrieveMetadata(String key);

    /**
     * Drops every decision with a sequence number {@code <= seqNo}. Refuses (with
     * {@link IllegalArgumentException}) a {@code seqNo} above the last stored checkpoint, so the log
     * can always be rebuilt from a checkpoint plus the decisions after it (guarantee G6).
     */
    void compactLogUpTo(SeqNo seqNo);

    /**
     * Drops every decision with a sequence number {@code >= seqNo} (an uncommitted suffix). Durable
     * on return. Refuses a {@code seqNo} at or below the last checkpoint's, whose decisions the
     * checkpoint already reflects.
     */
    void truncateFrom(SeqNo seqNo);

    /**
     * The last checkpoint, every decision after it and the configuration, as stored. Call after open
     * to rebuild the state machine; may be called again and gives the same answer (idempotent).
     */
    RecoveryState<P, S, C> recover();

    /** Forces everything stored so far to stable storage; completes pending futures. */
    void sync();

    /**
     * Reads back every stored decision and checkpoint and checks its checksum and framing.
     *
     * @return the number of records checked
     * @throws CorruptLogException naming the store, offset and sequence number of the first bad record
     */
    long verify();

    /** Counters since open. */
    LogStats stats();

    /**
     * Syncs, stops the background sync thread, completes or fails pending futures, releases the
     * directory lock. Idempotent. Later calls on the log throw {@link IllegalStateException}.
     */
    @Override
    void close();
}
