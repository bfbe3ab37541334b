package io.atlas.log.tck.crash;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.Set;

/**
 * A broken backend for the kit's self-test: claims DURABLE but keeps appends in memory until
 * {@code sync()}, so decisions acknowledged before a sync (policies periodic and none) die with
 * the process. Public with a no-argument constructor for the crash child processes.
 */
public final class BufferedAppendsStorageProvider implements StorageProvider {

    @Override
    public String name() {
        return "test-buffered";
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        config.requireKnownOptions(name(), Set.of());
        return new FilePerRecordStorage(config.directory(), true);
    }
}
