package io.atlas.log.file;

import java.io.IOException;

/**
 * A buffered view of a file for sequential parsing: {@link #load} makes a byte range available in
 * {@link #array()}, reading a chunk at a time. Bytes at or past {@code limit} are never read, so a
 * length field can never make it read or allocate beyond the segment. Not thread-safe.
 */
final class ReadWindow {

    private final FileHandle handle;
    private final long limit;
    private final int chunk;
    private byte[] buf = new byte[0];
    private long base;
    private int valid;

    ReadWindow(FileHandle handle, long limit, int chunk) {
        this.handle = handle;
        this.limit = limit;
        this.chunk = chunk;
    }

    /**
     * Makes {@code [pos, pos + n)} available as far as the file and the limit allow.
     *
     * @return how many of the {@code n} bytes are available (fewer at end of file or limit)
     */
    int load(long pos, int n) throws IOException {
        if (pos >= base && pos + n <= base + valid) {
            return n;
        }
        base = pos;
        valid = 0;
        long avail = limit - pos;
        if (avail <= 0) {
            return 0;
        }
        int want = (int) Math.min(Math.max(n, chunk), avail);
        if (buf.length < want) {
            buf = new byte[want];
        }
        valid = handle.readFully(buf, 0, want, pos);
        return Math.min(n, valid);
    }

    /**
     * Makes bytes from {@code pos} on available, reading a new chunk only when {@code pos} is outside
     * the loaded range.
     *
     * @return how many bytes from {@code pos} are available; 0 at end of file or limit
     */
    int loadFrom(long pos) throws IOException {
        if (pos >= base && pos < base + valid) {
            return (int) (base + valid - pos);
        }
        return load(pos, chunk);
    }

    byte[] array() {
        return buf;
    }

    /** Index in {@link #array()} of file offset {@code pos}, which the last {@link #load} covered. */
    int index(long pos) {
        return (int) (pos - base);
    }
}
