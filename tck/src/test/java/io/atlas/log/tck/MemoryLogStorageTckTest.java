package io.atlas.log.tck;

import io.atlas.log.spi.StorageProvider;

/** The kit against core's {@code memory} provider, found the way an implementor's test would find it. */
class MemoryLogStorageTckTest extends LogStorageTck {

    @Override
    protected StorageProvider provider() {
        return Kit.modelProvider();
    }
}
