package io.atlas.log;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Everything needed to open a log. Immutable and thread-safe; build with {@link #builder(Path)} or
 * read from properties with {@link #fromProperties(Properties)} / {@link #load(Path)}.
 *
 * <p>Backend options are keyed {@code <backend>.<option>} (for example {@code lmdb.map-size}); in a
 * properties file they are written {@code atlas.log.lmdb.map-size}. At open, the options of the
 * selected backend are handed to it with the {@code <backend>.} prefix removed; an option for another
 * backend is refused.
 */
public final class PersistentLogConfig {

    /** Property key prefix. */
    public static final String PREFIX = "atlas.log.";
    public static final String KEY_DIR = PREFIX + "dir";
    public static final String KEY_BACKEND = PREFIX + "backend";
    public static final String KEY_SYNC = PREFIX + "sync";
    public static final String KEY_COMPRESSION = PREFIX + "compression";
    public static final String KEY_COMPRESSION_MIN_SIZE = PREFIX + "compression.min-size";
    public static final String KEY_MAX_SEGMENT_SIZE = PREFIX + "max-segment-size";
    public static final String KEY_CACHE_SIZE = PREFIX + "cache-size";
    public static final String KEY_COMPACTION = PREFIX + "compaction";
    public static final String KEY_COMPACTION_RETAIN = PREFIX + "compaction.retain";
    public static final String KEY_CHECKPOINTS_RETAIN = PREFIX + "checkpoints.retain";

    /** Default segment size: 64 MiB. */
    public static final long DEFAULT_MAX_SEGMENT_SIZE = 64L << 20;
    /** Smallest segment size accepted: 4 KiB. */
    public static final long MIN_SEGMENT_SIZE = 4L << 10;
    /** Largest segment size accepted: 1 GiB. */
    public static final long MAX_SEGMENT_SIZE = 1L << 30;
    public static final int DEFAULT_CACHE_SIZE = 4096;
    public static final int DEFAULT_CHECKPOINTS_RETAIN = 2;

    private static final List<String> KEYS = List.of(KEY_DIR, KEY_BACKEND, KEY_SYNC, KEY_COMPRESSION,
            KEY_COMPRESSION_MIN_SIZE, KEY_MAX_SEGMENT_SIZE, KEY_CACHE_SIZE, KEY_COMPACTION,
            KEY_COMPACTION_RETAIN, KEY_CHECKPOINTS_RETAIN);
    /** First segments of core keys; {@code atlas.log.<these>.x} is never a backend option. */
    private static final List<String> RESERVED = List.of("dir", "backend", "sync", "compression",
            "max-segment-size", "cache-size", "compaction", "checkpoints");
    /** Provider names, as in the SPI. */
    public static final Pattern BACKEND_NAME = Pattern.compile("[a-z0-9-]{1,32}");
    private static final Pattern OPTION_KEY = Pattern.compile("[a-z0-9-]{1,32}\\.[A-Za-z0-9._-]{1,128}");

    private final Path logDir;
    private final String backend;
    private final long maxSegmentSize;
    private final SyncPolicy syncPolicy;
    private final CompressionOptions compression;
    private final int cacheSize;
    private final CompactionMode compaction;
    private final long compactionRetain;
    private final int checkpointsRetain;
    private final Map<String, String> options;

    private PersistentLogConfig(Builder b) {
        this.logDir = b.logDir;
        this.backend = b.backend;
        this.maxSegmentSize = b.maxSegmentSize;
        this.syncPolicy = b.syncPolicy;
        this.compression = b.compression;
        this.cacheSize = b.cacheSize;
        this.compaction = b.compaction;
        this.compactionRetain = b.compactionRetain;
        this.checkpointsRetain = b.checkpointsRetain;
        this.options = Collections.unmodifiableMap(new TreeMap<>(b.options));
    }

    /** A builder with every setting at its default. */
    public static Builder builder(Path logDir) {
        return new Builder(logDir);
    }

    /** A builder holding this configuration's settings. */
    public Builder toBuilder() {
        Builder b = new Builder(logDir)
                .maxSegmentSize(maxSegmentSize)
                .syncPolicy(syncPolicy)
                .compression(compression)
                .cacheSize(cacheSize)
                .compaction(compaction)
                .compactionRetain(compactionRetain)
                .checkpointsRetain(checkpointsRetain)
                .options(options);
        b.backend = backend;
        return b;
    }

    /** The log directory; created at open if absent. */
    public Path logDir() {
        return logDir;
    }

    /** The backend named in the configuration; empty means "the only DURABLE one on the class path". */
    public Optional<String> backend() {
        return Optional.ofNullable(backend);
    }

    public long maxSegmentSize() {
        return maxSegmentSize;
    }

    public SyncPolicy syncPolicy() {
        return syncPolicy;
    }

    public CompressionOptions compression() {
        return compression;
    }

    /** Decoded decisions kept in the read cache; 0 disables it. */
    public int cacheSize() {
        return cacheSize;
    }

    public CompactionMode compaction() {
        return compaction;
    }

    /** Decisions kept below a checkpoint by {@link CompactionMode#ON_CHECKPOINT}, for lagging replicas. */
    public long compactionRetain() {
        return compactionRetain;
    }

    /** Checkpoints kept; older ones are deleted once a newer one is durable. */
    public int checkpointsRetain() {
        return checkpointsRetain;
    }

    /** Backend options, keyed {@code <backend>.<option>}, sorted. */
    public Map<String, String> options() {
        return options;
    }

    /**
     * Reads a configuration from {@code atlas.log.*} properties (see the table in the README). Keys
     * outside {@code atlas.log.} are ignored, so the properties may hold other settings too.
     *
     * @throws IllegalArgumentException naming the key, for a missing {@code atlas.log.dir}, an unknown
     *                                  {@code atlas.log.*} key, or a bad value
     */
    public static PersistentLogConfig fromProperties(Properties properties) {
        return fromProperties(properties, null);
    }

    /**
     * Reads a properties file (UTF-8) with {@link #fromProperties}. A relative {@code atlas.log.dir} is
     * resolved against the directory that holds the file.
     *
     * @throws UncheckedIOException     if the file cannot be read
     * @throws IllegalArgumentException as {@link #fromProperties}, the message naming the file too
     */
    public static PersistentLogConfig load(Path propertiesFile) {
        if (propertiesFile == null) {
            throw new IllegalArgumentException("properties file path must not be null");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(propertiesFile, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read log configuration file " + propertiesFile + ": " + e.getMessage(), e);
        }
        Path base = propertiesFile.toAbsolutePath().getParent();
        try {
            return fromProperties(p, base);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(propertiesFile + ": " + e.getMessage(), e);
        }
    }

    private static PersistentLogConfig fromProperties(Properties properties, Path base) {
        if (properties == null) {
            throw new IllegalArgumentException("properties must not be null");
        }
        Map<String, String> values = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith(PREFIX)) {
                values.put(name, properties.getProperty(name));
            }
        }
        String dir = values.remove(KEY_DIR);
        if (dir == null || dir.isBlank()) {
            throw new IllegalArgumentException("missing required key " + KEY_DIR + ": the log directory");
        }
        Path logDir = Path.of(dir.trim());
        if (!logDir.isAbsolute() && base != null) {
            logDir = base.resolve(logDir);
        }
        Builder b = builder(logDir);
        Map<String, String> options = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            switch (key) {
                case KEY_BACKEND -> {
                    String v = ConfigValues.lower(value);
                    checkBackendName(key, v);
                    b.backend(v);
                }
                case KEY_SYNC -> b.syncPolicy(parseSyncPolicy(key, value));
                case KEY_COMPRESSION -> b.compression(new CompressionOptions(parseCompression(key, value),
                        b.compression.minSizeBytes()));
                case KEY_COMPRESSION_MIN_SIZE -> b.compression(new CompressionOptions(b.compression.algorithm(),
                        (int) Math.min(Integer.MAX_VALUE, checkRange(key, ConfigValues.parseSize(key, value), 0, Integer.MAX_VALUE))));
                case KEY_MAX_SEGMENT_SIZE -> b.maxSegmentSize(checkRange(key, ConfigValues.parseSize(key, value),
                        MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE));
                case KEY_CACHE_SIZE -> b.cacheSize((int) ConfigValues.parseLong(key, value, 0, Integer.MAX_VALUE));
                case KEY_COMPACTION -> b.compaction(parseCompaction(key, value));
                case KEY_COMPACTION_RETAIN -> b.compactionRetain(ConfigValues.parseLong(key, value, 0, Long.MAX_VALUE));
                case KEY_CHECKPOINTS_RETAIN -> b.checkpointsRetain((int) ConfigValues.parseLong(key, value, 1, Integer.MAX_VALUE));
                default -> {
                    String rest = key.substring(PREFIX.length());
                    int dot = rest.indexOf('.');
                    String first = dot < 0 ? rest : rest.substring(0, dot);
                    if (dot < 0 || RESERVED.contains(first) || !OPTION_KEY.matcher(rest).matches()) {
                        throw new IllegalArgumentException("unknown configuration key " + key + "; known keys: "
                                + String.join(", ", KEYS) + ", and backend options written "
                                + PREFIX + "<backend>.<option> (for example " + PREFIX + "lmdb.map-size)");
                    }
                    options.put(rest, value.trim());
                }
            }
        }
        b.options(options);
        return b.build();
    }

    private static long checkRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("invalid value for " + key + ": " + value + " bytes; expected "
                    + min + " to " + max + " bytes");
        }
        return value;
    }

    private static void checkBackendName(String key, String name) {
        if (!BACKEND_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid value for " + key + ": '" + name
                    + "'; expected a backend name of 1-32 characters a-z, 0-9 and '-', such as file, lmdb or xodus");
        }
    }

    static SyncPolicy parseSyncPolicy(String key, String value) {
        String v = ConfigValues.lower(value);
        if (v.equals("every-write")) {
            return SyncPolicy.everyWrite();
        }
        if (v.equals("none")) {
            return SyncPolicy.none();
        }
        if (v.startsWith("periodic:")) {
            Duration d;
            try {
                d = ConfigValues.parseDuration(key, v.substring("periodic:".length()));
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("invalid value for " + key + ": '" + value + "' is too long", e);
            }
            if (d.isZero()) {
                throw new IllegalArgumentException("invalid value for " + key + ": '" + value
                        + "'; the periodic interval must be positive");
            }
            return SyncPolicy.periodic(d);
        }
        throw new IllegalArgumentException("invalid value for " + key + ": '" + value
                + "'; expected every-write, periodic:<duration> (such as periodic:5ms or periodic:1s) or none");
    }

    private static Compression parseCompression(String key, String value) {
        String v = ConfigValues.lower(value);
        for (Compression c : Compression.values()) {
            if (c.propertyValue().equals(v)) {
                return c;
            }
        }
        throw new IllegalArgumentException("invalid value for " + key + ": '" + value
                + "'; expected none, lz4, snappy, deflate, gzip, zstd or xz");
    }

    private static CompactionMode parseCompaction(String key, String value) {
        return switch (ConfigValues.lower(value)) {
            case "manual" -> CompactionMode.MANUAL;
            case "on-checkpoint" -> CompactionMode.ON_CHECKPOINT;
            default -> throw new IllegalArgumentException("invalid value for " + key + ": '" + value
                    + "'; expected manual or on-checkpoint");
        };
    }

    /** The configuration as {@code atlas.log.*} properties; {@code fromProperties} reads it back equal. */
    public Properties toProperties() {
        Properties p = new Properties();
        p.setProperty(KEY_DIR, logDir.toString());
        if (backend != null) {
            p.setProperty(KEY_BACKEND, backend);
        }
        p.setProperty(KEY_SYNC, syncPolicy.toString());
        p.setProperty(KEY_COMPRESSION, compression.algorithm().propertyValue());
        p.setProperty(KEY_COMPRESSION_MIN_SIZE, Integer.toString(compression.minSizeBytes()));
        p.setProperty(KEY_MAX_SEGMENT_SIZE, Long.toString(maxSegmentSize));
        p.setProperty(KEY_CACHE_SIZE, Integer.toString(cacheSize));
        p.setProperty(KEY_COMPACTION, compaction == CompactionMode.MANUAL ? "manual" : "on-checkpoint");
        p.setProperty(KEY_COMPACTION_RETAIN, Long.toString(compactionRetain));
        p.setProperty(KEY_CHECKPOINTS_RETAIN, Integer.toString(checkpointsRetain));
        options.forEach((k, v) -> p.setProperty(PREFIX + k, v));
        return p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PersistentLogConfig c && toProperties().equals(c.toProperties());
    }

    @Override
    public int hashCode() {
        return toProperties().hashCode();
    }

    @Override
    public String toString() {
        return "PersistentLogConfig" + new TreeMap<>(toProperties());
    }

    /** Builds a {@link PersistentLogConfig}; each setter validates its argument at once. Not thread-safe. */
    public static final class Builder {
        private final Path logDir;
        private String backend;
        private long maxSegmentSize = DEFAULT_MAX_SEGMENT_SIZE;
        private SyncPolicy syncPolicy = SyncPolicy.everyWrite();
        private CompressionOptions compression = CompressionOptions.none();
        private int cacheSize = DEFAULT_CACHE_SIZE;
        private CompactionMode compaction = CompactionMode.MANUAL;
        private long compactionRetain;
        private int checkpointsRetain = DEFAULT_CHECKPOINTS_RETAIN;
        private final Map<String, String> options = new TreeMap<>();

        private Builder(Path logDir) {
            if (logDir == null) {
                throw new IllegalArgumentException("log directory must not be null");
            }
            this.logDir = logDir;
        }

        /** Uses exactly the backend with this provider name ({@code file}, {@code lmdb}, {@code xodus}, ...). */
        public Builder backend(String name) {
            if (name == null) {
                throw new IllegalArgumentException("backend name must not be null; leave it unset to use the only backend on the class path");
            }
            checkBackendName("backend", name);
            this.backend = name;
            return this;
        }

        public Builder maxSegmentSize(long bytes) {
            this.maxSegmentSize = checkRange("maxSegmentSize", bytes, MIN_SEGMENT_SIZE, MAX_SEGMENT_SIZE);
            return this;
        }

        public Builder syncPolicy(SyncPolicy policy) {
            if (policy == null) {
                throw new IllegalArgumentException("sync policy must not be null; expected SyncPolicy.everyWrite(), periodic(d) or none()");
            }
            this.syncPolicy = policy;
            return this;
        }

        public Builder compression(CompressionOptions options) {
            if (options == null) {
                throw new IllegalArgumentException("compression must not be null; use CompressionOptions.none()");
            }
            this.compression = options;
            return this;
        }

        public Builder compression(Compression algorithm) {
            return compression(CompressionOptions.of(algorithm));
        }

        public Builder cacheSize(int decisions) {
            if (decisions < 0) {
                throw new IllegalArgumentException("cacheSize must be >= 0 decisions (0 disables the cache), got " + decisions);
            }
            this.cacheSize = decisions;
            return this;
        }

        public Builder compaction(CompactionMode mode) {
            if (mode == null) {
                throw new IllegalArgumentException("compaction mode must not be null; expected MANUAL or ON_CHECKPOINT");
            }
            this.compaction = mode;
            return this;
        }

        public Builder compactionRetain(long decisions) {
            if (decisions < 0) {
                throw new IllegalArgumentException("compactionRetain must be >= 0 decisions, got " + decisions);
            }
            this.compactionRetain = decisions;
            return this;
        }

        public Builder checkpointsRetain(int checkpoints) {
            if (checkpoints < 1) {
                throw new IllegalArgumentException("checkpointsRetain must be >= 1, got " + checkpoints);
            }
            this.checkpointsRetain = checkpoints;
            return this;
        }

        /** Sets one backend option, keyed {@code <backend>.<option>}, such as {@code lmdb.map-size}. */
        public Builder option(String key, String value) {
            if (key == null || !OPTION_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("invalid backend option key '" + key
                        + "'; expected <backend>.<option>, such as lmdb.map-size");
            }
            if (RESERVED.contains(key.substring(0, key.indexOf('.')))) {
                throw new IllegalArgumentException("invalid backend option key '" + key + "': '"
                        + key.substring(0, key.indexOf('.')) + "' is a core setting, not a backend; use its builder method");
            }
            if (value == null) {
                throw new IllegalArgumentException("value of backend option '" + key + "' must not be null");
            }
            options.put(key, value);
            return this;
        }

        /** Sets several backend options; see {@link #option(String, String)}. */
        public Builder options(Map<String, String> options) {
            if (options == null) {
                throw new IllegalArgumentException("options must not be null");
            }
            options.forEach(this::option);
            return this;
        }

        public PersistentLogConfig build() {
            return new PersistentLogConfig(this);
        }
    }
}
