package io.atlas.log.file;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * An open file of {@link FileIo}. Positional reads and writes may run concurrently from several
 * threads, as with {@link java.nio.channels.FileChannel}.
 */
interface FileHandle extends Closeable {

    /** Largest slice of a heap array handed to one read or write call. */
    int MAX_SLICE = 1 << 20;

    Path path();

    /** Reads into {@code dst} at {@code position}; returns the bytes read, or -1 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes from {@code src} at {@code position}; may write fewer bytes than remain (a short write). */
    int write(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    /** Flushes written data to stable storage, and the file's metadata too when {@code metadata}. */
    void force(boolean metadata) throws IOException;

    /**
     * Says that nothing more is written for now (a sealed segment): a handle that keeps a descriptor for
     * writing apart from the one it reads through may close it; a later write or force opens it again.
     */
    default void writesDone() throws IOException {
    }

    /** Writes all of {@code src}: a short write is continued, so that only an exception stops it. */
    default void writeFully(ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            int n = write(src, pos);
            if (n <= 0) {
                throw new IOException("write of " + src.remaining() + " bytes to " + path() + " at offset " + pos
                        + " made no progress");
            }
            pos += n;
        }
    }

    /**
     * Writes {@code len} bytes of {@code src} from {@code off}, in slices of at most
     * {@link #MAX_SLICE} bytes so that the JDK's per-thread temporary direct buffer stays small.
     */
    default void writeFully(byte[] src, int off, int len, long position) throws IOException {
        for (int done = 0; done < len; ) {
            int n = Math.min(MAX_SLICE, len - done);
            writeFully(ByteBuffer.wrap(src, off + done, n), position + done);
            done += n;
        }
    }

    /**
     * Reads up to {@code len} bytes into {@code dst} from {@code off}, in slices of at most
     * {@link #MAX_SLICE} bytes; returns the bytes read, fewer only at end of file.
     */
    default int readFully(byte[] dst, int off, int len, long position) throws IOException {
        int done = 0;
        while (done < len) {
            int n = Math.min(MAX_SLICE, len - done);
            int got = readFully(ByteBuffer.wrap(dst, off + done, n), position + done);
            done += got;
            if (got < n) {
                break;
            }
        }
        return done;
    }

    /** Reads until {@code dst} is full or the file ends; returns the bytes read. */
    default int readFully(ByteBuffer dst, long position) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = read(dst, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }
}
