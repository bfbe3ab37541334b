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
