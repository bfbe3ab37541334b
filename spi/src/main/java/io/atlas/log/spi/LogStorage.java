package io.atlas.log.spi;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A backend's open storage: records by sequence number, checkpoints and metadata, all as bytes.
 * The engine above it owns codecs, compression, checksums of its own, the cache, the directory lock
 * and the manifest; the storage never sees them.
 *
 * <h2>Threading</h2>
 * The engine calls mutating methods ({@code append}, {@code truncate*}, {@code put*},
 * {@code deleteCheckpoint}, {@code sync}, {@code close}) from one thread at a time. Reads
 * ({@code read}, {@code scan}, {@code firstSeq}, {@code lastSeq}, {@code readCheckpoint},
 * {@code checkpointSeqs}, {@code getMeta}) may run on other threads concurrently with each other and
 * with one mutating call, and must see every mutation that returned before they started.
 * {@code sync} may be called concurrently with {@code append} from a group-commit thread: it must make
 * durable at least everything whose {@code append} returned before it was called.
 *
 * <h2>Durability</h2>
 * {@code append} and {@code truncateSuffix} need not be durable until {@link #sync()} returns.
 * Records appended but not yet synced may be lost on power loss, but never half of one, and never a
 * later one while an earlier one is kept (a prefix survives). {@code putCheckpoint},
 * {@code deleteCheckpoint}, {@code putMeta} and {@code truncatePrefix} are atomic and durable on
 * return: after a crash the old or the new state is visible, never a mix.
 *
 * <h2>Nulls and arguments</h2>
 * No argument may be null; no method returns null. Arrays passed in may be kept by the storage;
 * the engine does not change them afterwards. Arrays returned belong to the caller.
 *
 * <h2>Exceptions</h2>
 * Caller mistakes throw {@link IllegalArgumentException}; calls after {@code close} throw
 * {@link IllegalStateException}. Bytes that fail a check throw {@link io.atlas.log.CorruptLogException}
 * naming the file (or store), offset and seq. Other storage failures throw {@link IOException}; after
 * one from a mutating method the storage may be unusable, and the engine stops using it (fail-stop).
 */
public interface LogStorage extends Closeable {

    /**
     * Appends records in one batch. The first record's seq must be {@code lastSeq() + 1}, or, when the
     * storage is empty, any value above the last {@code truncatePrefix} point (which survives reopen);
     * the rest must follow contiguously. An empty list is a no-op.
     *
     * @throws IllegalArgumentException for a seq that is not the expected one, naming both, or for a
     *                                  record larger than the backend can store, naming its limit;
     *                                  nothing of the batch is stored then
     */
    void append(List<LogRecord> records) throws IOException;

    /** The record at {@code seq}, or empty when none is stored there. */
    Optional<byte[]> read(long seq) throws IOException;

    /**
     * Visits every stored record with {@code fromSeq <= seq <= toSeqInclusive}, ascending, without
     * holding them all in memory. A range without records visits nothing.
     */
    void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException;

    /** The lowest stored seq, {@code -1} when empty. */
    long firstSeq();

    /** The highest stored seq, {@code -1} when empty. */
    long lastSeq();

    /**
     * Drops every record with seq {@code <= upToSeqInclusive}. Atomic and durable on return: after a
     * crash the log starts either at the old first seq or above the new point, with no hole. May pass
     * {@code lastSeq()}: the storage becomes empty and the next append must be above the point.
     * A point below {@code firstSeq()} removes no record, but is remembered like any other: once the
     * storage is empty, the next append must be above the highest point ever given.
     */
    void truncatePrefix(long upToSeqInclusive) throws IOException;

    /**
     * Drops every record with seq {@code >= fromSeqInclusive}; later appends continue from
     * {@code fromSeqInclusive}. Durable after the next {@link #sync()}. A point above
     * {@code lastSeq()} is a no-op.
     */
    void truncateSuffix(long fromSeqInclusive) throws IOException;

    /** Stores a checkpoint, replacing one at the same seq; atomic and durable on return. */
    void putCheckpoint(long seq, byte[] state) throws IOException;

    /** The checkpoint stored at exactly {@code seq}. */
    Optional<byte[]> readCheckpoint(long seq) throws IOException;

    /** Seqs of the stored checkpoints, ascending; empty array when none. */
    long[] checkpointSeqs() throws IOException;

    /** Deletes the checkpoint at {@code seq} if present; durable on return. */
    void deleteCheckpoint(long seq) throws IOException;

    /** Replaces the value under {@code key} (1-128 chars of {@code [A-Za-z0-9._-]}); atomic and durable on return. */
    void putMeta(String key, byte[] value) throws IOException;

    /** The value under {@code key}. */
    Optional<byte[]> getMeta(String key) throws IOException;

    /** Makes every preceding call durable; returns after the data reached stable storage. */
    void sync() throws IOException;

    /**
     * Releases files and memory. Does not sync appended records (the engine syncs first). Idempotent.
     */
    @Override
    void close() throws IOException;
}
