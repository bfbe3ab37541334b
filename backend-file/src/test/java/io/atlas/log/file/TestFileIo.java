package io.atlas.log.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link FileIo} over the real one that counts bytes read per file and injects faults: a disk that
 * fills after a number of written bytes (a short write, then an exception, as Linux does) and failing
 * fsyncs. Every injected exception says "injected fault", so it is never mistaken for a real one.
 */
final class TestFileIo implements FileIo {

    static final String INJECTED = "injected fault";

    private final FileIo real = FileIo.real();
    private final Map<String, AtomicLong> bytesRead = new ConcurrentHashMap<>();
    private final AtomicLong written = new AtomicLong();
    private volatile long writeLimit = Long.MAX_VALUE;
    private volatile boolean failForce;
    /** Latches that hold each file force: counted down on entry, awaited before the real force. */
    private record ForceHold(CountDownLatch entered, CountDownLatch release) {
    }

    private volatile ForceHold forceHold;
    private final List<Path> syncedDirectories = new CopyOnWriteArrayList<>();

    /** Bytes read so far from the file named {@code fileName}. */
    long bytesRead(String fileName) {
        AtomicLong n = bytesRead.get(fileName);
        return n == null ? 0 : n.get();
    }

    void resetCounts() {
        bytesRead.clear();
    }

    /** From now on, the disk is full after {@code bytes} more bytes. */
    void failWritesAfter(long bytes) {
        writeLimit = written.get() + bytes;
    }

    void failForce(boolean fail) {
        failForce = fail;
    }

    /**
     * From now on, each file force counts down {@code entered} and then waits for {@code release}
     * before it runs, so a test can act while a force is in flight; null, null lets forces run again.
     */
    void holdForces(CountDownLatch entered, CountDownLatch release) {
        forceHold = entered == null ? null : new ForceHold(entered, release);
    }

    /** Directories synced so far, in order. */
    List<Path> syncedDirectories() {
        return syncedDirectories;
    }

    @Override
    public FileHandle open(Path file, OpenMode mode) throws IOException {
        FileHandle h = real.open(file, mode);
        return new FileHandle() {
            @Override
            public Path path() {
                return h.path();
            }

            @Override
            public int read(ByteBuffer dst, long position) throws IOException {
                int n = h.read(dst, position);
                if (n > 0) {
                    bytesRead.computeIfAbsent(file.getFileName().toString(), k -> new AtomicLong()).addAndGet(n);
                }
                return n;
            }

            @Override
            public int write(ByteBuffer src, long position) throws IOException {
                long room = writeLimit - written.get();
                if (room <= 0) {
                    throw new IOException(INJECTED + ": No space left on device (writing " + file + ")");
                }
                if (src.remaining() > room) {
                    ByteBuffer part = src.duplicate();
                    part.limit(part.position() + (int) room);
                    int n = h.write(part, position);
                    src.position(src.position() + n);
                    written.addAndGet(n);
                    return n;
                }
                int n = h.write(src, position);
                written.addAndGet(n);
                return n;
            }

            @Override
            public long size() throws IOException {
                return h.size();
            }

            @Override
            public void force(boolean metadata) throws IOException {
                if (failForce) {
                    throw new IOException(INJECTED + ": Input/output error (fsync of " + file + ")");
                }
                ForceHold hold = forceHold;
                if (hold != null) {
                    hold.entered().countDown();
                    try {
                        hold.release().await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("test: interrupted while holding the force of " + file);
                    }
                }
                h.force(metadata);
            }

            @Override
            public void close() throws IOException {
                h.close();
            }
        };
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return real.list(dir);
    }

    @Override
    public List<Path> createDirectories(Path dir) throws IOException {
        return real.createDirectories(dir);
    }

    @Override
    public void rename(Path source, Path target) throws IOException {
        real.rename(source, target);
    }

    @Override
    public boolean delete(Path file) throws IOException {
        return real.delete(file);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        if (failForce) {
            throw new IOException(INJECTED + ": Input/output error (fsync of directory " + dir + ")");
        }
        real.syncDirectory(dir);
        syncedDirectories.add(dir);
    }
}
