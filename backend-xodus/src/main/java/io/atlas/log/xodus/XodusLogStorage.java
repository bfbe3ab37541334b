package io.atlas.log.xodus;

import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.LogLockedException;
import io.atlas.log.PersistentLogException;
import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.RecordVisitor;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.ExodusException;
import jetbrains.exodus.OutOfDiskSpaceException;
import jetbrains.exodus.bindings.IntegerBinding;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.EnvironmentImpl;
import jetbrains.exodus.env.Environments;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.StoreConfig;
import jetbrains.exodus.env.Transaction;
import jetbrains.exodus.env.TransactionalComputable;
import jetbrains.exodus.io.DataWriter;
import jetbrains.exodus.io.FileDataReader;
import jetbrains.exodus.io.FileDataWriter;
import jetbrains.exodus.log.DataCorruptionException;
import jetbrains.exodus.log.Log;
import jetbrains.exodus.log.LogConfig;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@link LogStorage} on one Xodus environment in the log directory.
 *
 * <h2>Stores</h2>
 * <ul>
 *   <li>{@code atlas.decisions} (+ {@code .chunks}): records by seq. Keys are
 *       {@link LongBinding#longToCompressedEntry}: a length nibble then the significant bytes, so that
 *       Xodus' unsigned byte order is numeric order for every seq {@code >= 0} (seq 10 after seq 9, and
 *       2^40 after both) while small seqs take 1-3 bytes instead of 8.</li>
 *   <li>{@code atlas.checkpoints} (+ {@code .chunks}): checkpoint states, keyed like records.</li>
 *   <li>{@code atlas.meta} (+ {@code .chunks}): metadata, keyed by the UTF-8 key.</li>
 *   <li>{@code atlas.internal}: {@code format} (this backend's format version) and
 *       {@code prefix-point} (the last {@code truncatePrefix} point).</li>
 * </ul>
 * Values go through {@link ChunkedStore}, since a Xodus value must fit in one file.
 *
 * <h2>Transactions and durability</h2>
 * One exclusive Xodus transaction per append batch, so a batch is all or nothing. Commits are not
 * forced (see {@link XodusOptions}); {@link #sync()} forces the Xodus log through
 * {@link SyncingFileDataWriter}, which also makes new files, deletions and recovery's cuts durable.
 * Xodus recovers a prefix of its commits after a crash, so no later batch survives without the earlier
 * ones. Checkpoints, metadata and prefix truncation are forced before they return.
 *
 * <h2>Recovery</h2>
 * Xodus cuts a torn tail back to its last complete commit by itself (the cut is synced). Two cases are
 * handled before it opens: a last file of nothing but zeros is emptied ({@link XodusFiles}), and a log that must have a
 * database root but has none (its {@link XodusFiles#INITIALIZED_MARKER} says its first commits were
 * synced) is refused with {@link CorruptLogException} instead of being reset to empty, which is what
 * Xodus 2.0.1 would do.
 *
 * <h2>Truncation</h2>
 * Deletions run in transactions of at most {@value #DELETE_BATCH} records, so one truncation does not hold
 * the whole tree in memory. {@code truncatePrefix} first commits the new prefix point, and records at or
 * below it are invisible from then on; an open finishes deleting any left by a crash. {@code truncateSuffix}
 * deletes from the end backwards, so an interrupted one leaves a contiguous log.
 */
final class XodusLogStorage implements LogStorage {

    private static final System.Logger LOG = System.getLogger(XodusLogStorage.class.getName());

    /** This backend's format version, kept in {@code atlas.internal}. */
    static final int FORMAT_VERSION = 1;
    static final String DECISIONS = "atlas.decisions";
    static final String CHECKPOINTS = "atlas.checkpoints";
    static final String META = "atlas.meta";
    static final String INTERNAL = "atlas.internal";
    static final String CHUNKS = ".chunks";
    static final String FORMAT_KEY = "format";
    static final String PREFIX_POINT_KEY = "prefix-point";
    /** Prefix of the stores this backend creates; Xodus' own stores start with {@code exodus.}. */
    private static final String OWN_STORES = "atlas.";
    private static final String XODUS_STORES = "exodus.";
    /** Records deleted per transaction by a truncation. */
    static final int DELETE_BATCH = 4096;
    private static final Pattern META_KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final String LOCK_MESSAGE = "Can't acquire environment lock";
    /** Loggable type of a Xodus database root ({@code DatabaseRoot.DATABASE_ROOT_TYPE}, not public in 2.0.1). */
    private static final int DATABASE_ROOT_TYPE = 1;

    /** First and last stored seq ({@code -1} when empty) and the prefix point, swapped as one. */
    private record Bounds(long first, long last, long prefixPoint) {
        boolean holds(long seq) {
            return first >= 0 && seq >= first && seq <= last;
        }
    }

    private final Path directory;
    private final EnvironmentImpl env;
    private final int chunkSize;
    private final Store internal;
    private final ChunkedStore decisions;
    private final ChunkedStore checkpoints;
    private final ChunkedStore meta;
    private volatile Bounds bounds = new Bounds(-1, -1, -1);
    private volatile boolean closed;
    /** The first failure of a mutating call; the storage is fail-stop after it. */
    private volatile IOException failure;

    private XodusLogStorage(Path directory, EnvironmentImpl env, int chunkSize) {
        this.directory = directory;
        this.env = env;
        this.chunkSize = chunkSize;
        this.internal = env.computeInExclusiveTransaction(txn -> {
            checkFormat(txn);
            return env.openStore(INTERNAL, StoreConfig.WITHOUT_DUPLICATES, txn);
        });
        this.decisions = openChunked(DECISIONS);
        this.checkpoints = openChunked(CHECKPOINTS);
        this.meta = openChunked(META);
    }

    private ChunkedStore openChunked(String name) {
        return env.computeInExclusiveTransaction(txn -> new ChunkedStore(
                env.openStore(name, StoreConfig.WITHOUT_DUPLICATES, txn),
                env.openStore(name + CHUNKS, StoreConfig.WITHOUT_DUPLICATES, txn), directory));
    }

    /**
     * Opens or creates the storage in {@code directory}.
     *
     * @throws LogLockedException       if Xodus' own lock ({@code xd.lck}) is held: another open of this
     *                                  directory that did not go through the engine's lock
     * @throws IncompatibleLogException for a newer format, or a Xodus environment that is not a log
     */
    static XodusLogStorage open(Path directory, XodusOptions options) throws IOException {
        return open(directory, options, SyncingFileDataWriter.FSYNC);
    }

    /** {@link #open(Path, XodusOptions)} with the given disk, for tests that record or fail syncs. */
    static XodusLogStorage open(Path directory, XodusOptions options, SyncingFileDataWriter.Disk disk) throws IOException {
        Path dir = directory.toAbsolutePath();
        OwnerOnlyFiles.createDirectory(dir);
        boolean initialized = XodusFiles.initialized(dir);
        EnvironmentImpl env = openEnvironment(dir, options.environmentConfig(), disk, initialized);
        try {
            OwnerOnlyFiles.watch(env, dir);
            XodusLogStorage storage = new XodusLogStorage(dir, env, options.chunkSize());
            storage.recover();
            if (!initialized) {
                // a new log (or one from before the marker): its root is durable before the marker says so
                storage.sync();
                XodusFiles.markInitialized(dir);
            }
            return storage;
        } catch (IOException | RuntimeException | Error e) {
            try {
                closeEnvironment(env, dir);
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            if (e instanceof ExodusException x) {
                throw storageError("open", dir, x);
            }
            throw e;
        }
    }

    /**
     * Opens the Xodus log, then the environment on it. Between the two, refuses a log without a database
     * root that must have one: Xodus would take it for an empty database and cut it to nothing
     * ({@code MetaTreeImpl.create}: "No roots found: the database is empty"). A log must have a root once
     * its {@link XodusFiles#INITIALIZED_MARKER} exists (its first commits were synced before the marker was
     * written); without the marker, a crash while the log was being created can leave bytes without a
     * root, and the log opens empty, unless it holds {@value XodusOptions#LOG_FILE_SIZE_UNIT} bytes or
     * more, which no creation writes.
     */
    private static EnvironmentImpl openEnvironment(Path dir, EnvironmentConfig config, SyncingFileDataWriter.Disk disk,
                                                   boolean initialized) throws IOException {
        long bytes = XodusFiles.discardZeroFilledLastFile(dir);
        FileDataReader reader = new FileDataReader(dir.toFile());
        if (config.getLogCacheUseNio()) {
            // what Xodus' FileDataReaderWriterProvider does for exodus.log.cache.useNio (Kotlin-internal method)
            reader.useNio$xodus_environment(config.getLogCacheFreePhysicalMemoryThreshold());
        }
        SyncingFileDataWriter writer = new SyncingFileDataWriter(reader, config.getLogLockId(), disk);
        Log log;
        try {
            log = Environments.newLogInstance(new LogConfig().setLocation(dir.toString()).setReaderWriter(reader, writer), config);
        } catch (ExodusException e) {
            try {
                reader.close();
                closeDirectoryChannel(writer, dir);
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            String message = String.valueOf(e.getMessage());
            if (message.startsWith(LOCK_MESSAGE)) {
                throw new LogLockedException("xodus: the Xodus environment in " + dir + " is locked by another open"
                        + " (lock file " + dir.resolve(OwnerOnlyFiles.LOCK_FILE) + "); close the other log first. Xodus says: "
                        + message.lines().limit(4).reduce((a, b) -> a + " " + b).orElse(""), e);
            }
            throw storageError("open", dir, e);
        }
        Environment env;
        try {
            if ((initialized || bytes >= XodusOptions.LOG_FILE_SIZE_UNIT)
                    && (bytes == 0 || log.getLastLoggableOfType(DATABASE_ROOT_TYPE) == null)) {
                throw new CorruptLogException("xodus: the Xodus log in " + dir + " holds " + bytes + " bytes"
                        + (initialized ? " in its .xd files although " + XodusFiles.INITIALIZED_MARKER
                        + " says its first commits were synced," : "") + " but no valid database root; Xodus would"
                        + " reset it to an empty database, so it is not opened. Keep a copy of the directory and restore"
                        + " the log from a peer");
            }
            env = Environments.newInstance(log, config);
        } catch (RuntimeException | Error e) {
            try {
                log.close();
                closeDirectoryChannel(log.getConfig().getWriter(), dir);
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            if (e instanceof ExodusException x) {
                throw storageError("open", dir, x);
            }
            throw e;
        }
        if (env instanceof EnvironmentImpl impl) {
            return impl;
        }
        env.close();
        throw new IOException("xodus: expected Xodus to open an EnvironmentImpl in " + dir + ", got "
                + env.getClass().getName() + "; is another Xodus version on the class path?");
    }

    /** Refuses newer formats and environments that are not logs; stamps a new environment. */
    private void checkFormat(Transaction txn) {
        List<String> foreign = new ArrayList<>();
        boolean ours = false;
        for (String name : env.getAllStoreNames(txn)) {
            if (name.startsWith(OWN_STORES)) {
                ours = true;
            } else if (!name.startsWith(XODUS_STORES)) {
                foreign.add(name);
            }
        }
        if (!foreign.isEmpty()) {
            throw new IncompatibleLogException("xodus: " + directory + " holds a Xodus environment with stores "
                    + foreign + " that atlas-log-xodus did not create; open a directory of its own");
        }
        Store store = env.openStore(INTERNAL, StoreConfig.WITHOUT_DUPLICATES, txn);
        ByteIterable format = store.get(txn, StringBinding.stringToEntry(FORMAT_KEY));
        if (format == null) {
            if (ours) {
                throw new CorruptLogException("xodus: store " + INTERNAL + " in " + directory
                        + " has no format version although the log's other stores exist");
            }
            store.put(txn, StringBinding.stringToEntry(FORMAT_KEY), IntegerBinding.intToCompressedEntry(FORMAT_VERSION));
            return;
        }
        int version = IntegerBinding.compressedEntryToInt(format);
        if (version > FORMAT_VERSION) {
            throw new IncompatibleLogException("xodus: the log in " + directory + " has storage format " + version
                    + "; this atlas-log-xodus reads formats up to " + FORMAT_VERSION + "; open it with a newer atlas-log-xodus");
        }
        if (version < 1) {
            throw new CorruptLogException("xodus: store " + INTERNAL + " in " + directory + " has format version "
                    + version + "; expected 1 to " + FORMAT_VERSION);
        }
    }

    /** Reads the prefix point and the bounds; finishes a prefix truncation that a crash interrupted. */
    private void recover() throws IOException {
        long point = readTxn("open", txn -> {
            ByteIterable p = internal.get(txn, StringBinding.stringToEntry(PREFIX_POINT_KEY));
            return p == null ? -1L : LongBinding.compressedEntryToLong(p);
        });
        bounds = new Bounds(-1, -1, point);
        boolean leftOver = point >= 0 && readTxn("open", txn -> {
            try (Cursor c = decisions.values().openCursor(txn)) {
                return c.getNext() && LongBinding.compressedEntryToLong(c.getKey()) <= point;
            }
        });
        if (leftOver) {
            long total = 0;
            long deleted;
            do {
                deleted = write("open", txn -> deleteUpTo(txn, point));
                total += deleted;
            } while (deleted == DELETE_BATCH);
            sync();
            LOG.log(System.Logger.Level.WARNING, "xodus: " + directory + ": finished an interrupted truncatePrefix("
                    + point + "): deleted " + total + " records at or below it");
        }
        bounds = readTxn("open", txn -> {
            try (Cursor c = decisions.values().openCursor(txn)) {
                if (!c.getNext()) {
                    return new Bounds(-1, -1, point);
                }
                long first = LongBinding.compressedEntryToLong(c.getKey());
                c.getLast();
                long last = LongBinding.compressedEntryToLong(c.getKey());
                return new Bounds(first, last, point);
            }
        });
    }

    @Override
    public void append(List<LogRecord> records) throws IOException {
        if (records == null) {
            throw new IllegalArgumentException("xodus: append: records must not be null");
        }
        checkWritable();
        if (records.isEmpty()) {
            return;
        }
        Bounds b = bounds;
        for (int i = 0; i < records.size(); i++) {
            if (records.get(i) == null) {
                throw new IllegalArgumentException("xodus: append: record " + i + " of the batch is null");
            }
        }
        long firstSeq = records.get(0).seq();
        if (b.first < 0 ? firstSeq <= b.prefixPoint : firstSeq != b.last + 1) {
            throw new IllegalArgumentException("xodus: append expected seq "
                    + (b.first < 0 ? "above " + b.prefixPoint : Long.toString(b.last + 1)) + ", got " + firstSeq);
        }
        for (int i = 1; i < records.size(); i++) {
            if (records.get(i).seq() != firstSeq + i) {
                throw new IllegalArgumentException("xodus: append batch is not contiguous: expected seq "
                        + (firstSeq + i) + " at index " + i + ", got " + records.get(i).seq());
            }
        }
        write("append", txn -> {
            for (LogRecord r : records) {
                decisions.append(txn, seqKey(r.seq()), r.data(), chunkSize);
            }
            return null;
        });
        long lastSeq = firstSeq + records.size() - 1;
        bounds = new Bounds(b.first < 0 ? firstSeq : b.first, lastSeq, b.prefixPoint);
    }

    @Override
    public Optional<byte[]> read(long seq) throws IOException {
        checkSeq("read", seq);
        checkOpen();
        if (!bounds.holds(seq)) {
            return Optional.empty();
        }
        return Optional.ofNullable(readTxn("read", txn -> decisions.get(txn, seqKey(seq), "decision seq " + seq)));
    }

    @Override
    public void scan(long fromSeq, long toSeqInclusive, RecordVisitor visitor) throws IOException {
        if (visitor == null) {
            throw new IllegalArgumentException("xodus: scan: visitor must not be null");
        }
        checkSeq("scan", fromSeq);
        checkSeq("scan", toSeqInclusive);
        checkOpen();
        Bounds b = bounds;
        long from = Math.max(fromSeq, b.first);
        long to = Math.min(toSeqInclusive, b.last);
        if (b.first < 0 || from > to) {
            return;
        }
        Transaction txn = xodus("scan", env::beginReadonlyTransaction);
        Throwable primary = null;
        try (Cursor cursor = xodus("scan", () -> decisions.values().openCursor(txn))) {
            boolean found = xodus("scan", () -> cursor.getSearchKeyRange(seqKey(from)) != null);
            while (found) {
                long seq = xodus("scan", () -> LongBinding.compressedEntryToLong(cursor.getKey()));
                if (seq > to) {
                    break;
                }
                byte[] data = xodus("scan", () -> decisions.decode(txn, cursor.getKey(), cursor.getValue(), "decision seq " + seq));
                visitor.visit(seq, data);
                found = xodus("scan", cursor::getNext);
            }
        } catch (Throwable t) {
            primary = t;
            throw t;
        } finally {
            try {
                txn.abort();
            } catch (RuntimeException e) {
                if (primary == null) {
                    throw storageError("scan", directory, e);
                }
                primary.addSuppressed(e);
            }
        }
    }

    @Override
    public long firstSeq() {
        checkOpen();
        return bounds.first;
    }

    @Override
    public long lastSeq() {
        checkOpen();
        return bounds.last;
    }

    @Override
    public void truncatePrefix(long upToSeqInclusive) throws IOException {
        checkSeq("truncatePrefix", upToSeqInclusive);
        checkWritable();
        Bounds b = bounds;
        if (upToSeqInclusive <= b.prefixPoint) {
            return;
        }
        long point = upToSeqInclusive;
        long deleted = write("truncatePrefix", txn -> {
            internal.put(txn, StringBinding.stringToEntry(PREFIX_POINT_KEY), LongBinding.longToCompressedEntry(point));
            return deleteUpTo(txn, point);
        });
        // from here on nothing at or below the point is visible, even before the rest is deleted
        bounds = b.first < 0 || point >= b.last ? new Bounds(-1, -1, point)
                : new Bounds(Math.max(b.first, point + 1), b.last, point);
        while (deleted == DELETE_BATCH) {
            deleted = write("truncatePrefix", txn -> deleteUpTo(txn, point));
        }
        sync();
        // ask Xodus' collector to look at the files the deletion emptied now rather than at its next period
        env.gc();
    }

    @Override
    public void truncateSuffix(long fromSeqInclusive) throws IOException {
        checkSeq("truncateSuffix", fromSeqInclusive);
        checkWritable();
        Bounds b = bounds;
        if (b.first < 0 || fromSeqInclusive > b.last) {
            return;
        }
        long from = Math.max(fromSeqInclusive, b.first);
        long deleted;
        do {
            deleted = write("truncateSuffix", txn -> deleteFrom(txn, from));
        } while (deleted == DELETE_BATCH);
        bounds = from == b.first ? new Bounds(-1, -1, b.prefixPoint) : new Bounds(b.first, from - 1, b.prefixPoint);
    }

    /** Deletes up to {@link #DELETE_BATCH} records with seq {@code <= point}, lowest first. */
    private long deleteUpTo(Transaction txn, long point) {
        List<ByteIterable> keys = new ArrayList<>();
        try (Cursor c = decisions.values().openCursor(txn)) {
            while (keys.size() < DELETE_BATCH && c.getNext() && LongBinding.compressedEntryToLong(c.getKey()) <= point) {
                keys.add(new ArrayByteIterable(c.getKey()));
            }
        }
        keys.forEach(k -> decisions.delete(txn, k));
        return keys.size();
    }

    /** Deletes up to {@link #DELETE_BATCH} records with seq {@code >= from}, highest first. */
    private long deleteFrom(Transaction txn, long from) {
        List<ByteIterable> keys = new ArrayList<>();
        try (Cursor c = decisions.values().openCursor(txn)) {
            boolean found = c.getLast();
            while (keys.size() < DELETE_BATCH && found && LongBinding.compressedEntryToLong(c.getKey()) >= from) {
                keys.add(new ArrayByteIterable(c.getKey()));
                found = c.getPrev();
            }
        }
        keys.forEach(k -> decisions.delete(txn, k));
        return keys.size();
    }

    @Override
    public void putCheckpoint(long seq, byte[] state) throws IOException {
        checkSeq("putCheckpoint", seq);
        if (state == null) {
            throw new IllegalArgumentException("xodus: putCheckpoint: state must not be null (seq " + seq + ")");
        }
        checkWritable();
        write("putCheckpoint", txn -> {
            checkpoints.put(txn, seqKey(seq), state, chunkSize);
            return null;
        });
        sync();
    }

    @Override
    public Optional<byte[]> readCheckpoint(long seq) throws IOException {
        checkSeq("readCheckpoint", seq);
        checkOpen();
        return Optional.ofNullable(readTxn("readCheckpoint", txn -> checkpoints.get(txn, seqKey(seq), "checkpoint seq " + seq)));
    }

    @Override
    public long[] checkpointSeqs() throws IOException {
        checkOpen();
        return readTxn("checkpointSeqs", txn -> {
            List<Long> seqs = new ArrayList<>();
            try (Cursor c = checkpoints.values().openCursor(txn)) {
                while (c.getNext()) {
                    seqs.add(LongBinding.compressedEntryToLong(c.getKey()));
                }
            }
            return seqs.stream().mapToLong(Long::longValue).toArray();
        });
    }

    @Override
    public void deleteCheckpoint(long seq) throws IOException {
        checkSeq("deleteCheckpoint", seq);
        checkWritable();
        if (write("deleteCheckpoint", txn -> checkpoints.delete(txn, seqKey(seq)))) {
            sync();
        }
    }

    @Override
    public void putMeta(String key, byte[] value) throws IOException {
        checkMetaKey("putMeta", key);
        if (value == null) {
            throw new IllegalArgumentException("xodus: putMeta: value of key '" + key + "' must not be null");
        }
        checkWritable();
        write("putMeta", txn -> {
            meta.put(txn, StringBinding.stringToEntry(key), value, chunkSize);
            return null;
        });
        sync();
    }

    @Override
    public Optional<byte[]> getMeta(String key) throws IOException {
        checkMetaKey("getMeta", key);
        checkOpen();
        return Optional.ofNullable(readTxn("getMeta", txn -> meta.get(txn, StringBinding.stringToEntry(key), "metadata key '" + key + "'")));
    }

    /** Forces the Xodus log: every commit so far is on stable storage when this returns. */
    @Override
    public void sync() throws IOException {
        checkWritable();
        try {
            // EnvironmentImpl.flushAndSync(): under the commit lock, Log.sync() has SyncingFileDataWriter fsync
            // the current .xd file. Earlier files were synced when they filled up, and every commit has already
            // written its pages to the file, so nothing is left in Xodus' buffers.
            env.flushAndSync();
        } catch (Exception e) {
            throw failed("sync", e);
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (failure != null) {
            // Stopped after a failure: close without the commit Xodus makes on close (its GC statistics) and
            // without the syncs that failed before, so that the files and Xodus' lock are released.
            env.getEnvironmentConfig().setEnvCloseForcedly(true);
            if (env.getLog().getConfig().getWriter() instanceof SyncingFileDataWriter w) {
                w.abandon();
            }
        }
        closeEnvironment(env, directory);
    }

    private static void closeEnvironment(EnvironmentImpl env, Path dir) throws IOException {
        DataWriter writer = env.getLog().getConfig().getWriter();
        try {
            env.close();
        } catch (Exception e) {
            throw storageError("close", dir, e);
        }
        closeDirectoryChannel(writer, dir);
    }

    /**
     * Works around a descriptor leak in Xodus 2.0.1: {@code FileDataWriter} opens a channel on the
     * directory (for directory fsyncs) when it is created and closes it only in {@code closeImpl()},
     * which {@code close()} skips while no {@code .xd} file is open for writing: after an open without
     * writes, or right after a file filled up. The channel then stays open until garbage collection (and
     * keeps, for example, the file system from being unmounted). Closing a closed channel does nothing.
     */
    private static void closeDirectoryChannel(DataWriter writer, Path dir) throws IOException {
        if (!(writer instanceof FileDataWriter)) {
            return;
        }
        Object channel;
        try {
            Field field = FileDataWriter.class.getDeclaredField("dirChannel");
            field.setAccessible(true);
            channel = field.get(writer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "xodus: cannot reach FileDataWriter.dirChannel of " + dir
                    + " (another Xodus version?); it is closed by garbage collection", e);
            return;
        }
        if (channel instanceof FileChannel ch) {
            ch.close();
        }
    }

    /** The Xodus environment, for tests that look inside. */
    EnvironmentImpl environment() {
        return env;
    }

    private <T> T write(String op, TransactionalComputable<T> body) throws IOException {
        try {
            return env.computeInExclusiveTransaction(body);
        } catch (CorruptLogException e) {
            failure = new IOException("xodus: " + op + " found corruption: " + e.getMessage(), e);
            throw e;
        } catch (Exception e) {
            throw failed(op, e);
        }
    }

    private <T> T readTxn(String op, TransactionalComputable<T> body) throws IOException {
        try {
            return env.computeInReadonlyTransaction(body);
        } catch (Exception e) {
            throw storageError(op, directory, e);
        }
    }

    /** A call into Xodus outside the transaction helpers. */
    @FunctionalInterface
    private interface XodusCall<T> {
        T call();
    }

    /** Runs a call into Xodus with its exceptions translated, so that they differ from the visitor's. */
    private <T> T xodus(String op, XodusCall<T> call) throws IOException {
        try {
            return call.call();
        } catch (Exception e) {
            throw storageError(op, directory, e);
        }
    }

    private IOException failed(String op, Exception e) {
        IOException io;
        try {
            io = storageError(op, directory, e);
        } catch (CorruptLogException corrupt) {
            failure = new IOException(corrupt.getMessage(), corrupt);
            throw corrupt;
        }
        failure = io;
        return io;
    }

    /**
     * Translates a failure inside Xodus: corruption becomes {@link CorruptLogException} (thrown), our own
     * {@link PersistentLogException}s pass through (thrown), anything else becomes an {@link IOException} (returned).
     */
    private static IOException storageError(String op, Path dir, Exception e) {
        if (e instanceof PersistentLogException p) {
            throw p;
        }
        if (e instanceof DataCorruptionException) {
            throw new CorruptLogException("xodus: " + op + ": Xodus found corrupt data in " + dir + ": " + e.getMessage(), e);
        }
        if (e instanceof OutOfDiskSpaceException) {
            return new IOException("xodus: " + op + ": no space left on the device of " + dir + ": " + e.getMessage(), e);
        }
        return new IOException("xodus: " + op + " failed in " + dir + ": " + e, e);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("xodus: storage in " + directory + " is closed");
        }
    }

    private void checkWritable() throws IOException {
        checkOpen();
        IOException f = failure;
        if (f != null) {
            throw new IOException("xodus: storage in " + directory + " stopped after an earlier failure; close and reopen it: "
                    + f.getMessage(), f);
        }
    }

    private static void checkSeq(String op, long seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("xodus: " + op + ": seq must be >= 0, got " + seq);
        }
    }

    private static void checkMetaKey(String op, String key) {
        if (key == null || !META_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("xodus: " + op + ": metadata key must be 1-128 characters of [A-Za-z0-9._-], got "
                    + (key == null ? "null" : "'" + key + "'"));
        }
    }

    static ByteIterable seqKey(long seq) {
        return LongBinding.longToCompressedEntry(seq);
    }
}
