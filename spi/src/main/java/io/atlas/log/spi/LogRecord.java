package io.atlas.log.spi;

import java.util.Arrays;

/**
 * One log record as a backend stores it: opaque bytes at a sequence number. The engine puts its own
 * envelope (format version, compression, CRC32C) inside {@code data}.
 *
 * @param seq  {@code >= 0}
 * @param data never null; the backend must not change it and may keep it
 */
public record LogRecord(long seq, byte[] data) {

    /**
     * @throws IllegalArgumentException if {@code seq} is negative or {@code data} is null
     */
    public LogRecord {
        if (seq < 0) {
            throw new IllegalArgumentException("record seq must be >= 0, got " + seq);
        }
        if (data == null) {
            throw new IllegalArgumentException("record data must not be null at seq " + seq);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogRecord r && r.seq == seq && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "LogRecord[seq=" + seq + ", data=byte[" + data.length + "]]";
    }
}
