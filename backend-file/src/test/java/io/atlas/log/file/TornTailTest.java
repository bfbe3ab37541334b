package io.atlas.log.file;

import io.atlas.log.spi.LogStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.atlas.log.file.Fixtures.data;
import static io.atlas.log.file.Fixtures.fill;
import static io.atlas.log.file.Fixtures.lastSegment;
import static io.atlas.log.file.Fixtures.offsetOf;
import static io.atlas.log.file.Fixtures.open;
import static io.atlas.log.file.Fixtures.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** G3: a partly written last record is discarded at open with a warning naming file and offset. */
class TornTailTest {

    @TempDir
    Path dir;

    /** Writes 0..99, returns the tail segment and the offset of record 99 in it. */
    private long[] writeAndLocateLast() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 100);
        }
        Path tail = lastSegment(dir);
        long first = Fixtures.firstSeqOf(tail);
        return new long[] {first, offsetOf(tail, first, 99)};
    }

    private void assertRecoveredTo98AndWarned(Path tail, long offset) throws IOException {
        try (Fixtures.LogCapture log = new Fixtures.LogCapture(); LogStorage s = open(dir)) {
            assertEquals(98, s.lastSeq(), "the torn record 99 is discarded");
            for (long seq = 0; seq <= 98; seq++) {
                assertArrayEquals(data(seq), s.read(seq).orElseThrow(), "record " + seq + " before the tear is intact");
            }
            List<String> warnings = log.warnings();
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains(tail.toString()) && warnings.get(0).contains("offset " + offset)
                    && warnings.get(0).contains("seq 99"), warnings.get(0));
            s.append(records(99, 5));
            s.sync();
        }
        try (Fixtures.LogCapture log = new Fixtures.LogCapture(); LogStorage s = open(dir)) {
            assertEquals(103, s.lastSeq(), "appends after the repair are kept");
            assertArrayEquals(data(99), s.read(99).orElseThrow());
            assertEquals(List.of(), log.warnings(), "the repair is durable: the next open finds nothing to discard");
        }
    }

    @Test
    void g3_fileCutInsideTheLastRecordIsATornTail() throws IOException {
        long[] at = writeAndLocateLast();
        Path tail = lastSegment(dir);
        Fixtures.truncate(tail, at[1] + RecordFormat.HEADER_SIZE + 10);
        assertRecoveredTo98AndWarned(tail, at[1]);
    }

    @Test
    void g3_fileCutInsideTheLastHeaderIsATornTail() throws IOException {
        long[] at = writeAndLocateLast();
        Path tail = lastSegment(dir);
        Fixtures.truncate(tail, at[1] + 7);
        assertRecoveredTo98AndWarned(tail, at[1]);
    }

    @Test
    void g3_lastRecordReadBackPartlyAsZerosIsATornTail() throws IOException {
        long[] at = writeAndLocateLast();
        Path tail = lastSegment(dir);
        Fixtures.write(tail, at[1] + RecordFormat.HEADER_SIZE + 20, new byte[data(99).length - 20]);
        assertRecoveredTo98AndWarned(tail, at[1]);
    }

    @Test
    void g3_lastRecordReadBackWhollyAsZerosIsSimplyNotThere() throws IOException {
        long[] at = writeAndLocateLast();
        Path tail = lastSegment(dir);
        Fixtures.write(tail, at[1], new byte[RecordFormat.HEADER_SIZE + data(99).length]);
        try (LogStorage s = open(dir)) {
            assertEquals(98, s.lastSeq());
            assertArrayEquals(data(98), s.read(98).orElseThrow());
        }
    }

    @Test
    void g3_garbagePartialHeaderIsATornTail() throws IOException {
        long[] at = writeAndLocateLast();
        Path tail = lastSegment(dir);
        Fixtures.write(tail, at[1], new byte[RecordFormat.HEADER_SIZE + data(99).length]);
        Fixtures.write(tail, at[1], new byte[] {(byte) 0xC3, 0x11, 0x7F, 0x01, 0x55, 0x66, 0x77});
        assertRecoveredTo98AndWarned(tail, at[1]);
    }

    @Test
    void g3_lastRecordWithGarbagePayloadIsATornTail() throws IOException {
        long[] at = writeAndLocateLast();
        Path tail = lastSegment(dir);
        Fixtures.flipByte(tail, at[1] + RecordFormat.HEADER_SIZE + data(99).length - 1);
        assertRecoveredTo98AndWarned(tail, at[1]);
    }

    /**
     * Seeded: cuts the unsynced part of the tail at random offsets, as zeros, as a shorter file or as
     * garbage, and checks that open keeps every synced record and exactly the records wholly before
     * the cut. Replay with {@code -Datlas.file.seed=...}.
     */
    @Test
    void g3_randomTearsAfterTheLastSyncKeepEverySyncedRecord() throws IOException {
        String given = System.getProperty("atlas.file.seed");
        long seed = given != null ? Long.parseLong(given) : new java.util.SplittableRandom().nextLong();
        System.out.println("g3_randomTearsAfterTheLastSyncKeepEverySyncedRecord seed=" + seed
                + " (replay with -Datlas.file.seed=" + seed + ")");
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int round = 0; round < 25; round++) {
            Path d = dir.resolve("round-" + round);
            long synced = 20 + rnd.nextInt(60);
            long written = synced + 1 + rnd.nextInt(8);
            try (LogStorage s = open(d)) {
                fill(s, 0, (int) synced + 1);
                s.append(records(synced + 1, (int) (written - synced)));
            }
            Path tail = lastSegment(d);
            long first = Fixtures.firstSeqOf(tail);
            long from = offsetOf(tail, first, Math.max(first, synced + 1));
            long end = offsetOf(tail, first, written + 1);
            long cut = from + rnd.nextLong(end - from + 1);
            long expectedLast = first - 1;
            for (long seq = first; seq <= written && offsetOf(tail, first, seq + 1) <= cut; seq++) {
                expectedLast = seq;
            }
            int mode = rnd.nextInt(4);
            switch (mode) {
                case 0 -> Fixtures.write(tail, cut, new byte[(int) (end - cut)]);
                case 1 -> Fixtures.truncate(tail, cut);
                case 2 -> {
                    Fixtures.write(tail, cut, new byte[(int) (end - cut)]);
                    byte[] garbage = new byte[1 + rnd.nextInt(40)];
                    rnd.nextBytes(garbage);
                    Fixtures.write(tail, cut, garbage);
                }
                default -> {
                    // Out of order: one unsynced record is lost (zeros or garbage), the later ones reached the disk.
                    long lost = Math.max(first, synced + 1) + rnd.nextLong(written - Math.max(first, synced + 1) + 1);
                    long at = offsetOf(tail, first, lost);
                    byte[] damage = new byte[(int) (offsetOf(tail, first, lost + 1) - at)];
                    if (rnd.nextBoolean()) {
                        rnd.nextBytes(damage);
                    }
                    Fixtures.write(tail, at, damage);
                    cut = at;
                    expectedLast = lost - 1;
                }
            }
            String where = "seed " + seed + " round " + round + " mode " + mode + " cut " + cut;
            try (LogStorage s = open(d)) {
                assertTrue(s.lastSeq() >= synced, where + ": synced records survive");
                assertEquals(expectedLast, s.lastSeq(), where + ": exactly the records wholly before the tear are kept");
                for (long seq = 0; seq <= s.lastSeq(); seq++) {
                    assertArrayEquals(data(seq), s.read(seq).orElseThrow(), where + ": record " + seq);
                }
            }
        }
    }

    /**
     * A crash kept later sectors of an unsynced batch and lost an earlier one: valid records follow a
     * lost one, but each says the segment was synced only up to before the lost one. Open discards the
     * lost record and everything after it, with one warning, and the repair is durable.
     */
    @Test
    void g3_unsyncedRecordsThatReachedTheDiskBehindALostOneAreATornTail() throws IOException {
        for (boolean garbage : new boolean[] {false, true}) {
            Path d = dir.resolve(garbage ? "garbage" : "zeros");
            try (LogStorage s = open(d, Fixtures.BIG_SEGMENT)) {
                fill(s, 0, 40);
                s.append(records(40, 3));
                s.append(records(43, 3));
            }
            Path tail = lastSegment(d);
            long lost = 41;
            long at = offsetOf(tail, 0, lost);
            assertEquals(offsetOf(tail, 0, 40), Fixtures.syncedAt(tail, offsetOf(tail, 0, 45)),
                    "records written after the last sync say it covered the data up to record 40");
            byte[] damage = new byte[(int) (offsetOf(tail, 0, lost + 1) - at)];
            if (garbage) {
                new java.util.SplittableRandom(lost).nextBytes(damage);
            }
            Fixtures.write(tail, at, damage);
            try (Fixtures.LogCapture log = new Fixtures.LogCapture(); LogStorage s = open(d, Fixtures.BIG_SEGMENT)) {
                assertEquals(40, s.lastSeq(), "everything from the lost record on is discarded");
                for (long seq = 0; seq <= 40; seq++) {
                    assertArrayEquals(data(seq), s.read(seq).orElseThrow(), "record " + seq);
                }
                List<String> warnings = log.warnings();
                assertEquals(1, warnings.size(), warnings.toString());
                String w = warnings.get(0);
                assertTrue(w.contains(tail.toString()) && w.contains("offset " + at) && w.contains("seq " + lost)
                        && w.contains("discarded 4 later record(s) (seqs 42..45)"), w);
                s.append(records(41, 2));
                s.sync();
            }
            try (Fixtures.LogCapture log = new Fixtures.LogCapture(); LogStorage s = open(d, Fixtures.BIG_SEGMENT)) {
                assertEquals(42, s.lastSeq());
                assertArrayEquals(data(42), s.read(42).orElseThrow());
                assertEquals(List.of(), log.warnings(), "the discarded records were cleared durably");
            }
        }
    }

    /**
     * Open forces the tail and starts the watermark at the data end, so the next record vouches for
     * everything open found, even records that were never synced before the reopen.
     */
    @Test
    void g3_g4_afterReopenTheNextRecordVouchesForEverythingOpenFound() throws IOException {
        try (LogStorage s = open(dir, Fixtures.BIG_SEGMENT)) {
            fill(s, 0, 30);
            s.append(records(30, 5));
        }
        Path tail = lastSegment(dir);
        try (LogStorage s = open(dir, Fixtures.BIG_SEGMENT)) {
            s.append(records(35, 3));
        }
        assertEquals(SegmentHeader.SIZE, Fixtures.syncedAt(tail, offsetOf(tail, 0, 29)),
                "records of a new segment written before any sync vouch for its header only");
        assertEquals(offsetOf(tail, 0, 30), Fixtures.syncedAt(tail, offsetOf(tail, 0, 34)),
                "records written after the sync vouch for what it covered");
        assertEquals(offsetOf(tail, 0, 35), Fixtures.syncedAt(tail, offsetOf(tail, 0, 37)),
                "records written after the reopen vouch for everything open found");
        long victim = 32;
        long at = offsetOf(tail, 0, victim);
        Fixtures.flipByte(tail, at + RecordFormat.HEADER_SIZE + 5);
        io.atlas.log.CorruptLogException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.atlas.log.CorruptLogException.class, () -> open(dir, Fixtures.BIG_SEGMENT));
        assertTrue(e.getMessage().contains(tail.toString()) && e.getMessage().contains("offset " + at)
                && e.getMessage().contains("seq " + victim) && e.getMessage().contains("seq 35"), e.getMessage());
    }

    /**
     * After truncateSuffix the watermark is the cut, not the higher value an earlier sync left: records
     * appended at the cut vouch for no byte from the cut on, so losing the first of them is a torn tail.
     */
    @Test
    void g3_truncateSuffixLowersTheWatermarkToTheCut() throws IOException {
        try (LogStorage s = open(dir, Fixtures.BIG_SEGMENT)) {
            fill(s, 0, 60);
            s.truncateSuffix(40);
            s.append(records(40, 5));
        }
        Path tail = lastSegment(dir);
        long cut = offsetOf(tail, 0, 40);
        for (long seq = 40; seq < 45; seq++) {
            assertEquals(cut, Fixtures.syncedAt(tail, offsetOf(tail, 0, seq)), "record " + seq + " vouches for the cut");
        }
        Fixtures.write(tail, cut, new byte[(int) (offsetOf(tail, 0, 41) - cut)]);
        try (Fixtures.LogCapture log = new Fixtures.LogCapture(); LogStorage s = open(dir, Fixtures.BIG_SEGMENT)) {
            assertEquals(39, s.lastSeq());
            assertEquals(1, log.warnings().size(), log.warnings().toString());
            assertTrue(log.warnings().get(0).contains("discarded 4 later record(s)"), log.warnings().get(0));
        }
    }

    /**
     * A sync raises the watermark only when its force has returned, and only to the data end it saw
     * before the force began: an append while the force runs carries the earlier value.
     */
    @Test
    void g3_syncPublishesTheWatermarkOnlyAfterItsForceReturns() throws Exception {
        TestFileIo io = new TestFileIo();
        java.util.concurrent.ExecutorService syncer = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (LogStorage s = new FileStorageProvider(io).open(
                new io.atlas.log.spi.StorageConfig(dir, Fixtures.BIG_SEGMENT))) {
            s.append(records(0, 5));
            s.sync();
            s.append(records(5, 5));
            java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            io.holdForces(entered, release);
            java.util.concurrent.Future<?> sync = syncer.submit(() -> {
                s.sync();
                return null;
            });
            entered.await();
            s.append(records(10, 2));
            io.holdForces(null, null);
            release.countDown();
            sync.get();
            s.append(records(12, 1));
        } finally {
            syncer.shutdownNow();
        }
        Path tail = lastSegment(dir);
        assertEquals(offsetOf(tail, 0, 5), Fixtures.syncedAt(tail, offsetOf(tail, 0, 10)),
                "an append during the force carries the watermark of the sync before");
        assertEquals(offsetOf(tail, 0, 10), Fixtures.syncedAt(tail, offsetOf(tail, 0, 12)),
                "after the force returned, the watermark covers what was written before it began, no more");
    }

    @Test
    void g3_tornSealIsDiscardedAndTheSegmentStaysTheTail() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 100);
        }
        // Make the first segment the last one, with a seal whose trailer was torn.
        List<Path> files = Fixtures.segmentFiles(dir);
        for (Path p : files.subList(1, files.size())) {
            Files.delete(p);
        }
        Path first = files.get(0);
        long count = Fixtures.firstSeqOf(files.get(1));
        Fixtures.flipByte(first, Fixtures.SEGMENT - 5);
        try (Fixtures.LogCapture log = new Fixtures.LogCapture(); LogStorage s = open(dir)) {
            assertEquals(count - 1, s.lastSeq(), "every record of the segment is kept");
            assertEquals(1, log.warnings().size(), log.warnings().toString());
            fill(s, count, 50);
            assertEquals(count + 49, s.lastSeq());
        }
        try (LogStorage s = open(dir)) {
            for (long seq = 0; seq < count + 50; seq++) {
                assertArrayEquals(data(seq), s.read(seq).orElseThrow());
            }
        }
    }

    @Test
    void g3_segmentWhoseRecordsNeverReachedTheDiskIsDropped() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 100);
        }
        Path tail = lastSegment(dir);
        long first = Fixtures.firstSeqOf(tail);
        Fixtures.write(tail, SegmentHeader.SIZE, new byte[Fixtures.SEGMENT - SegmentHeader.SIZE]);
        try (LogStorage s = open(dir)) {
            assertEquals(first - 1, s.lastSeq());
            assertTrue(Files.notExists(tail), "the empty tail segment is removed");
            fill(s, first, 10);
        }
        try (LogStorage s = open(dir)) {
            assertEquals(first + 9, s.lastSeq());
            assertArrayEquals(data(first), s.read(first).orElseThrow());
        }
    }
}
