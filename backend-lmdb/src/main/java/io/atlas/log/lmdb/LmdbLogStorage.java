package io.atlas.log.lmdb;

import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.GetOp;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * {@link LogStorage} on one LMDB environment laid out as {@link LmdbLayout} describes; durability and
 * map growth are {@link LmdbEnvironment}'s.
 *
 * <p>Each mutating call is one write transaction. {@code append} and {@code truncateSuffix} are
 * durable after the next {@link #sync()}; {@code truncatePrefix}, {@code putCheckpoint},
 * {@code deleteCheckpoint} and {@code putMeta} sync before they return. The bounds of the stored range
 * are kept in memory (read once at open) and replaced after each commit, so {@code firstSeq()} and
 * {@code lastSeq()} cost no transaction.
 */
final class LmdbLogStorage implements LogStorage {

    private static final Pattern META_KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    /** A scan copies at most this many records (or {@link #SCAN_CHUNK_BYTES}) per read transaction. */
    private static final int SCAN_CHUNK_RECORDS = 256;
    private static final long SCAN_CHUNK_BYTES = 1L << 20;
    private static final String NAME = LmdbStorageProvider.NAME;

    /** The stored range and the prefix truncation point, replaced as a whole so readers see a consistent pair. */
    private record Bounds(long first, long last, long prefixPoint) {
        boolean empty() {
            return last < 0;
        }
    }

    /** The databases, opened in one transaction at open. */
    private record Databases(Dbi<ByteBuffer> decisions, Dbi<ByteBuffer> checkpoints, Dbi<ByteBuffer> metadata,
                             Dbi<ByteBuffer> internal, Bounds bounds, boolean created) {
    }

    private final LmdbEnvironment env;
    private final Path dataFile;
    private final Dbi<ByteBuffer> decisions;
    private final Dbi<ByteBuffer> checkpoints;
    private final Dbi<ByteBuffer> metadata;
    private final Dbi<ByteBuffer> internal;
    /** Serializes mutations (the SPI promises one mutating thread at a time; this makes a slip harmless). */
    private final ReentrantLock mutation = new ReentrantLock();
    private volatile Bounds bounds;

    private LmdbLogStorage(LmdbEnvironment env, Databases dbs) {
        this.env = env;
        this.dataFile = env.dataFile();
        this.decisions = dbs.decisions();
        this.checkpoints = dbs.checkpoints();
        this.metadata = dbs.metadata();
        this.internal = dbs.internal();
        this.bounds = dbs.bounds();
    }

    static LmdbLogStorage open(Path directory, LmdbOptions options) throws IOException {
        LmdbEnvironment env = LmdbEnvironment.open(directory, options);
        try {
            Databases dbs = env.write("open", txn -> openDatabases(env, txn));
            if (dbs.created()) {
                // the layout and format version of a new store, and data.mdb's directory entry
                env.sync();
                env.syncDirectory();
            }
            return new LmdbLogStorage(env, dbs);
        } catch (IOException | RuntimeException | Error e) {
            try {
                env.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Checks the format version before anything is created, so a newer store is refused untouched;
     * then opens (creating on a new store) the databases and reads the bounds.
     */
    private static Databases openDatabases(LmdbEnvironment env, Txn<ByteBuffer> txn) {
        Path dataFile = env.dataFile();
        Dbi<ByteBuffer> main = env.openMainDatabase(txn);
        boolean fresh;
        try (Cursor<ByteBuffer> c = main.openCursor(txn)) {
            fresh = !c.first();
        }
        Dbi<ByteBuffer> internal;
        if (fresh) {
            internal = env.openDatabase(txn, LmdbLayout.INTERNAL, true);
            ByteBuffer version = ByteBuffer.allocateDirect(Integer.BYTES);
            version.putInt(0, LmdbLayout.FORMAT_VERSION);
            internal.put(txn, LmdbLayout.textKey(LmdbLayout.FORMAT_KEY), version);
        } else {
            if (main.get(txn, LmdbLayout.textKey(LmdbLayout.INTERNAL)) == null) {
                throw new IncompatibleLogException("LMDB store " + dataFile + " holds LMDB databases but no '"
                        + LmdbLayout.INTERNAL + "' database: it was not written by the atlas-log-lmdb backend");
            }
            internal = env.openDatabase(txn, LmdbLayout.INTERNAL, false);
            checkFormat(internal.get(txn, LmdbLayout.textKey(LmdbLayout.FORMAT_KEY)), dataFile);
        }
        Dbi<ByteBuffer> decisions = env.openDatabase(txn, LmdbLayout.DECISIONS, true);
        Dbi<ByteBuffer> checkpoints = env.openDatabase(txn, LmdbLayout.CHECKPOINTS, true);
        Dbi<ByteBuffer> metadata = env.openDatabase(txn, LmdbLayout.METADATA, true);
        long prefixPoint = -1;
        ByteBuffer stored = internal.get(txn, LmdbLayout.textKey(LmdbLayout.PREFIX_POINT_KEY));
        if (stored != null) {
            prefixPoint = LmdbLayout.seqOf(stored, LmdbLayout.INTERNAL + "/" + LmdbLayout.PREFIX_POINT_KEY, dataFile);
        }
        long first = -1;
        long last = -1;
        try (Cursor<ByteBuffer> c = decisions.openCursor(txn)) {
            if (c.first()) {
                first = LmdbLayout.seqOf(c.key(), LmdbLayout.DECISIONS, dataFile);
                c.last();
                last = LmdbLayout.seqOf(c.key(), LmdbLayout.DECISIONS, dataFile);
            }
        }
        if (first >= 0 && first <= prefixPoint) {
            throw new CorruptLogException("LMDB store " + dataFile + ": database '" + LmdbLayout.DECISIONS
                    + "' holds seq " + first + " at or below the prefix truncation point " + prefixPoint);
        }
        return new Databases(decisions, checkpoints, metadata, internal, new Bounds(first, last, prefixPoint), fresh);
    }

    private static void checkFormat(ByteBuffer value, Path dataFile) {
        if (value == null || value.remaining() != Integer.BYTES) {
            throw new CorruptLogException("LMDB store " + dataFile + ": database '" + LmdbLayout.INTERNAL + "' has "
                    + (value == null ? "no" : "a " + value.remaining() + "-byte") + " '" + LmdbLayout.FORMAT_KEY
                    + "' record where a 4-byte version was expected");
        }
        int version = value.getInt(value.position());
        if (version > LmdbLayout.FORMAT_VERSION) {
            throw new IncompatibleLogException("LMDB store " + dataFile + " has format version " + version
                    + ", newer than the " + LmdbLayout.FORMAT_VERSION + " this atlas-log-lmdb reads; open it with a newer "
                    + "atlas-log-lmdb");
        }
        if (version < 1) {
            throw new CorruptLogException("LMDB store " + dataFile + " has the invalid format version " + version
                    + " (versions start at 1)");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // records

    @Override
    public void append(List<LogRecord> records) throws IOException {
        if (records == null) {
            throw new IllegalArgumentException(NAME + ": records must not be null");
        }
        mutation.lock();
        try {
            env.checkOpen();
            if (records.isEmpty()) {
                return;
            }
            Bounds b = bounds;
            long start = checkBatch(records, b);
            long end = start + records.size() - 1;
            env.write("append of seqs " + start + ".." + end, txn -> {
                ByteBuffer key = ByteBuffer.allocateDirect(Long.BYTES);
                for (LogRecord r : records) {
                    key.putLong(0, r.seq());
                    byte[] data = r.data();
                    // MDB_RESERVE: copy straight into the page; MDB_APPEND: keys only ever grow, pages fill up
                    ByteBuffer target = decisions.reserve(txn, key, data.length, PutFlags.MDB_APPEND);
                    target.put(target.position(), data);
                }
                return null;
            });
            bounds = new Bounds(b.empty() ? start : b.first(), end, b.prefixPoint());
        } finally {
            mutation.unlock();
        }
    }

    /** The first seq of a valid batch; refuses (storing nothing) a batch that does not continue the log. */
    private long checkBatch(List<LogRecord> records, Bounds b) {
        LogRecord head = records.get(0);
        if (head == null) {
            throw new IllegalArgumentException(NAME + ": records must not contain null (index 0)");
        }
        long start = head.seq();
        if (b.empty()) {
            if (start <= b.prefixPoint()) {
                throw new IllegalArgumentException(NAME + ": append to an empty log expected a seq above the prefix "
                        + "truncation point " + b.prefixPoint() + ", got " + start);
            }
        } else if (start != b.last() + 1) {
            throw new IllegalArgumentException(NAME + ": append expected seq " + (b.last() + 1) + " (lastSeq() + 1), got "
                    + start);
        }
        for (int i = 1; i < records.size(); i++) {
            LogRecord r = records.get(i);
            if (r == null) {
                throw new IllegalArgumentException(NAME + ": records must not contain null (index " + i + ")");
            }
            if (r.seq() != start + i) {
                throw new IllegalArgumentException(NAME + ": append batch not contiguous: expected seq " + (start + i)
                        + " at index " + i + ", got " + r.seq());
            }
        }
        return start;
    }

    @Override
    public Optional<byte[]> read(long seq) throws IOException {
        env.checkOpen();
        if (seq < 0) {
            return Optional.empty();
        }
        ByteBuffer key = LmdbLayout.seqKey(seq);
        return env.read("read of seq " + seq, txn -> {
            ByteBuffer v = decisions.get(txn, key);
            return v == null ? Optional.empty() : Optional.of(LmdbLayout.copyOf(v));
        });
    }

    /** Records copied out of one read transaction, and whether more may follow. */
    private record Chunk(long[] seqs, byte[][] data, int size, boolean more) {
    }

    /**
     * Copies records out in chunks, one short read transaction each, and visits them outside: the
     * visitor may be slow or call back into this storage, and must never hold a transaction or the
     * map lock (which would stall map growth and pin freed pages).
     */
    @Override
    public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
        if (visitor == null) {
            throw new IllegalArgumentException(NAME + ": scan visitor must not be null");
        }
        env.checkOpen();
        long next = Math.max(0, fromSeq);
        while (next <= toSeqInclusive) {
            Chunk chunk = readChunk(next, toSeqInclusive);
            for (int i = 0; i < chunk.size(); i++) {
                visitor.visit(chunk.seqs()[i], chunk.data()[i]);
            }
            if (!chunk.more() || chunk.size() == 0) {
                return;
            }
            long lastVisited = chunk.seqs()[chunk.size() - 1];
            if (lastVisited == Long.MAX_VALUE) {
                return;
            }
            next = lastVisited + 1;
        }
    }

    private Chunk readChunk(long from, long to) throws IOException {
        ByteBuffer key = LmdbLayout.seqKey(from);
        return env.read("scan from seq " + from, txn -> {
            long[] seqs = new long[SCAN_CHUNK_RECORDS];
            byte[][] data = new byte[SCAN_CHUNK_RECORDS][];
            int n = 0;
            long bytes = 0;
            try (Cursor<ByteBuffer> c = decisions.openCursor(txn)) {
                boolean positioned = c.get(key, GetOp.MDB_SET_RANGE);
                while (positioned) {
                    long seq = LmdbLayout.seqOf(c.key(), LmdbLayout.DECISIONS, dataFile);
                    if (seq > to) {
                        return new Chunk(seqs, data, n, false);
                    }
                    if (n == SCAN_CHUNK_RECORDS || bytes >= SCAN_CHUNK_BYTES) {
                        return new Chunk(seqs, data, n, true);
                    }
                    seqs[n] = seq;
                    data[n] = LmdbLayout.copyOf(c.val());
                    bytes += data[n].length;
                    n++;
                    positioned = c.next();
                }
            }
            return new Chunk(seqs, data, n, false);
        });
    }

    @Override
    public long firstSeq() {
        env.checkOpen();
        return bounds.first();
    }

    @Override
    public long lastSeq() {
        env.checkOpen();
        return bounds.last();
    }

    // ---------------------------------------------------------------------------------------------
    // truncation

    /**
     * Deletes the records and raises the prefix point in one transaction, then syncs: after a crash
     * the log starts at the old first seq or above the point, never with a hole.
     */
    @Override
    public void truncatePrefix(long upToSeqInclusive) throws IOException {
        requireSeq(upToSeqInclusive, "truncatePrefix point");
        mutation.lock();
        try {
            env.checkOpen();
            Bounds b = bounds;
            if (b.empty() ? upToSeqInclusive <= b.prefixPoint() : upToSeqInclusive < b.first()) {
                return;
            }
            long point = Math.max(b.prefixPoint(), upToSeqInclusive);
            long newFirst = env.write("truncatePrefix up to seq " + upToSeqInclusive, txn -> {
                if (!b.empty()) {
                    if (upToSeqInclusive >= b.last()) {
                        decisions.drop(txn, false);
                    } else {
                        deleteFromStart(txn, upToSeqInclusive);
                    }
                }
                internal.put(txn, LmdbLayout.textKey(LmdbLayout.PREFIX_POINT_KEY), LmdbLayout.seqKey(point));
                return b.empty() || upToSeqInclusive >= b.last() ? -1L : upToSeqInclusive + 1;
            });
            bounds = newFirst < 0 ? new Bounds(-1, -1, point) : new Bounds(newFirst, b.last(), point);
            env.sync();
        } finally {
            mutation.unlock();
        }
    }

    private void deleteFromStart(Txn<ByteBuffer> txn, long upToInclusive) {
        try (Cursor<ByteBuffer> c = decisions.openCursor(txn)) {
            while (c.first() && LmdbLayout.seqOf(c.key(), LmdbLayout.DECISIONS, dataFile) <= upToInclusive) {
                c.delete();
            }
        }
    }

    @Override
    public void truncateSuffix(long fromSeqInclusive) throws IOException {
        requireSeq(fromSeqInclusive, "truncateSuffix point");
        mutation.lock();
        try {
            env.checkOpen();
            Bounds b = bounds;
            if (b.empty() || fromSeqInclusive > b.last()) {
                return;
            }
            boolean all = fromSeqInclusive <= b.first();
            env.write("truncateSuffix from seq " + fromSeqInclusive, txn -> {
                if (all) {
                    decisions.drop(txn, false);
                } else {
                    try (Cursor<ByteBuffer> c = decisions.openCursor(txn)) {
                        while (c.last() && LmdbLayout.seqOf(c.key(), LmdbLayout.DECISIONS, dataFile) >= fromSeqInclusive) {
                            c.delete();
                        }
                    }
                }
                return null;
            });
            bounds = all ? new Bounds(-1, -1, b.prefixPoint()) : new Bounds(b.first(), fromSeqInclusive - 1, b.prefixPoint());
        } finally {
            mutation.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // checkpoints and metadata

    @Override
    public void putCheckpoint(long seq, byte[] state) throws IOException {
        requireSeq(seq, "checkpoint seq");
        if (state == null) {
            throw new IllegalArgumentException(NAME + ": checkpoint state must not be null (seq " + seq + ")");
        }
        mutation.lock();
        try {
            env.checkOpen();
            ByteBuffer key = LmdbLayout.seqKey(seq);
            env.write("putCheckpoint at seq " + seq, txn -> {
                ByteBuffer target = checkpoints.reserve(txn, key, state.length);
                target.put(target.position(), state);
                return null;
            });
            env.sync();
        } finally {
            mutation.unlock();
        }
    }

    @Override
    public Optional<byte[]> readCheckpoint(long seq) throws IOException {
        env.checkOpen();
        if (seq < 0) {
            return Optional.empty();
        }
        ByteBuffer key = LmdbLayout.seqKey(seq);
        return env.read("readCheckpoint at seq " + seq, txn -> {
            ByteBuffer v = checkpoints.get(txn, key);
            return v == null ? Optional.empty() : Optional.of(LmdbLayout.copyOf(v));
        });
    }

    @Override
    public long[] checkpointSeqs() throws IOException {
        env.checkOpen();
        return env.read("checkpointSeqs", txn -> {
            List<Long> seqs = new ArrayList<>();
            try (Cursor<ByteBuffer> c = checkpoints.openCursor(txn)) {
                for (boolean more = c.first(); more; more = c.next()) {
                    seqs.add(LmdbLayout.seqOf(c.key(), LmdbLayout.CHECKPOINTS, dataFile));
                }
            }
            return seqs.stream().mapToLong(Long::longValue).toArray();
        });
    }

    @Override
    public void deleteCheckpoint(long seq) throws IOException {
        mutation.lock();
        try {
            env.checkOpen();
            if (seq < 0) {
                return;
            }
            ByteBuffer key = LmdbLayout.seqKey(seq);
            boolean deleted = env.write("deleteCheckpoint at seq " + seq, txn -> checkpoints.delete(txn, key));
            if (deleted) {
                env.sync();
            }
        } finally {
            mutation.unlock();
        }
    }

    @Override
    public void putMeta(String key, byte[] value) throws IOException {
        requireMetaKey(key);
        if (value == null) {
            throw new IllegalArgumentException(NAME + ": metadata value must not be null (key '" + key + "')");
        }
        mutation.lock();
        try {
            env.checkOpen();
            ByteBuffer k = LmdbLayout.textKey(key);
            env.write("putMeta of key '" + key + "'", txn -> {
                ByteBuffer target = metadata.reserve(txn, k, value.length);
                target.put(target.position(), value);
                return null;
            });
            env.sync();
        } finally {
            mutation.unlock();
        }
    }

    @Override
    public Optional<byte[]> getMeta(String key) throws IOException {
        requireMetaKey(key);
        env.checkOpen();
        ByteBuffer k = LmdbLayout.textKey(key);
        return env.read("getMeta of key '" + key + "'", txn -> {
            ByteBuffer v = metadata.get(txn, k);
            return v == null ? Optional.empty() : Optional.of(LmdbLayout.copyOf(v));
        });
    }

    // ---------------------------------------------------------------------------------------------
    // lifecycle

    @Override
    public void sync() throws IOException {
        env.sync();
    }

    @Override
    public void close() throws IOException {
        env.close();
    }

    /** The current map size, for tests of map growth. */
    long mapSize() {
        return env.mapSize();
    }

    private static void requireSeq(long seq, String what) {
        if (seq < 0) {
            throw new IllegalArgumentException(NAME + ": " + what + " must be >= 0, got " + seq);
        }
    }

    private static void requireMetaKey(String key) {
        if (key == null || !META_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(NAME + ": metadata key must be 1-128 characters of [A-Za-z0-9._-], got "
                    + (key == null ? "null" : "'" + key + "'"));
        }
    }
}
