package io.atlas.log;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of sizes and durations in configuration values; messages name the key. */
final class ConfigValues {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ns|us|ms|s|m|h)");

    private ConfigValues() {
    }

    static long parseSize(String key, String value) {
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid value for " + key + ": '" + value
                    + "'; expected a size such as 4096, 512KiB, 64MiB or 1GiB");
        }
        long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
            case "B" -> 1L;
            case "KiB" -> 1L << 10;
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            case "TiB" -> 1L << 40;
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            default -> 1_000_000_000_000L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("invalid value for " + key + ": '" + value + "' is too large", e);
        }
    }

    static Duration parseDuration(String key, String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid value for " + key + ": '" + value
                    + "'; expected a duration such as 500us, 5ms, 1s or 2m");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value for " + key + ": '" + value + "' is too large", e);
        }
        return switch (m.group(2)) {
            case "ns" -> Duration.ofNanos(n);
            case "us" -> Duration.ofNanos(Math.multiplyExact(n, 1000L));
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    static long parseLong(String key, String value, long min, long max) {
        long n;
        try {
            n = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value for " + key + ": '" + value
                    + "'; expected a whole number from " + min + " to " + max, e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("invalid value for " + key + ": " + n
                    + "; expected a whole number from " + min + " to " + max);
        }
        return n;
    }

    static String formatDuration(Duration d) {
        long nanos = d.toNanos();
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        if (nanos % 1_000L == 0) {
            return nanos / 1_000L + "us";
        }
        return nanos + "ns";
    }

    static String lower(String s) {
        return s.trim().toLowerCase(Locale.ROOT);
    }
}
