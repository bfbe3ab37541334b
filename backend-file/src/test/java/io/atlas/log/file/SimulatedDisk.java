package io.atlas.log.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A file system in memory that keeps apart what a power loss would keep and what it may lose, and
 * records every operation that changes either, in the manner of ALICE, CrashMonkey and LevelDB's
 * fault-injection Env. Nothing touches the real disk: paths are names only.
 *
 * <p>Each file (an {@link Inode}) has a live content, what reads return, and a durable content, what
 * it held at its last {@link FileHandle#force}; the writes in between are kept in order, so that
 * {@link CrashState} can rebuild any content a crash may leave, sector by sector. Each directory has
 * live and durable entries; creates, renames and deletes are durable only after
 * {@link #syncDirectory}, and are kept in order until then. The directory passed to the constructor
 * exists durably from the start, as core creates it and syncs its parent before a backend opens it.
 *
 * <p>{@link Fault} makes a disk that lies about syncs, to prove that the crash-state checks catch
 * lost data. Not thread-safe: the backend's calls come from the one test thread.
 */
final class SimulatedDisk implements FileIo {

    /** Size of the unit a disk writes atomically; a crash keeps or loses each sector of a write on its own. */
    static final int SECTOR = 512;

    /** A disk that ignores one kind of sync, reporting success. */
    enum Fault {
        NONE,
        /** {@code force(false)} (fdatasync) returns without making anything durable. */
        IGNORE_DATA_SYNC,
        /** {@code syncDirectory} returns without making directory entries durable. */
        IGNORE_DIRECTORY_SYNC
    }

    /** Operations that change the live or the durable state; each one ends at a crash point. */
    enum OpKind { CREATE, WRITE, FORCE, RENAME, DELETE, SYNC_DIRECTORY }

    /** One recorded operation; {@code index} counts from 1 in the order they ran. */
    record Op(int index, OpKind kind, String file, String target, long offset, int length) {
        @Override
        public String toString() {
            return "#" + index + " " + switch (kind) {
                case WRITE -> "write " + file + " [" + offset + ", " + (offset + length) + ")";
                case RENAME -> "rename " + file + " -> " + target;
                case FORCE -> "force " + file + (length != 0 ? " (with metadata)" : "");
                default -> kind.name().toLowerCase(Locale.ROOT) + " " + file;
            };
        }
    }

    /** A write not yet forced: {@code bytes} at {@code offset}, as op {@code opIndex}. */
    record Write(int opIndex, long offset, byte[] bytes) {
        long end() {
            return offset + bytes.length;
        }
    }

    /** A file's contents, live and durable. */
    static final class Inode {
        final int id;
        byte[] data;
        int size;
        byte[] durable;
        int durableSize;
        final List<Write> pending = new ArrayList<>();

        Inode(int id, byte[] content) {
            this.id = id;
            this.data = content;
            this.size = content.length;
            this.durable = content.clone();
            this.durableSize = content.length;
        }

        /** Live bytes {@code [0, size)}, a copy. */
        byte[] liveContent() {
            return Arrays.copyOf(data, size);
        }
    }

    /** A directory change not yet made durable by {@link #syncDirectory}. */
    record DirOp(int opIndex, OpKind kind, String name, String target, Inode inode) {
    }

    /** A directory: live entries, durable entries, and the changes between them, in order. */
    static final class Dir {
        final TreeMap<String, Inode> live = new TreeMap<>();
        TreeMap<String, Inode> durable = new TreeMap<>();
        final List<DirOp> pending = new ArrayList<>();
    }

    private final Fault fault;
    private final Map<Path, Dir> dirs = new HashMap<>();
    private final List<Op> ops = new ArrayList<>();
    private int nextInode = 1;
    private Consumer<Op> listener = op -> { };

    /** An empty disk holding the empty directory {@code dir}. */
    SimulatedDisk(Path dir, Fault fault) {
        this.fault = fault;
        dirs.put(dir, new Dir());
    }

    /** A disk holding exactly {@code files} in {@code dir}, all durable: a crash state. */
    static SimulatedDisk of(Path dir, Map<String, byte[]> files) {
        SimulatedDisk disk = new SimulatedDisk(dir, Fault.NONE);
        Dir d = disk.dirs.get(dir);
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            d.live.put(e.getKey(), new Inode(disk.nextInode++, e.getValue()));
        }
        d.durable = new TreeMap<>(d.live);
        return disk;
    }

    /** Calls {@code l} after every operation that ends at a crash point, while the state is that of the point. */
    void listener(Consumer<Op> l) {
        this.listener = l;
    }

    /** Operations so far, oldest first. */
    List<Op> ops() {
        return ops;
    }

    Map<Path, Dir> dirs() {
        return dirs;
    }

    /** The live content of {@code dir}: file name to bytes. */
    Map<String, byte[]> liveFiles(Path dir) {
        Map<String, byte[]> files = new TreeMap<>();
        for (Map.Entry<String, Inode> e : dirOf(dir).live.entrySet()) {
            files.put(e.getKey(), e.getValue().liveContent());
        }
        return files;
    }

    private Dir dirOf(Path dir) {
        Dir d = dirs.get(dir);
        if (d == null) {
            throw new IllegalArgumentException("simulated disk: no directory " + dir + "; known: " + dirs.keySet());
        }
        return d;
    }

    private Dir parentOf(Path file) throws NoSuchFileException {
        Dir d = dirs.get(file.getParent());
        if (d == null) {
            throw new NoSuchFileException(file.toString(), null, "simulated disk: no such directory");
        }
        return d;
    }

    private Op record(OpKind kind, Path file, String target, long offset, int length) {
        Op op = new Op(ops.size() + 1, kind, file.getFileName().toString(), target, offset, length);
        ops.add(op);
        return op;
    }

    @Override
    public FileHandle open(Path file, OpenMode mode) throws IOException {
        Dir d = parentOf(file);
        String name = file.getFileName().toString();
        Inode inode = d.live.get(name);
        if (mode == OpenMode.CREATE_NEW) {
            if (inode != null) {
                throw new FileAlreadyExistsException(file.toString());
            }
            inode = new Inode(nextInode++, new byte[0]);
            d.live.put(name, inode);
            Op op = record(OpKind.CREATE, file, null, 0, 0);
            d.pending.add(new DirOp(op.index(), OpKind.CREATE, name, null, inode));
            listener.accept(op);
        } else if (inode == null) {
            throw new NoSuchFileException(file.toString());
        }
        return new Handle(file, inode, mode != OpenMode.READ);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        Dir d = dirs.get(dir);
        if (d == null) {
            throw new NoSuchFileException(dir.toString());
        }
        List<Path> entries = new ArrayList<>();
        for (String name : d.live.keySet()) {
            entries.add(dir.resolve(name));
        }
        return entries;
    }

    /** Only directories the disk already holds: the backend's directory exists before it opens. */
    @Override
    public List<Path> createDirectories(Path dir) throws IOException {
        if (!dirs.containsKey(dir)) {
            throw new IOException("simulated disk: creating directory " + dir + " is not simulated; the disk holds "
                    + dirs.keySet());
        }
        return List.of();
    }

    @Override
    public void rename(Path source, Path target) throws IOException {
        Dir d = parentOf(source);
        if (dirs.get(target.getParent()) != d) {
            throw new IOException("simulated disk: rename across directories is not simulated: " + source + " -> "
                    + target);
        }
        String from = source.getFileName().toString();
        String to = target.getFileName().toString();
        Inode inode = d.live.remove(from);
        if (inode == null) {
            throw new NoSuchFileException(source.toString());
        }
        d.live.put(to, inode);
        Op op = record(OpKind.RENAME, source, to, 0, 0);
        d.pending.add(new DirOp(op.index(), OpKind.RENAME, from, to, inode));
        listener.accept(op);
    }

    @Override
    public boolean delete(Path file) throws IOException {
        Dir d = parentOf(file);
        String name = file.getFileName().toString();
        Inode inode = d.live.remove(name);
        if (inode == null) {
            return false;
        }
        Op op = record(OpKind.DELETE, file, null, 0, 0);
        d.pending.add(new DirOp(op.index(), OpKind.DELETE, name, null, inode));
        listener.accept(op);
        return true;
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        Dir d = dirs.get(dir);
        if (d == null) {
            throw new NoSuchFileException(dir.toString());
        }
        if (fault != Fault.IGNORE_DIRECTORY_SYNC) {
            d.durable = new TreeMap<>(d.live);
            d.pending.clear();
        }
        listener.accept(record(OpKind.SYNC_DIRECTORY, dir, null, 0, 0));
    }

    private final class Handle implements FileHandle {
        private final Path path;
        private final Inode inode;
        private final boolean writable;
        private boolean closed;

        Handle(Path path, Inode inode, boolean writable) {
            this.path = path;
            this.inode = inode;
            this.writable = writable;
        }

        @Override
        public Path path() {
            return path;
        }

        private void checkOpen() throws ClosedChannelException {
            if (closed) {
                throw new ClosedChannelException();
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            checkOpen();
            if (position >= inode.size) {
                return dst.hasRemaining() ? -1 : 0;
            }
            int n = (int) Math.min(dst.remaining(), inode.size - position);
            dst.put(inode.data, (int) position, n);
            return n;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            checkOpen();
            if (!writable) {
                throw new NonWritableChannelException();
            }
            int n = src.remaining();
            if (n == 0) {
                return 0;
            }
            long end = position + n;
            if (end > Integer.MAX_VALUE - 8) {
                throw new IOException("simulated disk: write beyond 2 GiB in " + path);
            }
            if (end > inode.data.length) {
                inode.data = Arrays.copyOf(inode.data, (int) Math.max(end, Math.min(2L * inode.data.length,
                        Integer.MAX_VALUE - 8)));
            }
            byte[] bytes = new byte[n];
            src.get(bytes);
            System.arraycopy(bytes, 0, inode.data, (int) position, n);
            // A write past the end leaves zeros in between, as a hole does.
            inode.size = (int) Math.max(inode.size, end);
            Op op = record(OpKind.WRITE, path, null, position, n);
            inode.pending.add(new Write(op.index(), position, bytes));
            listener.accept(op);
            return n;
        }

        @Override
        public long size() throws IOException {
            checkOpen();
            return inode.size;
        }

        @Override
        public void force(boolean metadata) throws IOException {
            checkOpen();
            if (metadata || fault != Fault.IGNORE_DATA_SYNC) {
                inode.durable = inode.liveContent();
                inode.durableSize = inode.size;
                inode.pending.clear();
            }
            listener.accept(record(OpKind.FORCE, path, null, 0, metadata ? 1 : 0));
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
