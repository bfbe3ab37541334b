package io.atlas.log.lmdb;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.PersistentLogTck;

/** The end-to-end guarantees of the test kit, through core, on the LMDB backend. */
class LmdbPersistentLogTckTest extends PersistentLogTck {

    @Override
    protected StorageProvider provider() {
        return new LmdbStorageProvider();
    }
}
