package io.atlas.log.xodus;

import io.atlas.log.spi.StorageConfig;
import jetbrains.exodus.ConfigurationStrategy;
import jetbrains.exodus.InvalidSettingException;
import jetbrains.exodus.env.EnvironmentConfig;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The backend's options ({@code atlas.log.xodus.<option>}) and the Xodus {@link EnvironmentConfig} built
 * from them. A few settings have names of their own; any other Xodus setting can be given by its
 * {@code exodus.*} key (for example {@code atlas.log.xodus.exodus.log.cache.shared=false}). Xodus' own
 * system properties ({@code -Dexodus.*}) are ignored, so that only the log's configuration decides how it
 * behaves.
 */
final class XodusOptions {

    /** Size of one Xodus {@code .xd} file (Xodus {@code exodus.log.fileSize}). */
    static final String LOG_FILE_SIZE = "log-file-size";
    /** Share of the maximum heap for Xodus' page cache ({@code exodus.memoryUsagePercentage}). */
    static final String MEMORY_USAGE_PERCENTAGE = "memory-usage-percentage";
    /** Whether Xodus' background garbage collector runs ({@code exodus.gc.enabled}). */
    static final String GC_ENABLED = "gc-enabled";
    /** Utilization, in percent, that the collector keeps the older files at ({@code exodus.gc.minUtilization}). */
    static final String GC_MIN_UTILIZATION = "gc-min-utilization";
    /** How many of the newest files the collector leaves alone ({@code exodus.gc.fileMinAge}). */
    static final String GC_FILE_MIN_AGE = "gc-file-min-age";
    /** Delay after open before the collector first runs ({@code exodus.gc.startIn}). */
    static final String GC_START_IN_MS = "gc-start-in-ms";
    /** Longest run of one collector pass; it runs again after that while space is wasted ({@code exodus.gc.runPeriod}). */
    static final String GC_RUN_PERIOD_MS = "gc-run-period-ms";
    /** Delay between a file being emptied and its deletion ({@code exodus.gc.filesDeletionDelay}). */
    static final String GC_FILES_DELETION_DELAY_MS = "gc-files-deletion-delay-ms";

    /** Options that pass a setting to Xodus unchanged. */
    static final String RAW_PREFIX = "exodus.";

    /** Largest chunk of one value; values above it are split (a Xodus value must fit in one file). */
    static final int MAX_CHUNK_SIZE = 1 << 20;

    static final long MIN_LOG_FILE_SIZE = 256L << 10;
    static final long MAX_LOG_FILE_SIZE = 1L << 30;
    /** Xodus writes its files in pages of this size; a file holds whole pages. */
    static final long LOG_FILE_SIZE_UNIT = 64L << 10;

    /**
     * Defaults that differ from Xodus' own, and why. Keys and values as Xodus takes them.
     * <ul>
     *   <li>{@code exodus.log.fileSize} 8 MiB (Xodus' default too, stated so the GC figure in the README holds).</li>
     *   <li>{@code exodus.gc.minUtilization} 75 instead of 50: the files older than the newest
     *       {@code gc-file-min-age} are rewritten until at least 75% of their bytes are live, so after a
     *       compaction the log occupies at most about 1/0.75 = 1.33 times its live data plus the newest
     *       files. 50 would let it stay at twice its live data.</li>
     *   <li>{@code exodus.gc.filesDeletionDelay} 1 s instead of 5 s: reclaimed files leave sooner; readers
     *       never hold a snapshot for long in this backend.</li>
     *   <li>{@code exodus.memoryUsagePercentage} 10 instead of 50: the engine above keeps its own cache of
     *       decoded decisions; Xodus' page cache serves tree pages and recovery scans, and half of the
     *       application's heap is too much for that.</li>
     *   <li>{@code exodus.managementEnabled} false: a library should not register JMX beans unasked.</li>
     * </ul>
     */
    private static final Map<String, Object> DEFAULTS = Map.of(
            EnvironmentConfig.LOG_FILE_SIZE, 8192L,
            EnvironmentConfig.GC_MIN_UTILIZATION, 75,
            EnvironmentConfig.GC_FILES_DELETION_DELAY, 1000,
            EnvironmentConfig.MEMORY_USAGE_PERCENTAGE, 10,
            EnvironmentConfig.MANAGEMENT_ENABLED, false);

    /** Curated option name to the Xodus key it sets. */
    private static final Map<String, String> CURATED;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(LOG_FILE_SIZE, EnvironmentConfig.LOG_FILE_SIZE);
        m.put(MEMORY_USAGE_PERCENTAGE, EnvironmentConfig.MEMORY_USAGE_PERCENTAGE);
        m.put(GC_ENABLED, EnvironmentConfig.GC_ENABLED);
        m.put(GC_MIN_UTILIZATION, EnvironmentConfig.GC_MIN_UTILIZATION);
        m.put(GC_FILE_MIN_AGE, EnvironmentConfig.GC_MIN_FILE_AGE);
        m.put(GC_START_IN_MS, EnvironmentConfig.GC_START_IN);
        m.put(GC_RUN_PERIOD_MS, EnvironmentConfig.GC_RUN_PERIOD);
        m.put(GC_FILES_DELETION_DELAY_MS, EnvironmentConfig.GC_FILES_DELETION_DELAY);
        CURATED = Collections.unmodifiableMap(m);
    }

    /** Xodus settings that cannot be given as options, with the reason shown to the user. */
    private static final Map<String, String> REFUSED = Map.of(
            EnvironmentConfig.LOG_DURABLE_WRITE, "durability follows atlas.log.sync: the engine calls sync(), which forces"
                    + " the Xodus log; a forced write per commit would make periodic and none pay an fsync per write"
                    + " and add nothing to every-write",
            EnvironmentConfig.ENV_IS_READONLY, "a log is always opened for writing",
            EnvironmentConfig.LOG_DATA_READER_WRITER_PROVIDER, "the log must live in files in the log directory",
            EnvironmentConfig.LOG_CLEAN_DIRECTORY_EXPECTED, "the log directory always holds atlas-log.lock and atlas-log.manifest",
            EnvironmentConfig.LOG_CLEAR_INVALID, "it deletes data Xodus cannot read; corruption must surface as CorruptLogException",
            EnvironmentConfig.CIPHER_ID, "encryption is not supported: a log whose key is lost or changed cannot be read;"
                    + " encrypt the file system instead",
            EnvironmentConfig.CIPHER_KEY, "encryption is not supported: a log whose key is lost or changed cannot be read;"
                    + " encrypt the file system instead",
            EnvironmentConfig.CIPHER_BASIC_IV, "encryption is not supported: a log whose key is lost or changed cannot be read;"
                    + " encrypt the file system instead");

    /**
     * Xodus settings with their default values, which also give each setting's type; settings without a
     * default ({@code exodus.log.lockID}) are strings.
     */
    private static final Map<String, Object> XODUS_SETTINGS;

    static {
        Map<String, Object> m = new TreeMap<>(new EnvironmentConfig(ConfigurationStrategy.IGNORE).getSettings());
        m.putIfAbsent(EnvironmentConfig.LOG_LOCK_ID, "");
        XODUS_SETTINGS = Collections.unmodifiableMap(m);
    }

    private final EnvironmentConfig environmentConfig;
    private final int chunkSize;

    private XodusOptions(EnvironmentConfig environmentConfig, int chunkSize) {
        this.environmentConfig = environmentConfig;
        this.chunkSize = chunkSize;
    }

    /** Every option name accepted, for {@link StorageConfig#requireKnownOptions}. */
    static Set<String> knownOptions() {
        Set<String> known = new TreeSet<>(CURATED.keySet());
        for (String key : XODUS_SETTINGS.keySet()) {
            if (!REFUSED.containsKey(key)) {
                known.add(key);
            }
        }
        return known;
    }

    /**
     * Validates the options and builds the Xodus configuration.
     *
     * @throws IllegalArgumentException naming the option, for an unknown or refused option, a bad value,
     *                                  or a setting given both by its curated name and its Xodus key
     */
    static XodusOptions parse(StorageConfig config) {
        Map<String, String> options = config.options();
        for (String key : new TreeSet<>(options.keySet())) {
            String reason = REFUSED.get(key);
            if (reason != null) {
                throw new IllegalArgumentException("option '" + key + "' (atlas.log." + XodusStorageProvider.NAME + "." + key
                        + ") cannot be set for backend '" + XodusStorageProvider.NAME + "': " + reason);
            }
        }
        config.requireKnownOptions(XodusStorageProvider.NAME, knownOptions());
        for (Map.Entry<String, String> e : CURATED.entrySet()) {
            if (options.containsKey(e.getKey()) && options.containsKey(e.getValue())) {
                throw new IllegalArgumentException("options '" + e.getKey() + "' and '" + e.getValue()
                        + "' of backend '" + XodusStorageProvider.NAME + "' set the same Xodus setting; give only one");
            }
        }

        EnvironmentConfig ec = new EnvironmentConfig(ConfigurationStrategy.IGNORE);
        DEFAULTS.forEach(ec::setSetting);
        for (Map.Entry<String, String> e : new TreeMap<>(options).entrySet()) {
            if (e.getKey().startsWith(RAW_PREFIX)) {
                ec.setSetting(e.getKey(), rawValue(config, e.getKey()));
            }
        }
        try {
            applyCurated(config, ec);
        } catch (InvalidSettingException e) {
            throw new IllegalArgumentException("invalid option value for backend '" + XodusStorageProvider.NAME + "': "
                    + e.getMessage(), e);
        }

        // Durability (exodus.log.durableWrite). With true, Xodus forces the log file at the end of every commit.
        // With false, a commit writes its pages to the file (the OS page cache: they survive a process crash)
        // and returns; XodusLogStorage.sync() then forces the log through EnvironmentImpl.flushAndSync(). Files
        // that fill up are forced by Xodus when it closes them, and the directory is forced when it creates one,
        // so one forced write of the current file makes every earlier commit durable. The engine calls sync()
        // after each append batch under every-write, once per interval under periodic, and only on request
        // under none. exodus.log.syncPeriod (default 10 s) adds at most one forced write per period on the
        // write path when the engine has not synced for that long.
        ec.setLogDurableWrite(false);

        long fileBytes = ec.getLogFileSize() << 10;
        if (fileBytes < MIN_LOG_FILE_SIZE || fileBytes % LOG_FILE_SIZE_UNIT != 0) {
            throw new IllegalArgumentException("invalid value for option '" + EnvironmentConfig.LOG_FILE_SIZE + "': "
                    + ec.getLogFileSize() + "; expected KiB, a multiple of 64 and at least 256 (or use option '"
                    + LOG_FILE_SIZE + "', such as 8MiB)");
        }
        int chunk = (int) Math.min(MAX_CHUNK_SIZE, fileBytes / 4);
        return new XodusOptions(ec, chunk);
    }

    private static void applyCurated(StorageConfig config, EnvironmentConfig ec) {
        Map<String, String> options = config.options();
        if (options.containsKey(LOG_FILE_SIZE)) {
            long bytes = config.sizeOption(LOG_FILE_SIZE, 0);
            if (bytes < MIN_LOG_FILE_SIZE || bytes > MAX_LOG_FILE_SIZE || bytes % LOG_FILE_SIZE_UNIT != 0) {
                throw new IllegalArgumentException("invalid value for option '" + LOG_FILE_SIZE + "': '" + options.get(LOG_FILE_SIZE)
                        + "'; expected a multiple of 64KiB from 256KiB to 1GiB, such as 8MiB");
            }
            ec.setLogFileSize(bytes >> 10);
        }
        if (options.containsKey(MEMORY_USAGE_PERCENTAGE)) {
            ec.setMemoryUsagePercentage((int) config.longOption(MEMORY_USAGE_PERCENTAGE, 0, 1, 90));
        }
        if (options.containsKey(GC_ENABLED)) {
            ec.setGcEnabled(config.booleanOption(GC_ENABLED, true));
        }
        if (options.containsKey(GC_MIN_UTILIZATION)) {
            ec.setGcMinUtilization((int) config.longOption(GC_MIN_UTILIZATION, 0, 1, 90));
        }
        if (options.containsKey(GC_FILE_MIN_AGE)) {
            ec.setGcFileMinAge((int) config.longOption(GC_FILE_MIN_AGE, 0, 1, 1000));
        }
        if (options.containsKey(GC_START_IN_MS)) {
            ec.setGcStartIn((int) config.longOption(GC_START_IN_MS, 0, 0, Integer.MAX_VALUE));
        }
        if (options.containsKey(GC_RUN_PERIOD_MS)) {
            ec.setGcRunPeriod((int) config.longOption(GC_RUN_PERIOD_MS, 0, 1, Integer.MAX_VALUE));
        }
        if (options.containsKey(GC_FILES_DELETION_DELAY_MS)) {
            ec.setGcFilesDeletionDelay((int) config.longOption(GC_FILES_DELETION_DELAY_MS, 0, 0, Integer.MAX_VALUE));
        }
    }

    private static Object rawValue(StorageConfig config, String key) {
        Object defaultValue = XODUS_SETTINGS.get(key);
        if (defaultValue instanceof Boolean b) {
            return config.booleanOption(key, b);
        }
        if (defaultValue instanceof Integer i) {
            return (int) config.longOption(key, i, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        if (defaultValue instanceof Long l) {
            return config.longOption(key, l, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return config.options().get(key).trim();
    }

    /** The Xodus configuration for one open (each open parses its own). */
    EnvironmentConfig environmentConfig() {
        return environmentConfig;
    }

    /** Values longer than this are stored in chunks of this size. */
    int chunkSize() {
        return chunkSize;
    }
}
