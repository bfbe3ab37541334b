package io.atlas.log.file;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.PersistentLogTck;

/** The end-to-end kit through the core engine (G2, G5-G7, G9, G10) on the file backend. */
class FilePersistentLogTckTest extends PersistentLogTck {

    @Override
    protected StorageProvider provider() {
        return new FileStorageProvider();
    }
}
