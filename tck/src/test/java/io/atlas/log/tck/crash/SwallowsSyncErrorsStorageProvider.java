package io.atlas.log.tck.crash;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.Set;

/**
 * A broken backend for the kit's self-test: an fdatasync that fails is ignored, so the engine
 * acknowledges the store whose sync failed and every later one: the sync-fault check must report G8.
 * Public with a no-argument constructor so the child process can make it.
 */
public final class SwallowsSyncErrorsStorageProvider implements StorageProvider {

    @Override
    public String name() {
        return "test-swallows-sync-errors";
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        config.requireKnownOptions(name(), Set.of());
        return new ForcedSyncStorage(config.directory(), true);
    }
}
