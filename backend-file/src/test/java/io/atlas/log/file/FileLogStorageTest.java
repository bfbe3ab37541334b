package io.atlas.log.file;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static io.atlas.log.file.Fixtures.data;
import static io.atlas.log.file.Fixtures.fill;
import static io.atlas.log.file.Fixtures.open;
import static io.atlas.log.file.Fixtures.records;
import static io.atlas.log.file.Fixtures.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileLogStorageTest {

    @TempDir
    Path dir;

    private static void assertHolds(LogStorage s, long first, long last) throws IOException {
        assertEquals(first, s.firstSeq(), "firstSeq");
        assertEquals(last, s.lastSeq(), "lastSeq");
        for (long seq = first; seq <= last; seq++) {
            assertArrayEquals(data(seq), s.read(seq).orElseThrow(), "read(" + seq + ")");
        }
        List<Long> seen = new ArrayList<>();
        s.scan(first, last, (seq, bytes) -> {
            assertArrayEquals(data(seq), bytes, "scan at " + seq);
            seen.add(seq);
        });
        assertEquals(last - first + 1, seen.size(), "records visited by scan(" + first + ", " + last + ")");
        assertTrue(s.read(first - 1 < 0 ? 0 : first - 1).isEmpty() || first == 0, "read below first");
        assertTrue(s.read(last + 1).isEmpty(), "read above last");
    }

    @Test
    void g2_recordsRollIntoSegmentsAndReadBackAcrossBoundaries() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 5, 300);
            assertTrue(segmentFiles(dir).size() >= 5, "300 records of ~200 bytes need several 8 KiB segments");
            assertHolds(s, 5, 304);
            List<Long> seen = new ArrayList<>();
            s.scan(37, 251, (seq, b) -> seen.add(seq));
            assertEquals(215, seen.size());
            assertEquals(37L, seen.get(0));
            assertEquals(251L, seen.get(seen.size() - 1));
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 5, 304);
            fill(s, 305, 40);
            assertHolds(s, 5, 344);
        }
    }

    @Test
    void g2_segmentNamesCarryFirstSeqAndConsecutiveOrdinals() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 1000, 200);
        }
        List<Path> files = segmentFiles(dir);
        assertEquals("seg-00000000000000001000-00000000000000000000.log", files.get(0).getFileName().toString());
        for (int i = 0; i < files.size(); i++) {
            assertTrue(files.get(i).getFileName().toString().endsWith(String.format("-%020d.log", i)), files.toString());
        }
    }

    @Test
    void g2_segmentsArePreallocatedUnlessDisabled() throws IOException {
        try (LogStorage s = open(dir)) {
            s.append(records(0, 1));
        }
        assertEquals(Fixtures.SEGMENT, Files.size(Fixtures.lastSegment(dir)));
        Path other = dir.resolve("grow");
        try (LogStorage s = open(other, Fixtures.SEGMENT, Map.of("preallocate", "false"))) {
            fill(s, 0, 100);
            assertHolds(s, 0, 99);
            Path last = Fixtures.lastSegment(other);
            assertEquals(Fixtures.offsetOf(last, Fixtures.firstSeqOf(last), 99) + RecordFormat.HEADER_SIZE + data(99).length,
                    Files.size(last), "a segment that is not preallocated ends with its last record");
        }
        try (LogStorage s = open(other, Fixtures.SEGMENT, Map.of("preallocate", "false"))) {
            assertHolds(s, 0, 99);
        }
    }

    @Test
    void g2_largestRecordIsAcceptedAndOneByteMoreIsRefusedNamingSizeAndLimit() throws IOException {
        int limit = Fixtures.SEGMENT - 512;
        try (LogStorage s = open(dir)) {
            s.append(records(0, 3));
            byte[] big = new byte[limit];
            Arrays.fill(big, (byte) 7);
            s.append(List.of(new LogRecord(3, big)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.append(List.of(new LogRecord(4, new byte[limit + 1]))));
            assertTrue(e.getMessage().contains(Integer.toString(limit + 1)) && e.getMessage().contains(Integer.toString(limit)),
                    e.getMessage());
            assertEquals(3, s.lastSeq(), "nothing of a refused batch is stored");
            s.append(records(4, 1));
            s.sync();
            assertArrayEquals(big, s.read(3).orElseThrow());
        }
        try (LogStorage s = open(dir)) {
            assertEquals(4, s.lastSeq());
            assertEquals(limit, s.read(3).orElseThrow().length);
        }
    }

    @Test
    void g9_badAppendsAreRefusedNamingExpectedAndGot() throws IOException {
        try (LogStorage s = open(dir)) {
            s.append(records(10, 5));
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> s.append(records(16, 1)));
            assertTrue(wrong.getMessage().contains("expected seq 15") && wrong.getMessage().contains("got 16"),
                    wrong.getMessage());
            List<LogRecord> gap = List.of(new LogRecord(15, new byte[1]), new LogRecord(17, new byte[1]));
            IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> s.append(gap));
            assertTrue(g.getMessage().contains("expected seq 16") && g.getMessage().contains("got 17"), g.getMessage());
            List<LogRecord> withNull = new ArrayList<>(records(15, 1));
            withNull.add(null);
            assertThrows(IllegalArgumentException.class, () -> s.append(withNull));
            assertThrows(IllegalArgumentException.class, () -> s.append(null));
            assertEquals(14, s.lastSeq(), "refused batches store nothing");
            assertThrows(IllegalArgumentException.class, () -> s.read(-1));
            assertThrows(IllegalArgumentException.class, () -> s.truncatePrefix(-1));
            assertThrows(IllegalArgumentException.class, () -> s.truncateSuffix(-1));
            assertThrows(IllegalArgumentException.class, () -> s.putCheckpoint(-1, new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> s.putCheckpoint(1, null));
            assertThrows(IllegalArgumentException.class, () -> s.scan(0, 1, null));
            IllegalArgumentException key = assertThrows(IllegalArgumentException.class, () -> s.putMeta("a/b", new byte[0]));
            assertTrue(key.getMessage().contains("'a/b'") && key.getMessage().contains("[A-Za-z0-9._-]"), key.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.putMeta("x".repeat(129), new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> s.getMeta(""));
            assertThrows(IllegalArgumentException.class, () -> s.putMeta("k", null));
        }
    }

    @Test
    void g9_callsAfterCloseThrowIllegalState() throws IOException {
        LogStorage s = open(dir);
        s.append(records(0, 2));
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.append(records(2, 1)));
        assertThrows(IllegalStateException.class, () -> s.read(0));
        assertThrows(IllegalStateException.class, s::sync);
        assertThrows(IllegalStateException.class, s::lastSeq);
        assertThrows(IllegalStateException.class, () -> s.getMeta("k"));
    }

    @Test
    void g6_truncatePrefixAcrossSegmentsDeletesWholeSegmentsAndSurvivesReopen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
            int before = segmentFiles(dir).size();
            s.truncatePrefix(150);
            assertTrue(segmentFiles(dir).size() < before, "segments wholly below the point are deleted");
            assertHolds(s, 151, 299);
            assertTrue(s.read(150).isEmpty());
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 151, 299);
            s.truncatePrefix(100);
            assertEquals(151, s.firstSeq(), "a point below firstSeq is a no-op");
        }
    }

    @Test
    void g6_truncatePrefixPastLastEmptiesTheLogAndNextAppendMustBeAboveEvenAfterReopen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 100);
            s.truncatePrefix(500);
            assertEquals(-1, s.firstSeq());
            assertEquals(-1, s.lastSeq());
            assertTrue(segmentFiles(dir).isEmpty());
        }
        try (LogStorage s = open(dir)) {
            assertEquals(-1, s.lastSeq());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.append(records(500, 1)));
            assertTrue(e.getMessage().contains("above 500"), e.getMessage());
            s.append(records(501, 3));
            s.sync();
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 501, 503);
        }
    }

    @Test
    void g2_truncateSuffixAcrossSegmentsThenAppendContinuesAndSurvivesReopen() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
            s.truncateSuffix(120);
            assertHolds(s, 0, 119);
            assertThrows(IllegalArgumentException.class, () -> s.append(records(121, 1)));
            fill(s, 120, 30);
            assertHolds(s, 0, 149);
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 0, 149);
        }
    }

    @Test
    void g2_truncateSuffixIsDurableWithoutAFurtherSync() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 200);
            s.truncateSuffix(77);
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 0, 76);
        }
    }

    @Test
    void g2_truncateSuffixAtASegmentStartLeavesASealedTailThatRollsOnAppend() throws IOException {
        long boundary;
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
            boundary = Fixtures.firstSeqOf(segmentFiles(dir).get(2));
            s.truncateSuffix(boundary);
            assertHolds(s, 0, boundary - 1);
            assertEquals(2, segmentFiles(dir).size());
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 0, boundary - 1);
            fill(s, boundary, 50);
            assertHolds(s, 0, boundary + 49);
            assertEquals(String.format("seg-%020d-%020d.log", boundary, 2),
                    segmentFiles(dir).get(2).getFileName().toString());
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 0, boundary + 49);
        }
    }

    @Test
    void g2_truncateSuffixInsideASealedSegmentReopensItForAppends() throws IOException {
        long cut;
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
            cut = Fixtures.firstSeqOf(segmentFiles(dir).get(1)) + 3;
            s.truncateSuffix(cut);
            assertEquals(2, segmentFiles(dir).size());
            fill(s, cut, 100);
            assertHolds(s, 0, cut + 99);
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 0, cut + 99);
        }
    }

    @Test
    void g2_truncateSuffixInsideASealedSegmentWhoseIndexIsNotInMemory() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 300);
        }
        long cut = Fixtures.firstSeqOf(segmentFiles(dir).get(1)) + 3;
        try (LogStorage s = open(dir)) {
            s.truncateSuffix(cut);
            assertHolds(s, 0, cut - 1);
            fill(s, cut, 10);
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 0, cut + 9);
        }
    }

    @Test
    void g2_truncateSuffixAtFirstEmptiesTheLog() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 10, 200);
            s.truncateSuffix(10);
            assertEquals(-1, s.lastSeq());
            assertTrue(segmentFiles(dir).isEmpty());
            s.append(records(10, 2));
            s.sync();
        }
        try (LogStorage s = open(dir)) {
            assertHolds(s, 10, 11);
        }
    }

    @Test
    void g5_openReadsOnlyTheTailSegment() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 2000);
        }
        List<Path> files = segmentFiles(dir);
        assertTrue(files.size() >= 30, "the workload spans many segments: " + files.size());
        TestFileIo io = new TestFileIo();
        try (LogStorage s = open(dir, io)) {
            assertEquals(1999, s.lastSeq());
            for (Path sealed : files.subList(0, files.size() - 1)) {
                assertEquals(0, io.bytesRead(sealed.getFileName().toString()),
                        "open must not read sealed segment " + sealed.getFileName());
            }
            assertTrue(io.bytesRead(files.get(files.size() - 1).getFileName().toString()) > 0, "open reads the tail");
            io.resetCounts();
            assertArrayEquals(data(5), s.read(5).orElseThrow());
            assertTrue(io.bytesRead(files.get(0).getFileName().toString()) > 0);
            assertEquals(0, io.bytesRead(files.get(1).getFileName().toString()),
                    "a random read touches only the segment holding the record");
        }
    }

    @Test
    void g9_truncatingFromInsideAScanVisitorIsRefusedInsteadOfDeadlocking() throws IOException {
        try (LogStorage s = open(dir)) {
            fill(s, 0, 10);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> s.scan(0, 9, (seq, b) -> s.truncatePrefix(seq)));
            assertTrue(e.getMessage().contains("scan visitor"), e.getMessage());
            assertHolds(s, 0, 9);
        }
    }

    @Test
    void g11_filesAndDirectoriesAreOwnerOnly() throws IOException {
        Path log = dir.resolve("fresh/log");
        try (LogStorage s = open(log)) {
            fill(s, 0, 100);
            s.putCheckpoint(50, new byte[10]);
            s.putMeta("view", new byte[] {1});
            s.truncatePrefix(10);
            s.truncateSuffix(90);
        }
        Set<PosixFilePermission> file = PosixFilePermissions.fromString("rw-------");
        Set<PosixFilePermission> folder = PosixFilePermissions.fromString("rwx------");
        assertEquals(folder, Files.getPosixFilePermissions(log));
        assertEquals(folder, Files.getPosixFilePermissions(log.getParent()));
        try (Stream<Path> files = Files.list(log)) {
            for (Path p : files.toList()) {
                assertEquals(file, Files.getPosixFilePermissions(p), p.toString());
            }
        }
    }

    @Test
    void g2_readersRunConcurrentlyWithTheWriter() throws Exception {
        try (LogStorage s = open(dir)) {
            s.append(records(0, 1));
            Thread writer = new Thread(() -> {
                try {
                    for (long seq = 1; seq < 1500; seq += 5) {
                        s.append(records(seq, 5));
                        if (seq % 100 == 1) {
                            s.sync();
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            long checked = 0;
            while (writer.isAlive() || checked < 3) {
                long last = s.lastSeq();
                long probe = last / 2;
                assertArrayEquals(data(probe), s.read(probe).orElseThrow());
                assertArrayEquals(data(last), s.read(last).orElseThrow());
                long[] count = new long[1];
                s.scan(Math.max(0, last - 20), last, (seq, b) -> {
                    assertArrayEquals(data(seq), b);
                    count[0]++;
                });
                assertEquals(Math.min(21, last + 1), count[0]);
                checked++;
            }
            writer.join();
            assertEquals(1500, s.lastSeq());
        }
    }
}
