package io.atlas.log.lmdb;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.CrashRecoveryTck;

/** Real crashes (process kills, kills during recovery, power loss) on the LMDB backend: G1-G3, G5, G6. */
class LmdbCrashRecoveryTckTest extends CrashRecoveryTck {

    @Override
    protected StorageProvider provider() {
        return new LmdbStorageProvider();
    }
}
