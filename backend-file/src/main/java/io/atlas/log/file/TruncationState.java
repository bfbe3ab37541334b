package io.atlas.log.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The file {@code truncation.state}: where the log was cut, written atomically before the cut touches
 * a segment, so that a crash in the middle of a truncation is finished at the next open.
 * {@code magic:int version:int prefixPoint:long cutSegment:long cutOffset:long crc:int}.
 *
 * @param prefixPoint records at or below it are gone (-1: none); survives reopen, so an empty log
 *                    still refuses appends at or below it
 * @param cutSegment  first seq of a segment being cut by {@code truncateSuffix}, or -1
 * @param cutOffset   where that segment's kept records end; everything from it on is to be zeros
 */
record TruncationState(long prefixPoint, long cutSegment, long cutOffset) {

    static final String FILE_NAME = "truncation.state";
    static final TruncationState INITIAL = new TruncationState(-1, -1, -1);
    private static final int SIZE = 36;
    private static final int CHECKED = 32;

    boolean hasCut() {
        return cutSegment >= 0;
    }

    TruncationState withoutCut() {
        return new TruncationState(prefixPoint, -1, -1);
    }

    void write(FileIo io, Path dir) throws IOException {
        byte[] b = new byte[SIZE];
        FileFormat.putInt(b, 0, FileFormat.STATE_MAGIC);
        FileFormat.putInt(b, 4, FileFormat.VERSION);
        FileFormat.putLong(b, 8, prefixPoint);
        FileFormat.putLong(b, 16, cutSegment);
        FileFormat.putLong(b, 24, cutOffset);
        FileFormat.putInt(b, CHECKED, crc(b));
        AtomicFile.write(io, dir, dir.resolve(FILE_NAME), b);
    }

    /**
     * The state in {@code dir}, {@link #INITIAL} when there is none.
     *
     * @throws io.atlas.log.CorruptLogException      if the file is damaged
     * @throws io.atlas.log.IncompatibleLogException if a newer format wrote it
     */
    static TruncationState read(FileIo io, Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        Optional<FileHandle> opened = AtomicFile.openIfExists(io, file);
        if (opened.isEmpty()) {
            return INITIAL;
        }
        try (FileHandle h = opened.get()) {
            long size = h.size();
            byte[] b = new byte[SIZE];
            int got = h.readFully(b, 0, SIZE, 0);
            if (got >= 8) {
                FileFormat.checkMagicAndVersion(file, 0, "truncation state", -1, FileFormat.getInt(b, 0),
                        FileFormat.STATE_MAGIC, FileFormat.getInt(b, 4));
            }
            if (size != SIZE || got != SIZE) {
                throw FileFormat.corrupt(file, Math.min(size, got), -1, "truncation state is " + size
                        + " bytes, expected " + SIZE);
            }
            int stored = FileFormat.getInt(b, CHECKED);
            int computed = crc(b);
            if (stored != computed) {
                throw FileFormat.corrupt(file, 0, -1, "truncation state CRC32C mismatch (stored " + FileFormat.hex(stored)
                        + ", computed " + FileFormat.hex(computed) + ")");
            }
            TruncationState s = new TruncationState(FileFormat.getLong(b, 8), FileFormat.getLong(b, 16),
                    FileFormat.getLong(b, 24));
            if (s.prefixPoint < -1 || s.cutSegment < -1
                    || s.hasCut() && (s.cutOffset < SegmentHeader.SIZE || s.cutOffset > Integer.MAX_VALUE)) {
                throw FileFormat.corrupt(file, 8, -1, "truncation state holds impossible values: " + s);
            }
            return s;
        }
    }

    private static int crc(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, CHECKED);
        return (int) crc.getValue();
    }
}
