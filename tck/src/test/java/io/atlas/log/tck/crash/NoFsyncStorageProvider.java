package io.atlas.log.tck.crash;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.Set;

/**
 * A broken backend for the kit's self-test: claims DURABLE (the default) but never fsyncs. Public
 * with a no-argument constructor so crash child processes can make it; not registered with
 * ServiceLoader, so it never competes with real backends.
 */
public final class NoFsyncStorageProvider implements StorageProvider {

    @Override
    public String name() {
        return "test-no-fsync";
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        config.requireKnownOptions(name(), Set.of());
        return new FilePerRecordStorage(config.directory(), false);
    }
}
