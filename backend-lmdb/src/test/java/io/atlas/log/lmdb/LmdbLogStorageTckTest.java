package io.atlas.log.lmdb;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.LogStorageTck;

/** The SPI contract of the test kit, run on the LMDB backend. */
class LmdbLogStorageTckTest extends LogStorageTck {

    @Override
    protected StorageProvider provider() {
        return new LmdbStorageProvider();
    }
}
