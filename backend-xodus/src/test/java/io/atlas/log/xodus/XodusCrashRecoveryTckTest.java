package io.atlas.log.xodus;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.CrashRecoveryTck;

/** Real crashes (process kills, kills during recovery, power loss) on the Xodus backend: G1-G3, G5, G6. */
class XodusCrashRecoveryTckTest extends CrashRecoveryTck {

    @Override
    protected StorageProvider provider() {
        return new XodusStorageProvider();
    }
}
