package io.atlas.log.core;

import io.atlas.log.spi.Capability;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reference backend, named {@code memory}: everything lives on the heap, so it is not
 * {@link Capability#DURABLE} and is used only when named. Contents survive close and reopen of the
 * same directory within one JVM (they are kept per absolute directory path), which lets the test kit
 * use it as the model of every other backend.
 */
public final class MemoryStorageProvider implements StorageProvider {

    /** The provider name. */
    public static final String NAME = "memory";

    private static final Map<Path, MemoryStorage.State> STATES = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.noneOf(Capability.class);
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        config.requireKnownOptions(NAME, Set.of());
        Files.createDirectories(config.directory());
        Path key = config.directory().toAbsolutePath().normalize();
        return new MemoryStorage(STATES.computeIfAbsent(key, k -> new MemoryStorage.State()));
    }

    /** Forgets the contents kept for {@code directory} (for tests that reuse a path). */
    public static void discard(Path directory) {
        STATES.remove(directory.toAbsolutePath().normalize());
    }
}
