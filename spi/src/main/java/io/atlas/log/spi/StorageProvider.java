package io.atlas.log.spi;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;

/**
 * A storage backend, found with {@link java.util.ServiceLoader}. Register the implementation in
 * {@code META-INF/services/io.atlas.log.spi.StorageProvider} (and with {@code provides} in a
 * {@code module-info.java}); it needs a public no-argument constructor.
 *
 * <p>Implementations are stateless factories and must be thread-safe. The engine ({@code core})
 * holds the directory lock and the manifest; a provider never sees two open storages for one directory.
 */
public interface StorageProvider {

    /**
     * The backend's name, as users write it in {@code atlas.log.backend}: 1-32 characters of
     * {@code [a-z0-9-]}, unique among the providers on the class path. Constant.
     */
    String name();

    /** What this backend guarantees; {@code DURABLE} by default. Constant. */
    default Set<Capability> capabilities() {
        return EnumSet.of(Capability.DURABLE);
    }

    /**
     * Opens (creating when absent) the storage in {@code config.directory()}, recovering from a crash
     * if needed: a torn tail is discarded with a warning; corruption throws
     * {@link io.atlas.log.CorruptLogException}.
     *
     * @param config never null; options are this backend's own, without the name prefix
     * @return an open storage, owned by the caller, who closes it
     * @throws IllegalArgumentException for an unknown option or a bad option value, naming the key
     *                                  and the accepted values
     * @throws IOException              if the directory cannot be created or read
     */
    LogStorage open(StorageConfig config) throws IOException;
}
