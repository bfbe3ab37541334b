package io.atlas.log.lmdb;

import io.atlas.log.spi.Capability;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LmdbStorageProviderTest {

    @TempDir
    Path dir;

    @Test
    void serviceLoaderFindsTheLmdbProvider() {
        List<StorageProvider> found = ServiceLoader.load(StorageProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("lmdb"))
                .toList();
        assertEquals(1, found.size(), "ServiceLoader must find exactly one provider named 'lmdb', found " + found);
        assertTrue(found.get(0) instanceof LmdbStorageProvider, "the 'lmdb' provider is " + found.get(0).getClass());
    }

    @Test
    void providerIsDurable() {
        assertEquals(Set.of(Capability.DURABLE), new LmdbStorageProvider().capabilities());
    }

    @Test
    void g9_unknownOptionIsRefusedNamingItAndTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LmdbStorageProvider()
                .open(new StorageConfig(dir, 1 << 20, Map.of("map-sise", "1GiB"))));
        assertTrue(e.getMessage().contains("map-sise") && e.getMessage().contains("max-map-size")
                && e.getMessage().contains("map-size"), e.getMessage());
    }

    @Test
    void g9_badSizeValueIsRefusedNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LmdbStorageProvider()
                .open(new StorageConfig(dir, 1 << 20, Map.of("max-map-size", "lots"))));
        assertTrue(e.getMessage().contains("max-map-size") && e.getMessage().contains("lots"), e.getMessage());
    }

    @Test
    void g9_mapSizeBelowMinimumIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LmdbStorageProvider()
                .open(new StorageConfig(dir, 1 << 20, Map.of("map-size", "4KiB"))));
        assertTrue(e.getMessage().contains("map-size") && e.getMessage().contains("65536"), e.getMessage());
    }

    @Test
    void g9_maxMapSizeBelowMapSizeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LmdbStorageProvider()
                .open(new StorageConfig(dir, 1 << 20, Map.of("map-size", "2MiB", "max-map-size", "1MiB"))));
        assertTrue(e.getMessage().contains("max-map-size") && e.getMessage().contains("1048576"), e.getMessage());
    }

    @Test
    void defaultsAreOneGibMapGrowingToOneTib() {
        LmdbOptions o = LmdbOptions.from(new StorageConfig(dir, 1 << 20));
        assertEquals(1L << 30, o.mapSize());
        assertEquals(1L << 40, o.maxMapSize());
        LmdbOptions big = LmdbOptions.from(new StorageConfig(dir, 1 << 20, Map.of("map-size", "2TiB")));
        assertEquals(2L << 40, big.maxMapSize(), "without max-map-size, a map-size above the default maximum is the maximum");
        LmdbOptions small = LmdbOptions.from(new StorageConfig(dir, 1 << 20, Map.of("max-map-size", "16MiB")));
        assertEquals(16L << 20, small.mapSize(), "without map-size, a max-map-size below the default map size is the map size");
    }
}
