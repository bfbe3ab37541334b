package io.atlas.log.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The first 32 bytes of a segment file: {@code magic:int version:int firstSeq:long ordinal:long
 * capacity:int crc:int}. The capacity is kept because the configured segment size may change between
 * opens, while the place of a sealed segment's trailer must not.
 *
 * @param firstSeq the seq of the segment's first record, also in its file name
 * @param ordinal  the segment's place in the chain, also in its file name; consecutive segments have
 *                 consecutive ordinals, so a missing one is seen from the names alone
 * @param capacity the segment's size in bytes, where its trailer ends
 */
record SegmentHeader(long firstSeq, long ordinal, int capacity) {

    static final int SIZE = 32;
    private static final int CHECKED = 28;

    ByteBuffer encode() {
        byte[] b = new byte[SIZE];
        FileFormat.putInt(b, 0, FileFormat.SEGMENT_MAGIC);
        FileFormat.putInt(b, 4, FileFormat.VERSION);
        FileFormat.putLong(b, 8, firstSeq);
        FileFormat.putLong(b, 16, ordinal);
        FileFormat.putInt(b, 24, capacity);
        FileFormat.putInt(b, CHECKED, crc(b));
        return ByteBuffer.wrap(b);
    }

    /**
     * Reads and checks the header of the segment named for {@code firstSeq} and {@code ordinal}.
     *
     * @throws io.atlas.log.CorruptLogException      if the header is damaged or does not match the name
     * @throws io.atlas.log.IncompatibleLogException if a newer format wrote it
     */
    static SegmentHeader read(FileHandle h, long firstSeq, long ordinal) throws IOException {
        Path file = h.path();
        byte[] b = new byte[SIZE];
        int got = h.readFully(b, 0, SIZE, 0);
        if (got < SIZE) {
            throw FileFormat.corrupt(file, 0, firstSeq, "segment header incomplete: the file holds " + got
                    + " of its " + SIZE + " bytes");
        }
        FileFormat.checkMagicAndVersion(file, 0, "segment", firstSeq, FileFormat.getInt(b, 0), FileFormat.SEGMENT_MAGIC,
                FileFormat.getInt(b, 4));
        int stored = FileFormat.getInt(b, CHECKED);
        int computed = crc(b);
        if (stored != computed) {
            throw FileFormat.corrupt(file, 0, firstSeq, "segment header CRC32C mismatch (stored "
                    + FileFormat.hex(stored) + ", computed " + FileFormat.hex(computed) + ")");
        }
        SegmentHeader header = new SegmentHeader(FileFormat.getLong(b, 8), FileFormat.getLong(b, 16),
                FileFormat.getInt(b, 24));
        if (header.firstSeq != firstSeq || header.ordinal != ordinal) {
            throw FileFormat.corrupt(file, 0, firstSeq, "segment header says first seq " + header.firstSeq
                    + " and ordinal " + header.ordinal + ", but the file name says " + firstSeq + " and " + ordinal);
        }
        if (header.capacity < SIZE + RecordFormat.HEADER_SIZE + SegmentIndex.reservedBytes(1)) {
            throw FileFormat.corrupt(file, 24, firstSeq, "segment capacity " + header.capacity + " is too small to hold a record");
        }
        return header;
    }

    private static int crc(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, CHECKED);
        return (int) crc.getValue();
    }
}
