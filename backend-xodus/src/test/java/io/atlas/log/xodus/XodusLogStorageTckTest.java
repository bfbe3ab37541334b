package io.atlas.log.xodus;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.LogStorageTck;

/** The SPI contract kit against the Xodus backend, with its default options. */
class XodusLogStorageTckTest extends LogStorageTck {

    @Override
    protected StorageProvider provider() {
        return new XodusStorageProvider();
    }
}
