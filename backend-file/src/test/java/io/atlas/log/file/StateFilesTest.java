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
import static io.atlas.log.file.Fixtures.open;
import static io.atlas.log.file.Fixtures.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** G5 and G6: state files replaced atomically, and truncations a crash interrupted finished at open. */
class StateFilesTest {

    @TempDir
    Path dir;

    @Test
    void g5_checkpointsAndMetadataArePutReplacedAndDeleted() throws IOException {
        try (LogStorage s = open(dir)) {
            s.putCheckpoint(10, new byte[] {1});
            s.putCheckpoint(5, new byte[0]);
            s.putCheckpoint(10, new byte[] {2, 2});
            s.putMeta("view", new byte[] {3});
            s.putMeta("view", new byte[] {4});
            s.putMeta("..", new byte[] {5});
            assertArrayEquals(new long[] {5, 10}, s.checkpointSeqs());
            assertArrayEquals(new byte[] {2, 2}, s.readCheckpoint(10).orElseThrow());
            s.deleteCheckpoint(5);
            s.deleteCheckpoint(6);
        }
        try (LogStorage s = open(dir)) {
            assertArrayEquals(new long[] {10}, s.checkpointSeqs());
            assertArrayEquals(new byte[] {2, 2}, s.readCheckpoint(10).orElseThrow());
            assertTrue(s.readCheckpoint(5).isEmpty());
            assertArrayEquals(new byte[] {4}, s.getMeta("view").orElseThrow());
            assertArrayEquals(new byte[] {5}, s.getMeta("..").orElseThrow());
            assertTrue(s.getMeta("vote").isEmpty());
        }
    }

    @Test
    void g5_leftoverTempFilesOfACrashAreDeletedAndForeignFilesKept() throws IOException {
        try (LogStorage s = open(dir)) {
            s.putCheckpoint(10, new byte[] {1});
            s.putMeta("view", new byte[] {3});
            fill(s, 0, 20);
        }
        List<Path> temps = List.of(dir.resolve(String.format("checkpoint-%020d.ckpt.tmp", 10)),
                dir.resolve(String.format("checkpoint-%020d.ckpt.tmp", 11)), dir.resolve("meta-view.meta.tmp"),
                dir.resolve("truncation.state.tmp"), dir.resolve(Segment.fileName(20, 1) + ".tmp"));
        for (Path t : temps) {
            Files.write(t, new byte[] {9, 9, 9});
        }
        List<Path> foreign = List.of(dir.resolve("atlas-log.lock"), dir.resolve("atlas-log.manifest"),
                dir.resolve("notes.tmp"), dir.resolve("seg-1.log"));
        for (Path f : foreign) {
            Files.write(f, new byte[] {1});
        }
        try (LogStorage s = open(dir)) {
            for (Path t : temps) {
                assertTrue(Files.notExists(t), t + " is deleted");
            }
            for (Path f : foreign) {
                assertTrue(Files.exists(f), f + " is not this backend's and is kept");
            }
            assertArrayEquals(new long[] {10}, s.checkpointSeqs());
            assertArrayEquals(new byte[] {1}, s.readCheckpoint(10).orElseThrow());
            assertArrayEquals(new byte[] {3}, s.getMeta("view").orElseThrow());
            assertEquals(19, s.lastSeq());
        }
    }

    @Test
    void g6_truncatePrefixInterruptedBeforeDeletingSegmentsIsFinishedAtOpen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        List<Path> before = segmentFiles(dir);
        byte[][] saved = new byte[before.size()][];
        for (int i = 0; i < saved.length; i++) {
            saved[i] = Files.readAllBytes(before.get(i));
        }
        long cut = Fixtures.firstSeqOf(before.get(3)) + 2;
        try (LogStorage s = open(dir)) {
            s.truncatePrefix(cut);
        }
        // A crash that kept the new point but lost the deletions of segments 0 and 2, not that of 1.
        Files.write(before.get(0), saved[0]);
        Files.write(before.get(2), saved[2]);
        try (LogStorage s = open(dir)) {
            assertEquals(cut + 1, s.firstSeq());
            assertEquals(299, s.lastSeq());
            assertTrue(s.read(cut).isEmpty());
            assertArrayEquals(data(cut + 1), s.read(cut + 1).orElseThrow());
            assertEquals(before.subList(3, before.size()), segmentFiles(dir), "segments below the point are gone");
        }
    }

    @Test
    void g6_truncatePrefixPastLastInterruptedBeforeDeletingTheTailLeavesAnEmptyLog() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        List<Path> before = segmentFiles(dir);
        Path tail = before.get(before.size() - 1);
        byte[] saved = Files.readAllBytes(tail);
        try (LogStorage s = open(dir)) {
            s.truncatePrefix(400);
        }
        Files.write(tail, saved);
        try (LogStorage s = open(dir)) {
            assertEquals(-1, s.lastSeq());
            assertTrue(segmentFiles(dir).isEmpty());
            s.append(Fixtures.records(401, 1));
        }
    }

    @Test
    void g2_truncateSuffixInterruptedWhileClearingIsFinishedAtOpen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        Path segment = segmentFiles(dir).get(1);
        long first = Fixtures.firstSeqOf(segment);
        long cut = first + 4;
        long cutOffset = Fixtures.offsetOf(segment, first, cut);
        List<Path> later = segmentFiles(dir).subList(2, segmentFiles(dir).size());
        for (Path p : later) {
            Files.delete(p);
        }
        // The crash: the cut was persisted, and of the clearing only the bytes of record cut + 1 landed.
        new TruncationState(-1, first, cutOffset).write(FileIo.real(), dir);
        long next = Fixtures.offsetOf(segment, first, cut + 1);
        Fixtures.write(segment, next, new byte[RecordFormat.HEADER_SIZE + data(cut + 1).length]);
        try (LogStorage s = open(dir)) {
            assertEquals(cut - 1, s.lastSeq());
            for (long seq = 0; seq < cut; seq++) {
                assertArrayEquals(data(seq), s.read(seq).orElseThrow());
            }
            fill(s, cut, 100);
        }
        assertEquals(TruncationState.INITIAL.prefixPoint(), TruncationState.read(FileIo.real(), dir).prefixPoint());
        try (LogStorage s = open(dir)) {
            assertEquals(cut + 99, s.lastSeq());
            assertArrayEquals(data(cut + 50), s.read(cut + 50).orElseThrow());
        }
    }
}
