package io.atlas.log.file;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;

/**
 * {@link LogStorage} in segment files (see {@link FileStorageProvider}).
 *
 * <h2>Files in the directory</h2>
 * {@code seg-<firstSeq>-<ordinal>.log} ({@link Segment}), {@code truncation.state}
 * ({@link TruncationState}), {@code checkpoint-<seq>.ckpt} ({@link CheckpointStore}),
 * {@code meta-<key>.meta} ({@link MetaStore}) and, after a crash, {@code *.tmp} files, which open
 * deletes. Other files are not this backend's and are left alone.
 *
 * <h2>Ordering that keeps a prefix (SPEC 3)</h2>
 * Records of one segment are written sequentially, each with its CRC and the segment's synced
 * watermark (the offset a completed force covers). A power loss may keep some unsynced sectors and
 * lose earlier ones; open discards everything from the first lost record on, and the watermarks tell
 * that apart from damage to synced data ({@link TailRecovery}). A new segment is created only after the previous one's records and seal were
 * forced, and segments are deleted from the end backwards with a directory sync after each, so the
 * chain of segments on disk never has a hole. Prefix truncation persists its point before deleting
 * segments; suffix truncation persists the cut before clearing bytes ({@link TruncationState}).
 *
 * <h2>Threading</h2>
 * Reads, {@code append} and {@code sync} share a read lock: reads run concurrently with the one
 * writer, which publishes records only after writing them (record ends, then the volatile range).
 * Truncations and {@code close}, which delete files and clear bytes under readers' feet, take the
 * write lock. A scan holds the read lock while it calls the visitor, so a visitor must not change
 * the storage.
 *
 * <h2>Failures</h2>
 * Any I/O failure in a mutating call is fail-stop: the storage remembers the first one and refuses
 * every later mutation and sync with an {@link IOException} naming it, so nothing is acknowledged
 * after a lost write. Reopening recovers what reached the disk.
 */
final class FileLogStorage implements LogStorage {

    private static final System.Logger LOG = System.getLogger(FileLogStorage.class.getName());
    /** Bytes of a segment a record may not use, so that any record up to the limit fits in a fresh one. */
    static final int RECORD_MARGIN = 512;
    private static final int WRITE_BUFFER_SIZE = 1 << 20;
    /** Indexes of sealed segments kept in memory at once, beyond the tail's. */
    private static final int LOADED_INDEX_LIMIT = 16;

    /** Stored seqs, {@code first..last}, or both -1 when empty; replaced whole so readers see a consistent pair. */
    private record Range(long first, long last) {
        static final Range EMPTY = new Range(-1, -1);

        boolean isEmpty() {
            return last < 0;
        }
    }

    private final FileIo io;
    private final Path dir;
    private final int segmentSize;
    private final boolean preallocate;
    private final int maxRecordSize;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final CheckpointStore checkpoints;
    private final MetaStore meta;
    private final ArrayDeque<Segment> loadedIndexes = new ArrayDeque<>();   // guarded by itself
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    // writer state: used by the one thread in append
    private final ByteBuffer writeBuffer = ByteBuffer.allocateDirect(WRITE_BUFFER_SIZE);
    private final CRC32C writeCrc = new CRC32C();
    private final byte[] scratch = new byte[RecordFormat.HEADER_SIZE];

    private volatile Segment tail;
    private volatile Range range = Range.EMPTY;
    private volatile long prefixPoint = -1;
    private volatile boolean closed;

    private FileLogStorage(FileIo io, Path dir, int segmentSize, boolean preallocate) {
        this.io = io;
        this.dir = dir;
        this.segmentSize = segmentSize;
        this.preallocate = preallocate;
        this.maxRecordSize = segmentSize - RECORD_MARGIN;
        this.checkpoints = new CheckpointStore(io, dir);
        this.meta = new MetaStore(io, dir);
    }

    /** Opens (creating when absent) the storage in {@code dir}, recovering from a crash if needed. */
    static FileLogStorage open(FileIo io, Path dir, int segmentSize, boolean preallocate) throws IOException {
        FileLogStorage s = new FileLogStorage(io, dir, segmentSize, preallocate);
        try {
            s.recover();
        } catch (IOException | RuntimeException e) {
            s.closeAfterFailure(e);
            throw e;
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------
    // open

    private void recover() throws IOException {
        // Durable before anything goes in: a directory this backend created must not vanish with its
        // files on power loss. Used without core (which syncs the parent itself), this is the only sync.
        for (Path created : io.createDirectories(dir)) {
            Path parent = created.toAbsolutePath().getParent();
            if (parent != null) {
                io.syncDirectory(parent);
            }
        }
        List<Path> entries = io.list(dir);
        List<Segment> found = new ArrayList<>();
        boolean removedTemp = false;
        for (Path p : entries) {
            String name = p.getFileName().toString();
            if (isOwnTempFile(name)) {
                io.delete(p);
                removedTemp = true;
            } else {
                Segment s = Segment.parse(io, p);
                if (s != null) {
                    s.setSealed(true); // every segment but the last was sealed before its successor existed
                    found.add(s);
                }
            }
        }
        if (removedTemp) {
            io.syncDirectory(dir);
        }
        checkpoints.load(entries);
        TruncationState state = TruncationState.read(io, dir);
        prefixPoint = state.prefixPoint();
        for (Segment s : found) {
            Segment other = segments.putIfAbsent(s.firstSeq, s);
            if (other != null) {
                throw FileFormat.corrupt(s.path, 0, s.firstSeq, "two segments start at seq " + s.firstSeq + ": "
                        + other.path.getFileName() + " and " + s.path.getFileName());
            }
        }
        if (state.hasCut()) {
            finishCut(state);
        }
        dropSegmentsBelowPrefix();
        checkChain();
        recoverTail();
    }

    private static boolean isOwnTempFile(String name) {
        if (!name.endsWith(FileFormat.TEMP_SUFFIX)) {
            return false;
        }
        String target = name.substring(0, name.length() - FileFormat.TEMP_SUFFIX.length());
        return Segment.isName(target) || CheckpointStore.isName(target) || MetaStore.isName(target)
                || target.equals(TruncationState.FILE_NAME);
    }

    /** Completes a {@code truncateSuffix} that a crash interrupted after it persisted its cut. */
    private void finishCut(TruncationState state) throws IOException {
        Segment k = segments.get(state.cutSegment());
        if (k != null) {
            deleteFromEnd(new ArrayList<>(segments.tailMap(k.firstSeq, false).values()));
            FileHandle h = k.handle();
            long end = Math.min(h.size(), k.capacity());
            if (state.cutOffset() < end) {
                Segment.zero(h, state.cutOffset(), end);
                h.force(false);
            }
            LOG.log(System.Logger.Level.WARNING, FileFormat.BACKEND + ": finished an interrupted truncation of "
                    + k.path + " at offset " + state.cutOffset());
        }
        state.withoutCut().write(io, dir);
    }

    /**
     * Deletes leading segments whose records all lie at or below the prefix point: the rest of a
     * {@code truncatePrefix} that a crash interrupted. A segment's last seq is the next existing one's
     * first seq minus one; with the next one's name this also holds when a crash kept an earlier
     * deletion and lost a later one.
     */
    private void dropSegmentsBelowPrefix() throws IOException {
        boolean deleted = false;
        while (segments.size() >= 2) {
            Map.Entry<Long, Segment> first = segments.firstEntry();
            long next = segments.higherKey(first.getKey());
            if (next > prefixPoint + 1) {
                break;
            }
            LOG.log(System.Logger.Level.INFO, FileFormat.BACKEND + ": deleting " + first.getValue().path
                    + ", whose records lie at or below the prefix truncation point " + prefixPoint
                    + " (finishing a truncation a crash interrupted)");
            deleteSegment(first.getValue());
            deleted = true;
        }
        if (deleted) {
            io.syncDirectory(dir);
        }
    }

    /** Consecutive segments must have consecutive ordinals: a gap is a lost segment, seen from names alone. */
    private void checkChain() {
        Segment previous = null;
        for (Segment s : segments.values()) {
            if (previous != null && s.ordinal != previous.ordinal + 1) {
                throw FileFormat.corrupt(s.path, 0, s.firstSeq, "segment ordinal " + s.ordinal + " follows ordinal "
                        + previous.ordinal + " (" + previous.path.getFileName() + "): "
                        + (s.ordinal > previous.ordinal ? (s.ordinal - previous.ordinal - 1) + " segment(s) are missing"
                                : "the segments are out of order")
                        + ", so seqs from " + previous.firstSeq + " to " + (s.firstSeq - 1) + " cannot be trusted");
            }
            previous = s;
        }
    }

    private void recoverTail() throws IOException {
        while (!segments.isEmpty()) {
            Segment t = segments.lastEntry().getValue();
            TailRecovery.Result r = TailRecovery.recover(t);
            int count = r.offsets().count();
            if (count == 0 || t.firstSeq + count - 1 <= prefixPoint) {
                LOG.log(System.Logger.Level.INFO, FileFormat.BACKEND + ": deleting " + t.path + ", which holds "
                        + (count == 0 ? "no record (none reached the disk before a crash)"
                                : "only records at or below the prefix truncation point " + prefixPoint));
                deleteSegment(t);
                io.syncDirectory(dir);
                continue;
            }
            // What open read may still be only in the page cache (a process crash, or a close without
            // sync): force it before any record can claim it as synced (see TailRecovery). This also
            // makes a torn tail's clearing durable.
            t.handle().force(false);
            t.resetSynced(r.offsets().dataEnd());
            t.setOffsets(r.offsets());
            t.setSealed(r.sealed());
            tail = t;
            range = new Range(Math.max(segments.firstKey(), prefixPoint + 1), t.firstSeq + count - 1);
            return;
        }
        tail = null;
        range = Range.EMPTY;
    }

    // ---------------------------------------------------------------------------------------------
    // records

    @Override
    public void append(List<LogRecord> records) throws IOException {
        if (records == null) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": records must not be null");
        }
        Lock l = lock.readLock();
        l.lock();
        try {
            checkWritable();
            if (records.isEmpty()) {
                return;
            }
            LogRecord[] batch = records.toArray(new LogRecord[0]);
            checkBatch(batch);
            try {
                write(batch);
            } catch (IOException | RuntimeException e) {
                fail(e);
                throw e;
            }
        } finally {
            l.unlock();
        }
    }

    private void checkBatch(LogRecord[] records) {
        Range r = range;
        LogRecord head = records[0];
        if (head == null) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": append batch holds null at index 0");
        }
        long first = head.seq();
        if (!r.isEmpty() && first != r.last() + 1) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": append expected seq " + (r.last() + 1)
                    + " (lastSeq " + r.last() + " + 1), got " + first);
        }
        if (r.isEmpty() && first <= prefixPoint) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": append to the empty log expected a seq above "
                    + prefixPoint + " (the prefix truncation point), got " + first);
        }
        for (int i = 0; i < records.length; i++) {
            LogRecord rec = records[i];
            if (rec == null) {
                throw new IllegalArgumentException(FileFormat.BACKEND + ": append batch holds null at index " + i);
            }
            if (rec.seq() != first + i) {
                throw new IllegalArgumentException(FileFormat.BACKEND + ": append batch is not contiguous: index " + i
                        + " expected seq " + (first + i) + ", got " + rec.seq());
            }
            if (rec.data().length > maxRecordSize) {
                throw new IllegalArgumentException(FileFormat.BACKEND + ": record at seq " + rec.seq() + " is "
                        + rec.data().length + " bytes; the limit is " + maxRecordSize + " bytes (maxSegmentSize "
                        + segmentSize + " - " + RECORD_MARGIN + ")");
            }
        }
    }

    /**
     * Writes the batch segment by segment: the records that fit in the tail go out in one positional
     * write of a reused direct buffer (more only when the batch exceeds the buffer), then are
     * published; a record that does not fit seals the tail and starts a new segment.
     */
    private void write(LogRecord[] records) throws IOException {
        int n = records.length;
        int[] ends = new int[n];
        int i = 0;
        while (i < n) {
            long seq = records[i].seq();
            Segment t = tail;
            if (t == null) {
                t = startSegment(seq, 0);
            } else if (t.isSealed()) {
                t = startSegment(seq, t.ordinal + 1);
            }
            RecordOffsets offsets = t.offsets();
            int count = offsets.count();
            long start = offsets.dataEnd();
            long pos = start;
            int capacity = t.capacity();
            int j = i;
            while (j < n) {
                long end = pos + RecordFormat.HEADER_SIZE + records[j].data().length;
                if (end + SegmentIndex.reservedBytes(count + (j - i) + 1L) > capacity) {
                    break;
                }
                ends[j - i] = (int) end;
                pos = end;
                j++;
            }
            if (j == i) {
                if (count == 0) {
                    throw new IllegalStateException(FileFormat.BACKEND + ": record at seq " + seq + " of "
                            + records[i].data().length + " bytes does not fit in the empty segment " + t.path);
                }
                seal(t);
                continue;
            }
            writeRecords(t.handle(), records, i, j, start, t.synced());
            offsets.append(ends, j - i);
            Range r = range;
            range = new Range(r.isEmpty() ? seq : r.first(), records[j - 1].seq());
            i = j;
        }
    }

    private Segment startSegment(long firstSeq, long ordinal) throws IOException {
        Segment s = Segment.create(io, dir, firstSeq, ordinal, segmentSize, preallocate);
        segments.put(firstSeq, s);
        tail = s;
        return s;
    }

    /**
     * Seals a full tail: its records are forced first, then the index and trailer are written and
     * forced, and only then may a next segment exist. A valid seal thus proves its records were durable.
     */
    private void seal(Segment t) throws IOException {
        FileHandle h = t.handle();
        h.force(false);
        SegmentIndex.write(h, t.header(), t.offsets());
        h.force(false);
        t.setSealed(true);
        rememberLoadedIndex(t);
        // a sealed segment is only read from now on: one descriptor per sealed segment, not two
        h.writesDone();
    }

    /**
     * Writes records {@code from..to-1} at {@code position}, each header carrying {@code synced}, the
     * watermark published before the batch began (a sync finishing meanwhile only makes it conservative).
     */
    private void writeRecords(FileHandle h, LogRecord[] records, int from, int to, long position, int synced)
            throws IOException {
        ByteBuffer buf = writeBuffer;
        buf.clear();
        long filePos = position;
        for (int k = from; k < to; k++) {
            LogRecord r = records[k];
            byte[] data = r.data();
            int crc = RecordFormat.checksum(writeCrc, scratch, r.seq(), synced, data);
            if (buf.remaining() < RecordFormat.HEADER_SIZE) {
                filePos = flush(h, buf, filePos);
            }
            RecordFormat.putHeader(buf, data.length, r.seq(), synced, crc);
            for (int off = 0; off < data.length; ) {
                if (!buf.hasRemaining()) {
                    filePos = flush(h, buf, filePos);
                }
                int m = Math.min(buf.remaining(), data.length - off);
                buf.put(data, off, m);
                off += m;
            }
        }
        flush(h, buf, filePos);
    }

    private static long flush(FileHandle h, ByteBuffer buf, long filePos) throws IOException {
        buf.flip();
        int n = buf.remaining();
        h.writeFully(buf, filePos);
        buf.clear();
        return filePos + n;
    }

    @Override
    public Optional<byte[]> read(long seq) throws IOException {
        checkSeq("read", seq);
        Lock l = lock.readLock();
        l.lock();
        try {
            checkOpen();
            Range r = range;
            if (r.isEmpty() || seq < r.first() || seq > r.last()) {
                return Optional.empty();
            }
            Segment s = segments.floorEntry(seq).getValue();
            RecordOffsets offsets = offsetsOf(s, r);
            int i = (int) (seq - s.firstSeq);
            return Optional.of(s.read(seq, offsets.start(i), offsets.end(i)));
        } finally {
            l.unlock();
        }
    }

    @Override
    public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
        if (visitor == null) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": scan visitor must not be null");
        }
        Lock l = lock.readLock();
        l.lock();
        try {
            checkOpen();
            Range r = range;
            if (r.isEmpty()) {
                return;
            }
            long lo = Math.max(fromSeq, r.first());
            long hi = Math.min(toSeqInclusive, r.last());
            if (lo > hi) {
                return;
            }
            for (Segment s : segments.tailMap(segments.floorKey(lo), true).values()) {
                if (s.firstSeq > hi) {
                    break;
                }
                Long next = segments.higherKey(s.firstSeq);
                long last = next == null ? r.last() : Math.min(next - 1, r.last());
                long a = Math.max(lo, s.firstSeq);
                long b = Math.min(hi, last);
                if (a > b) {
                    continue;
                }
                // The index is checked too, so that a full scan is a full verification (G4).
                s.scan(offsetsOf(s, r), a, b, visitor);
            }
        } finally {
            l.unlock();
        }
    }

    /** The record ends of {@code s}, reading a sealed segment's index when it is not in memory. */
    private RecordOffsets offsetsOf(Segment s, Range r) throws IOException {
        RecordOffsets offsets = s.offsets();
        if (offsets != null) {
            return offsets;
        }
        Long next = segments.higherKey(s.firstSeq);
        long expected = next != null ? next - s.firstSeq : r.last() - s.firstSeq + 1;
        offsets = SegmentIndex.read(s.handle(), s.header(), expected);
        s.setOffsets(offsets);
        rememberLoadedIndex(s);
        return offsets;
    }

    /** Keeps at most {@link #LOADED_INDEX_LIMIT} sealed indexes in memory, dropping the least recent. */
    private void rememberLoadedIndex(Segment s) {
        synchronized (loadedIndexes) {
            loadedIndexes.remove(s);
            loadedIndexes.addLast(s);
            while (loadedIndexes.size() > LOADED_INDEX_LIMIT) {
                loadedIndexes.removeFirst().dropOffsetsIfSealed();
            }
        }
    }

    private void forgetLoadedIndex(Segment s) {
        synchronized (loadedIndexes) {
            loadedIndexes.remove(s);
        }
    }

    @Override
    public long firstSeq() {
        checkOpen();
        return range.first();
    }

    @Override
    public long lastSeq() {
        checkOpen();
        return range.last();
    }

    @Override
    public void truncatePrefix(long upToSeqInclusive) throws IOException {
        checkSeq("truncatePrefix", upToSeqInclusive);
        checkNotInScan("truncatePrefix");
        Lock l = lock.writeLock();
        l.lock();
        try {
            checkWritable();
            long n = upToSeqInclusive;
            if (n <= prefixPoint) {
                return;
            }
            try {
                // The point is durable before any segment goes, so a crash leaves no hole (G6).
                new TruncationState(n, -1, -1).write(io, dir);
                prefixPoint = n;
                Range r = range;
                if (r.isEmpty() || n < r.first()) {
                    return;
                }
                List<Segment> drop = new ArrayList<>();
                if (n >= r.last()) {
                    drop.addAll(segments.values());
                    tail = null;
                    range = Range.EMPTY;
                } else {
                    for (Map.Entry<Long, Segment> e : segments.entrySet()) {
                        Long next = segments.higherKey(e.getKey());
                        if (next == null || next > n + 1) {
                            break;
                        }
                        drop.add(e.getValue());
                    }
                    range = new Range(n + 1, r.last());
                }
                for (Segment s : drop) {
                    deleteSegment(s);
                }
                if (!drop.isEmpty()) {
                    io.syncDirectory(dir);
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
                throw e;
            }
        } finally {
            l.unlock();
        }
    }

    /**
     * Drops later segments from the end backwards, then clears the cut segment from the cut on.
     * Durable on return, not only after the next sync: the cut is persisted in
     * {@link TruncationState} before any byte is cleared, so a crash while clearing, which may keep
     * some cleared sectors and lose others, is finished at open instead of read as damage.
     */
    @Override
    public void truncateSuffix(long fromSeqInclusive) throws IOException {
        checkSeq("truncateSuffix", fromSeqInclusive);
        checkNotInScan("truncateSuffix");
        Lock l = lock.writeLock();
        l.lock();
        try {
            checkWritable();
            long n = fromSeqInclusive;
            Range r = range;
            if (r.isEmpty() || n > r.last()) {
                return;
            }
            try {
                if (n <= r.first()) {
                    deleteFromEnd(new ArrayList<>(segments.values()));
                    tail = null;
                    range = Range.EMPTY;
                    return;
                }
                Segment k = segments.floorEntry(n).getValue();
                // Read a sealed index while the next segment still vouches for its record count.
                RecordOffsets offsets = n == k.firstSeq ? null : offsetsOf(k, r);
                deleteFromEnd(new ArrayList<>(segments.tailMap(k.firstSeq, false).values()));
                if (offsets == null) {
                    deleteFromEnd(List.of(k));
                    tail = segments.lastEntry().getValue();
                } else {
                    cut(k, offsets, n);
                    tail = k;
                }
                range = new Range(r.first(), n - 1);
            } catch (IOException | RuntimeException e) {
                fail(e);
                throw e;
            }
        } finally {
            l.unlock();
        }
    }

    private void cut(Segment k, RecordOffsets offsets, long n) throws IOException {
        int keep = (int) (n - k.firstSeq);
        int cutOffset = offsets.start(keep);
        boolean sealed = k.isSealed();
        long dirtyEnd = offsets.dataEnd() + (sealed ? (long) SegmentIndex.ENTRY_SIZE * offsets.count() : 0);
        TruncationState cutState = new TruncationState(prefixPoint, k.firstSeq, cutOffset);
        cutState.write(io, dir);
        FileHandle h = k.handle();
        Segment.zero(h, cutOffset, dirtyEnd);
        if (sealed) {
            long trailer = SegmentIndex.trailerOffset(k.header());
            Segment.zero(h, trailer, trailer + SegmentIndex.TRAILER_SIZE);
        }
        h.force(false);
        // That force covered the kept records too, and the watermark must not stay above the cut: a
        // record appended at the cut would otherwise vouch for bytes that are gone.
        k.resetSynced(cutOffset);
        cutState.withoutCut().write(io, dir);
        int[] kept = Arrays.copyOf(offsets.toArray(), Math.max(keep, 64));
        k.setSealed(false);
        k.setOffsets(new RecordOffsets(kept, keep));
        forgetLoadedIndex(k);
    }

    /** Deletes {@code drop} last first, syncing the directory after each, so no crash leaves a hole in the chain. */
    private void deleteFromEnd(List<Segment> drop) throws IOException {
        List<Segment> reversed = new ArrayList<>(drop);
        Collections.reverse(reversed);
        for (Segment s : reversed) {
            deleteSegment(s);
            io.syncDirectory(dir);
        }
    }

    private void deleteSegment(Segment s) throws IOException {
        segments.remove(s.firstSeq, s);
        forgetLoadedIndex(s);
        s.close();
        io.delete(s.path);
    }

    // ---------------------------------------------------------------------------------------------
    // checkpoints and metadata

    @Override
    public void putCheckpoint(long seq, byte[] state) throws IOException {
        checkSeq("putCheckpoint", seq);
        if (state == null) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": checkpoint state at seq " + seq + " must not be null");
        }
        checkWritable();
        try {
            checkpoints.put(seq, state);
        } catch (IOException e) {
            fail(e);
            throw e;
        }
    }

    @Override
    public Optional<byte[]> readCheckpoint(long seq) throws IOException {
        checkSeq("readCheckpoint", seq);
        checkOpen();
        return checkpoints.read(seq);
    }

    @Override
    public long[] checkpointSeqs() {
        checkOpen();
        return checkpoints.seqs();
    }

    @Override
    public void deleteCheckpoint(long seq) throws IOException {
        checkSeq("deleteCheckpoint", seq);
        checkWritable();
        try {
            checkpoints.delete(seq);
        } catch (IOException e) {
            fail(e);
            throw e;
        }
    }

    @Override
    public void putMeta(String key, byte[] value) throws IOException {
        checkKey(key);
        if (value == null) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": metadata value of '" + key + "' must not be null");
        }
        checkWritable();
        try {
            meta.put(key, value);
        } catch (IOException e) {
            fail(e);
            throw e;
        }
    }

    @Override
    public Optional<byte[]> getMeta(String key) throws IOException {
        checkKey(key);
        checkOpen();
        return meta.get(key);
    }

    // ---------------------------------------------------------------------------------------------
    // durability and lifecycle

    /**
     * Forces the tail only: every earlier segment was forced when it was sealed, and truncations and
     * state files are durable when their calls return. The tail's synced watermark is raised to the
     * data end read before the force began (those bytes were written before it, so it covers them),
     * and only once the force has returned: a concurrent append reads the value from before this sync
     * or after it, never one that a running force has not yet made true.
     */
    @Override
    public void sync() throws IOException {
        Lock l = lock.readLock();
        l.lock();
        try {
            checkWritable();
            Segment t = tail;
            if (t != null) {
                try {
                    RecordOffsets offsets = t.offsets(); // null for a sealed tail whose index was let go
                    int end = offsets != null ? offsets.dataEnd() : -1;
                    t.handle().force(false);
                    if (end >= 0) {
                        t.markSynced(end);
                    }
                } catch (IOException | RuntimeException e) {
                    fail(e);
                    throw e;
                }
            }
        } finally {
            l.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        checkNotInScan("close");
        Lock l = lock.writeLock();
        l.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            IOException first = null;
            for (Segment s : segments.values()) {
                try {
                    s.close();
                } catch (IOException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            l.unlock();
        }
    }

    private void closeAfterFailure(Throwable failure) {
        try {
            close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Remembers the first failure of a mutation; every later mutation is refused (fail-stop, G8). */
    private void fail(Throwable e) {
        failure.compareAndSet(null, e);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(FileFormat.BACKEND + ": storage in " + dir + " is closed");
        }
    }

    private void checkWritable() throws IOException {
        checkOpen();
        Throwable f = failure.get();
        if (f != null) {
            throw new IOException(FileFormat.BACKEND + ": storage in " + dir + " refuses changes after an earlier "
                    + "I/O failure (" + f + "); nothing after it was acknowledged; reopen the log once the cause "
                    + "is fixed", f);
        }
    }

    /** A scan holds the read lock while it visits; taking the write lock from its visitor would deadlock. */
    private void checkNotInScan(String op) {
        if (lock.getReadHoldCount() > 0) {
            throw new IllegalStateException(FileFormat.BACKEND + ": " + op + " called from inside a scan visitor; "
                    + "finish the scan first");
        }
    }

    private static void checkSeq(String op, long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": " + op + " needs a seq >= 0, got " + seq);
        }
    }

    private static void checkKey(String key) {
        if (key == null || !MetaStore.KEY.matcher(key).matches()) {
            throw new IllegalArgumentException(FileFormat.BACKEND + ": metadata key must be 1-128 characters of "
                    + "[A-Za-z0-9._-], got " + (key == null ? "null" : "'" + key + "'"));
        }
    }

    @Override
    public String toString() {
        return "FileLogStorage[" + dir + ", " + range.first() + ".." + range.last() + "]";
    }
}
