package io.atlas.log.file;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.LogStorageTck;

/** The storage contract kit (G2, G5, G6, G9) on the file backend. */
class FileLogStorageTckTest extends LogStorageTck {

    @Override
    protected StorageProvider provider() {
        return new FileStorageProvider();
    }
}
