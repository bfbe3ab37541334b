package io.atlas.log.lmdb;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;

/**
 * The {@code lmdb} backend: decisions, checkpoints and metadata in named databases of one LMDB
 * environment ({@code data.mdb} and {@code lock.mdb} in the log directory), through lmdbjava. Durable
 * ({@link io.atlas.log.spi.Capability#DURABLE}).
 *
 * <p>Options (written {@code atlas.log.lmdb.<option>}):
 * <ul>
 *   <li>{@code map-size}: the initial size of the memory map, a size such as {@code 1GiB} (default
 *       {@code 1GiB}, or {@code max-map-size} if that is smaller; at least {@code 64KiB}). The map reserves address space only; the file grows
 *       with the data.</li>
 *   <li>{@code max-map-size}: how far the map may grow when it fills up (default {@code 1TiB}, or
 *       {@code map-size} if that is larger). A write that needs more fails with an error that names
 *       this option; nothing of that write is stored.</li>
 * </ul>
 *
 * <p>lmdbjava needs {@code --add-opens java.base/java.nio=ALL-UNNAMED --add-opens
 * java.base/sun.nio.ch=ALL-UNNAMED} on Java 17; {@link #open} refuses to start without them and says so.
 */
public final class LmdbStorageProvider implements StorageProvider {

    /** The provider name. */
    public static final String NAME = "lmdb";

    /** ServiceLoader's constructor. */
    public LmdbStorageProvider() {
        // stateless
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * @throws IllegalArgumentException            for an unknown option or a bad size, naming the option
     * @throws io.atlas.log.PersistentLogException if the JVM lacks the flags lmdbjava needs (the message
     *                                             names them) or the native library cannot be loaded
     * @throws io.atlas.log.IncompatibleLogException if the directory holds a newer LMDB store format or
     *                                             an LMDB environment not written by this backend
     */
    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        if (config == null) {
            throw new IllegalArgumentException(NAME + ": storage config must not be null");
        }
        return LmdbLogStorage.open(config.directory(), LmdbOptions.from(config));
    }
}
