package io.atlas.log.tck.crash;

import io.atlas.log.spi.LogRecord;
import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.ForwardingStorage;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * A broken backend for the kit's self-test: an append whose write fails (ENOSPC) returns as if it
 * had worked, so the engine acknowledges decisions that were never stored: the disk-full check must
 * report G8.
 */
public final class SwallowsWriteErrorsStorageProvider implements StorageProvider {

    @Override
    public String name() {
        return "test-swallows-write-errors";
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        config.requireKnownOptions(name(), Set.of());
        return new ForwardingStorage(new FilePerRecordStorage(config.directory(), false)) {
            @Override
            public void append(List<LogRecord> records) throws IOException {
                try {
                    super.append(records);
                } catch (IOException deliberatelyIgnored) {
                    // the bug under test: the failure is not reported
                }
            }

            @Override
            public void sync() throws IOException {
                try {
                    super.sync();
                } catch (IOException deliberatelyIgnored) {
                    // the bug under test: the failure is not reported
                }
            }
        };
    }
}
