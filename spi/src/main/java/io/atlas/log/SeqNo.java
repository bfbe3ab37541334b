package io.atlas.log;

/**
 * The sequence number of a consensus decision: a non-negative position in the log.
 *
 * <p>Immutable and thread-safe. Ordered numerically.
 *
 * @param value the position, {@code >= 0}
 */
public record SeqNo(long value) implements Comparable<SeqNo> {

    /** The first sequence number. */
    public static final SeqNo ZERO = new SeqNo(0);

    /**
     * @throws IllegalArgumentException if {@code value} is negative
     */
    public SeqNo {
        if (value < 0) {
            throw new IllegalArgumentException("sequence number must be >= 0, got " + value);
        }
    }

    /** Returns the sequence number {@code value}; refuses negative values. */
    public static SeqNo of(long value) {
        return new SeqNo(value);
    }

    /**
     * Returns the sequence number after this one.
     *
     * @throws IllegalStateException if this is {@link Long#MAX_VALUE}
     */
    public SeqNo next() {
        if (value == Long.MAX_VALUE) {
            throw new IllegalStateException("sequence number " + value + " has no successor");
        }
        return new SeqNo(value + 1);
    }

    @Override
    public int compareTo(SeqNo other) {
        return Long.compare(value, other.value);
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
