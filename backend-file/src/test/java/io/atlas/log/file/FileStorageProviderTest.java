package io.atlas.log.file;

import io.atlas.log.spi.Capability;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileStorageProviderTest {

    @TempDir
    Path dir;

    @Test
    void serviceLoaderFindsTheFileProvider() {
        StorageProvider found = ServiceLoader.load(StorageProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("file"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("ServiceLoader does not find the 'file' provider"));
        assertEquals(FileStorageProvider.class, found.getClass());
        assertEquals(EnumSet.of(Capability.DURABLE), found.capabilities());
    }

    @Test
    void g9_unknownOptionIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fixtures.open(dir, Fixtures.SEGMENT, Map.of("prealocate", "true")));
        assertTrue(e.getMessage().contains("prealocate") && e.getMessage().contains("preallocate"), e.getMessage());
    }

    @Test
    void g9_badPreallocateValueIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fixtures.open(dir, Fixtures.SEGMENT, Map.of("preallocate", "yes")));
        assertTrue(e.getMessage().contains("preallocate") && e.getMessage().contains("true or false"), e.getMessage());
    }

    @Test
    void g9_segmentSizeOutsideTheRangeIsRefused() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> Fixtures.open(dir, 4095));
        assertTrue(small.getMessage().contains("4095") && small.getMessage().contains("4096"), small.getMessage());
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> Fixtures.open(dir, (1L << 30) + 1));
        assertTrue(big.getMessage().contains(Long.toString((1L << 30) + 1)), big.getMessage());
    }

    @Test
    void g9_nullConfigIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FileStorageProvider().open(null));
    }

    @Test
    void openCreatesMissingDirectories() throws Exception {
        Path nested = dir.resolve("a/b/log");
        try (var s = new FileStorageProvider().open(new StorageConfig(nested, Fixtures.SEGMENT))) {
            assertEquals(-1, s.lastSeq());
        }
        assertTrue(nested.toFile().isDirectory());
    }

    /** G5: directories the backend creates are durable before it returns: the parent of each is synced. */
    @Test
    void g5_openSyncsTheParentOfEveryDirectoryItCreates() throws Exception {
        Path base = dir.toAbsolutePath();
        Path nested = base.resolve("a/b/log");
        TestFileIo io = new TestFileIo();
        try (var s = new FileStorageProvider(io).open(new StorageConfig(nested, Fixtures.SEGMENT))) {
            assertEquals(-1, s.lastSeq());
        }
        assertTrue(io.syncedDirectories().containsAll(List.of(base, base.resolve("a"), base.resolve("a/b"))),
                "synced: " + io.syncedDirectories());

        TestFileIo again = new TestFileIo();
        try (var s = new FileStorageProvider(again).open(new StorageConfig(nested, Fixtures.SEGMENT))) {
            assertEquals(-1, s.lastSeq());
        }
        assertFalse(again.syncedDirectories().contains(base.resolve("a/b")),
                "an existing directory's parent is not synced again: " + again.syncedDirectories());
    }
}
