package io.atlas.log.tck.crash;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;
import java.util.Set;

/**
 * The control for the sync-fault self-test: like {@link SwallowsSyncErrorsStorageProvider} but a
 * failed fdatasync is reported, so the engine fail-stops and the check must pass.
 * Public with a no-argument constructor so the child process can make it.
 */
public final class ReportsSyncErrorsStorageProvider implements StorageProvider {

    @Override
    public String name() {
        return "test-reports-sync-errors";
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        config.requireKnownOptions(name(), Set.of());
        return new ForcedSyncStorage(config.directory(), false);
    }
}
