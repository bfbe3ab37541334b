package io.atlas.log.xodus;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.PersistentLogTck;

/** The end-to-end kit (through core) against the Xodus backend. */
class XodusPersistentLogTckTest extends PersistentLogTck {

    @Override
    protected StorageProvider provider() {
        return new XodusStorageProvider();
    }
}
