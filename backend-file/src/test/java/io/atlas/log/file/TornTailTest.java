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
            int mode = rnd.nextInt(3);
            switch (mode) {
                case 0 -> Fixtures.write(tail, cut, new byte[(int) (end - cut)]);
                case 1 -> Fixtures.truncate(tail, cut);
                default -> {
                    Fixtures.write(tail, cut, new byte[(int) (end - cut)]);
                    byte[] garbage = new byte[1 + rnd.nextInt(40)];
                    rnd.nextBytes(garbage);
                    Fixtures.write(tail, cut, garbage);
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
