package io.atlas.log.core;

import io.atlas.log.BackendNotFoundException;
import io.atlas.log.Codec;
import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.LogLockedException;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.PersistentLogException;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Opens persistent logs.
 *
 * <h2>Backend selection</h2>
 * {@link #open(PersistentLogConfig, Codec, Codec, Codec)} finds storage backends with
 * {@link java.util.ServiceLoader} (through the thread's context class loader) and chooses one:
 * <ol>
 *   <li>A backend is named ({@link PersistentLogConfig#backend()}, {@code atlas.log.backend}): exactly
 *       that one, or {@link BackendNotFoundException} listing the backends found and the jar of each.
 *       An existing log whose configuration names no backend is opened with the backend its manifest
 *       records, as if it were named.</li>
 *   <li>None is named and one {@link io.atlas.log.spi.Capability#DURABLE DURABLE} backend is on the class
 *       path: that one. Backends that are not durable (the in-memory {@code memory} backend) are used
 *       only when named.</li>
 *   <li>None is named and no durable backend is found: {@link BackendNotFoundException} naming the
 *       artifacts to add.</li>
 *   <li>None is named and several durable backends are found: {@link BackendNotFoundException} listing
 *       them; the first one never wins.</li>
 *   <li>Two backends with the same name: {@link BackendNotFoundException} naming both classes.</li>
 * </ol>
 * A backend that fails to load is reported with its cause: it makes selection without a name fail
 * (it might have been the one to use) and is logged as a warning when the named backend is found.
 *
 * <h2>The log directory</h2>
 * Core creates the directory (owner-only where POSIX), locks it with {@code atlas-log.lock} so only
 * one open log writes it (G7, {@link LogLockedException}), and records the backend name and format
 * version in {@code atlas-log.manifest} (G10, {@link IncompatibleLogException}). Both are kept for every
 * backend; backends ignore them.
 *
 * <h2>Backend options</h2>
 * Options keyed {@code <backend>.<option>} in {@link PersistentLogConfig#options()} are handed to the
 * selected backend without the prefix; an option for another backend is refused with
 * {@link IllegalArgumentException}.
 *
 * <h2>Checkpoints, compaction and sequence numbers</h2>
 * A checkpoint may be stored above the last decision (a replica that received its state by state
 * transfer); compacting up to it (automatic with {@code ON_CHECKPOINT}) empties the log, and the next
 * decision must then be above the compaction point. A checkpoint below the last one is refused. A
 * checkpoint is stored only after every decision stored before it is durable, and older checkpoints
 * beyond {@code checkpointsRetain} are deleted only after it is. {@code truncateFrom} first makes
 * the decisions stored so far durable (completing their futures), then drops the suffix durably.
 *
 * <h2>Records</h2>
 * Every decision, checkpoint, configuration and metadata value reaches the backend inside core's
 * envelope (format version, kind, compression, length, CRC32C), checked on every read: a read never
 * returns bytes other than those stored, whatever the backend ({@code CorruptLogException} instead).
 * Only decisions are compressed, when at least {@code minSizeBytes} long and only if that makes them
 * smaller; each record names its algorithm, so changing the setting keeps old records readable.
 *
 * <h2>Limits</h2>
 * A decision whose encoded form (core's 12-byte header plus its fields, before compression) exceeds
 * {@code min(64 MiB, maxSegmentSize - 1024)} bytes is refused; metadata keys are 1-128 characters of
 * {@code [A-Za-z0-9._-]} not starting with {@code atlas.} (reserved), values at most 1 MiB. Backends
 * receive core's envelope around each value, so a metadata value reaches them up to 141 bytes larger.
 */
public final class PersistentLogs {

    private PersistentLogs() {
    }

    /**
     * Opens (creating when absent) the log in {@code config.logDir()} with the backend chosen as
     * described in the class documentation.
     *
     * @throws IllegalArgumentException for a null argument or an option of another backend
     * @throws IllegalStateException    if the configured compression needs an artifact that is absent
     * @throws BackendNotFoundException if no backend can be chosen
     * @throws LogLockedException       if the directory is open elsewhere
     * @throws IncompatibleLogException if the directory was written by another backend or a newer format
     * @throws CorruptLogException      if the manifest or the backend's files are corrupt
     * @throws PersistentLogException   if the directory cannot be created, locked or opened
     */
    public static <P, S, C> PersistentLog<P, S, C> open(PersistentLogConfig config, Codec<P> payloadCodec,
                                                        Codec<S> stateCodec, Codec<C> configCodec) {
        requireArguments(config, payloadCodec, stateCodec, configCodec);
        Path dir = config.logDir().toAbsolutePath().normalize();
        Optional<String> name = config.backend();
        String source = PersistentLogConfig.KEY_BACKEND;
        if (name.isEmpty()) {
            Optional<Manifest> existing = peekManifest(dir);
            if (existing.isPresent()) {
                name = Optional.of(existing.get().backend());
                source = "the manifest " + dir.resolve(Manifest.FILE_NAME) + " of the existing log";
            }
        }
        BackendSelector.Found found = BackendSelector.select(name, source,
                BackendSelector.scan(BackendSelector.defaultLoader()));
        return openWith(config, dir, found.provider(), found.name(), payloadCodec, stateCodec, configCodec);
    }

    /**
     * Opens the log with a given provider instead of one found on the class path: for providers that
     * live only in a test class path, for wrappers (fault injection) and for the test kit. Everything
     * else (lock, manifest, options) is as in {@link #open(PersistentLogConfig, Codec, Codec, Codec)}.
     *
     * @throws IllegalArgumentException if {@code config} names another backend than {@code provider},
     *                                  or the provider's name is invalid
     */
    public static <P, S, C> PersistentLog<P, S, C> open(PersistentLogConfig config, StorageProvider provider,
                                                        Codec<P> payloadCodec, Codec<S> stateCodec,
                                                        Codec<C> configCodec) {
        requireArguments(config, payloadCodec, stateCodec, configCodec);
        if (provider == null) {
            throw new IllegalArgumentException("storage provider must not be null");
        }
        String name = provider.name();
        if (name == null || !PersistentLogConfig.BACKEND_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("storage provider " + provider.getClass().getName() + " has name '"
                    + name + "'; expected 1-32 characters of [a-z0-9-]");
        }
        if (config.backend().isPresent() && !config.backend().get().equals(name)) {
            throw new IllegalArgumentException("the configuration names backend '" + config.backend().get()
                    + "' but the given provider " + provider.getClass().getName() + " is '" + name
                    + "'; remove the backend setting or pass the matching provider");
        }
        Path dir = config.logDir().toAbsolutePath().normalize();
        return openWith(config, dir, provider, name, payloadCodec, stateCodec, configCodec);
    }

    /** {@link #open(PersistentLogConfig, Codec, Codec, Codec)} with {@link Codec#bytes()} for everything. */
    public static PersistentLog<byte[], byte[], byte[]> openBytes(PersistentLogConfig config) {
        return open(config, Codec.bytes(), Codec.bytes(), Codec.bytes());
    }

    /**
     * The storage backends on the class path (through the thread's context class loader), in class path
     * order. Backends that fail to load are left out and logged as warnings with their cause.
     */
    public static List<BackendInfo> availableBackends() {
        BackendSelector.Scan scan = BackendSelector.scan(BackendSelector.defaultLoader());
        for (BackendSelector.Failure f : scan.failures()) {
            System.getLogger(PersistentLogs.class.getName()).log(System.Logger.Level.WARNING, f.describe(), f.cause());
        }
        return scan.found().stream().map(BackendSelector.Found::info).toList();
    }

    private static void requireArguments(PersistentLogConfig config, Codec<?> payload, Codec<?> state, Codec<?> conf) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        if (payload == null) {
            throw new IllegalArgumentException("payload codec must not be null (use Codec.bytes() for byte arrays)");
        }
        if (state == null) {
            throw new IllegalArgumentException("state codec must not be null (use Codec.bytes() for byte arrays)");
        }
        if (conf == null) {
            throw new IllegalArgumentException("configuration codec must not be null (use Codec.bytes() for byte arrays)");
        }
    }

    /** The manifest of an existing log, read without the lock (it never changes once written). */
    private static Optional<Manifest> peekManifest(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try {
            return Manifest.read(dir);
        } catch (IOException e) {
            throw new PersistentLogException("log at " + dir + ": cannot read " + Manifest.FILE_NAME + ": " + e.getMessage(), e);
        }
    }

    /** The selected backend's options without their prefix; refuses options of other backends. */
    static Map<String, String> backendOptions(Map<String, String> options, String backend) {
        Map<String, String> own = new TreeMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            String owner = dot < 0 ? key : key.substring(0, dot);
            if (dot < 0 || !owner.equals(backend)) {
                throw new IllegalArgumentException("option '" + key + "' (" + PersistentLogConfig.PREFIX + key
                        + ") is for backend '" + owner + "', but this log uses backend '" + backend
                        + "'; remove it or write it as " + backend + ".<option>");
            }
            own.put(key.substring(dot + 1), e.getValue());
        }
        return own;
    }

    private static <P, S, C> PersistentLog<P, S, C> openWith(PersistentLogConfig config, Path dir,
                                                             StorageProvider provider, String name,
                                                             Codec<P> payloadCodec, Codec<S> stateCodec,
                                                             Codec<C> configCodec) {
        Map<String, String> options = backendOptions(config.options(), name);
        RecordCompression.unavailable(config.compression().algorithm()).ifPresent(reason -> {
            throw new IllegalStateException("cannot open the log at " + dir + ": " + reason);
        });
        String where = "log at " + dir + " (backend '" + name + "')";
        try {
            LogFiles.createLogDirectory(dir);
        } catch (IOException e) {
            throw new PersistentLogException(where + ": cannot create the directory: " + e, e);
        }
        DirectoryLock lock;
        try {
            lock = DirectoryLock.acquire(dir);
        } catch (IOException e) {
            throw new PersistentLogException(where + ": cannot lock " + dir.resolve(DirectoryLock.FILE_NAME) + ": " + e, e);
        }
        try {
            prepareManifest(dir, name);
            LogStorage storage;
            try {
                storage = provider.open(new StorageConfig(dir, config.maxSegmentSize(), options));
            } catch (IOException e) {
                throw new PersistentLogException(where + ": the backend failed to open it: " + e, e);
            }
            if (storage == null) {
                throw new IllegalStateException("storage provider " + provider.getClass().getName()
                        + " returned null from open(" + dir + ")");
            }
            try {
                return new CorePersistentLog<>(dir, name, storage, lock, config, payloadCodec, stateCodec, configCodec);
            } catch (IOException e) {
                closeQuietly(storage, e);
                throw new PersistentLogException(where + ": cannot read its checkpoints: " + e, e);
            } catch (RuntimeException | Error e) {
                closeQuietly(storage, e);
                throw e;
            }
        } catch (RuntimeException | Error e) {
            try {
                lock.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Closes a storage that failed to become a log, keeping any failure as suppressed by {@code primary}. */
    private static void closeQuietly(LogStorage storage, Throwable primary) {
        try {
            storage.close();
        } catch (IOException | RuntimeException e) {
            primary.addSuppressed(e);
        }
    }

    /** Checks the manifest of an existing log, or writes one for a new log, before the backend opens. */
    private static void prepareManifest(Path dir, String backend) {
        try {
            Manifest.deleteLeftoverTemp(dir);
            Optional<Manifest> manifest = Manifest.read(dir);
            if (manifest.isPresent()) {
                manifest.get().checkCompatible(dir, backend);
                return;
            }
            try (Stream<Path> entries = Files.list(dir)) {
                long others = entries.filter(p -> !p.getFileName().toString().equals(DirectoryLock.FILE_NAME)).count();
                if (others > 0) {
                    System.getLogger(PersistentLogs.class.getName()).log(System.Logger.Level.WARNING,
                            "log directory " + dir + " has no " + Manifest.FILE_NAME + " but holds " + others
                                    + " other entries; creating a new log there with backend '" + backend + "'");
                }
            }
            Manifest.create(dir, backend);
        } catch (IOException e) {
            throw new PersistentLogException("log at " + dir + ": cannot read or write " + Manifest.FILE_NAME + ": " + e, e);
        }
    }
}
