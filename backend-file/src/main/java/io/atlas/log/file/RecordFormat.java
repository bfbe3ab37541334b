package io.atlas.log.file;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One record in a segment: {@code length:int seq:long crc:int} then {@code length} payload bytes.
 * The CRC32C covers the length, the seq and the payload, so a record read back either matches
 * byte for byte or is detected. A header of 16 zero bytes is never a record: the CRC of a length-0
 * record at seq 0 is not 0.
 */
final class RecordFormat {

    static final int HEADER_SIZE = 16;
    private static final int CHECKED_HEADER_BYTES = 12;

    private RecordFormat() {
    }

    /** The checksum of a record; {@code scratch} holds at least 12 bytes. */
    static int checksum(CRC32C crc, byte[] scratch, long seq, byte[] payload) {
        FileFormat.putInt(scratch, 0, payload.length);
        FileFormat.putLong(scratch, 4, seq);
        crc.reset();
        crc.update(scratch, 0, CHECKED_HEADER_BYTES);
        crc.update(payload, 0, payload.length);
        return (int) crc.getValue();
    }

    /** The checksum of a record whose header is {@code header[0..16)} and whose payload is {@code payload[off..off+len)}. */
    static int checksum(CRC32C crc, byte[] header, int headerAt, byte[] payload, int off, int len) {
        crc.reset();
        crc.update(header, headerAt, CHECKED_HEADER_BYTES);
        crc.update(payload, off, len);
        return (int) crc.getValue();
    }

    static void putHeader(ByteBuffer dst, int length, long seq, int checksum) {
        dst.putInt(length).putLong(seq).putInt(checksum);
    }

    static int length(byte[] b, int at) {
        return FileFormat.getInt(b, at);
    }

    static long seq(byte[] b, int at) {
        return FileFormat.getLong(b, at + 4);
    }

    static int storedChecksum(byte[] b, int at) {
        return FileFormat.getInt(b, at + 12);
    }

    /**
     * Why the record header at {@code b[at..at+16)} cannot start the record {@code expectedSeq} ending
     * at or before {@code maxEnd} when placed at file offset {@code offset}, or null when it can.
     */
    static String headerProblem(byte[] b, int at, long offset, long expectedSeq, long maxEnd) {
        int length = length(b, at);
        if (length < 0 || offset + HEADER_SIZE + (long) length > maxEnd) {
            return "record length " + length + " does not fit in the segment (at most "
                    + Math.max(0, maxEnd - offset - HEADER_SIZE) + " bytes fit here)";
        }
        long seq = seq(b, at);
        if (seq != expectedSeq) {
            return "record holds seq " + seq + " where seq " + expectedSeq + " belongs";
        }
        return null;
    }

    static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
