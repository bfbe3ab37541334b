package io.atlas.log.xodus;

import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.LogLockedException;
import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.bindings.IntegerBinding;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.Environments;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.StoreConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XodusLogStorageTest {

    private static final long SEGMENT = 64L << 20;

    @TempDir
    Path tmp;

    static LogStorage open(Path dir, Map<String, String> options) throws IOException {
        return new XodusStorageProvider().open(new StorageConfig(dir, SEGMENT, options));
    }

    static byte[] data(long seq, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seq * 31 + i * 7);
        }
        return b;
    }

    static List<LogRecord> records(long from, int count, int size) {
        List<LogRecord> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(new LogRecord(from + i, data(from + i, size)));
        }
        return list;
    }

    static List<Long> scanSeqs(LogStorage s, long from, long to) throws IOException {
        List<Long> seqs = new ArrayList<>();
        s.scan(from, to, (seq, d) -> seqs.add(seq));
        return seqs;
    }

    @Test
    void serviceLoaderFindsXodus() {
        List<String> names = ServiceLoader.load(StorageProvider.class).stream()
                .map(p -> p.get().name()).toList();
        assertTrue(names.contains("xodus"), "ServiceLoader must find the 'xodus' provider; found " + names);
        StorageProvider xodus = ServiceLoader.load(StorageProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("xodus")).findFirst().orElseThrow();
        assertTrue(xodus.capabilities().contains(io.atlas.log.spi.Capability.DURABLE), "xodus must declare DURABLE");
    }

    @Test
    void g2_keysSortNumericallyAcrossEncodedLengths() throws IOException {
        // compressed keys change length at 16, 4096, 2^20 ...; order must be numeric across every change
        long start = (1L << 40) - 100;
        try (LogStorage s = open(tmp.resolve("log"), Map.of())) {
            s.truncatePrefix(start - 1);
            s.append(records(start, 300, 8));
            assertEquals(start, s.firstSeq());
            assertEquals(start + 299, s.lastSeq());
            List<Long> seqs = scanSeqs(s, 0, Long.MAX_VALUE);
            assertEquals(300, seqs.size());
            for (int i = 0; i < seqs.size(); i++) {
                assertEquals(start + i, seqs.get(i), "scan must return seqs in numeric order");
            }
            long[] cps = {0, 9, 10, 15, 16, 255, 256, 4095, 4096, 1L << 33, Long.MAX_VALUE};
            for (int i = cps.length - 1; i >= 0; i--) {
                s.putCheckpoint(cps[i], new byte[] {(byte) i});
            }
            assertArrayEquals(cps, s.checkpointSeqs(), "checkpointSeqs must be in numeric order");
        }
        try (LogStorage s = open(tmp.resolve("small"), Map.of())) {
            s.append(records(0, 5000, 4));
            List<Long> seqs = scanSeqs(s, 10, 4200);
            assertEquals(4191, seqs.size());
            for (int i = 1; i < seqs.size(); i++) {
                assertEquals(seqs.get(i - 1) + 1, seqs.get(i), "scan must be ascending and contiguous");
            }
        }
    }

    @Test
    void g2_reopenKeepsRecordsCheckpointsMetadataAndPrefixPoint() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of())) {
            s.append(records(0, 100, 50));
            s.truncatePrefix(19);
            s.truncateSuffix(90);
            s.putCheckpoint(40, data(40, 100));
            s.putMeta("view", new byte[] {7});
            s.sync();
        }
        try (LogStorage s = open(dir, Map.of())) {
            assertEquals(20, s.firstSeq());
            assertEquals(89, s.lastSeq());
            assertArrayEquals(data(55, 50), s.read(55).orElseThrow());
            assertTrue(s.read(19).isEmpty());
            assertTrue(s.read(90).isEmpty());
            assertArrayEquals(data(40, 100), s.readCheckpoint(40).orElseThrow());
            assertArrayEquals(new byte[] {7}, s.getMeta("view").orElseThrow());
            s.truncatePrefix(200);
        }
        try (LogStorage s = open(dir, Map.of())) {
            assertEquals(-1, s.firstSeq());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.append(records(150, 1, 1)));
            assertTrue(e.getMessage().contains("above 200"), e.getMessage());
            s.append(records(201, 1, 1));
            assertEquals(201, s.firstSeq());
        }
    }

    @Test
    void g2_valuesLargerThanAXodusFileAreStoredInChunks() throws IOException {
        // with 256 KiB files values above 64 KiB are split: these records take 1 piece, 2 chunks and 16 chunks
        Path dir = tmp.resolve("log");
        Map<String, String> small = Map.of(XodusOptions.LOG_FILE_SIZE, "256KiB");
        int[] sizes = {64 << 10, (64 << 10) + 1, 1 << 20, 0, 3};
        try (LogStorage s = open(dir, small)) {
            for (int i = 0; i < sizes.length; i++) {
                s.append(List.of(new LogRecord(i, data(i, sizes[i]))));
            }
            s.putCheckpoint(1, data(99, 700_000));
            s.putMeta("big", data(98, 1 << 20));
            s.sync();
        }
        try (LogStorage s = open(dir, small)) {
            for (int i = 0; i < sizes.length; i++) {
                assertArrayEquals(data(i, sizes[i]), s.read(i).orElseThrow(), "record " + i + " of " + sizes[i] + " bytes");
            }
            List<byte[]> scanned = new ArrayList<>();
            s.scan(0, 10, (seq, d) -> scanned.add(d));
            assertEquals(sizes.length, scanned.size());
            assertArrayEquals(data(2, sizes[2]), scanned.get(2));
            assertArrayEquals(data(99, 700_000), s.readCheckpoint(1).orElseThrow());
            assertArrayEquals(data(98, 1 << 20), s.getMeta("big").orElseThrow());
            s.putMeta("big", new byte[] {1});
            assertArrayEquals(new byte[] {1}, s.getMeta("big").orElseThrow());
            s.truncateSuffix(2);
            s.truncatePrefix(0);
            assertEquals(1, s.lastSeq());
            XodusLogStorage x = (XodusLogStorage) s;
            long chunks = x.environment().computeInReadonlyTransaction(txn -> Stream.of(XodusLogStorage.DECISIONS, XodusLogStorage.META)
                    .mapToLong(n -> x.environment().openStore(n + XodusLogStorage.CHUNKS, StoreConfig.WITHOUT_DUPLICATES, txn).count(txn))
                    .sum());
            assertEquals(2, chunks, "left: the 2 chunks of record 1 (64KiB + 1 byte); the chunks of the truncated"
                    + " record 2 and of the replaced metadata value must be deleted with them");
        }
    }

    @Test
    void g6_truncationsLargerThanOneDeleteBatch() throws IOException {
        int n = 3 * XodusLogStorage.DELETE_BATCH + 17;
        try (LogStorage s = open(tmp.resolve("log"), Map.of())) {
            s.append(records(0, n, 3));
            s.truncatePrefix(2L * XodusLogStorage.DELETE_BATCH + 5);
            assertEquals(2L * XodusLogStorage.DELETE_BATCH + 6, s.firstSeq());
            assertTrue(s.read(2L * XodusLogStorage.DELETE_BATCH + 5).isEmpty());
            s.truncateSuffix(2L * XodusLogStorage.DELETE_BATCH + 10);
            assertEquals(2L * XodusLogStorage.DELETE_BATCH + 9, s.lastSeq());
            assertEquals(4, scanSeqs(s, 0, Long.MAX_VALUE).size());
            s.truncateSuffix(0);
            assertEquals(-1, s.lastSeq());
            s.append(records(2L * XodusLogStorage.DELETE_BATCH + 6, 1, 3));
        }
    }

    @Test
    void g6_prefixTruncationInterruptedByACrashIsFinishedAtOpen() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of())) {
            s.append(records(0, 50, 10));
            s.sync();
        }
        // what a crash right after truncatePrefix's first transaction leaves: the point, and records below it
        Environment env = Environments.newInstance(dir.toFile(), new EnvironmentConfig());
        try {
            env.executeInTransaction(txn -> env.openStore(XodusLogStorage.INTERNAL, StoreConfig.WITHOUT_DUPLICATES, txn)
                    .put(txn, StringBinding.stringToEntry(XodusLogStorage.PREFIX_POINT_KEY), LongBinding.longToCompressedEntry(29)));
        } finally {
            env.close();
        }
        try (LogStorage s = open(dir, Map.of())) {
            assertEquals(30, s.firstSeq());
            assertEquals(49, s.lastSeq());
            assertTrue(s.read(10).isEmpty());
            XodusLogStorage x = (XodusLogStorage) s;
            long stored = x.environment().computeInReadonlyTransaction(txn ->
                    x.environment().openStore(XodusLogStorage.DECISIONS, StoreConfig.WITHOUT_DUPLICATES, txn).count(txn));
            assertEquals(20, stored, "records at or below the prefix point must be deleted at open");
        }
    }

    @Test
    void g10_newerFormatIsRefused() throws IOException {
        Path dir = tmp.resolve("log");
        open(dir, Map.of()).close();
        writeInternal(dir, XodusLogStorage.FORMAT_KEY, IntegerBinding.intToCompressedEntry(XodusLogStorage.FORMAT_VERSION + 1));
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> open(dir, Map.of()));
        assertTrue(e.getMessage().contains("format " + (XodusLogStorage.FORMAT_VERSION + 1)) && e.getMessage().contains(dir.toString()),
                e.getMessage());
        if (Files.isDirectory(Path.of("/proc/self/fd"))) {
            assertEquals(List.of(), openFilesUnder(dir), "a refused open must leave no file open under " + dir);
        }
        // the refused open released the environment: with the format set back it opens again
        writeInternal(dir, XodusLogStorage.FORMAT_KEY, IntegerBinding.intToCompressedEntry(XodusLogStorage.FORMAT_VERSION));
        open(dir, Map.of()).close();
    }

    @Test
    void g10_missingFormatOfAnExistingLogIsCorruption() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of())) {
            s.append(records(0, 3, 3));
            s.sync();
        }
        Environment env = Environments.newInstance(dir.toFile(), new EnvironmentConfig());
        try {
            env.executeInTransaction(txn -> env.openStore(XodusLogStorage.INTERNAL, StoreConfig.WITHOUT_DUPLICATES, txn)
                    .delete(txn, StringBinding.stringToEntry(XodusLogStorage.FORMAT_KEY)));
        } finally {
            env.close();
        }
        assertThrows(CorruptLogException.class, () -> open(dir, Map.of()));
    }

    @Test
    void g10_aXodusEnvironmentThatIsNotALogIsRefused() throws IOException {
        Path dir = tmp.resolve("other");
        Environment env = Environments.newInstance(dir.toFile(), new EnvironmentConfig());
        try {
            env.executeInTransaction(txn -> env.openStore("users", StoreConfig.WITHOUT_DUPLICATES, txn)
                    .put(txn, StringBinding.stringToEntry("a"), StringBinding.stringToEntry("b")));
        } finally {
            env.close();
        }
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> open(dir, Map.of()));
        assertTrue(e.getMessage().contains("users"), e.getMessage());
    }

    @Test
    void g7_secondOpenThatBypassesTheEngineHitsXodusLockAsLogLocked() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of())) {
            LogLockedException e = assertThrows(LogLockedException.class, () -> open(dir, Map.of()));
            assertTrue(e.getMessage().contains("xd.lck") && e.getMessage().contains(dir.toString()), e.getMessage());
            s.append(records(0, 1, 1));
        }
        open(dir, Map.of()).close();
    }

    @Test
    void g11_directoryAndXodusFilesAreOwnerOnly() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of(XodusOptions.LOG_FILE_SIZE, "256KiB"))) {
            for (int i = 0; i < 20; i++) {
                s.append(records(i * 100L, 100, 300));
            }
            s.sync();
            List<Path> files;
            try (Stream<Path> list = Files.list(dir)) {
                files = list.toList();
            }
            assertTrue(files.stream().filter(f -> f.toString().endsWith(".xd")).count() >= 2,
                    "the test must make Xodus create files while open: " + files);
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE),
                    Files.getPosixFilePermissions(dir), "log directory");
            for (Path f : files) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
                assertTrue(perms.stream().allMatch(p -> p.name().startsWith("OWNER_")), f + " has " + perms);
            }
        }
    }

    @Test
    void closeReleasesEveryFileHandleAlsoAfterAnOpenWithoutWrites() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd to list open files");
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of())) {
            s.append(records(0, 10, 10));
            s.sync();
        }
        assertEquals(List.of(), openFilesUnder(dir), "open files under " + dir + " after close of a written log");
        for (int i = 0; i < 3; i++) {
            try (LogStorage s = open(dir, Map.of())) {
                assertEquals(9, s.lastSeq());
            }
        }
        assertEquals(List.of(), openFilesUnder(dir), "open files under " + dir + " after opens and closes without writes");
    }

    static List<String> openFilesUnder(Path dir) throws IOException {
        List<String> open = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.startsWith(dir)) {
                        open.add(target.toString());
                    }
                } catch (IOException closedMeanwhile) {
                    // a descriptor closed while listing is not open
                }
            }
        }
        return open;
    }

    @Test
    void g3_lastFileFullOfZerosIsATornTail() throws IOException {
        // after a power loss ext4 may show a file created (directory synced) but never synced as zeros
        Path dir = tmp.resolve("log");
        Map<String, String> small = Map.of(XodusOptions.LOG_FILE_SIZE, "256KiB");
        try (LogStorage s = open(dir, small)) {
            for (int i = 0; i < 8; i++) {
                s.append(records(i * 100L, 100, 1000));
            }
            s.sync();
        }
        Path last;
        try (Stream<Path> files = Files.list(dir)) {
            last = files.filter(f -> f.toString().endsWith(".xd")).max(Path::compareTo).orElseThrow();
        }
        long size = Files.size(last);
        assertTrue(size > 0 && !last.getFileName().toString().equals("00000000000.xd"), "need a second file: " + last);
        last.toFile().setWritable(true);
        Files.write(last, new byte[(int) size]);
        try (LogStorage s = open(dir, small)) {
            assertEquals(0, s.firstSeq());
            assertTrue(s.lastSeq() > 0 && s.lastSeq() < 799, "records in the zeroed file are lost, the rest kept: " + s.lastSeq());
            long[] next = {0};
            s.scan(0, Long.MAX_VALUE, (seq, d) -> {
                assertEquals(next[0]++, seq);
                assertArrayEquals(data(seq, 1000), d);
            });
            s.append(records(s.lastSeq() + 1, 1, 5));
        }
    }

    @Test
    void g4_aLogWithoutAnyValidRootIsRefusedNotResetToEmpty() throws IOException {
        Path dir = tmp.resolve("log");
        Files.createDirectories(dir);
        byte[] garbage = new byte[128 << 10];
        new java.util.SplittableRandom(42).nextBytes(garbage);
        Path file = dir.resolve("00000000000.xd");
        Files.write(file, garbage);
        // Xodus 2.0.1 takes it for a torn tail without a root and would cut it to an empty database
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, Map.of()).close(),
                "a log of garbage must not open as an empty log");
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("no valid database root"), e.getMessage());
        assertArrayEquals(garbage, Files.readAllBytes(file), "the refused open must leave the file as it was");
    }

    @Test
    void g4_aSmallLogThatLostItsRootsIsRefusedNotResetToEmpty() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of())) {
            s.append(records(1, 5, 100));
            s.sync();
        }
        assertTrue(Files.exists(dir.resolve(XodusFiles.INITIALIZED_MARKER)), "a new log is marked once its first commits are synced");
        Path file = dir.resolve("00000000000.xd");
        byte[] damaged = Files.readAllBytes(file);
        assertTrue(damaged.length < XodusOptions.LOG_FILE_SIZE_UNIT, "a log below the size the old guard needed: " + damaged.length);
        new java.util.SplittableRandom(42).nextBytes(damaged);
        file.toFile().setWritable(true);
        Files.write(file, damaged);
        // Xodus 2.0.1 finds no root (it cannot parse the file from its start) and would reset it to empty
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, Map.of()).close(),
                "a damaged log must not open as an empty log");
        assertTrue(e.getMessage().contains("no valid database root") && e.getMessage().contains(XodusFiles.INITIALIZED_MARKER),
                e.getMessage());
        assertArrayEquals(damaged, Files.readAllBytes(file), "the refused open must leave the file as it was");
    }

    @Test
    void g4_aLogWhoseFilesAreGoneIsRefusedNotRecreatedEmpty() throws IOException {
        Path dir = tmp.resolve("log");
        try (LogStorage s = open(dir, Map.of())) {
            s.append(records(1, 5, 100));
            s.sync();
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".xd")).toList()) {
                Files.delete(f);
            }
        }
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, Map.of()).close(),
                "a log whose .xd files were deleted must not open as an empty log");
        assertTrue(e.getMessage().contains("holds 0 bytes"), e.getMessage());
    }

    @Test
    void g3_aCrashWhileTheLogWasCreatedLeavesAnEmptyLog() throws IOException {
        // the log's first bytes were written but never synced, so the marker was never written: a torn creation
        Path created = tmp.resolve("created");
        open(created, Map.of()).close();
        byte[] first = Files.readAllBytes(created.resolve("00000000000.xd"));
        Path dir = tmp.resolve("log");
        Files.createDirectories(dir);
        // the last commit of the creation torn: 5 bytes short
        Files.write(dir.resolve("00000000000.xd"), java.util.Arrays.copyOf(first, first.length - 5));
        try (LogStorage s = open(dir, Map.of())) {
            assertEquals(-1, s.lastSeq(), "nothing of a torn creation was acknowledged, so the log opens empty");
            s.append(records(1, 3, 100));
            s.sync();
        }
        assertTrue(Files.exists(dir.resolve(XodusFiles.INITIALIZED_MARKER)));
        try (LogStorage s = open(dir, Map.of())) {
            assertEquals(3, s.lastSeq());
        }
    }

    @Test
    void g9_badArgumentsAreRefused() throws IOException {
        try (LogStorage s = open(tmp.resolve("log"), Map.of())) {
            assertThrows(IllegalArgumentException.class, () -> s.append(null));
            assertThrows(IllegalArgumentException.class, () -> s.append(Arrays.asList(new LogRecord(0, new byte[0]), null)));
            assertThrows(IllegalArgumentException.class, () -> s.read(-1));
            assertThrows(IllegalArgumentException.class, () -> s.scan(0, 1, null));
            assertThrows(IllegalArgumentException.class, () -> s.truncatePrefix(-1));
            assertThrows(IllegalArgumentException.class, () -> s.truncateSuffix(-1));
            assertThrows(IllegalArgumentException.class, () -> s.putCheckpoint(-1, new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> s.putCheckpoint(1, null));
            assertThrows(IllegalArgumentException.class, () -> s.putMeta("bad key", new byte[0]));
            assertThrows(IllegalArgumentException.class, () -> s.putMeta("k", null));
            assertThrows(IllegalArgumentException.class, () -> s.getMeta("x".repeat(129)));
            assertEquals(-1, s.lastSeq(), "refused appends store nothing");
            s.append(records(5, 2, 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.append(records(8, 1, 1)));
            assertTrue(e.getMessage().contains("expected seq 7") && e.getMessage().contains("got 8"), e.getMessage());
            assertFalse(s.read(8).isPresent());
        }
    }

    private static void writeInternal(Path dir, String key, ArrayByteIterable value) {
        Environment env = Environments.newInstance(dir.toFile(), new EnvironmentConfig());
        try {
            env.executeInTransaction(txn -> {
                Store internal = env.openStore(XodusLogStorage.INTERNAL, StoreConfig.WITHOUT_DUPLICATES, txn);
                internal.put(txn, StringBinding.stringToEntry(key), value);
            });
        } finally {
            env.close();
        }
    }
}
