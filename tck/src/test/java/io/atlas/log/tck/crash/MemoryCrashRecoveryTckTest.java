package io.atlas.log.tck.crash;

import io.atlas.log.core.MemoryStorageProvider;
import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.CrashRecoveryTck;

/**
 * The in-memory backend is not DURABLE: the whole kit must be skipped for it, with the reason, never
 * passed silently (the surefire report lists the tests as skipped).
 */
class MemoryCrashRecoveryTckTest extends CrashRecoveryTck {

    @Override
    protected StorageProvider provider() {
        return new MemoryStorageProvider();
    }
}
