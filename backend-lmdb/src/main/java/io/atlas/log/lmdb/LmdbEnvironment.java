package io.atlas.log.lmdb;

import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.PersistentLogException;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.LmdbNativeException;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One open LMDB environment: its memory map, the lock that lets the map grow, transactions, syncs
 * and the translation of lmdbjava's exceptions.
 *
 * <h2>Durability</h2>
 * The environment is opened with {@code MDB_NOMETASYNC}. A commit writes its pages, fdatasyncs them,
 * then writes its meta page without a sync; {@link #sync()} ({@code mdb_env_sync(force)}) or the next
 * commit's fdatasync makes that meta page durable. After a power loss LMDB opens at the newest meta
 * page on disk, and every page it points to was synced before it was written, so a crash can only
 * undo a suffix of commits: the SPI's rule for appends (unsynced records may be lost, never a later
 * one while an earlier one is kept).
 *
 * <p>{@code MDB_NOSYNC} (no fdatasync in commits, one in {@code sync()}) would save one fdatasync per
 * append but is not safe here: the kernel writes back a commit's meta page and its data pages in any
 * order, the two meta slots alternate so a later commit overwrites the slot of the last synced one, and
 * ext4 does not preserve write order. A power loss could then leave a meta page pointing at pages that
 * never reached the disk: a corrupt store, not a lost suffix (LMDB documents {@code MDB_NOSYNC} as
 * keeping integrity only on file systems that preserve write order). {@code MDB_WRITEMAP} with
 * {@code MDB_MAPASYNC} has the same flaw and is not used.
 *
 * <p>So an append batch costs one write transaction and one fdatasync; {@link #sync()} costs one
 * fdatasync when something was committed since the last sync and none otherwise.
 *
 * <h2>Map growth and threads</h2>
 * {@code MDB_NOTLS} ties read transactions to their object rather than their thread, so readers may
 * come from any thread. Every transaction runs under the read side of {@link #mapLock}; a write that
 * finds the map full aborts, takes the write side (no transaction of this process is then open, as
 * {@code mdb_env_set_mapsize} requires), doubles the map up to the maximum, and retries.
 */
final class LmdbEnvironment {

    /** Work done inside one transaction; it may run more than once (a retry after the map grew). */
    @FunctionalInterface
    interface TxnWork<R> {
        R apply(Txn<ByteBuffer> txn) throws IOException;
    }

    /** System property lmdbjava reads for where to extract its native library. */
    static final String EXTRACT_DIR_PROPERTY = "lmdbjava.extract.dir";

    private static final System.Logger LOG = System.getLogger(LmdbEnvironment.class.getName());
    private static final int FILE_MODE = 0600;

    private final Path directory;
    private final Path dataFile;
    private final Env<ByteBuffer> env;
    private final long maxMapSize;
    private final ReentrantReadWriteLock mapLock = new ReentrantReadWriteLock();
    private final ReentrantLock syncLock = new ReentrantLock();
    private final AtomicLong commits = new AtomicLong();
    private volatile long syncedCommits;
    /** Guarded by the write side of {@link #mapLock}. */
    private long mapSize;
    private volatile boolean closed;
    /** The failure after which no write is attempted (fail-stop); null while healthy. */
    private volatile Throwable failure;

    private LmdbEnvironment(Path directory, Env<ByteBuffer> env, long mapSize, long maxMapSize) {
        this.directory = directory;
        this.dataFile = directory.resolve(LmdbLayout.DATA_FILE);
        this.env = env;
        this.mapSize = mapSize;
        this.maxMapSize = Math.max(maxMapSize, mapSize);
    }

    /**
     * Opens (creating when absent) the environment in {@code directory}.
     *
     * @throws PersistentLogException    if the JVM lacks the flags lmdbjava needs, or its native library
     *                                   cannot be loaded
     * @throws CorruptLogException       if {@code data.mdb} is not an LMDB file
     * @throws IncompatibleLogException  if it was written by an incompatible LMDB version
     * @throws IOException               for other failures
     */
    static LmdbEnvironment open(Path directory, LmdbOptions options) throws IOException {
        requireJvmFlags();
        createOwnerOnlyDirectory(directory);
        String extractDir = System.getProperty(EXTRACT_DIR_PROPERTY);
        if (extractDir != null && !extractDir.isBlank()) {
            // lmdbjava refuses an extraction directory that does not exist yet
            createOwnerOnlyDirectory(Path.of(extractDir));
        }
        Path dataFile = directory.resolve(LmdbLayout.DATA_FILE);
        // a map smaller than the file would fill at the first write; start at least at the file's size
        long existing = Files.exists(dataFile) ? Files.size(dataFile) : 0;
        long initial = Math.max(options.mapSize(), existing);
        Env<ByteBuffer> env;
        try {
            env = Env.create(ByteBufferProxy.PROXY_OPTIMAL)
                    .setMapSize(initial)
                    .setMaxDbs(LmdbLayout.MAX_DATABASES)
                    .open(directory.toFile(), FILE_MODE, EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOMETASYNC);
        } catch (Env.FileInvalidException e) {
            throw new CorruptLogException("LMDB store " + dataFile + " is not an LMDB data file: " + e.getMessage(), e);
        } catch (Env.VersionMismatchException e) {
            throw new IncompatibleLogException("LMDB store " + dataFile + " was written by an LMDB version this "
                    + "lmdbjava cannot read: " + e.getMessage(), e);
        } catch (LmdbException e) {
            throw new IOException("lmdb: cannot open the LMDB environment in " + directory + " with a map of "
                    + initial + " bytes: " + e.getMessage(), e);
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new PersistentLogException("lmdb: cannot load lmdbjava or its native library (" + e
                    + "); it needs the JVM flags " + String.join(" ", jvmFlags())
                    + " and, if " + EXTRACT_DIR_PROPERTY + " is set, a writable directory there", e);
        }
        try {
            return new LmdbEnvironment(directory, env, env.info().mapSize, options.maxMapSize());
        } catch (LmdbException e) {
            env.close();
            throw new IOException("lmdb: cannot read the map size of " + dataFile + ": " + e.getMessage(), e);
        }
    }

    /** The JVM flags lmdbjava needs, for the module lmdbjava was loaded in. */
    static List<String> jvmFlags() {
        Module lmdb = Env.class.getModule();
        String target = lmdb.isNamed() ? lmdb.getName() : "ALL-UNNAMED";
        return List.of("--add-opens java.base/java.nio=" + target, "--add-opens java.base/sun.nio.ch=" + target);
    }

    /**
     * Checks up front what lmdbjava's buffer proxy would otherwise fail on deep inside (and then stay
     * broken for the life of the JVM): reflective access to {@code java.nio.Buffer.address} and the
     * {@code sun.nio.ch.DirectBuffer} interface.
     */
    static void requireJvmFlags() {
        Module base = ByteBuffer.class.getModule();
        Module lmdb = Env.class.getModule();
        List<String> missing = new ArrayList<>();
        if (!base.isOpen("java.nio", lmdb)) {
            missing.add("java.nio is not open to " + lmdb);
        }
        if (!base.isExported("sun.nio.ch", lmdb)) {
            missing.add("sun.nio.ch is not exported to " + lmdb);
        }
        if (!missing.isEmpty()) {
            throw new PersistentLogException("lmdb: the LMDB backend needs the JVM flags " + String.join(" ", jvmFlags())
                    + " (" + String.join("; ", missing) + "); add them to the java command line (or JDK_JAVA_OPTIONS), "
                    + "to the test JVM's argLine and to every child JVM that opens an LMDB log");
        }
    }

    Path dataFile() {
        return dataFile;
    }

    /** Opens (or creates) a named database inside {@code txn}; visible to other transactions once it commits. */
    Dbi<ByteBuffer> openDatabase(Txn<ByteBuffer> txn, String name, boolean create) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return create ? env.openDbi(txn, bytes, null, false, DbiFlags.MDB_CREATE) : env.openDbi(txn, bytes, null, false);
    }

    /** The main (unnamed) database, whose keys are the names of the named ones. */
    Dbi<ByteBuffer> openMainDatabase(Txn<ByteBuffer> txn) {
        return env.openDbi(txn, null, null, false);
    }

    /** Runs {@code work} in a read transaction. */
    <R> R read(String what, TxnWork<R> work) throws IOException {
        mapLock.readLock().lock();
        try {
            checkOpen();
            try (Txn<ByteBuffer> txn = env.txnRead()) {
                return work.apply(txn);
            }
        } catch (LmdbException e) {
            throw translate(what, e);
        } finally {
            mapLock.readLock().unlock();
        }
    }

    /**
     * Runs {@code work} in a write transaction and commits it; grows the map and runs it again when
     * the map is full. Any other failure stops all later writes (fail-stop).
     *
     * @throws IOException naming {@code atlas.log.lmdb.max-map-size} when the map cannot grow enough;
     *                     nothing of {@code work} is stored then
     */
    <R> R write(String what, TxnWork<R> work) throws IOException {
        while (true) {
            long fullAt;
            mapLock.readLock().lock();
            try {
                checkUsable();
                try (Txn<ByteBuffer> txn = env.txnWrite()) {
                    R result = work.apply(txn);
                    txn.commit();
                    commits.incrementAndGet();
                    return result;
                } catch (Env.MapFullException e) {
                    // the transaction is aborted (closed above); the store is as before the attempt
                    fullAt = mapSize;
                } catch (LmdbException e) {
                    failure = e;
                    throw translate(what, e);
                }
            } finally {
                mapLock.readLock().unlock();
            }
            grow(what, fullAt);
        }
    }

    private void grow(String what, long fullAt) throws IOException {
        mapLock.writeLock().lock();
        try {
            checkUsable();
            if (mapSize != fullAt) {
                return; // another writer grew it meanwhile
            }
            if (mapSize >= maxMapSize) {
                throw new IOException("LMDB map full at " + mapSize + " bytes (atlas.log.lmdb.max-map-size="
                        + maxMapSize + "); raise atlas.log.lmdb.max-map-size. The " + what + " in " + dataFile
                        + " was not stored; everything stored before it is intact");
            }
            long next = mapSize > maxMapSize / 2 ? maxMapSize : mapSize * 2;
            env.setMapSize(next);
            LOG.log(System.Logger.Level.INFO, "lmdb: map of " + dataFile + " full at " + mapSize + " bytes during "
                    + what + "; grown to " + next + " bytes (max " + maxMapSize + ")");
            mapSize = next;
        } catch (LmdbException e) {
            failure = e;
            throw translate("growing the map to run " + what, e);
        } finally {
            mapLock.writeLock().unlock();
        }
    }

    /** Makes every committed transaction durable; skips the fdatasync when nothing was committed since the last. */
    void sync() throws IOException {
        mapLock.readLock().lock();
        try {
            checkUsable();
            long target = commits.get();
            if (target == syncedCommits) {
                return;
            }
            syncLock.lock();
            try {
                if (target <= syncedCommits) {
                    return;
                }
                env.sync(true);
                syncedCommits = target;
            } finally {
                syncLock.unlock();
            }
        } catch (LmdbException e) {
            failure = e;
            throw translate("sync", e);
        } finally {
            mapLock.readLock().unlock();
        }
    }

    /** Makes a newly created {@code data.mdb} (its directory entry) durable. */
    void syncDirectory() throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** The current map size in bytes. */
    long mapSize() {
        mapLock.readLock().lock();
        try {
            return mapSize;
        } finally {
            mapLock.readLock().unlock();
        }
    }

    long maxMapSize() {
        return maxMapSize;
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("lmdb: the storage in " + directory + " is closed");
        }
    }

    private void checkUsable() throws IOException {
        checkOpen();
        Throwable f = failure;
        if (f != null) {
            throw new IOException("lmdb: the storage in " + directory + " stopped writing after an earlier failure ("
                    + f.getMessage() + "); close and reopen it", f);
        }
    }

    /** Closes the environment once no transaction is open. Idempotent. Does not sync. */
    void close() throws IOException {
        mapLock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            env.close();
        } catch (LmdbException e) {
            throw new IOException("lmdb: closing the LMDB environment in " + directory + " failed: " + e.getMessage(), e);
        } finally {
            mapLock.writeLock().unlock();
        }
    }

    /**
     * lmdbjava's (unchecked) exception as this project's: the I/O failure to throw, or, when LMDB
     * reports a damaged store, a {@link CorruptLogException} thrown from here.
     */
    private IOException translate(String what, LmdbException e) {
        if (e instanceof LmdbNativeException.PageCorruptedException
                || e instanceof LmdbNativeException.PageNotFoundException
                || e instanceof Env.FileInvalidException) {
            throw new CorruptLogException("LMDB store " + dataFile + " is corrupt (found during " + what + "): "
                    + e.getMessage(), e);
        }
        return new IOException("lmdb: " + what + " failed in " + dataFile + ": " + e.getMessage(), e);
    }

    /** Creates {@code dir} (and parents) as rwx------ where the file system has POSIX permissions. */
    static void createOwnerOnlyDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
    }
}
