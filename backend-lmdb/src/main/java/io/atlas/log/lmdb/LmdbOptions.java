package io.atlas.log.lmdb;

import io.atlas.log.spi.StorageConfig;

import java.util.Set;

/**
 * The backend's options, parsed and checked.
 *
 * @param mapSize    initial map size in bytes
 * @param maxMapSize the map never grows past this
 */
record LmdbOptions(long mapSize, long maxMapSize) {

    static final String MAP_SIZE = "map-size";
    static final String MAX_MAP_SIZE = "max-map-size";
    static final Set<String> KNOWN = Set.of(MAP_SIZE, MAX_MAP_SIZE);

    /** Address space only (the file grows with the data), so generous. */
    static final long DEFAULT_MAP_SIZE = 1L << 30;
    /** Far above any log that is compacted; a guard against runaway growth, not a quota. */
    static final long DEFAULT_MAX_MAP_SIZE = 1L << 40;
    /** Enough for the meta pages and the empty databases, with room for some records. */
    static final long MIN_MAP_SIZE = 64L << 10;

    LmdbOptions {
        if (mapSize < MIN_MAP_SIZE) {
            throw new IllegalArgumentException(LmdbStorageProvider.NAME + ": option '" + MAP_SIZE + "' (atlas.log.lmdb."
                    + MAP_SIZE + ") must be at least " + MIN_MAP_SIZE + " bytes (64KiB), got " + mapSize);
        }
        if (maxMapSize < mapSize) {
            throw new IllegalArgumentException(LmdbStorageProvider.NAME + ": option '" + MAX_MAP_SIZE + "' (atlas.log.lmdb."
                    + MAX_MAP_SIZE + ") must be at least " + MAP_SIZE + " (" + mapSize + " bytes), got " + maxMapSize);
        }
    }

    static LmdbOptions from(StorageConfig config) {
        config.requireKnownOptions(LmdbStorageProvider.NAME, KNOWN);
        // each default yields to the other option when only that one is given
        boolean maxGiven = config.options().containsKey(MAX_MAP_SIZE);
        long maxMapSize = config.sizeOption(MAX_MAP_SIZE, DEFAULT_MAX_MAP_SIZE);
        long mapSize = config.sizeOption(MAP_SIZE, maxGiven ? Math.min(DEFAULT_MAP_SIZE, maxMapSize) : DEFAULT_MAP_SIZE);
        if (!maxGiven) {
            maxMapSize = Math.max(maxMapSize, mapSize);
        }
        return new LmdbOptions(mapSize, maxMapSize);
    }
}
