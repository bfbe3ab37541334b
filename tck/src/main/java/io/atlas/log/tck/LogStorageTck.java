package io.atlas.log.tck;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract of {@link LogStorage} (SPEC section 3), checked directly on a backend: appends,
 * reads and scans (G2), prefix and suffix truncation across segment boundaries (G2, G6), checkpoints
 * and metadata (G5), bad input and closed storage (G9), readers running while a writer appends, and
 * a seeded random sequence of operations compared step by step with the {@code memory} provider.
 *
 * <p>An implementor extends this class in a test folder and names the provider:
 * <pre>{@code
 * class MyBackendLogStorageTckTest extends LogStorageTck {
 *     @Override protected StorageProvider provider() { return new MyProvider(); }
 * }
 * }</pre>
 * The provider may live only in the implementor's test class path; the kit uses nothing but the
 * instance returned by {@link #provider()}. Every assertion message starts with
 * {@code [<provider name>] G<n>:}. The randomized test logs its seed and takes it back from the
 * system property {@code atlas.tck.seed}; {@code atlas.tck.iterations} sizes it.
 *
 * <p>Hooks with defaults: {@link #scratchDirectory()}, {@link #maxSegmentSize()}, {@link #options()},
 * {@link #randomIterations()}, {@link #storageConfig(Path)}.
 */
public abstract class LogStorageTck extends BackendKit {

    private static final String G2 = "G2";
    private static final String G5 = "G5";
    private static final String G6 = "G6";
    private static final String G9 = "G9";
    private static final String G11 = "G11";

    /** Salt of the bytes first appended at a seq; re-appends after a suffix truncation use another. */
    private static final long FIRST = 1;
    private static final long SECOND = 2;


    /** How the kit opens storage in {@code directory}. Default: {@link #maxSegmentSize()} and {@link #options()}. */
    protected StorageConfig storageConfig(Path directory) {
        return new StorageConfig(directory, maxSegmentSize(), options());
    }

    // ---------------------------------------------------------------------------------------------
    // appends, reads, scans (G2)

    @Test
    public void g2_emptyStorageHasNoRecords() throws IOException {
        LogStorage s = open(newDir());
        assertEquals(-1, s.firstSeq(), m(G2, "firstSeq() of a new storage"));
        assertEquals(-1, s.lastSeq(), m(G2, "lastSeq() of a new storage"));
        assertTrue(s.read(0).isEmpty(), m(G2, "read(0) of a new storage must be empty"));
        assertEquals(List.of(), scan(s, 0, Long.MAX_VALUE), m(G2, "scan(0, MAX) of a new storage must visit nothing"));
        s.sync();
    }

    @Test
    public void g2_appendedRecordsReadBackByteIdentical() throws IOException {
        LogStorage s = open(newDir());
        long next = 0;
        for (int batch : new int[] {1, 1, 2, 7, 50, 1, 120, 3}) {
            append(s, G2, records(next, batch, FIRST));
            next += batch;
            assertEquals(next - 1, s.lastSeq(), m(G2, "lastSeq() after appending a batch of " + batch));
        }
        assertStored(s, 0, next - 1, FIRST, G2, "after batches of 1 to 120 records");
        s.sync();
        assertStored(s, 0, next - 1, FIRST, G2, "after sync()");
    }

    @Test
    public void g2_firstAppendMayStartAtAnySeq() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, records(1_000_000, 10, FIRST));
        assertStored(s, 1_000_000, 1_000_009, FIRST, G2, "a new storage whose first append starts at seq 1000000");
        assertTrue(s.read(0).isEmpty(), m(G2, "read(0) below the first appended seq"));
        LogStorage t = open(newDir());
        long high = Long.MAX_VALUE / 2;
        append(t, G2, records(high, 3, FIRST));
        assertStored(t, high, high + 2, FIRST, G2, "a new storage whose first append starts at seq " + high);
    }

    @Test
    public void g2_emptyBatchIsNoOp() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, List.of());
        assertEquals(-1, s.lastSeq(), m(G2, "lastSeq() after appending an empty batch to an empty storage"));
        append(s, G2, records(0, 5, FIRST));
        append(s, G2, List.of());
        assertStored(s, 0, 4, FIRST, G2, "after appending an empty batch");
    }

    @Test
    public void g9_appendWithWrongFirstSeqIsRefusedAndStoresNothing() throws IOException {
        LogStorage s = open(newDir());
        append(s, G9, records(0, 10, FIRST));
        for (long wrong : new long[] {11, 12, 100, 9, 5, 0}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.append(records(wrong, 3, SECOND)),
                    m(G9, "append starting at seq " + wrong + " when lastSeq() is 9 must be refused"));
            assertMessage(e, G9, "refused append at seq " + wrong);
            assertStored(s, 0, 9, FIRST, G9, "after a refused append starting at seq " + wrong);
        }
        append(s, G9, records(10, 1, FIRST));
        assertStored(s, 0, 10, FIRST, G9, "after the right append followed the refused ones");
    }

    @Test
    public void g9_appendWithGapInsideBatchIsRefusedAndStoresNothing() throws IOException {
        LogStorage s = open(newDir());
        append(s, G9, records(0, 5, FIRST));
        List<LogRecord> gap = new ArrayList<>(records(5, 3, SECOND));
        gap.add(new LogRecord(9, Kit.bytes(SECOND, 9, 10)));
        assertThrows(IllegalArgumentException.class, () -> s.append(gap),
                m(G9, "a batch 5, 6, 7, 9 must be refused"));
        assertStored(s, 0, 4, FIRST, G9, "after a refused batch with a gap (nothing of it may be stored)");
        List<LogRecord> duplicate = new ArrayList<>(records(5, 2, SECOND));
        duplicate.add(new LogRecord(6, Kit.bytes(SECOND, 6, 10)));
        assertThrows(IllegalArgumentException.class, () -> s.append(duplicate),
                m(G9, "a batch 5, 6, 6 must be refused"));
        List<LogRecord> descending = List.of(new LogRecord(6, new byte[1]), new LogRecord(5, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> s.append(descending),
                m(G9, "a batch 6, 5 must be refused"));
        assertStored(s, 0, 4, FIRST, G9, "after refused batches with a duplicate and a descending seq");
        LogStorage empty = open(newDir());
        List<LogRecord> gapInFirst = List.of(new LogRecord(3, new byte[1]), new LogRecord(5, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> empty.append(gapInFirst),
                m(G9, "a first batch 3, 5 on an empty storage must be refused"));
        assertEquals(-1, empty.lastSeq(), m(G9, "an empty storage after a refused first batch must stay empty"));
    }

    @Test
    public void g9_negativeSeqIsRefused() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> new LogRecord(-1, new byte[0]),
                m(G9, "LogRecord with seq -1"));
        LogStorage s = open(newDir());
        assertThrows(IllegalArgumentException.class, () -> s.putCheckpoint(-1, new byte[1]),
                m(G9, "putCheckpoint(-1, ...) must be refused: sequence numbers are >= 0"));
        assertEquals(0, s.checkpointSeqs().length, m(G9, "no checkpoint may be stored by a refused putCheckpoint(-1)"));
    }

    @Test
    public void g2_readOfAbsentSeqIsEmpty() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, records(100, 20, FIRST));
        for (long seq : new long[] {0, 1, 99, 120, 121, 1000, Long.MAX_VALUE}) {
            assertTrue(s.read(seq).isEmpty(), m(G2, "read(" + seq + ") outside the stored range 100..119 must be empty"));
        }
    }

    @Test
    public void g2_scanReturnsContiguousRange() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, records(10, 90, FIRST));
        long[][] ranges = {
            {10, 99}, {0, Long.MAX_VALUE}, {0, 9}, {100, 200}, {50, 49}, {99, 10},
            {20, 20}, {20, 30}, {0, 15}, {95, 1000}, {10, 10}, {99, 99}, {Long.MAX_VALUE, Long.MAX_VALUE},
        };
        for (long[] r : ranges) {
            long from = Math.max(r[0], 10);
            long to = Math.min(r[1], 99);
            List<LogRecord> expected = from <= to ? records(from, to - from + 1, FIRST) : List.of();
            assertSameRecords(expected, scan(s, r[0], r[1]), G2, "scan(" + r[0] + ", " + r[1] + ") of records 10..99");
        }
    }

    @Test
    public void g2_scanAcrossSegmentBoundaries() throws IOException {
        LogStorage s = open(newDir());
        int n = recordsSpanningSegments(6);
        append(s, G2, records(0, n / 2, FIRST));
        s.sync();
        append(s, G2, records(n / 2, n - n / 2, FIRST));
        assertStored(s, 0, n - 1, FIRST, G2, n + " records spanning at least 6 segments");
        for (long from = 0; from < n; from += n / 7 + 1) {
            long to = Math.min(n - 1, from + n / 3);
            assertSameRecords(records(from, to - from + 1, FIRST), scan(s, from, to), G2,
                    "scan(" + from + ", " + to + ") across segment boundaries");
        }
    }

    @Test
    public void g2_scanVisitorExceptionPropagates() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, records(0, 10, FIRST));
        IOException thrown = new IOException("tck: visitor stops the scan (injected by the test kit)");
        List<Long> seen = new ArrayList<>();
        IOException e = assertThrows(IOException.class, () -> s.scan(0, 9, (seq, data) -> {
            seen.add(seq);
            if (seq == 3) {
                throw thrown;
            }
        }), m(G2, "an exception thrown by the visitor must propagate from scan"));
        assertSame(thrown, e, m(G2, "scan must propagate the visitor's exception unchanged"));
        assertEquals(List.of(0L, 1L, 2L, 3L), seen, m(G2, "scan must stop at the visitor's exception"));
        assertStored(s, 0, 9, FIRST, G2, "after a scan stopped by its visitor");
    }

    @Test
    public void g2_recordsOfSize0And1AndLargeRoundTrip() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        int large = largeRecordSize();
        int[] sizes = {0, 1, large, 0, large, large, 1, 0, 2, large - 1, 3};
        List<LogRecord> batch = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            batch.add(new LogRecord(i, Kit.bytes(7, i, sizes[i])));
        }
        append(s, G2, batch.subList(0, 4));
        for (int i = 4; i < sizes.length; i++) {
            append(s, G2, List.of(batch.get(i)));
        }
        assertSameRecords(batch, scan(s, 0, Long.MAX_VALUE), G2, "records of 0, 1 and " + large
                + " bytes (maxSegmentSize - 512)");
        for (LogRecord r : batch) {
            assertArrayEquals(r.data(), s.read(r.seq()).orElse(null),
                    m(G2, "read(" + r.seq() + ") of a record of " + r.data().length + " bytes"));
        }
        s.sync();
        s.close();
        LogStorage t = open(dir);
        assertSameRecords(batch, scan(t, 0, Long.MAX_VALUE), G2, "records of 0, 1 and " + large + " bytes after reopen");
    }

    @Test
    public void g2_returnedArraysBelongToCaller() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, records(0, 3, FIRST));
        s.putCheckpoint(1, new byte[] {1, 2, 3});
        s.putMeta("k", new byte[] {4, 5, 6});
        s.read(1).orElseThrow()[0] ^= 1;
        s.scan(0, 2, (seq, data) -> Arrays.fill(data, (byte) 0x5a));
        s.readCheckpoint(1).orElseThrow()[0] = 9;
        s.getMeta("k").orElseThrow()[0] = 9;
        assertStored(s, 0, 2, FIRST, G2, "after the caller changed arrays returned by read and scan");
        assertArrayEquals(new byte[] {1, 2, 3}, s.readCheckpoint(1).orElse(null),
                m(G2, "a checkpoint after the caller changed an array returned by readCheckpoint"));
        assertArrayEquals(new byte[] {4, 5, 6}, s.getMeta("k").orElse(null),
                m(G2, "metadata after the caller changed an array returned by getMeta"));
    }

    @Test
    public void g2_reopenAfterCloseKeepsEverything() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        int n = recordsSpanningSegments(3);
        append(s, G2, records(5, n, FIRST));
        s.putCheckpoint(7, new byte[] {7});
        s.putMeta("view", new byte[] {1});
        s.sync();
        s.close();
        s.close();
        LogStorage t = open(dir);
        assertStored(t, 5, 5 + n - 1, FIRST, G2, "after sync, close and reopen");
        assertArrayEquals(new long[] {7}, t.checkpointSeqs(), m(G2, "checkpoints after reopen"));
        assertArrayEquals(new byte[] {1}, t.getMeta("view").orElse(null), m(G2, "metadata after reopen"));
        append(t, G2, records(5 + n, 10, FIRST));
        t.sync();
        t.close();
        LogStorage u = open(dir);
        assertStored(u, 5, 5 + n + 9, FIRST, G2, "after appending to a reopened storage and reopening again");
    }

    // ---------------------------------------------------------------------------------------------
    // prefix truncation (G6)

    @Test
    public void g6_truncatePrefixBelowFirstIsNoOp() throws IOException {
        LogStorage s = open(newDir());
        s.truncatePrefix(3);
        assertEquals(-1, s.firstSeq(), m(G6, "truncatePrefix(3) on an empty storage leaves it empty"));
        append(s, G6, records(10, 20, FIRST));
        s.truncatePrefix(5);
        s.truncatePrefix(9);
        assertStored(s, 10, 29, FIRST, G6, "after truncatePrefix below firstSeq() = 10");
    }

    @Test
    public void g6_truncatePrefixInTheMiddle() throws IOException {
        LogStorage s = open(newDir());
        append(s, G6, records(0, 40, FIRST));
        s.truncatePrefix(14);
        assertStored(s, 15, 39, FIRST, G6, "after truncatePrefix(14) of 0..39");
        for (long seq = 0; seq <= 14; seq++) {
            assertTrue(s.read(seq).isEmpty(), m(G6, "read(" + seq + ") after truncatePrefix(14)"));
        }
        assertEquals(List.of(), scan(s, 0, 14), m(G6, "scan(0, 14) after truncatePrefix(14)"));
        s.truncatePrefix(15);
        assertStored(s, 16, 39, FIRST, G6, "after truncatePrefix(15) at firstSeq()");
        s.truncatePrefix(38);
        assertStored(s, 39, 39, FIRST, G6, "after truncatePrefix(38) that leaves one record");
        append(s, G6, records(40, 5, FIRST));
        assertStored(s, 39, 44, FIRST, G6, "after appending to a prefix-truncated storage");
    }

    @Test
    public void g6_truncatePrefixAcrossSegments() throws IOException {
        LogStorage s = open(newDir());
        int n = recordsSpanningSegments(8);
        append(s, G6, records(0, n, FIRST));
        s.sync();
        long cut = n / 3;
        s.truncatePrefix(cut);
        assertStored(s, cut + 1, n - 1, FIRST, G6, "after truncatePrefix(" + cut + ") of " + n + " records in 8+ segments");
        long cut2 = 2L * n / 3 + 1;
        s.truncatePrefix(cut2);
        assertStored(s, cut2 + 1, n - 1, FIRST, G6, "after a second truncatePrefix(" + cut2 + ")");
        append(s, G6, records(n, 20, FIRST));
        assertStored(s, cut2 + 1, n + 19, FIRST, G6, "after appending past the truncated segments");
    }

    @Test
    public void g6_truncatePrefixPastLastEmptiesStorageAndNextAppendMustBeAbove() throws IOException {
        LogStorage s = open(newDir());
        append(s, G6, records(0, 30, FIRST));
        s.truncatePrefix(50);
        assertEquals(-1, s.firstSeq(), m(G6, "firstSeq() after truncatePrefix(50) past lastSeq() = 29"));
        assertEquals(-1, s.lastSeq(), m(G6, "lastSeq() after truncatePrefix(50) past lastSeq() = 29"));
        assertEquals(List.of(), scan(s, 0, Long.MAX_VALUE), m(G6, "scan after truncatePrefix(50) past the end"));
        for (long bad : new long[] {30, 0, 49, 50}) {
            assertThrows(IllegalArgumentException.class, () -> s.append(records(bad, 2, SECOND)),
                    m(G6, "append at seq " + bad + " <= the prefix truncation point 50 must be refused"));
            assertEquals(-1, s.lastSeq(), m(G6, "a refused append at seq " + bad + " must store nothing"));
        }
        append(s, G6, records(51, 5, SECOND));
        assertStored(s, 51, 55, SECOND, G6, "after appending above the prefix truncation point");
    }

    @Test
    public void g6_truncatePrefixSurvivesReopen() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        int n = recordsSpanningSegments(4);
        append(s, G6, records(0, n, FIRST));
        s.sync();
        long cut = n / 2;
        s.truncatePrefix(cut);
        s.close();
        LogStorage t = open(dir);
        assertStored(t, cut + 1, n - 1, FIRST, G6, "after truncatePrefix(" + cut + ") and reopen");
        t.truncatePrefix(n + 10L);
        t.close();
        LogStorage u = open(dir);
        assertEquals(-1, u.lastSeq(), m(G6, "a storage emptied by truncatePrefix(" + (n + 10) + ") must stay empty after reopen"));
        assertEquals(-1, u.firstSeq(), m(G6, "firstSeq() of a storage emptied by truncatePrefix after reopen"));
        for (long bad : new long[] {n, n + 10L, 0}) {
            assertThrows(IllegalArgumentException.class, () -> u.append(records(bad, 1, SECOND)),
                    m(G6, "after reopen, append at seq " + bad + " <= the prefix truncation point " + (n + 10) + " must be refused"));
        }
        long above = n + 13L;
        append(u, G6, records(above, 4, SECOND));
        u.sync();
        u.close();
        LogStorage v = open(dir);
        assertStored(v, above, above + 3, SECOND, G6, "after the first append above the prefix point and reopen");
    }

    // ---------------------------------------------------------------------------------------------
    // suffix truncation (G2)

    @Test
    public void g2_truncateSuffixInTheMiddleThenAppendContinuesFromCut() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, records(0, 40, FIRST));
        s.truncateSuffix(25);
        assertStored(s, 0, 24, FIRST, G2, "after truncateSuffix(25) of 0..39");
        for (long seq = 25; seq < 40; seq++) {
            assertTrue(s.read(seq).isEmpty(), m(G2, "read(" + seq + ") after truncateSuffix(25)"));
        }
        assertThrows(IllegalArgumentException.class, () -> s.append(records(26, 1, SECOND)),
                m(G2, "append at 26 after truncateSuffix(25) must be refused: appends continue from 25"));
        assertThrows(IllegalArgumentException.class, () -> s.append(records(40, 1, SECOND)),
                m(G2, "append at the old end 40 after truncateSuffix(25) must be refused"));
        append(s, G2, records(25, 5, SECOND));
        assertHolds(s, 0, 24, FIRST, G2, "records below the cut after re-appending");
        assertHolds(s, 25, 29, SECOND, G2, "re-appended records after truncateSuffix(25) (new bytes, not the old ones)");
        assertEquals(29, s.lastSeq(), m(G2, "lastSeq() after re-appending 25..29"));
        assertTrue(s.read(30).isEmpty(), m(G2, "read(30): the old record there was truncated and not re-appended"));
        s.truncateSuffix(29);
        assertEquals(28, s.lastSeq(), m(G2, "lastSeq() after truncateSuffix(29) of the last record"));
        assertTrue(s.read(29).isEmpty(), m(G2, "read(29) after truncateSuffix(29)"));
        assertHolds(s, 25, 28, SECOND, G2, "after truncateSuffix(29) of the last record");
    }

    @Test
    public void g2_truncateSuffixAboveLastIsNoOp() throws IOException {
        LogStorage s = open(newDir());
        s.truncateSuffix(0);
        assertEquals(-1, s.lastSeq(), m(G2, "truncateSuffix(0) on an empty storage"));
        append(s, G2, records(0, 10, FIRST));
        s.truncateSuffix(10);
        s.truncateSuffix(1000);
        assertStored(s, 0, 9, FIRST, G2, "after truncateSuffix above lastSeq() = 9");
        append(s, G2, records(10, 1, FIRST));
        assertStored(s, 0, 10, FIRST, G2, "after appending behind a no-op truncateSuffix");
    }

    @Test
    public void g2_truncateSuffixAtFirstEmptiesStorage() throws IOException {
        LogStorage s = open(newDir());
        append(s, G2, records(10, 20, FIRST));
        s.truncateSuffix(10);
        assertEquals(-1, s.lastSeq(), m(G2, "lastSeq() after truncateSuffix(firstSeq())"));
        assertEquals(-1, s.firstSeq(), m(G2, "firstSeq() after truncateSuffix(firstSeq())"));
        assertEquals(List.of(), scan(s, 0, Long.MAX_VALUE), m(G2, "scan after truncateSuffix(firstSeq())"));
        append(s, G2, records(10, 3, SECOND));
        assertStored(s, 10, 12, SECOND, G2, "after re-appending from the cut of an emptied storage");
    }

    @Test
    public void g2_truncateSuffixAcrossSegments() throws IOException {
        LogStorage s = open(newDir());
        int n = recordsSpanningSegments(8);
        append(s, G2, records(0, n, FIRST));
        s.sync();
        long cut = n / 3;
        s.truncateSuffix(cut);
        assertStored(s, 0, cut - 1, FIRST, G2, "after truncateSuffix(" + cut + ") of " + n + " records in 8+ segments");
        int again = recordsSpanningSegments(3);
        append(s, G2, records(cut, again, SECOND));
        assertEquals(cut + again - 1, s.lastSeq(), m(G2, "lastSeq() after re-appending across segments"));
        assertHolds(s, 0, cut - 1, FIRST, G2, "records below the cut after re-appending across segments");
        assertHolds(s, cut, cut + again - 1, SECOND, G2, "records re-appended across segments after truncateSuffix(" + cut + ")");
    }

    @Test
    public void g2_truncateSuffixSurvivesReopenAfterSync() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        int n = recordsSpanningSegments(4);
        append(s, G2, records(0, n, FIRST));
        s.sync();
        long cut = n / 2;
        s.truncateSuffix(cut);
        s.sync();
        s.close();
        LogStorage t = open(dir);
        assertStored(t, 0, cut - 1, FIRST, G2, "after truncateSuffix(" + cut + "), sync and reopen");
        assertThrows(IllegalArgumentException.class, () -> t.append(records(n, 1, SECOND)),
                m(G2, "after reopen, append at the old end " + n + " must be refused"));
        append(t, G2, records(cut, 10, SECOND));
        t.sync();
        t.close();
        LogStorage u = open(dir);
        assertEquals(cut + 9, u.lastSeq(), m(G2, "lastSeq() after re-append and reopen"));
        assertHolds(u, 0, cut - 1, FIRST, G2, "records below the cut after re-append and reopen");
        assertHolds(u, cut, cut + 9, SECOND, G2, "re-appended records after reopen (the old bytes must not come back)");
        assertTrue(u.read(cut + 10).isEmpty(), m(G2, "read(" + (cut + 10) + "): truncated and not re-appended, after reopen"));
    }

    // ---------------------------------------------------------------------------------------------
    // checkpoints and metadata (G5)

    @Test
    public void g5_checkpointPutReadReplaceDelete() throws IOException {
        LogStorage s = open(newDir());
        assertEquals(0, s.checkpointSeqs().length, m(G5, "checkpointSeqs() of a new storage"));
        assertTrue(s.readCheckpoint(5).isEmpty(), m(G5, "readCheckpoint(5) of a new storage"));
        byte[] a = Kit.bytes(11, 5, 100);
        s.putCheckpoint(5, a);
        assertArrayEquals(a, s.readCheckpoint(5).orElse(null), m(G5, "readCheckpoint(5) after putCheckpoint(5)"));
        assertTrue(s.readCheckpoint(4).isEmpty(), m(G5, "readCheckpoint(4) reads only the exact seq"));
        assertTrue(s.readCheckpoint(6).isEmpty(), m(G5, "readCheckpoint(6) reads only the exact seq"));
        byte[] b = Kit.bytes(12, 5, 7);
        s.putCheckpoint(5, b);
        assertArrayEquals(b, s.readCheckpoint(5).orElse(null), m(G5, "readCheckpoint(5) after replacing it"));
        assertArrayEquals(new long[] {5}, s.checkpointSeqs(), m(G5, "checkpointSeqs() after replacing checkpoint 5"));
        s.putCheckpoint(9, new byte[0]);
        assertArrayEquals(new byte[0], s.readCheckpoint(9).orElse(null), m(G5, "an empty checkpoint state"));
        byte[] big = Kit.bytes(13, 20, 1 << 20);
        s.putCheckpoint(20, big);
        assertArrayEquals(big, s.readCheckpoint(20).orElse(null), m(G5, "a checkpoint state of 1 MiB"));
        s.deleteCheckpoint(5);
        assertTrue(s.readCheckpoint(5).isEmpty(), m(G5, "readCheckpoint(5) after deleteCheckpoint(5)"));
        s.deleteCheckpoint(5);
        s.deleteCheckpoint(77);
        assertArrayEquals(new long[] {9, 20}, s.checkpointSeqs(), m(G5, "checkpointSeqs() after deletes (absent ones are no-ops)"));
    }

    @Test
    public void g5_checkpointSeqsAreAscending() throws IOException {
        LogStorage s = open(newDir());
        long[] seqs = {40, 3, 1_000_000_000_000L, 0, 17, 255, 256, 9, 100_000};
        for (long seq : seqs) {
            s.putCheckpoint(seq, Kit.bytes(14, seq, 16));
        }
        long[] sorted = seqs.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, s.checkpointSeqs(), m(G5, "checkpointSeqs() must be ascending (numerically)"));
        for (long seq : seqs) {
            assertArrayEquals(Kit.bytes(14, seq, 16), s.readCheckpoint(seq).orElse(null), m(G5, "readCheckpoint(" + seq + ")"));
        }
    }

    @Test
    public void g5_checkpointsSurviveReopen() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        s.putCheckpoint(10, Kit.bytes(15, 10, 300));
        s.putCheckpoint(20, Kit.bytes(15, 20, 300));
        s.putCheckpoint(30, Kit.bytes(15, 30, 300));
        s.putCheckpoint(20, Kit.bytes(16, 20, 50));
        s.deleteCheckpoint(10);
        s.close();
        LogStorage t = open(dir);
        assertArrayEquals(new long[] {20, 30}, t.checkpointSeqs(), m(G5, "checkpointSeqs() after put, replace, delete and reopen"));
        assertArrayEquals(Kit.bytes(16, 20, 50), t.readCheckpoint(20).orElse(null), m(G5, "replaced checkpoint 20 after reopen"));
        assertArrayEquals(Kit.bytes(15, 30, 300), t.readCheckpoint(30).orElse(null), m(G5, "checkpoint 30 after reopen"));
        assertTrue(t.readCheckpoint(10).isEmpty(), m(G5, "deleted checkpoint 10 must stay deleted after reopen"));
    }

    @Test
    public void g5_checkpointsAreIndependentOfRecords() throws IOException {
        LogStorage s = open(newDir());
        s.putCheckpoint(500, new byte[] {5});
        append(s, G5, records(0, 60, FIRST));
        s.putCheckpoint(30, new byte[] {3});
        s.truncatePrefix(40);
        s.truncateSuffix(50);
        assertArrayEquals(new long[] {30, 500}, s.checkpointSeqs(), m(G5, "truncating records must not touch checkpoints"));
        assertArrayEquals(new byte[] {3}, s.readCheckpoint(30).orElse(null), m(G5, "checkpoint 30 below the truncated prefix"));
        assertStored(s, 41, 49, FIRST, G5, "records after checkpoints were stored around them");
    }

    @Test
    public void g5_metadataPutReplaceGet() throws IOException {
        LogStorage s = open(newDir());
        assertTrue(s.getMeta("view").isEmpty(), m(G5, "getMeta of an absent key"));
        s.putMeta("view", new byte[] {1});
        s.putMeta("vote", new byte[] {2, 2});
        assertArrayEquals(new byte[] {1}, s.getMeta("view").orElse(null), m(G5, "getMeta(view)"));
        s.putMeta("view", new byte[] {3, 3, 3});
        assertArrayEquals(new byte[] {3, 3, 3}, s.getMeta("view").orElse(null), m(G5, "getMeta(view) after replacing it"));
        assertArrayEquals(new byte[] {2, 2}, s.getMeta("vote").orElse(null), m(G5, "getMeta(vote) after replacing view"));
        s.putMeta("vote", new byte[0]);
        assertArrayEquals(new byte[0], s.getMeta("vote").orElse(null), m(G5, "an empty metadata value is present, not absent"));
        assertTrue(s.getMeta("views").isEmpty(), m(G5, "getMeta of a key that only shares a prefix"));
    }

    @Test
    public void g5_metadataKeysOfEveryAllowedChar() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        Map<String, byte[]> expected = new LinkedHashMap<>();
        StringBuilder all = new StringBuilder();
        for (char c = 'A'; c <= 'Z'; c++) {
            all.append(c);
        }
        for (char c = 'a'; c <= 'z'; c++) {
            all.append(c);
        }
        for (char c = '0'; c <= '9'; c++) {
            all.append(c);
        }
        all.append("._-");
        List<String> keys = new ArrayList<>(List.of(all.toString(), ".", "..", "...", "-", "_", "a", "A", "Key", "key", "KEY",
                "x".repeat(128), "-rf", ".hidden", "atlas-log.lock", "atlas-log.manifest", "CON", "nul", "a..b"));
        for (int i = 0; i < all.length(); i++) {
            keys.add(String.valueOf(all.charAt(i)) + i);
        }
        for (int i = 0; i < keys.size(); i++) {
            byte[] v = Kit.bytes(17, i, i % 40);
            expected.put(keys.get(i), v);
            s.putMeta(keys.get(i), v);
        }
        assertMeta(s, expected, "keys of every allowed character ('.', '..', case-only differences, 128 chars)");
        s.close();
        assertMeta(open(dir), expected, "keys of every allowed character after reopen");
    }

    @Test
    public void g5_metadataValueOf1MiB() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        byte[] big = Kit.bytes(18, 0, 1 << 20);
        s.putMeta("big", big);
        assertArrayEquals(big, s.getMeta("big").orElse(null), m(G5, "a metadata value of 1 MiB"));
        byte[] big2 = Kit.bytes(19, 0, 1 << 20);
        s.putMeta("big", big2);
        s.close();
        assertArrayEquals(big2, open(dir).getMeta("big").orElse(null), m(G5, "a replaced metadata value of 1 MiB after reopen"));
    }

    @Test
    public void g5_metadataSurvivesReopen() throws IOException {
        Path dir = newDir();
        LogStorage s = open(dir);
        s.putMeta("view", new byte[] {1});
        s.putMeta("vote", new byte[] {2});
        s.putMeta("view", new byte[] {3});
        s.close();
        LogStorage t = open(dir);
        assertArrayEquals(new byte[] {3}, t.getMeta("view").orElse(null), m(G5, "replaced metadata after reopen"));
        assertArrayEquals(new byte[] {2}, t.getMeta("vote").orElse(null), m(G5, "metadata after reopen"));
        assertTrue(t.getMeta("other").isEmpty(), m(G5, "an absent key after reopen"));
    }

    // ---------------------------------------------------------------------------------------------
    // bad input and lifecycle (G9)

    @Test
    public void g9_callsAfterCloseThrowIllegalState() throws IOException {
        LogStorage s = open(newDir());
        append(s, G9, records(0, 3, FIRST));
        s.putCheckpoint(1, new byte[1]);
        s.putMeta("k", new byte[1]);
        s.sync();
        s.close();
        s.close();
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("append", () -> s.append(records(3, 1, FIRST)));
        calls.put("read", () -> s.read(0));
        calls.put("scan", () -> s.scan(0, 2, (seq, data) -> { }));
        calls.put("firstSeq", s::firstSeq);
        calls.put("lastSeq", s::lastSeq);
        calls.put("truncatePrefix", () -> s.truncatePrefix(0));
        calls.put("truncateSuffix", () -> s.truncateSuffix(2));
        calls.put("putCheckpoint", () -> s.putCheckpoint(2, new byte[1]));
        calls.put("readCheckpoint", () -> s.readCheckpoint(1));
        calls.put("checkpointSeqs", s::checkpointSeqs);
        calls.put("deleteCheckpoint", () -> s.deleteCheckpoint(1));
        calls.put("putMeta", () -> s.putMeta("k", new byte[2]));
        calls.put("getMeta", () -> s.getMeta("k"));
        calls.put("sync", s::sync);
        calls.forEach((name, call) -> assertThrows(IllegalStateException.class, call,
                m(G9, name + " after close must throw IllegalStateException")));
    }

    @Test
    public void g9_unknownOptionIsRefusedNamingIt() throws IOException {
        Map<String, String> opts = new HashMap<>(options());
        opts.put("no-such-option", "1");
        StorageConfig base = storageConfig(newDir());
        StorageConfig config = new StorageConfig(base.directory(), base.maxSegmentSize(), opts);
        LogStorage s = null;
        try {
            s = provider().open(config);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains("no-such-option"),
                    m(G9, "the message of the refusal must name the unknown option 'no-such-option', got: " + e.getMessage()));
            return;
        } finally {
            if (s != null) {
                s.close();
            }
        }
        fail(m(G9, "open with the unknown option 'no-such-option' must throw IllegalArgumentException"));
    }

    @Test
    public void g11_filesAreOwnerOnly() throws IOException {
        Path parent = newDir();
        assumeTrue(Kit.posix(parent), () -> "[" + backend + "] the scratch file system has no POSIX permissions to check");
        Path dir = parent.resolve("created-by-backend");
        LogStorage s = open(dir);
        assertTrue(Files.isDirectory(dir), m(G11, "open must create the absent directory " + dir));
        append(s, G11, records(0, recordsSpanningSegments(3), FIRST));
        s.putCheckpoint(5, new byte[100]);
        s.putCheckpoint(9, new byte[100]);
        s.deleteCheckpoint(5);
        s.putMeta("view", new byte[] {1});
        s.truncatePrefix(10);
        s.sync();
        s.close();
        // the directory itself is not checked: through core it always exists (owner-only) before the backend opens
        assertEquals(List.of(), Kit.notOwnerOnly(dir, false), m(G11, "files must be created rw------- and directories "
                + "rwx------; these are open to group or others"));
    }

    // ---------------------------------------------------------------------------------------------
    // threading (G2)

    /**
     * One writer appends and now and then truncates the prefix, a group-commit thread syncs (never
     * during a truncation: only {@code sync} may overlap {@code append}), and two readers check that
     * every read sees the appended bytes, including every append that returned before the read
     * started, and that a scan skips only records truncated before or while it ran.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    public void g2_concurrentReadersSeeEveryReturnedAppend() throws Exception {
        LogStorage s = open(newDir());
        int total = Math.max(4 * recordsSpanningSegments(1), 1500);
        AtomicLong published = new AtomicLong(-1);
        AtomicLong truncatedUpTo = new AtomicLong(-1);
        AtomicBoolean done = new AtomicBoolean();
        ReentrantLock mutation = new ReentrantLock();
        ExecutorService pool = daemonThreads(4, "concurrency");
        try {
            Future<?> writer = pool.submit(() -> {
                try {
                    SplittableRandom r = new SplittableRandom(total);
                    long next = 0;
                    long nextTruncation = 400;
                    while (next < total) {
                        int n = (int) Math.min(1 + r.nextInt(16), total - next);
                        append(s, G2, records(next, n, FIRST));
                        next += n;
                        published.set(next - 1);
                        if (next >= nextTruncation) {
                            long point = next - 200;
                            truncatedUpTo.set(point);
                            mutation.lock();
                            try {
                                s.truncatePrefix(point);
                            } finally {
                                mutation.unlock();
                            }
                            nextTruncation += 300;
                        }
                    }
                } finally {
                    done.set(true);
                }
                return null;
            });
            Future<?> syncer = pool.submit(() -> {
                while (!done.get()) {
                    mutation.lock();
                    try {
                        s.sync();
                    } finally {
                        mutation.unlock();
                    }
                    Thread.onSpinWait();
                }
                return null;
            });
            List<Future<?>> readers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int reader = i;
                readers.add(pool.submit(() -> readWhileAppending(s, published, truncatedUpTo, done, reader)));
            }
            await(writer);
            await(syncer);
            for (Future<?> f : readers) {
                await(f);
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertStored(s, truncatedUpTo.get() + 1, total - 1, FIRST, G2, "after the concurrent run");
    }

    /** Waits for a task of the concurrency test; an assertion that failed in it fails the test as is. */
    private static void await(Future<?> task) throws Exception {
        try {
            task.get(100, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private Void readWhileAppending(LogStorage s, AtomicLong published, AtomicLong truncatedUpTo, AtomicBoolean done,
                                    int reader) throws IOException {
        SplittableRandom r = new SplittableRandom(reader);
        String who = "reader " + reader + ": ";
        do {
            long returned = published.get();
            long last = s.lastSeq();
            long first = s.firstSeq();
            assertTrue(last >= returned, m(G2, who + "lastSeq() = " + last
                    + " must include the append that returned before the read started (seq " + returned + ")"));
            assertTrue(first <= truncatedUpTo.get() + 1, m(G2, who + "firstSeq() = " + first
                    + " is above the prefix truncation point + 1 = " + (truncatedUpTo.get() + 1)));
            if (returned >= 0) {
                long seq = Math.max(0, returned - r.nextLong(300));
                Optional<byte[]> got = s.read(seq);
                if (got.isPresent()) {
                    assertArrayEquals(expected(seq, FIRST), got.get(), m(G2, who + "read(" + seq + ") returned other bytes"));
                } else {
                    assertTrue(seq <= truncatedUpTo.get(), m(G2, who + "read(" + seq + ") is empty, but its append returned "
                            + "and the prefix was truncated only up to " + truncatedUpTo.get()));
                }
            }
            if (last >= 0) {
                long from = Math.max(0, last - r.nextLong(500));
                long[] next = {-1};
                // a scan is not a snapshot: records truncated while it runs may be skipped, nothing else
                s.scan(from, last, (seq, data) -> {
                    long expectedSeq = next[0] < 0 ? from : next[0];
                    if (seq < expectedSeq || (seq > expectedSeq && seq - 1 > truncatedUpTo.get())) {
                        fail(m(G2, who + "scan(" + from + ", " + last + ") visited seq " + seq + " where " + expectedSeq
                                + " was expected (records are skipped only when truncated; prefix truncated up to "
                                + truncatedUpTo.get() + ")"));
                    }
                    if (!Arrays.equals(expected(seq, FIRST), data)) {
                        fail(m(G2, who + "scan visited other bytes at seq " + seq));
                    }
                    next[0] = seq + 1;
                });
                long truncated = truncatedUpTo.get();
                if (Math.max(from, truncated + 1) <= last) {
                    assertEquals(last + 1, next[0], m(G2, who + "scan(" + from + ", " + last + ") must reach lastSeq() read "
                            + "before it (prefix truncated up to " + truncated + ")"));
                }
            }
        } while (!done.get());
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // randomized model check (G2, G5, G6, G9)

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    public void g2_randomOperationsMatchTheMemoryModel() throws IOException {
        long seed = Kit.seed(backend, "g2_randomOperationsMatchTheMemoryModel");
        new RandomRun(seed).run(randomIterations());
    }

    /** One seeded random sequence of operations on the backend and on the model, compared after each step. */
    private final class RandomRun {
        private final long seed;
        private final SplittableRandom rnd;
        private final StorageProvider model = Kit.modelProvider();
        private final Path subjectDir;
        private final Path modelDir;
        private LogStorage subject;
        private LogStorage reference;
        private long prefixPoint = -1;
        /** Where the next append must start when the storage is empty, or -1 when any seq above the prefix point may. */
        private long cutPoint = -1;
        private final List<String> metaKeys = List.of("view", "vote", "epoch", "a", "A", "..");
        private final List<String> trace = new ArrayList<>();
        private int accepted;
        private int refused;

        RandomRun(long seed) throws IOException {
            this.seed = seed;
            this.rnd = new SplittableRandom(seed);
            this.subjectDir = newDir();
            this.modelDir = newDir();
            this.subject = open(subjectDir);
            this.reference = model.open(new StorageConfig(modelDir, maxSegmentSize(), Map.of()));
            closeAfterTest(reference);
        }

        void run(int steps) throws IOException {
            for (int step = 0; step < steps; step++) {
                step(step);
                compare(step);
            }
            Kit.logRun(backend, seed, steps, accepted, refused);
        }

        private void step(int step) throws IOException {
            int op = rnd.nextInt(100);
            long first = reference.firstSeq();
            long last = reference.lastSeq();
            if (op < 40) {
                long start = last >= 0 ? last + 1 : cutPoint >= 0 ? cutPoint : prefixPoint + 1 + rnd.nextInt(3);
                List<LogRecord> batch = randomBatch(start, 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 40 : 8));
                both(step, "append " + start + ".." + (start + batch.size() - 1), s -> s.append(batch));
                cutPoint = -1;
            } else if (op < 45) {
                List<LogRecord> batch;
                if (last >= 0) {
                    long start = rnd.nextBoolean() ? last + 2 : Math.max(0, last - rnd.nextInt(3));
                    batch = rnd.nextBoolean() ? randomBatch(start, 2)
                            : List.of(new LogRecord(last + 1, new byte[1]), new LogRecord(last + 3, new byte[1]));
                } else if (prefixPoint >= 0) {
                    batch = randomBatch(Math.max(0, prefixPoint - rnd.nextInt(2)), 2);
                } else {
                    trace(step, "read only");
                    return;
                }
                both(step, "bad append at " + batch.get(0).seq() + " (lastSeq " + last + ", prefix point "
                        + prefixPoint + ")", s -> s.append(batch));
            } else if (op < 54) {
                long point;
                if (last >= 0) {
                    point = Math.max(0, first - 2 + rnd.nextLong(last - first + 5));
                } else if (cutPoint >= 0) {
                    // emptied by a suffix cut: a prefix point at or above the cut replaces "continue from the cut"
                    point = cutPoint + rnd.nextInt(3);
                } else {
                    point = Math.max(0, prefixPoint + rnd.nextInt(3) - 1);
                }
                both(step, "truncatePrefix " + point, s -> s.truncatePrefix(point));
                if (last < 0 || point >= first) {
                    prefixPoint = Math.max(prefixPoint, point);
                    if (reference.lastSeq() < 0) {
                        cutPoint = -1;
                    }
                }
            } else if (op < 62) {
                if (last < 0) {
                    trace(step, "read only");
                    return;
                }
                long point = first + rnd.nextLong(last - first + 3);
                both(step, "truncateSuffix " + point, s -> s.truncateSuffix(point));
                if (point == first) {
                    cutPoint = point;
                }
            } else if (op < 70) {
                long seq = rnd.nextLong(Math.max(1, last + 6));
                byte[] state = Kit.bytes(rnd, rnd.nextInt(10) == 0 ? 5000 : rnd.nextInt(200));
                both(step, "putCheckpoint " + seq, s -> s.putCheckpoint(seq, state));
            } else if (op < 74) {
                long[] seqs = reference.checkpointSeqs();
                long seq = seqs.length > 0 && rnd.nextInt(4) > 0 ? seqs[rnd.nextInt(seqs.length)] : rnd.nextLong(Math.max(1, last + 6));
                both(step, "deleteCheckpoint " + seq, s -> s.deleteCheckpoint(seq));
            } else if (op < 82) {
                String key = metaKeys.get(rnd.nextInt(metaKeys.size()));
                byte[] value = Kit.bytes(rnd, rnd.nextInt(300));
                both(step, "putMeta " + key, s -> s.putMeta(key, value));
            } else if (op < 87) {
                both(step, "sync", LogStorage::sync);
            } else if (op < 92) {
                trace(step, "sync, close and reopen");
                subject.sync();
                subject.close();
                reference.close();
                subject = open(subjectDir);
                reference = model.open(new StorageConfig(modelDir, maxSegmentSize(), Map.of()));
                closeAfterTest(reference);
            } else {
                trace(step, "read only");
            }
        }

        private List<LogRecord> randomBatch(long start, int n) {
            List<LogRecord> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int size = switch (rnd.nextInt(20)) {
                    case 0 -> 0;
                    case 1 -> largeRecordSize();
                    case 2 -> 1;
                    default -> rnd.nextInt(400);
                };
                batch.add(new LogRecord(start + i, Kit.bytes(rnd, size)));
            }
            return batch;
        }

        private void both(int step, String what, StorageOp op) throws IOException {
            trace(step, what);
            if (Kit.sameOutcome(reference, subject, op::apply, what, message -> where(step, message))) {
                accepted++;
            } else {
                refused++;
            }
        }

        private void compare(int step) throws IOException {
            assertEquals(reference.firstSeq(), subject.firstSeq(), () -> where(step, "firstSeq()"));
            assertEquals(reference.lastSeq(), subject.lastSeq(), () -> where(step, "lastSeq()"));
            long first = reference.firstSeq();
            long last = reference.lastSeq();
            if (last >= 0) {
                List<LogRecord> want = scan(reference, first, last);
                List<LogRecord> got = scan(subject, first, last);
                assertSameRecordsAt(want, got, step);
                long probe = Math.max(0, first - 3 + rnd.nextLong(last - first + 7));
                assertArrayEquals(reference.read(probe).orElse(null), subject.read(probe).orElse(null),
                        () -> where(step, "read(" + probe + ")"));
            }
            assertTrue(subject.read(last + 1).isEmpty(), () -> where(step, "read(lastSeq() + 1) must be empty"));
            long[] checkpoints = reference.checkpointSeqs();
            assertArrayEquals(checkpoints, subject.checkpointSeqs(), () -> where(step, "checkpointSeqs()"));
            for (long c : checkpoints) {
                assertArrayEquals(reference.readCheckpoint(c).orElse(null), subject.readCheckpoint(c).orElse(null),
                        () -> where(step, "readCheckpoint(" + c + ")"));
            }
            for (String key : metaKeys) {
                assertArrayEquals(reference.getMeta(key).orElse(null), subject.getMeta(key).orElse(null),
                        () -> where(step, "getMeta(" + key + ")"));
            }
        }

        private void assertSameRecordsAt(List<LogRecord> want, List<LogRecord> got, int step) {
            for (int i = 0; i < Math.min(want.size(), got.size()); i++) {
                LogRecord w = want.get(i);
                LogRecord g = got.get(i);
                int at = i;
                assertEquals(w.seq(), g.seq(), () -> where(step, "scan position " + at + " seq"));
                assertArrayEquals(w.data(), g.data(), () -> where(step, "bytes of seq " + w.seq()));
            }
            assertEquals(want.size(), got.size(), () -> where(step, "number of records visited by scan(firstSeq, lastSeq)"));
        }

        private void trace(int step, String what) {
            trace.add(step + ": " + what);
            if (trace.size() > 12) {
                trace.remove(0);
            }
        }

        private String where(int step, String what) {
            return m(G2, what + " differs from the memory model after step " + step + " (seed=" + seed
                    + ", replay with -D" + Kit.SEED_PROPERTY + "=" + seed + "); last steps: " + trace);
        }
    }

    @FunctionalInterface
    private interface StorageOp {
        void apply(LogStorage storage) throws IOException;
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    /** A fresh directory for one storage, under {@link #scratchDirectory()}. */
    protected final Path newDir() throws IOException {
        return Files.createTempDirectory(scratchDirectory(), "log-");
    }

    /** Opens the backend in {@code dir}; the kit closes it after the test. */
    protected final LogStorage open(Path dir) throws IOException {
        LogStorage s = provider().open(storageConfig(dir));
        closeAfterTest(s);
        return s;
    }

    /**
     * Appends a batch the contract says must be accepted; a refusal fails the test under guarantee
     * {@code g} (rather than as an unexpected exception).
     */
    private void append(LogStorage s, String g, List<LogRecord> batch) throws IOException {
        try {
            s.append(batch);
        } catch (IllegalArgumentException e) {
            String range = batch.isEmpty() ? "an empty batch" : "records " + batch.get(0).seq() + ".."
                    + batch.get(batch.size() - 1).seq();
            throw new AssertionError(m(g, "append of " + range + " was refused with lastSeq() = " + s.lastSeq()
                    + ", firstSeq() = " + s.firstSeq() + ": " + e.getMessage()), e);
        }
    }

    /** The largest record every segmented backend must accept: {@code maxSegmentSize() - 512}. */
    private int largeRecordSize() {
        return (int) Math.min(maxSegmentSize() - 512, 4L << 20);
    }

    /** Records of {@link #expected} sizes spanning at least {@code segments} segments of {@link #maxSegmentSize()}. */
    private int recordsSpanningSegments(int segments) {
        return (int) Math.min(20_000, segments * maxSegmentSize() / 100 + 1);
    }

    private static int sizeOf(long seq) {
        return (int) Math.floorMod(seq * 37 + 11, 251L);
    }

    private static byte[] expected(long seq, long salt) {
        return Kit.bytes(salt, seq, sizeOf(seq));
    }

    private static List<LogRecord> records(long from, long count, long salt) {
        List<LogRecord> list = new ArrayList<>((int) count);
        for (long seq = from; seq < from + count; seq++) {
            list.add(new LogRecord(seq, expected(seq, salt)));
        }
        return list;
    }

    private static List<LogRecord> scan(LogStorage s, long from, long to) throws IOException {
        List<LogRecord> out = new ArrayList<>();
        s.scan(from, to, (seq, data) -> out.add(new LogRecord(seq, data)));
        return out;
    }

    /**
     * The storage holds exactly {@code first..last} with the bytes of {@code salt}: firstSeq, lastSeq,
     * reads on both sides of the range, every read and the scan.
     */
    private void assertStored(LogStorage s, long first, long last, long salt, String g, String when) throws IOException {
        assertEquals(first, s.firstSeq(), m(g, when + ": firstSeq()"));
        assertEquals(last, s.lastSeq(), m(g, when + ": lastSeq()"));
        if (first > 0) {
            assertTrue(s.read(first - 1).isEmpty(), m(g, when + ": read(" + (first - 1) + ") below firstSeq() must be empty"));
        }
        assertTrue(s.read(last + 1).isEmpty(), m(g, when + ": read(" + (last + 1) + ") above lastSeq() must be empty"));
        assertHolds(s, first, last, salt, g, when);
    }

    /** Every seq in {@code first..last} reads and scans as the bytes of {@code salt}. */
    private void assertHolds(LogStorage s, long first, long last, long salt, String g, String when) throws IOException {
        for (long seq = first; seq <= last; seq++) {
            long at = seq;
            Optional<byte[]> got = s.read(seq);
            assertTrue(got.isPresent(), () -> m(g, when + ": read(" + at + ") is empty"));
            assertArrayEquals(expected(seq, salt), got.get(), () -> m(g, when + ": read(" + at + ") returned other bytes"));
        }
        assertSameRecords(records(first, last - first + 1, salt), scan(s, first, last), g, when + ", scan(" + first + ", " + last + ")");
    }

    /** The same seqs with the same bytes, in order; names the first difference. */
    private void assertSameRecords(List<LogRecord> expected, List<LogRecord> actual, String g, String when) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            LogRecord e = expected.get(i);
            LogRecord a = actual.get(i);
            if (e.seq() != a.seq()) {
                fail(m(g, when + ": record #" + i + " has seq " + a.seq() + ", expected " + e.seq()));
            }
            if (!Arrays.equals(e.data(), a.data())) {
                fail(m(g, when + ": seq " + e.seq() + " has other bytes (" + a.data().length + " bytes, expected "
                        + e.data().length + ")"));
            }
        }
        if (expected.size() != actual.size()) {
            fail(m(g, when + ": visited " + actual.size() + " records, expected " + expected.size()
                    + (expected.isEmpty() ? "" : " (" + expected.get(0).seq() + ".." + expected.get(expected.size() - 1).seq() + ")")));
        }
    }

    private void assertMeta(LogStorage s, Map<String, byte[]> expected, String when) throws IOException {
        for (Map.Entry<String, byte[]> e : new TreeMap<>(expected).entrySet()) {
            assertArrayEquals(e.getValue(), s.getMeta(e.getKey()).orElse(null), m(G5, when + ": getMeta('" + e.getKey() + "')"));
        }
    }

    private void assertMessage(RuntimeException e, String g, String what) {
        assertFalse(e.getMessage() == null || e.getMessage().isBlank(), m(g, what + ": the exception must have a message"));
    }

    private String m(String guarantee, String what) {
        return Kit.msg(backend, guarantee, what);
    }
}
