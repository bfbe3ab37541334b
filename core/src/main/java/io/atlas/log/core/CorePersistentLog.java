package io.atlas.log.core;

import io.atlas.log.Checkpoint;
import io.atlas.log.Codec;
import io.atlas.log.CompactionMode;
import io.atlas.log.CorruptLogException;
import io.atlas.log.Decision;
import io.atlas.log.LogStats;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.PersistentLogException;
import io.atlas.log.RecoveryState;
import io.atlas.log.SeqNo;
import io.atlas.log.SyncPolicy;
import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The engine: codecs, the record envelope, the cache, group commit and the sync policies, fail-stop,
 * compaction and checkpoint retention, over one open {@link LogStorage}.
 *
 * <h2>Locks</h2>
 * <ul>
 *   <li>{@code lifecycle} (read-write): every operation holds the read side, {@link #close()} the write
 *       side, so the storage is never used after it is closed.</li>
 *   <li>{@code writeLock}: serializes appends and every other mutating storage call, and the checks of
 *       sequence numbers that go with them.</li>
 *   <li>{@code syncLock}: held around {@link LogStorage#sync()}. The SPI lets a sync run concurrently
 *       with an append (that is what makes group commit work) but with no other mutation, so those
 *       take {@code writeLock} and then {@code syncLock}. A syncing thread never takes
 *       {@code writeLock}, so the order cannot deadlock.</li>
 * </ul>
 *
 * <h2>Group commit</h2>
 * Every appended decision gets a write ticket (a running count of appended decisions). A sync records
 * the ticket it covers before calling {@link LogStorage#sync()}. A caller that must wait takes
 * {@code syncLock}; if a sync that finished meanwhile covered its ticket it returns at once, otherwise
 * it syncs everything appended so far. Callers that queue behind one sync are all covered by the next.
 * Futures of {@code storeDecisionAsync} wait in {@link PendingAcks} and are completed outside every lock.
 */
final class CorePersistentLog<P, S, C> implements PersistentLog<P, S, C> {

    private static final System.Logger LOG = System.getLogger(CorePersistentLog.class.getName());

    /** Metadata keys starting with this are core's own. */
    static final String RESERVED_PREFIX = "atlas.";
    /** Where the configuration is stored, as metadata. */
    static final String CONFIGURATION_KEY = RESERVED_PREFIX + "configuration";
    /** The largest metadata value (and encoded configuration). */
    static final int MAX_METADATA_VALUE = 1 << 20;
    static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final Path dir;
    private final String backend;
    /** "log at DIR (backend 'x')": the start of storage-failure messages. */
    private final String where;
    private final LogStorage storage;
    private final DirectoryLock lock;
    private final Codec<P> payloadCodec;
    private final Codec<S> stateCodec;
    private final Codec<C> configCodec;
    private final SyncPolicy policy;
    private final PersistentLogConfig config;
    private final RecordFormat format;
    private final DecisionCache<P> cache;
    private final LogMetrics metrics = new LogMetrics();
    private final PendingAcks acks = new PendingAcks();

    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock syncLock = new ReentrantLock();
    /**
     * Read side held by every scan of decisions, write side by compaction and suffix truncation, so
     * that a scan sees the range as of its start (the SPI's scan is not a snapshot). Taken before
     * {@code writeLock}, never while holding it.
     */
    private final ReentrantReadWriteLock rangeLock = new ReentrantReadWriteLock();

    /** Decisions appended since open; written under writeLock after the append returned. */
    private volatile long appendedTicket;
    /** Decisions covered by a completed sync; written under syncLock. */
    private volatile long durableTicket;
    /** The highest ticket an async caller waits for, under everyWrite; written under writeLock. */
    private volatile long requestedTicket;
    private volatile PersistentLogException failure;
    /** Highest checkpoint seq, -1 when none; written under writeLock. */
    private volatile long lastCheckpointSeq;
    /** Highest compaction point of this session, -1 when none; under writeLock. */
    private long compactedUpTo = -1;
    /** Set when close begins: no background syncer may start after it. */
    private volatile boolean closing;
    /** Guarded by lifecycle's write lock (read under its read lock). */
    private boolean closed;
    /** Guarded by {@code this}. */
    private Syncer syncer;

    CorePersistentLog(Path dir, String backend, LogStorage storage, DirectoryLock lock, PersistentLogConfig config,
                      Codec<P> payloadCodec, Codec<S> stateCodec, Codec<C> configCodec) throws IOException {
        this.dir = dir;
        this.backend = backend;
        this.where = "log at " + dir + " (backend '" + backend + "')";
        this.storage = storage;
        this.lock = lock;
        this.config = config;
        this.policy = config.syncPolicy();
        this.payloadCodec = payloadCodec;
        this.stateCodec = stateCodec;
        this.configCodec = configCodec;
        this.format = new RecordFormat(config.compression(), config.maxSegmentSize(), where);
        this.cache = new DecisionCache<>(config.cacheSize());
        long[] checkpoints = storage.checkpointSeqs();
        this.lastCheckpointSeq = checkpoints.length == 0 ? -1 : checkpoints[checkpoints.length - 1];
        if (policy instanceof SyncPolicy.Periodic p) {
            synchronized (this) {
                syncer = new Syncer(p.interval().toNanos());
            }
        }
    }

    // ================================================================ decisions

    @Override
    public void storeDecision(Decision<P> decision) {
        requireDecision(decision, "decision");
        enter();
        try {
            byte[] record = encode(decision);
            long ticket = append(List.of(decision), List.of(record), null);
            if (policy instanceof SyncPolicy.EveryWrite) {
                syncUpTo(ticket);
            }
        } finally {
            exit();
        }
    }

    @Override
    public CompletableFuture<SeqNo> storeDecisionAsync(Decision<P> decision) {
        requireDecision(decision, "decision");
        CompletableFuture<SeqNo> future = new CompletableFuture<>();
        enter();
        try {
            byte[] record = encode(decision);
            try {
                append(List.of(decision), List.of(record), future);
            } catch (PersistentLogException e) {
                future.completeExceptionally(e);
                return future;
            }
            if (policy instanceof SyncPolicy.EveryWrite) {
                Syncer s = onDemandSyncer();
                if (s != null) {
                    s.wake();
                }
            }
        } finally {
            exit();
        }
        return future;
    }

    @Override
    public void storeDecisions(List<Decision<P>> decisions) {
        if (decisions == null) {
            throw new IllegalArgumentException("decisions must not be null (use an empty list)");
        }
        List<Decision<P>> batch = new ArrayList<>(decisions);
        for (int i = 0; i < batch.size(); i++) {
            requireDecision(batch.get(i), "decisions[" + i + "]");
            if (i > 0 && batch.get(i).seqNo().value() != batch.get(i - 1).seqNo().value() + 1) {
                throw new IllegalArgumentException("decisions in a batch must have contiguous ascending seqs: decisions["
                        + i + "] has seq " + batch.get(i).seqNo() + ", expected " + (batch.get(i - 1).seqNo().value() + 1));
            }
        }
        enter();
        try {
            if (batch.isEmpty()) {
                return;
            }
            List<byte[]> records = new ArrayList<>(batch.size());
            for (Decision<P> d : batch) {
                records.add(encode(d));
            }
            long ticket = append(batch, records, null);
            if (policy instanceof SyncPolicy.EveryWrite) {
                syncUpTo(ticket);
            }
        } finally {
            exit();
        }
    }

    @Override
    public Optional<Decision<P>> retrieveDecision(SeqNo seqNo) {
        requireSeq(seqNo, "seqNo");
        enter();
        try {
            long seq = seqNo.value();
            Decision<P> cached = cache.get(seq);
            if (cached != null) {
                return Optional.of(copy(cached));
            }
            long generation = cache.generation();
            Optional<byte[]> bytes = read("read of the decision at seq " + seq, () -> storage.read(seq));
            if (bytes.isEmpty()) {
                return Optional.empty();
            }
            Decision<P> d = decode(seq, bytes.get());
            if (!cache.enabled()) {
                return Optional.of(d);
            }
            cache.putIfCurrent(seq, d, generation);
            return Optional.of(copy(d));
        } finally {
            exit();
        }
    }

    @Override
    public List<Decision<P>> retrieveDecisionsAfter(SeqNo seqNo) {
        List<Decision<P>> out = new ArrayList<>();
        forEachDecisionAfter(seqNo, out::add);
        return out;
    }

    @Override
    public void forEachDecisionAfter(SeqNo seqNo, Consumer<Decision<P>> action) {
        requireSeq(seqNo, "seqNo");
        if (action == null) {
            throw new IllegalArgumentException("action must not be null");
        }
        enter();
        try {
            long last = storage.lastSeq();
            if (seqNo.value() >= last) {
                return;
            }
            scanDecisions(seqNo.value() + 1, last, false, action);
        } finally {
            exit();
        }
    }

    @Override
    public Optional<SeqNo> firstSeqNo() {
        enter();
        try {
            long s = storage.firstSeq();
            return s < 0 ? Optional.empty() : Optional.of(SeqNo.of(s));
        } finally {
            exit();
        }
    }

    @Override
    public Optional<SeqNo> lastSeqNo() {
        enter();
        try {
            long s = storage.lastSeq();
            return s < 0 ? Optional.empty() : Optional.of(SeqNo.of(s));
        } finally {
            exit();
        }
    }

    // ================================================================ checkpoints

    /**
     * {@inheritDoc}
     *
     * <p>A checkpoint may be above {@code lastSeqNo()}: a replica that received its state by state
     * transfer stores it before it has the decisions. Compaction up to it (automatic with
     * {@link CompactionMode#ON_CHECKPOINT}) then empties the log, and the next decision must be above
     * the compaction point. A checkpoint below the last one is refused: it could not be the base of
     * recovery, and the decisions after it may already be compacted away.
     */
    @Override
    public void storeCheckpoint(SeqNo seqNo, S state) {
        requireSeq(seqNo, "checkpoint seqNo");
        if (state == null) {
            throw new IllegalArgumentException("checkpoint state must not be null at seq " + seqNo);
        }
        enter();
        try {
            long seq = seqNo.value();
            byte[] bytes = stateCodec.encode(state);
            if (bytes == null) {
                throw new IllegalStateException("state codec " + stateCodec + " returned null for the checkpoint at seq " + seq);
            }
            byte[] record = format.encodeCheckpoint(seq, bytes);
            // on-checkpoint compaction never waits for a running scan: when one holds the range, the
            // compaction is left to the next checkpoint, which compacts at least as far
            boolean mayCompact = config.compaction() == CompactionMode.ON_CHECKPOINT
                    && rangeLock.writeLock().tryLock();
            writeLock.lock();
            syncLock.lock();
            try {
                checkNotFailed();
                long last = lastCheckpointSeq;
                if (seq < last) {
                    throw new IllegalArgumentException("checkpoint at seq " + seq + " is below the last checkpoint at seq "
                            + last + "; checkpoints must not go backwards");
                }
                // the checkpoint must never claim more than the durable log
                if (appendedTicket > durableTicket) {
                    syncLocked();
                }
                mutate("store of the checkpoint at seq " + seq, () -> storage.putCheckpoint(seq, record));
                lastCheckpointSeq = seq;
                metrics.checkpointStored();
                metrics.bytesWritten(record.length);
                long[] seqs = mutateAndGet("listing of checkpoints", storage::checkpointSeqs);
                for (int i = 0; i < seqs.length - config.checkpointsRetain(); i++) {
                    long old = seqs[i];
                    mutate("deletion of the checkpoint at seq " + old, () -> storage.deleteCheckpoint(old));
                }
                if (mayCompact && seq - config.compactionRetain() >= 0) {
                    compactLocked(seq - config.compactionRetain());
                }
            } finally {
                syncLock.unlock();
                writeLock.unlock();
                if (mayCompact) {
                    rangeLock.writeLock().unlock();
                }
            }
        } finally {
            exit();
        }
    }

    @Override
    public Optional<S> retrieveCheckpoint(SeqNo seqNo) {
        requireSeq(seqNo, "seqNo");
        enter();
        try {
            long seq = seqNo.value();
            return read("read of the checkpoint at seq " + seq, () -> storage.readCheckpoint(seq))
                    .map(bytes -> decodeState(seq, bytes));
        } finally {
            exit();
        }
    }

    @Override
    public Optional<Checkpoint<S>> retrieveLastCheckpoint() {
        enter();
        try {
            return lastCheckpoint();
        } finally {
            exit();
        }
    }

    private Optional<Checkpoint<S>> lastCheckpoint() {
        while (true) {
            long seq = lastCheckpointSeq;
            if (seq < 0) {
                return Optional.empty();
            }
            Optional<byte[]> bytes = read("read of the checkpoint at seq " + seq, () -> storage.readCheckpoint(seq));
            if (bytes.isPresent()) {
                return Optional.of(new Checkpoint<>(SeqNo.of(seq), decodeState(seq, bytes.get())));
            }
            if (lastCheckpointSeq == seq) {
                throw new CorruptLogException(where + ": the checkpoint at seq " + seq
                        + " is the last one stored, but the backend returns nothing for it");
            }
            // a newer checkpoint replaced it meanwhile: read that one
        }
    }

    // ================================================================ configuration and metadata

    @Override
    public void storeConfiguration(C configuration) {
        if (configuration == null) {
            throw new IllegalArgumentException("configuration must not be null");
        }
        enter();
        try {
            byte[] bytes = configCodec.encode(configuration);
            if (bytes == null) {
                throw new IllegalStateException("configuration codec " + configCodec + " returned null");
            }
            if (bytes.length > MAX_METADATA_VALUE) {
                throw new IllegalArgumentException("configuration encodes to " + bytes.length
                        + " bytes, above the limit of " + MAX_METADATA_VALUE + " bytes (1 MiB)");
            }
            putMeta(CONFIGURATION_KEY, bytes, "store of the configuration");
        } finally {
            exit();
        }
    }

    @Override
    public Optional<C> retrieveConfiguration() {
        enter();
        try {
            return configuration();
        } finally {
            exit();
        }
    }

    private Optional<C> configuration() {
        return getMeta(CONFIGURATION_KEY, "read of the configuration").map(bytes -> {
            C c;
            try {
                c = configCodec.decode(bytes);
            } catch (RuntimeException e) {
                throw new CorruptLogException(where + ": the stored configuration (" + bytes.length
                        + " bytes, checksum valid) cannot be decoded by the configuration codec: " + e, e);
            }
            if (c == null) {
                throw new IllegalStateException("configuration codec " + configCodec + " returned null decoding "
                        + bytes.length + " bytes");
            }
            return c;
        });
    }

    @Override
    public void storeMetadata(String key, byte[] value) {
        requireMetadataKey(key);
        if (value == null) {
            throw new IllegalArgumentException("metadata value must not be null (use an empty array) for key '" + key + "'");
        }
        if (value.length > MAX_METADATA_VALUE) {
            throw new IllegalArgumentException("metadata value for key '" + key + "' is " + value.length
                    + " bytes, above the limit of " + MAX_METADATA_VALUE + " bytes (1 MiB)");
        }
        enter();
        try {
            putMeta(key, value, "store of metadata '" + key + "'");
        } finally {
            exit();
        }
    }

    @Override
    public Optional<byte[]> retrieveMetadata(String key) {
        requireMetadataKey(key);
        enter();
        try {
            return getMeta(key, "read of metadata '" + key + "'");
        } finally {
            exit();
        }
    }

    private void putMeta(String key, byte[] value, String operation) {
        byte[] record = format.encodeMeta(key, value);
        writeLock.lock();
        syncLock.lock();
        try {
            checkNotFailed();
            mutate(operation, () -> storage.putMeta(key, record));
            metrics.bytesWritten(record.length);
        } finally {
            syncLock.unlock();
            writeLock.unlock();
        }
    }

    private Optional<byte[]> getMeta(String key, String operation) {
        return read(operation, () -> storage.getMeta(key)).map(record -> format.decodeMeta(key, record));
    }

    // ================================================================ compaction and truncation

    @Override
    public void compactLogUpTo(SeqNo seqNo) {
        requireSeq(seqNo, "seqNo");
        enter();
        try {
            long n = seqNo.value();
            lockRange("compactLogUpTo");
            writeLock.lock();
            syncLock.lock();
            try {
                checkNotFailed();
                long checkpoint = lastCheckpointSeq;
                if (checkpoint < 0) {
                    throw new IllegalArgumentException("cannot compact the log up to seq " + n
                            + ": no checkpoint is stored; store a checkpoint at or above seq " + n
                            + " first, so the log can be rebuilt (G6)");
                }
                if (n > checkpoint) {
                    throw new IllegalArgumentException("cannot compact the log up to seq " + n
                            + ": above the last checkpoint at seq " + checkpoint
                            + "; every decision after the last checkpoint must be kept (G6)");
                }
                compactLocked(n);
            } finally {
                syncLock.unlock();
                writeLock.unlock();
                rangeLock.writeLock().unlock();
            }
        } finally {
            exit();
        }
    }

    /** Drops decisions {@code <= n}; holds writeLock and syncLock. */
    private void compactLocked(long n) {
        long first = storage.firstSeq();
        if (first >= 0 && n < first) {
            return;
        }
        if (first < 0 && n <= compactedUpTo) {
            return;
        }
        mutate("compaction up to seq " + n, () -> storage.truncatePrefix(n));
        cache.invalidateUpTo(n);
        compactedUpTo = Math.max(compactedUpTo, n);
        metrics.compacted();
    }

    @Override
    public void truncateFrom(SeqNo seqNo) {
        requireSeq(seqNo, "seqNo");
        enter();
        try {
            long n = seqNo.value();
            lockRange("truncateFrom");
            writeLock.lock();
            syncLock.lock();
            try {
                checkNotFailed();
                long checkpoint = lastCheckpointSeq;
                if (checkpoint >= 0 && n <= checkpoint) {
                    throw new IllegalArgumentException("cannot truncate the log from seq " + n
                            + ": at or below the last checkpoint at seq " + checkpoint
                            + ", which already includes those decisions; expected a seq above " + checkpoint);
                }
                long last = storage.lastSeq();
                if (last < 0 || n > last) {
                    return;
                }
                // decisions acknowledged by future before the truncation stay acknowledged
                if (appendedTicket > durableTicket) {
                    syncLocked();
                }
                mutate("truncation from seq " + n, () -> storage.truncateSuffix(n));
                cache.invalidateFrom(n);
                syncLocked();
            } finally {
                syncLock.unlock();
                writeLock.unlock();
                rangeLock.writeLock().unlock();
            }
        } finally {
            exit();
        }
    }

    // ================================================================ recovery, verification, sync

    @Override
    public RecoveryState<P, S, C> recover() {
        enter();
        try {
            long start = System.nanoTime();
            writeLock.lock();
            try {
                Optional<Checkpoint<S>> checkpoint = lastCheckpoint();
                List<Decision<P>> decisions = new ArrayList<>();
                long from = checkpoint.map(c -> c.seqNo().value() + 1).orElse(0L);
                long last = storage.lastSeq();
                if (last >= 0 && last >= from) {
                    scanDecisions(Math.max(from, storage.firstSeq()), last, true, decisions::add);
                }
                RecoveryState<P, S, C> state = new RecoveryState<>(checkpoint, decisions, configuration());
                metrics.recovered(System.nanoTime() - start);
                return state;
            } finally {
                writeLock.unlock();
            }
        } finally {
            exit();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Checks every decision, every retained checkpoint and the configuration, decoding them with the
     * codecs too. Arbitrary metadata keys cannot be listed through the SPI and are checked when read.
     * Blocks writers while it runs, so it sees one consistent log.
     */
    @Override
    public long verify() {
        enter();
        try {
            writeLock.lock();
            try {
                long[] count = {0};
                long first = storage.firstSeq();
                long last = storage.lastSeq();
                if (first >= 0) {
                    scanDecisions(first, last, true, d -> count[0]++);
                }
                long[] checkpoints = read("listing of checkpoints", storage::checkpointSeqs);
                for (long seq : checkpoints) {
                    Optional<byte[]> bytes = read("read of the checkpoint at seq " + seq, () -> storage.readCheckpoint(seq));
                    if (bytes.isEmpty()) {
                        throw new CorruptLogException(where + ": the checkpoint at seq " + seq
                                + " is listed by the backend but cannot be read");
                    }
                    decodeState(seq, bytes.get());
                    count[0]++;
                }
                if (configuration().isPresent()) {
                    count[0]++;
                }
                return count[0];
            } finally {
                writeLock.unlock();
            }
        } finally {
            exit();
        }
    }

    @Override
    public void sync() {
        enter();
        try {
            checkNotFailed();
            syncUpTo(appendedTicket);
        } finally {
            exit();
        }
    }

    @Override
    public LogStats stats() {
        enter();
        try {
            return metrics.snapshot(cache.hits(), cache.misses());
        } finally {
            exit();
        }
    }

    @Override
    public void close() {
        if (lifecycle.getReadHoldCount() > 0) {
            throw new IllegalStateException("close() of the " + where + " was called from inside one of its own calls "
                    + "on the same thread (a forEachDecisionAfter action?); call it after that call returns");
        }
        closing = true;
        stopSyncer();
        Throwable error = null;
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (failure == null) {
                writeLock.lock();
                syncLock.lock();
                try {
                    if (appendedTicket > durableTicket) {
                        syncLocked();
                    }
                } catch (PersistentLogException e) {
                    error = e;
                } finally {
                    syncLock.unlock();
                    writeLock.unlock();
                }
            }
            try {
                storage.close();
            } catch (IOException | RuntimeException e) {
                error = addSuppressed(error, e);
            }
            try {
                lock.close();
            } catch (IOException | RuntimeException e) {
                error = addSuppressed(error, e);
            }
        } finally {
            lifecycle.writeLock().unlock();
            acks.fail(new PersistentLogException(where + " was closed before the decision was durable"));
            acks.settle(durableTicket);
        }
        if (error instanceof PersistentLogException e) {
            throw e;
        }
        if (error != null) {
            throw new PersistentLogException(where + ": close failed: " + error.getMessage(), error);
        }
    }

    private static Throwable addSuppressed(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    @Override
    public String toString() {
        return "PersistentLog[" + dir + ", backend=" + backend + ", " + policy + "]";
    }

    // ================================================================ internals: writing

    private byte[] encode(Decision<P> d) {
        long seq = d.seqNo().value();
        byte[] payload = payloadCodec.encode(d.payload());
        if (payload == null) {
            throw new IllegalStateException("payload codec " + payloadCodec + " returned null for the decision at seq " + seq);
        }
        try {
            return format.encodeDecision(seq, d.view(), d.digest(), d.proof(), payload);
        } catch (IOException e) {
            throw new PersistentLogException(where + ": compression of the decision at seq " + seq + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Appends a contiguous batch after checking its first seq; registers {@code future} (if any) before
     * the new ticket is published, so the sync that covers it also completes it.
     *
     * @return the write ticket of the batch's last decision
     */
    private long append(List<Decision<P>> batch, List<byte[]> records, CompletableFuture<SeqNo> future) {
        writeLock.lock();
        try {
            checkNotFailed();
            long first = batch.get(0).seqNo().value();
            long last = storage.lastSeq();
            if (last >= 0 && first != last + 1) {
                String hint = lastCheckpointSeq > last
                        ? " (the last checkpoint, at seq " + lastCheckpointSeq + ", is above the log: compact up to it"
                        + " with compactLogUpTo to continue above it)" : "";
                throw new IllegalArgumentException("decisions must be stored in order: expected seq " + (last + 1)
                        + ", got " + first + hint);
            }
            if (last < 0 && first <= compactedUpTo) {
                throw new IllegalArgumentException("the log is empty after compaction up to seq " + compactedUpTo
                        + ": expected a seq above " + compactedUpTo + ", got " + first);
            }
            List<LogRecord> logRecords = new ArrayList<>(records.size());
            long bytes = 0;
            for (int i = 0; i < records.size(); i++) {
                logRecords.add(new LogRecord(first + i, records.get(i)));
                bytes += records.get(i).length;
            }
            mutate("append of " + (batch.size() == 1 ? "the decision at seq " + first
                    : "decisions " + first + ".." + (first + batch.size() - 1)), () -> storage.append(logRecords));
            metrics.decisionsStored(batch.size(), bytes);
            for (Decision<P> d : batch) {
                cache.put(d.seqNo().value(), d);
            }
            long ticket = appendedTicket + batch.size();
            if (future != null) {
                acks.add(ticket, batch.get(batch.size() - 1).seqNo(), future);
                requestedTicket = ticket;
            }
            appendedTicket = ticket;
            return ticket;
        } finally {
            writeLock.unlock();
        }
    }

    /** Returns once a sync covered {@code ticket}, syncing if no finished sync did. */
    private void syncUpTo(long ticket) {
        if (durableTicket >= ticket) {
            return;
        }
        syncLock.lock();
        try {
            if (durableTicket >= ticket) {
                return;
            }
            checkNotFailed();
            syncLocked();
        } finally {
            syncLock.unlock();
        }
    }

    /**
     * Syncs everything appended so far; holds syncLock. Any failure fail-stops the log, even an
     * {@link IllegalArgumentException}: after a failed fsync the kernel may have dropped the dirty
     * pages, so a later sync that succeeds proves nothing about the earlier writes.
     */
    private void syncLocked() {
        long target = appendedTicket;
        long start = System.nanoTime();
        try {
            storage.sync();
        } catch (IOException | RuntimeException e) {
            throw fail("sync", e);
        } catch (Error e) {
            fail("sync", e);
            throw e;
        }
        long nanos = System.nanoTime() - start;
        metrics.synced(nanos, target - durableTicket);
        durableTicket = target;
    }

    // ================================================================ internals: reading

    /**
     * Scans {@code [from, to]} in ascending order, checking that the backend returns each seq once, in
     * order and without holes; with {@code complete}, also that nothing at the end is missing.
     */
    private void scanDecisions(long from, long to, boolean complete, Consumer<Decision<P>> action) {
        rangeLock.readLock().lock();
        try {
            scanDecisionsLocked(from, to, complete, action);
        } finally {
            rangeLock.readLock().unlock();
        }
    }

    /** Takes the write side of {@code rangeLock}, refusing a call from inside a scan on this thread. */
    private void lockRange(String operation) {
        if (rangeLock.getReadHoldCount() > 0) {
            throw new IllegalStateException(operation + "() of the " + where + " was called from inside a "
                    + "forEachDecisionAfter action on the same thread; the iteration holds the range it visits, so call "
                    + operation + " after it returns");
        }
        rangeLock.writeLock().lock();
    }

    private void scanDecisionsLocked(long from, long to, boolean complete, Consumer<Decision<P>> action) {
        long[] expected = {-1};
        read("scan of decisions " + from + ".." + to, () -> {
            storage.scan(from, to, (seq, data) -> {
                if (expected[0] >= 0 && seq != expected[0]) {
                    throw new CorruptLogException(where + ": " + (seq < expected[0]
                            ? "the backend returned seq " + seq + " out of order, after seq " + (expected[0] - 1)
                            : "decision " + expected[0] + " is missing: the backend returned seq " + seq + " after seq "
                            + (expected[0] - 1)));
                }
                if (complete && expected[0] < 0 && seq != from) {
                    throw new CorruptLogException(where + ": decision " + from + " is missing: the first decision "
                            + "returned from seq " + from + " on is seq " + seq);
                }
                action.accept(decode(seq, data));
                expected[0] = seq + 1;
            });
            return null;
        });
        if (complete && (expected[0] < 0 ? from : expected[0]) <= to) {
            throw new CorruptLogException(where + ": decision " + (expected[0] < 0 ? from : expected[0])
                    + " is missing: the log ends at seq " + to + " but the backend returned nothing from seq "
                    + (expected[0] < 0 ? from : expected[0]) + " on");
        }
    }

    private Decision<P> decode(long seq, byte[] record) {
        RecordFormat.DecisionFields f = format.decodeDecision(seq, record);
        P payload;
        try {
            payload = payloadCodec.decode(f.payload());
        } catch (RuntimeException e) {
            throw new CorruptLogException(where + ": the decision at seq " + seq + " (checksum valid) has a payload of "
                    + f.payload().length + " bytes that the payload codec cannot decode: " + e, e);
        }
        if (payload == null) {
            throw new IllegalStateException("payload codec " + payloadCodec + " returned null decoding the decision at seq " + seq);
        }
        return new Decision<>(SeqNo.of(seq), f.view(), f.digest(), payload, f.proof());
    }

    private S decodeState(long seq, byte[] record) {
        byte[] bytes = format.decodeCheckpoint(seq, record);
        S state;
        try {
            state = stateCodec.decode(bytes);
        } catch (RuntimeException e) {
            throw new CorruptLogException(where + ": the checkpoint at seq " + seq + " (checksum valid) has "
                    + bytes.length + " bytes of state that the state codec cannot decode: " + e, e);
        }
        if (state == null) {
            throw new IllegalStateException("state codec " + stateCodec + " returned null decoding the checkpoint at seq " + seq);
        }
        return state;
    }

    /** A copy whose arrays the caller may change without touching the cached decision. */
    @SuppressWarnings("unchecked")
    private static <P> Decision<P> copy(Decision<P> d) {
        P payload = d.payload() instanceof byte[] b ? (P) b.clone() : d.payload();
        return new Decision<>(d.seqNo(), d.view(), d.digest().clone(), payload, d.proof().clone());
    }

    // ================================================================ internals: failure handling

    @FunctionalInterface
    private interface StorageCall<T> {
        T call() throws IOException;
    }

    @FunctionalInterface
    private interface StorageAction {
        void run() throws IOException;
    }

    private void mutate(String operation, StorageAction action) {
        mutateAndGet(operation, () -> {
            action.run();
            return null;
        });
    }

    /**
     * Runs a mutating storage call. An {@link IllegalArgumentException} is a caller mistake the backend
     * caught before changing anything and passes through; anything else puts the log in the failed
     * state (fail-stop, G8). {@link PersistentLogException}s (corruption) pass through unchanged.
     */
    private <T> T mutateAndGet(String operation, StorageCall<T> call) {
        try {
            return call.call();
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw fail(operation, e);
        } catch (Error e) {
            fail(operation, e);
            throw e;
        }
    }

    private PersistentLogException fail(String operation, Throwable cause) {
        PersistentLogException thrown = cause instanceof PersistentLogException p ? p
                : new PersistentLogException(where + ": " + operation + " failed (" + cause
                + "); the log is now fail-stopped: nothing more is acknowledged; close and reopen it", cause);
        synchronized (this) {
            if (failure == null) {
                failure = thrown;
                LOG.log(System.Logger.Level.ERROR, where + ": " + operation
                        + " failed; the log refuses further writes until it is reopened", cause);
            }
        }
        acks.fail(thrown);
        return thrown;
    }

    private void checkNotFailed() {
        PersistentLogException f = failure;
        if (f != null) {
            throw new PersistentLogException(where + " failed earlier; reopen it to continue (every acknowledged "
                    + "decision is kept). First failure: " + f.getMessage(), f);
        }
    }

    /** Runs a reading storage call: {@link IOException} becomes {@link PersistentLogException}; no fail-stop. */
    private <T> T read(String operation, StorageCall<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new PersistentLogException(where + ": " + operation + " failed: " + e.getMessage(), e);
        }
    }

    // ================================================================ internals: lifecycle

    private void enter() {
        lifecycle.readLock().lock();
        if (closed) {
            lifecycle.readLock().unlock();
            throw new IllegalStateException(where + " is closed");
        }
    }

    /** Leaves an operation, then completes the futures it made durable (outside every lock). */
    private void exit() {
        lifecycle.readLock().unlock();
        if (!acks.isEmpty() && lifecycle.getReadHoldCount() == 0) {
            acks.settle(durableTicket);
        }
    }

    private synchronized Syncer onDemandSyncer() {
        if (syncer == null && !closing) {
            syncer = new Syncer(0);
        }
        return syncer;
    }

    private void stopSyncer() {
        Syncer s;
        synchronized (this) {
            s = syncer;
        }
        if (s != null) {
            s.stop();
        }
    }

    /**
     * The background sync thread. With an interval (periodic policy) it syncs every interval when
     * something is unsynced; without (everyWrite) it syncs as soon as an async caller waits. It completes
     * the futures each sync covers. It stops when the log fails or closes.
     */
    private final class Syncer implements Runnable {
        private final long intervalNanos;
        private final Thread thread;
        private volatile boolean stop;

        Syncer(long intervalNanos) {
            this.intervalNanos = intervalNanos;
            this.thread = new Thread(this, "atlas-log-sync-" + dir);
            thread.setDaemon(true);
            thread.start();
        }

        void wake() {
            LockSupport.unpark(thread);
        }

        void stop() {
            stop = true;
            LockSupport.unpark(thread);
            if (Thread.currentThread() == thread) {
                return;
            }
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void run() {
            while (!stop) {
                awaitWork();
                if (stop) {
                    return;
                }
                long target = intervalNanos > 0 ? appendedTicket : requestedTicket;
                if (target <= durableTicket) {
                    continue;
                }
                try {
                    if (failure != null) {
                        return;
                    }
                    syncUpTo(target);
                } catch (PersistentLogException e) {
                    LOG.log(System.Logger.Level.ERROR, where + ": background sync failed; the sync thread stops", e);
                    return;
                } finally {
                    acks.settle(durableTicket);
                }
            }
        }

        private void awaitWork() {
            if (intervalNanos > 0) {
                long deadline = System.nanoTime() + intervalNanos;
                long left;
                while (!stop && (left = deadline - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(this, left);
                }
            } else {
                while (!stop && requestedTicket <= durableTicket) {
                    LockSupport.parkNanos(this, TimeUnit.SECONDS.toNanos(1));
                }
            }
        }
    }

    // ================================================================ argument checks

    private static void requireDecision(Decision<?> d, String name) {
        if (d == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }

    private static void requireSeq(SeqNo seq, String name) {
        if (seq == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }

    private static void requireMetadataKey(String key) {
        if (key == null) {
            throw new IllegalArgumentException("metadata key must not be null");
        }
        if (!METADATA_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("metadata key '" + key
                    + "' is invalid; expected 1-128 characters of [A-Za-z0-9._-]");
        }
        if (key.startsWith(RESERVED_PREFIX)) {
            throw new IllegalArgumentException("metadata key '" + key + "' starts with '" + RESERVED_PREFIX
                    + "', which is reserved for the log itself; choose another key");
        }
    }
}
