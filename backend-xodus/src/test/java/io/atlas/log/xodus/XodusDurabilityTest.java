package io.atlas.log.xodus;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * G1 for this backend: what {@code sync()} covered survives a killed process and a power loss.
 * Commits are not forced ({@code exodus.log.durableWrite=false}); {@code sync()} forces the Xodus log.
 */
class XodusDurabilityTest {

    private static final Map<String, String> OPTIONS = Map.of(XodusOptions.LOG_FILE_SIZE, "1MiB");

    @TempDir
    Path tmp;

    @Test
    void g1_syncedRecordsSurviveSigkill() throws Exception {
        Path dir = tmp.resolve("log");
        long acked = runAndKill(dir, 300, "sync", null);
        assertIntactPrefix(dir, acked, "after SIGKILL");
    }

    @Test
    void g1_syncedRecordsSurvivePowerLoss() throws Exception {
        String missing = LoopDisk.missing();
        Assumptions.assumeTrue(missing == null, missing);
        try (LoopDisk disk = LoopDisk.create(tmp, 64L << 20)) {
            Path dir = disk.mountPoint().resolve("log");
            // 1500 records of 512 B fill one 1 MiB file and go on in the next, so the test also covers
            // records synced in a file that Xodus closed when it was full
            long acked = runAndKill(dir, 1500, "sync", disk);
            disk.remount();
            assertIntactPrefix(dir, acked, "after a power loss");
        }
    }

    /** Proves the power-loss harness: records appended but not synced are lost, the synced ones kept. */
    @Test
    void powerLossLosesWhatWasNotSynced() throws Exception {
        String missing = LoopDisk.missing();
        Assumptions.assumeTrue(missing == null, missing);
        try (LoopDisk disk = LoopDisk.create(tmp, 64L << 20)) {
            Path dir = disk.mountPoint().resolve("log");
            try (LogStorage s = XodusLogStorageTest.open(dir, OPTIONS)) {
                for (long seq = 0; seq < 20; seq++) {
                    s.append(List.of(new LogRecord(seq, XodusLogStorageTest.data(seq, XodusChild.SIZE))));
                }
                s.sync();
            }
            long appended = runAndKill(dir, 300, "nosync", disk);
            disk.remount();
            try (LogStorage s = XodusLogStorageTest.open(dir, OPTIONS)) {
                System.out.printf("power-loss control: records 0-19 synced, 20-%d appended without sync; kept 0-%d%n",
                        appended, s.lastSeq());
                assertTrue(s.lastSeq() < appended, "a power loss must lose appends that were never synced (the harness"
                        + " cuts power before they reach the disk); kept through " + s.lastSeq() + " of " + appended);
            }
            assertIntactPrefix(dir, 19, "the synced records after a power loss");
        }
    }

    /**
     * Runs the child that appends from the log's end, reads {@code lines} acknowledgements, cuts the power
     * when {@code disk} is given, kills the child (SIGKILL) and returns the last acknowledged seq.
     */
    private long runAndKill(Path dir, int lines, String mode, LoopDisk disk) throws Exception {
        Path stderr = tmp.resolve("child-" + mode + ".err");
        Process child = XodusChild.start(XodusChild.testClassPath(), stderr, "append", dir.toString(), "100000", mode);
        try {
            List<String> read = XodusChild.readLines(child.getInputStream(), lines);
            assertEquals(lines, read.size(), "child stopped early; stderr: " + XodusChild.stderrOf(stderr));
            if (disk != null) {
                disk.cutPower();
            }
            String last = read.get(read.size() - 1);
            assertTrue(last.startsWith("acked "), last);
            return Long.parseLong(last.substring("acked ".length()));
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die after SIGKILL");
        }
    }

    private static void assertIntactPrefix(Path dir, long acked, String when) throws IOException {
        try (LogStorage s = XodusLogStorageTest.open(dir, OPTIONS)) {
            assertEquals(0, s.firstSeq(), "firstSeq " + when);
            assertTrue(s.lastSeq() >= acked, "every acknowledged record must survive " + when + ": acknowledged through "
                    + acked + ", kept through " + s.lastSeq());
            long[] next = {0};
            s.scan(0, Long.MAX_VALUE, (seq, data) -> {
                assertEquals(next[0]++, seq, "records must be contiguous " + when);
                assertArrayEquals(XodusLogStorageTest.data(seq, XodusChild.SIZE), data, "record " + seq + " " + when);
            });
            assertEquals(s.lastSeq() + 1, next[0], "scan " + when);
        }
    }
}
