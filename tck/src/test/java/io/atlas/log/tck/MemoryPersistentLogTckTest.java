package io.atlas.log.tck;

import io.atlas.log.spi.StorageProvider;

/**
 * The end-to-end kit against core's {@code memory} provider. Memory is not DURABLE, so the tests
 * that need another process to read the log skip with that reason; the lock and the manifest are
 * core's and are checked for memory too.
 */
class MemoryPersistentLogTckTest extends PersistentLogTck {

    @Override
    protected StorageProvider provider() {
        return Kit.modelProvider();
    }
}
