package io.atlas.log.file;

import io.atlas.log.spi.RecordVisitor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * One segment file, {@code seg-<firstSeq>-<ordinal>.log} (both 20 digits): a {@link SegmentHeader},
 * records in {@link RecordFormat}, zeros, and once sealed a {@link SegmentIndex}. The file is opened
 * on first use, so a log with many sealed segments opens without touching them.
 */
final class Segment {

    private static final Pattern NAME = Pattern.compile("seg-(\\d{20})-(\\d{20})\\.log");
    private static final int ZERO_CHUNK = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();
    private static final int SCAN_CHUNK = 256 << 10;

    final Path path;
    final long firstSeq;
    final long ordinal;
    private final FileIo io;
    private volatile FileHandle handle;      // written under this
    private boolean closed;                  // guarded by this
    private volatile SegmentHeader header;
    /** Record ends; always set for the tail, loaded on demand (and dropped again) for a sealed segment. */
    private volatile RecordOffsets offsets;
    private volatile boolean sealed;
    /**
     * The synced watermark: every byte before this offset is known durable, covered by a force that has
     * returned. Written into each record header ({@link RecordFormat}); only ever a published record end
     * or the header end, and only raised after the force that covers it completed.
     */
    private final AtomicInteger synced = new AtomicInteger(SegmentHeader.SIZE);

    private Segment(FileIo io, Path path, long firstSeq, long ordinal) {
        this.io = io;
        this.path = path;
        this.firstSeq = firstSeq;
        this.ordinal = ordinal;
    }

    static String fileName(long firstSeq, long ordinal) {
        return String.format("seg-%020d-%020d.log", firstSeq, ordinal);
    }

    static boolean isName(String fileName) {
        return NAME.matcher(fileName).matches();
    }

    /** The segment a file name describes, or null when the name is not a segment's. */
    static Segment parse(FileIo io, Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            return null;
        }
        try {
            return new Segment(io, file, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Creates a segment durably before any record goes into it: the header and the zeros are written
     * to a temporary file and forced, then the file is renamed into place and the directory forced.
     * A crash leaves either no segment or a complete empty one, and the synced watermark of the new
     * segment starts at its header's end.
     */
    static Segment create(FileIo io, Path dir, long firstSeq, long ordinal, int capacity, boolean preallocate)
            throws IOException {
        Path path = dir.resolve(fileName(firstSeq, ordinal));
        Path temp = dir.resolve(path.getFileName() + FileFormat.TEMP_SUFFIX);
        io.delete(temp);
        SegmentHeader header = new SegmentHeader(firstSeq, ordinal, capacity);
        try (FileHandle h = io.open(temp, FileIo.OpenMode.CREATE_NEW)) {
            h.writeFully(header.encode(), 0);
            if (preallocate) {
                zero(h, SegmentHeader.SIZE, capacity);
            }
            h.force(true);
        }
        io.rename(temp, path);
        io.syncDirectory(dir);
        Segment s = new Segment(io, path, firstSeq, ordinal);
        s.offsets = RecordOffsets.empty();
        s.handle();
        return s;
    }

    /** Writes zeros over {@code [from, to)}. */
    static void zero(FileHandle h, long from, long to) throws IOException {
        for (long pos = from; pos < to; ) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit((int) Math.min(ZERO_CHUNK, to - pos));
            int n = z.remaining();
            h.writeFully(z, pos);
            pos += n;
        }
    }

    /** The open file; opened and its header checked on first use. */
    FileHandle handle() throws IOException {
        FileHandle h = handle;
        return h != null ? h : openHandle();
    }

    private synchronized FileHandle openHandle() throws IOException {
        if (closed) {
            throw new IllegalStateException(FileFormat.BACKEND + ": segment " + path + " is closed");
        }
        if (handle == null) {
            FileHandle h = io.open(path, FileIo.OpenMode.READ_WRITE);
            try {
                header = SegmentHeader.read(h, firstSeq, ordinal);
            } catch (IOException | RuntimeException e) {
                closeAfterFailure(h, e);
                throw e;
            }
            handle = h;
        }
        return handle;
    }

    private static void closeAfterFailure(FileHandle h, Throwable failure) {
        try {
            h.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    SegmentHeader header() throws IOException {
        handle();
        return header;
    }

    int capacity() throws IOException {
        return header().capacity();
    }

    /** Loaded record ends, or null for a sealed segment whose index is not in memory. */
    RecordOffsets offsets() {
        return offsets;
    }

    void setOffsets(RecordOffsets offsets) {
        this.offsets = offsets;
    }

    /** Lets the index of a sealed segment go; it is read again when needed. */
    void dropOffsetsIfSealed() {
        if (sealed) {
            offsets = null;
        }
    }

    boolean isSealed() {
        return sealed;
    }

    void setSealed(boolean sealed) {
        this.sealed = sealed;
    }

    /** The synced watermark as last published; a writer building a header reads it once per batch. */
    int synced() {
        return synced.get();
    }

    /**
     * Raises the watermark to {@code end} after a force that covers it has returned. Concurrent syncs
     * may finish out of order; the watermark never goes down here.
     */
    void markSynced(int end) {
        synced.accumulateAndGet(end, Math::max);
    }

    /**
     * Sets the watermark to {@code end} exactly, which may lower it: at open and after a suffix cut,
     * each right after a force of the file, while no writer or sync runs.
     */
    void resetSynced(int end) {
        synced.set(end);
    }

    /**
     * Reads record {@code seq} stored in {@code [start, end)}.
     *
     * @throws io.atlas.log.CorruptLogException if the bytes there are not that record
     */
    byte[] read(long seq, int start, int end) throws IOException {
        FileHandle h = handle();
        byte[] head = new byte[RecordFormat.HEADER_SIZE];
        int got = h.readFully(head, 0, head.length, start);
        if (got < head.length) {
            throw FileFormat.corrupt(path, start, seq, "record header cut off: the file ends at " + (start + got));
        }
        checkHeader(head, 0, start, seq, end);
        int length = RecordFormat.length(head, 0);
        if (start + RecordFormat.HEADER_SIZE + length != end) {
            throw FileFormat.corrupt(path, start, seq, "record length " + length + ", but the index says the record is "
                    + (end - start - RecordFormat.HEADER_SIZE) + " bytes");
        }
        byte[] payload = new byte[length];
        got = h.readFully(payload, 0, length, start + RecordFormat.HEADER_SIZE);
        if (got < length) {
            throw FileFormat.corrupt(path, start, seq, "record cut off: the file ends at "
                    + (start + RecordFormat.HEADER_SIZE + got));
        }
        checkCrc(new CRC32C(), head, 0, payload, 0, length, start, seq);
        return payload;
    }

    /**
     * Visits records {@code fromSeq..toSeq}, located by {@code offsets}. Each record is checked
     * against its CRC and against the index; a bad one throws {@link io.atlas.log.CorruptLogException}.
     */
    void scan(RecordOffsets offsets, long fromSeq, long toSeq, RecordVisitor visitor) throws IOException {
        int firstIndex = (int) (fromSeq - firstSeq);
        int lastIndex = (int) (toSeq - firstSeq);
        long maxEnd = offsets.end(lastIndex);
        ReadWindow w = new ReadWindow(handle(), maxEnd, SCAN_CHUNK);
        CRC32C crc = new CRC32C();
        long pos = offsets.start(firstIndex);
        for (int i = firstIndex; i <= lastIndex; i++) {
            long seq = firstSeq + i;
            int got = w.load(pos, RecordFormat.HEADER_SIZE);
            if (got < RecordFormat.HEADER_SIZE) {
                throw FileFormat.corrupt(path, pos, seq, "record header cut off at offset " + (pos + got));
            }
            checkHeader(w.array(), w.index(pos), pos, seq, maxEnd);
            int length = RecordFormat.length(w.array(), w.index(pos));
            int size = RecordFormat.HEADER_SIZE + length;
            if (pos + size != offsets.end(i)) {
                throw FileFormat.corrupt(path, pos, seq, "record length " + length + ", but the index says the record "
                        + "ends at offset " + offsets.end(i));
            }
            if (w.load(pos, size) < size) {
                throw FileFormat.corrupt(path, pos, seq, "record cut off: the file ends inside it");
            }
            byte[] b = w.array();
            int at = w.index(pos);
            checkCrc(crc, b, at, b, at + RecordFormat.HEADER_SIZE, length, pos, seq);
            visitor.visit(seq, Arrays.copyOfRange(b, at + RecordFormat.HEADER_SIZE, at + size));
            pos += size;
        }
    }

    private void checkHeader(byte[] b, int at, long offset, long seq, long maxEnd) {
        if (RecordFormat.isZero(b, at, at + RecordFormat.HEADER_SIZE)) {
            throw FileFormat.corrupt(path, offset, seq, "zeros where the record header belongs");
        }
        String problem = RecordFormat.headerProblem(b, at, offset, seq, maxEnd);
        if (problem != null) {
            throw FileFormat.corrupt(path, offset, seq, problem);
        }
    }

    private void checkCrc(CRC32C crc, byte[] head, int headAt, byte[] payload, int off, int len, long offset, long seq) {
        int computed = RecordFormat.checksum(crc, head, headAt, payload, off, len);
        int stored = RecordFormat.storedChecksum(head, headAt);
        if (computed != stored) {
            throw FileFormat.corrupt(path, offset, seq, "record CRC32C mismatch (stored " + FileFormat.hex(stored)
                    + ", computed " + FileFormat.hex(computed) + ")");
        }
    }

    /** Closes the file; further use throws {@link IllegalStateException}. Idempotent. */
    synchronized void close() throws IOException {
        closed = true;
        if (handle != null) {
            FileHandle h = handle;
            handle = null;
            h.close();
        }
    }

    @Override
    public String toString() {
        return path.getFileName().toString();
    }
}
