package io.atlas.log.lmdb;

import io.atlas.log.spi.StorageProvider;
import io.atlas.log.tck.LogStorageTck;

import java.util.Map;

/**
 * The SPI contract again, starting from the smallest map: every kit operation (1 MiB checkpoints and
 * metadata, truncations, reopen, concurrent readers) then also runs through map growth and retry.
 */
class LmdbTinyMapLogStorageTckTest extends LogStorageTck {

    @Override
    protected StorageProvider provider() {
        return new LmdbStorageProvider();
    }

    @Override
    protected Map<String, String> options() {
        return Map.of(LmdbOptions.MAP_SIZE, "64KiB");
    }
}
