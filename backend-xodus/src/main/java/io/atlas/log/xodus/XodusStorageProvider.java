package io.atlas.log.xodus;

import io.atlas.log.spi.LogStorage;
import io.atlas.log.spi.StorageConfig;
import io.atlas.log.spi.StorageProvider;

import java.io.IOException;

/**
 * The {@code xodus} storage backend: a log kept in a JetBrains Xodus environment in the log directory.
 * Found through {@link java.util.ServiceLoader}; options are {@code atlas.log.xodus.<option>} (see the
 * README and {@link XodusOptions}). {@code maxSegmentSize} does not apply: Xodus sizes its own files
 * ({@code log-file-size}), and values of any size are stored in chunks.
 */
public final class XodusStorageProvider implements StorageProvider {

    /** The provider name, as written in {@code atlas.log.backend}. */
    public static final String NAME = "xodus";

    /** For {@link java.util.ServiceLoader}. */
    public XodusStorageProvider() {
        // stateless
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LogStorage open(StorageConfig config) throws IOException {
        if (config == null) {
            throw new IllegalArgumentException("xodus: storage config must not be null");
        }
        return XodusLogStorage.open(config.directory(), XodusOptions.parse(config));
    }
}
