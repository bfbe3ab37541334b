package io.atlas.log.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a backend is opened with.
 *
 * @param directory      the backend's directory (the log directory); created by the backend if absent
 * @param maxSegmentSize size at which a segmented backend starts a new file; others may ignore it
 * @param options        this backend's options with the {@code <backend>.} prefix removed
 *                       ({@code map-size} for {@code atlas.log.lmdb.map-size}); values as the user
 *                       wrote them
 */
public record StorageConfig(Path directory, long maxSegmentSize, Map<String, String> options) {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB)?");

    /**
     * @throws IllegalArgumentException if {@code directory} or {@code options} is null or
     *                                  {@code maxSegmentSize} is not positive
     */
    public StorageConfig {
        if (directory == null) {
            throw new IllegalArgumentException("storage directory must not be null");
        }
        if (maxSegmentSize <= 0) {
            throw new IllegalArgumentException("maxSegmentSize must be > 0, got " + maxSegmentSize);
        }
        if (options == null) {
            throw new IllegalArgumentException("options must not be null (use Map.of())");
        }
        options = Map.copyOf(options);
    }

    /** A configuration without options. */
    public StorageConfig(Path directory, long maxSegmentSize) {
        this(directory, maxSegmentSize, Map.of());
    }

    /**
     * Refuses options this backend does not know.
     *
     * @param backend the provider name, for the message
     * @param known   the option names the backend accepts
     * @throws IllegalArgumentException naming the first unknown option and listing the known ones
     */
    public void requireKnownOptions(String backend, Set<String> known) {
        for (String key : new TreeSet<>(options.keySet())) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "' for backend '" + backend
                        + "' (atlas.log." + backend + "." + key + "); known options: "
                        + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known))));
            }
        }
    }

    /**
     * The option {@code key} as a size in bytes ({@code 4096}, {@code 512KiB}, {@code 8GiB}), or
     * {@code defaultValue} when absent.
     *
     * @throws IllegalArgumentException for a value that is not a size, naming the key
     */
    public long sizeOption(String key, long defaultValue) {
        String v = options.get(key);
        if (v == null) {
            return defaultValue;
        }
        Matcher m = SIZE.matcher(v.trim());
        if (m.matches()) {
            int shift = switch (m.group(2) == null ? "B" : m.group(2)) {
                case "B" -> 0;
                case "KiB" -> 10;
                case "MiB" -> 20;
                case "GiB" -> 30;
                default -> 40;
            };
            try {
                long n = Long.parseLong(m.group(1));
                if (n <= (Long.MAX_VALUE >> shift)) {
                    return n << shift;
                }
            } catch (NumberFormatException ignored) {
                // too many digits: reported below
            }
        }
        throw new IllegalArgumentException("invalid value for option '" + key + "': '" + v
                + "'; expected a size such as 4096, 512KiB, 64MiB or 8GiB");
    }

    /**
     * The option {@code key} as {@code true}/{@code false}, or {@code defaultValue} when absent.
     *
     * @throws IllegalArgumentException for any other value, naming the key
     */
    public boolean booleanOption(String key, boolean defaultValue) {
        String v = options.get(key);
        if (v == null) {
            return defaultValue;
        }
        return switch (v.trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("invalid value for option '" + key + "': '" + v
                    + "'; expected true or false");
        };
    }

    /**
     * The option {@code key} as a whole number in {@code [min, max]}, or {@code defaultValue} when absent.
     *
     * @throws IllegalArgumentException for another value, naming the key and the range
     */
    public long longOption(String key, long defaultValue, long min, long max) {
        String v = options.get(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("invalid value for option '" + key + "': '" + v
                + "'; expected a whole number from " + min + " to " + max);
    }
}
