package io.atlas.log.file;

import io.atlas.log.spi.LogStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.atlas.log.file.Fixtures.data;
import static io.atlas.log.file.Fixtures.fill;
import static io.atlas.log.file.Fixtures.open;
import static io.atlas.log.file.Fixtures.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** G8: after a failed write or fsync nothing more is acknowledged; a reopen keeps what was synced. */
class FailStopTest {

    @TempDir
    Path dir;

    private static void assertRefusesChanges(LogStorage s, String firstFailure) {
        for (var call : new org.junit.jupiter.api.function.Executable[] {
                () -> s.append(records(1000, 1)), s::sync, () -> s.truncatePrefix(1), () -> s.truncateSuffix(1),
                () -> s.putCheckpoint(1, new byte[1]), () -> s.putMeta("k", new byte[1]), () -> s.deleteCheckpoint(1)}) {
            IOException e = assertThrows(IOException.class, call);
            assertTrue(e.getMessage().contains(firstFailure) && e.getMessage().contains(TestFileIo.INJECTED),
                    "the refusal names the first failure: " + e.getMessage());
        }
    }

    @Test
    void g8_shortWriteThenNoSpaceFailsTheAppendAndEverythingAfter() throws IOException {
        TestFileIo io = new TestFileIo();
        try (LogStorage s = open(dir, io)) {
            fill(s, 0, 100);
            io.failWritesAfter(150);
            IOException e = assertThrows(IOException.class, () -> s.append(records(100, 3)));
            assertTrue(e.getMessage().contains(TestFileIo.INJECTED), e.getMessage());
            assertRefusesChanges(s, "No space left on device");
            assertArrayEquals(data(50), s.read(50).orElseThrow(), "reads still work");
        }
        try (LogStorage s = open(dir)) {
            assertTrue(s.lastSeq() >= 99 && s.lastSeq() <= 102, "the synced records survive: lastSeq " + s.lastSeq());
            for (long seq = 0; seq <= s.lastSeq(); seq++) {
                assertArrayEquals(data(seq), s.read(seq).orElseThrow());
            }
            fill(s, s.lastSeq() + 1, 10);
        }
    }

    @Test
    void g8_noSpaceWhileCreatingASegmentFailsTheAppend() throws IOException {
        TestFileIo io = new TestFileIo();
        try (LogStorage s = open(dir, io)) {
            fill(s, 0, 30);
            io.failWritesAfter(Fixtures.SEGMENT / 2);
            IOException e = assertThrows(IOException.class, () -> fill(s, 30, 100));
            assertTrue(e.getMessage().contains(TestFileIo.INJECTED), e.getMessage());
            assertRefusesChanges(s, "No space left on device");
        }
        try (LogStorage s = open(dir)) {
            assertTrue(s.lastSeq() >= 29, "lastSeq " + s.lastSeq());
            for (long seq = 0; seq <= s.lastSeq(); seq++) {
                assertArrayEquals(data(seq), s.read(seq).orElseThrow());
            }
        }
    }

    @Test
    void g8_failedFsyncFailsTheSyncAndEverythingAfter() throws IOException {
        TestFileIo io = new TestFileIo();
        try (LogStorage s = open(dir, io)) {
            fill(s, 0, 10);
            s.append(records(10, 1));
            io.failForce(true);
            IOException e = assertThrows(IOException.class, s::sync);
            assertTrue(e.getMessage().contains(TestFileIo.INJECTED), e.getMessage());
            io.failForce(false);
            assertRefusesChanges(s, "Input/output error");
        }
        try (LogStorage s = open(dir)) {
            assertTrue(s.lastSeq() >= 9);
            assertEquals(0, s.firstSeq());
        }
    }

    @Test
    void g8_failedCheckpointWriteKeepsTheOldCheckpoint() throws IOException {
        TestFileIo io = new TestFileIo();
        try (LogStorage s = open(dir, io)) {
            s.putCheckpoint(5, new byte[] {1, 2, 3});
            io.failWritesAfter(10);
            assertThrows(IOException.class, () -> s.putCheckpoint(5, new byte[100]));
            assertArrayEquals(new byte[] {1, 2, 3}, s.readCheckpoint(5).orElseThrow());
        }
        try (LogStorage s = open(dir)) {
            assertArrayEquals(new byte[] {1, 2, 3}, s.readCheckpoint(5).orElseThrow());
        }
    }
}
