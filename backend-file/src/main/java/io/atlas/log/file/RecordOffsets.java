package io.atlas.log.file;

import java.util.Arrays;

/**
 * Where each record of one segment ends, in memory: record {@code i} spans
 * {@code [i == 0 ? header end : end(i - 1), end(i))}. Keeping ends rather than starts gives every
 * published record both bounds, so a reader never needs the writer's unpublished position.
 *
 * <p>One writer appends and truncates; readers run concurrently. The writer fills the array first and
 * publishes the new count last (a volatile write), so a reader that sees count {@code c} sees every
 * entry below {@code c}. Truncation happens only while readers are excluded by the storage's lock.
 */
final class RecordOffsets {

    private volatile int[] ends;
    private volatile int count;

    RecordOffsets(int[] ends, int count) {
        this.ends = ends;
        this.count = count;
    }

    static RecordOffsets empty() {
        return new RecordOffsets(new int[64], 0);
    }

    int count() {
        return count;
    }

    int start(int i) {
        return i == 0 ? SegmentHeader.SIZE : ends[i - 1];
    }

    int end(int i) {
        return ends[i];
    }

    /** Where the last published record ends: the header end when there is none. */
    int dataEnd() {
        int c = count;
        return c == 0 ? SegmentHeader.SIZE : ends[c - 1];
    }

    /** Publishes {@code n} more records ending at {@code newEnds[0..n)}. Writer only. */
    void append(int[] newEnds, int n) {
        int c = count;
        int[] e = ends;
        if (c + n > e.length) {
            e = Arrays.copyOf(e, Math.max(c + n, e.length * 2));
            ends = e;
        }
        System.arraycopy(newEnds, 0, e, c, n);
        count = c + n;
    }

    /** Keeps the first {@code n} records. Only while no reader runs. */
    void truncate(int n) {
        count = Math.min(count, n);
    }

    /** A copy of the published ends. */
    int[] toArray() {
        int c = count;
        return Arrays.copyOf(ends, c);
    }
}
