package io.atlas.log.core;

import io.atlas.log.LogLockedException;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lock file {@code atlas-log.lock} that keeps one writer per log directory (guarantee G7).
 *
 * <p>An OS file lock ({@link FileChannel#tryLock()}) excludes other processes. Within one JVM the
 * OS lock is per process, so a static set of locked canonical paths excludes a second
 * {@code PersistentLog} of the same process. The file is never deleted: deleting a lock file lets
 * two openers lock two different files. It holds the owner's pid and open time, for the message a
 * second opener gets.
 */
final class DirectoryLock implements Closeable {

    static final String FILE_NAME = "atlas-log.lock";

    private static final System.Logger LOG = System.getLogger(DirectoryLock.class.getName());

    private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path canonicalDir;
    private final Path lockFile;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private DirectoryLock(Path canonicalDir, Path lockFile, FileChannel channel, FileLock lock) {
        this.canonicalDir = canonicalDir;
        this.lockFile = lockFile;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir}, which must exist.
     *
     * @throws LogLockedException naming the lock file, when another process or another open log of
     *                            this process holds it
     * @throws IOException        if the lock file cannot be created or locked
     */
    static DirectoryLock acquire(Path dir) throws IOException {
        Path canonical = dir.toRealPath();
        Path lockFile = canonical.resolve(FILE_NAME);
        if (!HELD_IN_THIS_JVM.add(canonical)) {
            throw locked(lockFile, null);
        }
        FileChannel channel = null;
        try {
            channel = LogFiles.openOwnerOnly(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw locked(lockFile, e);
            }
            if (lock == null) {
                throw locked(lockFile, null);
            }
            String owner = "pid=" + ProcessHandle.current().pid() + "\nopened=" + Instant.now() + "\n";
            channel.truncate(0);
            ByteBuffer buf = ByteBuffer.wrap(owner.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                channel.write(buf, buf.position());
            }
            return new DirectoryLock(canonical, lockFile, channel, lock);
        } catch (IOException | RuntimeException | Error e) {
            HELD_IN_THIS_JVM.remove(canonical);
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static LogLockedException locked(Path lockFile, Throwable cause) {
        String holder = describeHolder(lockFile);
        return new LogLockedException("log directory " + lockFile.getParent() + " is locked: " + lockFile
                + " is held by another process or by another open PersistentLog in this one" + holder
                + "; close that log first (one writer per directory)", cause);
    }

    /** " (pid 123, opened ...)" from the lock file, or "" when it cannot be read. */
    private static String describeHolder(Path lockFile) {
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(256);
            ch.read(buf, 0);
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            String pid = null;
            String opened = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("pid=")) {
                    pid = line.substring(4).trim();
                } else if (line.startsWith("opened=")) {
                    opened = line.substring(7).trim();
                }
            }
            return pid == null ? "" : " (pid " + pid + (opened == null ? "" : ", opened " + opened) + ")";
        } catch (IOException e) {
            // only the message loses detail; the lock failure itself is reported by the caller
            LOG.log(System.Logger.Level.DEBUG, "cannot read lock holder from " + lockFile, e);
            return "";
        }
    }

    Path lockFile() {
        return lockFile;
    }

    /** Releases the lock; idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (released) {
            return;
        }
        released = true;
        try {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        } finally {
            HELD_IN_THIS_JVM.remove(canonicalDir);
        }
    }
}
