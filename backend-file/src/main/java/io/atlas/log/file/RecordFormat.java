package io.atlas.log.file;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One record in a segment: {@code length:int seq:long synced:int crc:int} then {@code length} payload
 * bytes. The CRC32C covers the length, the seq, the synced watermark and the payload, so a record read
 * back either matches byte for byte or is detected.
 *
 * <p>{@code synced} is the segment offset up to which the segment was known durable when the record
 * was written: every byte before it had been covered by a completed force. It lies between the
 * segment header's end and the record's own offset; open uses it to tell a crash that persisted
 * unsynced writes out of order from damage to synced data ({@link TailRecovery}). A header of zero
 * bytes is never a record, since no record claims a watermark below the segment header's end.
 */
final class RecordFormat {

    static final int HEADER_SIZE = 20;
    private static final int CHECKED_HEADER_BYTES = 16;

    private RecordFormat() {
    }

    /** The checksum of a record; {@code scratch} holds at least 16 bytes. */
    static int checksum(CRC32C crc, byte[] scratch, long seq, int synced, byte[] payload) {
        FileFormat.putInt(scratch, 0, payload.length);
        FileFormat.putLong(scratch, 4, seq);
        FileFormat.putInt(scratch, 12, synced);
        crc.reset();
        crc.update(scratch, 0, CHECKED_HEADER_BYTES);
        crc.update(payload, 0, payload.length);
        return (int) crc.getValue();
    }

    /** The checksum of a record whose header is {@code header[at..at+20)} and whose payload is {@code payload[off..off+len)}. */
    static int checksum(CRC32C crc, byte[] header, int headerAt, byte[] payload, int off, int len) {
        crc.reset();
        crc.update(header, headerAt, CHECKED_HEADER_BYTES);
        crc.update(payload, off, len);
        return (int) crc.getValue();
    }

    static void putHeader(ByteBuffer dst, int length, long seq, int synced, int checksum) {
        dst.putInt(length).putLong(seq).putInt(synced).putInt(checksum);
    }

    static int length(byte[] b, int at) {
        return FileFormat.getInt(b, at);
    }

    static long seq(byte[] b, int at) {
        return FileFormat.getLong(b, at + 4);
    }

    /** The synced watermark: the segment offset known durable when the record was written. */
    static int synced(byte[] b, int at) {
        return FileFormat.getInt(b, at + 12);
    }

    static int storedChecksum(byte[] b, int at) {
        return FileFormat.getInt(b, at + 16);
    }

    /** True when the record at {@code offset} claims a watermark this code could have written there. */
    static boolean plausibleSynced(int synced, long offset) {
        return synced >= SegmentHeader.SIZE && synced <= offset;
    }

    /**
     * Why the record header at {@code b[at..at+20)} cannot start the record {@code expectedSeq} ending
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
        int synced = synced(b, at);
        if (!plausibleSynced(synced, offset)) {
            return "record says the segment was synced up to offset " + synced + " when it was written, which is "
                    + "not between the segment header's end " + SegmentHeader.SIZE + " and its own offset";
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
