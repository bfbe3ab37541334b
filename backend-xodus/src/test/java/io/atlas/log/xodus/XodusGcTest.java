package io.atlas.log.xodus;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Xodus' log is append-only: deleted records stay in the files until its collector copies the live
 * data out of old files and deletes them. After append N, compact, append N again, the files must come
 * back to within 1.5 times the live data. Sizes can be changed for a manual measurement:
 * {@code -Datlas.xodus.gc.records=65536 -Datlas.xodus.gc.logFileSize=8MiB}.
 */
class XodusGcTest {

    private static final int RECORD = 1024;
    private static final int BATCH = 64;
    private static final double BOUND = 1.5;
    /** Longest wait for the collector, which runs in the background; not a timing assertion. */
    private static final long WAIT_MILLIS = 90_000;

    @TempDir
    Path tmp;

    @Test
    void gc_spaceIsReclaimedAfterCompaction() throws Exception {
        int n = Integer.getInteger("atlas.xodus.gc.records", 16_384);
        String fileSize = System.getProperty("atlas.xodus.gc.logFileSize", "1MiB");
        Map<String, String> options = new HashMap<>();
        options.put(XodusOptions.LOG_FILE_SIZE, fileSize);
        // let the collector start at once and delete at once, so the test waits for work, not for timers
        options.put(XodusOptions.GC_START_IN_MS, "0");
        options.put(XodusOptions.GC_FILES_DELETION_DELAY_MS, "0");
        Path dir = tmp.resolve("log");
        long live = (long) n * RECORD;
        try (LogStorage s = XodusLogStorageTest.open(dir, options)) {
            appendSynced(s, 0, n);
            long afterFirst = xdBytes(dir);
            s.truncatePrefix(n - 1L);
            appendSynced(s, n, n);
            long afterSecond = xdBytes(dir);
            long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
            long size = afterSecond;
            while (size > BOUND * live && System.nanoTime() < deadline) {
                Thread.sleep(100);
                size = xdBytes(dir);
            }
            System.out.printf("xodus GC: %d records of %d B (live %.1f MiB), log-file-size %s: files %.1f MiB after the"
                            + " first %d, %.1f MiB after compaction and %d more, %.1f MiB after GC = %.2fx live%n",
                    n, RECORD, live / 1048576.0, fileSize, afterFirst / 1048576.0, n, afterSecond / 1048576.0, n,
                    size / 1048576.0, size / (double) live);
            assertTrue(size <= BOUND * live, String.format("after append %d, compact, append %d the .xd files hold %d bytes"
                    + " = %.2fx the %d live bytes; expected at most %.1fx", n, n, size, size / (double) live, live, BOUND));
            assertEquals(n, s.firstSeq());
            assertArrayEquals(XodusLogStorageTest.data(n + 7L, RECORD), s.read(n + 7L).orElseThrow(),
                    "records that the collector moved must read back unchanged");
        }
        try (LogStorage s = XodusLogStorageTest.open(dir, options)) {
            long[] count = {0};
            s.scan(0, Long.MAX_VALUE, (seq, d) -> {
                assertArrayEquals(XodusLogStorageTest.data(seq, RECORD), d, "record " + seq + " after GC and reopen");
                count[0]++;
            });
            assertEquals(n, count[0], "records after GC and reopen");
        }
    }

    private static void appendSynced(LogStorage s, long from, int n) throws IOException {
        for (int done = 0; done < n; done += BATCH) {
            List<LogRecord> batch = new ArrayList<>(BATCH);
            for (int i = done; i < Math.min(n, done + BATCH); i++) {
                batch.add(new LogRecord(from + i, XodusLogStorageTest.data(from + i, RECORD)));
            }
            s.append(batch);
            s.sync();
        }
    }

    static long xdBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            long sum = 0;
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".xd")).toList()) {
                try {
                    sum += Files.size(f);
                } catch (java.nio.file.NoSuchFileException deleted) {
                    // deleted by the collector between list and size: it counts as nothing
                }
            }
            return sum;
        }
    }
}
