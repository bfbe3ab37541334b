package io.atlas.log.file;

import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
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
import static io.atlas.log.file.Fixtures.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * G4: damage followed by data that vouches for it (a record whose synced watermark covers the damage)
 * is corruption, reported with file, offset and seq; G10, G11.
 */
class CorruptionTest {

    @TempDir
    Path dir;

    private static void assertNames(CorruptLogException e, Path file, long offset, long seq) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()) && m.contains("offset " + offset) && m.contains("seq " + seq),
                "message must name file " + file.getFileName() + ", offset " + offset + " and seq " + seq + ": " + m);
    }

    /**
     * Records 0..99 synced, then records written after that sync: their watermark proves that the
     * damaged record was durable, so a bad record in the tail followed by them is damage, not a tear.
     */
    private Path tailWithRecordsWrittenAfterASync() throws IOException {
        try (LogStorage s = open(dir, Fixtures.BIG_SEGMENT)) {
            fill(s, 0, 100);
            s.append(records(100, 3));
        }
        Path tail = lastSegment(dir);
        assertEquals(offsetOf(tail, 0, 100), Fixtures.syncedAt(tail, offsetOf(tail, 0, 102)));
        return tail;
    }

    @Test
    void g4_badRecordVouchedForByALaterRecordsWatermarkFailsOpen() throws IOException {
        Path tail = tailWithRecordsWrittenAfterASync();
        long victim = 1;
        long offset = offsetOf(tail, 0, victim);
        Fixtures.flipByte(tail, offset + RecordFormat.HEADER_SIZE + 3);
        byte[] before = Files.readAllBytes(tail);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, Fixtures.BIG_SEGMENT));
        assertNames(e, tail, offset, victim);
        assertTrue(e.getMessage().contains("CRC32C") && e.getMessage().contains("seq 100")
                && e.getMessage().contains("synced up to offset " + offsetOf(tail, 0, 100)), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(tail), "a refused open changes nothing");
    }

    @Test
    void g4_zeroedSyncedRecordVouchedForByALaterRecordsWatermarkFailsOpen() throws IOException {
        Path tail = tailWithRecordsWrittenAfterASync();
        long victim = 99;
        long offset = offsetOf(tail, 0, victim);
        Fixtures.write(tail, offset, new byte[RecordFormat.HEADER_SIZE + data(victim).length]);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, Fixtures.BIG_SEGMENT));
        assertNames(e, tail, offset, victim);
    }

    /**
     * The documented limit (see TailRecovery): damage inside the data the last sync made durable, with
     * no record written after that sync, cannot be told from a torn tail. It is truncated with the
     * torn-tail warning rather than refused; this test pins that behaviour down.
     */
    @Test
    void g3_damageInTheLastSyncedBatchWithNothingWrittenAfterItIsReadAsATornTail() throws IOException {
        try (LogStorage s = open(dir, Fixtures.BIG_SEGMENT)) {
            fill(s, 0, 20);
            s.append(records(20, 10));
            s.sync();
        }
        Path tail = lastSegment(dir);
        long victim = 25;
        long offset = offsetOf(tail, 0, victim);
        Fixtures.flipByte(tail, offset + RecordFormat.HEADER_SIZE + 3);
        try (Fixtures.LogCapture log = new Fixtures.LogCapture(); LogStorage s = open(dir, Fixtures.BIG_SEGMENT)) {
            assertEquals(victim - 1, s.lastSeq());
            assertEquals(1, log.warnings().size(), log.warnings().toString());
            assertTrue(log.warnings().get(0).contains("offset " + offset)
                    && log.warnings().get(0).contains("discarded 4 later record(s)"), log.warnings().get(0));
        }
    }

    @Test
    void g4_badRecordInASealedSegmentFailsTheReadAndTheScanNotTheOpen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        Path sealed = segmentFiles(dir).get(1);
        long first = Fixtures.firstSeqOf(sealed);
        long victim = first + 2;
        long offset = offsetOf(sealed, first, victim);
        Fixtures.flipByte(sealed, offset + RecordFormat.HEADER_SIZE + 1);
        try (LogStorage s = open(dir)) {
            assertArrayEquals(data(victim - 1), s.read(victim - 1).orElseThrow(), "records before the damage read fine");
            assertArrayEquals(data(victim + 1), s.read(victim + 1).orElseThrow(), "records after the damage read fine");
            CorruptLogException read = assertThrows(CorruptLogException.class, () -> s.read(victim));
            assertNames(read, sealed, offset, victim);
            CorruptLogException scan = assertThrows(CorruptLogException.class, () -> s.scan(0, 299, (q, b) -> { }));
            assertNames(scan, sealed, offset, victim);
        }
    }

    @Test
    void g4_damagedSealFailsReadsOfThatSegment() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        Path sealed = segmentFiles(dir).get(1);
        long first = Fixtures.firstSeqOf(sealed);
        Fixtures.flipByte(sealed, Fixtures.SEGMENT - 20);
        try (LogStorage s = open(dir)) {
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> s.read(first + 3));
            assertTrue(e.getMessage().contains(sealed.toString()) && e.getMessage().contains("trailer"), e.getMessage());
            assertArrayEquals(data(1), s.read(1).orElseThrow(), "other segments are unaffected");
        }
    }

    @Test
    void g4_damagedIndexOfASealedSegmentIsFoundByAFullScan() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        Path sealed = segmentFiles(dir).get(1);
        long indexOffset;
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(sealed.toFile(), "r")) {
            f.seek(Fixtures.SEGMENT - SegmentIndex.TRAILER_SIZE + 20);
            indexOffset = f.readInt();
        }
        Fixtures.flipByte(sealed, indexOffset + 6);
        try (LogStorage s = open(dir)) {
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> s.scan(0, 299, (q, b) -> { }));
            assertTrue(e.getMessage().contains(sealed.toString()) && e.getMessage().contains("index"), e.getMessage());
        }
    }

    @Test
    void g4_missingMiddleSegmentFailsOpen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        List<Path> files = segmentFiles(dir);
        Files.delete(files.get(2));
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir));
        assertTrue(e.getMessage().contains(files.get(3).getFileName().toString()) && e.getMessage().contains("missing"),
                e.getMessage());
    }

    @Test
    void g4_damagedTailHeaderFailsOpen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 50);
        }
        Path tail = lastSegment(dir);
        Fixtures.flipByte(tail, 10);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir));
        assertTrue(e.getMessage().contains(tail.toString()) && e.getMessage().contains("offset 0"), e.getMessage());
    }

    @Test
    void g4_damagedCheckpointAndMetadataFailTheirReads() throws IOException {
        try (LogStorage s = open(dir)) {
            s.putCheckpoint(7, "state".getBytes());
            s.putMeta("view", "v".getBytes());
        }
        Fixtures.flipByte(dir.resolve(String.format("checkpoint-%020d.ckpt", 7)), 26);
        Fixtures.flipByte(dir.resolve("meta-view.meta"), 24);
        try (LogStorage s = open(dir)) {
            CorruptLogException c = assertThrows(CorruptLogException.class, () -> s.readCheckpoint(7));
            assertTrue(c.getMessage().contains("checkpoint-") && c.getMessage().contains("seq 7"), c.getMessage());
            CorruptLogException m = assertThrows(CorruptLogException.class, () -> s.getMeta("view"));
            assertTrue(m.getMessage().contains("meta-view.meta"), m.getMessage());
        }
    }

    @Test
    void g11_hugeLengthFieldsAreRefusedBeforeAllocating() throws IOException {
        try (LogStorage s = open(dir)) {
            s.putCheckpoint(7, "state".getBytes());
            s.putMeta("view", "v".getBytes());
            fill(s, 0, 300);
        }
        Fixtures.write(dir.resolve(String.format("checkpoint-%020d.ckpt", 7)), 16, new byte[] {0x7F, -1, -1, -1});
        Fixtures.write(dir.resolve("meta-view.meta"), 12, new byte[] {0x7F, -1, -1, -1});
        Path sealed = segmentFiles(dir).get(0);
        Fixtures.write(sealed, SegmentHeader.SIZE, new byte[] {0x7F, -1, -1, -1});
        try (LogStorage s = open(dir)) {
            assertThrows(CorruptLogException.class, () -> s.readCheckpoint(7));
            assertThrows(CorruptLogException.class, () -> s.getMeta("view"));
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> s.scan(0, 0, (q, b) -> { }));
            assertTrue(e.getMessage().contains("length"), e.getMessage());
            assertThrows(CorruptLogException.class, () -> s.read(0));
        }
    }

    @Test
    void g10_newerFormatVersionIsIncompatible() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 20);
            s.putCheckpoint(3, new byte[] {1});
            s.putMeta("k", new byte[] {1});
            s.truncatePrefix(2);
        }
        byte[] version2 = {0, 0, 0, 2};
        Fixtures.write(dir.resolve(String.format("checkpoint-%020d.ckpt", 3)), 4, version2);
        Fixtures.write(dir.resolve("meta-k.meta"), 4, version2);
        try (LogStorage s = open(dir)) {
            IncompatibleLogException c = assertThrows(IncompatibleLogException.class, () -> s.readCheckpoint(3));
            assertTrue(c.getMessage().contains("version 2"), c.getMessage());
            assertThrows(IncompatibleLogException.class, () -> s.getMeta("k"));
        }
        Fixtures.write(dir.resolve(TruncationState.FILE_NAME), 4, version2);
        assertThrows(IncompatibleLogException.class, () -> open(dir));
        Fixtures.write(dir.resolve(TruncationState.FILE_NAME), 4, new byte[] {0, 0, 0, 1});
        Fixtures.write(lastSegment(dir), 4, version2);
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> open(dir));
        assertTrue(e.getMessage().contains(lastSegment(dir).toString()) && e.getMessage().contains("version 2"),
                e.getMessage());
    }
}
