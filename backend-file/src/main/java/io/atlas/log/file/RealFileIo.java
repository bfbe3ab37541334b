package io.atlas.log.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** {@link FileIo} on the default file system; creates files rw------- and directories rwx------ (G11). */
final class RealFileIo implements FileIo {

    static final RealFileIo INSTANCE = new RealFileIo();

    private static final FileAttribute<?> OWNER_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?> OWNER_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private static final Set<StandardOpenOption> READ_ONLY = EnumSet.of(StandardOpenOption.READ);
    private static final Set<StandardOpenOption> READ_AND_WRITE = EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);

    private RealFileIo() {
    }

    @Override
    public FileHandle open(Path file, OpenMode mode) throws IOException {
        FileChannel ch = switch (mode) {
            case READ -> FileChannel.open(file, READ_ONLY);
            case READ_WRITE -> FileChannel.open(file, READ_AND_WRITE);
            case CREATE_NEW -> {
                Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE_NEW);
                yield posix(file) ? FileChannel.open(file, options, OWNER_FILE) : FileChannel.open(file, options);
            }
        };
        return new ChannelHandle(file, ch, mode == OpenMode.READ ? READ_ONLY : READ_AND_WRITE);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                entries.add(p);
            }
        }
        return entries;
    }

    @Override
    public List<Path> createDirectories(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        List<Path> missing = new ArrayList<>();
        for (Path p = abs; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.add(0, p);
        }
        List<Path> created = new ArrayList<>(missing.size());
        for (Path p : missing) {
            try {
                if (posix(p)) {
                    Files.createDirectory(p, OWNER_DIR);
                } else {
                    Files.createDirectory(p);
                }
                created.add(p);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
                // created meanwhile by someone else, who owns its durability
            }
        }
        return created;
    }

    @Override
    public void rename(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public boolean delete(Path file) throws IOException {
        return Files.deleteIfExists(file);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            withoutInterruptStatus(() -> {
                ch.force(true);
                return null;
            });
        }
    }

    /** A channel call. */
    @FunctionalInterface
    private interface ChannelCall<T> {
        T call() throws IOException;
    }

    /**
     * Runs a channel call with the caller's interrupt status cleared, and sets it again afterwards. A
     * {@link FileChannel} closes itself when a thread with its interrupt status set enters an I/O call,
     * so a thread merely carrying a stale interrupt (a cancelled task, a timed-out wait) would otherwise
     * close a segment's channel for every other thread and stop the log.
     */
    private static <T> T withoutInterruptStatus(ChannelCall<T> call) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            return call.call();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Channels on one file that an interrupt does not take away from the other threads. A
     * {@link FileChannel} closes itself for every thread when a thread is interrupted inside a call on
     * it (or enters one with its interrupt status set), and a close makes a {@code force} in progress on
     * another thread give up. So:
     * <ul>
     *   <li>the caller's interrupt status is set aside during each call ({@link #withoutInterruptStatus})
     *       and given back afterwards;</li>
     *   <li>reads go through one channel and writes and forces through another (for a handle opened
     *       for writing, opened on the first write or force and closed by {@link #writesDone()}), so
     *       that readers, which an application interrupts most, can never close the channel a sync is
     *       running on;</li>
     *   <li>a read or write whose channel an interrupt closed reopens it and runs again from the start,
     *       which repeats the same bytes at the same offsets;</li>
     *   <li>a {@code force} that fails in any way (an interrupt of the syncing thread included) makes
     *       every later force of the handle fail too: its outcome is unknown, and a new descriptor
     *       would not report an error the failed call consumed. The log stops (fail-stop).</li>
     * </ul>
     */
    private static final class ChannelHandle implements FileHandle {
        /**
         * Reopens allowed within one call. Every interrupt of a thread in a call on a channel closes it for
         * all of them, so a call may meet several; the bound only keeps a channel that cannot stay open
         * from looping forever.
         */
        private static final int MAX_REOPENS = 64;
        private final Path path;
        private final Set<StandardOpenOption> reopenOptions;
        private final boolean writable;
        /** Reads and size. */
        private volatile FileChannel reads;
        /** Writes and forces; null until the first, for a handle opened for writing. */
        private volatile FileChannel writes;
        private volatile IOException forceFailure;
        private volatile boolean closed;

        ChannelHandle(Path path, FileChannel channel, Set<StandardOpenOption> reopenOptions) {
            this.path = path;
            this.reads = channel;
            this.reopenOptions = reopenOptions;
            this.writable = reopenOptions.contains(StandardOpenOption.WRITE);
            if (!writable) {
                this.writes = channel;
            }
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int start = dst.position();
            return repeatable(false, ch -> {
                dst.position(start);
                return ch.read(dst, position);
            });
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            int start = src.position();
            return repeatable(true, ch -> {
                src.position(start);
                return ch.write(src, position);
            });
        }

        @Override
        public long size() throws IOException {
            return repeatable(false, FileChannel::size);
        }

        @Override
        public void force(boolean metadata) throws IOException {
            IOException failed = forceFailure;
            if (failed != null) {
                throw new IOException("an earlier force of " + path + " failed, so this one could not report what it"
                        + " lost: " + failed, failed);
            }
            try {
                FileChannel ch = writeChannel();
                withoutInterruptStatus(() -> {
                    ch.force(metadata);
                    return null;
                });
            } catch (IOException e) {
                forceFailure = e;
                throw e;
            }
        }

        /** Closes the write channel of a handle that has one apart; the next write or force reopens it. */
        @Override
        public synchronized void writesDone() throws IOException {
            FileChannel w = writes;
            if (writable && w != null) {
                writes = null;
                w.close();
            }
        }

        @Override
        public synchronized void close() throws IOException {
            closed = true;
            FileChannel w = writes;
            try {
                reads.close();
            } finally {
                if (w != null && w != reads) {
                    w.close();
                }
            }
        }

        /** An operation that may run again on a reopened channel. */
        @FunctionalInterface
        private interface Repeatable<T> {
            T on(FileChannel channel) throws IOException;
        }

        private <T> T repeatable(boolean write, Repeatable<T> op) throws IOException {
            for (int attempt = 1; ; attempt++) {
                FileChannel ch = write ? writeChannel() : reads;
                try {
                    return withoutInterruptStatus(() -> op.on(ch));
                } catch (ClosedChannelException e) {
                    // ClosedByInterruptException and AsynchronousCloseException are ClosedChannelExceptions
                    if (closed || attempt >= MAX_REOPENS) {
                        throw e;
                    }
                    reopen(ch, e);
                    if (e instanceof ClosedByInterruptException) {
                        // the JDK took the interrupt to close the channel; give it back to the caller
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }

        private FileChannel writeChannel() throws IOException {
            FileChannel w = writes;
            return w != null ? w : openWrites();
        }

        private synchronized FileChannel openWrites() throws IOException {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (writes == null) {
                writes = FileChannel.open(path, reopenOptions);
            }
            return writes;
        }

        /** Replaces {@code stale} with a new channel on the same file, unless another thread did already. */
        private synchronized void reopen(FileChannel stale, ClosedChannelException cause) throws IOException {
            if (closed) {
                throw cause;
            }
            if (reads == stale) {
                reads = FileChannel.open(path, reopenOptions);
                if (!writable) {
                    writes = reads;
                }
            } else if (writes == stale) {
                writes = FileChannel.open(path, reopenOptions);
            }
        }
    }
}
