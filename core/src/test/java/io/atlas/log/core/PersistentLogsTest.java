package io.atlas.log.core;

import io.atlas.log.Codec;
import io.atlas.log.CorruptLogException;
import io.atlas.log.IncompatibleLogException;
import io.atlas.log.LogLockedException;
import io.atlas.log.PersistentLog;
import io.atlas.log.PersistentLogConfig;
import io.atlas.log.PersistentLogException;
import io.atlas.log.SeqNo;
import io.atlas.log.spi.Capability;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static io.atlas.log.core.TestLogs.decision;
import static io.atlas.log.core.TestLogs.open;
import static io.atlas.log.core.TestLogs.openMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Opening: the directory, the lock (G7), the manifest (G10) and backend options. */
class PersistentLogsTest {

    @TempDir
    Path tmp;

    private Path dir;

    @AfterEach
    void forgetMemory() {
        if (dir != null) {
            MemoryStorageProvider.discard(dir);
        }
    }

    private Path dir() {
        dir = tmp.resolve("log");
        return dir;
    }

    private static Properties manifest(Path dir) throws IOException {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(dir.resolve(Manifest.FILE_NAME), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    @Test
    void openCreatesAnOwnerOnlyDirectoryWithLockAndManifest() throws IOException {
        Path d = dir().resolve("nested");
        dir = d;
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(d, b -> b)) {
            log.storeDecision(decision(1));
        }
        Properties m = manifest(d);
        assertEquals("memory", m.getProperty("backend"));
        assertEquals("1", m.getProperty("format"));
        assertTrue(m.getProperty("created").matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), m.getProperty("created"));
        assertTrue(Files.exists(d.resolve(DirectoryLock.FILE_NAME)));
        assertFalse(Files.exists(d.resolve(Manifest.TEMP_NAME)));
        if (LogFiles.posix(d)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve(Manifest.FILE_NAME))));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve(DirectoryLock.FILE_NAME))));
        }
        try (PersistentLog<byte[], byte[], byte[]> log = openMemory(d, b -> b)) {
            assertEquals(decision(1), log.retrieveDecision(SeqNo.of(1)).orElseThrow());
        }
    }

    @Test
    void g7_secondOpenInThisProcessIsRefusedUntilTheFirstCloses() {
        Path d = dir();
        PersistentLog<byte[], byte[], byte[]> first = openMemory(d, b -> b);
        LogLockedException e = assertThrows(LogLockedException.class, () -> openMemory(d, b -> b));
        assertTrue(e.getMessage().startsWith("log directory " + d.toAbsolutePath() + " is locked: "
                + d.toAbsolutePath().resolve(DirectoryLock.FILE_NAME)
                + " is held by another process or by another open PersistentLog in this one (pid "
                + ProcessHandle.current().pid() + ", opened "), e.getMessage());
        // the same directory through another path spelling, and through a symbolic link
        assertThrows(LogLockedException.class, () -> openMemory(tmp.resolve("x/../log"), b -> b));
        Path link = tmp.resolve("link");
        try {
            Files.createSymbolicLink(link, d);
        } catch (IOException | UnsupportedOperationException noLinks) {
            link = null;
        }
        if (link != null) {
            Path l = link;
            assertThrows(LogLockedException.class, () -> openMemory(l, b -> b));
        }
        first.close();
        openMemory(d, b -> b).close();
    }

    @Test
    void g7_aLockHeldOutsideThisLibraryIsRefused() throws IOException {
        Path d = dir();
        Files.createDirectories(d);
        try (FileChannel ch = FileChannel.open(d.resolve(DirectoryLock.FILE_NAME), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = ch.lock()) {
            assertTrue(held.isValid());
            LogLockedException e = assertThrows(LogLockedException.class, () -> openMemory(d, b -> b));
            assertTrue(e.getMessage().contains("is held by another process or by another open PersistentLog"), e.getMessage());
        }
        openMemory(d, b -> b).close();
    }

    @Test
    void g7_lockIsReleasedWhenOpenFails() {
        Path d = dir();
        IOException fault = new IOException(FakeStorage.INJECTED + ": cannot open segment");
        StorageProvider failing = provider("failing", config -> {
            throw fault;
        });
        PersistentLogConfig config = PersistentLogConfig.builder(d).build();
        PersistentLogException e = assertThrows(PersistentLogException.class,
                () -> PersistentLogs.open(config, failing, Codec.bytes(), Codec.bytes(), Codec.bytes()));
        assertSame(fault, e.getCause());
        assertTrue(e.getMessage().contains("(backend 'failing'): the backend failed to open it"), e.getMessage());
        IllegalArgumentException badOption = new IllegalArgumentException("unknown option 'x' for backend 'failing'");
        StorageProvider refusing = provider("failing", c -> {
            throw badOption;
        });
        assertSame(badOption, assertThrows(IllegalArgumentException.class,
                () -> PersistentLogs.open(config, refusing, Codec.bytes(), Codec.bytes(), Codec.bytes())));
        PersistentLogs.open(config, new FakeStorage().provider("failing"), Codec.bytes(), Codec.bytes(), Codec.bytes()).close();
    }

    @Test
    void g10_anotherBackendIsRefusedNamingBoth() {
        Path d = dir();
        openMemory(d, b -> b).close();
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> open(d, new FakeStorage()));
        assertEquals("log at " + d.toAbsolutePath() + " was written by backend 'memory' (" + d.toAbsolutePath().resolve(Manifest.FILE_NAME)
                + "), but it is being opened with backend 'fake'; open it with backend 'memory' (or migrate it)", e.getMessage());
        openMemory(d, b -> b).close(); // the failed open released the lock
    }

    @Test
    void g10_aNewerFormatIsRefusedNamingBothVersions() throws IOException {
        Path d = dir();
        openMemory(d, b -> b).close();
        Files.writeString(d.resolve(Manifest.FILE_NAME), "backend=memory\nformat=2\ncreated=2030-01-01T00:00:00Z\n");
        IncompatibleLogException e = assertThrows(IncompatibleLogException.class, () -> openMemory(d, b -> b));
        assertTrue(e.getMessage().contains("has format version 2"), e.getMessage());
        assertTrue(e.getMessage().contains("reads format version 1; open it with a newer atlas-log-core"), e.getMessage());
    }

    @Test
    void g10_anUnreadableManifestIsCorruption() throws IOException {
        Path d = dir();
        openMemory(d, b -> b).close();
        Map<String, String> bad = Map.of(
                "", "lacks backend=",
                "backend=memory\n", "lacks format=",
                "backend=memory\nformat=one\n", "has format 'one'; expected a whole number",
                "backend=Memory!\nformat=1\n", "names backend 'Memory!'",
                "backend=memory\nformat=0\n", "has format 0; expected 1 or more");
        for (Map.Entry<String, String> c : bad.entrySet()) {
            Files.writeString(d.resolve(Manifest.FILE_NAME), c.getKey());
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> openMemory(d, b -> b), c.getKey());
            assertTrue(e.getMessage().startsWith("manifest " + d.toAbsolutePath().resolve(Manifest.FILE_NAME)), e.getMessage());
            assertTrue(e.getMessage().contains(c.getValue()), e.getMessage());
        }
        Files.write(d.resolve(Manifest.FILE_NAME), new byte[]{(byte) 0xFF, (byte) 0xFE, 0});
        assertThrows(CorruptLogException.class, () -> openMemory(d, b -> b));
        Files.write(d.resolve(Manifest.FILE_NAME), new byte[100_000]);
        assertThrows(CorruptLogException.class, () -> openMemory(d, b -> b));
    }

    @Test
    void aLeftoverManifestTempFileIsRemoved() throws IOException {
        Path d = dir();
        Files.createDirectories(d);
        Files.writeString(d.resolve(Manifest.TEMP_NAME), "backend=mem");
        openMemory(d, b -> b).close();
        assertFalse(Files.exists(d.resolve(Manifest.TEMP_NAME)));
        assertEquals("memory", manifest(d).getProperty("backend"));
    }

    @Test
    void backendOptionsArePassedWithoutPrefixAndOthersAreRefused() {
        Path d = dir();
        AtomicReference<StorageConfig> seen = new AtomicReference<>();
        StorageProvider recording = provider("rec", config -> {
            seen.set(config);
            return new MemoryStorage(new MemoryStorage.State());
        });
        PersistentLogConfig config = PersistentLogConfig.builder(d).maxSegmentSize(1 << 20)
                .option("rec.map-size", "8GiB").option("rec.flag", "true").build();
        PersistentLogs.open(config, recording, Codec.bytes(), Codec.bytes(), Codec.bytes()).close();
        assertEquals(Map.of("map-size", "8GiB", "flag", "true"), seen.get().options());
        assertEquals(1 << 20, seen.get().maxSegmentSize());
        assertEquals(d.toAbsolutePath(), seen.get().directory());

        PersistentLogConfig foreign = config.toBuilder().option("lmdb.map-size", "1GiB").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PersistentLogs.open(foreign, recording, Codec.bytes(), Codec.bytes(), Codec.bytes()));
        assertEquals("option 'lmdb.map-size' (atlas.log.lmdb.map-size) is for backend 'lmdb', but this log uses backend "
                + "'rec'; remove it or write it as rec.<option>", e.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> openMemory(tmp.resolve("other"), b -> b.option("memory.size", "1")));
        assertTrue(unknown.getMessage().contains("unknown option 'size' for backend 'memory'"), unknown.getMessage());
    }

    @Test
    void givenProviderMustMatchTheConfiguredName() {
        PersistentLogConfig config = PersistentLogConfig.builder(dir()).backend("file").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PersistentLogs.open(config, new MemoryStorageProvider(), Codec.bytes(), Codec.bytes(), Codec.bytes()));
        assertTrue(e.getMessage().startsWith("the configuration names backend 'file' but the given provider "
                + MemoryStorageProvider.class.getName() + " is 'memory'"), e.getMessage());
        StorageProvider badName = provider("Bad_Name", c -> new MemoryStorage(new MemoryStorage.State()));
        assertThrows(IllegalArgumentException.class, () -> PersistentLogs.open(PersistentLogConfig.builder(dir).build(),
                badName, Codec.bytes(), Codec.bytes(), Codec.bytes()));
    }

    @Test
    void aFileWhereTheDirectoryShouldBeIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> openMemory(file, b -> b));
        assertEquals("log directory " + file.toAbsolutePath() + " exists but is not a directory", e.getMessage());
    }

    @Test
    void providerReturningNullIsReported() {
        StorageProvider broken = provider("nulls", c -> null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PersistentLogs.open(
                PersistentLogConfig.builder(dir()).build(), broken, Codec.bytes(), Codec.bytes(), Codec.bytes()));
        assertTrue(e.getMessage().contains("returned null from open("), e.getMessage());
        PersistentLogs.open(PersistentLogConfig.builder(dir).build(), new FakeStorage().provider("nulls"),
                Codec.bytes(), Codec.bytes(), Codec.bytes()).close();
    }

    @FunctionalInterface
    private interface Opener {
        LogStorage open(StorageConfig config) throws IOException;
    }

    private static StorageProvider provider(String name, Opener opener) {
        return new StorageProvider() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Set<Capability> capabilities() {
                return EnumSet.noneOf(Capability.class);
            }

            @Override
            public LogStorage open(StorageConfig config) throws IOException {
                return opener.open(config);
            }
        };
    }
}
