package io.atlas.log.xodus;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.atlas.log.xodus.XodusLogStorageTest.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The syncs the Xodus backend makes through {@link SyncingFileDataWriter}, recorded on the way to the real
 * disk: the gaps of Xodus' own writer (directory never synced after the first file, truncation not synced,
 * a sync that can report success it did not have) are closed, and a failed sync fails the call.
 */
class SyncingFileDataWriterTest {

    private static final String DIR = "dir";

    @TempDir
    Path tmp;

    /** {@link SyncingFileDataWriter#FSYNC} with each call recorded, and syncs that fail on demand. */
    static final class RecordingDisk implements SyncingFileDataWriter.Disk {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        volatile boolean failSyncs;

        @Override
        public SyncingFileDataWriter.SyncHandle open(Path file) throws IOException {
            SyncingFileDataWriter.SyncHandle real = SyncingFileDataWriter.FSYNC.open(file);
            String name = file.getFileName().toString();
            events.add("open " + name);
            return new SyncingFileDataWriter.SyncHandle() {
                @Override
                public void sync() throws IOException {
                    if (failSyncs) {
                        events.add("failed sync " + name);
                        throw new IOException("injected fault: fsync of " + name + " fails");
                    }
                    real.sync();
                    events.add("sync " + name);
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            SyncingFileDataWriter.FSYNC.syncDirectory(dir);
            events.add(DIR);
        }

        List<String> drain() {
            synchronized (events) {
                List<String> copy = List.copyOf(events);
                events.clear();
                return copy;
            }
        }
    }

    private LogStorage open(Path dir, RecordingDisk disk, Map<String, String> options) throws IOException {
        return XodusLogStorage.open(dir, XodusOptions.parse(new StorageConfig(dir, 64L << 20, options)), disk);
    }

    private static List<Path> logFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".xd")).sorted().toList();
        }
    }

    @Test
    void g1_syncFsyncsTheFileHoldingTheAppendedRecords() throws IOException {
        Path dir = tmp.resolve("log");
        RecordingDisk disk = new RecordingDisk();
        try (LogStorage s = open(dir, disk, Map.of())) {
            disk.drain();
            s.append(records(1, 10, 100));
            s.sync();
            List<String> events = disk.drain();
            String file = logFiles(dir).get(0).getFileName().toString();
            assertFalse(events.isEmpty(), "sync() reached the disk");
            assertEquals("sync " + file, events.get(events.size() - 1), "the last thing sync() does: " + events);
        }
    }

    @Test
    void g1_everyFullFileIsSyncedAndEveryNewFileEntersTheDirectoryDurably() throws IOException {
        Path dir = tmp.resolve("log");
        RecordingDisk disk = new RecordingDisk();
        try (LogStorage s = open(dir, disk, Map.of(XodusOptions.LOG_FILE_SIZE, "256KiB"))) {
            for (int i = 0; i < 10; i++) {
                s.append(records(1 + i * 10L, 10, 10_000));
            }
            s.sync();
        }
        List<String> events = disk.drain();
        List<Path> files = logFiles(dir);
        assertTrue(files.size() >= 3, "the log spans several files: " + files);
        for (Path f : files) {
            String name = f.getFileName().toString();
            int opened = events.indexOf("open " + name);
            assertTrue(opened >= 0, name + " was written: " + events);
            // Xodus' own writer stops syncing the directory after its first file fills up
            assertEquals(DIR, events.get(opened + 2), "the directory is synced right after " + name
                    + " is created and synced: " + events);
            assertTrue(events.lastIndexOf("sync " + name) > opened, name + " is synced after it was written: " + events);
        }
    }

    @Test
    void g3_theTornTailThatRecoveryCutsIsCutDurably() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, new RecordingDisk(), Map.of())) {
            s.append(records(1, 5, 200));
            s.sync();
        }
        Path file = logFiles(dir).get(logFiles(dir).size() - 1);

        RecordingDisk intact = new RecordingDisk();
        try (LogStorage s = open(dir, intact, Map.of())) {
            assertEquals(5, s.lastSeq());
            assertEquals(List.of(), intact.drain(), "an intact log is not cut: opening it syncs nothing");
        }
        long length = Files.size(file);

        byte[] torn = new byte[700];
        java.util.Arrays.fill(torn, (byte) 0x55);
        Files.write(file, torn, StandardOpenOption.APPEND);
        RecordingDisk disk = new RecordingDisk();
        try (LogStorage s = open(dir, disk, Map.of())) {
            assertEquals(5, s.lastSeq(), "the synced records survive");
            assertEquals(length, Files.size(file), "recovery cut the torn tail");
            List<String> events = disk.drain();
            assertTrue(events.contains("sync " + file.getFileName()),
                    "the cut is synced (Xodus' own writer does not): " + events);
        }
    }

    @Test
    void g8_aFailedFsyncFailsTheSyncAndStopsTheStorage() throws IOException {
        Path dir = tmp.resolve("log");
        RecordingDisk disk = new RecordingDisk();
        try (LogStorage s = open(dir, disk, Map.of())) {
            s.append(records(1, 3, 100));
            disk.failSyncs = true;
            IOException e = assertThrows(IOException.class, s::sync, "injected fault: the sync must fail");
            assertTrue(String.valueOf(e.getMessage()).contains("fsync"), e.getMessage());
            IOException after = assertThrows(IOException.class, () -> s.append(records(4, 1, 100)),
                    "injected fault: fail-stop after the failed sync");
            assertTrue(after.getMessage().contains("earlier failure"), after.getMessage());
        }
        // closed despite the failing disk: Xodus' lock and files were released, and what was synced is there
        try (LogStorage s = open(dir, new RecordingDisk(), Map.of())) {
            assertTrue(s.lastSeq() >= 0);
        }
    }

    @Test
    void g8_aFailedFsyncOfAFullFileFailsTheAppendThatFilledIt() throws IOException {
        Path dir = tmp.resolve("log");
        RecordingDisk disk = new RecordingDisk();
        try (LogStorage s = open(dir, disk, Map.of(XodusOptions.LOG_FILE_SIZE, "256KiB"))) {
            s.append(records(1, 3, 100));
            disk.failSyncs = true;
            assertThrows(IOException.class, () -> s.append(records(4, 40, 10_000)),
                    "injected fault: the append that fills a file syncs it, and must fail when that sync fails");
            assertTrue(disk.drain().stream().anyMatch(ev -> ev.startsWith("failed sync")));
            assertThrows(IOException.class, s::sync, "injected fault: fail-stop");
        }
        try (LogStorage s = open(dir, new RecordingDisk(), Map.of(XodusOptions.LOG_FILE_SIZE, "256KiB"))) {
            assertTrue(s.lastSeq() >= 3, "the records appended before the fault are there: " + s.lastSeq());
        }
    }
}
