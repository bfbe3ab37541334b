package io.atlas.log.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * What a sealed segment says about itself, so that open never reads it and a random read finds a
 * record without scanning: right after the last record, the end offset of every record
 * ({@code int} each); in the last 32 bytes of the segment, a trailer
 * {@code magic:int version:int firstSeq:long count:int indexOffset:int indexCrc:int crc:int}.
 * Appends keep room for both, so sealing never moves a record.
 */
final class SegmentIndex {

    static final int TRAILER_SIZE = 32;
    static final int ENTRY_SIZE = 4;
    private static final int CHECKED = 28;

    private SegmentIndex() {
    }

    /** Bytes a segment keeps free behind its records so that {@code records} of them can be sealed. */
    static long reservedBytes(long records) {
        return ENTRY_SIZE * records + TRAILER_SIZE;
    }

    /** Writes the index and trailer of a segment holding {@code offsets}; the caller forces the file. */
    static void write(FileHandle h, SegmentHeader header, RecordOffsets offsets) throws IOException {
        int[] ends = offsets.toArray();
        int indexOffset = offsets.dataEnd();
        if (ends.length == 0 || indexOffset + reservedBytes(ends.length) > header.capacity()) {
            throw new IllegalStateException(FileFormat.BACKEND + ": cannot seal " + h.path() + " holding "
                    + ends.length + " records ending at " + indexOffset + " within capacity " + header.capacity());
        }
        ByteBuffer index = ByteBuffer.allocate(ENTRY_SIZE * ends.length);
        index.asIntBuffer().put(ends);
        CRC32C crc = new CRC32C();
        crc.update(index.array(), 0, index.capacity());
        int indexCrc = (int) crc.getValue();
        byte[] t = new byte[TRAILER_SIZE];
        FileFormat.putInt(t, 0, FileFormat.INDEX_MAGIC);
        FileFormat.putInt(t, 4, FileFormat.VERSION);
        FileFormat.putLong(t, 8, header.firstSeq());
        FileFormat.putInt(t, 16, ends.length);
        FileFormat.putInt(t, 20, indexOffset);
        FileFormat.putInt(t, 24, indexCrc);
        FileFormat.putInt(t, CHECKED, trailerCrc(t));
        h.writeFully(index, indexOffset);
        h.writeFully(ByteBuffer.wrap(t), trailerOffset(header));
    }

    static long trailerOffset(SegmentHeader header) {
        return (long) header.capacity() - TRAILER_SIZE;
    }

    /**
     * Reads and checks the index of a sealed segment.
     *
     * @param expectedCount the records the segment must hold (from the next segment's name), or -1
     * @throws io.atlas.log.CorruptLogException      if the trailer or index is damaged or disagrees
     * @throws io.atlas.log.IncompatibleLogException if a newer format wrote the trailer
     */
    static RecordOffsets read(FileHandle h, SegmentHeader header, long expectedCount) throws IOException {
        Path file = h.path();
        long first = header.firstSeq();
        long at = trailerOffset(header);
        byte[] t = new byte[TRAILER_SIZE];
        int got = h.readFully(t, 0, TRAILER_SIZE, at);
        if (got < TRAILER_SIZE) {
            throw FileFormat.corrupt(file, at, first, "sealed segment trailer missing: the file ends at "
                    + (at + got) + ", before its capacity " + header.capacity());
        }
        if (RecordFormat.isZero(t, 0, TRAILER_SIZE)) {
            throw FileFormat.corrupt(file, at, first, "sealed segment trailer is all zeros");
        }
        FileFormat.checkMagicAndVersion(file, at, "segment trailer", first, FileFormat.getInt(t, 0),
                FileFormat.INDEX_MAGIC, FileFormat.getInt(t, 4));
        int stored = FileFormat.getInt(t, CHECKED);
        int computed = trailerCrc(t);
        if (stored != computed) {
            throw FileFormat.corrupt(file, at, first, "segment trailer CRC32C mismatch (stored " + FileFormat.hex(stored)
                    + ", computed " + FileFormat.hex(computed) + ")");
        }
        long trailerFirst = FileFormat.getLong(t, 8);
        int count = FileFormat.getInt(t, 16);
        int indexOffset = FileFormat.getInt(t, 20);
        if (trailerFirst != first) {
            throw FileFormat.corrupt(file, at, first, "segment trailer says first seq " + trailerFirst);
        }
        long maxCount = (header.capacity() - SegmentHeader.SIZE - TRAILER_SIZE)
                / (RecordFormat.HEADER_SIZE + ENTRY_SIZE);
        if (count < 1 || count > maxCount || indexOffset < SegmentHeader.SIZE + RecordFormat.HEADER_SIZE
                || indexOffset + reservedBytes(count) > header.capacity()) {
            throw FileFormat.corrupt(file, at, first, "segment trailer holds impossible values: " + count
                    + " records, index at offset " + indexOffset + ", capacity " + header.capacity());
        }
        if (expectedCount >= 0 && count != expectedCount) {
            throw FileFormat.corrupt(file, at, first, "sealed segment holds " + count + " records (seqs " + first + ".."
                    + (first + count - 1) + ") but the next segment starts at seq " + (first + expectedCount)
                    + ": records are missing or a segment is damaged");
        }
        byte[] index = new byte[ENTRY_SIZE * count];
        if (h.readFully(index, 0, index.length, indexOffset) < index.length) {
            throw FileFormat.corrupt(file, indexOffset, first, "segment index incomplete: the file ends inside it");
        }
        CRC32C crc = new CRC32C();
        crc.update(index, 0, index.length);
        int indexCrc = (int) crc.getValue();
        if (indexCrc != FileFormat.getInt(t, 24)) {
            throw FileFormat.corrupt(file, indexOffset, first, "segment index CRC32C mismatch (stored "
                    + FileFormat.hex(FileFormat.getInt(t, 24)) + ", computed " + FileFormat.hex(indexCrc) + ")");
        }
        int[] ends = new int[count];
        long previous = SegmentHeader.SIZE;
        for (int i = 0; i < count; i++) {
            ends[i] = FileFormat.getInt(index, ENTRY_SIZE * i);
            if (ends[i] < previous + RecordFormat.HEADER_SIZE || ends[i] > indexOffset) {
                throw FileFormat.corrupt(file, indexOffset + (long) ENTRY_SIZE * i, first + i,
                        "segment index gives record end " + ends[i] + " after end " + previous
                                + " (records end by offset " + indexOffset + ")");
            }
            previous = ends[i];
        }
        if (ends[count - 1] != indexOffset) {
            throw FileFormat.corrupt(file, indexOffset, first + count - 1, "segment index says the last record ends at "
                    + ends[count - 1] + ", but the index starts at " + indexOffset);
        }
        return new RecordOffsets(ends, count);
    }

    private static int trailerCrc(byte[] t) {
        CRC32C crc = new CRC32C();
        crc.update(t, 0, CHECKED);
        return (int) crc.getValue();
    }
}
