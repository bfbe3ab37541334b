package io.atlas.log.lmdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pages freed by compaction go to LMDB's free list and are reused by later appends, so the data file
 * tracks the live data rather than everything ever written.
 */
class LmdbSpaceReuseTest {

    private static final int N = 20_000;
    private static final int RECORD = 1024;
    private static final int BATCH = 100;
    private static final double LIMIT = 1.5;

    @TempDir
    Path dir;

    @Test
    void g6_dataFileStaysWithinOneAndAHalfTimesLiveDataAfterCompactAndAppendAgain() throws IOException {
        long live = (long) N * RECORD;
        Path data = dir.resolve(LmdbLayout.DATA_FILE);
        long afterFirst;
        try (LmdbLogStorage s = LmdbTesting.open(dir)) {
            appendN(s, 0);
            afterFirst = Files.size(data);
            s.truncatePrefix(N - 1);
            assertEquals(-1, s.firstSeq(), "compaction up to lastSeq() empties the log");
            appendN(s, N);
            assertEquals(N, s.firstSeq());
            assertEquals(2L * N - 1, s.lastSeq());
        }
        long afterSecond = Files.size(data);
        double ratio = (double) afterSecond / live;
        System.out.printf(Locale.ROOT, "lmdb space reuse: %d records of %d B (live %d B); data.mdb %d B after the "
                        + "first %d, %d B after compacting and appending %d again: %.3f x live%n",
                N, RECORD, live, afterFirst, N, afterSecond, N, ratio);
        assertTrue(ratio <= LIMIT, String.format(Locale.ROOT, "data.mdb is %.3f x the live data (%d of %d bytes); "
                + "freed pages were not reused (limit %.1f x)", ratio, afterSecond, live, LIMIT));
    }

    private static void appendN(LmdbLogStorage s, long from) throws IOException {
        for (long seq = from; seq < from + N; seq += BATCH) {
            s.append(LmdbTesting.records(seq, BATCH, RECORD, seq));
        }
        s.sync();
    }
}
